"""Reading the wiki over HTTP, on SQLite and PostgreSQL; nothing can change it over HTTP yet."""

import hashlib
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
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.testclient import TestClient

from web import api
from web.app import app_from_environment, create_app
from web.headers import SECURITY_HEADERS
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.demo import DEMO_AUTHOR, load_demo
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


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# ---------------------------------------------------------------------- pages


def test_page_shows_title_fields_body_version_and_author(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Idéstorme i Århus", CASE, "Første udgave")

    response = client.get("/wiki/Idéstorme_i_Århus")

    assert response.status_code == 200
    html = response.text
    assert '<html lang="da">' in html
    assert html.count("<h1") == 1
    assert "<h1>Idéstorme i Århus</h1>" in html
    assert all(tag in html for tag in ("<header", "<nav", "<main", "<footer"))
    assert "Version 1" in html and "Bo Østergaard" in html
    assert "<dt>Organisation</dt>" in html and "Aarhus Kommune" in html
    assert "<dt>Sektor</dt>" in html and "Kommune" in html
    assert '<a class="wikilink" href="/wiki/Tillid_f%C3%B8rst">Tillid først</a>' in html
    assert 'href="/wiki/Tillid_f%C3%B8rst"' in html and ">en anbefaling</a>" in html
    assert "<li>idéstorm</li>" in html
    assert "kind: case" not in html  # front matter is shown as fields, not as text
    assert 'href="/wiki/Id%C3%A9storme_i_%C3%85rhus/history"' in html
    assert "<script" not in html


def test_front_page_is_forside_or_else_the_page_list(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Kommunerne", "Om kommunerne\n")
    listing = client.get("/")
    assert listing.status_code == 200
    assert "<h1>Alle sider</h1>" in listing.text and 'href="/wiki/Kommunerne"' in listing.text

    wiki.save_page(editor, "Forside", "Velkommen til *wikien*.\n")
    front = client.get("/")
    assert "<h1>Forside</h1>" in front.text
    assert "<em>wikien</em>" in front.text


def test_empty_wiki_front_page_explains_itself(client: TestClient) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert "ingen sider endnu" in response.text


def test_pages_lists_live_pages_in_danish_order(
    client: TestClient, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    for title in ("Åbenhed", "Østerbro", "Zebra", "Ærlighed", "abe", "Fjernet"):
        wiki.save_page(editor, title, f"{title}\n")
    wiki.delete_page(admin, "Fjernet", "Dublet")

    html = client.get("/pages").text

    titles = re.findall(r'<td><a href="/wiki/[^"]+">([^<]+)</a></td>', html)
    assert titles == ["Abe", "Zebra", "Ærlighed", "Østerbro", "Åbenhed"]
    assert client.get("/wiki/Fjernet").status_code == 404


def test_missing_page_is_a_friendly_danish_404(client: TestClient) -> None:
    response = client.get("/wiki/Findes_ikke")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Siden findes ikke" in response.text and "»Findes ikke«" in response.text
    assert client.get("/wiki/Findes_ikke/history").status_code == 404
    assert client.get("/no/such/route").status_code == 404
    assert client.get("/wiki/a[b").status_code == 404  # not a valid title: no such page


def test_old_title_redirects_to_the_renamed_page(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Gammel titel", "tekst\n")
    wiki.rename_page(editor, "Gammel titel", "Ny titel")

    response = client.get("/wiki/Gammel_titel", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/wiki/Ny_titel"
    assert response.headers["cache-control"] == "no-cache"

    history = client.get("/wiki/Gammel_titel/history?x=1", follow_redirects=False)
    assert history.headers["location"] == "/wiki/Ny_titel/history?x=1"

    followed = client.get("/wiki/Gammel_titel")
    assert followed.status_code == 200 and "<h1>Ny titel</h1>" in followed.text

    document = client.get("/api/v1/pages/Gammel_titel").json()
    assert document["title"] == "Ny titel" and document["redirected_from"] == "Gammel_titel"


def test_non_canonical_spelling_redirects_to_the_canonical_url(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Innovation i Århus", "tekst\n")
    response = client.get("/wiki/innovation i Århus", follow_redirects=False)
    assert response.status_code == 301
    assert response.headers["location"] == "/wiki/Innovation_i_%C3%85rhus"


def test_history_lists_every_revision_without_suppressed_text(
    client: TestClient, wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    bodies = ["Første udgave\n", "CPR-nummer 010203-4567\n", "Rettet udgave\n"]
    wiki.save_page(editor, "Borgerservice", bodies[0], "Oprettet")
    wiki.save_page(editor, "Borgerservice", bodies[1], "Tilføjede detaljer", 1)
    wiki.save_page(editor, "Borgerservice", bodies[2], "Fjernede personoplysning", 2)
    wiki.suppress_revision(admin, "Borgerservice", 2, "Personoplysninger")

    response = client.get("/wiki/Borgerservice/history")

    assert response.status_code == 200
    html = response.text
    rows = re.findall(r"<tr>\s*<td>(\d+)</td>", html)
    assert rows == ["4", "3", "2", "1"]
    for body in bodies:
        assert sha256(body) in html
    assert "Bo Østergaard" in html and "Anna Ærø" in html
    assert "Tilføjede detaljer" in html and "Personoplysninger" in html
    assert "(teksten er skjult)" in html
    assert "010203-4567" not in html
    for url in ("/wiki/Borgerservice", "/api/v1/pages/Borgerservice", "/api/v1/export"):
        assert "010203-4567" not in client.get(url).text


def test_markup_in_a_page_cannot_inject_script(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    body = (
        "---\nkind: case\norganisation: <script>alert('felt')</script>\n---\n"
        "<script>alert('krop')</script>\n\n"
        'Tekst <img src=x onerror="alert(1)"> og [klik](javascript:alert(1))\n'
    )
    wiki.save_page(editor, "Farlig side", body)

    html = client.get("/wiki/Farlig_side").text
    api_html = client.get("/api/v1/pages/Farlig_side").json()["html"]

    for rendered in (html, api_html):
        assert "<script" not in rendered
        assert "<img" not in rendered
        assert "javascript:" not in rendered
    assert "&lt;script&gt;alert('krop')&lt;/script&gt;" in html  # shown as text
    assert "&lt;script&gt;alert(&#39;felt&#39;)&lt;/script&gt;" in html


# ---------------------------------------------------------------------- headers, methods


def test_security_headers_are_on_every_response(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    for url in ("/", "/wiki/Side", "/wiki/Mangler", "/api/v1/pages/Side", "/api/v1/export"):
        headers = client.get(url).headers
        assert headers["content-security-policy"] == (
            "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
        )
        for name, value in SECURITY_HEADERS.items():
            assert headers[name] == value, (url, name)
    assert client.get("/static/style.css").headers["x-content-type-options"] == "nosniff"


def test_no_route_changes_anything_over_http(
    client: TestClient, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    before = wiki.recorder.max_notification_id()
    urls = [
        "/",
        "/pages",
        "/wiki/Side",
        "/wiki/Side/history",
        "/api/v1/pages/Side",
        "/api/v1/export",
        "/.well-known/wiki-signing-keys.json",
        "/static/style.css",
    ]
    for url in urls:
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = client.request(method, url, content=b"body=ny tekst")
            assert response.status_code == 405, (method, url)
        assert client.head(url).status_code == 200, url
    assert wiki.recorder.max_notification_id() == before
    error = client.put("/api/v1/pages/Side", json={"body": "x"}).json()["error"]
    assert error["code"] == "method_not_allowed"

    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, Route):
            assert route.methods == {"GET", "HEAD"}, route.path
        else:
            assert isinstance(route, Mount) and isinstance(route.app, StaticFiles)


# ---------------------------------------------------------------------- JSON and export


def test_api_page_follows_the_contract(client: TestClient, wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Idéstorme i Århus", CASE, "Første udgave")

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
    assert 'class="wikilink"' in document["html"]
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
