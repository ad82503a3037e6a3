"""The private identity table: which author an OpenID Connect identity (issuer, subject) is.

Like the account table this is not an event: it says which login belongs to whom, not
what anyone did. It is mutable and erasable, never exported, and lives beside the event
store in the same database. The key is the provider's (issuer, subject) pair, never an
e-mail address: addresses change hands, subjects do not.
"""

from dataclasses import dataclass
from uuid import UUID

from storage.private import PrivateTables, now, row_values


@dataclass(frozen=True)
class Identity:
    issuer: str
    subject: str
    author_id: UUID


class IdentityStore(PrivateTables):
    """External identities of authors, in the wiki's own database (SQLite or PostgreSQL)."""

    TABLES = (
        "CREATE TABLE IF NOT EXISTS {t}identities ("
        " issuer TEXT NOT NULL, subject TEXT NOT NULL, author_id TEXT NOT NULL,"
        " created_at TEXT NOT NULL, PRIMARY KEY (issuer, subject))",
        "CREATE INDEX IF NOT EXISTS identities_author ON {t}identities (author_id)",
    )
    LOCK_NAME = "iw_identity_tables"

    def author_for(self, issuer: str, subject: str) -> UUID | None:
        rows = self._execute(
            "SELECT author_id FROM {t}identities WHERE issuer = ? AND subject = ?",
            (issuer, subject),
        )
        return UUID(row_values(rows[0])[0]) if rows else None

    def link(self, issuer: str, subject: str, author_id: UUID) -> UUID:
        """Map the identity to `author_id` unless it is mapped already; returns the author
        it maps to now (another request may have linked it first)."""
        self._execute(
            "INSERT INTO {t}identities (issuer, subject, author_id, created_at)"
            " VALUES (?, ?, ?, ?) ON CONFLICT (issuer, subject) DO NOTHING",
            (issuer, subject, str(author_id), now()),
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
        return [Identity(values[0], values[1], UUID(values[2])) for values in map(row_values, rows)]

    def has_identity(self, author_id: UUID) -> bool:
        rows = self._execute(
            "SELECT 1 FROM {t}identities WHERE author_id = ? LIMIT 1", (str(author_id),)
        )
        return bool(rows)

    def forget(self, author_id: UUID) -> list[Identity]:
        """Erase the author's identities (the person asked to be forgotten, or an
        administrator unlinks a login): that login then starts a new author. Returns
        the identities erased."""
        with self._erasing() as cursor:
            cursor.execute(
                self._sql(
                    "SELECT issuer, subject, author_id FROM {t}identities WHERE author_id = ?"
                    " ORDER BY issuer, subject"
                ),
                (str(author_id),),
            )
            rows = cursor.fetchall()
            cursor.execute(
                self._sql("DELETE FROM {t}identities WHERE author_id = ?"), (str(author_id),)
            )
        return [Identity(values[0], values[1], UUID(values[2])) for values in map(row_values, rows)]
