"""What the browser tests share: the real server (uvicorn on loopback, in a thread) over a
fresh data directory, Debian's chromium driven by Playwright, logging in through the form,
and the axe-core check with its findings spelled out (rule id, impact, the elements).

Playwright never downloads a browser here (`playwright install` is not to be run): it
launches `/usr/bin/chromium`. Without it the tests skip with the reason; under CI=true
they fail.
"""

import os
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import Browser, BrowserContext, Page, StorageState, sync_playwright

from web.app import create_app
from web.mail import FileMailer
from web.ratelimit import LIMITS, RateLimits
from web.site import Site, open_site
from wikiengine.config import load_settings
from wikiengine.demo import load_demo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SERIOUS = {"serious", "critical"}
PASSWORD = "Rødgrød med fløde 42"  # long enough for the accounts' rule
TIMEOUT_MS = 10_000  # a step that takes longer than this has failed; do not wait 30 s


def require_chromium() -> None:
    if Path(CHROMIUM).exists():
        return
    reason = "Debian's chromium is not installed (apt-get install chromium)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs the browser: {reason}")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass(frozen=True)
class Served:
    """A running wiki: its address, the site it serves from, and where its mail lands."""

    url: str
    site: Site
    mail_dir: Path


@contextmanager
def serve(
    directory: Path, *, demo: bool = False, database_url: str | None = None
) -> Iterator[Served]:
    """The wiki served by uvicorn in a thread over a fresh data directory, its views
    caught up. `WIKI_BASE_URL` is the server's real address, so links in mail and the
    Origin check match what the browser sees."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {"WIKI_DATA_DIR": str(directory / "data"), "WIKI_BASE_URL": url}
    if database_url is not None:
        env["WIKI_DATABASE_URL"] = database_url
    mail_dir = directory / "mail"
    site = open_site(
        load_settings(env),
        hasher=PasswordHasher.from_parameters(CHEAPEST),
        mailer=FileMailer(mail_dir),
    )
    # Every browser logs in from 127.0.0.1: the per-client limits would count them as one.
    site.rate_limits = RateLimits(
        {action: (1000, window) for action, (_, window) in LIMITS.items()}
    )
    if demo:
        load_demo(site.wiki)
    site.projector.catch_up()
    if site.search_projector is not None:
        site.search_projector.catch_up()
    config = uvicorn.Config(create_app(site), host="127.0.0.1", port=port, log_level="warning")
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Served(url, site, mail_dir)
    finally:
        running.should_exit = True
        thread.join(timeout=30)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM)
        try:
            yield launched
        finally:
            launched.close()


def new_context(browser: Browser, storage_state: StorageState | None = None) -> BrowserContext:
    """A fresh, Danish browser profile (its own cookies: its own session), or one that
    starts with the cookies of `storage_state` (a logged-in session, say)."""
    context = browser.new_context(locale="da-DK", storage_state=storage_state)
    context.set_default_timeout(TIMEOUT_MS)
    return context


def log_in(page: Page, base: str, email: str, password: str = PASSWORD) -> None:
    """Through the login form, as a person would."""
    page.goto(base + "/login")
    page.get_by_label("E-mailadresse").fill(email)
    page.get_by_label("Kodeord", exact=True).fill(password)
    page.get_by_role("button", name="Log ind").click()
    page.wait_for_url(base + "/")
    assert page.get_by_role("button", name="Log ud").is_visible()


def serious_violations(page: Page) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each:
    the rule, its impact, what it asks and the elements that break it."""
    # Only the violations in full: listing every passing node doubles the run's time.
    response: dict[str, Any] = Axe().run(page, options={"resultTypes": ["violations"]}).response
    assert response["passes"], "axe-core checked nothing"
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']}; at "
        + "; ".join(" ".join(map(str, node["target"])) for node in violation["nodes"])
        for violation in response["violations"]
        if violation["impact"] in SERIOUS
    ]


def assert_accessible(page: Page) -> None:
    problems = serious_violations(page)
    assert problems == [], f"axe-core on {page.url}:\n" + "\n".join(problems)
