"""The administrators' JSON API (`/api/v1/admin/...`) on SQLite and PostgreSQL: each act
changes the author or page, stores an event signed by the administrator and answers
`{ok: true, ...}` with the new state; reasons are required (422); hidden text is readable
by administrators only, and each such read is logged."""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.web import sign_in
from web.app import create_app
from web.site import Site

SECRET = "Ring til Jens på 12 34 56 78, cpr 010203-1234."
TITLE = "Innovation i Århus"
PAGE = "/api/v1/admin/pages/Innovation_i_Århus"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture
def as_admin(site: Site, admin: uuid.UUID) -> dict[str, str]:
    return bearer(site, admin)


def bearer(site: Site, author_id: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.accounts.create_token(author_id)}"}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"], error
    return error


def newest_payload(site: Site, aggregate_id: uuid.UUID) -> dict[str, Any]:
    event: Any = list(site.wiki.events.get(aggregate_id))[-1]
    payload: dict[str, Any] = event.payload
    return payload


def event_count(site: Site, aggregate_id: uuid.UUID) -> int:
    return len(list(site.wiki.events.get(aggregate_id)))


def three_versions(site: Site, author_id: uuid.UUID) -> uuid.UUID:
    site.wiki.save_page(author_id, TITLE, f"Første udkast. {SECRET}\n", summary="Udkast")
    site.wiki.save_page(author_id, TITLE, "Anden tekst.\n", summary="Renset", base_version=1)
    site.wiki.save_page(author_id, TITLE, "Tredje tekst.\n", summary="Bedre", base_version=2)
    site.views_current()
    return site.wiki.page_by_title(TITLE).id


# ---------------------------------------------------------------------- authors


def test_verify_an_author(
    client: TestClient, site: Site, admin: uuid.UUID, as_admin: dict[str, str]
) -> None:
    waiting = site.wiki.register_author("Åse Ødegård")

    response = client.post(f"/api/v1/admin/authors/{waiting}/verify", headers=as_admin)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "ok": True,
        "changed": True,
        "id": str(waiting),
        "name": "Åse Ødegård",
        "verification": "admin",
        "verified": True,
        "roles": [],
        "blocked": False,
        "administrator": False,
    }
    payload = newest_payload(site, waiting)
    assert payload["type"] == "author.identity_verified" and payload["author"]["id"] == str(admin)
    # Again, with an empty object this time: already done, nothing stored.
    again = client.post(f"/api/v1/admin/authors/{waiting}/verify", json={}, headers=as_admin)
    assert again.status_code == 200 and again.json()["changed"] is False
    error_of(
        client.post(f"/api/v1/admin/authors/{waiting}/verify", json={"x": 1}, headers=as_admin),
        422,
        "invalid",
    )


def test_block_and_unblock_with_a_reason(
    client: TestClient,
    site: Site,
    admin: uuid.UUID,
    editor: uuid.UUID,
    as_admin: dict[str, str],
) -> None:
    url = f"/api/v1/admin/authors/{editor}"

    blocked = client.post(url + "/block", json={"reason": " Hærværk  igen "}, headers=as_admin)

    assert blocked.status_code == 200, blocked.text
    assert blocked.json()["blocked"] is True and blocked.json()["changed"] is True
    assert site.wiki.author(editor).blocked
    payload = newest_payload(site, editor)
    assert payload["type"] == "author.blocked" and payload["author"]["id"] == str(admin)
    assert payload["summary"] == "Hærværk igen"

    unblocked = client.post(url + "/unblock", json={"reason": "Fejl"}, headers=as_admin)

    assert unblocked.status_code == 200 and unblocked.json()["blocked"] is False
    assert not site.wiki.author(editor).blocked
    payload = newest_payload(site, editor)
    assert payload["type"] == "author.unblocked" and payload["author"]["id"] == str(admin)
    again = client.post(url + "/unblock", json={"reason": "Fejl"}, headers=as_admin)
    assert again.json()["changed"] is False


@pytest.mark.parametrize("act", ["block", "unblock"])
@pytest.mark.parametrize(
    "body", [{}, {"reason": ""}, {"reason": "   "}, {"reason": 7}, {"reason": "x" * 501}]
)
def test_block_and_unblock_need_a_reason(
    client: TestClient,
    site: Site,
    editor: uuid.UUID,
    as_admin: dict[str, str],
    act: str,
    body: dict[str, Any],
) -> None:
    events = event_count(site, editor)

    response = client.post(f"/api/v1/admin/authors/{editor}/{act}", json=body, headers=as_admin)

    assert error_of(response, 422, "invalid")["field"] == "reason"
    assert event_count(site, editor) == events


def test_grant_and_revoke_the_administrator_role(
    client: TestClient,
    site: Site,
    admin: uuid.UUID,
    editor: uuid.UUID,
    as_admin: dict[str, str],
) -> None:
    url = f"/api/v1/admin/authors/{editor}/roles"

    granted = client.post(url, json={"role": "administrator", "grant": True}, headers=as_admin)

    assert granted.status_code == 200, granted.text
    assert granted.json()["roles"] == ["administrator"] and granted.json()["administrator"]
    payload = newest_payload(site, editor)
    assert payload["type"] == "author.role_granted" and payload["author"]["id"] == str(admin)
    assert client.get("/api/v1/admin/suppressed-reads", headers=bearer(site, editor)).is_success

    revoked = client.post(url, json={"role": "administrator", "grant": False}, headers=as_admin)

    assert revoked.status_code == 200 and revoked.json()["roles"] == []
    assert newest_payload(site, editor)["type"] == "author.role_revoked"
    assert not site.wiki.author(editor).is_administrator
    for wrong in (
        {"role": "konge", "grant": True},
        {"role": "administrator"},
        {"role": "administrator", "grant": "true"},  # strict: no coercion
        {"role": "administrator", "grant": True, "reason": "x"},
    ):
        error_of(client.post(url, json=wrong, headers=as_admin), 422, "invalid")


def test_acts_on_unknown_authors_are_404(client: TestClient, as_admin: dict[str, str]) -> None:
    bodies = {
        "verify": {},
        "block": {"reason": "x"},
        "unblock": {"reason": "x"},
        "roles": {"role": "administrator", "grant": True},
    }
    for act, body in bodies.items():
        for author_id in (str(uuid.uuid4()), "ikke-et-id"):
            response = client.post(
                f"/api/v1/admin/authors/{author_id}/{act}", json=body, headers=as_admin
            )
            error_of(response, 404, "not_found")


def test_administrators_cannot_block_themselves(
    client: TestClient, site: Site, admin: uuid.UUID, as_admin: dict[str, str]
) -> None:
    response = client.post(
        f"/api/v1/admin/authors/{admin}/block", json={"reason": "Prøve"}, headers=as_admin
    )

    error_of(response, 403, "forbidden")
    assert not site.wiki.author(admin).blocked


def test_the_session_needs_the_csrf_header(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, admin)
    url = f"/api/v1/admin/authors/{editor}/block"

    error_of(client.post(url, json={"reason": "Spam"}), 403, "forbidden")
    error_of(
        client.post(url, json={"reason": "Spam"}, headers={"X-CSRF-Token": "forkert"}),
        403,
        "forbidden",
    )
    assert not site.wiki.author(editor).blocked

    response = client.post(url, json={"reason": "Spam"}, headers={"X-CSRF-Token": csrf})

    assert response.status_code == 200 and site.wiki.author(editor).blocked


# ---------------------------------------------------------------------- pages


# The act, the act that undoes it, the page's state it sets, the undoing event's type.
ACTS = [
    ("protect", "unprotect", "protected", "page.unprotected"),
    ("delete", "restore", "deleted", "page.restored"),
]


@pytest.mark.parametrize(("act", "undo", "state", "undone_type"), ACTS)
def test_page_acts_with_a_reason(
    client: TestClient,
    site: Site,
    admin: uuid.UUID,
    editor: uuid.UUID,
    as_admin: dict[str, str],
    act: str,
    undo: str,
    state: str,
    undone_type: str,
) -> None:
    page_id = three_versions(site, editor)

    done = client.post(f"{PAGE}/{act}", json={"reason": "Hærværk"}, headers=as_admin)

    assert done.status_code == 200, done.text
    answer = done.json()
    assert answer["ok"] is True and answer["changed"] is True and answer[state] is True
    assert answer["title"] == TITLE and answer["slug"] == "Innovation_i_Århus"
    assert answer["version"] == 4 and answer["suppressed"] == []
    assert getattr(site.wiki.page(page_id), state) is True
    payload = newest_payload(site, page_id)
    assert payload["type"] == f"page.{state}"
    assert payload["author"]["id"] == str(admin) and payload["summary"] == "Hærværk"

    undone = client.post(f"{PAGE}/{undo}", json={"reason": "Roligt"}, headers=as_admin)

    assert undone.status_code == 200 and undone.json()[state] is False
    assert getattr(site.wiki.page(page_id), state) is False
    payload = newest_payload(site, page_id)
    assert payload["type"] == undone_type and payload["author"]["id"] == str(admin)
    for body in ({}, {"reason": " "}):
        response = client.post(f"{PAGE}/{act}", json=body, headers=as_admin)
        assert error_of(response, 422, "invalid")["field"] == "reason"
    assert getattr(site.wiki.page(page_id), state) is False


def test_acts_on_missing_pages_are_404(client: TestClient, as_admin: dict[str, str]) -> None:
    for act in ("protect", "unprotect", "delete", "restore", "revisions/1/suppress"):
        response = client.post(
            f"/api/v1/admin/pages/Findes_ikke/{act}", json={"reason": "x"}, headers=as_admin
        )
        error_of(response, 404, "not_found")
    error_of(
        client.get("/api/v1/admin/pages/Findes_ikke/revisions/1", headers=as_admin),
        404,
        "not_found",
    )


def test_suppress_hides_the_text_from_the_public_api_only(
    client: TestClient,
    site: Site,
    admin: uuid.UUID,
    editor: uuid.UUID,
    as_admin: dict[str, str],
) -> None:
    page_id = three_versions(site, editor)

    response = client.post(
        f"{PAGE}/revisions/1/suppress", json={"reason": "Personoplysninger"}, headers=as_admin
    )

    assert response.status_code == 200, response.text
    assert response.json()["suppressed"] == [1] and response.json()["changed"] is True
    payload = newest_payload(site, page_id)
    assert payload["type"] == "page.revision_suppressed" and payload["data"]["revision"] == 1
    assert payload["author"]["id"] == str(admin) and payload["summary"] == "Personoplysninger"
    error_of(client.get(f"/api/v1/pages/{TITLE}/revisions/1"), 410, "suppressed")
    assert site.suppressed_reads.newest() == []

    shown = client.get(f"{PAGE}/revisions/1", headers=as_admin)

    assert shown.status_code == 200, shown.text
    document = shown.json()
    assert document["body"] == f"Første udkast. {SECRET}\n"
    assert document["version"] == 1 and document["suppressed"] is True
    assert document["reason"] == "Personoplysninger"
    assert document["author"] == {"id": str(editor), "name": "Bo Østergaard"}
    assert document["summary"] == "Udkast" and document["signed_at"].endswith("Z")
    assert document["suppression"]["by"]["id"] == str(admin)
    [read] = site.suppressed_reads.newest()
    assert (read.reader_id, read.page_id, read.title, read.version) == (admin, page_id, TITLE, 1)


def test_reading_text_that_is_not_hidden_is_not_logged(
    client: TestClient, site: Site, editor: uuid.UUID, as_admin: dict[str, str]
) -> None:
    three_versions(site, editor)

    for version in (1, 2, 3):
        shown = client.get(f"{PAGE}/revisions/{version}", headers=as_admin)
        assert shown.status_code == 200
        assert shown.json()["suppressed"] is False and shown.json()["reason"] is None
    for version in (0, 4):
        error_of(client.get(f"{PAGE}/revisions/{version}", headers=as_admin), 404, "not_found")

    assert site.suppressed_reads.newest() == []


def test_suppress_needs_a_reason_and_an_earlier_text(
    client: TestClient, site: Site, editor: uuid.UUID, as_admin: dict[str, str]
) -> None:
    page_id = three_versions(site, editor)

    for body in ({}, {"reason": ""}, {"reason": "\n"}):
        response = client.post(f"{PAGE}/revisions/1/suppress", json=body, headers=as_admin)
        assert error_of(response, 422, "invalid")["field"] == "reason"
    current = client.post(f"{PAGE}/revisions/3/suppress", json={"reason": "x"}, headers=as_admin)
    error_of(current, 422, "invalid")
    missing = client.post(f"{PAGE}/revisions/9/suppress", json={"reason": "x"}, headers=as_admin)
    error_of(missing, 404, "not_found")  # no such version

    assert site.wiki.page(page_id).suppressed == []


def test_the_read_log_newest_first_in_pages(
    client: TestClient,
    site: Site,
    admin: uuid.UUID,
    editor: uuid.UUID,
    as_admin: dict[str, str],
) -> None:
    page_id = three_versions(site, editor)
    site.wiki.suppress_revision(admin, TITLE, 1, "Persondata")
    site.wiki.suppress_revision(admin, TITLE, 2, "Persondata")
    for version in (1, 2, 1):
        assert client.get(f"{PAGE}/revisions/{version}", headers=as_admin).status_code == 200

    first = client.get("/api/v1/admin/suppressed-reads?limit=2", headers=as_admin).json()

    assert [read["version"] for read in first["reads"]] == [1, 2]
    assert first["reads"][0]["reader"] == {"id": str(admin), "name": "Anna Ærø"}
    assert first["reads"][0]["page_id"] == str(page_id) and first["reads"][0]["title"] == TITLE
    assert first["next"] == 2
    rest = client.get("/api/v1/admin/suppressed-reads?limit=2&offset=2", headers=as_admin).json()
    assert [read["version"] for read in rest["reads"]] == [1] and rest["next"] is None
    error_of(client.get("/api/v1/admin/suppressed-reads?limit=0", headers=as_admin), 422, "invalid")


# ---------------------------------------------------------------------- OpenAPI


def test_the_openapi_document_describes_the_admin_api(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    paths = document["paths"]
    schemas = document["components"]["schemas"]

    block = paths["/api/v1/admin/authors/{author_id}/block"]["post"]
    body = block["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert schemas[body]["required"] == ["reason"]
    assert schemas[body]["additionalProperties"] is False
    assert {"200", "401", "403", "404", "422"} <= set(block["responses"])
    roles = paths["/api/v1/admin/authors/{author_id}/roles"]["post"]
    body = roles["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schemas[body]["properties"]) == {"role", "grant"}
    suppress = paths["/api/v1/admin/pages/{title}/revisions/{version}/suppress"]["post"]
    assert {p["name"] for p in suppress["parameters"]} >= {"title", "version"}
    revision = paths["/api/v1/admin/pages/{title}/revisions/{version}"]["get"]
    answer = revision["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    assert {"body", "suppressed", "reason"} <= set(schemas[answer.split("/")[-1]]["properties"])
