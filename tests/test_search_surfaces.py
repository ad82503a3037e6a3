"""Search from the outside: `GET /api/v1/search` and `wikiengine rebuild search`."""

import uuid
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from search.indexer import SearchProjector, open_search_projector
from web.app import create_app
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.cli import main
from wikiengine.config import Settings

CASE = """---
kind: case
sector: kommune
recommendations: [Tillid først]
tags: [idéstorm]
---
Aarhus Kommune har anvendt webbaserede idéstorme med god effekt.
"""

RECOMMENDATION = """---
kind: recommendation
cases: [Idéstorme i Aarhus]
---
Samarbejdet på arbejdspladsen skal være baseret på tillid og dialog.
"""


@pytest.fixture
def pages(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Idéstorme i Aarhus", CASE)
    wiki.save_page(editor, "Tillid først", RECOMMENDATION)


@pytest.fixture
def indexer(settings: Settings, wiki: Wiki, pages: None) -> Iterator[SearchProjector]:
    running = open_search_projector(settings, wiki)
    running.catch_up()
    yield running
    running.view.close()


@pytest.fixture
def client(site: Site, indexer: SearchProjector) -> Iterator[TestClient]:
    site.search_projector = indexer  # the test's catch_up already indexed everything
    with TestClient(create_app(site)) as test_client:
        yield test_client


def test_search_answers_in_the_contract_shape(client: TestClient) -> None:
    response = client.get("/api/v1/search", params={"q": "kommunerne", "kind": "case"})

    assert response.status_code == 200
    found = response.json()
    assert found["total"] == 1
    [hit] = found["results"]
    assert (hit["title"], hit["slug"], hit["kind"]) == (
        "Idéstorme i Aarhus",
        "Idéstorme_i_Aarhus",
        "case",
    )
    assert "<mark" in hit["snippet_html"]
    assert hit["related"] == [
        {
            "title": "Tillid først",
            "slug": "Tillid_først",
            "kind": "recommendation",
            "relation": "recommendations",
            "direction": "out",
        },
        {  # and the recommendation names the case: related both ways
            "title": "Tillid først",
            "slug": "Tillid_først",
            "kind": "recommendation",
            "relation": "cases",
            "direction": "in",
        },
    ]
    assert found["facets"]["kind"] == {"case": 1}
    assert found["facets"]["sector"] == {"kommune": 1}
    assert found["labels"]["authors"] == {next(iter(found["facets"]["authors"])): "Bo Østergaard"}


def test_search_repeats_a_filter_for_any_of_its_values(client: TestClient) -> None:
    both = client.get("/api/v1/search?kind=case&kind=recommendation").json()
    assert both["total"] == 2
    assert client.get("/api/v1/search?kind=network").json()["total"] == 0


@pytest.mark.parametrize(
    "query",
    [
        "limit=0",
        "limit=101",
        "limit=ti",
        "offset=-1",
        "offset=1001",
        "q=" + "a" * 501,
        "&".join(f"tags=t{number}" for number in range(21)),
    ],
)
def test_search_refuses_bad_parameters(client: TestClient, query: str) -> None:
    response = client.get(f"/api/v1/search?{query}")

    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"


def test_search_without_an_index_says_to_come_back(site: Site, pages: None) -> None:
    with TestClient(create_app(site)) as client:
        response = client.get("/api/v1/search?q=tillid")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "search_unavailable"


# ---------------------------------------------------------------------- the command


def test_rebuild_search_builds_the_index_from_the_log(
    cli_env: Settings, wiki: Wiki, pages: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["rebuild", "search"]) == 0

    err = capsys.readouterr().err
    assert "rebuilt search from" in err and "event" in err  # the progress bar and the total
    indexer = open_search_projector(cli_env, wiki)
    try:
        assert indexer.view.position() == wiki.recorder.max_notification_id()
        from search.results import SearchRequest

        assert indexer.view.search(SearchRequest("idéstormen")).total == 1
    finally:
        indexer.view.close()


def test_rebuild_search_in_this_process_only(
    cli_env: Settings, wiki: Wiki, pages: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.multiproc import MpWriter

    monkeypatch.setattr("search.index.PARALLEL_MIN_EVENTS", 1)  # would fork, but for the flag
    monkeypatch.setattr(MpWriter, "__init__", lambda *_args, **_kwargs: pytest.fail("forked"))

    assert main(["rebuild", "search", "--processes", "1"]) == 0
    assert main(["rebuild", "search", "--processes", "0"]) == 2


def test_rebuild_search_refuses_while_a_server_indexes(
    cli_env: Settings, indexer: SearchProjector, capsys: pytest.CaptureFixture[str]
) -> None:
    assert indexer.lock.try_acquire()
    try:
        assert main(["rebuild", "search"]) == 1
    finally:
        indexer.lock.release()
    assert "another process keeps search up to date" in capsys.readouterr().err


# ---------------------------------------------------------------------- the page


def test_the_search_page_shows_hits_snippets_related_pages_and_facets(client: TestClient) -> None:
    response = client.get("/search", params={"q": "kommunerne"})

    assert response.status_code == 200
    html = response.text
    assert '<html lang="da">' in html and "1 side" in html
    assert '<a href="/wiki/Id%C3%A9storme_i_Aarhus">Idéstorme i Aarhus</a>' in html
    assert "<mark" in html  # the snippet
    assert 'Anbefaling: <a href="/wiki/Tillid_f%C3%B8rst">Tillid først</a>' in html
    assert 'value="kommunerne"' in html  # the form keeps what was typed
    assert "/search?q=kommunerne&amp;kind=case" in html  # a facet narrows the search
    assert "Bo Østergaard" in html  # an author facet, by name


def test_the_search_page_narrows_by_a_facet_and_can_undo_it(client: TestClient) -> None:
    narrowed = client.get("/search?kind=recommendation").text

    assert narrowed.count('class="hit"') == 1
    assert '<h3><a href="/wiki/Tillid_f%C3%B8rst">Tillid først</a>' in narrowed
    assert 'href="/search?" aria-current="true"' in narrowed  # the chosen value undoes it
    assert '<input type="hidden" name="kind" value="recommendation">' in narrowed


def test_the_search_page_escapes_what_was_typed(client: TestClient) -> None:
    html = client.get("/search", params={"q": '"><script>alert(1)</script>'}).text

    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;" in html


def test_the_search_page_pages_through_results(
    wiki: Wiki, editor: uuid.UUID, indexer: SearchProjector, client: TestClient
) -> None:
    for number in range(12):
        wiki.save_page(editor, f"Side {number}", "Om kommunerne.\n")
    indexer.wait(wiki.recorder.max_notification_id())  # the app's indexer follows the log

    first = client.get("/search?q=kommune").text
    second = client.get("/search?q=kommune&offset=10").text

    assert "13 sider" in first and 'rel="next"' in first and 'rel="prev"' not in first
    assert 'rel="prev"' in second and 'rel="next"' not in second
    assert second.count('class="hit"') == 3


def test_the_search_page_says_when_there_is_no_index(site: Site, pages: None) -> None:
    with TestClient(create_app(site)) as client:
        response = client.get("/search?q=tillid")

    assert response.status_code == 503
    assert "Søgningen er ikke klar endnu" in response.text


def test_the_search_page_refuses_bad_parameters_in_danish(client: TestClient) -> None:
    response = client.get("/search?offset=-1")

    assert response.status_code == 422
    assert "Ugyldig forespørgsel" in response.text
