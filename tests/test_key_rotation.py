"""Signing-key rotation (`wikiengine keys rotate`), on SQLite and PostgreSQL: the new key is
published in an event signed by the old one, the wiki then signs with it, and exports
from before and after verify for an auditor who pinned only the first key."""

import json
import re
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from starlette.testclient import TestClient

from storage.eventlog import export_log
from storage.eventstore import eventstore_env, open_wiki, projector_lock
from tests.tamper import ExportFile
from tests.web import sign_in
from web.app import create_app
from web.mail import FileMailer
from web.site import Site, open_site
from wikiengine.attribution import OPERATOR, Actor
from wikiengine.cli import main
from wikiengine.config import KEYS, Settings, load_settings
from wikiengine.errors import Forbidden
from wikiengine.keyring import KEYRING_ID
from wikiengine.signing import Signer
from wikiengine.verify import line_from_export, load_keys, verify_lines

ADMIN = "Anna Ærø"
Cli = Callable[..., tuple[int, str, str]]


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Cli:
    """Run `wikiengine ...` on the test's store: (exit status, standard output, standard error)."""
    for key in KEYS:
        monkeypatch.delenv(f"WIKI_{key}", raising=False)
    monkeypatch.setenv("WIKI_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("WIKI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WIKI_ADMIN_PASSWORD", "rigtig-hest-batteri")

    def run(*argv: str) -> tuple[int, str, str]:
        capsys.readouterr()
        status = main(list(argv))
        captured = capsys.readouterr()
        return status, captured.out, captured.err

    return run


@pytest.fixture
def admin(cli: Cli) -> uuid.UUID:
    """An administrator made by `wikiengine admin create` (the store's first events)."""
    status, out, _ = cli("admin", "create", "--name", ADMIN, "--email", "anna@kommune.dk")
    assert status == 0
    found = re.search(r"\(author ([0-9a-f-]+)\)", out)
    assert found is not None
    return uuid.UUID(found.group(1))


@pytest.fixture
def pinned(cli: Cli, admin: uuid.UUID, settings: Settings, tmp_path: Path) -> Path:
    """The keys document an auditor pinned before any rotation: the first key only. The
    wiki has a page by then."""
    edit(settings, admin, "Vandværk", "Første udgave.\n", None)
    status, document, _ = cli("keys", "show")
    assert status == 0
    assert len(json.loads(document)["keys"]) == 1
    path = tmp_path / "first-key.json"
    path.write_text(document, encoding="utf-8")
    return path


def edit(
    settings: Settings, admin: uuid.UUID, title: str, body: str, base_version: int | None
) -> None:
    """An edit through a freshly opened wiki, as a (re)started server makes it."""
    wiki = open_wiki(settings)
    try:
        wiki.save_page(admin, title, body, "Redigeret", base_version)
    finally:
        wiki.close()


def export(cli: Cli, tmp_path: Path, name: str) -> Path:
    path = tmp_path / name
    assert cli("export", str(path))[0] == 0
    return path


def verify_export(cli: Cli, export_file: Path, keys: Path) -> tuple[int, dict[str, Any]]:
    status, out, _ = cli("verify", "--export", str(export_file), "--keys", str(keys), "--json")
    return status, json.loads(out)


def lines_of(export_file: Path) -> list[dict[str, Any]]:
    return [json.loads(text) for text in export_file.read_text(encoding="utf-8").splitlines()]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def stray_files(settings: Settings) -> list[str]:
    """Temporary key files a rotation may have left behind."""
    return sorted(p.name for p in settings.signing_key_file.parent.glob(".signing-key.pem*"))


def test_rotation_publishes_the_new_key_under_the_old_one_and_signs_with_it(
    cli: Cli, settings: Settings, admin: uuid.UUID, pinned: Path, tmp_path: Path
) -> None:
    key_file = settings.signing_key_file
    old = Signer.load(key_file)
    before = export(cli, tmp_path, "before.jsonl")

    status, out, err = cli("keys", "rotate")

    assert status == 0, err
    new = Signer.load(key_file)
    assert new.kid != old.kid
    assert new.predecessors == (old.public,)  # the key file keeps the first key's public half
    document = json.loads(out)
    assert [key["kid"] for key in document["keys"]] == [old.kid, new.kid]
    assert load_keys(document)[1] == new.public
    assert new.kid in err and old.kid in err
    assert mode(key_file) == 0o600
    assert stray_files(settings) == []  # the old private key is not kept anywhere

    edit(settings, admin, "Vandværk", "Anden udgave.\n", 1)  # a restarted server
    after = export(cli, tmp_path, "after.jsonl")

    lines = lines_of(after)
    published = [line for line in lines if line["type"] == "key.published"]
    assert [(line["version"], line["kid"]) for line in published] == [(1, old.kid), (2, old.kid)]
    assert published[1]["payload"]["data"]["new_kid"] == new.kid
    assert published[1]["payload"]["author"]["id"] == OPERATOR.id
    edits = [line for line in lines if line["type"] in ("page.created", "page.edited")]
    assert [(line["version"], line["kid"]) for line in edits] == [(1, old.kid), (2, new.kid)]
    assert verify_export(cli, before, pinned) == (
        0,
        {"ok": True, "events_checked": len(lines_of(before)), "problems": []},
    )
    assert verify_export(cli, after, pinned) == (
        0,
        {"ok": True, "events_checked": len(lines), "problems": []},
    )
    full = tmp_path / "keys.json"
    full.write_text(out, encoding="utf-8")
    assert verify_export(cli, after, full)[0] == 0
    assert cli("verify")[0] == 0  # the live store, trusting the key file's keys


def test_a_suppression_after_rotation_verifies_with_the_first_key(
    cli: Cli, settings: Settings, admin: uuid.UUID, pinned: Path, tmp_path: Path
) -> None:
    secret = "Bo Østergaards CPR-nummer er 010203-4321\n"
    edit(settings, admin, "Vandværk", secret, 1)
    assert cli("keys", "rotate")[0] == 0
    edit(settings, admin, "Vandværk", "Uden nummer.\n", 2)
    wiki = open_wiki(settings)
    try:
        page_id = str(wiki.page_by_title("Vandværk").id)
        wiki.suppress_revision(admin, "Vandværk", 2, "Personoplysninger")
        new_kid = wiki.signer.kid
    finally:
        wiki.close()

    exported = export(cli, tmp_path, "wiki.jsonl")

    assert "010203-4321" not in exported.read_text(encoding="utf-8")
    lines = [line for line in lines_of(exported) if line["aggregate_id"] == page_id]
    assert [(line["type"], line["kid"] == new_kid) for line in lines] == [
        ("page.created", False),
        ("page.edited", False),
        ("page.edited", True),
        ("page.revision_suppressed", True),
    ]
    assert "redacted_body_sha256" in lines[1]
    assert verify_export(cli, exported, pinned) == (
        0,
        {"ok": True, "events_checked": len(lines_of(exported)), "problems": []},
    )


def test_a_key_published_by_an_untrusted_key_is_a_problem(
    cli: Cli, settings: Settings, admin: uuid.UUID, pinned: Path, tmp_path: Path
) -> None:
    assert cli("keys", "rotate")[0] == 0
    forged = ExportFile(export(cli, tmp_path, "forged.jsonl"))
    stranger = Signer.generate()
    publication = forged.append_signed(
        stranger,
        "key.published",
        KEYRING_ID,
        OPERATOR,
        {
            "new_kid": stranger.kid,
            "public_key": stranger.public.public_key_b64,
            "alg": "Ed25519",
            "not_before": forged.next_signed_at(),
        },
    )
    page = next(line for line in forged.lines if isinstance(line, dict) and "body" in line)
    admin_actor = Actor(id=str(admin), name=ADMIN, verification="operator")
    edit_line = forged.append_signed(
        stranger,
        "page.edited",
        page["aggregate_id"],
        admin_actor,
        {"base_version": 1, "merged": False},
        body="Forfalsket af en fremmed nøgle.\n",
    )
    forged.save()

    status, report = verify_export(cli, forged.path, pinned)

    assert status == 1
    found = {(p["kind"], p["aggregate_id"], p["version"]) for p in report["problems"]}
    assert found == {
        ("unknown_key", str(KEYRING_ID), publication["version"]),
        ("unknown_key", page["aggregate_id"], edit_line["version"]),
    }


def test_rotation_is_refused_while_a_server_holds_the_store(
    cli: Cli, settings: Settings, pinned: Path
) -> None:
    key_file = settings.signing_key_file
    key_before = key_file.read_bytes()
    server = projector_lock(eventstore_env(settings.database_url))
    assert server.try_acquire()  # what a running server's projector holds
    try:
        status, out, err = cli("keys", "rotate")
    finally:
        server.release()

    assert status == 1
    assert out == ""
    assert "stop every server" in err
    assert key_file.read_bytes() == key_before
    assert sorted(p.name for p in key_file.parent.glob("signing-key.pem*")) == [key_file.name]
    assert stray_files(settings) == []
    assert json.loads(cli("keys", "show")[1]) == json.loads(pinned.read_text(encoding="utf-8"))
    assert cli("keys", "rotate")[0] == 0  # once the server is gone


def test_a_node_left_with_the_old_key_neither_starts_nor_hands_over(
    cli: Cli,
    settings: Settings,
    admin: uuid.UUID,  # the store and its key exist
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    key_file = settings.signing_key_file
    stale_node = tmp_path / "node-2-key.pem"
    stale_node.write_bytes(key_file.read_bytes())  # copied before the rotation
    assert cli("keys", "rotate")[0] == 0
    current = Signer.load(key_file)
    stale_settings = settings.model_copy(update={"signing_key_file": stale_node})

    with pytest.raises(Forbidden, match=f"replaced by key {current.kid}"):
        open_wiki(stale_settings)

    # A replaced key hands over nothing: else a stolen old key could publish its own.
    monkeypatch.setenv("WIKI_SIGNING_KEY_FILE", str(stale_node))
    status, _out, err = cli("keys", "rotate")
    assert status == 1 and f"Only the current signing key {current.kid}" in err


def test_a_replaced_key_signs_nothing_that_verifies(
    cli: Cli, settings: Settings, admin: uuid.UUID, pinned: Path, tmp_path: Path
) -> None:
    """Whoever stole the first key cannot write history after the rotation, nor hand the
    wiki to a key of their own."""
    old = Signer.load(settings.signing_key_file)
    assert cli("keys", "rotate")[0] == 0
    forged = ExportFile(export(cli, tmp_path, "forged.jsonl"))
    thief = Signer.generate()
    publication = forged.append_signed(
        old,
        "key.published",
        KEYRING_ID,
        OPERATOR,
        {
            "new_kid": thief.kid,
            "public_key": thief.public.public_key_b64,
            "alg": "Ed25519",
            "not_before": forged.next_signed_at(),
        },
    )
    page = next(line for line in forged.lines if isinstance(line, dict) and "body" in line)
    admin_actor = Actor(id=str(admin), name=ADMIN, verification="operator")
    edit_line = forged.append_signed(
        thief,
        "page.edited",
        page["aggregate_id"],
        admin_actor,
        {"base_version": 1, "merged": False},
        body="Skrevet med en stjålen nøgle.\n",
    )
    forged.save()

    status, report = verify_export(cli, forged.path, pinned)

    assert status == 1
    found = {(p["kind"], p["aggregate_id"], p["version"]) for p in report["problems"]}
    assert found == {
        ("retired_key", str(KEYRING_ID), publication["version"]),
        ("unknown_key", page["aggregate_id"], edit_line["version"]),
    }


@pytest.fixture
def site_after_rotation(
    cli: Cli, settings: Settings, pinned: Path, mail_dir: Path
) -> Iterator[Site]:
    """A server started after the rotation (with the new key file)."""
    assert cli("keys", "rotate")[0] == 0
    opened = open_site(
        settings,
        with_search=False,
        hasher=PasswordHasher.from_parameters(CHEAPEST),
        mailer=FileMailer(mail_dir),
    )
    yield opened
    opened.close()


def test_a_server_started_after_rotation_publishes_both_keys_and_verifies(
    site_after_rotation: Site, admin: uuid.UUID, pinned: Path
) -> None:
    site = site_after_rotation
    first_key = load_keys(json.loads(pinned.read_text(encoding="utf-8")))
    site.wiki.save_page(admin, "Vandværk", "Anden udgave.\n", "Rettet", 1)
    with TestClient(create_app(site)) as client:
        keys = client.get("/.well-known/wiki-signing-keys.json").json()
        with client.stream("GET", "/api/v1/export") as response:
            assert response.headers["content-type"] == "application/x-ndjson"
            served = [line for line in response.iter_lines() if line]
        sign_in(client, site, admin)
        integrity = client.get("/api/v1/admin/integrity").json()
        page = client.get("/admin/integrity").text
        assert served == list(export_log(site.wiki))  # as `wikiengine export` writes it

    new_kid = site.wiki.signer.kid
    assert [key["kid"] for key in keys["keys"]] == [first_key[0].kid, new_kid]
    report = verify_lines(
        enumerate((line.encode() for line in served), start=1), first_key, reader=line_from_export
    )
    assert (report.ok, report.events_checked) == (True, len(served))
    assert json.loads(served[-1])["kid"] == new_kid
    assert integrity["ok"] is True and integrity["problems"] == []
    assert f"<code>{first_key[0].kid}</code>" in page and "Afløst" in page
    assert f"<code>{new_kid}</code>" in page and "Signerer nu" in page


def test_the_key_file_keeps_the_keys_it_replaced(tmp_path: Path) -> None:
    first = Signer.generate()
    second = first.successor()
    third = second.successor()
    path = tmp_path / "signing-key.pem"

    third.save_new(path)
    loaded = Signer.load(path)

    assert loaded.kid == third.kid
    assert loaded.lineage == (first.public, second.public, third.public)
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_a_key_file_from_before_rotation_loads(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"
    first = Signer.generate().save_new(path)
    assert path.read_bytes().count(b"-----BEGIN") == 1

    assert Signer.load(path).lineage == (first.public,)


def test_a_key_file_with_two_private_keys_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "signing-key.pem"
    path.write_bytes(Signer.generate().pem() + Signer.generate().pem())

    with pytest.raises(ValueError, match="exactly one private key"):
        Signer.load(path)


def test_a_rotated_key_never_publishes_itself_into_a_store_without_a_keyring(
    cli: Cli, settings: Settings, admin: uuid.UUID, tmp_path: Path
) -> None:
    """A keyring deleted from the database must not be quietly replaced by one the newest
    key signs itself: the live check and auditors pin the first key."""
    assert cli("keys", "rotate")[0] == 0
    rotated = tmp_path / "rotated.pem"
    rotated.write_bytes(settings.signing_key_file.read_bytes())
    empty = load_settings(
        {"WIKI_DATA_DIR": str(tmp_path / "empty"), "WIKI_SIGNING_KEY_FILE": str(rotated)}
    )
    with pytest.raises(Forbidden, match="rotated key never publishes itself"):
        open_wiki(empty)
