"""The export format: one JSON line per stored event, in log order.

    {"position": 17, "type": "page.edited", "aggregate_id": "...", "version": 3,
     "payload": {...every signed field...}, "kid": "...", "signature": "<base64url>",
     "body": "<page text>"}

`body` appears on events that carry page text. For a suppressed revision it is left out
and `redacted_body_sha256` gives its digest instead; the signature still verifies because
the payload signs the digest, never the text. `docs/auditing.md` is the full description.
"""

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

SUPPRESSION_TYPE = "page.revision_suppressed"


@dataclass(frozen=True)
class StoredRecord:
    """One event as read from the store: its position and decoded state."""

    position: int
    aggregate_id: str
    version: int
    state: dict[str, Any]


@dataclass(frozen=True)
class DamagedRecord:
    """A row that could not be read or decoded. Reported, never skipped silently."""

    position: int
    aggregate_id: str
    version: int | None
    reason: str


def export_line(record: StoredRecord, suppressed: set[tuple[str, int]]) -> dict[str, Any]:
    """The export line for `record`; text of revisions in `suppressed` is redacted."""
    payload = record.state.get("payload")
    payload_fields = payload if isinstance(payload, dict) else {}
    line: dict[str, Any] = {
        "position": record.position,
        "type": payload_fields.get("type"),
        "aggregate_id": record.aggregate_id,
        "version": record.version,
        "payload": payload,
        "kid": payload_fields.get("kid"),
        "signature": record.state.get("signature"),
    }
    if "body" in record.state:
        # The row's labels are not signed: hide the text if either they or the payload
        # name a suppressed revision, so a mislabelled row never publishes it.
        signed_as = (payload_fields.get("aggregate_id"), payload_fields.get("version"))
        if (record.aggregate_id, record.version) in suppressed or signed_as in suppressed:
            data = payload_fields.get("data")
            line["redacted_body_sha256"] = (
                data.get("body_sha256") if isinstance(data, dict) else None
            )
        else:
            line["body"] = record.state["body"]
    return line


def suppressed_revisions(records: Iterable[StoredRecord | DamagedRecord]) -> set[tuple[str, int]]:
    """(page id, version) of every revision whose text an administrator suppressed."""
    hidden: set[tuple[str, int]] = set()
    for record in records:
        if isinstance(record, DamagedRecord):
            continue
        payload = record.state.get("payload")
        if isinstance(payload, dict) and payload.get("type") == SUPPRESSION_TYPE:
            data = payload.get("data")
            revision = data.get("revision") if isinstance(data, dict) else None
            if isinstance(revision, int):
                hidden.add((record.aggregate_id, revision))
                hidden.add((str(payload.get("aggregate_id")), revision))  # as signed
    return hidden


def damaged_line(record: DamagedRecord) -> dict[str, Any]:
    """A damaged row still gets a line, so the export shows the gap instead of hiding it."""
    return {
        "position": record.position,
        "type": None,
        "aggregate_id": record.aggregate_id,
        "version": record.version,
        "damaged": record.reason,
    }


def encode_line(line: dict[str, Any]) -> str:
    return json.dumps(line, ensure_ascii=False, separators=(",", ":"))


def export_lines(
    first_pass: Iterable[StoredRecord | DamagedRecord],
    second_pass: Iterable[StoredRecord | DamagedRecord],
) -> Iterator[str]:
    """Encoded export lines: one pass finds suppressions, the next writes (streamed)."""
    suppressed = suppressed_revisions(first_pass)
    for record in second_pass:
        if isinstance(record, DamagedRecord):
            yield encode_line(damaged_line(record))
        else:
            yield encode_line(export_line(record, suppressed))
