"""A page's past in the browser, from the read model, on SQLite and PostgreSQL: old
versions and time travel, the history with paging and comparing, differences side by side
and inline, blame, credits, backlinks, recent changes and their Atom feed, and authors.

A suppressed revision's text must never appear on any of them.
"""

import hashlib
import re
import uuid
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator
from datetime import timedelta

import pytest
from starlette.testclient import TestClient

from storage.queries import PAGE_BACKLINKS
from tests.web import sign_in
from web.app import create_app
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.attribution import parse_signed_at

ATOM = "{http://www.w3.org/2005/Atom}"
SECRET = "CPR-nummer 010203-4567"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture
def borgerservice(site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID) -> Site:
    """A page whose version 2 held personal data, suppressed after version 3 removed it."""
    wiki.save_page(editor, "Borgerservice", "Første udgave\n", "Oprettet")
    wiki.save_page(editor, "Borgerservice", f"Første udgave\n{SECRET}\n", "Detaljer", 1)
    wiki.save_page(admin, "Borgerservice", "Første udgave\nRettet\n", "Fjernede CPR", 2)
    wiki.suppress_revision(admin, "Borgerservice", 2, "Personoplysninger")
    site.views_current()
    return site


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def versions_in(html: str) -> list[int]:
    return [int(number) for number in re.findall(r'<th scope="row">(\d+)</th>', html)]


# ---------------------------------------------------------------------- old versions


def test_an_old_version_is_labelled_and_links_to_now(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "## Mål\n\nFørste mål\n\n## Midler\n\nPenge\n", "Start")
    wiki.save_page(admin, "Plan", "Helt ny plan\n", "Omskrevet", 1)
    site.views_current()

    response = client.get("/wiki/Plan?version=1")

    assert response.status_code == 200
    html = response.text
    assert "Første mål" in html and "Helt ny plan" not in html
    assert "Du ser version 1 fra <time" in html
    assert f'af <a href="/authors/{editor}">Bo Østergaard</a>.' in html
    assert '<a href="/wiki/Plan">Se den nuværende version.</a>' in html
    assert 'href="/wiki/Plan/diff?from=1&amp;to=2"' in html
    assert 'class="toc"' in html  # the old text's own headings
    assert '<meta name="robots" content="noindex">' in html
    assert "Henvisninger hertil</h3>" not in html  # backlinks are about the page now

    current = client.get("/wiki/Plan?version=2").text
    assert "Det er den nuværende version." in current and "Helt ny plan" in current


def test_a_missing_or_malformed_version_is_refused(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "tekst\n")
    site.views_current()

    for missing in ("0", "2", "99999999999999999999999"):
        response = client.get(f"/wiki/Plan?version={missing}")
        assert response.status_code == 404, missing
        assert "Den version findes ikke" in response.text
    for bad in ("en", "-1", "1.5", "", "\u0661"):  # an Arabic-Indic one
        assert client.get(f"/wiki/Plan?version={bad}").status_code == 422, bad
    assert client.get("/wiki/Plan?version=1&at=2026-01-01").status_code == 422


def test_a_suppressed_version_is_gone_but_its_neighbours_show(
    client: TestClient, borgerservice: Site
) -> None:
    hidden = client.get("/wiki/Borgerservice?version=2")
    assert hidden.status_code == 410
    assert "Teksten er skjult" in hidden.text and SECRET not in hidden.text
    assert 'href="/wiki/Borgerservice/history"' in hidden.text

    for version in (1, 3):
        assert client.get(f"/wiki/Borgerservice?version={version}").status_code == 200
    # The suppression itself (version 4) shows version 3's text, not the hidden one.
    assert "Rettet" in client.get("/wiki/Borgerservice?version=4").text


def test_time_travel_shows_the_page_as_it_was(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "Første tekst\n")
    wiki.save_page(editor, "Plan", "Anden tekst\n", "", 1)
    site.views_current()
    [second, first] = site.reader.revisions("Plan").revisions
    between = (
        parse_signed_at(first.signed_at)
        + (parse_signed_at(second.signed_at) - parse_signed_at(first.signed_at)) / 2
    )
    before = parse_signed_at(first.signed_at) - timedelta(days=1)

    moment = between.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    html = client.get("/wiki/Plan", params={"at": moment}).text
    assert "Første tekst" in html and "Anden tekst" not in html
    assert "Siden som den så ud <time" in html and "Du ser version 1" in html

    for later in (
        "9999-12-31",  # a date: the end of that day
        "9999-12-31T23:59",  # what <input type="datetime-local"> sends (read as UTC)
        "9999-12-31T23:59:59+01:00",
    ):
        response = client.get("/wiki/Plan", params={"at": later})
        assert response.status_code == 200, later
        assert "Anden tekst" in response.text

    too_early = client.get("/wiki/Plan", params={"at": before.strftime("%Y-%m-%d")})
    assert too_early.status_code == 404
    assert "Siden fandtes ikke endnu" in too_early.text and "Plan fandtes ikke" in too_early.text

    for bad in ("i går", "2026-13-01", "0001-01-01T00:00:00+05:00"):
        assert client.get("/wiki/Plan", params={"at": bad}).status_code == 422, bad


def test_time_travel_into_a_suppressed_text_is_refused(
    client: TestClient, borgerservice: Site
) -> None:
    revisions = borgerservice.reader.revisions("Borgerservice").revisions
    second = next(revision for revision in revisions if revision.version == 2)
    response = client.get("/wiki/Borgerservice", params={"at": second.signed_at})
    assert response.status_code == 410 and SECRET not in response.text


# ---------------------------------------------------------------------- history


def test_history_lists_every_revision_without_suppressed_text(
    client: TestClient, borgerservice: Site, editor: uuid.UUID
) -> None:
    response = client.get("/wiki/Borgerservice/history")

    assert response.status_code == 200
    html = response.text
    assert versions_in(html) == [4, 3, 2, 1]
    for body in ("Første udgave\n", f"Første udgave\n{SECRET}\n", "Første udgave\nRettet\n"):
        assert sha256(body) in html  # the digests stay, to check the signed log with
    assert f'<a href="/authors/{editor}">Bo Østergaard</a>' in html and "Anna Ærø" in html
    for label in ("Oprettet", "Redigeret", "Tekst skjult"):
        assert label in html
    assert "Detaljer" in html and "Personoplysninger" in html
    assert "(teksten er skjult)" in html
    assert SECRET not in html
    assert "14 tegn" in html and "+14" in html and "+23" in html and "\u221216" in html
    # No way to the hidden text: no link to show it, compare with it or restore it.
    assert 'href="/wiki/Borgerservice?version=2"' not in html
    assert "from=2&amp;" not in html and "to=2" not in html
    assert 'value="2"' not in html
    assert 'href="/wiki/Borgerservice?version=1"' in html
    assert 'href="/wiki/Borgerservice/diff?from=0&amp;to=1"' in html
    for url in ("/wiki/Borgerservice", "/api/v1/pages/Borgerservice", "/api/v1/export"):
        assert SECRET not in client.get(url).text


def test_history_offers_restore_links_to_editors_only(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "en\n")
    wiki.save_page(editor, "Plan", "to\n", "", 1)
    wiki.rename_page(editor, "Plan", "Planen")
    site.views_current()
    restore = 'href="/wiki/Planen/revert?to=1"'

    assert restore not in client.get("/wiki/Planen/history").text
    stranger = wiki.register_author("Ikke Bekræftet")
    sign_in(client, site, stranger)
    assert restore not in client.get("/wiki/Planen/history").text

    sign_in(client, site, editor)
    html = client.get("/wiki/Planen/history").text
    assert restore in html
    assert "revert?to=2" not in html and "revert?to=3" not in html  # the current text
    assert "Omdøbt" in html


def test_history_marks_a_merged_edit(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "a\nb\nc\n")
    wiki.save_page(admin, "Plan", "A\nb\nc\n", "Admin", 1)
    wiki.save_page(editor, "Plan", "a\nb\nC\n", "Bo", 1)  # stale base: merged
    site.views_current()
    html = client.get("/wiki/Plan/history").text
    assert html.count("(flettet)") == 1


def test_history_has_a_compare_form_and_a_time_travel_form(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    for number in range(1, 4):
        wiki.save_page(editor, "Plan", f"udgave {number}\n", "", number - 1 or None)
    site.views_current()

    html = client.get("/wiki/Plan/history").text

    form = html[html.index('<form class="compare"') : html.index("</form>", html.index("compare"))]
    assert 'method="get" action="/wiki/Plan/diff"' in form
    assert '<input type="radio" id="til-3" name="to" value="3" checked>' in form
    assert '<input type="radio" id="fra-2" name="from" value="2" checked>' in form
    assert '<label class="visually-hidden" for="fra-1">Fra version 1</label>' in form
    assert 'type="submit"' in form
    assert '<form class="time-travel" method="get" action="/wiki/Plan">' in html
    assert '<label for="tidspunkt">' in html
    assert '<input id="tidspunkt" type="datetime-local" name="at" required>' in html


def test_history_pages_fifty_at_a_time(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Lang", "0\n")
    for number in range(1, 120):
        wiki.save_page(editor, "Lang", f"{number}\n", "", number)
    site.views_current()

    first = client.get("/wiki/Lang/history").text
    assert versions_in(first) == list(range(120, 70, -1))
    assert '<a href="/wiki/Lang/history?before=71" rel="next">Ældre</a>' in first
    assert 'rel="prev"' not in first

    second = client.get("/wiki/Lang/history?before=71").text
    assert versions_in(second) == list(range(70, 20, -1))
    assert '<a href="/wiki/Lang/history?before=21" rel="next">Ældre</a>' in second
    assert '<a href="/wiki/Lang/history" rel="prev">Nyere</a>' in second

    last = client.get("/wiki/Lang/history?before=21").text
    assert versions_in(last) == list(range(20, 0, -1))
    assert 'rel="next"' not in last
    assert '<a href="/wiki/Lang/history?before=71" rel="prev">Nyere</a>' in last

    assert versions_in(client.get("/wiki/Lang/history?before=999999999999").text)[0] == 120
    for bad in ("x", "-3", "1e3"):
        assert client.get(f"/wiki/Lang/history?before={bad}").status_code == 422, bad


# ---------------------------------------------------------------------- differences


def test_diff_side_by_side_marks_the_changed_words(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "Vi mødes mandag kl. 10\nFælles linje\nFjernes\n", "Start")
    wiki.save_page(admin, "Plan", "Vi mødes tirsdag kl. 10\nFælles linje\nNy linje\n", "Ret", 1)
    site.views_current()

    response = client.get("/wiki/Plan/diff")  # to the current version, from the one before

    assert response.status_code == 200
    html = response.text
    assert "<h2>Version 1</h2>" in html and "<h2>Version 2</h2>" in html
    assert f'<a href="/authors/{editor}">Bo Østergaard</a>' in html
    assert f'<a href="/authors/{admin}">Anna Ærø</a>' in html
    assert '<p class="summary">Start</p>' in html and '<p class="summary">Ret</p>' in html
    assert 'class="diff diff-side"' in html
    assert "Vi mødes <del>mandag</del> kl. 10" in html
    assert "Vi mødes <ins>tirsdag</ins> kl. 10" in html
    assert '<tr class="same">' in html and "Fælles linje" in html
    assert '<a href="/wiki/Plan/diff?from=1&amp;to=2&amp;view=inline">Linje for linje</a>' in html
    assert 'aria-current="page">Side om side</a>' in html
    assert client.get("/wiki/Plan/diff?from=1&to=2").text == html


def test_diff_inline_lists_removed_then_added_lines(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "Vi mødes mandag\nFælles\n")
    wiki.save_page(editor, "Plan", "Vi mødes tirsdag\nFælles\n", "", 1)
    site.views_current()

    html = client.get("/wiki/Plan/diff?from=1&to=2&view=inline").text

    assert 'class="diff diff-inline"' in html
    removed = html.index("Vi mødes <del>mandag</del>")
    added = html.index("Vi mødes <ins>tirsdag</ins>")
    assert removed < added
    assert '<tr class="removed">' in html and '<tr class="added">' in html
    assert 'aria-current="page">Linje for linje</a>' in html


def test_diff_of_the_first_version_is_against_the_empty_page(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "Første linje\n")
    site.views_current()
    html = client.get("/wiki/Plan/diff").text
    assert "<h2>Tom side</h2>" in html and "Før siden blev oprettet." in html
    assert "<ins>Første linje</ins>" in html


def test_diff_of_equal_texts_says_so(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "tekst\n")
    wiki.rename_page(editor, "Plan", "Planen")
    site.views_current()
    html = client.get("/wiki/Planen/diff").text
    assert "Der er ingen forskel i teksten" in html and "<table" not in html


def test_diff_refuses_missing_malformed_and_suppressed_versions(
    client: TestClient, borgerservice: Site
) -> None:
    base = "/wiki/Borgerservice/diff"
    for query in ("from=1&to=9", "from=9&to=1", "to=0"):
        assert client.get(f"{base}?{query}").status_code == 404, query
    for query in ("from=x", "to=1.0", "view=unified", "from=-1&to=2"):
        assert client.get(f"{base}?{query}").status_code == 422, query
    for query in ("from=1&to=2", "from=2&to=3", "to=2", "from=2&to=3&view=inline"):
        response = client.get(f"{base}?{query}")
        assert response.status_code == 410, query
        assert SECRET not in response.text
    assert client.get(f"{base}?from=1&to=3").status_code == 200


# ---------------------------------------------------------------------- blame, credits


def test_blame_groups_lines_by_the_version_that_wrote_them(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "en\nto\n")
    wiki.save_page(admin, "Plan", "en\nto\ntre\nfire\n", "", 1)
    wiki.save_page(editor, "Plan", "en\nto\ntre\nfire\nfem\n", "", 2)
    site.views_current()

    response = client.get("/wiki/Plan/blame")

    assert response.status_code == 200
    html = response.text
    groups = html.split('<tbody class="blame-group">')[1:]
    assert len(groups) == 3
    assert 'rowspan="2"' in groups[0] and "?version=1" in groups[0]
    assert f'href="/authors/{editor}"' in groups[0]
    assert 'rowspan="2"' in groups[1] and f'href="/authors/{admin}"' in groups[1]
    assert "?version=2" in groups[1] and ">tre</td>" in groups[1] and ">fire</td>" in groups[1]
    assert "?version=3" in groups[2] and ">fem</td>" in groups[2]
    numbers = re.findall(r'<td class="number">(\d+)</td>', html)
    assert numbers == ["1", "2", "3", "4", "5"]
    assert '<th scope="rowgroup"' in html and "<caption" in html


def test_blame_never_shows_a_suppressed_text(client: TestClient, borgerservice: Site) -> None:
    html = client.get("/wiki/Borgerservice/blame").text
    assert "Rettet" in html and SECRET not in html


def test_credits_list_every_contributor_with_their_counts(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "en\n")
    wiki.save_page(editor, "Plan", "en to\n", "", 1)
    wiki.save_page(admin, "Plan", "en to tre\n", "", 2)
    site.views_current()

    html = client.get("/wiki/Plan/credits").text

    rows = re.findall(r'<th scope="row"><a href="/authors/([^"]+)">([^<]+)</a></th>', html)
    assert rows == [(str(editor), "Bo Østergaard"), (str(admin), "Anna Ærø")]
    editor_row = html[html.index(str(editor)) : html.index("</tr>", html.index(str(editor)))]
    assert re.findall(r"<td>(\d+)</td>", editor_row) == ["2", "6", "0"]


def test_backlinks_page_groups_incoming_links_by_relation(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Mål", "---\nkind: case\n---\nen case\n")
    wiki.save_page(editor, "Anbefalingen", "---\nkind: recommendation\ncases: [Mål]\n---\nx\n")
    wiki.save_page(editor, "Artiklen", "Se [[Mål]].\n")
    wiki.save_page(editor, "Ensom", "ingen links\n")
    site.views_current()

    html = client.get("/wiki/Mål/backlinks").text

    assert "<h1>Henvisninger til Mål</h1>" in html
    case_section = html.index("Nævner siden som case")
    link_section = html.index("Linker hertil i teksten")
    assert case_section < html.index('href="/wiki/Anbefalingen"') < link_section
    assert html.index('href="/wiki/Artiklen"') > link_section
    assert "Ingen sider henviser til Ensom endnu." in client.get("/wiki/Ensom/backlinks").text


# ---------------------------------------------------------------------- recent changes


def test_recent_changes_page_through_the_whole_wiki(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Første", "0\n")
    for number in range(1, 55):
        wiki.save_page(editor, "Første", f"{number}\n", f"Ændring {number}", number)
    wiki.save_page(editor, "Anden", "ny side\n", "Ny side")
    site.views_current()

    response = client.get("/recent")

    assert response.status_code == 200
    html = response.text
    assert '<link rel="alternate" type="application/atom+xml"' in html
    assert 'href="/recent.atom"' in html
    assert html.count('<th scope="row">') == 50
    newest = html.index('<a href="/wiki/Anden">Anden</a>')
    assert newest < html.index("Ændring 54")
    assert 'href="/wiki/Anden/diff?from=0&amp;to=1"' in html
    assert 'href="/wiki/F%C3%B8rste/diff?from=53&amp;to=54"' in html
    assert f'<a href="/authors/{editor}">Bo Østergaard</a>' in html
    older = re.search(r'<a href="(/recent\?before=\d+)" rel="next">Ældre</a>', html)
    assert older is not None

    rest = client.get(older.group(1)).text
    assert rest.count('<th scope="row">') == 6  # 56 changes in all
    assert "Ændring 5<" in rest and "Ændring 6<" not in rest
    assert 'rel="next"' not in rest and '<a href="/recent" rel="first">Nyeste</a>' in rest
    assert client.get("/recent?before=soon").status_code == 422


def test_the_atom_feed_has_the_latest_changes(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    site.settings = site.settings.model_copy(update={"base_url": "https://wiki.example.dk"})
    wiki.save_page(editor, "Plan", "en\n", "Start")
    wiki.save_page(editor, "Plan", "to\n", "Ret", 1)
    for number in range(55):
        wiki.save_page(editor, f"Side {number}", "x\n")
    site.views_current()

    response = client.get("/recent.atom")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/atom+xml; charset=utf-8"
    feed = ElementTree.fromstring(response.content)
    assert feed.tag == f"{ATOM}feed"
    assert feed.findtext(f"{ATOM}id") == "https://wiki.example.dk/recent"
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 50
    newest = entries[0]
    assert newest.findtext(f"{ATOM}title") == "Side 54: Oprettet (version 1)"
    assert feed.findtext(f"{ATOM}updated") == newest.findtext(f"{ATOM}updated")
    assert newest.findtext(f"{ATOM}author/{ATOM}name") == "Bo Østergaard"
    ids = [entry.findtext(f"{ATOM}id") for entry in entries]
    assert len(set(ids)) == 50 and all(str(i).startswith("https://wiki.example.dk/") for i in ids)
    links = [entry.find(f"{ATOM}link") for entry in entries]
    assert all(link is not None and link.get("href", "").startswith("https://") for link in links)

    assert b"Plan" not in response.content  # its edits are older than the latest 50
    assert parse_signed_at(str(newest.findtext(f"{ATOM}updated")))


def test_the_atom_feed_escapes_what_people_wrote(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    site.settings = site.settings.model_copy(update={"base_url": "https://wiki.example.dk/"})
    wiki.save_page(editor, "Tom & Jerry's", "en\n")
    wiki.save_page(editor, "Tom & Jerry's", "to\n", '<b>Ret</b> & \x01 "tjek"', 1)
    site.views_current()

    feed = ElementTree.fromstring(client.get("/recent.atom").content)

    [edit, created] = feed.findall(f"{ATOM}entry")
    assert edit.findtext(f"{ATOM}summary") == '<b>Ret</b> & \ufffd "tjek"'
    assert edit.findtext(f"{ATOM}title") == "Tom & Jerry's: Redigeret (version 2)"
    link = edit.find(f"{ATOM}link")
    assert link is not None
    assert link.get("href") == "https://wiki.example.dk/wiki/Tom_%26_Jerry%27s/diff?to=2"
    created_link = created.find(f"{ATOM}link")
    assert created_link is not None
    assert created_link.get("href") == "https://wiki.example.dk/wiki/Tom_%26_Jerry%27s/diff?to=1"


def test_an_empty_feed_is_still_valid_atom(client: TestClient) -> None:
    feed = ElementTree.fromstring(client.get("/recent.atom").content)
    assert feed.findall(f"{ATOM}entry") == []
    assert parse_signed_at(str(feed.findtext(f"{ATOM}updated")))


def test_recent_changes_and_feed_never_show_a_suppressed_text(
    client: TestClient, borgerservice: Site
) -> None:
    for url in ("/recent", "/recent.atom"):
        text = client.get(url).text
        assert "Personoplysninger" in text and SECRET not in text


# ---------------------------------------------------------------------- authors


def test_an_author_profile_shows_who_they_are_and_what_they_wrote(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Plan", "en\n")
    wiki.save_page(editor, "Plan", "en to\n", "", 1)
    wiki.save_page(editor, "Casen", "---\nkind: case\n---\nx\n")
    wiki.block_author(admin, editor, "Hærværk")
    site.views_current()

    html = client.get(f"/authors/{editor}").text

    assert "<h1>Bo Østergaard</h1>" in html
    assert "Bekræftet af en administrator" in html
    assert "Blokeret fra at redigere" in html
    assert "<dt>Registreret</dt>" in html and "<time datetime=" in html
    pages = re.findall(r'<th scope="row"><a href="(/wiki/[^"]+)">', html)
    assert pages == ["/wiki/Casen", "/wiki/Plan"]  # most recently edited first
    assert "<td>Case</td>" in html

    chief = client.get(f"/authors/{admin}").text
    assert "Bekræftet af serverens operatør" in chief and "<dd>Administrator</dd>" in chief
    assert "Blokeret" not in chief
    assert "har ikke skrevet på nogen sider endnu" in chief

    newcomer = wiki.register_author("Ny Person")
    site.views_current()
    assert "Ikke bekræftet endnu" in client.get(f"/authors/{newcomer}").text


def test_an_unknown_or_malformed_author_is_a_404(client: TestClient) -> None:
    for author_id in (str(uuid.uuid4()), "ikke-et-id", "operator"):
        response = client.get(f"/authors/{author_id}")
        assert response.status_code == 404, author_id
        assert "Forfatteren findes ikke" in response.text


def test_a_page_cited_everywhere_shows_some_backlinks_and_links_to_all(
    site: Site, wiki: Wiki, editor: uuid.UUID, client: TestClient
) -> None:
    wiki.save_page(editor, "Populær", "Alle henviser hertil.\n")
    for number in range(PAGE_BACKLINKS + 2):
        wiki.save_page(editor, f"Henviser {number:02}", "Se [[Populær]].\n")
    site.views_current()

    page = client.get("/wiki/Populær").text
    everything = client.get("/wiki/Populær/backlinks").text

    assert page.count('href="/wiki/Henviser_') == PAGE_BACKLINKS
    assert 'href="/wiki/Popul%C3%A6r/backlinks">Se alle sider' in page
    assert everything.count('href="/wiki/Henviser_') == PAGE_BACKLINKS + 2
