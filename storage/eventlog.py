"""Reading the stored event log row by row, for export and verification.

Rows are read with plain SQL and decoded one at a time, so a damaged row (bad
compression, bad JSON, a mangled id) becomes a `DamagedRecord` instead of an exception
that would stop an audit halfway.
"""

import json
import zlib
from collections.abc import Iterator
from typing import Any
from uuid import UUID

from eventsourcing.compressor import ZlibCompressor
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier

from wikiengine.application import Wiki
from wikiengine.export import (
    DamagedRecord,
    StoredRecord,
    damaged_line,
    export_line,
    export_lines,
)

BATCH = 1000


# A stored row as read: (position, originator id as text, version, state bytes).
Row = tuple[int, str, Any, Any]


def stored_records(
    wiki: Wiki, *, until: int | None = None, batch: int = BATCH
) -> Iterator[StoredRecord | DamagedRecord]:
    """Every stored event in log order (up to position `until`), decoded or marked damaged."""
    for row in stored_rows(wiki, until=until, batch=batch):
        yield decode_row(row)


def stored_rows(wiki: Wiki, *, until: int | None = None, batch: int = BATCH) -> Iterator[Row]:
    """The raw rows in log order, undecoded (decoding can then happen in other processes)."""
    if not isinstance(wiki.mapper.compressor, ZlibCompressor):
        raise TypeError("the wiki's events are expected to be zlib-compressed")
    after = 0
    while True:
        rows = _select_rows(wiki, after, batch)
        for row in rows:
            if until is not None and row[0] > until:
                return
            yield row
        if len(rows) < batch:
            return
        after = rows[-1][0]


def line_from_row(row: Row) -> dict[str, Any]:
    """The verifiable line for a stored row, text unredacted (the live check reads all)."""
    record = decode_row(row)
    if isinstance(record, DamagedRecord):
        return damaged_line(record)
    return export_line(record, suppressed=set())


def last_position(wiki: Wiki) -> int:
    """The newest position now: reading up to it gives one consistent view of the log."""
    return wiki.recorder.max_notification_id() or 0


def export_log(wiki: Wiki) -> Iterator[str]:
    """The public export, streamed: suppressions are found in a first pass, and both passes
    stop at the same position, so a suppression saved meanwhile cannot leak its text."""
    until = last_position(wiki)
    return export_lines(stored_records(wiki, until=until), stored_records(wiki, until=until))


def _select_rows(wiki: Wiki, after: int, limit: int) -> list[tuple[int, str, Any, Any]]:
    recorder = wiki.recorder
    if isinstance(recorder, SQLiteApplicationRecorder):
        table = recorder.events_table_name  # the library's own table name, not input
        statement = (
            "SELECT rowid, CAST(originator_id AS TEXT), originator_version, state "  # noqa: S608
            f"FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?"
        )
        with recorder.datastore.transaction(commit=False) as cursor:
            cursor.execute(statement, (after, limit))
            return [(row[0], str(row[1]), row[2], row[3]) for row in cursor.fetchall()]
    if isinstance(recorder, PostgresApplicationRecorder):
        query = SQL(
            "SELECT notification_id, originator_id::text, originator_version, state "
            "FROM {schema}.{table} WHERE notification_id > %s ORDER BY notification_id LIMIT %s"
        ).format(
            schema=Identifier(recorder.datastore.schema),
            table=Identifier(recorder.events_table_name),
        )
        with recorder.datastore.transaction(commit=False) as pg_cursor:
            pg_cursor.execute(query, (after, limit))
            return [
                (
                    row["notification_id"],
                    row["originator_id"],
                    row["originator_version"],
                    row["state"],
                )
                for row in pg_cursor.fetchall()
            ]
    raise TypeError(f"cannot read raw events from {type(recorder).__name__}")


def decode_row(row: Row) -> StoredRecord | DamagedRecord:
    """Decode one row; anything wrong with it makes a `DamagedRecord`, never an exception."""
    position, originator_id, version, state = row
    try:
        aggregate_id = str(UUID(originator_id))
    except ValueError:
        return DamagedRecord(position, originator_id, None, f"bad aggregate id {originator_id!r}")
    if not isinstance(version, int):
        return DamagedRecord(position, aggregate_id, None, f"version {version!r} is not a number")
    if not isinstance(state, bytes | bytearray | memoryview):  # NULL, or text in SQLite
        return DamagedRecord(
            position, aggregate_id, version, f"state is {type(state).__name__}, not bytes"
        )
    try:
        raw = zlib.decompress(bytes(state))
        # Plain JSON, not the mapper's transcoder: a line carries the stored JSON as it is,
        # and the transcoder would turn a tagged value ({"_type_": "uuid_hex", ...}) into a
        # Python object that no export line can hold.
        decoded = json.loads(raw)
    except Exception as error:  # any failure to decode is a damaged row, reported
        return DamagedRecord(position, aggregate_id, version, f"undecodable state ({error})")
    if not isinstance(decoded, dict):
        return DamagedRecord(position, aggregate_id, version, "state is not an object")
    return StoredRecord(position, aggregate_id, version, decoded)
