"""Reading the wiki's current pages over HTTP, from the read model, on SQLite and
PostgreSQL: pages of every kind, the front page and the page list, missing, deleted and
renamed pages, escaping, headers; the JSON page, the export, the demo and the server.

History, old versions, diffs, blame, credits, recent changes and authors:
`tests/test_web_history.py`."""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.web import sign_in
from web import api, views
from web.app import app_from_environment, create_app
from web.headers import SECURITY_HEADERS
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.demo import DEMO_AUTHOR, load_demo
from wikiengine.errors import InvalidTitle
from wikiengine.keyring import keys_document
from wikiengine.kinds import RELATIONS, read_page
from wikiengine.markup import WIKI_LINK_PATTERN
from wikiengine.verify import verify_lines

CASE = """---
kind: case
organisation: Aarhus Kommune
sector: kommune
recommendations: [Tillid først]
tags: [inddragelse, idéstorm]
---
Idéstormen gav [[Tillid først|en anbefaling]] og flere [[Idéer]].
"""


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


# ---------------------------------------------------------------------- pages


def test_page_shows_title_fields_body_version_and_author(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Idéstorme i Århus", CASE, "Første udgave")
    site.views_current()

    response = client.get("/wiki/Idéstorme_i_Århus")

    assert response.status_code == 200
    html = response.text
    assert '<html lang="da">' in html
    assert html.count("<h1") == 1
    assert "<h1>Idéstorme i Århus</h1>" in html
    assert all(tag in html for tag in ("<header", "<nav", "<main", "<footer", "<aside"))
    assert '<p class="kind">Case</p>' in html
    assert "version 1." in html
    assert f'<a href="/authors/{editor}">Bo Østergaard</a>' in html
    assert "<dt>Organisation</dt>" in html and "Aarhus Kommune" in html
    assert "<dt>Sektor</dt>" in html and "<dd>Kommune</dd>" in html
    # The related page does not exist yet: red, in the text and among the related pages.
    assert '<a class="wikilink missing" href="/wiki/Tillid_f%C3%B8rst">en anbefaling</a>' in html
    assert (
        '<a class="wikilink missing" href="/wiki/Tillid_f%C3%B8rst">Tillid først</a>'
        '<span class="visually-hidden"> (findes ikke endnu)</span>'
    ) in html
    assert '<a href="/search?tags=id%C3%A9storm">idéstorm</a>' in html
    assert "kind: case" not in html  # front matter is shown as fields, not as text
    base = "/wiki/Id%C3%A9storme_i_%C3%85rhus"
    for action in ("/edit", "/history", "/credits", "/blame", "/backlinks", "/rename"):
        assert f'href="{base}{action}"' in html, action
    for label in ("Rediger", "Historik", "Kreditering", "Hvem skrev hvad", "Omdøb"):
        assert f">{label}</a>" in html
    assert "<script" not in html


def test_a_case_shows_its_facts_and_coi_four_in_the_kinds_order(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    body = (
        "---\nkind: case\ndocumentation: Rapport 2015\nconditions: Ledelsesopbakning\n"
        "process: Workshops\neffect: Færre klager\nperiod: 2014-2015\nstatus: Afsluttet\n"
        "area: Ældrepleje\nsector: region\norganisation: Region Midt\n---\nTekst\n"
    )
    wiki.save_page(editor, "Ældrecase", body)
    site.views_current()

    html = client.get("/wiki/Ældrecase").text

    labels = re.findall(r"<dt>([^<]+)</dt>", html)
    assert labels == [
        "Organisation",
        "Sektor",
        "Område",
        "Status",
        "Periode",
        "Virkning",
        "Proces",
        "Betingelser",
        "Dokumentation",
    ]
    assert "<dd>Region</dd>" in html and "<dd>Færre klager</dd>" in html


def test_recommendation_and_network_pages_show_their_fields_and_related_pages(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Idéstorme", "---\nkind: case\n---\nEn case\n")
    wiki.save_page(
        editor,
        "Tillid først",
        "---\nkind: recommendation\naudience: Ledere\ntheme: Samarbejde\n"
        "cases: [Idéstorme, Mangler]\n---\nTekst\n",
    )
    wiki.save_page(
        editor,
        "Politikere",
        "---\nkind: network\nlevel: kommunalbestyrelse\nparties: [A, V]\n"
        "tasks: [Sætte retning, Følge op]\ncases: [Idéstorme]\n"
        "recommendations: [Tillid først]\n---\nTekst\n",
    )
    site.views_current()

    recommendation = client.get("/wiki/Tillid_først").text
    assert '<p class="kind">Anbefaling</p>' in recommendation
    assert "<dt>Målgruppe</dt>" in recommendation and "<dd>Ledere</dd>" in recommendation
    assert "<dt>Tema</dt>" in recommendation and "<dd>Samarbejde</dd>" in recommendation
    assert "<h4>Cases</h4>" in recommendation
    assert '<a class="wikilink" href="/wiki/Id%C3%A9storme">Idéstorme</a>' in recommendation
    assert '<a class="wikilink missing" href="/wiki/Mangler">Mangler</a>' in recommendation

    network = client.get("/wiki/Politikere").text
    assert "<dt>Niveau</dt>" in network and "<dd>Kommunalbestyrelse</dd>" in network
    assert "<dt>Partier</dt>" in network and "<li>V</li>" in network
    assert "<dt>Politikernes opgaver</dt>" in network and "<li>Følge op</li>" in network
    assert "<h4>Cases</h4>" in network and "<h4>Anbefalinger</h4>" in network
    assert 'href="/wiki/Tillid_f%C3%B8rst">Tillid først</a>' in network

    case = client.get("/wiki/Idéstorme").text  # named by both: backlinks by relation
    assert "<h4>Nævner siden som case</h4>" in case
    assert '<a href="/wiki/Tillid_f%C3%B8rst">Tillid først</a>' in case
    assert '<a href="/wiki/Politikere">Politikere</a>' in case


def test_table_of_contents_from_two_headings_up(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Én overskrift", "## Alene\n\ntekst\n")
    wiki.save_page(editor, "Tre overskrifter", "## Første\n\n### Under\n\n## Anden\n\ntekst\n")
    site.views_current()

    assert 'class="toc"' not in client.get("/wiki/Én_overskrift").text
    html = client.get("/wiki/Tre_overskrifter").text
    toc = html[html.index('<nav class="toc"') : html.index("</nav>", html.index('class="toc"'))]
    assert '<h2 id="indholdsfortegnelse">Indhold</h2>' in toc
    anchors = re.findall(r'<a href="#(h-[^"]+)">([^<]+)</a>', toc)
    assert [text for _, text in anchors] == ["Første", "Under", "Anden"]
    for anchor, _ in anchors:
        assert f'id="{anchor}"' in html  # each entry leads to its heading
    assert toc.count("<ol>") == 2  # the level 3 heading is nested under its level 2


def test_red_links_turn_blue_when_the_page_is_written(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Kilde", "Se [[Mål]] og [[Kilde]].\n")
    site.views_current()
    html = client.get("/wiki/Kilde").text
    assert '<a class="wikilink missing" href="/wiki/M%C3%A5l">Mål</a>' in html
    assert '<a class="wikilink" href="/wiki/Kilde">Kilde</a>' in html

    wiki.save_page(editor, "Mål", "Nu findes jeg.\n")
    site.views_current()
    html = client.get("/wiki/Kilde").text
    assert '<a class="wikilink" href="/wiki/M%C3%A5l">Mål</a>' in html
    target = client.get("/wiki/Mål").text
    assert "<h4>Linker hertil i teksten</h4>" in target
    assert '<a href="/wiki/Kilde">Kilde</a>' in target


def test_front_page_is_forside_or_else_the_page_list(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Kommunerne", "Om kommunerne\n")
    site.views_current()
    listing = client.get("/")
    assert listing.status_code == 200
    assert "<h1>Alle sider</h1>" in listing.text and 'href="/wiki/Kommunerne"' in listing.text
    assert "Wikien har endnu ingen forside" in listing.text

    wiki.save_page(editor, "Forside", "Velkommen til *wikien*.\n")
    site.views_current()
    front = client.get("/")
    assert "<h1>Forside</h1>" in front.text
    assert "<em>wikien</em>" in front.text

    wiki.delete_page(admin, "Forside", "Forkert")
    site.views_current()
    assert "<h1>Alle sider</h1>" in client.get("/").text


def test_empty_wiki_front_page_explains_itself(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "ingen sider endnu" in response.text


def test_pages_lists_live_pages_in_danish_order_with_their_kind(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    for title in ("Åbenhed", "Østerbro", "Zebra", "Ærlighed", "abe", "Fjernet"):
        wiki.save_page(editor, title, f"{title}\n")
    wiki.save_page(editor, "Casen", "---\nkind: case\n---\ntekst\n")
    wiki.delete_page(admin, "Fjernet", "Dublet")
    site.views_current()

    html = client.get("/pages").text

    rows = re.findall(r'<th scope="row"><a href="/wiki/[^"]+">([^<]+)</a></th>\s*<td>(\w+)', html)
    assert [title for title, _ in rows] == [
        "Abe",
        "Casen",
        "Zebra",
        "Ærlighed",
        "Østerbro",
        "Åbenhed",
    ]
    assert dict(rows)["Casen"] == "Case" and dict(rows)["Abe"] == "Artikel"
    assert "6 sider i alfabetisk orden" in html


def test_missing_page_is_a_friendly_danish_404_that_offers_to_write_it(
    client: TestClient,
) -> None:
    response = client.get("/wiki/Findes_ikke")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    html = response.text
    assert "<h1>Findes ikke</h1>" in html and "Siden findes ikke endnu." in html
    assert 'href="/wiki/Findes_ikke/edit"' in html
    for kind in ("article", "case", "recommendation", "network"):
        assert f'href="/wiki/Findes_ikke/edit?kind={kind}"' in html
    for suffix in ("/history", "/diff", "/blame", "/credits", "/backlinks"):
        assert client.get(f"/wiki/Findes_ikke{suffix}").status_code == 404, suffix
    assert client.get("/no/such/route").status_code == 404

    invalid = client.get("/wiki/a[b")  # not a valid title: no such page, and none to write
    assert invalid.status_code == 404
    assert "/edit" not in invalid.text and "Siden findes ikke" in invalid.text


def test_a_deleted_page_is_gone_with_its_history(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Fjernet", "hemmelig tekst\n")
    wiki.save_page(editor, "Fjernet", "anden tekst\n", "", 1)
    wiki.delete_page(admin, "Fjernet", "Dublet")
    site.views_current()

    for url in (
        "/wiki/Fjernet",
        "/wiki/Fjernet?version=1",
        "/wiki/Fjernet/history",
        "/wiki/Fjernet/diff?from=1&to=2",
        "/wiki/Fjernet/blame",
        "/wiki/Fjernet/credits",
        "/wiki/Fjernet/backlinks",
    ):
        response = client.get(url)
        assert response.status_code == 410, url
        assert "Siden er slettet" in response.text
        assert "tekst" not in response.text and "/edit" not in response.text


def test_old_title_redirects_to_the_renamed_page(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Gammel titel", "tekst\n")
    wiki.save_page(editor, "Anden side", "tekst\n")
    wiki.rename_page(editor, "Gammel titel", "Ny titel")
    site.views_current()

    response = client.get("/wiki/Gammel_titel", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/wiki/Ny_titel?redirected_from=Gammel_titel"
    assert response.headers["cache-control"] == "no-cache"

    history = client.get("/wiki/Gammel_titel/history?x=1", follow_redirects=False)
    assert history.headers["location"] == "/wiki/Ny_titel/history?x=1"
    old = client.get("/wiki/Gammel_titel?version=1", follow_redirects=False)
    assert old.headers["location"] == "/wiki/Ny_titel?version=1&redirected_from=Gammel_titel"

    followed = client.get("/wiki/Gammel_titel")
    assert followed.status_code == 200 and "<h1>Ny titel</h1>" in followed.text
    assert "(omdirigeret fra Gammel titel)" in followed.text
    # Only a title that really leads here is shown as where the reader came from.
    for spoofed in ("Anden_side", "Ny_titel", "Findes_ikke", "a[b"):
        html = client.get(f"/wiki/Ny_titel?redirected_from={spoofed}").text
        assert "omdirigeret fra" not in html, spoofed

    document = client.get("/api/v1/pages/Gammel_titel").json()
    assert document["title"] == "Ny titel" and document["redirected_from"] == "Gammel_titel"


def test_non_canonical_spelling_redirects_to_the_canonical_url(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Innovation i Århus", "tekst\n")
    site.views_current()
    response = client.get("/wiki/innovation i Århus?version=1", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/wiki/Innovation_i_%C3%85rhus?version=1"
    blame = client.get("/wiki/innovation_i_Århus/blame", follow_redirects=False)
    assert blame.headers["location"] == "/wiki/Innovation_i_%C3%85rhus/blame"


def test_markup_in_a_page_cannot_inject_script(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    body = (
        "---\nkind: case\norganisation: <script>alert('felt')</script>\n---\n"
        "<script>alert('krop')</script>\n\n"
        'Tekst <img src=x onerror="alert(1)"> og [klik](javascript:alert(1))\n'
    )
    wiki.save_page(editor, "Farlig side", body)
    site.views_current()

    html = client.get("/wiki/Farlig_side").text
    api_html = client.get("/api/v1/pages/Farlig_side").json()["html"]

    for rendered in (html, api_html):
        assert "<script" not in rendered
        assert "<img" not in rendered
        assert "javascript:" not in rendered
    assert "&lt;script&gt;alert('krop')&lt;/script&gt;" in html  # shown as text
    assert "&lt;script&gt;alert(&#39;felt&#39;)&lt;/script&gt;" in html


def test_a_script_in_a_title_summary_or_name_is_text_on_every_page(
    client: TestClient, site: Site, wiki: Wiki, admin: uuid.UUID
) -> None:
    evil = wiki.register_author("<script>alert('navn')</script>")
    wiki.verify_author(admin, evil)
    title = "Side <script>alert(1)</script>"
    wiki.save_page(evil, "Side", "[[Ondt <b>mål</b>]]\n", "<script>alert('opsummering')</script>")
    wiki.save_page(evil, "Side", "## A\n\n## B\n\n[[Side]]\n", "<b>fed</b> & ting", 1)
    site.views_current()
    with pytest.raises(InvalidTitle):
        wiki.save_page(evil, title, "x\n")  # titles cannot hold markup at all
    wiki.save_page(evil, 'Tom & "Jerry"', "x\n")  # but quotes and ampersands, yes
    site.views_current()
    quoted = client.get('/wiki/Tom_&_"Jerry"/history').text
    assert "<h1>Historik for Tom &amp; &#34;Jerry&#34;</h1>" in quoted
    assert 'href="/wiki/Tom_%26_%22Jerry%22/credits"' in quoted

    urls = [
        "/",
        "/pages",
        "/recent",
        "/wiki/Side",
        "/wiki/Side?version=1",
        "/wiki/Side/history",
        "/wiki/Side/diff?from=1&to=2",
        "/wiki/Side/diff?from=1&to=2&view=inline",
        "/wiki/Side/blame",
        "/wiki/Side/credits",
        "/wiki/Side/backlinks",
        f"/authors/{evil}",
        "/wiki/<script>alert(1)</script>",
        "/wiki/Side?at=<script>",
    ]
    for url in urls:
        html = client.get(url).text
        assert "<script" not in html, url
        assert "<b>" not in html, url
    history = client.get("/wiki/Side/history").text
    assert "&lt;script&gt;alert(&#39;opsummering&#39;)&lt;/script&gt;" in history
    assert "&lt;b&gt;fed&lt;/b&gt; &amp; ting" in history
    assert "&lt;script&gt;alert(&#39;navn&#39;)&lt;/script&gt;" in history


# ---------------------------------------------------------------------- headers, methods


def test_security_headers_are_on_every_response(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    site.views_current()
    urls = (
        "/",
        "/wiki/Side",
        "/wiki/Mangler",
        "/wiki/Side/history",
        "/recent.atom",
        "/api/v1/pages/Side",
        "/api/v1/export",
    )
    for url in urls:
        headers = client.get(url).headers
        assert headers["content-security-policy"] == (
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
        for name, value in SECURITY_HEADERS.items():
            assert headers[name] == value, (url, name)
    assert client.get("/static/style.css").headers["x-content-type-options"] == "nosniff"


def test_reading_routes_change_nothing_over_http(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    site.views_current()
    before = wiki.recorder.max_notification_id()
    urls = [
        "/",
        "/pages",
        "/recent",
        "/recent.atom",
        f"/authors/{editor}",
        "/wiki/Side",
        "/wiki/Side/history",
        "/wiki/Side/diff",
        "/wiki/Side/blame",
        "/wiki/Side/credits",
        "/wiki/Side/backlinks",
        "/static/style.css",
    ]
    for url in urls:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.request(method, url, content=b"body=ny tekst")
            assert response.status_code == 405, (method, url)
        assert client.head(url).status_code == 200, url
    assert wiki.recorder.max_notification_id() == before

    for route in views.ROUTES:
        assert isinstance(route, Route) and route.methods == {"GET", "HEAD"}, route


# ---------------------------------------------------------------------- JSON and export


def test_api_page_follows_the_contract(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Idéstorme i Århus", CASE, "Første udgave")
    site.views_current()

    response = client.get("/api/v1/pages/Idéstorme_i_Århus")

    assert response.status_code == 200
    document = response.json()
    assert document["title"] == "Idéstorme i Århus"
    assert document["slug"] == "Idéstorme_i_Århus"
    assert document["kind"] == "case"
    assert document["version"] == 1
    assert document["body"] == CASE
    assert document["fields"]["organisation"] == "Aarhus Kommune"
    assert document["fields"]["tags"] == ["inddragelse", "idéstorm"]
    assert "kind" not in document["fields"]
    assert 'class="wikilink missing"' in document["html"]  # red: the page is not written
    assert document["updated_by"] == {"id": str(editor), "name": "Bo Østergaard"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", document["updated_at"])


def test_api_missing_page_is_a_json_404(client: TestClient) -> None:
    response = client.get("/api/v1/pages/Findes_ikke")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert response.json()["error"]["message"]
    assert client.get("/api/v1/nothing").json()["error"]["code"] == "not_found"


def test_signing_keys_are_the_cli_document(client: TestClient, wiki: Wiki) -> None:
    response = client.get("/.well-known/wiki-signing-keys.json")
    assert response.status_code == 200
    assert response.json() == keys_document(wiki.published_keys())
    assert response.json()["keys"][0]["kid"] == wiki.signer.kid


def test_export_streams_lines_that_verify(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "første\n")
    wiki.save_page(editor, "Side", "anden\n", "", 1)

    response = client.get("/api/v1/export")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/x-ndjson")
    lines = [json.loads(text) for text in response.text.splitlines()]
    assert len(lines) == wiki.recorder.max_notification_id()
    assert [line["position"] for line in lines] == sorted(line["position"] for line in lines)
    report = verify_lines(lines, [wiki.signer.public], jobs=1)
    assert report.ok, report.problems


def test_export_is_generated_lazily(
    wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    monkeypatch.setattr(api, "EXPORT_CHUNK_BYTES", 1)  # one line per chunk

    chunks = api.export_chunks(wiki)

    assert not isinstance(chunks, list | tuple)
    first = next(chunks)
    assert first.endswith(b"\n") and first.count(b"\n") == 1
    assert len(list(chunks)) + 1 == wiki.recorder.max_notification_id()


# ---------------------------------------------------------------------- demo


def test_demo_loads_once_with_every_kind_and_links_that_resolve(wiki: Wiki) -> None:
    assert load_demo(wiki) is True
    written = wiki.recorder.max_notification_id()
    assert load_demo(wiki) is False
    assert wiki.recorder.max_notification_id() == written

    pages = [wiki.page(page_id) for page_id in wiki.page_ids()]
    titles = {page.title for page in pages}
    kinds: dict[str, int] = {}
    for page in pages:
        content = read_page(page.body)
        kinds[content.kind] = kinds.get(content.kind, 0) + 1
        targets = [
            m.group("wl_target").strip() for m in re.finditer(WIKI_LINK_PATTERN, content.body)
        ]
        for relation in RELATIONS:
            targets += content.relations[relation]
        assert set(targets) <= titles, (page.title, set(targets) - titles)
        assert page.last_payload["author"]["name"] == DEMO_AUTHOR
    assert "Forside" in titles
    assert all(kinds.get(kind, 0) >= 2 for kind in ("case", "recommendation", "network"))
    assert kinds.get("article", 0) >= 2
    assert wiki.page_by_title("Forside").version == 2

    lines = [json.loads(line) for line in _export_lines(wiki)]
    assert verify_lines(lines, [wiki.signer.public], jobs=1).ok


def test_demo_is_not_loaded_into_a_wiki_with_pages(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Egen side", "tekst\n")
    assert load_demo(wiki) is False
    assert len(list(wiki.page_ids())) == 1


def _export_lines(wiki: Wiki) -> Iterator[str]:
    for chunk in api.export_chunks(wiki):
        yield from chunk.decode("utf-8").splitlines()


# ---------------------------------------------------------------------- the real server


def test_worker_factory_opens_the_wiki_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIKI_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("WIKI_DATABASE_URL", raising=False)

    with TestClient(app_from_environment()) as test_client:
        assert test_client.get("/").status_code == 200
        keys = test_client.get("/.well-known/wiki-signing-keys.json").json()["keys"]
    assert len(keys) == 1
    assert (tmp_path / "data" / "events.sqlite").exists()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_wikiengine_serve_demo_answers_over_real_http(tmp_path: Path) -> None:
    port = _free_port()
    env = {**os.environ, "WIKI_DATA_DIR": str(tmp_path / "data")}
    env.pop("WIKI_DATABASE_URL", None)
    wikiengine = Path(sys.executable).parent / "wikiengine"
    server = subprocess.Popen(
        [str(wikiengine), "serve", "--demo", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        html = _wait_for(f"http://127.0.0.1:{port}/", server)
        assert '<html lang="da">' in html
        assert "<h1>Forside</h1>" in html and "Innovationswiki" in html
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/export") as response:
            assert len(response.read().splitlines()) > 10
        # The server indexes the demo for search in the background: wait for it.
        search = f"http://127.0.0.1:{port}/api/v1/search?q=kommunerne"
        deadline = time.monotonic() + 30
        while (found := json.loads(_wait_for(search, server)))["total"] == 0:
            assert time.monotonic() < deadline, "the demo was not indexed within 30 s"
            time.sleep(0.1)
        assert "<mark" in found["results"][0]["snippet_html"]
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=30)
    # uvicorn shuts down gracefully (lifespan closes the wiki), then re-raises the signal.
    assert server.returncode in (0, -signal.SIGTERM), stderr
    assert "Application shutdown complete" in stderr
    assert "loaded the Danish demo wiki" in stderr


def _wait_for(url: str, server: subprocess.Popen[str], timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the server stopped: {server.communicate()[1]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                body: str = response.read().decode("utf-8")
                return body
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"no answer from {url} within {timeout} s")


def test_readers_get_a_kept_page_until_the_wiki_changes(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Gemt", "Første tekst.\n")
    site.views_current()
    assert "Første tekst." in client.get("/wiki/Gemt").text
    kept = site.page_cache.get(("/wiki/Gemt", "", "da"), site.projector.view.position())
    assert kept is not None and b"F\xc3\xb8rste tekst." in kept.body
    assert '<html lang="en">' in client.get("/wiki/Gemt?lang=en").text  # its own entry

    wiki.save_page(editor, "Gemt", "Anden tekst.\n", base_version=1)
    site.views_current()
    assert "Anden tekst." in client.get("/wiki/Gemt?lang=da").text
    assert "Anden tekst." in client.get("/wiki/Gemt").text  # the change moved the position

    sign_in(client, site, editor)
    assert "Bo Østergaard" in client.get("/wiki/Gemt").text  # never a kept page


def test_administrators_find_the_page_administration_on_the_page(
    client: TestClient, site: Site, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    wiki.save_page(editor, "Innovation i Århus", "Tekst.\n")
    site.views_current()
    link = 'href="/admin/pages/Innovation_i_%C3%85rhus"'
    assert link not in client.get("/wiki/Innovation_i_Århus").text
    sign_in(client, site, editor)
    assert link not in client.get("/wiki/Innovation_i_Århus").text
    sign_in(client, site, admin)
    page = client.get("/wiki/Innovation_i_Århus").text
    assert link in page
    assert client.get("/admin/pages/Innovation_i_%C3%85rhus").status_code == 200
