"""The wiki in a real browser: Debian's chromium driven by Playwright, against the real
server (uvicorn on loopback) over the Danish demo wiki; and an axe-core accessibility
check of every kind of page there is.

Without chromium these tests skip with the reason; under CI=true they fail.
"""

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import uvicorn

from web.app import create_app
from web.site import open_site
from wikiengine.config import Settings, load_settings
from wikiengine.demo import load_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SERIOUS = {"serious", "critical"}


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs the browser: {reason}")
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo wiki served by uvicorn in a thread, its projections caught up."""
    require_chromium()
    settings: Settings = load_settings(
        {"WIKI_DATA_DIR": str(tmp_path_factory.mktemp("browser") / "data")}
    )
    site = open_site(settings)
    load_demo(site.wiki)
    site.projector.catch_up()
    assert site.search_projector is not None
    site.search_projector.catch_up()
    port = _free_port()
    config = uvicorn.Config(create_app(site), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=30)


@pytest.fixture(scope="module")
def browser(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(locale="da-DK")
    opened = context.new_page()
    yield opened
    context.close()


def test_a_reader_searches_from_the_menu_and_opens_a_hit(server: str, page: Any) -> None:
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

    assert page.locator("h1").inner_text() == title


def test_every_page_has_a_search_box(server: str, page: Any) -> None:
    page.goto(server + "/wiki/Forside")
    page.get_by_role("search").get_by_label("Søg i wikien").fill("politikerne")
    page.get_by_role("search").get_by_role("button", name="Søg").click()

    page.wait_for_url("**/search?q=politikerne")
    assert page.locator(".hit").count() > 0


def test_a_reader_narrows_a_search_by_a_facet(server: str, page: Any) -> None:
    page.goto(server + "/search")
    everything = page.locator(".hit").count()
    page.locator(".facets").get_by_role("link", name="Case").click()

    assert page.locator(".facets a.chosen").inner_text() == "Case"
    assert 0 < page.locator(".hit").count() <= everything
    assert all(kind == "Case" for kind in page.locator(".hit h3 .kind").all_inner_texts())


@pytest.mark.parametrize(
    "path",
    ["/", "/pages", "/wiki/Forside", "/wiki/Forside/history", "/search?q=innovation", "/nope"],
)
def test_pages_have_no_serious_accessibility_violations(server: str, page: Any, path: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.goto(server + path)
    results = Axe().run(page)

    serious = [
        (violation["id"], violation["help"])
        for violation in results.response["violations"]
        if violation["impact"] in SERIOUS
    ]
    assert results.response["passes"]  # axe ran and checked something
    assert serious == []
