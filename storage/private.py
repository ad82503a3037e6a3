"""Private tables beside the event store: mutable, erasable, never exported (accounts,
API tokens, external identities). Each store of such tables subclasses `PrivateTables`,
which reaches the wiki's own database (SQLite or PostgreSQL) and creates the tables."""

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, ClassVar

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from wikiengine.application import Wiki


class PrivateTables:
    """Statements are written with `{t}` before table names and `?` for parameters;
    `_sql` adapts them to the store (schema prefix, `%s` on PostgreSQL)."""

    TABLES: ClassVar[Sequence[str]] = ()  # CREATE ... IF NOT EXISTS statements
    LOCK_NAME: ClassVar[str] = ""  # serialises table creation on PostgreSQL

    def __init__(self, wiki: Wiki) -> None:
        recorder = wiki.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            self._datastore: Any = recorder.datastore
            self._prefix, self._param = "", "?"
        elif isinstance(recorder, PostgresApplicationRecorder):
            self._datastore = recorder.datastore
            # The schema name is validated by storage.eventstore: a plain identifier.
            self._prefix, self._param = f'"{recorder.datastore.schema}".', "%s"
        else:
            raise TypeError(f"no private tables for {type(recorder).__name__}")
        self._create_tables()

    def _sql(self, statement: str) -> str:
        return statement.replace("{t}", self._prefix).replace("?", self._param)

    def _execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(self._sql(statement), params)
            return list(cursor.fetchall()) if statement.startswith("SELECT") else []

    @contextmanager
    def _erasing(self) -> Iterator[Any]:
        """A transaction whose deletions overwrite the rows in SQLite's file, not just
        unlink them: erased personal data must not linger in free pages. (PostgreSQL keeps
        dead rows until VACUUM: docs/privacy.md.)"""
        with self._datastore.transaction(commit=True) as cursor:
            on_sqlite = self._param == "?"
            if on_sqlite:
                cursor.execute("PRAGMA secure_delete")
                before = row_values(cursor.fetchall()[0])[0]
                cursor.execute("PRAGMA secure_delete = ON")
            try:
                yield cursor
            finally:
                if on_sqlite:
                    cursor.execute(f"PRAGMA secure_delete = {int(before)}")

    def _create_tables(self) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            if self._param == "%s":
                # Workers starting at once race on PostgreSQL's catalog even with
                # IF NOT EXISTS (duplicate pg_type key): they take turns instead.
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (self.LOCK_NAME,))
            for statement in self.TABLES:
                cursor.execute(self._sql(statement))


def row_values(row: Any) -> tuple[Any, ...]:
    """A fetched row as a tuple (PostgreSQL's cursors may give dicts)."""
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")  # orders same-second rows
