"""The private identity table: which author an OpenID Connect identity (issuer, subject) is.

Like the account table this is not an event: it says which login belongs to whom, not
what anyone did. It is mutable and erasable, never exported, and lives beside the event
store in the same database. The key is the provider's (issuer, subject) pair, never an
e-mail address: addresses change hands, subjects do not.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from wikiengine.application import Wiki


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    author_id: UUID


class IdentityStore:
    """External identities of authors, in the wiki's own database (SQLite or PostgreSQL)."""

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
            raise TypeError(f"no identity table for {type(recorder).__name__}")
        self._create_table()

    def _sql(self, statement: str) -> str:
        return statement.replace("{t}", self._prefix).replace("?", self._param)

    def _execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(self._sql(statement), params)
            return list(cursor.fetchall()) if statement.startswith("SELECT") else []

    def _create_table(self) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            if self._param == "%s":
                # Workers starting at once race on PostgreSQL's catalog even with
                # IF NOT EXISTS (duplicate pg_type key): they take turns instead.
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('iw_identity_tables'))")
            for statement in (
                "CREATE TABLE IF NOT EXISTS {t}identities ("
                " issuer TEXT NOT NULL, subject TEXT NOT NULL, author_id TEXT NOT NULL,"
                " created_at TEXT NOT NULL, PRIMARY KEY (issuer, subject))",
                "CREATE INDEX IF NOT EXISTS identities_author ON {t}identities (author_id)",
            ):
                cursor.execute(self._sql(statement))

    def author_for(self, issuer: str, subject: str) -> UUID | None:
        rows = self._execute(
            "SELECT author_id FROM {t}identities WHERE issuer = ? AND subject = ?",
            (issuer, subject),
        )
        return UUID(_row(rows[0])[0]) if rows else None

    def link(self, issuer: str, subject: str, author_id: UUID) -> UUID:
        """Map the identity to `author_id` unless it is mapped already; returns the author
        it maps to now (another request may have linked it first)."""
        self._execute(
            "INSERT INTO {t}identities (issuer, subject, author_id, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (issuer, subject) DO NOTHING",
            (issuer, subject, str(author_id), _now()),
        )
        linked = self.author_for(issuer, subject)
        assert linked is not None  # inserted just now, or by the request that won
        return linked

    def of_author(self, author_id: UUID) -> list[Identity]:
        rows = self._execute(
            "SELECT issuer, subject, author_id FROM {t}identities WHERE author_id = ?"
            " ORDER BY issuer, subject",
            (str(author_id),),
        )
        return [Identity(values[0], values[1], UUID(values[2])) for values in map(_row, rows)]

    def forget(self, author_id: UUID) -> None:
        """Erase the author's identities (the person asked to be forgotten, or an
        administrator unlinks a login): that login then starts a new author."""
        self._execute("DELETE FROM {t}identities WHERE author_id = ?", (str(author_id),))


def _row(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
