"""The JSON API (`/api/v1`) as the contract describes it, on SQLite and PostgreSQL:
accounts and tokens, reading and changing pages, history, and every error code."""

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from search.schema import FILTERS
from tests.web import mails, sign_in
from web.api_models import SearchQuery
from web.app import create_app
from web.openapi import openapi_path
from web.site import Site
from wikiengine.application import Wiki

PASSWORD = "korrekt hest batteri"
CASE = """---
kind: case
organisation: Aarhus Kommune
sector: kommune
recommendations: [Tillid først]
---
Idéstormen gav [[Tillid først]].
"""
THREE_LINES = "første linje\n\nanden linje\n\ntredje linje\n"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


def bearer(site: Site, author_id: uuid.UUID) -> dict[str, str]:
    return {"Authorization": f"Bearer {site.accounts.create_token(author_id)}"}


def error_of(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    error: dict[str, Any] = response.json()["error"]
    assert error["code"] == code and error["message"], error
    return error


def put(client: TestClient, headers: dict[str, str], title: str, body: str, base: Any) -> Any:
    return client.put(
        f"/api/v1/pages/{title}",
        json={"body": body, "summary": "ændring", "base_version": base},
        headers=headers,
    )


# ---------------------------------------------------------------------- accounts and tokens


def test_an_account_is_opened_pending_and_the_confirmation_is_mailed(
    client: TestClient, site: Site, wiki: Wiki, mail_dir: Path
) -> None:
    response = client.post(
        "/api/v1/accounts",
        json={"name": "  Carla   Ølgaard ", "email": "Carla@Example.dk", "password": PASSWORD},
    )

    assert response.status_code == 201
    document = response.json()
    assert document["status"] == "pending"
    author_id = uuid.UUID(document["author_id"])
    author = wiki.author(author_id)
    assert author.name == "Carla Ølgaard" and not author.is_verified
    account = site.accounts.by_email("carla@example.dk")
    assert account is not None and account.author_id == author_id
    assert not account.email_confirmed
    [mail] = mails(mail_dir)
    assert mail["To"] == "carla@example.dk"
    assert "/verify-email?token=" in mail.get_content()
    assert PASSWORD not in mail.get_content()

    again = client.post(
        "/api/v1/accounts",
        json={"name": "Carla igen", "email": "carla@example.dk", "password": PASSWORD},
    )
    error_of(again, 409, "account_exists")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": " \t "}, "name"),
        ({"name": 5}, "name"),
        ({"email": "ikke-en-adresse"}, "email"),
        ({"password": "kort"}, "password"),
        ({"role": "administrator"}, "role"),
    ],
)
def test_a_bad_account_request_names_the_field(
    client: TestClient, wiki: Wiki, change: dict[str, Any], field: str
) -> None:
    wanted = {"name": "Dorte Dal", "email": "dorte@example.dk", "password": PASSWORD, **change}
    before = wiki.recorder.max_notification_id()

    error = error_of(client.post("/api/v1/accounts", json=wanted), 422, "invalid")

    assert error["field"] == field
    assert wiki.recorder.max_notification_id() == before  # no author registered


def test_account_creation_is_rate_limited(client: TestClient, site: Site) -> None:
    site.rate_limits.limits["register"] = (2, 60.0)
    for number in range(2):
        wanted = {"name": "Ea", "email": f"ea{number}@example.dk", "password": PASSWORD}
        assert client.post("/api/v1/accounts", json=wanted).status_code == 201

    wanted = {"name": "Ea", "email": "ea9@example.dk", "password": PASSWORD}
    response = client.post("/api/v1/accounts", json=wanted)

    error_of(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) > 0
    assert site.accounts.by_email("ea9@example.dk") is None


def test_a_token_is_given_for_a_confirmed_account_and_acts_as_its_author(
    client: TestClient, site: Site, editor: uuid.UUID
) -> None:
    site.accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)

    response = client.post(
        "/api/v1/tokens", json={"email": "bo@example.dk", "password": PASSWORD, "label": "script"}
    )

    assert response.status_code == 201
    token = response.json()["token"]
    assert site.accounts.author_for_token(token) == editor
    saved = put(client, {"Authorization": f"Bearer {token}"}, "Side", "tekst\n", None)
    assert saved.status_code == 201
    assert site.wiki.page_by_title("Side").last_payload["author"]["id"] == str(editor)


def test_wrong_credentials_give_the_same_401_whether_or_not_the_account_exists(
    client: TestClient, site: Site, editor: uuid.UUID
) -> None:
    site.accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)

    wrong = client.post("/api/v1/tokens", json={"email": "bo@example.dk", "password": "forkert"})
    unknown = client.post("/api/v1/tokens", json={"email": "nn@example.dk", "password": "x"})

    assert error_of(wrong, 401, "not_authenticated") == error_of(unknown, 401, "not_authenticated")
    assert "token" not in wrong.json()


def test_an_unconfirmed_address_gets_no_token(client: TestClient, site: Site) -> None:
    wanted = {"name": "Frida Friis", "email": "frida@example.dk", "password": PASSWORD}
    assert client.post("/api/v1/accounts", json=wanted).status_code == 201

    response = client.post("/api/v1/tokens", json={"email": wanted["email"], "password": PASSWORD})

    assert "e-mail" in error_of(response, 403, "forbidden")["message"]


def test_token_requests_are_rate_limited(client: TestClient, site: Site) -> None:
    site.rate_limits.limits["token"] = (2, 60.0)
    wanted = {"email": "nn@example.dk", "password": "forkert"}
    for _ in range(2):
        assert client.post("/api/v1/tokens", json=wanted).status_code == 401

    response = client.post("/api/v1/tokens", json=wanted)

    error_of(response, 429, "rate_limited")
    assert int(response.headers["retry-after"]) > 0


# ---------------------------------------------------------------------- reading pages


def test_a_page_follows_the_contract_and_an_old_title_says_so(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Idéstorme i Århus", CASE, "Første udgave")
    wiki.rename_page(editor, "Idéstorme i Århus", "Idéstorme i Aarhus")
    site.views_current()

    document = client.get("/api/v1/pages/Idéstorme_i_Århus").json()

    assert document["title"] == "Idéstorme i Aarhus" and document["slug"] == "Idéstorme_i_Aarhus"
    assert document["redirected_from"] == "Idéstorme_i_Århus"
    assert document["kind"] == "case" and document["version"] == 2
    assert document["body"] == CASE
    assert document["fields"]["organisation"] == "Aarhus Kommune"
    assert 'class="wikilink' in document["html"]
    assert document["updated_by"] == {"id": str(editor), "name": "Bo Østergaard"}
    assert document["updated_at"].endswith("Z") and document["protected"] is False
    assert client.get("/api/v1/pages/Idéstorme_i_Aarhus").json()["redirected_from"] is None


def test_missing_and_deleted_pages(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Gammel", "tekst\n")
    wiki.delete_page(admin, "Gammel", "forældet")
    site.views_current()

    error = error_of(client.get("/api/v1/pages/Findes_ikke"), 404, "not_found")
    assert error["title"] == "Findes ikke"
    error_of(client.get("/api/v1/pages/Ugyldig[titel]"), 404, "not_found")
    for url in ("/api/v1/pages/Gammel", "/api/v1/pages/Gammel/revisions/1"):
        error_of(client.get(url), 410, "page_deleted")
        assert "tekst" not in client.get(url).text


# ---------------------------------------------------------------------- saving pages


def test_put_creates_then_edits_and_the_store_has_the_author(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    headers = bearer(site, editor)

    created = put(client, headers, "Ny side", CASE, None)

    assert created.status_code == 201
    assert created.json() == {"title": "Ny side", "slug": "Ny_side", "version": 1, "merged": False}
    assert created.headers["location"] == "/api/v1/pages/Ny_side"
    edited = put(client, headers, "Ny_side", CASE + "Mere.\n", 1)
    assert edited.status_code == 200
    assert edited.json() == {"title": "Ny side", "slug": "Ny_side", "version": 2, "merged": False}

    page = wiki.page_by_title("Ny side")
    assert page.body == CASE + "Mere.\n" and page.version == 2
    signed_by = page.last_payload["author"]
    assert (signed_by["id"], signed_by["name"]) == (str(editor), "Bo Østergaard")
    assert page.last_payload["summary"] == "ændring"
    # Read your writes: the read model shows the edit as soon as the answer comes.
    assert client.get("/api/v1/pages/Ny_side").json()["version"] == 2


def test_a_stale_base_merges_cleanly(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Fælles", THREE_LINES)
    wiki.save_page(admin, "Fælles", THREE_LINES.replace("første", "FØRSTE"), "", 1)

    response = put(
        client, bearer(site, editor), "Fælles", THREE_LINES.replace("tredje", "TREDJE"), 1
    )

    assert response.status_code == 200
    assert response.json()["merged"] is True and response.json()["version"] == 3
    body = wiki.page_by_title("Fælles").body
    assert "FØRSTE linje" in body and "TREDJE linje" in body
    assert client.get("/api/v1/pages/Fælles").json()["body"] == body


def test_an_overlapping_edit_is_a_409_with_both_sides_and_nothing_saved(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Fælles", THREE_LINES)
    wiki.save_page(admin, "Fælles", THREE_LINES.replace("anden", "ADMINS"), "", 1)
    before = wiki.recorder.max_notification_id()

    response = put(client, bearer(site, editor), "Fælles", THREE_LINES.replace("anden", "MIN"), 1)

    error = error_of(response, 409, "edit_conflict")
    assert error["current_version"] == 2
    assert "ADMINS linje" in error["merged_body"] and "MIN linje" in error["merged_body"]
    assert wiki.recorder.max_notification_id() == before
    assert wiki.page_by_title("Fælles").body == THREE_LINES.replace("anden", "ADMINS")


def test_invalid_front_matter_is_a_422_with_field_and_line(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    body = "---\nkind: case\nsector: planet\n---\nTekst\n"

    error = error_of(put(client, bearer(site, editor), "Case", body, None), 422, "invalid")

    assert error["field"] == "sector" and error["line"] == 3
    assert list(wiki.page_ids()) == []


def test_too_large_bodies_are_refused(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    headers = bearer(site, editor)

    error_of(put(client, headers, "Stor", "x" * 1_000_001, None), 413, "too_large")  # the wiki
    # The app refuses bodies over 2 MB before reading them (starlette answers in plain text).
    assert put(client, headers, "Stor", "x" * 2_100_000, None).status_code == 413
    assert list(wiki.page_ids()) == []


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"body": "x", "summary": ""}, "base_version"),  # null must be said to create
        ({"body": "x", "base_version": "1"}, "base_version"),
        ({"body": "x", "base_version": 0}, "base_version"),
        ({"body": 7, "base_version": None}, "body"),
        ({"body": "x", "base_version": None, "author": "Anna"}, "author"),
        ({"body": "x", "base_version": None, "summary": "s" * 501}, "summary"),
        ([], None),
    ],
)
def test_a_bad_put_names_the_field(
    client: TestClient,
    site: Site,
    wiki: Wiki,
    editor: uuid.UUID,
    payload: Any,
    field: str | None,
) -> None:
    response = client.put("/api/v1/pages/Side", json=payload, headers=bearer(site, editor))

    assert error_of(response, 422, "invalid")["field"] == field
    assert list(wiki.page_ids()) == []


def test_malformed_json_and_bad_titles_are_422(
    client: TestClient, site: Site, editor: uuid.UUID
) -> None:
    headers = bearer(site, editor)

    malformed = client.put("/api/v1/pages/Side", content=b"{body: ", headers=headers)
    assert error_of(malformed, 422, "invalid")["field"] is None
    bad_title = put(client, headers, "Side[1]", "x", None)
    assert error_of(bad_title, 422, "invalid")["field"] == "title"


def test_who_may_not_save_is_told_why(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Regler", "tekst\n")
    wiki.protect_page(admin, "Regler", "vigtig")
    newcomer = wiki.register_author("Gry Gram")
    blocked = wiki.register_author("Hans Hansen")
    wiki.verify_author(admin, blocked)
    wiki.block_author(admin, blocked, "hærværk")
    before = wiki.recorder.max_notification_id()

    error_of(put(client, {}, "Side", "x", None), 401, "not_authenticated")
    bad_token = {"Authorization": "Bearer iw_forkert"}
    error_of(put(client, bad_token, "Side", "x", None), 401, "not_authenticated")
    error_of(put(client, bearer(site, newcomer), "Side", "x", None), 403, "not_verified")
    error_of(put(client, bearer(site, blocked), "Side", "x", None), 403, "blocked")
    error_of(put(client, bearer(site, editor), "Regler", "ny\n", 2), 403, "protected")

    assert wiki.recorder.max_notification_id() == before
    assert put(client, bearer(site, admin), "Regler", "ny\n", 2).status_code == 200


def test_a_session_needs_the_csrf_header_and_a_bearer_token_does_not(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, editor)

    refused = put(client, {}, "Side", "x\n", None)
    error_of(refused, 403, "forbidden")
    error_of(put(client, {"X-CSRF-Token": "forkert"}, "Side", "x\n", None), 403, "forbidden")
    assert list(wiki.page_ids()) == []

    assert put(client, {"X-CSRF-Token": csrf}, "Side", "x\n", None).status_code == 201
    client.cookies.clear()
    assert put(client, bearer(site, editor), "Side", "y\n", 1).status_code == 200


# ---------------------------------------------------------------------- history


def _three_versions(site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID) -> None:
    wiki.save_page(editor, "Historie", "én\n", "Oprettet")
    wiki.save_page(admin, "Historie", "én\nto\n", "Tilføjede to", 1)
    wiki.save_page(editor, "Historie", "to\ntre\n", "Omskrev", 2)
    site.views_current()


def test_revisions_are_listed_newest_first_in_pages(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    _three_versions(site, wiki, editor, admin)

    first = client.get("/api/v1/pages/Historie/revisions?limit=2").json()

    assert [entry["version"] for entry in first["revisions"]] == [3, 2]
    newest = first["revisions"][0]
    assert newest["author"] == {"id": str(editor), "name": "Bo Østergaard"}
    assert newest["summary"] == "Omskrev" and newest["size"] == len("to\ntre\n")
    assert newest["delta"] == len("to\ntre\n") - len("én\nto\n")
    assert len(newest["digest"]) == 64 and newest["signed_at"].endswith("Z")
    assert first["next"] == 2
    rest = client.get(f"/api/v1/pages/Historie/revisions?limit=2&before={first['next']}").json()
    assert [entry["version"] for entry in rest["revisions"]] == [1]
    assert rest["next"] is None

    for query in ("limit=0", "limit=501", "limit=mange", "before=0"):
        response = client.get(f"/api/v1/pages/Historie/revisions?{query}")
        assert error_of(response, 422, "invalid")["field"] == query.split("=")[0]


def test_one_revision_with_its_text_unless_suppressed(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    _three_versions(site, wiki, editor, admin)
    wiki.suppress_revision(admin, "Historie", 2, "Personoplysninger")
    site.views_current()

    document = client.get("/api/v1/pages/Historie/revisions/1").json()

    assert document["version"] == 1 and document["body"] == "én\n"
    assert document["author"]["id"] == str(editor) and document["summary"] == "Oprettet"
    assert document["signed_at"].endswith("Z")
    hidden = client.get("/api/v1/pages/Historie/revisions/2")
    error_of(hidden, 410, "suppressed")
    assert "én\nto" not in hidden.text
    error_of(client.get("/api/v1/pages/Historie/revisions/9"), 404, "not_found")


def test_diff_between_two_versions(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    _three_versions(site, wiki, editor, admin)

    document = client.get("/api/v1/pages/Historie/diff?from=1&to=3").json()

    assert document["from"] == 1 and document["to"] == 3
    assert "-én\n" in document["unified"] and "+tre\n" in document["unified"]
    latest = client.get("/api/v1/pages/Historie/diff").json()
    assert (latest["from"], latest["to"]) == (2, 3)
    created = client.get("/api/v1/pages/Historie/diff?to=1").json()
    assert created["from"] == 0 and "+én\n" in created["unified"]
    response = client.get("/api/v1/pages/Historie/diff?from=x")
    assert error_of(response, 422, "invalid")["field"] == "from"
    error_of(client.get("/api/v1/pages/Historie/diff?from=1&to=7"), 404, "not_found")
    missing = error_of(client.get("/api/v1/pages/Historie/diff?to=9"), 404, "not_found")
    assert "version 9" in missing["message"]


def test_credits_blame_and_backlinks(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    _three_versions(site, wiki, editor, admin)
    wiki.save_page(admin, "Henviser", "Se [[Historie]].\n")
    site.views_current()

    credits = client.get("/api/v1/pages/Historie/credits").json()["contributors"]
    blame = client.get("/api/v1/pages/Historie/blame").json()
    backlinks = client.get("/api/v1/pages/Historie/backlinks").json()["backlinks"]

    assert [(entry["author"]["id"], entry["edits"]) for entry in credits] == [
        (str(editor), 2),
        (str(admin), 1),
    ]
    assert {"first_edit", "last_edit", "chars_added", "chars_removed"} <= set(credits[0])
    assert blame["version"] == 3
    assert [(line["text"], line["version"]) for line in blame["lines"]] == [("to", 2), ("tre", 3)]
    assert blame["lines"][0]["author"] == {"id": str(admin), "name": "Anna Ærø"}
    assert backlinks == [
        {"title": "Henviser", "slug": "Henviser", "kind": "article", "relation": "link"}
    ]
    error_of(client.get("/api/v1/pages/Mangler/credits"), 404, "not_found")


# ---------------------------------------------------------------------- revert and rename


def test_revert_makes_an_old_text_current(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    _three_versions(site, wiki, editor, admin)
    url = "/api/v1/pages/Historie/revert"

    error_of(client.post(url, json={"to_version": 1}), 401, "not_authenticated")
    response = client.post(
        url, json={"to_version": 1, "summary": "Tilbage", "base_version": 3},
        headers=bearer(site, editor),
    )  # fmt: skip

    assert response.status_code == 200
    assert response.json()["title"] == "Historie" and response.json()["version"] == 4
    page = wiki.page_by_title("Historie")
    assert page.body == "én\n" and page.last_payload["type"] == "page.reverted"
    assert client.get("/api/v1/pages/Historie").json()["body"] == "én\n"
    missing = client.post(url, json={"to_version": 9}, headers=bearer(site, editor))
    error_of(missing, 404, "not_found")


def test_rename_leaves_the_old_title_leading_to_the_page(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Gammel titel", "tekst\n")
    wiki.save_page(editor, "Optaget", "tekst\n")
    headers = bearer(site, editor)
    url = "/api/v1/pages/Gammel_titel/rename"

    response = client.post(url, json={"new_title": "Ny titel", "base_version": 1}, headers=headers)

    assert response.status_code == 200
    assert response.json()["title"] == "Ny titel" and response.json()["version"] == 2
    assert client.get("/api/v1/pages/Gammel_titel").json()["title"] == "Ny titel"
    assert wiki.page_by_title("Ny titel").last_payload["author"]["id"] == str(editor)
    taken = client.post(
        "/api/v1/pages/Ny_titel/rename", json={"new_title": "Optaget"}, headers=headers
    )
    error_of(taken, 409, "page_exists")
    invalid = client.post(
        "/api/v1/pages/Ny_titel/rename", json={"new_title": "a|b"}, headers=headers
    )
    assert error_of(invalid, 422, "invalid")["field"] == "new_title"


# ---------------------------------------------------------------------- across the wiki


def test_recent_changes_newest_first_in_pages(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    _three_versions(site, wiki, editor, admin)

    first = client.get("/api/v1/recent-changes?limit=2").json()

    assert [(c["title"], c["version"]) for c in first["changes"]] == [
        ("Historie", 3),
        ("Historie", 2),
    ]
    change = first["changes"][0]
    assert change["author"] == {"id": str(editor), "name": "Bo Østergaard"}
    assert change["summary"] == "Omskrev" and change["signed_at"].endswith("Z")
    rest = client.get(f"/api/v1/recent-changes?limit=2&before={first['next']}").json()
    assert [c["version"] for c in rest["changes"]] == [1]
    assert rest["next"] is None
    error_of(client.get("/api/v1/recent-changes?limit=1000"), 422, "invalid")


def test_an_author_profile_with_contributions(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    _three_versions(site, wiki, editor, admin)

    document = client.get(f"/api/v1/authors/{editor}").json()

    assert document["id"] == str(editor) and document["name"] == "Bo Østergaard"
    assert document["verified"] is True and document["blocked"] is False
    [contribution] = document["contributions"]
    assert contribution["title"] == "Historie" and contribution["edits"] == 2
    error_of(client.get(f"/api/v1/authors/{uuid.uuid4()}"), 404, "not_found")
    error_of(client.get("/api/v1/authors/ikke-et-id"), 404, "not_found")


def test_unknown_routes_and_wrong_methods_answer_in_json(client: TestClient) -> None:
    error_of(client.get("/api/v1/findes-ikke"), 404, "not_found")
    wrong = client.delete("/api/v1/pages/Side")
    error_of(wrong, 405, "method_not_allowed")
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "HEAD", "PUT"}
    error_of(client.get("/api/v1/tokens"), 405, "method_not_allowed")


# ---------------------------------------------------------------------- OpenAPI


def test_the_openapi_document_lists_every_route_with_resolvable_schemas(
    client: TestClient,
) -> None:
    document = client.get("/api/v1/openapi.json").json()

    assert document["openapi"].startswith("3.1")
    routes = [
        route
        for route in client.app.routes  # type: ignore[attr-defined]
        if isinstance(route, Route) and route.path.startswith(("/api/", "/.well-known/"))
    ]
    assert routes
    for route in routes:
        described = document["paths"][openapi_path(route.path)]
        for method in route.methods or ():
            if method != "HEAD":
                assert method.lower() in described, (method, route.path)

    schemas = document["components"]["schemas"]
    for ref in _refs(document):
        assert ref.startswith("#/components/schemas/") and ref.split("/")[-1] in schemas, ref

    save = document["paths"]["/api/v1/pages/{title}"]["put"]
    body = save["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert set(schemas[body]["properties"]) == {"body", "summary", "base_version"}
    assert schemas[body]["additionalProperties"] is False
    assert {"200", "201", "401", "403", "409", "413", "422"} <= set(save["responses"])
    error = save["responses"]["409"]["content"]["application/json"]["schema"]["$ref"]
    detail = schemas[error.split("/")[-1]]["properties"]["error"]["$ref"].split("/")[-1]
    assert {"code", "message", "field", "line", "merged_body"} <= set(schemas[detail]["properties"])
    assert {"bearer": []} in save["security"]
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    revisions = document["paths"]["/api/v1/pages/{title}/revisions"]["get"]
    assert {"title", "limit", "before"} == {p["name"] for p in revisions["parameters"]}
    diff = document["paths"]["/api/v1/pages/{title}/diff"]["get"]
    assert {"from", "to"} <= {p["name"] for p in diff["parameters"]}


def test_the_search_parameters_are_all_documented() -> None:
    assert set(FILTERS) <= set(SearchQuery.model_fields)


def _refs(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "$ref":
                yield item
            else:
                yield from _refs(item)
    elif isinstance(value, list):
        for item in value:
            yield from _refs(item)


def test_titles_may_hold_slashes(client: TestClient, site: Site, editor: uuid.UUID) -> None:
    headers = bearer(site, editor)

    assert put(client, headers, "Guide/Trin 1", "tekst\n", None).status_code == 201

    assert client.get("/api/v1/pages/Guide/Trin_1").json()["title"] == "Guide/Trin 1"
    revisions = client.get("/api/v1/pages/Guide/Trin_1/revisions").json()["revisions"]
    assert [entry["version"] for entry in revisions] == [1]
    assert client.head("/api/v1/pages/Guide/Trin_1").status_code == 200
