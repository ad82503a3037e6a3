"""Walk every route of the app with every method it takes, as a stranger, as an author
whose identity is not verified yet and as a blocked author, with valid CSRF tokens and
bearer tokens, and prove that none of them changes the wiki's content.

The same walk as a verified author must change content on the editing routes: that shows
the requests are good enough to have done harm had the checks been missing.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.web import sign_in
from web.app import create_app
from web.site import Site
from wikiengine.application import Wiki

TITLE = "Testside"
# Events a stranger may cause: registering (an unverified author) is how one starts.
HARMLESS_TOPICS = ("Author.Registered",)
FORM = {
    "body": "Ændret af vandringen.\n",
    "summary": "vandring",
    "base_version": "1",
    "to": "1",
    "to_version": "1",
    "version": "1",
    "new_title": "Omdøbt af vandringen",
    "action": "save",
    "kind": "article",
    "reason": "vandring",
    "role": "administrator",
    "label": "vandring",
    "name": "Vandrer Vandrersen",
    "email": "vandrer@example.dk",
    "password": "et-langt-kodeord",
    "password_repeat": "et-langt-kodeord",
}
# The API's request models refuse unknown fields, so each kind of JSON request is tried.
JSON_BODIES: tuple[dict[str, Any], ...] = (
    {"body": "Ændret af vandringen.\n", "summary": "vandring", "base_version": 1},
    {"to_version": 1, "summary": "vandring", "base_version": 1},
    {"new_title": "Omdøbt af vandringen", "summary": "vandring", "base_version": 1},
    {"name": "Vandrer Vandrersen", "email": "vandrer@example.dk", "password": "et-langt-kodeord"},
    {"email": "vandrer@example.dk", "password": "et-langt-kodeord"},
    {"reason": "vandring"},
    {"role": "administrator"},
    {},
)


def _calls(site: Site, author_id: uuid.UUID) -> Iterator[tuple[str, str]]:
    """(method, url) for every route of the app, path parameters filled in."""
    values = {"title": TITLE, "id": str(author_id), "version": "1", "author_id": str(author_id)}
    for route in create_app(site).routes:
        if not isinstance(route, Route):
            continue  # static files
        params = {name: values.get(name, "1") for name in route.param_convertors}
        url = route.url_path_for(route.name, **params)
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                yield method, f"{url}?to=1&from=1&version=1"


def _content_events(wiki: Wiki, after: int) -> list[str]:
    """Topics of the events stored after position `after`, harmless ones left out."""
    notifications = wiki.recorder.select_notifications(start=after + 1, limit=1000)
    topics = [notification.topic for notification in notifications]
    return [topic for topic in topics if not topic.endswith(HARMLESS_TOPICS)]


def _walk(
    site: Site, client: TestClient, author_id: uuid.UUID | None, token: str | None
) -> dict[str, list[str]]:
    """Every call, by form and by JSON; returns the calls that stored content events."""
    changed: dict[str, list[str]] = {}
    for method, url in _calls(site, _any_author(site)):
        bodies: list[dict[str, Any] | None] = [None, *JSON_BODIES]
        for json_body in bodies:
            # A fresh session each time: `/logout` on the way must not end the walk's.
            client.cookies.clear()
            csrf = sign_in(client, site, author_id) if author_id else "no-session"
            before = site.wiki.recorder.max_notification_id() or 0
            headers = {"X-CSRF-Token": csrf}
            if token is not None and url.startswith("/api/"):
                headers["Authorization"] = f"Bearer {token}"
            # A new text each time: saving the text a page already has changes nothing.
            # and the version the page is at, as an editor's form would carry it.
            text = f"Ændret af vandringen, kald {len(changed)}-{before}.\n"
            version = site.wiki.page_by_title(TITLE).version
            if json_body is None:
                form = {**FORM, "body": text, "base_version": str(version), "csrf_token": csrf}
                client.request(method, url, data=form, headers=headers)
            else:
                body = {**json_body, "body": text} if "body" in json_body else dict(json_body)
                if "base_version" in body:
                    body["base_version"] = version
                client.request(method, url, json=body, headers=headers)
            events = _content_events(site.wiki, before)
            if events:
                changed[f"{method} {url} ({'form' if json_body is None else 'json'})"] = events
                _undo_rename(site)
            site.views_current()
    return changed


def _undo_rename(site: Site) -> None:
    """Give the page its title back, so that later calls still reach it by its title."""
    page = site.wiki.page_by_title(TITLE)
    if page.title != TITLE:
        site.wiki.rename_page(_any_author(site), page.title, TITLE)


def _any_author(site: Site) -> uuid.UUID:
    return uuid.UUID(site.reader.page(TITLE).created_by.id)


@pytest.fixture
def walk_site(site: Site, wiki: Wiki, editor: uuid.UUID) -> Site:
    wiki.save_page(editor, TITLE, "Den oprindelige tekst.\n", summary="Oprettet")
    return site


def _person(site: Site, admin: uuid.UUID, status: str) -> tuple[uuid.UUID | None, str | None]:
    """An author in the given state with a confirmed account and an API token."""
    if status == "anonymous":
        return None, None
    author_id = site.wiki.register_author(f"Person {status}")
    if status in ("blocked", "verified"):
        site.wiki.verify_author(admin, author_id)
    if status == "blocked":
        site.wiki.block_author(admin, author_id, "vandringens test")
    site.accounts.create(author_id, f"{status}@example.dk", "et-langt-kodeord", confirmed=True)
    return author_id, site.accounts.create_token(author_id, "vandring")


@pytest.mark.parametrize("status", ["anonymous", "unverified", "blocked"])
def test_no_route_changes_content_without_a_verified_author(
    walk_site: Site, admin: uuid.UUID, status: str
) -> None:
    author_id, token = _person(walk_site, admin, status)
    with TestClient(create_app(walk_site)) as client:
        walk_site.views_current()
        changed = _walk(walk_site, client, author_id, token)
        assert walk_site.wiki.page_by_title(TITLE).version == 1
    assert changed == {}


def test_the_walk_is_able_to_change_content_as_a_verified_author(
    walk_site: Site, admin: uuid.UUID
) -> None:
    author_id, token = _person(walk_site, admin, "verified")
    assert author_id is not None
    with TestClient(create_app(walk_site)) as client:
        walk_site.views_current()
        changed = _walk(walk_site, client, author_id, token)
    routes = {call.split(" (")[0].split("?")[0] for call in changed}
    assert {
        f"PUT /api/v1/pages/{TITLE}",
        f"POST /wiki/{TITLE}/edit",
        f"POST /wiki/{TITLE}/rename",
        f"POST /api/v1/pages/{TITLE}/rename",
    } <= routes, sorted(changed)
