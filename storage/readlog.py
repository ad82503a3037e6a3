"""The private log of administrators' reads of suppressed text.

A suppressed revision's text stays in the event store (its digest is signed), and
administrators may still read it; each such read is written here, so who looked at
hidden text, and when, is known. Like the account table this is not an event: it says
who read, not what anyone changed, and is never exported.
"""

from dataclasses import dataclass
from uuid import UUID, uuid4

from storage.private import PrivateTables, now, row_values


@dataclass(frozen=True)
class SuppressedRead:
    """An administrator read the suppressed text of `version` of a page."""

    read_at: str  # ISO 8601, UTC, microseconds
    reader_id: UUID
    page_id: UUID
    title: str  # the page's title when it was read
    version: int


class SuppressedReads(PrivateTables):
    """Reads of suppressed text, in the wiki's own database (SQLite or PostgreSQL)."""

    TABLES = (
        "CREATE TABLE IF NOT EXISTS {t}suppressed_reads ("
        " read_id TEXT PRIMARY KEY, read_at TEXT NOT NULL, reader_id TEXT NOT NULL,"
        " page_id TEXT NOT NULL, title TEXT NOT NULL, version BIGINT NOT NULL)",
        "CREATE INDEX IF NOT EXISTS suppressed_reads_read_at"
        " ON {t}suppressed_reads (read_at, read_id)",
    )
    LOCK_NAME = "iw_suppressed_reads_tables"

    def record(self, reader_id: UUID, page_id: UUID, title: str, version: int) -> None:
        self._execute(
            "INSERT INTO {t}suppressed_reads"
            " (read_id, read_at, reader_id, page_id, title, version) VALUES (?, ?, ?, ?, ?, ?)",
            (str(uuid4()), now(), str(reader_id), str(page_id), title, version),
        )

    def newest(self, limit: int = 50, offset: int = 0) -> list[SuppressedRead]:
        """The reads, newest first, `limit` from `offset` (callers bound both)."""
        rows = self._execute(
            "SELECT read_at, reader_id, page_id, title, version FROM {t}suppressed_reads"
            " ORDER BY read_at DESC, read_id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [
            SuppressedRead(str(read_at), UUID(reader), UUID(page), str(title), int(version))
            for read_at, reader, page, title, version in map(row_values, rows)
        ]
