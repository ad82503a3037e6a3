"""The wiki in a real browser: Debian's chromium driven by Playwright, against the real
server (uvicorn on loopback) over the Danish demo wiki; and an axe-core accessibility
check of every kind of page a reader sees there.

The writers' side (registering, editing, merging, the pages behind a login) is in
`test_browser_flows.py`. Without chromium these tests skip with the reason; under CI=true
they fail.
"""

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser import (
    Served,
    assert_accessible,
    chromium,
    new_context,
    require_chromium,
    serious_violations,
    serve,
)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    require_chromium()
    with serve(tmp_path_factory.mktemp("browser"), demo=True) as running:
        yield running


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture
def server(served: Served) -> str:
    return served.url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = new_context(browser)
    yield context.new_page()
    context.close()


def test_a_reader_searches_from_the_menu_and_opens_a_hit(server: str, page: Page) -> None:
    page.goto(server + "/")
    page.get_by_role("navigation", name="Hovedmenu").get_by_role("link", name="Søg").click()
    page.get_by_label("Søgeord").fill("kommunerne")
    page.get_by_label("Søgeord").press("Enter")

    page.wait_for_url("**/search?q=kommunerne")
    assert page.locator("#resultater").inner_text().endswith(("side", "sider"))
    assert page.locator(".hit mark").count() > 0
    first = page.locator(".hit h3 a").first
    title = first.inner_text()
    first.click()

    expect(page.locator("h1")).to_have_text(title)


def test_every_page_has_a_search_box(server: str, page: Page) -> None:
    page.goto(server + "/wiki/Forside")
    page.get_by_role("search").get_by_label("Søg i wikien").fill("politikerne")
    page.get_by_role("search").get_by_role("button", name="Søg").click()

    page.wait_for_url("**/search?q=politikerne")
    assert page.locator(".hit").count() > 0


def test_a_reader_narrows_a_search_by_a_facet(server: str, page: Page) -> None:
    page.goto(server + "/search")
    everything = page.locator(".hit").count()
    page.locator(".facets").get_by_role("link", name="Case").click()

    expect(page.locator(".facets a.chosen")).to_have_text("Case")
    page.wait_for_load_state()
    assert 0 < page.locator(".hit").count() <= everything
    assert all(kind == "Case" for kind in page.locator(".hit h3 .kind").all_inner_texts())


def test_a_reader_finds_who_wrote_the_front_page(server: str, page: Page) -> None:
    page.goto(server + "/wiki/Forside")
    page.get_by_role("navigation", name="Siden Forside").get_by_role(
        "link", name="Historik"
    ).click()

    page.wait_for_url("**/wiki/Forside/history")
    rows = page.locator("table.history tbody tr")
    assert rows.count() == 2
    author = rows.first.locator("td a").first
    name = author.inner_text()
    author.click()

    expect(page.locator("h1")).to_have_text(name)
    expect(
        page.get_by_role("table").get_by_role("link", name="Forside", exact=True)
    ).to_be_visible()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/pages",
        "/wiki/Forside",
        "/wiki/Forside?version=1",
        "/wiki/Forside/history",
        "/wiki/Forside/diff?from=1&to=2",
        "/wiki/Forside/diff?from=1&to=2&view=inline",
        "/wiki/Forside/blame",
        "/wiki/Forside/credits",
        "/wiki/Forside/backlinks",
        "/recent",
        "/search",
        "/search?q=innovation",
        "/login",
        "/register",
        "/reset-password",
        "/nope",
    ],
)
def test_pages_have_no_serious_accessibility_violations(server: str, page: Page, path: str) -> None:
    page.goto(server + path)

    assert_accessible(page)


def test_an_author_page_has_no_serious_accessibility_violations(served: Served, page: Page) -> None:
    author = served.site.reader.page("Forside").updated_by
    page.goto(f"{served.url}/authors/{author.id}")

    expect(page.locator("h1")).to_have_text(author.name)
    assert_accessible(page)


def test_the_accessibility_check_names_the_rule_and_the_element(page: Page) -> None:
    page.set_content(
        '<!doctype html><html lang="da"><title>Prøve</title>'
        '<main><h1>Prøve</h1><img src="data:,"></main></html>'
    )

    problems = serious_violations(page)

    assert problems == ["image-alt (critical): Images must have alternative text; at img"]
