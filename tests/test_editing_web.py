"""Editing in the browser: the editor and its preview, new pages from a kind's template,
errors that keep the editor's text, the merge screen, revert and rename; on both stores."""

import html
import json
import re
import secrets
import uuid
from base64 import b64encode
from collections.abc import Iterator
from typing import Any

import itsdangerous
import pytest
from starlette.testclient import TestClient

from tests.web import sign_in
from web.app import create_app
from web.sessions import SESSION_COOKIE
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.errors import PageNotFound
from wikiengine.kinds import KINDS, new_page_text

TITLE = "Idéstorme i Århus"
EDIT = "/wiki/Id%C3%A9storme_i_%C3%85rhus/edit"
PAGE = "/wiki/Id%C3%A9storme_i_%C3%85rhus"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


def anonymous_session(client: TestClient, site: Site) -> str:
    """A session with a CSRF token and nobody logged in (as after the login page)."""
    token = secrets.token_urlsafe(32)
    data = b64encode(json.dumps({"csrf": token}).encode())
    client.cookies.set(
        SESSION_COOKIE, itsdangerous.TimestampSigner(list(site.secret_keys)).sign(data).decode()
    )
    return token


def textarea(page: str, element_id: str) -> str:
    """The text a browser shows in a textarea (the newline after the tag is not part of it)."""
    found = re.search(rf'<textarea id="{element_id}"[^>]*>\n(.*?)</textarea>', page, re.DOTALL)
    assert found is not None, f"no textarea #{element_id}"
    return html.unescape(found.group(1))


def hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)">', page)
    assert found is not None, f"no hidden {name}"
    return html.unescape(found.group(1))


def payloads(wiki: Wiki, title: str) -> list[dict[str, Any]]:
    page = wiki.page_by_title(title)
    return [event.payload for event in wiki.events.get(page.id)]


def save(
    client: TestClient, csrf: str, body: str, base: int | str = "", url: str = EDIT, **extra: str
) -> Any:
    form = {"csrf_token": csrf, "body": body, "base_version": str(base), "action": "save"}
    return client.post(url, data={**form, **extra}, follow_redirects=False)


def unverified(wiki: Wiki) -> uuid.UUID:
    return wiki.register_author("Cecilie Uverificeret")


def blocked(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    author = wiki.register_author("Dennis Blokeret")
    wiki.verify_author(admin, author)
    wiki.block_author(admin, author, "Spam")
    return author


# ---------------------------------------------------------------------- the editor


def test_anonymous_editor_is_sent_to_log_in(client: TestClient) -> None:
    response = client.get(EDIT + "?kind=case", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == (
        "/login?next=%2Fwiki%2FId%C3%A9storme_i_%C3%85rhus%2Fedit%3Fkind%3Dcase"
    )


def test_create_a_page_from_the_form(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, editor)
    form = client.get(EDIT)
    assert form.status_code == 200
    page = form.text
    assert "<h1>Opret <q>Idéstorme i Århus</q></h1>" in page
    assert textarea(page, "tekst") == new_page_text("article")
    assert hidden(page, "base_version") == "" and hidden(page, "csrf_token") == csrf
    assert '<button type="submit" name="action" value="preview">Forhåndsvis</button>' in page
    assert 'name="action" value="save"' in page and ">Gem</button>" in page
    assert '<label for="tekst">' in page and '<label for="resume">' in page
    assert "[[Titel|tekst]]" in page and "<code>tags</code>" in page
    assert 'href="?kind=case"' in page and 'href="?kind=article" aria-current="page"' in page

    body = "Idéstormen gav mange [[Idéer]].\n"
    response = save(client, csrf, body, summary="Første udgave")

    assert response.status_code == 303
    assert response.headers["location"] == PAGE
    assert wiki.page_by_title(TITLE).body == body
    (created, *_) = payloads(wiki, TITLE)
    assert created["type"] == "page.created"
    assert created["author"]["id"] == str(editor) and created["author"]["name"] == "Bo Østergaard"
    assert created["summary"] == "Første udgave"
    shown = client.get(PAGE)  # read your writes: the view has the page already
    assert shown.status_code == 200 and "Idéstormen gav mange" in shown.text


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_starts_from_its_template(
    client: TestClient, site: Site, editor: uuid.UUID, kind: str
) -> None:
    sign_in(client, site, editor)
    page = client.get(f"{EDIT}?kind={kind}").text
    assert textarea(page, "tekst") == new_page_text(kind)
    assert f'href="?kind={kind}" aria-current="page"' in page
    assert f"<code>kind: {kind}</code>" in page
    own = {"case": "organisation", "recommendation": "audience", "network": "parties"}
    if kind in own:
        assert f"<code>{own[kind]}</code>" in page  # the kind's own fields are explained


def test_unknown_kind_is_422(client: TestClient, site: Site, editor: uuid.UUID) -> None:
    sign_in(client, site, editor)
    assert client.get(f"{EDIT}?kind=blog").status_code == 422


def test_edit_an_existing_page(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(admin, TITLE, "Første <tekst> & mere\n", "Oprettet")
    site.views_current()
    csrf = sign_in(client, site, editor)

    page = client.get(EDIT).text
    assert "<h1>Rediger <q>Idéstorme i Århus</q></h1>" in page
    assert textarea(page, "tekst") == "Første <tekst> & mere\n"
    assert "&lt;tekst&gt; &amp; mere" in page
    assert hidden(page, "base_version") == "1"
    assert 'href="?kind=' not in page  # the kind is chosen when a page is created

    response = save(client, csrf, "Anden tekst\r\nmed to linjer\r\n", 1, summary="Rettet")

    assert response.status_code == 303 and response.headers["location"] == PAGE
    current = wiki.page_by_title(TITLE)
    assert current.version == 2 and current.body == "Anden tekst\nmed to linjer\n"
    edited = payloads(wiki, TITLE)[-1]
    assert edited["type"] == "page.edited" and edited["author"]["id"] == str(editor)
    assert edited["summary"] == "Rettet"
    assert "Anden tekst" in client.get(PAGE).text


def test_old_title_editor_moves_to_the_page_address(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Gammel titel", "tekst\n")
    wiki.rename_page(editor, "Gammel titel", "Ny titel")
    site.views_current()
    sign_in(client, site, editor)
    for action in ("edit", "rename", "revert?to=1"):
        response = client.get(f"/wiki/Gammel_titel/{action}", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == f"/wiki/Ny_titel/{action}"


def test_preview_renders_and_saves_nothing(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, editor)
    body = (
        "---\nkind: case\norganisation: Aarhus Kommune\nsector: kommune\n"
        "recommendations: [Tillid først]\n---\nNu med **fed** og [[Idéer|idéer]].\n"
    )
    before = wiki.recorder.max_notification_id()

    response = client.post(
        EDIT,
        data={"csrf_token": csrf, "body": body, "summary": "Kladde", "action": "preview"},
    )

    assert response.status_code == 200
    page = response.text
    assert '<h2 id="forhaandsvisning">Forhåndsvisning</h2>' in page
    assert "<strong>fed</strong>" in page
    assert '<a class="wikilink" href="/wiki/Id%C3%A9er">idéer</a>' in page
    assert "<dt>Organisation</dt><dd>Aarhus Kommune</dd>" in page
    assert "<dt>Sektor</dt><dd>Kommune</dd>" in page
    assert 'href="/wiki/Tillid_f%C3%B8rst">Tillid først</a>' in page
    assert textarea(page, "tekst") == body
    assert 'value="Kladde"' in page and hidden(page, "base_version") == ""
    assert wiki.recorder.max_notification_id() == before
    with pytest.raises(PageNotFound):
        wiki.page_by_title(TITLE)


def test_script_in_a_preview_is_made_harmless(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, editor)
    body = (
        "<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n"
        "[klik](javascript:alert(3)) [[</textarea><script>alert(4)</script>]]\n"
    )
    page = client.post(EDIT, data={"csrf_token": csrf, "body": body, "action": "preview"}).text
    assert "<script" not in page and "<img" not in page
    assert 'href="javascript' not in page
    assert textarea(page, "tekst") == body  # escaped, so the textarea is not closed early
    assert page.count("</textarea>") == 1


def test_front_matter_error_keeps_the_exact_text_and_names_field_and_line(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, editor)
    body = "---\nkind: case\nsector: kommunen\n---\n  Indrykket tekst med  to mellemrum \n\n"

    for action in ("save", "preview"):
        response = client.post(
            EDIT,
            data={"csrf_token": csrf, "body": body, "summary": "Ny", "action": action},
        )
        assert response.status_code == 422, action
        page = response.text
        assert textarea(page, "tekst") == body
        assert 'aria-invalid="true"' in page
        assert 'aria-describedby="tekst-hint tekst-fejl"' in page
        assert '<p class="field-error" id="tekst-fejl">Linje 3, feltet <code>sector</code>' in page
        assert "must be one of stat, kommune, region, other" in page
        assert '<code class="problem-line">sector: kommunen</code>' in page
        assert "<code>organisation</code>" in page  # help for a case, the kind it says
        assert '<a href="#tekst">' in page  # the summary at the top leads to the text
        assert 'value="Ny"' in page
    with pytest.raises(PageNotFound):
        wiki.page_by_title(TITLE)


def test_too_large_text_is_413_and_kept(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, editor)
    body = "x" * 1_000_001
    response = save(client, csrf, body)
    assert response.status_code == 413
    assert textarea(response.text, "tekst") == body
    assert "1.000.000 byte" in response.text
    with pytest.raises(PageNotFound):
        wiki.page_by_title(TITLE)


# ---------------------------------------------------------------------- conflicts


def test_overlapping_edits_show_the_merge_screen_then_the_resolution_saves(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, TITLE, "Linje et\nLinje to\nLinje tre\n")
    site.views_current()
    csrf = sign_in(client, site, editor)
    base = hidden(client.get(EDIT).text, "base_version")
    assert base == "1"
    wiki.save_page(admin, TITLE, "Linje et\nLinje to ifølge Anna\nLinje tre\n", "Annas", 1)

    mine = "Linje et\nLinje to ifølge Bo\nLinje tre\n"
    response = save(client, csrf, mine, base, summary="Bos")

    assert response.status_code == 409
    page = response.text
    assert "Redigeringskonflikt" in page
    assert "Mens du redigerede version 1, gemte Anna Ærø version 2" in page
    assert "<ins> ifølge Anna</ins>" in page  # their change, the changed words marked
    merged = textarea(page, "tekst")
    assert merged.splitlines() == [
        "Linje et",
        "<<<<<<< version 2",
        "Linje to ifølge Anna",
        "=======",
        "Linje to ifølge Bo",
        ">>>>>>> your edit",
        "Linje tre",
    ]
    assert textarea(page, "egen-tekst") == mine
    assert hidden(page, "base_version") == "2"
    assert 'value="Bos"' in page
    current = wiki.page_by_title(TITLE)
    assert current.version == 2 and "Anna" in current.body  # nothing saved

    refused = save(client, csrf, merged, 2, summary="Bos")  # markers left in
    assert refused.status_code == 422
    assert textarea(refused.text, "tekst") == merged
    assert "Linje 2" in refused.text and "konfliktmarkeringer" in refused.text
    assert wiki.page_by_title(TITLE).version == 2

    resolved = "Linje et\nLinje to ifølge Anna og Bo\nLinje tre\n"
    done = save(client, csrf, resolved, 2, summary="Flettet")
    assert done.status_code == 303 and done.headers["location"] == PAGE
    current = wiki.page_by_title(TITLE)
    assert current.version == 3 and current.body == resolved
    assert payloads(wiki, TITLE)[-1]["author"]["id"] == str(editor)


def test_clean_concurrent_edits_merge(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, TITLE, "Et\nTo\nTre\nFire\nFem\n")
    site.views_current()
    csrf = sign_in(client, site, editor)
    wiki.save_page(admin, TITLE, "Et (Anna)\nTo\nTre\nFire\nFem\n", "Annas", 1)

    response = save(client, csrf, "Et\nTo\nTre\nFire\nFem (Bo)\n", 1, summary="Bos")

    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}/diff?from=1&to=3"
    current = wiki.page_by_title(TITLE)
    assert current.body == "Et (Anna)\nTo\nTre\nFire\nFem (Bo)\n"
    last = payloads(wiki, TITLE)[-1]
    assert last["data"]["merged"] is True and last["author"]["id"] == str(editor)


def test_a_lone_heading_underline_is_not_a_conflict_marker(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    csrf = sign_in(client, site, editor)
    assert save(client, csrf, "Overskrift\n=======\n\nTekst\n").status_code == 303
    assert wiki.page_by_title(TITLE).body == "Overskrift\n=======\n\nTekst\n"


# ---------------------------------------------------------------------- who may


def test_anonymous_save_is_401_and_the_text_is_kept(
    client: TestClient, site: Site, wiki: Wiki
) -> None:
    csrf = anonymous_session(client, site)
    for action in ("save", "preview"):
        response = client.post(
            EDIT, data={"csrf_token": csrf, "body": "Min <tekst>\n", "action": action}
        )
        assert response.status_code == 401
        assert textarea(response.text, "din-tekst") == "Min <tekst>\n"
        assert 'href="/login?next=%2Fwiki%2FId%C3%A9storme_i_%C3%85rhus%2Fedit"' in response.text
    with pytest.raises(PageNotFound):
        wiki.page_by_title(TITLE)


@pytest.mark.parametrize("who", ["unverified", "blocked"])
def test_unverified_and_blocked_authors_may_not_edit(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID, who: str
) -> None:
    wiki.save_page(editor, TITLE, "Tekst\n")
    site.views_current()
    author = unverified(wiki) if who == "unverified" else blocked(wiki, admin)
    csrf = sign_in(client, site, author)
    explanation = (
        "En administrator skal bekræfte dit navn"
        if who == "unverified"
        else "Din konto er blokeret"
    )

    for url in (EDIT, "/wiki/Ny_side/edit", f"{PAGE}/rename", f"{PAGE}/revert?to=1"):
        form = client.get(url)
        assert form.status_code == 403, url
        assert explanation in form.text and "<textarea" not in form.text

    response = save(client, csrf, "Mit forsøg\n", 1)
    assert response.status_code == 403
    assert explanation in response.text
    assert textarea(response.text, "din-tekst") == "Mit forsøg\n"
    rename = client.post(
        f"{PAGE}/rename", data={"csrf_token": csrf, "new_title": "Andet", "base_version": "1"}
    )
    revert = client.post(f"{PAGE}/revert?to=1", data={"csrf_token": csrf, "base_version": "1"})
    assert rename.status_code == 403 and revert.status_code == 403
    assert wiki.page_by_title(TITLE).version == 1


def test_protected_page_is_for_administrators(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, TITLE, "Beskyttet <tekst>\n")
    wiki.protect_page(admin, TITLE, "Hærværk")
    site.views_current()
    csrf = sign_in(client, site, editor)

    form = client.get(EDIT)
    assert form.status_code == 403
    assert "Siden er beskyttet" in form.text
    assert textarea(form.text, "sidens-tekst") == "Beskyttet <tekst>\n"
    assert "readonly" in form.text and 'name="body"' not in form.text
    response = save(client, csrf, "Ændret\n", 2)
    assert response.status_code == 403 and textarea(response.text, "din-tekst") == "Ændret\n"
    assert wiki.page_by_title(TITLE).body == "Beskyttet <tekst>\n"

    csrf = sign_in(client, site, admin)
    assert client.get(EDIT).status_code == 200
    assert save(client, csrf, "Ændret af Anna\n", 2).status_code == 303
    assert wiki.page_by_title(TITLE).body == "Ændret af Anna\n"


def test_missing_or_wrong_csrf_token_is_refused_and_the_text_kept(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    sign_in(client, site, editor)
    for token in (None, "forkert"):
        data = {"body": "Min tekst\n", "base_version": "", "action": "save"}
        if token is not None:
            data["csrf_token"] = token
        response = client.post(EDIT, data=data)
        assert response.status_code == 403
        assert "Formularen er for gammel" in response.text
        assert textarea(response.text, "din-tekst") == "Min tekst\n"
        assert 'href="/wiki/Id%C3%A9storme_i_%C3%85rhus/edit"' in response.text
    with pytest.raises(PageNotFound):
        wiki.page_by_title(TITLE)


def test_deleted_page_is_410(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, TITLE, "Tekst\n")
    wiki.delete_page(admin, TITLE, "Dublet")
    site.views_current()
    csrf = sign_in(client, site, editor)

    assert client.get(EDIT).status_code == 410
    response = save(client, csrf, "Genopliv\n", 1)
    assert response.status_code == 410
    assert "Siden er slettet" in response.text
    assert textarea(response.text, "din-tekst") == "Genopliv\n"
    assert wiki.page_by_title(TITLE).version == 2  # created, deleted; nothing more


# ---------------------------------------------------------------------- revert


def test_revert_shows_the_change_then_reverts(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(admin, TITLE, "Den gode tekst\n")
    wiki.save_page(admin, TITLE, "Den dårlige tekst\n", base_version=1)
    site.views_current()
    csrf = sign_in(client, site, editor)

    form = client.get(f"{PAGE}/revert?to=1")

    assert form.status_code == 200
    page = form.text
    assert "Gendan version 1 af" in page
    assert "<del>dårlige</del>" in page and "<ins>gode</ins>" in page
    assert hidden(page, "base_version") == "2"
    assert f'action="{PAGE}/revert?to=1"' in page

    response = client.post(
        f"{PAGE}/revert?to=1",
        data={"csrf_token": csrf, "summary": "Tilbage", "base_version": "2"},
        follow_redirects=False,
    )

    assert response.status_code == 303 and response.headers["location"] == PAGE
    current = wiki.page_by_title(TITLE)
    assert current.version == 3 and current.body == "Den gode tekst\n"
    reverted = payloads(wiki, TITLE)[-1]
    assert reverted["type"] == "page.reverted" and reverted["author"]["id"] == str(editor)
    assert reverted["summary"] == "Tilbage" and reverted["data"]["to_version"] == 1


def test_revert_errors(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, TITLE, "Et\n")
    wiki.save_page(editor, TITLE, "Privat\n", base_version=1)
    wiki.save_page(editor, TITLE, "Tre\n", base_version=2)
    wiki.suppress_revision(admin, TITLE, 2, "Personoplysninger")
    site.views_current()

    assert client.get(f"{PAGE}/revert?to=1", follow_redirects=False).status_code == 303
    anonymous = anonymous_session(client, site)
    response = client.post(f"{PAGE}/revert?to=1", data={"csrf_token": anonymous})
    assert response.status_code == 401

    csrf = sign_in(client, site, editor)
    assert client.get(f"{PAGE}/revert?to=2").status_code == 410
    assert client.get(f"{PAGE}/revert?to=9").status_code == 404
    assert client.get(f"{PAGE}/revert?to=x").status_code == 422
    assert client.get(f"{PAGE}/revert").status_code == 422
    assert client.get("/wiki/Findes_ikke/revert?to=1").status_code == 404
    assert client.post(f"{PAGE}/revert?to=1", data={"base_version": "4"}).status_code == 403
    assert (
        client.post(
            f"{PAGE}/revert?to=2", data={"csrf_token": csrf, "base_version": "4"}
        ).status_code
        == 410
    )
    assert wiki.page_by_title(TITLE).version == 4  # three texts and the suppression


def test_revert_over_a_newer_overlapping_edit_is_409_and_asks_again(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(admin, TITLE, "Første\n")
    wiki.save_page(admin, TITLE, "Anden\n", base_version=1)
    site.views_current()
    csrf = sign_in(client, site, editor)
    wiki.save_page(admin, TITLE, "Tredje\n", base_version=2)

    response = client.post(f"{PAGE}/revert?to=1", data={"csrf_token": csrf, "base_version": "2"})

    assert response.status_code == 409
    assert "nu version 3" in response.text
    assert hidden(response.text, "base_version") == "3"
    assert wiki.page_by_title(TITLE).body == "Tredje\n"


# ---------------------------------------------------------------------- rename


def test_rename_moves_the_page_and_credits_the_renamer(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(admin, TITLE, "Tekst\n")
    site.views_current()
    csrf = sign_in(client, site, editor)

    form = client.get(f"{PAGE}/rename")
    assert form.status_code == 200
    assert 'name="new_title" type="text" value="Idéstorme i Århus"' in form.text
    assert hidden(form.text, "base_version") == "1"

    response = client.post(
        f"{PAGE}/rename",
        data={
            "csrf_token": csrf,
            "new_title": "Idéstorme i Aarhus",
            "summary": "Stavemåde",
            "base_version": "1",
        },
        follow_redirects=False,
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/wiki/Id%C3%A9storme_i_Aarhus"
    renamed = payloads(wiki, "Idéstorme i Aarhus")[-1]
    assert renamed["type"] == "page.renamed" and renamed["author"]["id"] == str(editor)
    assert renamed["summary"] == "Stavemåde"
    old = client.get(PAGE, follow_redirects=False)
    assert old.status_code == 301
    assert old.headers["location"].startswith("/wiki/Id%C3%A9storme_i_Aarhus")


def test_rename_errors_keep_the_form(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, TITLE, "Tekst\n")
    wiki.save_page(editor, "Optaget", "Anden side\n")
    site.views_current()
    csrf = sign_in(client, site, editor)

    def rename(new_title: str, token: str | None = csrf) -> Any:
        data = {"new_title": new_title, "summary": "Min grund", "base_version": "1"}
        if token is not None:
            data["csrf_token"] = token
        return client.post(f"{PAGE}/rename", data=data, follow_redirects=False)

    taken = rename("optaget")
    assert taken.status_code == 409
    assert "Der findes allerede en side med titlen »Optaget«" in taken.text
    assert 'value="optaget"' in taken.text and 'value="Min grund"' in taken.text
    assert 'aria-invalid="true"' in taken.text
    invalid = rename("Med | streg")
    assert invalid.status_code == 422
    assert "Titlen kan ikke bruges" in invalid.text and 'value="Med | streg"' in invalid.text
    assert rename("Andet", token=None).status_code == 403
    assert client.get("/wiki/Findes_ikke/rename").status_code == 404
    client.cookies.clear()
    anonymous_session(client, site)
    assert client.get(f"{PAGE}/rename", follow_redirects=False).status_code == 303
    anonymous = anonymous_session(client, site)
    assert rename("Andet", token=anonymous).status_code == 401
    assert wiki.page_by_title(TITLE).version == 1
