"""Who may project: one projector per store, however many web workers and nodes run.

On SQLite the store is a local file, so a lock file beside it elects one process on the
host (`wikiengine.filelock`). On PostgreSQL a session advisory lock elects one projector
across all nodes; when its connection drops, the lock goes with it and another node takes
over.
"""

from typing import Protocol

import psycopg

PROJECTOR_LOCK_CLASS = 0x1A7E_0B5E  # an arbitrary, fixed advisory-lock class


class AdvisoryLock:
    """A PostgreSQL session advisory lock, held on a connection of its own."""

    def __init__(self, connect: "ConnectionFactory", schema: str) -> None:
        self._connect = connect
        self._schema = schema  # wikis in separate schemas of one database project apart
        self._connection: psycopg.Connection[tuple[object, ...]] | None = None

    def try_acquire(self) -> bool:
        if self._connection is not None:
            if self.holds():
                return True
            self.release()
        connection = self._connect()
        try:
            row = connection.execute(
                "SELECT pg_try_advisory_lock(%s, hashtext(%s))",
                (PROJECTOR_LOCK_CLASS, self._schema),
            ).fetchone()
        except BaseException:
            connection.close()
            raise
        if row is None or not row[0]:
            connection.close()
            return False
        self._connection = connection
        return True

    def holds(self) -> bool:
        """Whether this session still holds the lock. An idle connection does not notice
        that the server ended its session (and with it the lock), so ask the server."""
        if self._connection is None or self._connection.closed:
            return False
        try:
            row = self._connection.execute(
                "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
                " AND pid = pg_backend_pid() AND granted AND classid = %s"
                " AND objid = hashtext(%s)::oid)",
                (PROJECTOR_LOCK_CLASS, self._schema),
            ).fetchone()
        except psycopg.Error:
            return False
        return bool(row and row[0])

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()  # closing the session releases its advisory locks
            self._connection = None


class ConnectionFactory(Protocol):
    def __call__(self) -> psycopg.Connection[tuple[object, ...]]: ...
