"""The verifier finds tampering, on SQLite and PostgreSQL, in the live store and in exports.

Each test breaks one thing behind the application's back (`tests.tamper`) and checks that
`wikiengine verify` names exactly the problems that break causes, exits with status 1 and
never raises; an untouched history verifies clean. Further: edits by authors who were not
allowed to edit at the time, a clean log of 10,000 events checked serially and by worker
processes, and a suppressed revision whose text never reaches the export.
"""

import copy
import json
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from storage.eventstore import open_wiki
from wikiengine import verify
from wikiengine.application import Wiki
from wikiengine.attribution import Actor
from wikiengine.cli import _verify_store, main
from wikiengine.config import KEYS, Settings
from wikiengine.signing import Signer, payload_digest
from wikiengine.text import sha256_hex

from .tamper import (
    EventTable,
    ExportFile,
    later,
    one_byte_changed,
    self_published_key_state,
    signed_state,
)

ANNA = "Anna Ærø"  # the `admin` fixture
BO = "Bo Østergaard"  # the `editor` fixture
CAI_BEFORE = "Cai Sørensen"
CAI = "Cai Sørensen Holm"
DINA = "Dina Ibsen"
SECRET = "Bo Østergaards CPR-nummer er 010203-4321\n"
SECRET_DIGITS = "010203-4321"

# (kind, aggregate id, version) of each problem a report names.
Problems = set[tuple[str, str | None, int | None]]
Cli = Callable[..., tuple[int, str]]


@dataclass(frozen=True)
class History:
    """A small history with every kind of event; `towns` is where most tampering happens."""

    admin: uuid.UUID
    editor: uuid.UUID
    cai: uuid.UUID
    dina: uuid.UUID  # registered, never verified
    harbour: str  # protected; revision 3 (SECRET) suppressed; versions 1-7
    towns: str  # renamed, edited by Cai after his rename and block, reverted; versions 1-6


@pytest.fixture
def history(wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID) -> History:
    cai = wiki.register_author(CAI_BEFORE)
    wiki.verify_author(admin, cai)
    dina = wiki.register_author(DINA)
    harbour = "Innovation i Århus"
    wiki.save_page(editor, harbour, "Første udgave\n", "Oprettet")
    wiki.save_page(cai, harbour, "Anden udgave\n", "", 1)
    wiki.save_page(editor, harbour, SECRET, "", 2)
    wiki.save_page(editor, harbour, "Fjerde udgave\n", "", 3)
    wiki.save_page(admin, "Kommunerne", "linje 1\n")
    wiki.rename_page(editor, "Kommunerne", "Kommuner i Danmark")
    wiki.protect_page(admin, harbour, "Gentagen vandalisme")
    wiki.save_page(admin, harbour, "Femte udgave\n", "", 5)
    wiki.suppress_revision(admin, harbour, 3, "Personoplysninger")
    wiki.rename_author(admin, cai, CAI)
    towns = "Kommuner i Danmark"
    wiki.save_page(cai, towns, "linje 1\nlinje 2\n", "", 2)
    wiki.block_author(admin, cai, "Spam")
    wiki.unblock_author(admin, cai, "Fejltagelse")
    wiki.save_page(cai, towns, "linje 1\nlinje 2\nlinje 3\n", "", 3)
    wiki.save_page(editor, towns, "Linje 1\nlinje 2\nlinje 3\n", "", 4)
    wiki.revert_page(editor, towns, 3)
    assert (wiki.page_by_title(harbour).version, wiki.page_by_title(towns).version) == (7, 6)
    return History(
        admin,
        editor,
        cai,
        dina,
        str(wiki.page_by_title(harbour).id),
        str(wiki.page_by_title(towns).id),
    )


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """Run `wikiengine ...` on the test's store; returns the exit status and standard output."""
    for key in KEYS:
        monkeypatch.delenv(f"WIKI_{key}", raising=False)
    monkeypatch.setenv("WIKI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WIKI_DATABASE_URL", settings.database_url)

    def run(*argv: str) -> tuple[int, str]:
        capsys.readouterr()
        status = main(list(argv))
        return status, capsys.readouterr().out

    return run


def verify_json(cli: Cli, *argv: str) -> tuple[int, dict[str, Any]]:
    status, out = cli("verify", "--json", *argv)
    return status, json.loads(out)


def problems(report: dict[str, Any]) -> Problems:
    """The problems a report names, each of which it must name only once."""
    named = [(p["kind"], p["aggregate_id"], p["version"]) for p in report["problems"]]
    assert len(named) == len(set(named)), named
    return set(named)


def actor(author: uuid.UUID | str, name: str, verification: str = "admin") -> Actor:
    return Actor(id=str(author), name=name, verification=verification)


# ------------------------------------------------------------------ the live store


def test_untouched_store_verifies_clean(
    history: History, settings: Settings, wiki: Wiki, cli: Cli
) -> None:
    status, report = verify_json(cli)

    assert (status, report["problems"]) == (0, [])
    assert report["ok"] is True
    assert report["events_checked"] == len(EventTable(settings, wiki).rows())


StoreTamper = Callable[[EventTable, History, Signer], Problems]


def store_body_byte(table: EventTable, h: History, signer: Signer) -> Problems:
    row = table.row(h.towns, 4)
    assert row.state is not None
    row.state["body"] = one_byte_changed(row.state["body"])
    table.rewrite(row)
    return {("body_hash", h.towns, 4)}


def store_author_name(table: EventTable, h: History, signer: Signer) -> Problems:
    row = table.row(h.towns, 4)
    assert row.payload["author"]["name"] == CAI
    row.payload["author"]["name"] = BO
    table.rewrite(row)
    # The next event's parent names the digest of the original payload.
    return {("bad_signature", h.towns, 4), ("chain_broken", h.towns, 5)}


def store_signed_at(table: EventTable, h: History, signer: Signer) -> Problems:
    row = table.row(h.towns, 4)
    row.payload["signed_at"] = later(row.payload["signed_at"], microseconds=1)  # still in order
    table.rewrite(row)
    return {("bad_signature", h.towns, 4), ("chain_broken", h.towns, 5)}


def store_event_deleted(table: EventTable, h: History, signer: Signer) -> Problems:
    table.delete(table.row(h.towns, 4).position)
    return {("chain_gap", h.towns, 5)}


def store_events_reordered(table: EventTable, h: History, signer: Signer) -> Problems:
    table.swap_positions(table.row(h.towns, 4).position, table.row(h.towns, 5).position)
    # Version 5 now follows 3; version 4 follows 5, and was signed before it.
    return {("chain_gap", h.towns, 5), ("chain_gap", h.towns, 4), ("time_order", h.towns, 4)}


def store_versions_swapped(table: EventTable, h: History, signer: Signer) -> Problems:
    table.swap_versions(table.row(h.towns, 4).position, table.row(h.towns, 5).position)
    # The signed chain is still in order; the rows' versions contradict their payloads.
    return {("envelope", h.towns, 4), ("envelope", h.towns, 5)}


def store_copy_as_new_version(table: EventTable, h: History, signer: Signer) -> Problems:
    last = table.last(h.towns)
    assert last.state is not None
    state = copy.deepcopy(last.state)
    state["payload"]["version"] = last.version + 1
    state["payload"]["parent"] = payload_digest(last.payload)
    table.insert(h.towns, last.version + 1, last.topic, state)
    return {("bad_signature", h.towns, last.version + 1)}


def store_foreign_key(table: EventTable, h: History, signer: Signer) -> Problems:
    foreign = Signer.generate()
    last = table.last(h.towns)
    keyring = str(uuid.uuid4())
    published_at = later(max(row.payload["signed_at"] for row in table.rows()))
    table.insert(
        keyring,
        1,
        "wikiengine.keyring:Keyring.Started",
        self_published_key_state(foreign, keyring, published_at),
    )
    forged = signed_state(
        foreign,
        event_type="page.edited",
        aggregate_id=h.towns,
        version=last.version + 1,
        previous=last.payload,
        actor=actor(h.editor, BO),
        signed_at=later(published_at),
        data={"base_version": last.version, "merged": False},
        body="Forfalsket tekst\n",
    )
    table.insert(h.towns, last.version + 1, "wikiengine.pages:Page.Edited", forged)
    return {("unknown_key", keyring, 1), ("unknown_key", h.towns, last.version + 1)}


def store_state_garbage(table: EventTable, h: History, signer: Signer) -> Problems:
    table.write_raw(table.row(h.towns, 4).position, b"\x00 not zlib \xff")
    return {("damaged", h.towns, 4), ("chain_gap", h.towns, 5)}


def store_state_null(table: EventTable, h: History, signer: Signer) -> Problems:
    table.write_raw(table.row(h.towns, 4).position, None)
    return {("damaged", h.towns, 4), ("chain_gap", h.towns, 5)}


def store_state_text(table: EventTable, h: History, signer: Signer) -> Problems:
    """SQLite keeps a text value as text; PostgreSQL turns it into bytes."""
    table.write_raw(table.row(h.towns, 4).position, "garbage")
    return {("damaged", h.towns, 4), ("chain_gap", h.towns, 5)}


def store_tagged_value_in_payload(table: EventTable, h: History, signer: Signer) -> Problems:
    """A value tagged the way the store's own transcoder tags a datetime."""
    row = table.row(h.towns, 4)
    row.payload["summary"] = {"_type_": "datetime_iso", "_data_": "2020-01-01T00:00:00+00:00"}
    table.rewrite(row)
    return {("bad_signature", h.towns, 4), ("chain_broken", h.towns, 5)}


def store_tagged_signature(table: EventTable, h: History, signer: Signer) -> Problems:
    row = table.row(h.towns, 4)
    assert row.state is not None
    row.state["signature"] = {"_type_": "uuid_hex", "_data_": "0" * 32}
    table.rewrite(row)
    return {("bad_signature", h.towns, 4)}


def store_suppression_data_not_an_object(table: EventTable, h: History, signer: Signer) -> Problems:
    row = table.row(h.harbour, 7)
    assert row.payload["type"] == "page.revision_suppressed"
    row.payload["data"] = None
    table.rewrite(row)
    return {("malformed", h.harbour, 7)}


def store_insider_edit_by_unverified(table: EventTable, h: History, signer: Signer) -> Problems:
    """Someone with the server's key writes an edit the application would have refused."""
    last = table.last(h.towns)
    forged = signed_state(
        signer,
        event_type="page.edited",
        aggregate_id=h.towns,
        version=last.version + 1,
        previous=last.payload,
        actor=actor(h.dina, DINA, "none"),
        signed_at=later(max(row.payload["signed_at"] for row in table.rows())),
        data={"base_version": last.version, "merged": False},
        body="Dinas tekst\n",
    )
    table.insert(h.towns, last.version + 1, "wikiengine.pages:Page.Edited", forged)
    return {("author_not_verified", h.towns, last.version + 1)}


def store_insider_other_name(table: EventTable, h: History, signer: Signer) -> Problems:
    """The last event re-signed with the server's key, naming someone else than the author."""
    last = table.last(h.towns)
    assert last.state is not None and last.payload["author"]["name"] == BO
    last.payload["author"]["name"] = "Bo Ø. Jensen"
    last.state["signature"] = signer.sign(last.payload)
    table.rewrite(last)
    return {("author_name", h.towns, last.version)}


STORE_TAMPERS: list[StoreTamper] = [
    store_body_byte,
    store_author_name,
    store_signed_at,
    store_event_deleted,
    store_events_reordered,
    store_versions_swapped,
    store_copy_as_new_version,
    store_foreign_key,
    store_state_garbage,
    store_state_null,
    store_state_text,
    store_tagged_value_in_payload,
    store_tagged_signature,
    store_suppression_data_not_an_object,
    store_insider_edit_by_unverified,
    store_insider_other_name,
]


@pytest.mark.parametrize("tamper", STORE_TAMPERS, ids=lambda tamper: tamper.__name__)
def test_tampered_store_is_reported(
    history: History, wiki: Wiki, settings: Settings, cli: Cli, tamper: StoreTamper
) -> None:
    expected = tamper(EventTable(settings, wiki), history, wiki.signer)

    status, report = verify_json(cli)

    assert status == 1
    assert report["ok"] is False
    assert problems(report) == expected


def test_suppressed_text_stays_out_of_the_export_when_rows_are_mislabelled(
    history: History, wiki: Wiki, settings: Settings, cli: Cli, tmp_path: Path
) -> None:
    """The row of the suppressed revision 3 claims to be version 4 (and 4's row claims 3)."""
    table = EventTable(settings, wiki)
    table.swap_versions(
        table.row(history.harbour, 3).position, table.row(history.harbour, 4).position
    )
    export = tmp_path / "export.jsonl"

    assert cli("export", str(export))[0] == 0
    status, report = verify_json(cli)

    assert SECRET_DIGITS not in export.read_text(encoding="utf-8")
    assert status == 1
    # The live check reads every text (only the export redacts): the labels are what is wrong.
    assert problems(report) == {
        ("envelope", history.harbour, 3),
        ("envelope", history.harbour, 4),
    }


def test_suppressed_text_stays_out_of_the_export_when_the_suppression_is_mislabelled(
    history: History, wiki: Wiki, settings: Settings, cli: Cli, tmp_path: Path
) -> None:
    """The suppression event's row names another aggregate than its signed payload."""
    table = EventTable(settings, wiki)
    elsewhere = str(uuid.uuid4())
    table.relabel(table.row(history.harbour, 7).position, elsewhere)
    export = tmp_path / "export.jsonl"

    assert cli("export", str(export))[0] == 0
    status, report = verify_json(cli)

    assert SECRET_DIGITS not in export.read_text(encoding="utf-8")
    assert status == 1
    assert problems(report) == {("envelope", elsewhere, 7)}


def test_damaged_keyring_event_is_reported_not_raised(
    history: History, wiki: Wiki, settings: Settings, cli: Cli
) -> None:
    table = EventTable(settings, wiki)
    keyring = table.rows()[0]
    assert keyring.payload["type"] == "key.published"
    table.write_raw(keyring.position, b"garbage")

    status, report = verify_json(cli)

    assert status == 1
    assert ("damaged", keyring.aggregate_id, 1) in problems(report)


def test_verifying_the_store_never_writes_to_it(
    history: History, wiki: Wiki, settings: Settings, cli: Cli
) -> None:
    table = EventTable(settings, wiki)
    table.delete(table.rows()[0].position)
    before = table.rows()

    verify_json(cli)

    assert table.rows() == before


# ------------------------------------------------------------------ exports


@pytest.fixture
def exported(history: History, cli: Cli, tmp_path: Path) -> tuple[Path, Path]:
    """The export of `history` and the public keys an auditor pins (`keys show`)."""
    export = tmp_path / "export.jsonl"
    keys = tmp_path / "keys.json"
    status, _ = cli("export", str(export))
    assert status == 0
    status, document = cli("keys", "show")
    assert status == 0
    keys.write_text(document, encoding="utf-8")
    return export, keys


def verify_export(cli: Cli, exported: tuple[Path, Path], *argv: str) -> tuple[int, dict[str, Any]]:
    export, keys = exported
    return verify_json(cli, "--export", str(export), "--keys", str(keys), *argv)


def test_untouched_export_verifies_clean(exported: tuple[Path, Path], cli: Cli) -> None:
    status, report = verify_export(cli, exported)

    assert (status, report["problems"]) == (0, [])
    assert report["events_checked"] == len(ExportFile(exported[0]).lines)


def test_export_verification_needs_pinned_keys(exported: tuple[Path, Path], cli: Cli) -> None:
    status, _ = cli("verify", "--export", str(exported[0]))

    assert status == 2


ExportTamper = Callable[[ExportFile, History, Signer], Problems]


def export_body_byte(export: ExportFile, h: History, signer: Signer) -> Problems:
    line = export.line(h.towns, 4)
    line["body"] = one_byte_changed(line["body"])
    return {("body_hash", h.towns, 4)}


def export_author_name(export: ExportFile, h: History, signer: Signer) -> Problems:
    export.line(h.towns, 4)["payload"]["author"]["name"] = BO
    return {("bad_signature", h.towns, 4), ("chain_broken", h.towns, 5)}


def export_signed_at(export: ExportFile, h: History, signer: Signer) -> Problems:
    payload = export.line(h.towns, 4)["payload"]
    payload["signed_at"] = later(payload["signed_at"], microseconds=1)
    return {("bad_signature", h.towns, 4), ("chain_broken", h.towns, 5)}


def export_line_deleted(export: ExportFile, h: History, signer: Signer) -> Problems:
    del export.lines[export.index(h.towns, 4)]
    return {("chain_gap", h.towns, 5)}


def export_lines_swapped(export: ExportFile, h: History, signer: Signer) -> Problems:
    first, second = export.index(h.towns, 4), export.index(h.towns, 5)
    assert second == first + 1
    export.lines[first], export.lines[second] = export.lines[second], export.lines[first]
    return {
        ("order", h.towns, 4),
        ("chain_gap", h.towns, 5),
        ("chain_gap", h.towns, 4),
        ("time_order", h.towns, 4),
    }


def export_line_duplicated(export: ExportFile, h: History, signer: Signer) -> Problems:
    index = export.index(h.towns, 4)
    export.lines.insert(index + 1, copy.deepcopy(export.lines[index]))
    return {("order", h.towns, 4), ("chain_gap", h.towns, 4)}


def export_copy_as_new_version(export: ExportFile, h: History, signer: Signer) -> Problems:
    last = export.last(h.towns)
    assert last is not None
    line = copy.deepcopy(last)
    line["version"] = line["payload"]["version"] = last["version"] + 1
    line["payload"]["parent"] = payload_digest(last["payload"])
    line["position"] = max(other["position"] for other in export.lines if isinstance(other, dict))
    line["position"] += 1
    export.lines.append(line)
    return {("bad_signature", h.towns, last["version"] + 1)}


def export_foreign_key(export: ExportFile, h: History, signer: Signer) -> Problems:
    foreign = Signer.generate()
    keyring = str(uuid.uuid4())
    export.append_state(self_published_key_state(foreign, keyring, export.next_signed_at()))
    forged = export.append_signed(
        foreign,
        "page.edited",
        h.towns,
        actor(h.editor, BO),
        {"base_version": 6, "merged": False},
        body="Forfalsket tekst\n",
    )
    return {("unknown_key", keyring, 1), ("unknown_key", h.towns, forged["version"])}


def export_resigned_with_foreign_key(export: ExportFile, h: History, signer: Signer) -> Problems:
    foreign = Signer.generate()
    line = export.line(h.towns, 4)
    line["kid"] = line["payload"]["kid"] = foreign.kid
    line["signature"] = foreign.sign(line["payload"])
    return {("unknown_key", h.towns, 4), ("chain_broken", h.towns, 5)}


def export_line_not_json(export: ExportFile, h: History, signer: Signer) -> Problems:
    index = export.index(h.towns, 4)
    export.lines[index] = json.dumps(export.lines[index])[:60]  # cut off mid-line
    # An unreadable line has no position; it is reported once, as damaged.
    return {("damaged", None, None), ("chain_gap", h.towns, 5)}


def export_line_not_an_object(export: ExportFile, h: History, signer: Signer) -> Problems:
    export.lines[export.index(h.towns, 4)] = '["page.edited", 4]'
    return {("damaged", None, None), ("chain_gap", h.towns, 5)}


def export_redacted_without_suppression(export: ExportFile, h: History, signer: Signer) -> Problems:
    line = export.line(h.towns, 4)
    del line["body"]
    line["redacted_body_sha256"] = line["payload"]["data"]["body_sha256"]
    return {("unjustified_redaction", h.towns, 4)}


def export_redacted_digest_changed(export: ExportFile, h: History, signer: Signer) -> Problems:
    line = export.line(h.harbour, 3)
    line["redacted_body_sha256"] = sha256_hex("Noget andet\n")
    return {("body_hash", h.harbour, 3)}


def export_body_missing(export: ExportFile, h: History, signer: Signer) -> Problems:
    del export.line(h.towns, 4)["body"]
    return {("body_missing", h.towns, 4)}


def export_envelope_changed(export: ExportFile, h: History, signer: Signer) -> Problems:
    export.line(h.towns, 4)["type"] = "page.renamed"
    return {("envelope", h.towns, 4)}


EXPORT_TAMPERS: list[ExportTamper] = [
    export_body_byte,
    export_author_name,
    export_signed_at,
    export_line_deleted,
    export_lines_swapped,
    export_line_duplicated,
    export_copy_as_new_version,
    export_foreign_key,
    export_resigned_with_foreign_key,
    export_line_not_json,
    export_line_not_an_object,
    export_redacted_without_suppression,
    export_redacted_digest_changed,
    export_body_missing,
    export_envelope_changed,
]


@pytest.mark.parametrize("tamper", EXPORT_TAMPERS, ids=lambda tamper: tamper.__name__)
def test_tampered_export_is_reported(
    history: History, exported: tuple[Path, Path], wiki: Wiki, cli: Cli, tamper: ExportTamper
) -> None:
    export = ExportFile(exported[0])
    expected = tamper(export, history, wiki.signer)
    export.save()

    status, report = verify_export(cli, exported)

    assert status == 1
    assert report["ok"] is False
    assert problems(report) == expected


@pytest.mark.parametrize("garbage", [b"\xff\xfe not utf-8", b"[" * 100_000], ids=["utf8", "deep"])
def test_unreadable_export_line_is_reported_not_raised(
    exported: tuple[Path, Path], cli: Cli, garbage: bytes
) -> None:
    with exported[0].open("ab") as file:
        file.write(garbage + b"\n")

    status, report = verify_export(cli, exported)

    assert status == 1
    assert "damaged" in {problem["kind"] for problem in report["problems"]}


def test_without_pinned_keys_only_the_first_self_published_key_is_trusted(
    history: History, exported: tuple[Path, Path], wiki: Wiki, cli: Cli
) -> None:
    """Trust on first use: the keyring's own first event, never a key published later."""
    exported[1].write_text('{"keys": []}', encoding="utf-8")
    status, report = verify_export(cli, exported)
    assert (status, report["problems"]) == (0, [])
    export = ExportFile(exported[0])
    expected = export_foreign_key(export, history, wiki.signer)
    export.save()

    status, report = verify_export(cli, exported)

    assert status == 1
    assert problems(report) == expected


# ------------------------------------------------------------------ who may do what


def edit(export: ExportFile, signer: Signer, page: str, by: Actor, text: str) -> dict[str, Any]:
    last = export.last(page)
    assert last is not None
    data = {"base_version": last["version"], "merged": False}
    return export.append_signed(signer, "page.edited", page, by, data, body=text)


def edit_before_verification(export: ExportFile, h: History, signer: Signer) -> Problems:
    early = edit(export, signer, h.towns, actor(h.dina, DINA, "none"), "Dinas første tekst\n")
    export.append_signed(
        signer,
        "author.identity_verified",
        h.dina,
        actor(h.admin, ANNA, "operator"),
        {"method": "admin"},
    )
    edit(export, signer, h.towns, actor(h.dina, DINA), "Dinas anden tekst\n")
    return {("author_not_verified", h.towns, early["version"])}


def edit_while_blocked(export: ExportFile, h: History, signer: Signer) -> Problems:
    anna = actor(h.admin, ANNA, "operator")
    export.append_signed(signer, "author.blocked", h.cai, anna, {})
    during = edit(export, signer, h.towns, actor(h.cai, CAI), "Cais spam\n")
    export.append_signed(signer, "author.unblocked", h.cai, anna, {})
    edit(export, signer, h.towns, actor(h.cai, CAI), "Cais rettelse\n")
    return {("author_blocked", h.towns, during["version"])}


def edit_under_a_former_name(export: ExportFile, h: History, signer: Signer) -> Problems:
    line = edit(export, signer, h.towns, actor(h.cai, CAI_BEFORE), "Cais tekst\n")
    return {("author_name", h.towns, line["version"])}


def edit_by_an_unregistered_author(export: ExportFile, h: History, signer: Signer) -> Problems:
    line = edit(export, signer, h.towns, actor(uuid.uuid4(), "Ingen Ved"), "Hvem?\n")
    return {("author_unknown", h.towns, line["version"])}


def protected_page_edited_by_an_editor(export: ExportFile, h: History, signer: Signer) -> Problems:
    line = edit(export, signer, h.harbour, actor(h.editor, BO), "Bos tekst\n")
    return {("protected", h.harbour, line["version"])}


def page_protected_by_an_editor(export: ExportFile, h: History, signer: Signer) -> Problems:
    line = export.append_signed(signer, "page.protected", h.towns, actor(h.editor, BO), {})
    return {("not_authorised", h.towns, line["version"])}


def admin_act_while_blocked(export: ExportFile, h: History, signer: Signer) -> Problems:
    """Bo is made an administrator, blocked, and then still blocks someone."""
    operator = Actor(id="operator", name="Server operator (CLI)", verification="operator")
    export.append_signed(
        signer, "author.role_granted", h.editor, operator, {"role": "administrator"}
    )
    export.append_signed(signer, "author.blocked", h.editor, actor(h.admin, ANNA, "operator"), {})
    line = export.append_signed(signer, "author.blocked", h.cai, actor(h.editor, BO), {})
    return {("not_authorised", str(h.cai), line["version"])}


AUTHORITY_BREAKS: list[ExportTamper] = [
    edit_before_verification,
    edit_while_blocked,
    edit_under_a_former_name,
    edit_by_an_unregistered_author,
    protected_page_edited_by_an_editor,
    page_protected_by_an_editor,
    admin_act_while_blocked,
]


@pytest.mark.parametrize("break_rule", AUTHORITY_BREAKS, ids=lambda rule: rule.__name__)
def test_change_by_someone_not_allowed_at_the_time_is_reported(
    history: History, exported: tuple[Path, Path], wiki: Wiki, cli: Cli, break_rule: ExportTamper
) -> None:
    """Signed with the server's own key and correctly chained: only the authority rule breaks."""
    export = ExportFile(exported[0])
    expected = break_rule(export, history, wiki.signer)
    export.save()

    status, report = verify_export(cli, exported)

    assert status == 1
    assert problems(report) == expected


def test_correctly_signed_appended_events_verify_clean(
    history: History, exported: tuple[Path, Path], wiki: Wiki, cli: Cli
) -> None:
    """The control for the tests above: appending the way the wiki would is no problem."""
    export = ExportFile(exported[0])
    edit(export, wiki.signer, history.towns, actor(history.cai, CAI), "Cais nye tekst\n")
    edit(export, wiki.signer, history.harbour, actor(history.admin, ANNA, "operator"), "Annas\n")
    export.save()

    status, report = verify_export(cli, exported)

    assert (status, report["problems"]) == (0, [])


# ------------------------------------------------------------------ suppression


def test_suppressed_text_never_reaches_the_export_which_still_verifies(
    history: History, exported: tuple[Path, Path], cli: Cli
) -> None:
    text = exported[0].read_text(encoding="utf-8")
    export = ExportFile(exported[0])
    suppressed = export.line(history.harbour, 3)

    assert "body" not in suppressed
    assert suppressed["redacted_body_sha256"] == sha256_hex(SECRET)
    assert suppressed["payload"]["data"]["body_sha256"] == sha256_hex(SECRET)
    assert SECRET_DIGITS not in text
    assert export.line(history.harbour, 2)["body"] == "Anden udgave\n"
    assert export.line(history.harbour, 4)["body"] == "Fjerde udgave\n"
    status, report = verify_export(cli, exported)
    assert (status, report["problems"]) == (0, [])


# ------------------------------------------------------------------ the parallel path


@pytest.fixture
def drains(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Counts chunks whose seals worker processes computed (the parallel path)."""
    counted: list[int] = []
    original = verify._drain

    def counting(verifier: verify.Verifier, results: Any) -> None:
        counted.append(len(results.result()))
        original(verifier, results)

    monkeypatch.setattr(verify, "_drain", counting)
    yield counted


def test_parallel_path_reports_what_the_serial_path_reports(
    history: History,
    exported: tuple[Path, Path],
    wiki: Wiki,
    cli: Cli,
    drains: list[int],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Many breaks in one small export, with worker processes forced on by a low threshold."""
    export = ExportFile(exported[0])
    expected = (
        export_body_byte(export, history, wiki.signer)
        | export_redacted_digest_changed(export, history, wiki.signer)
        | export_foreign_key(export, history, wiki.signer)
        | edit_under_a_former_name(export, history, wiki.signer)
    )
    index = export.index(history.harbour, 2)
    export.lines[index] = "not json"
    expected |= {("damaged", None, None), ("chain_gap", history.harbour, 3)}
    # A payload no verifier can use as a key id: workers must report it, not crash.
    export.line(history.harbour, 6)["payload"]["kid"] = ["not", "a", "kid"]
    expected |= {("malformed", history.harbour, 6), ("chain_gap", history.harbour, 7)}
    export.save()
    monkeypatch.setattr(verify, "PARALLEL_THRESHOLD", 8)
    monkeypatch.setattr(verify, "CHUNK", 4)

    serial_status, serial = verify_export(cli, exported, "--jobs", "1")
    assert drains == []
    parallel_status, parallel = verify_export(cli, exported, "--jobs", "2")

    assert sum(drains) == len(export.lines)
    assert (serial_status, parallel_status) == (1, 1)
    assert parallel == serial
    assert problems(serial) == expected


def build_large_history(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, events: int, threads: int
) -> None:
    """`events` events, nearly all edits by four authors on eight pages.

    Each of `threads` threads edits pages of its own: PostgreSQL's round trips overlap.
    """
    authors = [admin, editor]
    for name in ("Cai Sørensen", "Dina Ibsen"):
        authors.append(wiki.register_author(name))
        wiki.verify_author(admin, authors[-1])
    titles = [f"Side {number}" for number in range(8)]
    for number, title in enumerate(titles):
        wiki.save_page(authors[number % 4], title, f"{title}\n")
    edits = events - (wiki.recorder.max_notification_id() or 0)

    def edit_pages(thread: int) -> None:
        mine = titles[thread::threads]
        versions = dict.fromkeys(mine, 1)
        for number in range(edits // threads + (thread < edits % threads)):
            title = mine[number % len(mine)]
            text = f"{title}, revision {number}\nSkrevet af tråd {thread}.\n"
            author = authors[number % len(authors)]
            versions[title] = wiki.save_page(author, title, text, "", versions[title]).version

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(edit_pages, range(threads)))
    assert wiki.recorder.max_notification_id() == events


@pytest.mark.slow
def test_ten_thousand_events_verify_clean_serially_and_in_parallel(
    wiki: Wiki,
    admin: uuid.UUID,
    editor: uuid.UUID,
    settings: Settings,
    cli: Cli,
    drains: list[int],
    tmp_path: Path,
) -> None:
    build_large_history(wiki, admin, editor, 10_000, threads=4 if settings.is_postgres else 1)
    fresh = open_wiki(settings)
    try:
        parallel = _verify_store(fresh, jobs=2)  # the live store, seals from worker processes
    finally:
        fresh.close()
    export = tmp_path / "export.jsonl"
    keys = tmp_path / "keys.json"
    assert cli("export", str(export))[0] == 0
    keys.write_text(cli("keys", "show")[1], encoding="utf-8")
    lines = ExportFile(export)
    events = [line for line in lines.lines if isinstance(line, dict)]

    assert sum(drains) == 10_000
    # The same lines checked in this process alone (what `_verify_store(wiki, 1)` does).
    serial = verify.verify_lines(events, [wiki.signer.public], verify.published_keys_in(events), 1)
    assert sum(drains) == 10_000
    assert serial.ok, serial.problems[:5]
    assert serial.events_checked == 10_000
    assert parallel == serial

    target = events[7000]
    target["body"] = one_byte_changed(target["body"])
    lines.save()
    drains.clear()

    status, report = verify_export(cli, (export, keys), "--jobs", "2")

    assert sum(drains) == 10_000
    assert status == 1
    assert report["problems"] == [
        {
            "position": target["position"],
            "aggregate_id": target["aggregate_id"],
            "version": target["version"],
            "kind": "body_hash",
            "message": "the text does not match its signed SHA-256",
        }
    ]
