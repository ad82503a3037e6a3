"""Decoding one stored event row, kept light on imports: verification's worker processes
import only this to decode the rows they check."""

import json
import zlib
from typing import Any
from uuid import UUID

from wikiengine.export import DamagedRecord, StoredRecord, damaged_line, export_line

# A stored row as read: (position, originator id as text, version, state bytes).
Row = tuple[int, str, Any, Any]


def line_from_row(row: Row) -> dict[str, Any]:
    """The verifiable line for a stored row, text unredacted (the live check reads all)."""
    record = decode_row(row)
    if isinstance(record, DamagedRecord):
        return damaged_line(record)
    return export_line(record, suppressed=set())


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
