"""A suppressed revision's text is gone from every public surface, on SQLite and PostgreSQL,
with a real search index: pages, old versions and time travel, diffs (HTML and JSON), the
revision resource, blame, history, credits, authors, recent changes and their feed, search
(HTML and JSON) and the export (HTTP and `wikiengine export`). Its author, time, summary
and digest stay visible, and the export still verifies, online and offline.
"""

import hashlib
import html
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from search.indexer import open_search_projector
from storage.eventstore import open_wiki
from tests.web import sign_in
from web.app import create_app
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.cli import main
from wikiengine.config import Settings
from wikiengine.errors import InvalidInput
from wikiengine.keyring import keys_document
from wikiengine.verify import line_from_export, load_keys, verify_lines

TITLE = "Borgerpanel i Vejle"
PAGE = "/wiki/Borgerpanel_i_Vejle"
API = "/api/v1/pages/Borgerpanel_i_Vejle"
SECRET = "Qzxvblorpsen"  # a word found nowhere else: the suppressed revision's personal data
STEM = SECRET[:7].lower()  # what a search snippet could cut it to
FIRST = "Vejle Kommune samler et borgerpanel.\n\nMødested: rådhuset.\n"
SECOND = f"{FIRST}\nKontakt: Jens {SECRET}, telefon 12 34 56 78.\n"
THIRD = f"{FIRST}\nKontakt: sekretariatet for borgerpanelet.\n"
SUMMARY = "Tilføjede kontaktperson"  # public, and stays public


@dataclass(frozen=True)
class Suppressed:
    """The page after the suppression: version 2 held the secret, 3 removed it, 4
    suppressed 2."""

    site: Site
    client: TestClient
    writer: uuid.UUID  # wrote version 2
    signed_at: str  # when version 2 was signed
    digest: str  # SHA-256 of version 2's text


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def hidden(response: httpx2.Response, status: int = 200) -> str:
    """The response's text, after checking its status and that the secret is not in it."""
    assert response.status_code == status, (response.request.url, response.text[:500])
    text = response.text
    assert SECRET.lower() not in text.lower(), response.request.url
    assert STEM not in text.lower(), response.request.url
    return text


def all_present(site: Site) -> None:
    site.views_current()
    assert site.search_projector is not None
    site.search_projector.wait(site.wiki.recorder.max_notification_id(), timeout=10.0)


@pytest.fixture
def suppressed(
    settings: Settings, site: Site, wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> Iterator[Suppressed]:
    writer = wiki.register_author("Cecilie Kontaktsen")
    wiki.verify_author(admin, writer)
    site.search_projector = open_search_projector(settings, wiki)
    with TestClient(create_app(site)) as client:
        wiki.save_page(editor, TITLE, FIRST, "Oprettet")
        wiki.save_page(writer, TITLE, SECOND, SUMMARY, 1)
        all_present(site)
        # The index and the pages had the word: its absence later is the suppression's work.
        assert client.get("/api/v1/search", params={"q": SECRET}).json()["total"] == 1
        assert SECRET in client.get(PAGE).text
        wiki.save_page(editor, TITLE, THIRD, "Fjernede telefonnummeret", 2)
        wiki.suppress_revision(admin, TITLE, 2, "Personoplysninger")
        all_present(site)
        [entry] = [
            revision
            for revision in client.get(f"{API}/revisions").json()["revisions"]
            if revision["version"] == 2
        ]
        yield Suppressed(site, client, writer, entry["signed_at"], sha256(SECOND))


# ---------------------------------------------------------------------- the page


def test_the_page_and_its_old_versions(suppressed: Suppressed) -> None:
    client = suppressed.client

    assert "sekretariatet for borgerpanelet" in hidden(client.get(PAGE))
    assert "sekretariatet" in hidden(client.get(API)).lower()
    hidden(client.get(PAGE, params={"version": "2"}), 410)
    for version in ("1", "3", "4"):
        hidden(client.get(PAGE, params={"version": version}))
    hidden(client.get(PAGE, params={"at": suppressed.signed_at}), 410)
    hidden(client.get(f"{API}/revisions/2"), 410)
    for number in (1, 3):
        hidden(client.get(f"{API}/revisions/{number}"))


def test_the_time_travel_after_the_suppressed_version_shows_the_next(
    suppressed: Suppressed,
) -> None:
    revisions = suppressed.client.get(f"{API}/revisions").json()["revisions"]
    [third] = [revision for revision in revisions if revision["version"] == 3]

    text = hidden(suppressed.client.get(PAGE, params={"at": third["signed_at"]}))

    assert "sekretariatet for borgerpanelet" in text


@pytest.mark.parametrize(("start", "end"), [(1, 2), (2, 3), (2, 4), (0, 2)])
def test_every_diff_with_the_suppressed_version_is_gone(
    suppressed: Suppressed, start: int, end: int
) -> None:
    client = suppressed.client
    query = {"from": str(start), "to": str(end)}

    hidden(client.get(f"{PAGE}/diff", params=query), 410)
    hidden(client.get(f"{PAGE}/diff", params={**query, "view": "inline"}), 410)
    hidden(client.get(f"{API}/diff", params=query), 410)


def test_diffs_around_the_suppressed_version_still_work(suppressed: Suppressed) -> None:
    client = suppressed.client

    for query in ({"from": "1", "to": "3"}, {}):
        hidden(client.get(f"{PAGE}/diff", params=query))
    unified = hidden(client.get(f"{API}/diff", params={"from": "1", "to": "3"})).lower()
    assert "+kontakt: sekretariatet" in unified


def test_blame_names_the_writer_but_not_the_text(suppressed: Suppressed) -> None:
    client = suppressed.client

    hidden(client.get(f"{PAGE}/blame"))
    lines = json.loads(hidden(client.get(f"{API}/blame")))["lines"]
    assert [line["text"] for line in lines] == THIRD.splitlines()


# ---------------------------------------------------------------------- what stays


def test_history_keeps_author_time_summary_and_digest(suppressed: Suppressed) -> None:
    client = suppressed.client

    html = hidden(client.get(f"{PAGE}/history"))
    assert "Cecilie Kontaktsen" in html and SUMMARY in html and suppressed.digest in html
    assert "(teksten er skjult)" in html

    revisions = json.loads(hidden(client.get(f"{API}/revisions")))["revisions"]
    [second] = [revision for revision in revisions if revision["version"] == 2]
    assert second["author"] == {"id": str(suppressed.writer), "name": "Cecilie Kontaktsen"}
    assert second["summary"] == SUMMARY and second["digest"] == suppressed.digest
    assert second["signed_at"] == suppressed.signed_at
    assert "body" not in second
    [fourth] = [revision for revision in revisions if revision["version"] == 4]
    assert fourth["summary"] == "Personoplysninger"


def test_credits_and_the_writers_profile(suppressed: Suppressed) -> None:
    client = suppressed.client

    assert "Cecilie Kontaktsen" in hidden(client.get(f"{PAGE}/credits"))
    contributors = json.loads(hidden(client.get(f"{API}/credits")))["contributors"]
    assert "Cecilie Kontaktsen" in {entry["author"]["name"] for entry in contributors}
    assert TITLE in hidden(client.get(f"/authors/{suppressed.writer}"))
    hidden(client.get(f"/api/v1/authors/{suppressed.writer}"))


def test_recent_changes_and_their_feed(suppressed: Suppressed) -> None:
    client = suppressed.client

    assert SUMMARY in hidden(client.get("/recent"))
    feed = hidden(client.get("/recent.atom"))
    assert SUMMARY in feed and "Cecilie Kontaktsen" in feed
    hidden(client.get("/api/v1/recent-changes"))
    for path in ("/", "/pages", f"{PAGE}/backlinks"):
        hidden(client.get(path))


def test_search_finds_nothing_of_it(suppressed: Suppressed) -> None:
    client = suppressed.client

    for typed in (SECRET, SECRET.lower(), "12 34 56 78", f"Jens {SECRET}"):
        found = json.loads(hidden(client.get("/api/v1/search", params={"q": typed})))
        assert found["total"] == 0, typed
        page = client.get("/search", params={"q": typed})
        # The page repeats what was typed (title, search box, "no hits for"): only that.
        echoed = page.text.replace(html.escape(typed), "")
        assert page.status_code == 200 and TITLE not in echoed
        assert SECRET.lower() not in echoed.lower() and STEM not in echoed.lower()
    assert client.get("/api/v1/search", params={"q": "sekretariatet"}).json()["total"] == 1


def test_an_editor_cannot_reach_it_through_the_forms(
    suppressed: Suppressed, editor: uuid.UUID
) -> None:
    client = suppressed.client
    sign_in(client, suppressed.site, editor)

    hidden(client.get(f"{PAGE}/revert", params={"to": "2"}), 410)
    hidden(client.get(f"{PAGE}/edit"))
    hidden(client.get(PAGE, params={"version": "2"}), 410)


# ---------------------------------------------------------------------- the export


def export_lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def assert_redacted(lines: list[dict[str, Any]], suppressed: Suppressed) -> None:
    [second] = [
        line
        for line in lines
        if line["type"] == "page.edited"
        and line["payload"]["author"]["id"] == str(suppressed.writer)
    ]
    assert "body" not in second
    assert second["redacted_body_sha256"] == suppressed.digest
    assert second["payload"]["data"]["body_sha256"] == suppressed.digest
    assert second["payload"]["summary"] == SUMMARY
    assert second["payload"]["author"]["name"] == "Cecilie Kontaktsen"
    bodies = {line.get("body") for line in lines if line["type"].startswith("page.")}
    assert {FIRST, THIRD} <= bodies


def test_the_http_export_carries_the_digest_and_verifies(suppressed: Suppressed) -> None:
    client = suppressed.client

    response = client.get("/api/v1/export")
    lines = export_lines(hidden(response))

    assert response.headers["content-type"].startswith("application/x-ndjson")
    assert_redacted(lines, suppressed)
    keys = client.get("/.well-known/wiki-signing-keys.json").json()
    report = verify_lines(lines, load_keys(keys))
    assert report.ok, report.problems
    assert report.events_checked == len(lines)


def test_the_command_line_export_verifies_offline(
    suppressed: Suppressed, cli_env: Settings, tmp_path: Path
) -> None:
    export, keys = tmp_path / "wiki.jsonl", tmp_path / "keys.json"
    keys.write_text(suppressed.client.get("/.well-known/wiki-signing-keys.json").text)

    assert main(["export", str(export)]) == 0

    text = export.read_text(encoding="utf-8")
    assert SECRET.lower() not in text.lower()
    assert_redacted(export_lines(text), suppressed)
    assert main(["verify", "--export", str(export), "--keys", str(keys)]) == 0
    numbered = enumerate(export.read_bytes().splitlines(keepends=True), start=1)
    trusted = load_keys(json.loads(keys.read_text()))
    assert verify_lines(numbered, trusted, reader=line_from_export).ok


def test_the_live_store_still_holds_and_checks_the_text(
    suppressed: Suppressed, cli_env: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    """The text is withheld, not destroyed: the live store's verifier checks it against its
    digest (docs/privacy.md says so, and why backups hold it)."""
    assert main(["verify"]) == 0
    assert "intact" in capsys.readouterr().out
    page = suppressed.site.wiki.page_by_title(TITLE)
    assert page.suppressed == [2]


# ---------------------------------------------------------------------- the rule


def test_the_current_text_cannot_be_suppressed(suppressed: Suppressed, admin: uuid.UUID) -> None:
    wiki = suppressed.site.wiki
    before = wiki.recorder.max_notification_id()

    for version in (3, 4):  # the current text, and the suppression itself
        with pytest.raises(InvalidInput):
            wiki.suppress_revision(admin, TITLE, version, "Personoplysninger")
    assert wiki.suppress_revision(admin, TITLE, 2, "igen") is None  # once is enough

    assert wiki.recorder.max_notification_id() == before
    assert wiki.page_by_title(TITLE).suppressed == [2]


# ---------------------------------------------------------------------- and a new key


def test_the_export_verifies_after_suppression_and_a_key_rotation(
    cli_env: Settings, wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, tmp_path: Path
) -> None:
    """An auditor pinned only the first key: a suppression signed by it, the rotation, and
    an edit and a suppression signed by the new key all verify, and no secret leaks."""
    later_secret = "Wrumpelhoff"
    wiki.save_page(editor, TITLE, FIRST, "Oprettet")
    wiki.save_page(editor, TITLE, SECOND, SUMMARY, 1)
    wiki.save_page(editor, TITLE, THIRD, "Fjernede telefonnummeret", 2)
    wiki.suppress_revision(admin, TITLE, 2, "Personoplysninger")
    pinned = tmp_path / "keys.json"
    first_key = wiki.signer.kid
    pinned.write_text(json.dumps(keys_document(wiki.published_keys())))

    assert main(["keys", "rotate"]) == 0

    with open_wiki(cli_env) as rotated:
        assert rotated.signer.kid != first_key
        rotated.save_page(editor, TITLE, f"{THIRD}\nNy kontakt: {later_secret}.\n", "Kontakt", 4)
        rotated.save_page(editor, TITLE, THIRD, "Fjernede kontakten", 5)
        rotated.suppress_revision(admin, TITLE, 5, "Personoplysninger")
    export = tmp_path / "wiki.jsonl"
    assert main(["export", str(export)]) == 0

    text = export.read_text(encoding="utf-8")
    assert SECRET not in text and later_secret not in text
    lines = export_lines(text)
    kids = [line["kid"] for line in lines]
    assert set(kids) == {first_key, kids[-1]} and kids[-1] != first_key  # both keys signed
    assert [line["version"] for line in lines if "redacted_body_sha256" in line] == [2, 5]
    assert len(json.loads(pinned.read_text())["keys"]) == 1
    assert main(["verify", "--export", str(export), "--keys", str(pinned)]) == 0
