"""Administration in the browser, on SQLite and PostgreSQL: the queue (`/admin`) of people
whose address is confirmed and whose real name waits for an administrator; all authors
(`/admin/authors`: verify, block, unblock, grant and revoke the administrator role); a
page's moderation (`/admin/pages/{title}`: protect, delete, hide a revision's text); any
revision's text as an administrator reads it, and the log of reads of hidden text.

Every act must change the author or page and store an event signed by the administrator;
`tests/test_admin_access.py` shows that nobody else gets in."""

import re
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.test_translations import DANISH, visible
from tests.web import sign_in
from web.app import create_app
from web.site import Site
from wikiengine.errors import Blocked, NotVerified, Protected

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


def test_anonymous_reader_gets_401_with_the_way_to_log_in(client: TestClient) -> None:
    response = client.get("/admin", follow_redirects=False)

    assert response.status_code == 401
    assert 'href="/login?next=%2Fadmin"' in response.text
    assert "Log ind som administrator" in response.text
    assert response.headers["cache-control"] == "no-store"


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
    assert verify(client, csrf, waiting) == 403
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


# ---------------------------------------------------------------- authors

SECRET = "Ring til Jens på 12 34 56 78, cpr 010203-1234."


def post(client: TestClient, url: str, csrf: str | None, **fields: str) -> Any:
    data = {**fields, **({"csrf_token": csrf} if csrf is not None else {})}
    return client.post(url, data=data, follow_redirects=False)


def newest_payload(site: Site, aggregate_id: uuid.UUID) -> dict[str, Any]:
    event: Any = list(site.wiki.events.get(aggregate_id))[-1]
    payload: dict[str, Any] = event.payload
    return payload


def event_count(site: Site, aggregate_id: uuid.UUID) -> int:
    return len(list(site.wiki.events.get(aggregate_id)))


def author_row(html: str, author_id: uuid.UUID) -> str:
    found = re.search(rf'<tr id="forfatter-{author_id}">(.*?)</tr>', html, re.DOTALL)
    assert found is not None, f"no row for {author_id}"
    return found.group(1)


def test_authors_lists_everyone_with_the_acts_that_apply(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    waiting = person(site, "Åse Ødegård", "aase@example.dk")
    blocked = person(site, "Carl Carlsen", "carl@example.dk")
    site.wiki.verify_author(admin, blocked)
    site.wiki.block_author(admin, blocked, "Spam")
    csrf = sign_in(client, site, admin)
    site.views_current()

    response = client.get("/admin/authors")

    assert response.status_code == 200
    html = response.text
    assert response.headers["cache-control"] == "no-store"
    names = re.findall(r'<th scope="row"><a href="/authors/[0-9a-f-]+">([^<]+)</a>', html)
    assert names == ["Anna Ærø", "Bo Østergaard", "Carl Carlsen", "Åse Ødegård"]  # Danish order
    own = author_row(html, admin)
    assert "(dig)" in own and "Bekræftet af driften" in own and "Administrator" in own
    assert "/block" not in own and "/roles" not in own  # no acts against oneself
    bo = author_row(html, editor)
    assert "Bekræftet af en administrator" in bo and "Aktiv" in bo
    assert f'action="/admin/authors/{editor}/block"' in bo
    assert 'name="grant" value="true"' in bo and "/verify" not in bo
    aase = author_row(html, waiting)
    assert "Ikke bekræftet" in aase and f'action="/admin/authors/{waiting}/verify"' in aase
    assert 'name="back" value="authors"' in aase and "/roles" not in aase
    carl = author_row(html, blocked)
    assert "Blokeret" in carl and f'action="/admin/authors/{blocked}/unblock"' in carl
    assert f"/authors/{blocked}/block" not in carl
    assert html.count(f'name="csrf_token" value="{csrf}"') >= 6
    assert 'href="/admin/authors" aria-current="page"' in html
    assert 'href="/admin/audit"' in html and 'href="/admin/integrity"' in html

    found = client.get("/admin/authors", params={"navn": "  østergaard "}).text
    assert "Bo Østergaard" in found and "Åse Ødegård" not in found
    assert (
        "Ingen forfattere har »Zebra« i navnet."
        in client.get("/admin/authors", params={"navn": "Zebra"}).text
    )


def test_block_and_unblock_with_a_reason(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, admin)

    response = post(client, f"/admin/authors/{editor}/block", csrf, reason="  Hærværk  på sider ")

    assert response.status_code == 303
    location = response.headers["location"]
    assert location == f"/admin/authors?done=block&author={editor}#forfatter-{editor}"
    assert site.wiki.author(editor).blocked
    payload = newest_payload(site, editor)
    assert payload["type"] == "author.blocked"
    assert payload["author"]["id"] == str(admin) and payload["summary"] == "Hærværk på sider"
    assert "Bo Østergaard er nu blokeret." in client.get(location).text
    with pytest.raises(Blocked):
        site.wiki.save_page(editor, "Prøve", "Tekst\n")

    response = post(client, f"/admin/authors/{editor}/unblock", csrf, reason="Fejl")

    assert response.status_code == 303
    assert not site.wiki.author(editor).blocked
    payload = newest_payload(site, editor)
    assert payload["type"] == "author.unblocked" and payload["author"]["id"] == str(admin)
    assert payload["summary"] == "Fejl"
    assert (
        "Bo Østergaard er ikke længere blokeret." in client.get(response.headers["location"]).text
    )
    assert site.wiki.save_page(editor, "Prøve", "Tekst\n").version == 1


@pytest.mark.parametrize("reason", [None, "", "   \t "])
def test_block_and_unblock_need_a_reason(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID, reason: str | None
) -> None:
    csrf = sign_in(client, site, admin)
    fields = {"reason": reason} if reason is not None else {}
    events = event_count(site, editor)

    response = post(client, f"/admin/authors/{editor}/block", csrf, **fields)

    assert response.status_code == 422
    assert "Skriv en begrundelse" in response.text and 'role="alert"' in response.text
    assert "Bo Østergaard" in response.text  # the list again, to try once more
    assert not site.wiki.author(editor).blocked
    site.wiki.block_author(admin, editor, "Spam")
    events = event_count(site, editor)
    assert post(client, f"/admin/authors/{editor}/unblock", csrf, **fields).status_code == 422
    assert site.wiki.author(editor).blocked and event_count(site, editor) == events


def test_a_reason_longer_than_a_summary_is_422(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, admin)

    response = post(client, f"/admin/authors/{editor}/block", csrf, reason="x" * 501)

    assert response.status_code == 422 and "Begrundelsen er for lang." in response.text
    assert not site.wiki.author(editor).blocked


def test_verify_from_the_authors_list_returns_there(
    client: TestClient, site: Site, admin: uuid.UUID
) -> None:
    waiting = person(site, "Åse Ødegård", "aase@example.dk")
    csrf = sign_in(client, site, admin)

    response = post(client, f"/admin/authors/{waiting}/verify", csrf, back="authors")

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"/admin/authors?done=verify&author={waiting}")
    assert site.wiki.author(waiting).verification == "admin"
    assert newest_payload(site, waiting)["author"]["id"] == str(admin)
    assert (
        "Åse Ødegård er nu bekræftet og kan redigere."
        in client.get(response.headers["location"]).text
    )


def test_grant_and_revoke_the_administrator_role(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, admin)

    response = post(
        client, f"/admin/authors/{editor}/roles", csrf, role="administrator", grant="true"
    )

    assert response.status_code == 303
    assert site.wiki.author(editor).is_administrator
    payload = newest_payload(site, editor)
    assert payload["type"] == "author.role_granted" and payload["author"]["id"] == str(admin)
    assert payload["data"] == {"role": "administrator"}
    assert "Bo Østergaard er nu administrator." in client.get(response.headers["location"]).text
    other = TestClient(client.app)
    sign_in(other, site, editor)
    assert other.get("/admin").status_code == 200

    response = post(
        client, f"/admin/authors/{editor}/roles", csrf, role="administrator", grant="false"
    )

    assert response.status_code == 303
    assert not site.wiki.author(editor).is_administrator
    payload = newest_payload(site, editor)
    assert payload["type"] == "author.role_revoked" and payload["author"]["id"] == str(admin)
    assert (
        "Bo Østergaard er ikke længere administrator."
        in client.get(response.headers["location"]).text
    )
    assert other.get("/admin").status_code == 403


def test_unknown_role_is_422(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, admin)

    response = post(client, f"/admin/authors/{editor}/roles", csrf, role="konge", grant="true")

    assert response.status_code == 422
    assert site.wiki.author(editor).roles == []


def test_administrators_cannot_block_themselves(
    client: TestClient, site: Site, admin: uuid.UUID
) -> None:
    csrf = sign_in(client, site, admin)

    assert post(client, f"/admin/authors/{admin}/block", csrf, reason="Prøve").status_code == 403
    assert not site.wiki.author(admin).blocked


@pytest.mark.parametrize("act", ["block", "unblock", "roles", "verify"])
def test_author_acts_need_the_csrf_token(
    client: TestClient, site: Site, admin: uuid.UUID, act: str
) -> None:
    waiting = person(site, "Åse Ødegård", "aase@example.dk")
    sign_in(client, site, admin)
    events = event_count(site, waiting)
    fields = {"reason": "Spam", "role": "administrator", "grant": "true"}

    for csrf in (None, "forkert"):
        response = post(client, f"/admin/authors/{waiting}/{act}", csrf, **fields)
        assert response.status_code == 403

    assert event_count(site, waiting) == events


@pytest.mark.parametrize("act", ["block", "unblock", "roles", "verify"])
def test_author_acts_on_unknown_authors_are_404(
    client: TestClient, site: Site, admin: uuid.UUID, act: str
) -> None:
    csrf = sign_in(client, site, admin)
    fields = {"reason": "Spam", "role": "administrator", "grant": "true"}

    assert post(client, f"/admin/authors/{uuid.uuid4()}/{act}", csrf, **fields).status_code == 404
    assert post(client, f"/admin/authors/ikke-et-id/{act}", csrf, **fields).status_code == 404


def test_a_crafted_address_cannot_claim_an_act(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    sign_in(client, site, admin)

    for done in ("block", "grant", "findes-ikke"):
        page = client.get("/admin/authors", params={"done": done, "author": str(editor)})
        assert page.status_code == 200
        assert "er nu blokeret" not in page.text and "er nu administrator" not in page.text
    page = client.get("/admin/authors", params={"done": "block", "author": "ikke-et-id"})
    assert page.status_code == 200 and 'role="status"' not in page.text


# ---------------------------------------------------------------- pages

TITLE = "Innovation i Århus"
ADMIN_PAGE = "/admin/pages/Innovation_i_%C3%85rhus"


def three_versions(site: Site, author_id: uuid.UUID, title: str = TITLE) -> uuid.UUID:
    """A page whose first text holds personal data, then two better ones."""
    site.wiki.save_page(author_id, title, f"Første udkast. {SECRET}\n", summary="Udkast")
    site.wiki.save_page(author_id, title, "Anden tekst.\n", summary="Renset", base_version=1)
    site.wiki.save_page(author_id, title, "Tredje tekst.\n", summary="Bedre", base_version=2)
    site.views_current()
    return site.wiki.page_by_title(title).id


def test_a_pages_moderation_shows_its_state_and_versions(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    three_versions(site, editor)
    csrf = sign_in(client, site, admin)

    response = client.get(ADMIN_PAGE)

    assert response.status_code == 200
    html = response.text
    assert "Moderation af Innovation i Århus" in html
    for act in ("protect", "delete"):
        assert f'action="{ADMIN_PAGE}/{act}"' in html
    assert "/unprotect" not in html and "/restore" not in html
    suppressible = re.findall(rf'action="{re.escape(ADMIN_PAGE)}/revisions/(\d+)/suppress"', html)
    assert suppressible == ["2", "1"]  # not the current text
    for version in (1, 2, 3):
        assert f'href="{ADMIN_PAGE}/revisions/{version}"' in html
    assert html.count(f'name="csrf_token" value="{csrf}"') >= 4
    assert SECRET not in html  # texts only on a revision's own page
    assert client.get("/admin/pages/Innovation_i_Århus").status_code == 200


def test_protect_and_unprotect_with_a_reason(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    page_id = three_versions(site, editor)
    csrf = sign_in(client, site, admin)

    response = post(client, f"{ADMIN_PAGE}/protect", csrf, reason="Gentaget hærværk")

    assert response.status_code == 303
    assert response.headers["location"] == f"{ADMIN_PAGE}?done=protect"
    assert site.wiki.page(page_id).protected
    payload = newest_payload(site, page_id)
    assert payload["type"] == "page.protected" and payload["author"]["id"] == str(admin)
    assert payload["summary"] == "Gentaget hærværk"
    page = client.get(response.headers["location"]).text
    assert "Siden er nu beskyttet: kun administratorer kan ændre den." in page
    assert f'action="{ADMIN_PAGE}/unprotect"' in page
    with pytest.raises(Protected):
        site.wiki.save_page(editor, TITLE, "Ændret.\n", base_version=4)

    response = post(client, f"{ADMIN_PAGE}/unprotect", csrf, reason="Roligt igen")

    assert response.status_code == 303 and not site.wiki.page(page_id).protected
    payload = newest_payload(site, page_id)
    assert payload["type"] == "page.unprotected" and payload["author"]["id"] == str(admin)
    assert "Siden er ikke længere beskyttet." in client.get(response.headers["location"]).text


def test_delete_and_restore_with_a_reason(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    page_id = three_versions(site, editor)
    csrf = sign_in(client, site, admin)
    reader = TestClient(client.app)

    response = post(client, f"{ADMIN_PAGE}/delete", csrf, reason="Dublet")

    assert response.status_code == 303 and site.wiki.page(page_id).deleted
    payload = newest_payload(site, page_id)
    assert payload["type"] == "page.deleted" and payload["author"]["id"] == str(admin)
    assert reader.get(ADMIN_PAGE.replace("/admin/pages", "/wiki")).status_code == 410
    page = client.get(response.headers["location"])
    assert page.status_code == 200  # a deleted page can still be moderated
    assert "Siden er slettet." in page.text and f'action="{ADMIN_PAGE}/restore"' in page.text

    response = post(client, f"{ADMIN_PAGE}/restore", csrf, reason="Ikke en dublet")

    assert response.status_code == 303 and not site.wiki.page(page_id).deleted
    assert newest_payload(site, page_id)["type"] == "page.restored"
    assert "Siden er genskabt." in client.get(response.headers["location"]).text
    assert reader.get(ADMIN_PAGE.replace("/admin/pages", "/wiki")).status_code == 200


@pytest.mark.parametrize("act", ["protect", "delete", "revisions/1/suppress"])
def test_page_acts_need_a_reason(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID, act: str
) -> None:
    page_id = three_versions(site, editor)
    csrf = sign_in(client, site, admin)
    events = event_count(site, page_id)

    for fields in ({}, {"reason": ""}, {"reason": "  "}):
        response = post(client, f"{ADMIN_PAGE}/{act}", csrf, **fields)
        assert response.status_code == 422
        assert "Skriv en begrundelse" in response.text
        assert "Moderation af Innovation i Århus" in response.text

    assert event_count(site, page_id) == events
    assert post(client, f"{ADMIN_PAGE}/{act}", None, reason="Grund").status_code == 403
    assert event_count(site, page_id) == events


def test_missing_pages_are_404(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    csrf = sign_in(client, site, admin)

    assert client.get("/admin/pages/Findes_ikke").status_code == 404
    assert client.get("/admin/pages/Findes_ikke/revisions/1").status_code == 404
    for act in ("protect", "unprotect", "delete", "restore", "revisions/1/suppress"):
        assert post(client, f"/admin/pages/Findes_ikke/{act}", csrf, reason="x").status_code == 404


def test_missing_versions_are_404(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    three_versions(site, editor)
    sign_in(client, site, admin)

    for version in (0, 4, 2**70):
        assert client.get(f"{ADMIN_PAGE}/revisions/{version}").status_code == 404


def test_find_a_page_by_its_title(client: TestClient, site: Site, admin: uuid.UUID) -> None:
    sign_in(client, site, admin)

    form = client.get("/admin/pages")
    assert form.status_code == 200 and 'name="title"' in form.text
    response = client.get(
        "/admin/pages", params={"title": " Innovation i  Århus "}, follow_redirects=False
    )
    assert response.status_code == 303 and response.headers["location"] == ADMIN_PAGE


# ---------------------------------------------------------------- hidden text


def test_suppressing_through_the_form_hides_the_text_from_readers_only(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    page_id = three_versions(site, editor)
    csrf = sign_in(client, site, admin)
    reader = TestClient(client.app)
    public = "/wiki/Innovation_i_%C3%85rhus?version=1"
    assert SECRET in reader.get(public).text

    response = post(client, f"{ADMIN_PAGE}/revisions/1/suppress", csrf, reason="Personoplysninger")

    assert response.status_code == 303
    assert response.headers["location"] == f"{ADMIN_PAGE}?done=suppress&version=1"
    assert site.wiki.page(page_id).suppressed == [1]
    payload = newest_payload(site, page_id)
    assert payload["type"] == "page.revision_suppressed"
    assert payload["author"]["id"] == str(admin) and payload["summary"] == "Personoplysninger"
    assert payload["data"]["revision"] == 1
    moderation = client.get(response.headers["location"]).text
    assert "Teksten i version 1 er nu skjult for offentligheden." in moderation
    assert "læs den skjulte tekst" in moderation
    # The public sees that the text is hidden, never the text.
    hidden = reader.get(public)
    assert hidden.status_code == 410 and SECRET not in hidden.text
    assert reader.get(f"/api/v1/pages/{TITLE}/revisions/1").status_code == 410
    assert site.suppressed_reads.newest() == []

    # An administrator still reads it, and the read is logged.
    shown = client.get(f"{ADMIN_PAGE}/revisions/1")

    assert shown.status_code == 200
    assert SECRET in shown.text and "Personoplysninger" in shown.text
    assert "Din læsning er logget" in shown.text
    [read] = site.suppressed_reads.newest()
    assert read.reader_id == admin and read.page_id == page_id
    assert read.title == TITLE and read.version == 1
    log = client.get("/admin/reads").text
    assert "Anna Ærø" in log and f'href="{ADMIN_PAGE}/revisions/1"' in log


def test_reading_text_that_is_not_hidden_is_not_logged(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    three_versions(site, editor)
    sign_in(client, site, admin)

    for version in (1, 2, 3):
        shown = client.get(f"{ADMIN_PAGE}/revisions/{version}")
        assert shown.status_code == 200 and "Din læsning er logget" not in shown.text
    assert SECRET in client.get(f"{ADMIN_PAGE}/revisions/1").text

    assert site.suppressed_reads.newest() == []
    assert "Ingen har læst skjult tekst endnu." in client.get("/admin/reads").text


def test_a_later_version_that_shows_hidden_text_is_logged_too(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    page_id = three_versions(site, editor)
    site.wiki.protect_page(admin, TITLE, "Ro")  # version 4 shows the text of version 3
    site.wiki.save_page(admin, TITLE, "Fjerde tekst.\n", base_version=4)
    site.wiki.suppress_revision(admin, TITLE, 3, "Injurier")
    site.views_current()
    sign_in(client, site, admin)

    shown = client.get(f"{ADMIN_PAGE}/revisions/4")

    assert shown.status_code == 200 and "Tredje tekst." in shown.text
    assert "teksten er fra version 3" in shown.text
    [read] = site.suppressed_reads.newest()
    assert read.page_id == page_id and read.version == 3


def test_the_current_text_cannot_be_hidden(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    page_id = three_versions(site, editor)
    csrf = sign_in(client, site, admin)

    response = post(client, f"{ADMIN_PAGE}/revisions/3/suppress", csrf, reason="Persondata")

    assert response.status_code == 422
    assert site.wiki.page(page_id).suppressed == []


# ---------------------------------------------------------------- in English


def test_the_administration_in_english_shows_no_danish(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    site.wiki.save_page(editor, "Pilot", "A first text.\n", summary="First")
    site.wiki.save_page(editor, "Pilot", "A second text.\n", summary="Second", base_version=1)
    site.wiki.suppress_revision(admin, "Pilot", 1, "Personal data")
    site.views_current()
    anonymous = client.get("/admin/authors?lang=en")
    assert anonymous.status_code == 401 and "Log in as an administrator" in visible(anonymous.text)
    sign_in(client, site, admin)
    pages = {
        "/admin": "Waiting for verification",
        "/admin/authors": "Authors in alphabetical order",
        "/admin/pages": "Go to the page",
        "/admin/pages/Pilot": "Protect the page",
        "/admin/pages/Pilot/revisions/1": "The text is hidden from the public",
        "/admin/reads": "Reads, newest first",
    }
    problems = []
    for path, phrase in pages.items():
        response = client.get(f"{path}?lang=en")
        text = visible(response.text)
        if response.status_code != 200 or phrase not in text:
            problems.append(f"{path}: {response.status_code}, no {phrase!r}")
        problems += [f"{path}: Danish {found.group(0)!r}" for found in DANISH.finditer(text)]
    assert not problems, "\n".join(problems)
