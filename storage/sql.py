"""One way to talk SQL to either store: `?` placeholders and tuple rows on SQLite and PostgreSQL.

The read model's SQL is written once, in the dialect both databases share; this adapter
only swaps the placeholder style and counts statements (a page view has a query budget).
"""

from collections.abc import Iterable, Sequence
from typing import Any

from psycopg.rows import tuple_row

Row = tuple[Any, ...]


class Sql:
    """A cursor of either database, with the same small interface."""

    def __init__(self, cursor: Any, *, postgres: bool) -> None:
        # eventsourcing wraps SQLite cursors; the wrapper lacks `rowcount`.
        self._cursor = getattr(cursor, "sqlite_cursor", cursor)
        self._postgres = postgres
        if postgres:
            cursor.row_factory = tuple_row
        self.statements = 0  # how many statements this cursor ran

    def _dialect(self, statement: str) -> str:
        return statement.replace("?", "%s") if self._postgres else statement

    def run(self, statement: str, params: Sequence[Any] = ()) -> None:
        self.statements += 1
        self._cursor.execute(self._dialect(statement), params)

    def many(self, statement: str, rows: Iterable[Sequence[Any]]) -> None:
        batch = list(rows)
        if batch:
            self.statements += 1
            self._cursor.executemany(self._dialect(statement), batch)

    def rows(self, statement: str, params: Sequence[Any] = ()) -> list[Row]:
        self.run(statement, params)
        return [tuple(row) for row in self._cursor.fetchall()]

    def row(self, statement: str, params: Sequence[Any] = ()) -> Row | None:
        self.run(statement, params)
        found = self._cursor.fetchone()
        return None if found is None else tuple(found)

    @property
    def rowcount(self) -> int:
        """Rows changed by the last statement."""
        return int(self._cursor.rowcount)
