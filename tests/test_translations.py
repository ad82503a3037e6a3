"""The English interface is complete: every message marked in the templates and in
`web/*.py` (found the way `pybabel extract -F web/locale/babel.cfg` finds them) has an
English translation in `web/locale/en/LC_MESSAGES/messages.po` with the same
placeholders, and real pages in English show English chrome and no Danish, while the same
pages in Danish stay Danish.

When a test here fails after a template change, bring the catalogue up to date:
`pybabel extract -F web/locale/babel.cfg -o /tmp/messages.pot .`, then
`pybabel update -i /tmp/messages.pot -D messages -d web/locale -l en --no-fuzzy-matching`
and translate the new entries.
"""

import re
import uuid
from collections import Counter
from collections.abc import Iterator
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from starlette.testclient import TestClient

from search.indexer import open_search_projector
from tests.web import mails, sign_in
from web import i18n
from web.app import create_app
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.config import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "web" / "locale" / "babel.cfg"
CATALOGUE = ROOT / "web" / "locale" / "en" / "LC_MESSAGES" / "messages.po"

MessageId = str | tuple[str, ...]

# `%(name)s`, `%s`, `%d`, strftime's `%Y`, `%%`, and `.format`'s `{name}`.
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[-#0 +]*\d*(?:\.\d+)?[A-Za-z%]|\{\w*\}")


def extracted() -> dict[MessageId, list[str]]:
    """Every marked message, with where it is marked, as the extraction config says."""
    with CONFIG.open(encoding="utf-8") as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found: dict[MessageId, list[str]] = {}
    for pattern, method in method_map:
        for path in sorted(ROOT.glob(pattern)):
            results = extract_from_file(
                method, str(path), keywords=DEFAULT_KEYWORDS, options=options_map.get(pattern)
            )
            for lineno, message, _comments, _context in results:
                where = f"{path.relative_to(ROOT)}:{lineno}"
                found.setdefault(message, []).append(where)
    return found


def english() -> Catalog:
    with CATALOGUE.open("rb") as source:
        return read_po(source, locale="en", abort_invalid=True)


def entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def forms(value: str | tuple[str, ...] | list[str] | None) -> list[str]:
    """A message id or string as its forms: one, or singular and plural."""
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def singular(message_id: str | tuple[str, ...] | list[str]) -> str:
    return forms(message_id)[0]


def pairs(message: Message) -> list[tuple[str, str]]:
    """(Danish, English) for each form: plural forms pair with singular and plural."""
    ids, strings = forms(message.id), forms(message.string)
    return [(ids[min(index, len(ids) - 1)], string) for index, string in enumerate(strings)]


# ---------------------------------------------------------------------- the catalogue


def test_the_extraction_finds_the_interface() -> None:
    found = extracted()
    assert len(found) > 400
    assert "Forside" in found  # a template
    assert "Tjek din e-mail" in found  # a module
    assert "Netværksemner" in found  # a label table, marked with N_
    assert ("%(num)s side", "%(num)s sider") in found  # a plural


def test_every_marked_message_has_an_english_translation() -> None:
    catalog = english()
    untranslated = []
    for message_id, where in extracted().items():
        entry = catalog.get(message_id)
        texts = [text for _, text in pairs(entry)] if entry is not None else []
        same_forms = entry is not None and len(forms(entry.id)) == len(forms(message_id))
        if not texts or not all(texts) or not same_forms:
            untranslated.append(f"{where[0]}: {message_id!r}")
    assert not untranslated, "Not translated (see this module's docstring):\n" + "\n".join(
        untranslated
    )


def test_the_catalogue_holds_no_stale_or_fuzzy_entries() -> None:
    catalog = english()
    marked = {singular(message_id) for message_id in extracted()}
    stale = [message.id for message in entries(catalog) if singular(message.id) not in marked]
    fuzzy = [message.id for message in entries(catalog) if message.fuzzy]
    assert not stale, f"Marked nowhere any more: {stale}"
    assert not fuzzy, f"Fuzzy: {fuzzy}"


def test_translations_keep_the_placeholders() -> None:
    wrong = []
    for message in entries(english()):
        for danish, translated in pairs(message):
            if Counter(PLACEHOLDER.findall(danish)) != Counter(PLACEHOLDER.findall(translated)):
                wrong.append(f"{danish!r} -> {translated!r}")
    assert not wrong, "\n".join(wrong)


def test_translated_messages_still_format() -> None:
    """Jinja's newstyle gettext %-formats every template message, even without variables,
    so a translation may hold a `%` only where its message does; both kinds of
    placeholders must take the message's names."""
    for message in entries(english()):
        for danish, translated in pairs(message):
            if "%" not in danish:
                assert "%" not in translated, translated
            names = dict.fromkeys(re.findall(r"%\((\w+)\)", danish), 1)  # for %s and %d
            if names:
                assert isinstance(translated % names, str)  # raises when it cannot
            braces = dict.fromkeys(re.findall(r"\{(\w+)\}", danish), "x")
            if braces:
                translated.format(**braces)


def test_the_catalogue_parses_and_compiles() -> None:
    catalog = english()
    assert catalog.locale is not None and str(catalog.locale) == "en"
    assert catalog.plural_forms == "nplurals=2; plural=(n != 1);"
    problems = [(message.id, errors) for message, errors in catalog.check() if errors]
    assert not problems
    i18n.translations.cache_clear()
    compiled = i18n.translations("en")
    assert compiled.gettext("Forside") == "Front page"
    assert compiled.ngettext("%(num)s side", "%(num)s sider", 2) == "%(num)s pages"


# ---------------------------------------------------------------------- pages

CASE = """---
kind: case
organisation: Odense
sector: kommune
recommendations: [Trust]
tags: [pilot]
---
A pilot that led to [[Trust]].
"""
CASE_EDITED = CASE.replace("A pilot", "A small pilot")
RECOMMENDATION = """---
kind: recommendation
cases: [Pilot]
---
Work from trust.
"""

# Interface words a page in English must not show (its own content here has none).
DANISH = re.compile(
    r"[æøåÆØÅ»«]|\b(?:og|af|er|ikke|til|med|den|det|der|som|eller|endnu|ingen|Ingen|siden|"
    r"Siden|sider|Sider|Forside|Opret|Rediger|Historik|Kreditering|Gem|Vis|vis|kl)\b"
)
FIXTURE_NAMES = ("Anna Ærø", "Bo Østergaard")


class VisibleText(HTMLParser):
    """The text a reader sees or hears: text and labels, not code, scripts or textareas."""

    HIDDEN = frozenset({"script", "style", "textarea", "code"})
    SPOKEN = ("aria-label", "title", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.HIDDEN:
            self.hidden += 1
        self.parts.extend(value for name, value in attrs if name in self.SPOKEN and value)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.HIDDEN:
            self.hidden -= 1

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    text = " ".join(" ".join(parser.parts).split())
    for name in FIXTURE_NAMES:
        text = text.replace(name, "")
    return text


def site_header(html: str) -> str:
    found = re.search(r'<header class="site-header">.*?</header>', html, re.DOTALL)
    assert found is not None
    return visible(found.group(0))


def shows(text: str, words: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(words)}(?!\w)", text) is not None


def with_language(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


@pytest.fixture
def author(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    """A verified author with an English-looking name, who wrote two pages."""
    author_id = wiki.register_author("Ada Lovelace")
    wiki.verify_author(admin, author_id)
    wiki.save_page(author_id, "Pilot", CASE, "First draft")
    wiki.save_page(author_id, "Pilot", CASE_EDITED, "Shorter", base_version=1)
    wiki.save_page(author_id, "Trust", RECOMMENDATION, "New recommendation")
    return author_id


@pytest.fixture
def client(site: Site, author: uuid.UUID) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        site.views_current()  # the client started the projector
        yield test_client


# path -> English phrases the page shows (besides the header), with the expected status.
ANONYMOUS_PAGES = {
    "/": (200, ["All pages", "2 pages in alphabetical order", "Recommendation"]),
    "/wiki/Pilot": (
        200,
        ["Last changed by", "Facts", "Sector", "Municipality", "Related pages", "Links here"],
    ),
    "/wiki/Pilot?version=1": (200, ["You are viewing version 1", "See the current version."]),
    "/wiki/Pilot/history": (200, ["History of Pilot", "Summary", "Edited", "Created"]),
    "/wiki/Pilot/diff?from=1&to=2": (200, ["Differences between", "Side by side", "Line"]),
    "/wiki/Pilot/blame": (200, ["Who wrote what in Pilot", "Written in"]),
    "/wiki/Pilot/credits": (200, ["Credits for Pilot", "Characters added"]),
    "/wiki/Trust/backlinks": (200, ["Links to Trust", "Names this page as a recommendation"]),
    "/recent": (200, ["Recent changes", "Changes, newest first", "Edited"]),
    "/wiki/Nowhere": (404, ["The page does not exist yet.", "Create the page", "Error code 404"]),
    "/wiki/Pilot?version=99": (404, ["That version does not exist", "The newest is version 2"]),
    "/no/such/address": (404, ["Page not found", "See all pages", "Error code 404"]),
    "/login": (200, ["Password", "Forgotten your password?"]),
    "/register": (200, ["Full name", "Repeat the password"]),
    "/reset-password": (200, ["Forgotten password", "Send link"]),
}
EDITOR_PAGES = {
    "/wiki/Pilot/edit": (200, ["You are editing version 2", "Preview", "Save", "Editing help"]),
    "/wiki/New/edit": (200, ["What kind of page?", "Article", "Network topic"]),
    "/wiki/Pilot/rename": (200, ["New title", "Rename the page"]),
    "/wiki/Pilot/revert?to=1": (200, ["Revert to version 1", "Why are you reverting?"]),
    "/account": (200, ["Your account", "API keys", "Verified: you can edit"]),
}


def check_english(client: TestClient, path: str, status: int, phrases: list[str]) -> list[str]:
    response = client.get(with_language(path, "en"))
    problems = []
    if response.status_code != status:
        problems.append(f"{path}: status {response.status_code}")
    text = visible(response.text)
    problems += [f"{path}: no {phrase!r}" for phrase in phrases if phrase not in text]
    for found in DANISH.finditer(text):
        around = text[max(0, found.start() - 40) : found.end() + 40]
        problems.append(f"{path}: Danish {found.group(0)!r} in …{around}…")
    return problems


def test_pages_in_english_show_english_interface_and_no_danish(
    client: TestClient, site: Site, author: uuid.UUID, admin: uuid.UUID
) -> None:
    problems = []
    for path, (status, phrases) in ANONYMOUS_PAGES.items():
        problems += check_english(client, path, status, phrases)
    problems += check_english(client, f"/authors/{author}", 200, ["About the author", "Pilot"])
    sign_in(client, site, author)
    for path, (status, phrases) in EDITOR_PAGES.items():
        problems += check_english(client, path, status, phrases)
    sign_in(client, site, admin)
    problems += check_english(client, "/admin", 200, ["Waiting for name verification"])
    assert not problems, "\n".join(problems)


def test_the_header_is_english_in_english_and_danish_in_danish(client: TestClient) -> None:
    english_words = (
        "Front page",
        "All pages",
        "Recent changes",
        "Search",
        "Log in",
        "Create account",
    )
    danish_words = ("Forside", "Alle sider", "Seneste ændringer", "Søg", "Log ind", "Opret konto")

    english_header = site_header(client.get("/wiki/Pilot?lang=en").text)
    assert all(shows(english_header, word) for word in english_words), english_header
    assert not any(shows(english_header, word) for word in danish_words), english_header

    danish_header = site_header(client.get("/wiki/Pilot?lang=da").text)
    assert all(shows(danish_header, word) for word in danish_words), danish_header
    assert not any(shows(danish_header, word) for word in english_words), danish_header


def test_the_same_pages_in_danish_stay_danish(client: TestClient) -> None:
    page = visible(client.get("/wiki/Pilot?lang=da").text)
    assert "Senest ændret af" in page and "Hvem skrev hvad" in page and "Kommune" in page
    assert "Last changed by" not in page and "Municipality" not in page

    history = visible(client.get("/wiki/Pilot/history?lang=da").text)
    assert "Historik for Pilot" in history and "Redigeret" in history and " kl. " in history

    missing = client.get("/no/such/address?lang=da")
    assert missing.status_code == 404
    assert "Siden findes ikke" in missing.text and "Fejlkode 404" in missing.text
    assert "Page not found" not in missing.text


def test_times_follow_the_language(client: TestClient) -> None:
    english_history = visible(client.get("/wiki/Pilot/history?lang=en").text)
    assert re.search(r"\b\d{4}-\d\d-\d\d \d\d:\d\d UTC\b", english_history)
    danish_history = visible(client.get("/wiki/Pilot/history?lang=da").text)
    assert re.search(r"\b\d\d\.\d\d\.\d{4} kl\. \d\d\.\d\d UTC\b", danish_history)


def test_the_atom_feed_in_english(client: TestClient) -> None:
    feed = client.get("/recent.atom?lang=en").text
    assert "<title>Recent changes · Innovationswiki</title>" in feed
    assert "Pilot: Edited (version 2)" in feed and "Seneste" not in feed


def test_search_in_english(settings: Settings, wiki: Wiki, site: Site, author: uuid.UUID) -> None:
    indexer = open_search_projector(settings, wiki)
    try:
        indexer.catch_up()
        site.search_projector = indexer
        with TestClient(create_app(site)) as client:
            site.views_current()
            response = client.get("/search?q=pilot&lang=en")
    finally:
        indexer.view.close()

    assert response.status_code == 200
    text = visible(response.text)
    for phrase in ("Search the wiki", "1 page", "Narrow down", "Case", "Municipality", "Tags"):
        assert phrase in text
    assert not DANISH.search(text), text


def test_mail_and_messages_from_python_in_english(
    client: TestClient, site: Site, mail_dir: Path
) -> None:
    form = client.get("/register?lang=en").text  # the session now remembers English
    found = re.search(r'name="csrf_token" value="([^"]+)"', form)
    assert found is not None
    response = client.post(
        "/register",
        data={
            "csrf_token": found.group(1),
            "name": "Grace Hopper",
            "email": "grace@example.org",
            "password": "a long enough password",
            "password_repeat": "a long enough password",
        },
    )

    assert response.status_code == 200
    assert "Check your email" in response.text and "grace@example.org" in response.text
    [mail] = mails(mail_dir)
    assert mail["Subject"] == "Confirm your email address for Innovationswiki"
    assert "Click the link to confirm your email address" in mail.get_content()
