"""Nobody but administrators gets past `/admin` and `/api/v1/admin`, on SQLite and
PostgreSQL.

The walk takes every route of the application whose path starts with one of those
prefixes, so routes added later (the audit log, integrity, erasure ...) are covered
without changing this file, and calls each with every method it takes: anonymous callers
get 401 (a page with the way to log in, or a JSON error), and an editor, an author whose
name is not verified yet and a blocked administrator get 403, by session (with valid
CSRF tokens) and by bearer token. None of those calls changes anything.

The first check (`web.admin_access`) is not the only one: without it, the wiki still
refuses every act, and the pages with what only administrators may see refuse too.
"""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.web import sign_in
from web import admin as admin_pages
from web import admin_api
from web.admin_access import AdministratorsOnly
from web.app import create_app
from web.site import Site

PREFIXES = ("/admin", "/api/v1/admin")
TITLE = "Testside"
PASSWORD = "et-langt-kodeord"
FORM = {
    "reason": "vandring",
    "role": "administrator",
    "grant": "true",
    "back": "authors",
    "title": TITLE,
}
# The JSON bodies the API's acts take, by the path's last part (others take a reason).
JSON: dict[str, dict[str, Any]] = {
    "verify": {},
    "roles": {"role": "administrator", "grant": True},
}


def is_administration(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in PREFIXES)


def calls(app: Starlette, target: uuid.UUID, routes: Any = None) -> Iterator[tuple[str, str]]:
    """(method, url) for every administration route, path parameters filled in: a title
    names an existing page, an id an author, a version the first one."""
    values = {"title": TITLE, "id": str(target), "author_id": str(target), "version": "1"}
    for route in routes if routes is not None else app.routes:
        if not isinstance(route, Route) or not is_administration(route.path):
            continue
        params = {name: values.get(name, "1") for name in route.param_convertors}
        url = str(route.url_path_for(route.name, **params))
        for method in sorted(route.methods or ()):
            yield method, url


def call(client: TestClient, method: str, url: str, csrf: str, token: str | None) -> Any:
    headers = {"X-CSRF-Token": csrf}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if method in ("GET", "HEAD", "DELETE"):
        return client.request(method, url, headers=headers)
    if url.startswith("/api/"):
        body = JSON.get(url.rsplit("/", 1)[-1], {"reason": "vandring"})
        return client.request(method, url, json=body, headers=headers)
    return client.request(method, url, data={**FORM, "csrf_token": csrf}, headers=headers)


def person(site: Site, admin_id: uuid.UUID, state: str) -> uuid.UUID:
    """An author with a confirmed account: an editor, an unverified author or a blocked
    administrator."""
    author_id = site.wiki.register_author(f"Person {state}")
    if state != "unverified":
        site.wiki.verify_author(admin_id, author_id)
    if state == "blocked administrator":
        site.wiki.grant_role(admin_id, author_id, "administrator")
        site.wiki.block_author(admin_id, author_id, "vandringens test")
    site.accounts.create(
        author_id, f"{state.replace(' ', '-')}@example.dk", PASSWORD, confirmed=True
    )
    return author_id


@pytest.fixture
def walk(site: Site, editor: uuid.UUID) -> Site:
    site.wiki.save_page(editor, TITLE, "Den oprindelige tekst.\n", summary="Oprettet")
    return site


@pytest.fixture
def client(walk: Site) -> Iterator[TestClient]:
    with TestClient(create_app(walk)) as test_client:
        walk.views_current()
        yield test_client


def refusal(response: Any) -> bool:
    """A JSON answer saying why the caller may not."""
    code = response.json()["error"]["code"]
    return code in ("forbidden", "not_verified", "blocked")


def unchanged(site: Site, before: int | None) -> bool:
    return site.wiki.recorder.max_notification_id() == before and not site.suppressed_reads.newest()


# ---------------------------------------------------------------------- the walk


def test_the_walk_covers_the_administration(client: TestClient, editor: uuid.UUID) -> None:
    paths = {url.split("?")[0] for _, url in calls(client.app, editor)}  # type: ignore[arg-type]

    assert {
        "/admin",
        "/admin/authors",
        f"/admin/authors/{editor}/block",
        f"/admin/pages/{TITLE}",
        f"/admin/pages/{TITLE}/revisions/1",
        f"/admin/pages/{TITLE}/revisions/1/suppress",
        "/admin/reads",
        f"/api/v1/admin/authors/{editor}/roles",
        f"/api/v1/admin/pages/{TITLE}/protect",
        f"/api/v1/admin/pages/{TITLE}/revisions/1",
        "/api/v1/admin/suppressed-reads",
    } <= paths


def test_anonymous_callers_get_401_everywhere(
    client: TestClient, walk: Site, editor: uuid.UUID
) -> None:
    before = walk.wiki.recorder.max_notification_id()
    wrong = []

    for method, url in calls(client.app, editor):  # type: ignore[arg-type]
        client.cookies.clear()
        response = call(client, method, url, "kein-token", None)
        if response.status_code != 401:
            wrong.append(f"{method} {url}: {response.status_code}")
        elif method == "HEAD":
            continue
        elif url.startswith("/api/"):
            if response.json()["error"]["code"] != "not_authenticated":
                wrong.append(f"{method} {url}: {response.text}")
        elif 'href="/login?next=' not in response.text:
            wrong.append(f"{method} {url}: no way to log in")

    assert not wrong, "\n".join(wrong)
    assert unchanged(walk, before)


@pytest.mark.parametrize("state", ["editor", "unverified", "blocked administrator"])
def test_everyone_but_administrators_gets_403_everywhere(
    client: TestClient, walk: Site, admin: uuid.UUID, editor: uuid.UUID, state: str
) -> None:
    who = editor if state == "editor" else person(walk, admin, state)
    token = walk.accounts.create_token(who, "vandring")
    before = walk.wiki.recorder.max_notification_id()
    wrong = []

    for method, url in calls(client.app, editor):  # type: ignore[arg-type]
        for by_token in (False, True) if url.startswith("/api/") else (False,):
            client.cookies.clear()
            csrf = sign_in(client, walk, who)
            response = call(client, method, url, csrf, token if by_token else None)
            if response.status_code != 403:
                wrong.append(f"{method} {url} (token: {by_token}): {response.status_code}")
            elif method != "HEAD" and url.startswith("/api/") and not refusal(response):
                wrong.append(f"{method} {url}: {response.text}")

    assert not wrong, "\n".join(wrong)
    assert unchanged(walk, before)


def test_a_wrong_token_is_401_even_with_an_administrators_session(
    client: TestClient, walk: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, walk, admin)
    wrong = []

    for method, url in calls(client.app, editor):  # type: ignore[arg-type]
        if url.startswith("/api/"):
            response = call(client, method, url, csrf, "iw_ingen-rigtig-noegle")
            if response.status_code != 401:
                wrong.append(f"{method} {url}: {response.status_code}")

    assert not wrong, "\n".join(wrong)


def test_administrators_get_through(
    client: TestClient, walk: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    """The same calls as an administrator are answered by the routes themselves: the
    refusals above are no accident of the requests."""
    token = walk.accounts.create_token(admin, "vandring")
    wrong = []

    for method, url in calls(client.app, editor):  # type: ignore[arg-type]
        client.cookies.clear()
        csrf = sign_in(client, walk, admin)
        response = call(client, method, url, csrf, token if url.startswith("/api/") else None)
        refused = (401,) if method not in ("GET", "HEAD") else (401, 403)
        if response.status_code in refused:
            wrong.append(f"{method} {url}: {response.status_code}")

    assert not wrong, "\n".join(wrong)


def test_unknown_administration_paths_are_guarded_too(
    client: TestClient, walk: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    for path in ("/admin/findes-ikke", "/api/v1/admin/findes-ikke"):
        client.cookies.clear()
        assert client.get(path).status_code == 401
        sign_in(client, walk, editor)
        assert client.get(path).status_code == 403
        sign_in(client, walk, admin)
        assert client.get(path).status_code == 404
    client.cookies.clear()
    assert client.get("/administration").status_code == 404  # not under the prefix
    assert client.get("/adminx").status_code == 404


def test_the_refusal_page_sends_a_post_back_to_the_administration(client: TestClient) -> None:
    response = client.post(f"/admin/pages/{TITLE}/protect", data=FORM)

    assert response.status_code == 401
    assert 'href="/login?next=%2Fadmin"' in response.text


def test_the_login_link_keeps_the_address(client: TestClient) -> None:
    response = client.get("/admin/authors", params={"navn": "Bo"})

    assert response.status_code == 401
    found = re.search(r'href="(/login\?next=[^"]+)"', response.text)
    assert found is not None and found.group(1) == "/login?next=%2Fadmin%2Fauthors%3Fnavn%3DBo"


# ---------------------------------------------------------------------- without the first check


@pytest.fixture
def unguarded(walk: Site) -> Iterator[TestClient]:
    """The application without `AdministratorsOnly`: only the routes' own checks."""
    app = create_app(walk)
    app.router.routes = [
        route for route in app.router.routes if not isinstance(route, AdministratorsOnly)
    ]
    with TestClient(app) as test_client:
        walk.views_current()
        yield test_client


@pytest.mark.parametrize("state", ["editor", "unverified", "blocked administrator"])
def test_without_the_first_check_the_wiki_still_refuses(
    unguarded: TestClient, walk: Site, admin: uuid.UUID, editor: uuid.UUID, state: str
) -> None:
    walk.wiki.save_page(editor, TITLE, "Anden tekst.\n", base_version=1)
    walk.wiki.save_page(editor, TITLE, "Tredje tekst.\n", base_version=2)
    walk.wiki.suppress_revision(admin, TITLE, 1, "Persondata")
    walk.views_current()
    who = editor if state == "editor" else person(walk, admin, state)
    token = walk.accounts.create_token(who, "vandring")
    target = person(walk, admin, "target")
    before = walk.wiki.recorder.max_notification_id()
    wrong = []

    for method, url in calls(unguarded.app, target, [*admin_pages.ROUTES, *admin_api.ROUTES]):  # type: ignore[arg-type]
        unguarded.cookies.clear()
        csrf = sign_in(unguarded, walk, who)
        response = call(unguarded, method, url, csrf, token if url.startswith("/api/") else None)
        if response.status_code != 403:
            wrong.append(f"{method} {url}: {response.status_code}")

    assert not wrong, "\n".join(wrong)
    assert walk.wiki.recorder.max_notification_id() == before
    assert walk.suppressed_reads.newest() == []


def test_the_guard_holds_under_a_root_path(site: Site, editor: uuid.UUID) -> None:
    """Behind a proxy that mounts the wiki at /wiki-app, admin paths are still guarded."""
    with TestClient(create_app(site), root_path="/wiki-app") as client:
        assert client.get("/wiki-app/admin/reads").status_code == 401
        sign_in(client, site, editor)
        assert client.get("/wiki-app/api/v1/admin/suppressed-reads").status_code == 403
