"""Reading the stored event log row by row, for export and verification.

Rows are read with plain SQL and decoded one at a time, so a damaged row (bad
compression, bad JSON, a mangled id) becomes a `DamagedRecord` instead of an exception
that would stop an audit halfway. `verify_store` is the check of the live store that
`wikiengine verify` and the integrity page (`/admin/integrity`) both run.
"""

from collections.abc import Callable, Iterator
from typing import Any

from eventsourcing.compressor import ZlibCompressor
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder
from psycopg.sql import SQL, Identifier

from storage.rows import Row, decode_row, line_from_row
from wikiengine.application import Wiki
from wikiengine.export import DamagedRecord, StoredRecord, export_lines
from wikiengine.signing import PublicKey
from wikiengine.verify import Report, verify_lines

BATCH = 1000


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


def last_position(wiki: Wiki) -> int:
    """The newest position now: reading up to it gives one consistent view of the log."""
    return wiki.recorder.max_notification_id() or 0


def export_log(wiki: Wiki) -> Iterator[str]:
    """The public export, streamed: suppressions are found in a first pass, and both passes
    stop at the same position, so a suppression saved meanwhile cannot leak its text."""
    until = last_position(wiki)
    return export_lines(stored_records(wiki, until=until), stored_records(wiki, until=until))


def verify_store(
    wiki: Wiki,
    *,
    jobs: int | None = None,
    watch: Callable[[Iterator[Row], int], Iterator[Row]] | None = None,
) -> Report:
    """Verify the live store up to its newest position now, trusting only the FIRST key
    of the wiki's key file (`Signer.lineage`: the keys it replaced, then its own), as an
    auditor who pinned it would: every later key must be published in the log by the key
    it replaces. (Trusting every key of the file would pass a log whose keyring history
    was deleted and republished by the newest key.)

    Every text is checked against its digest, suppressed or not: only the public export
    redacts. With `jobs` > 1 worker processes decode the rows they check. `watch` wraps
    the rows (given the number expected), e.g. in a progress bar.
    """
    until = last_position(wiki)
    rows = stored_rows(wiki, until=until)
    if watch is not None:
        rows = watch(rows, until)
    pinned = wiki.signer.lineage[:1]
    return verify_lines(rows, pinned, _candidate_keys(wiki), jobs, line_from_row)


def _candidate_keys(wiki: Wiki) -> list[PublicKey]:
    """Keys the keyring publishes: workers pre-check signatures with them. Only a speed-up:
    the verifier decides trust in log order and re-checks any line they do not cover."""
    try:
        published = wiki.published_keys()
    except Exception:  # a damaged keyring is reported by the check itself
        return []
    return [PublicKey.from_b64(kid, entry["public_key"]) for kid, entry in published.items()]


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
