"""Tampering tools for tests: break a real store or an export behind the wiki's back.

The application refuses to write a broken history, so these tools go around it: plain SQL
on the stored events table of SQLite or PostgreSQL, and plain JSON on export lines.
`signed_state` signs a new event with any key, so a test can break exactly one rule (a
foreign key, an unverified author) while every other check still holds.
"""

import json
import sqlite3
import zlib
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg

from storage.eventstore import eventstore_env
from wikiengine.application import Wiki
from wikiengine.attribution import Actor, build_payload, format_signed_at, parse_signed_at
from wikiengine.config import Settings
from wikiengine.export import StoredRecord, encode_line, export_line
from wikiengine.signing import Signer, payload_digest
from wikiengine.text import sha256_hex


def encode_state(state: dict[str, Any]) -> bytes:
    """The bytes the store holds for `state`: compact JSON, zlib-compressed."""
    return zlib.compress(json.dumps(state, separators=(",", ":")).encode("utf-8"))


def decode_state(raw: bytes) -> dict[str, Any] | None:
    try:
        state = json.loads(zlib.decompress(raw))
    except (zlib.error, ValueError):
        return None
    return state if isinstance(state, dict) else None


def one_byte_changed(text: str) -> str:
    """`text` with its first character's lowest bit flipped (one byte, for ASCII text)."""
    assert text and text[0].isascii(), text
    return chr(ord(text[0]) ^ 1) + text[1:]


def later(signed_at: str, microseconds: int = 1000) -> str:
    return format_signed_at(parse_signed_at(signed_at) + timedelta(microseconds=microseconds))


def signed_state(
    signer: Signer,
    *,
    event_type: str,
    aggregate_id: str,
    version: int,
    previous: dict[str, Any] | None,
    actor: Actor,
    signed_at: str,
    data: dict[str, Any],
    body: str | None = None,
) -> dict[str, Any]:
    """A stored event's state, signed by `signer` and chained to the `previous` payload."""
    if body is not None:
        data = {**data, "body_sha256": sha256_hex(body)}
    payload = build_payload(
        event_type=event_type,
        aggregate_id=UUID(aggregate_id),
        version=version,
        parent=None if previous is None else payload_digest(previous),
        actor=actor,
        signed_at=signed_at,
        summary="",
        kid=signer.kid,
        data=data,
    )
    state: dict[str, Any] = {"payload": payload, "signature": signer.sign(payload)}
    if body is not None:
        state["body"] = body
    return state


def self_published_key_state(signer: Signer, aggregate_id: str, signed_at: str) -> dict[str, Any]:
    """A `key.published` event in which `signer` publishes its own key (version 1)."""
    data = {
        "new_kid": signer.kid,
        "public_key": signer.public.public_key_b64,
        "alg": "Ed25519",
        "not_before": signed_at,
    }
    operator = Actor(id="operator", name="Server operator (CLI)", verification="operator")
    return signed_state(
        signer,
        event_type="key.published",
        aggregate_id=aggregate_id,
        version=1,
        previous=None,
        actor=operator,
        signed_at=signed_at,
        data=data,
    )


@dataclass
class StoredRow:
    """One row of the events table, as the test read it."""

    position: int
    aggregate_id: str
    version: int
    topic: str
    state: dict[str, Any] | None  # None when the row holds no decodable state

    @property
    def payload(self) -> dict[str, Any]:
        assert self.state is not None
        payload: dict[str, Any] = self.state["payload"]
        return payload


class EventTable:
    """The wiki's stored events table (SQLite or PostgreSQL), edited with plain SQL.

    Positions are what the export calls `position`: SQLite's rowid, PostgreSQL's
    notification_id. Every call opens its own connection and commits.
    """

    def __init__(self, settings: Settings, wiki: Wiki) -> None:
        env = eventstore_env(settings.database_url)
        self.postgres = env["PERSISTENCE_MODULE"] == "eventsourcing.postgres"
        table = wiki.recorder.events_table_name
        if self.postgres:
            self._connection = {
                "dbname": env["POSTGRES_DBNAME"],
                "host": env["POSTGRES_HOST"],
                "port": env["POSTGRES_PORT"],
                "user": env["POSTGRES_USER"],
                "password": env["POSTGRES_PASSWORD"] or None,
            }
            self._table = f'"{env["POSTGRES_SCHEMA"]}"."{table}"'
            self._position = "notification_id"
            self._id_text = "originator_id::text"
        else:
            self._path = env["SQLITE_DBNAME"]
            self._table = f'"{table}"'
            self._position = "rowid"
            self._id_text = "CAST(originator_id AS TEXT)"

    def _execute(self, statement: str, parameters: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        sql = statement.format(table=self._table, position=self._position, id=self._id_text)
        if self.postgres:
            with psycopg.connect(**self._connection, autocommit=True) as connection:
                cursor = connection.execute(sql.replace("?", "%s"), parameters)
                return cursor.fetchall() if cursor.description else []
        with closing(sqlite3.connect(self._path)) as connection, connection:
            return connection.execute(sql, parameters).fetchall()

    def _stored_id(self, aggregate_id: str) -> str:
        """The originator_id as the store keeps it (SQLite: hex; PostgreSQL: a uuid)."""
        uuid = UUID(aggregate_id)
        return str(uuid) if self.postgres else uuid.hex

    def rows(self) -> list[StoredRow]:
        found = self._execute(
            "SELECT {position}, {id}, originator_version, topic, state FROM {table}"
            " ORDER BY {position}"
        )
        return [
            StoredRow(
                position,
                str(UUID(originator_id)),
                version,
                topic,
                decode_state(state) if isinstance(state, bytes) else None,
            )
            for position, originator_id, version, topic, state in found
        ]

    def row(self, aggregate_id: str | UUID, version: int) -> StoredRow:
        (found,) = [
            row
            for row in self.rows()
            if row.aggregate_id == str(aggregate_id) and row.version == version
        ]
        return found

    def last(self, aggregate_id: str | UUID) -> StoredRow:
        return max(
            (row for row in self.rows() if row.aggregate_id == str(aggregate_id)),
            key=lambda row: row.version,
        )

    def rewrite(self, row: StoredRow) -> None:
        """Store `row.state` (edited by the caller) in place of what the row holds."""
        assert row.state is not None
        self.write_raw(row.position, encode_state(row.state))

    def write_raw(self, position: int, value: bytes | str | None) -> None:
        self._execute("UPDATE {table} SET state = ? WHERE {position} = ?", (value, position))

    def relabel(self, position: int, aggregate_id: str) -> None:
        """Give the row another originator_id (its state still names the old one)."""
        self._execute(
            "UPDATE {table} SET originator_id = ? WHERE {position} = ?",
            (self._stored_id(aggregate_id), position),
        )

    def delete(self, position: int) -> None:
        self._execute("DELETE FROM {table} WHERE {position} = ?", (position,))

    def swap_positions(self, first: int, second: int) -> None:
        """Reorder the log: the two events trade places (each keeps its version and state)."""
        for old, new in ((first, -1), (second, first), (-1, second)):
            self._execute("UPDATE {table} SET {position} = ? WHERE {position} = ?", (new, old))

    def swap_versions(self, first: int, second: int) -> None:
        """The two rows trade originator_version only (states and positions stay)."""
        versions = {row.position: row.version for row in self.rows()}
        for position, version in ((first, -1), (second, versions[first])):
            self._execute(
                "UPDATE {table} SET originator_version = ? WHERE {position} = ?",
                (version, position),
            )
        self._execute(
            "UPDATE {table} SET originator_version = ? WHERE {position} = ?",
            (versions[second], first),
        )

    def insert(self, aggregate_id: str, version: int, topic: str, state: dict[str, Any]) -> int:
        """Append a row; returns its position (after every existing row)."""
        ((position,),) = self._execute(
            "INSERT INTO {table} (originator_id, originator_version, topic, state)"
            " VALUES (?, ?, ?, ?) RETURNING {position}",
            (self._stored_id(aggregate_id), version, topic, encode_state(state)),
        )
        assert isinstance(position, int)
        return position


class ExportFile:
    """An export's lines, decoded for editing; `save` writes them back as an export does."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[dict[str, Any] | str] = [
            json.loads(text) for text in path.read_text(encoding="utf-8").splitlines()
        ]

    def save(self) -> None:
        texts = [line if isinstance(line, str) else encode_line(line) for line in self.lines]
        self.path.write_text("".join(text + "\n" for text in texts), encoding="utf-8")

    def _events(self) -> list[dict[str, Any]]:
        return [line for line in self.lines if isinstance(line, dict)]

    def index(self, aggregate_id: str | UUID, version: int) -> int:
        (found,) = [
            number
            for number, line in enumerate(self.lines)
            if isinstance(line, dict)
            and line["aggregate_id"] == str(aggregate_id)
            and line["version"] == version
        ]
        return found

    def line(self, aggregate_id: str | UUID, version: int) -> dict[str, Any]:
        found = self.lines[self.index(aggregate_id, version)]
        assert isinstance(found, dict)
        return found

    def last(self, aggregate_id: str | UUID) -> dict[str, Any] | None:
        chain = [line for line in self._events() if line["aggregate_id"] == str(aggregate_id)]
        return max(chain, key=lambda line: line["version"]) if chain else None

    def next_signed_at(self) -> str:
        """A moment after every event in the export."""
        return later(max(line["payload"]["signed_at"] for line in self._events()))

    def append_signed(
        self,
        signer: Signer,
        event_type: str,
        aggregate_id: str | UUID,
        actor: Actor,
        data: dict[str, Any],
        body: str | None = None,
    ) -> dict[str, Any]:
        """Append an event correctly chained, positioned and signed by `signer`."""
        previous = self.last(aggregate_id)
        state = signed_state(
            signer,
            event_type=event_type,
            aggregate_id=str(aggregate_id),
            version=1 if previous is None else previous["version"] + 1,
            previous=None if previous is None else previous["payload"],
            actor=actor,
            signed_at=self.next_signed_at(),
            data=data,
            body=body,
        )
        return self.append_state(state)

    def append_state(self, state: dict[str, Any]) -> dict[str, Any]:
        payload = state["payload"]
        position = max(line["position"] for line in self._events()) + 1
        record = StoredRecord(position, payload["aggregate_id"], payload["version"], state)
        line = export_line(record, set())
        self.lines.append(line)
        return line
