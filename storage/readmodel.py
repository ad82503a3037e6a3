"""The SQL read model: an eventsourcing `TrackingRecorder` whose tables are the views.

Each batch of events changes the view tables and records its position in ONE
transaction, so every event is applied exactly once: a batch applied twice (two
projectors, a retry) fails on the tracking row and changes nothing.
"""

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any

from eventsourcing.persistence import IntegrityError, TrackingRecorder
from eventsourcing.postgres import PostgresTrackingRecorder
from eventsourcing.sqlite import SQLiteFactory, SQLiteTrackingRecorder
from psycopg_pool import ConnectionPool

from storage.projection import Batch, PageCache, render, stale_pages, write_renderings
from storage.schema import (
    CREATE_STATEMENTS,
    DROP_STATEMENTS,
    READ_MODEL_VERSION,
    TABLES,
    VERSION_TABLE,
)
from storage.sql import Sql
from wikiengine.application import Wiki
from wikiengine.projector import Projector

TRACKING_NAME = "Wiki:sql"  # the position of the SQL views in the wiki's log
RENDER_CHUNK = 200
READ_POOL_SIZE = 8


class ReadModel(TrackingRecorder):
    """The views' tables and their position; `read()` for queries, `apply()` for events."""

    postgres = False
    pages: PageCache

    def create_table(self) -> None:
        """The tracking table (eventsourcing's), then the views' tables (ours); views of
        another shape than this release's are rebuilt (their position is forgotten)."""
        super().create_table()  # type: ignore[misc]
        with self._write() as sql:
            sql.run(f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} (version INTEGER NOT NULL)")
            row = sql.row(f"SELECT max(version) FROM {VERSION_TABLE}")  # noqa: S608
            built_for = row[0] if row is not None else None
        if built_for != READ_MODEL_VERSION:
            self.reset()
            with self._write() as sql:
                sql.run(f"DELETE FROM {VERSION_TABLE}")  # noqa: S608
                sql.run(f"INSERT INTO {VERSION_TABLE} VALUES (?)", (READ_MODEL_VERSION,))  # noqa: S608
            return
        with self._write() as sql:
            for statement in CREATE_STATEMENTS:
                sql.run(statement)

    def _transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        """A database cursor in a transaction (committed on success if `commit`)."""
        raise NotImplementedError

    @contextmanager
    def read(self) -> Iterator[Sql]:
        """A read-only SQL cursor on the views."""
        with self._transaction(commit=False) as cursor:
            yield Sql(cursor, postgres=self.postgres)

    @contextmanager
    def _write(self) -> Iterator[Sql]:
        with self._transaction(commit=True) as cursor:
            yield Sql(cursor, postgres=self.postgres)

    def position(self) -> int:
        """The log position of the last event the views include (0: none)."""
        return self.max_tracking_id(TRACKING_NAME) or 0

    def apply(self, events: Sequence[tuple[Any, int]], after: int, up_to: int) -> bool:
        """Apply decoded events, (event, position) in log order, that follow position
        `after`, moving the views to `up_to` (which may lie past the last event when
        trailing rows could not be decoded).

        Raises IntegrityError, changing nothing, unless the views are at `after`: a
        batch is never applied twice, nor on top of another projector's work. Returns
        True when pages were left stale (`settle` renders them).
        """
        try:
            with self._transaction(commit=True) as cursor:
                sql = Sql(cursor, postgres=self.postgres)
                self._move_position(sql, after, up_to)
                batch = Batch(sql, self.pages)
                for event, position in events:
                    batch.apply(event, position)
                return batch.write()
        except BaseException:
            self.pages.clear()  # it may hold states the rollback undid
            raise

    def _move_position(self, sql: Sql, after: int, up_to: int) -> None:
        """Compare-and-set the views' position in eventsourcing's tracking table. It is
        the transaction's first statement, a write: on SQLite that takes the write lock
        at once (waiting for it), instead of failing to upgrade a read snapshot later."""
        table = self._tracking_table
        sql.run(
            f"UPDATE {table} SET notification_id = ?"  # noqa: S608 (constant table name)
            " WHERE application_name = ? AND notification_id = ?",
            (up_to, TRACKING_NAME, after),
        )
        if sql.rowcount == 1:
            return
        if after == 0:  # the first batch ever: no row yet, unless another projector won
            sql.run(
                f"INSERT INTO {table} (application_name, notification_id)"  # noqa: S608
                " VALUES (?, ?) ON CONFLICT DO NOTHING",
                (TRACKING_NAME, up_to),
            )
            if sql.rowcount == 1:
                return
        raise IntegrityError(f"The read model is no longer at position {after}")

    def render_stale(self, on_progress: Callable[[int], None] | None = None) -> int:
        """Render every page left stale by a catch-up; returns how many.

        Pages are read and rendered outside any transaction and written in a short one,
        so rendering never holds the write lock that edits need.
        """
        total = 0
        while True:
            with self.read() as sql:
                pages = stale_pages(sql, RENDER_CHUNK)
            rendered = render(pages)
            with self._write() as sql:
                write_renderings(sql, rendered)
            done = len(pages)
            total += done
            if on_progress is not None and done:
                on_progress(done)
            if len(pages) < RENDER_CHUNK:
                return total

    def analyse(self) -> None:
        """Refresh the planner's statistics after many rows changed (a rebuild)."""

    # The projector's view protocol (`wikiengine.projector.View`).
    def forget(self) -> None:
        self.pages.clear()

    def settle(self) -> None:
        self.render_stale()

    def caught_up(self) -> None:
        self.analyse()

    def stale_count(self) -> int:
        with self.read() as sql:
            found = sql.row("SELECT COUNT(*) FROM view_pages WHERE stale = 1")
        return int(found[0]) if found else 0

    def reset(self) -> None:
        """Drop the views and forget their position: the next catch-up rebuilds them."""
        with self._write() as sql:
            for statement in DROP_STATEMENTS:
                sql.run(statement)
            sql.run(
                f"DELETE FROM {self._tracking_table} WHERE application_name = ?",  # noqa: S608
                (TRACKING_NAME,),
            )
            for statement in CREATE_STATEMENTS:
                sql.run(statement)
        self.pages.clear()

    @property
    def _tracking_table(self) -> str:
        return "tracking"

    def close(self) -> None:
        """Release the read model's own connections (the event store's are the wiki's)."""


class SQLiteReadModel(ReadModel, SQLiteTrackingRecorder):
    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.pages = PageCache()

    def _transaction(self, *, commit: bool) -> AbstractContextManager[Any]:
        return self.datastore.transaction(commit=commit)


class PostgresReadModel(ReadModel, PostgresTrackingRecorder):
    """On PostgreSQL the views live in the event store's schema. eventsourcing names its
    schema in every statement; the views' SQL is shared with SQLite and unqualified, so
    they get their own small pool whose connections search that schema."""

    postgres = True

    def __init__(self, datastore: Any, **kwargs: Any) -> None:
        super().__init__(datastore, **kwargs)
        self.pages = PageCache()
        connection = {
            key: value
            for key, value in datastore.pool.kwargs.items()
            if key in {"dbname", "host", "port", "user", "password"}
        }
        self._pool = ConnectionPool(
            # Index lookups are cheap on the SSDs and page cache the views live on.
            kwargs={
                **connection,
                "options": f"-c search_path={datastore.schema} -c random_page_cost=1.1",
            },
            min_size=1,
            max_size=READ_POOL_SIZE,
            open=True,
            name="read-model",
        )

    @contextmanager
    def _transaction(self, *, commit: bool) -> Iterator[Any]:
        with self._pool.connection() as connection:
            # Reads run in autocommit: no BEGIN and ROLLBACK round trips around a page
            # view's three queries (each sees committed data; the view tolerates that).
            connection.autocommit = not commit
            with connection.cursor() as cursor:
                yield cursor

    def analyse(self) -> None:
        # Freshly created tables have no statistics; without them PostgreSQL scans
        # whole tables where an index lookup per row is far cheaper.
        with self._write() as sql:
            for table in TABLES:
                sql.run(f"ANALYZE {table}")

    def close(self) -> None:
        self._pool.close()

    @property
    def _tracking_table(self) -> str:
        return self.tracking_table_name


def read_model_for(wiki: Wiki) -> ReadModel:
    """The read model in the wiki's own database (tables created if missing)."""
    factory: Any = wiki.factory
    view_class = SQLiteReadModel if isinstance(factory, SQLiteFactory) else PostgresReadModel
    read_model: ReadModel = factory.tracking_recorder(view_class)
    return read_model


SqlProjector = Projector[ReadModel]  # the projector of the SQL views
