"""The administrators' queue in the browser (`/admin`): people whose address is confirmed
wait there until an administrator confirms their real name; on SQLite and PostgreSQL."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.web import sign_in
from web.app import create_app
from web.site import Site
from wikiengine.errors import NotVerified

PASSWORD = "korrekt hest batteri"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


def person(site: Site, name: str, email: str, *, confirmed: bool = True) -> uuid.UUID:
    author_id = site.wiki.register_author(name)
    site.accounts.create(author_id, email, PASSWORD, confirmed=confirmed)
    return author_id


def queued(html: str) -> list[str]:
    """The author ids the queue offers to confirm, in order."""
    return re.findall(r'action="/admin/authors/([0-9a-f-]+)/verify"', html)


def verify(client: TestClient, csrf: str | None, author_id: uuid.UUID | str) -> int:
    data = {"csrf_token": csrf} if csrf is not None else {}
    response = client.post(f"/admin/authors/{author_id}/verify", data=data, follow_redirects=False)
    return response.status_code


def test_queue_lists_confirmed_addresses_whose_name_is_not_confirmed(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    first = person(site, "Søren Ærø", "soren@example.dk")
    second = person(site, "Åse Ødegård", "aase@example.dk")
    person(site, "Ubekræftet Adresse", "ny@example.dk", confirmed=False)
    blocked = person(site, "Blokeret Bent", "bent@example.dk")
    site.wiki.block_author(admin, blocked, "Spam")
    site.accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)  # verified already
    csrf = sign_in(client, site, admin)

    response = client.get("/admin")

    assert response.status_code == 200
    html = response.text
    assert queued(html) == [str(first), str(second)]
    assert "Søren Ærø" in html and "soren@example.dk" in html
    assert "Åse Ødegård" in html and "aase@example.dk" in html
    assert (
        "ny@example.dk" not in html and "Blokeret Bent" not in html and "bo@example.dk" not in html
    )
    assert re.search(r"\d\d\.\d\d\.\d{4} kl\. \d\d\.\d\d UTC", html)  # registered at
    assert html.count(f'name="csrf_token" value="{csrf}"') >= 2
    assert "Bekræft identitet" in html
    assert 'aria-current="page">Administration' in html
    assert response.headers["cache-control"] == "no-store"


def test_empty_queue_says_so(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    sign_in(client, site, admin)
    assert "Ingen venter lige nu." in client.get("/admin").text


def test_administrator_confirms_a_name_through_the_form(
    client: TestClient, site: Site, admin: uuid.UUID
) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    with pytest.raises(NotVerified):
        site.wiki.save_page(waiting, "Prøve", "Tekst\n")
    csrf = sign_in(client, site, admin)

    response = client.post(
        f"/admin/authors/{waiting}/verify", data={"csrf_token": csrf}, follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == f"/admin?verified={waiting}"
    page = client.get(response.headers["location"]).text
    assert "Søren Ærø er nu bekræftet og kan redigere." in page
    assert queued(page) == []
    author = site.wiki.author(waiting)
    assert author.verification == "admin"
    event: Any = list(site.wiki.events.get(waiting))[-1]
    assert event.payload["type"] == "author.identity_verified"
    assert event.payload["author"]["id"] == str(admin)
    assert site.wiki.save_page(waiting, "Prøve", "Tekst\n").version == 1
    # The read model has it too (read your writes): the author's edits are credited.
    site.views_current()
    assert site.reader.author(str(waiting)).name == "Søren Ærø"


def test_confirming_twice_changes_nothing(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    csrf = sign_in(client, site, admin)

    assert verify(client, csrf, waiting) == 303
    events = len(list(site.wiki.events.get(waiting)))
    assert verify(client, csrf, waiting) == 303

    assert len(list(site.wiki.events.get(waiting))) == events


def test_verified_message_only_for_verified_authors(
    client: TestClient, site: Site, admin: uuid.UUID
) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    sign_in(client, site, admin)

    for value in (str(waiting), "ikke-et-id", str(uuid.uuid4())):
        page = client.get("/admin", params={"verified": value})
        assert page.status_code == 200 and "er nu bekræftet" not in page.text


# ---------------------------------------------------------------- who may


def test_anonymous_reader_is_sent_to_login(client: TestClient) -> None:
    response = client.get("/admin", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fadmin"


def test_anonymous_post_is_401_and_changes_nothing(client: TestClient, site: Site) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    page = client.get("/login").text  # a session with a CSRF token, nobody logged in
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None

    assert verify(client, found.group(1), waiting) == 401
    assert not site.wiki.author(waiting).is_verified


def test_editor_who_is_no_administrator_gets_403(
    client: TestClient, site: Site, editor: uuid.UUID
) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    csrf = sign_in(client, site, editor)

    page = client.get("/admin")
    assert page.status_code == 403
    assert "soren@example.dk" not in page.text
    assert verify(client, csrf, waiting) == 403  # the wiki itself refuses
    assert not site.wiki.author(waiting).is_verified
    assert "Administration" not in client.get("/account").text  # not in the menu


def test_pending_person_cannot_confirm_themselves(client: TestClient, site: Site) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    csrf = sign_in(client, site, waiting)

    assert client.get("/admin").status_code == 403
    assert verify(client, csrf, waiting) == 403
    assert not site.wiki.author(waiting).is_verified


def test_blocked_administrator_is_refused(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    other_admin = site.wiki.register_author("Carl Christensen")
    site.wiki.verify_author(admin, other_admin)
    site.wiki.grant_role(admin, other_admin, "administrator")
    site.wiki.block_author(admin, other_admin, "Misbrug")
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    csrf = sign_in(client, site, other_admin)

    assert client.get("/admin").status_code == 403
    assert verify(client, csrf, waiting) == 403
    assert not site.wiki.author(waiting).is_verified


def test_verify_without_csrf_token_is_403(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    sign_in(client, site, admin)

    assert verify(client, None, waiting) == 403
    assert verify(client, "forkert", waiting) == 403
    assert not site.wiki.author(waiting).is_verified


def test_verify_unknown_author_is_404(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    csrf = sign_in(client, site, admin)

    assert verify(client, csrf, uuid.uuid4()) == 404
    assert verify(client, csrf, "ikke-et-id") == 404


def test_get_on_verify_is_not_allowed(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    waiting = person(site, "Søren Ærø", "soren@example.dk")
    sign_in(client, site, admin)

    assert client.get(f"/admin/authors/{waiting}/verify").status_code == 405
    assert not site.wiki.author(waiting).is_verified
