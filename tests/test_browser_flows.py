"""Writing the wiki in a real browser (Debian's chromium driven by Playwright) against the
real server over a fresh data directory: registering and being confirmed, creating a page
from its kind's template, an edit conflict merged by hand, history, differences and blame,
live search; and an axe-core check of the pages behind a login.

The people exist in the wiki and the account table, made the way the administrator's
command makes them; every step they take is a click or a keystroke in the browser, and
what the wiki saved is checked in its read model, not only on the screen.
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit
from uuid import UUID, uuid4

import psycopg
import pytest
from playwright.sync_api import Browser, Locator, Page, Response, StorageState, expect
from psycopg.sql import SQL, Identifier

from tests.browser import (
    PASSWORD,
    Served,
    assert_accessible,
    chromium,
    log_in,
    new_context,
    require_chromium,
    serve,
)
from tests.conftest import POSTGRES_URL, require_postgres
from tests.web import link_in, mails
from wikiengine.errors import PageNotFound
from wikiengine.kinds import new_page_text
from wikiengine.markup import page_path
from wikiengine.merge import END_MARKER, MID_MARKER, START_MARKER

MARKERS = (START_MARKER, MID_MARKER, END_MARKER)
SEARCH_WAIT = 10.0  # seconds the search index may take to follow a save (on a busy machine)


@dataclass(frozen=True)
class Person:
    author_id: UUID
    name: str
    email: str
    wiki_url: str  # the wiki where the account is


@dataclass(frozen=True)
class Cast:
    admin: Person
    mette: Person
    jorgen: Person
    waiting: Person  # address confirmed, name not yet: in the administrators' queue


# A page three versions old, by two authors.
ROSTER = "Ældreplejens nye vagtplan"
ROSTER_V1 = "Vagtplanen lægges for fire uger.\nMedarbejderne ønsker vagter i appen.\nSlut.\n"
ROSTER_V2 = ROSTER_V1.replace("ønsker vagter i appen", "bytter vagter i appen selv")
ROSTER_V3 = ROSTER_V2 + "Lederen godkender byttet.\n"

OpenAs = Callable[[Person | None], Page]


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    require_chromium()
    with serve(tmp_path_factory.mktemp("browser-flows")) as running:
        yield running


@pytest.fixture(scope="module")
def served_on_postgres(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The same on PostgreSQL (a schema of its own, dropped afterwards)."""
    require_chromium()
    require_postgres()
    schema = f"t_{uuid4().hex[:16]}"
    database_url = f"{POSTGRES_URL}?schema={schema}"
    try:
        with serve(tmp_path_factory.mktemp("browser-pg"), database_url=database_url) as running:
            yield running
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


def cast_of(served: Served) -> Cast:
    """The people of these tests, made the way `wikiengine admin create` and the
    administrators' queue make them, and a page two of them wrote."""
    wiki, accounts = served.site.wiki, served.site.accounts

    def person(name: str, email: str, *, verified: bool = True) -> Person:
        author_id = wiki.register_author(name)
        if verified:
            wiki.verify_author(admin_id, author_id)
        accounts.create(author_id, email, PASSWORD, confirmed=True)
        return Person(author_id, name, email, served.url)

    admin_name, admin_email = "Anne-Grethe Ærenlund", "anne-grethe@kommune.dk"
    admin_id = wiki.bootstrap_administrator(admin_name)
    accounts.create(admin_id, admin_email, PASSWORD, confirmed=True)
    people = Cast(
        admin=Person(admin_id, admin_name, admin_email, served.url),
        mette=person("Mette Østergård", "mette@kommune.dk"),
        jorgen=person("Jørgen Blåbjerg Sørensen", "jorgen@region.dk"),
        waiting=person("Åsa Lindqvist", "aasa@kommune.dk", verified=False),
    )
    mette, jorgen = people.mette.author_id, people.jorgen.author_id
    wiki.save_page(mette, ROSTER, ROSTER_V1, "Første udgave")
    wiki.save_page(jorgen, ROSTER, ROSTER_V2, "Bytte selv", base_version=1)
    wiki.save_page(mette, ROSTER, ROSTER_V3, "Godkendelse", base_version=2)
    served.site.views_current()
    return people


@pytest.fixture(scope="module")
def cast(served: Served) -> Cast:
    return cast_of(served)


@pytest.fixture(scope="module")
def cast_on_postgres(served_on_postgres: Served) -> Cast:
    return cast_of(served_on_postgres)


@pytest.fixture(scope="module")
def browser(served: Served) -> Iterator[Browser]:
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def sessions() -> dict[UUID, StorageState]:
    """Each person's cookies after logging in through the form, once per module."""
    return {}


@pytest.fixture
def open_as(browser: Browser, sessions: dict[UUID, StorageState]) -> Iterator[OpenAs]:
    """A fresh browser profile for a person, logged in (through the form the first time,
    with that session's cookies after), or for an anonymous reader (None); all of them
    closed after the test."""
    contexts = []

    def opened(person: Person | None) -> Page:
        known = sessions.get(person.author_id) if person is not None else None
        context = new_context(browser, known)
        contexts.append(context)
        page = context.new_page()
        if person is not None and known is None:
            log_in(page, person.wiki_url, person.email)
            sessions[person.author_id] = context.storage_state()
        return page

    yield opened
    for context in contexts:
        context.close()


def write(served: Served, by: Person, title: str, body: str) -> None:
    """A save made outside this browser (by the other person, elsewhere)."""
    site = served.site
    try:
        base_version: int | None = site.reader.page(title).version
    except PageNotFound:
        base_version = None
    site.wiki.save_page(by.author_id, title, body, "", base_version)
    site.views_current()


def posting(page: Page, button: str) -> Response:
    """Click a form's button; return the server's answer to the POST once the browser
    shows the page it leads to (so no check reads the form that was sent)."""
    posted = page.expect_response(lambda answer: answer.request.method == "POST")
    with page.expect_navigation(), posted as answer:
        page.get_by_role("button", name=button, exact=True).click()
    return answer.value


def fact(scope: Locator, label: str) -> Locator:
    """The value of a labelled fact (a `dt`/`dd` pair) within `scope`."""
    return (
        scope.locator("dl > div")
        .filter(has=scope.page.get_by_text(label, exact=True))
        .locator("dd")
    )


def confirmed(served: Served, email: str) -> bool:
    account = served.site.accounts.by_email(email)
    assert account is not None
    return account.email_confirmed


def editor_text(page: Page) -> str:
    """What the editor's textarea holds (as the browser would send it)."""
    return page.get_by_label("Sidens tekst").input_value()


# ---------------------------------------------------------------------- flows


def test_a_newcomer_registers_and_edits_once_an_administrator_confirms_the_name(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    name, email = "Søren Ærbøl Kjærgård-Østergaard", "soeren.kjaergaard@aeroe.dk"
    title = "Mit første bidrag"
    newcomer = open_as(None)
    newcomer.goto(served.url + "/")
    newcomer.get_by_role("link", name="Opret konto").click()
    newcomer.get_by_label("Fulde navn").fill(name)
    newcomer.get_by_label("E-mailadresse").fill(email)
    newcomer.get_by_label("Kodeord", exact=True).fill(PASSWORD)
    newcomer.get_by_label("Gentag kodeordet").fill(PASSWORD)
    assert posting(newcomer, "Opret konto").status == 200

    expect(newcomer.locator("h1")).to_have_text("Tjek din e-mail")
    account = served.site.accounts.by_email(email)
    assert account is not None and not account.email_confirmed
    author = served.site.wiki.author(account.author_id)
    assert (author.name, author.is_verified) == (name, False)

    sent = [message for message in mails(served.mail_dir) if message["To"] == email]
    assert len(sent) == 1
    link = link_in(sent[0])
    assert served.url + link in sent[0].get_content()  # WIKI_BASE_URL: the real server
    newcomer.goto(served.url + link)
    expect(newcomer.locator("h1")).to_have_text("Bekræft din e-mailadresse")
    assert not confirmed(served, email)  # opening the link is no proof: a scanner may
    assert_accessible(newcomer)  # a page only this flow reaches
    newcomer.get_by_label("Kodeord", exact=True).fill(PASSWORD)
    assert posting(newcomer, "Bekræft").status == 200

    expect(newcomer.locator("h1")).to_have_text("Din e-mailadresse er bekræftet")
    assert confirmed(served, email)
    expect(newcomer.locator("main")).to_contain_text(
        f"en administrator bekræfter, at {name} er dit rigtige navn"
    )
    expect(newcomer.locator(".site-header .pending")).to_have_text("(venter på bekræftelse)")
    refused = newcomer.goto(served.url + page_path(title) + "/edit")
    assert refused is not None and refused.status == 403
    expect(newcomer.locator("h1")).to_have_text("Din identitet er ikke bekræftet endnu")
    expect(newcomer.get_by_label("Sidens tekst")).to_have_count(0)

    admin = open_as(cast.admin)
    admin.get_by_role("link", name="Administration").click()
    waiting = admin.get_by_role("row").filter(has_text=email)
    expect(waiting).to_contain_text(name)
    waiting.get_by_role("button", name=f"Bekræft identitet for {name}").click()
    expect(admin.get_by_role("status")).to_have_text(f"{name} er nu bekræftet og kan redigere.")
    expect(admin.get_by_role("row").filter(has_text=email)).to_have_count(0)
    assert served.site.wiki.author(account.author_id).is_verified

    newcomer.reload()
    expect(newcomer.locator(".site-header .pending")).to_have_count(0)
    newcomer.get_by_label("Sidens tekst").fill("Hej fra Ærø.\n")
    assert posting(newcomer, "Gem").status == 303
    expect(newcomer.locator("h1")).to_have_text(title)
    expect(newcomer.locator(".page-header .meta")).to_contain_text(f"Senest ændret af {name}")
    saved = served.site.reader.page(title)
    assert (saved.body, saved.version, saved.updated_by.name) == ("Hej fra Ærø.\n", 1, name)


def test_a_writer_creates_a_case_previews_it_and_fixes_its_front_matter(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    title = "Velfærdsteknologi i Ærøskøbing"
    writer = open_as(cast.mette)
    missing = writer.goto(served.url + page_path(title))
    assert missing is not None and missing.status == 404
    writer.locator(".create-kinds").get_by_role("link", name="Case").click()

    writer.wait_for_url("**/edit?kind=case")
    kinds = writer.get_by_role("navigation", name="Hvilken slags side?")
    expect(kinds.get_by_role("link", name="Case")).to_have_attribute("aria-current", "page")
    assert editor_text(writer) == new_page_text("case")
    body = (
        new_page_text("case")
        .replace("organisation:\n", "organisation: Ærø Kommune\n")
        .replace("sector:  # stat | kommune | region | other\n", "sector: kommune\n")
        + "\nBorgerne fik **robotstøvsugere** og mere tid.\n"
    )
    writer.get_by_label("Sidens tekst").fill(body)
    assert posting(writer, "Forhåndsvis").status == 200

    preview = writer.get_by_role("region", name="Forhåndsvisning")
    expect(preview.locator("strong")).to_have_text("robotstøvsugere")
    expect(fact(preview, "Sektor")).to_have_text("Kommune")
    assert editor_text(writer) == body
    with pytest.raises(PageNotFound):
        served.site.reader.page(title)

    broken = body.replace("sector: kommune", "sector: by")
    writer.get_by_label("Sidens tekst").fill(broken)
    assert posting(writer, "Gem").status == 422

    expect(writer.get_by_role("alert")).to_contain_text("Linje 4, feltet sector: must be one of")
    expect(writer.locator(".problem-line")).to_have_text("sector: by")
    expect(writer.get_by_label("Sidens tekst")).to_have_attribute("aria-invalid", "true")
    assert editor_text(writer) == broken
    with pytest.raises(PageNotFound):
        served.site.reader.page(title)

    writer.get_by_label("Sidens tekst").fill(body)
    writer.get_by_label("Kort beskrivelse af ændringen").fill("Ny case fra Ærø")
    assert posting(writer, "Gem").status == 303

    expect(writer.locator("h1")).to_have_text(title)
    facts = writer.get_by_role("region", name="Fakta")
    expect(fact(facts, "Organisation")).to_have_text("Ærø Kommune")
    expect(fact(facts, "Sektor")).to_have_text("Kommune")
    expect(writer.locator(".page-body strong")).to_have_text("robotstøvsugere")
    saved = served.site.reader.page(title)
    assert (saved.kind, saved.version, saved.updated_by.name) == ("case", 1, cast.mette.name)
    assert saved.fields["sector"] == "kommune"
    assert saved.fields["organisation"] == "Ærø Kommune"


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_two_writers_change_the_same_line_and_the_second_merges_by_hand(
    database: str, request: pytest.FixtureRequest, open_as: OpenAs
) -> None:
    # Concurrent saves and reading one's own writes are the store's work: both stores.
    suffix = "" if database == "sqlite" else "_on_postgres"
    served: Served = request.getfixturevalue("served" + suffix)
    cast: Cast = request.getfixturevalue("cast" + suffix)
    title = "Budget for borgerinddragelse"
    original = "Borgerne inviteres til møder.\nBudgettet er 100.000 kr.\nSlut.\n"
    write(served, cast.admin, title, original)
    editor = served.url + page_path(title) + "/edit"
    mette, jorgen = open_as(cast.mette), open_as(cast.jorgen)
    for writer in (mette, jorgen):
        writer.goto(editor)
        assert editor_text(writer) == original

    hers = original.replace("100.000 kr.", "150.000 kr. fra puljen.")
    mette.get_by_label("Sidens tekst").fill(hers)
    assert posting(mette, "Gem").status == 303
    expect(mette.locator(".page-body")).to_contain_text("150.000 kr. fra puljen.")

    his = original.replace("100.000 kr.", "120.000 kr. i 2027.")
    jorgen.get_by_label("Sidens tekst").fill(his)
    assert posting(jorgen, "Gem").status == 409

    expect(jorgen.locator("h1")).to_contain_text("Redigeringskonflikt")
    expect(jorgen.get_by_role("alert")).to_contain_text(f"gemte {cast.mette.name} version 2")
    their_change = jorgen.get_by_role("table", name="Fra version 1 til version 2")
    expect(their_change.locator("tr.added")).to_contain_text("150.000 kr. fra puljen.")
    expect(their_change.locator("tr.removed")).to_contain_text("100.000 kr.")
    merged = jorgen.get_by_label("Teksten med begge ændringer").input_value()
    markers = [line.split()[0] for line in merged.splitlines() if line.startswith(MARKERS)]
    assert markers == list(MARKERS)  # one overlap: the saved text first, then his
    assert merged.index("150.000 kr. fra puljen.") < merged.index("120.000 kr. i 2027.")
    assert merged.startswith("Borgerne inviteres til møder.\n")
    assert merged.endswith("Slut.\n")
    jorgen.get_by_text("Vis din tekst, som du sendte den").click()
    expect(jorgen.get_by_label("Din tekst (kan kun læses)")).to_have_value(his)
    assert served.site.reader.page(title).version == 2  # nothing of his saved yet

    assert posting(jorgen, "Gem").status == 422  # the markers are still in
    expect(jorgen.get_by_role("alert")).to_contain_text("konfliktmarkeringer")
    assert editor_text(jorgen) == merged

    resolved = original.replace("100.000 kr.", "150.000 kr. fra puljen, heraf 120.000 kr. i 2027.")
    jorgen.get_by_label("Sidens tekst").fill(resolved)
    assert posting(jorgen, "Gem").status == 303

    expect(jorgen.locator(".page-body")).to_contain_text("heraf 120.000 kr. i 2027.")
    saved = served.site.reader.page(title)
    assert (saved.body, saved.version, saved.updated_by.name) == (resolved, 3, cast.jorgen.name)
    jorgen.get_by_role("navigation", name=f"Siden {title}").get_by_role(
        "link", name="Historik"
    ).click()
    jorgen.wait_for_url("**/history")
    rows = jorgen.locator("table.history tbody tr")
    expect(rows).to_have_count(3)
    for row, author in enumerate([cast.jorgen, cast.mette, cast.admin]):  # newest first
        expect(rows.nth(row).get_by_role("link", name=author.name)).to_be_visible()


def test_a_reader_compares_versions_and_sees_who_wrote_each_line(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    reader = open_as(None)
    reader.goto(served.url + page_path(ROSTER) + "/history")
    rows = reader.locator("table.history tbody tr")
    expect(rows).to_have_count(3)
    expect(reader.get_by_label("Fra version 2")).to_be_checked()  # the newest change first
    expect(reader.get_by_label("Til version 3")).to_be_checked()

    reader.get_by_label("Fra version 1").check()
    reader.get_by_label("Til version 2").check()
    reader.get_by_role("button", name="Sammenlign de valgte versioner").click()

    reader.wait_for_url(lambda url: url.startswith(served.url + page_path(ROSTER) + "/diff?"))
    assert parse_qs(urlsplit(reader.url).query) == {"from": ["1"], "to": ["2"]}
    expect(reader.locator("table.diff del")).to_contain_text(["ønsker"])
    expect(reader.locator("table.diff ins")).to_contain_text(["bytter"])
    expect(reader.get_by_role("region", name="Version 1")).to_contain_text(cast.mette.name)
    expect(reader.get_by_role("region", name="Version 2")).to_contain_text(cast.jorgen.name)

    reader.get_by_role("link", name="Hvem skrev hvad").click()
    reader.wait_for_url("**/blame")
    for line, version, author in [
        ("Vagtplanen lægges for fire uger.", 1, cast.mette.name),
        ("Medarbejderne bytter vagter i appen selv.", 2, cast.jorgen.name),
        ("Lederen godkender byttet.", 3, cast.mette.name),
    ]:
        group = reader.locator("tbody.blame-group").filter(has_text=line)
        expect(group.locator("th")).to_contain_text(f"Version {version}")
        expect(group.locator("th")).to_contain_text(author)

    reader.get_by_role("link", name="Kreditering").click()
    credits = reader.locator("table.credits tbody tr")
    expect(credits).to_have_count(2)
    expect(credits.nth(0)).to_contain_text(cast.mette.name)  # two edits: first
    expect(credits.nth(1)).to_contain_text(cast.jorgen.name)


def test_a_new_page_is_found_from_the_search_box_in_the_header(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    title = "Solcellelauget på Fanø"
    writer = open_as(cast.jorgen)
    writer.goto(served.url + page_path(title) + "/edit")
    writer.get_by_label("Sidens tekst").fill(
        new_page_text("article") + "\nEt **solcellelaug** ejet af øboerne.\n"
    )
    assert posting(writer, "Gem").status == 303
    expect(writer.locator("h1")).to_have_text(title)

    writer.get_by_role("search").get_by_label("Søg i wikien").fill("solcellelaug")
    writer.get_by_role("search").get_by_role("button", name="Søg").click()
    writer.wait_for_url("**/search?q=solcellelaug")
    hit = writer.locator(".hit h3 a", has_text=title)
    deadline = time.monotonic() + SEARCH_WAIT  # the index follows the log in the background
    while hit.count() == 0 and time.monotonic() < deadline:
        time.sleep(0.2)
        writer.reload()
    assert hit.count() == 1, f"{title} not found within {SEARCH_WAIT} s"
    hit.click()

    expect(writer.locator("h1")).to_have_text(title)


# ---------------------------------------------------------------------- accessibility


@pytest.mark.parametrize(
    "path",
    [
        "/",
        page_path(ROSTER),
        page_path(ROSTER) + "/edit",
        page_path("Endnu ikke skrevet") + "/edit?kind=case",
        page_path(ROSTER) + "/history",
        page_path(ROSTER) + "/diff?from=1&to=3",
        page_path(ROSTER) + "/blame",
        page_path(ROSTER) + "/credits",
        page_path(ROSTER) + "/revert?to=1",
        page_path(ROSTER) + "/rename",
        "/recent",
        "/search?q=vagter",
        "/account",
        page_path("Endnu ikke skrevet"),
    ],
)
def test_a_writers_pages_have_no_serious_accessibility_violations(
    served: Served, cast: Cast, open_as: OpenAs, path: str
) -> None:
    writer = open_as(cast.mette)
    writer.goto(served.url + path)

    assert_accessible(writer)


def test_an_author_page_has_no_serious_accessibility_violations(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    reader = open_as(None)
    reader.goto(f"{served.url}/authors/{cast.jorgen.author_id}")

    expect(reader.locator("h1")).to_have_text(cast.jorgen.name)
    assert_accessible(reader)


def test_the_administrators_queue_has_no_serious_accessibility_violations(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    admin = open_as(cast.admin)
    admin.goto(served.url + "/admin")

    expect(admin.get_by_role("row").filter(has_text=cast.waiting.email)).to_have_count(1)
    assert_accessible(admin)


def test_the_refusal_to_an_unconfirmed_author_has_no_serious_accessibility_violations(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    waiting = open_as(cast.waiting)
    answer = waiting.goto(served.url + page_path(ROSTER) + "/edit")

    assert answer is not None and answer.status == 403
    assert_accessible(waiting)


def test_the_preview_and_a_front_matter_error_have_no_serious_accessibility_violations(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    writer = open_as(cast.mette)
    writer.goto(served.url + page_path("Forhåndsvist netværk") + "/edit?kind=network")
    writer.get_by_label("Sidens tekst").fill(
        "---\nkind: network\nlevel: kommunalbestyrelse\ntags: [klima]\n---\n\n"
        "## Om emnet\n\nTekst.\n"
    )
    assert posting(writer, "Forhåndsvis").status == 200
    assert_accessible(writer)

    writer.get_by_label("Sidens tekst").fill("---\nkind: network\nlevel: byråd\n---\n")
    assert posting(writer, "Forhåndsvis").status == 422
    assert_accessible(writer)


def test_the_merge_screen_has_no_serious_accessibility_violations(
    served: Served, cast: Cast, open_as: OpenAs
) -> None:
    title = "Åbningstider i borgerservice"
    write(served, cast.admin, title, "Åbent mandag til fredag.\n")
    writer = open_as(cast.jorgen)
    writer.goto(served.url + page_path(title) + "/edit")
    write(served, cast.mette, title, "Åbent mandag til torsdag.\n")
    writer.get_by_label("Sidens tekst").fill("Åbent alle hverdage og lørdag.\n")
    assert posting(writer, "Gem").status == 409

    expect(writer.locator("h1")).to_contain_text("Redigeringskonflikt")
    assert_accessible(writer)
