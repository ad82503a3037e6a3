"""The integrity check for administrators (`/admin/integrity`, `GET /api/v1/admin/integrity`):
the verifier over the live store, its verdict on a healthy and a tampered store, who may
see it, and one check at a time per process; on SQLite and PostgreSQL."""

import threading
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from eventsourcing.persistence import MapperDeserialisationError
from starlette.testclient import TestClient

from tests.tamper import EventTable, one_byte_changed
from tests.web import sign_in
from web import integrity
from web.app import create_app
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.config import Settings
from wikiengine.keyring import KEYRING_ID
from wikiengine.verify import Report

API = "/api/v1/admin/integrity"
PAGE = "/admin/integrity"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture
def history(wiki: Wiki, editor: uuid.UUID) -> uuid.UUID:
    """A page with two versions; returns its id."""
    wiki.save_page(editor, "Vandværk", "Første udgave.\n", "Oprettet")
    wiki.save_page(editor, "Vandværk", "Anden udgave.\n", "Rettet", base_version=1)
    return wiki.page_by_title("Vandværk").id


def stored_events(settings: Settings, wiki: Wiki) -> int:
    return len(EventTable(settings, wiki).rows())


def test_a_healthy_store_is_intact(
    client: TestClient, site: Site, settings: Settings, admin: uuid.UUID, history: uuid.UUID
) -> None:
    sign_in(client, site, admin)

    response = client.get(API)

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert response.json() == {
        "ok": True,
        "events_checked": stored_events(settings, site.wiki),
        "problems": [],
    }


def test_the_page_shows_the_verdict_the_keys_and_where_auditors_look(
    client: TestClient, site: Site, settings: Settings, admin: uuid.UUID, history: uuid.UUID
) -> None:
    sign_in(client, site, admin)

    response = client.get(PAGE)

    assert response.status_code == 200
    html = response.text
    assert "Historikken er intakt." in html
    assert f"Kontrollerede hændelser: {stored_events(settings, site.wiki)}." in html
    assert f"<code>{site.wiki.signer.kid}</code>" in html and "Signerer nu" in html
    assert 'href="/.well-known/wiki-signing-keys.json"' in html
    assert 'href="/api/v1/export"' in html
    assert "<table>\n  <caption>Problemer" not in html


def test_a_tampered_text_is_reported_with_where_and_what(
    client: TestClient, site: Site, settings: Settings, admin: uuid.UUID, history: uuid.UUID
) -> None:
    table = EventTable(settings, site.wiki)
    row = table.row(history, 2)
    assert row.state is not None
    row.state["body"] = one_byte_changed(row.state["body"])
    table.rewrite(row)
    sign_in(client, site, admin)

    answer = client.get(API).json()
    html = client.get(PAGE).text

    assert answer["ok"] is False
    assert answer["problems"] == [
        {
            "position": row.position,
            "aggregate_id": str(history),
            "version": 2,
            "kind": "body_hash",
            "message": "the text does not match its signed SHA-256",
        }
    ]
    assert "Historikken har problemer." in html
    assert "Problemer: 1." in html
    assert f"<td>{row.position}</td>" in html
    assert f'<code class="digest">{history}</code> v2' in html
    assert "<code>body_hash</code>" in html
    assert "Teksten passer ikke med dens signerede kontrolsum" in html


def test_a_forged_signature_is_reported(
    client: TestClient, site: Site, settings: Settings, admin: uuid.UUID, history: uuid.UUID
) -> None:
    table = EventTable(settings, site.wiki)
    row = table.row(history, 1)
    assert row.state is not None
    row.state["payload"]["summary"] = "Ikke det, der blev skrevet"
    table.rewrite(row)
    sign_in(client, site, admin)

    kinds = {(p["kind"], p["version"]) for p in client.get(API).json()["problems"]}

    assert kinds == {("bad_signature", 1), ("chain_broken", 2)}


def test_a_damaged_keyring_is_reported_and_the_page_still_shows(
    client: TestClient,
    site: Site,
    settings: Settings,
    admin: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The keyring's first row made unreadable under a running server."""
    table = EventTable(settings, site.wiki)
    keyring = table.row(KEYRING_ID, 1)
    table.write_raw(keyring.position, b"garbage")

    def unreadable() -> dict[str, dict[str, str]]:  # as when the keyring is not cached
        raise MapperDeserialisationError("incorrect header check")

    monkeypatch.setattr(site.wiki, "published_keys", unreadable)
    sign_in(client, site, admin)

    answer = client.get(API).json()
    page = client.get(PAGE)

    assert answer["ok"] is False
    assert ("damaged", str(KEYRING_ID), 1) in {
        (p["kind"], p["aggregate_id"], p["version"]) for p in answer["problems"]
    }
    assert page.status_code == 200
    assert "<code>damaged</code>" in page.text
    assert "Nøgleringen kan ikke læses" in page.text


def test_anonymous_visitors_are_asked_to_log_in(client: TestClient, history: uuid.UUID) -> None:
    answer = client.get(API)
    page = client.get(PAGE)

    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == "not_authenticated"
    assert page.status_code == 401
    assert 'href="/login?next=%2Fadmin%2Fintegrity"' in page.text


def test_people_who_are_not_administrators_are_refused(
    client: TestClient, site: Site, editor: uuid.UUID
) -> None:
    newcomer = site.wiki.register_author("Ny Nielsen")
    for person, code in ((editor, "forbidden"), (newcomer, "not_verified")):
        sign_in(client, site, person)

        answer = client.get(API)
        page = client.get(PAGE)

        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == code
        assert page.status_code == 403
        assert "Historikken" not in page.text


def test_a_blocked_administrator_is_refused(
    client: TestClient, site: Site, admin: uuid.UUID
) -> None:
    other = site.wiki.bootstrap_administrator("Anden Admin")
    site.wiki.block_author(admin, other, "Misbrug")
    sign_in(client, site, other)

    assert client.get(API).status_code == 403
    assert client.get(PAGE).status_code == 403


def test_a_script_asks_with_an_administrators_token(
    client: TestClient, site: Site, admin: uuid.UUID, history: uuid.UUID
) -> None:
    token = site.accounts.create_token(admin)

    response = client.get(API, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 200
    assert response.json()["ok"] is True


def test_a_request_during_a_running_check_is_told_to_come_back(
    monkeypatch: pytest.MonkeyPatch, wiki: Wiki
) -> None:
    """Waiting would hold a worker thread for the whole check: 503 with Retry-After."""
    started, release = threading.Event(), threading.Event()

    def slow_verify(checked: Wiki, **_options: Any) -> Report:
        started.set()
        release.wait(5)
        return Report(events_checked=1)

    monkeypatch.setattr(integrity, "verify_store", slow_verify)
    checks = integrity.IntegrityChecks()
    first = threading.Thread(target=checks.report, args=(wiki,))
    first.start()
    assert started.wait(5)
    with pytest.raises(integrity.CheckRunning) as refused:
        checks.report(wiki)
    release.set()
    first.join(5)
    assert refused.value.retry_after > 0
    assert checks.report(wiki).events_checked == 1  # free again


def test_the_endpoint_answers_503_while_a_check_runs(
    monkeypatch: pytest.MonkeyPatch, client: TestClient, site: Site, admin: uuid.UUID
) -> None:
    def busy(_wiki: Wiki) -> Report:
        raise integrity.CheckRunning()

    monkeypatch.setattr(integrity.CHECKS, "report", busy)
    sign_in(client, site, admin)
    response = client.get("/api/v1/admin/integrity")
    assert response.status_code == 503 and response.headers["retry-after"] == "10"
    assert response.json()["error"]["code"] == "check_running"
