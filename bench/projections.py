"""Benchmark of the projections: rebuilding the SQL views, commit-to-view latency, page reads.

    .venv/bin/python bench/projections.py [--store sqlite|postgres|both] [--quick] [--profile]

For each store it measures:

1. the rebuild rate of every SQL view (`read_model.reset()`, then `projector.catch_up()`,
   which ends by rendering each page's final text once) over a store of signed edits to
   many pages, with front matter of every kind and links between the pages;
2. commit-to-view latency with a running projector: edits through `Wiki.save_page`, one
   at a time, each timed from `save_page` returning until the read model's position
   reaches its notification id;
3. reading one page with 200 links (half of them red) through `WikiReader.page`: time per
   read and the number of SQL statements one read issues.

The store's events are real: pages are created through `save_page`, and every edit goes
through `Wiki._write_body` (permission check, front matter check, signing, hash chain);
only the save is deferred, so that a few dozen pages with their new events are saved in
one `wiki.save(...)`. The SQLite store is generated once per set of parameters and kept
under bench/.cache/ (each run works on a copy); PostgreSQL is generated every run into
the schema `bench_projections` of WIKI_BENCH_DATABASE_URL, which the run drops at the end.

`--profile` runs the rebuild and the page reads under cProfile and prints where the time
goes. Every number is printed next to its target.
"""

import argparse
import bisect
import hashlib
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from importlib.metadata import version as package_version
from pathlib import Path
from uuid import UUID

import psycopg
from psycopg.sql import SQL, Identifier
from results import (
    ROOT,
    Row,
    cached_sqlite_store,
    percentile,
    postgres_unreachable,
    print_table,
    profiled,
    report,
    sqlite_settings,
    verdict,
    with_schema,
)

from storage.eventstore import open_projector, open_wiki
from storage.queries import WikiReader
from storage.readmodel import ReadModel, SqlProjector
from storage.sql import Sql
from wikiengine.application import Wiki
from wikiengine.attribution import OPERATOR
from wikiengine.config import Settings, load_settings
from wikiengine.pages import Page

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
POSTGRES_SCHEMA = "bench_projections"
# The files that define what a stored event looks like: a change to any of them (or to
# this generator) makes a cached store stale.
EVENT_FORMAT_FILES = (
    "wikiengine/pages.py",
    "wikiengine/signed.py",
    "wikiengine/attribution.py",
    "wikiengine/authors.py",
    "wikiengine/keyring.py",
)
GENERATOR_VERSION = 1

VOCABULARY = (
    "innovation idé forsøg projekt borger kommune data deling viden netværk prototype "
    "workshop bæredygtig løsning erfaring samarbejde platform åben kilde test måling "
    "resultat udfordring mulighed strategi brugere læring værktøj proces kvalitet tid "
    "medarbejder leder region velfærd digital ældrepleje skole sundhed dialog evaluering"
)
WORDS = VOCABULARY.split()
AUTHOR_NAMES = ("Anne Andersen", "Bo Bertelsen", "Cecilie Christensen")
KINDS = ("article", "case", "recommendation", "network")
PARAGRAPHS = 7  # of LINES_PER_PARAGRAPH lines each, with two headings: ~2 KB with front matter
LINES_PER_PARAGRAPH = 3
WORDS_PER_LINE = 10
LINKS_PER_PAGE = 4  # in the text: three to other pages, one to a page nobody wrote
MOVE_CHANCE = 0.1  # of an edit also moving a paragraph
SESSIONS_PER_SAVE = 40  # editing sessions (1-3 edits of one page) saved together
LINK_PAGE_LINKS = 200

# Targets: what the issue asks of the projections.
REBUILD_TARGET_PER_S = 5_000.0
LATENCY_P95_TARGET_MS = 300.0
READ_P50_TARGET_MS = 2.0
READ_QUERY_TARGET = 3


@dataclass(frozen=True)
class Plan:
    """How much work one store gets."""

    pages: int
    events: int  # page events: every page's creation and its edits
    latency_edits: int
    reads: int
    seed: int = 2014

    def store_key(self) -> str:
        """Names a generated store: its parameters and the code that shapes its events."""
        digest = hashlib.sha256(repr((asdict(self), GENERATOR_VERSION)).encode())
        digest.update(package_version("eventsourcing").encode())
        for name in EVENT_FORMAT_FILES:
            digest.update((ROOT / name).read_bytes())
        return f"{self.pages}p-{self.events}e-{digest.hexdigest()[:12]}"


PLANS = {
    ("sqlite", False): Plan(pages=5_000, events=100_000, latency_edits=200, reads=2_000),
    ("postgres", False): Plan(pages=5_000, events=100_000, latency_edits=200, reads=2_000),
    ("sqlite", True): Plan(pages=100, events=1_000, latency_edits=20, reads=200),
    ("postgres", True): Plan(pages=100, events=1_000, latency_edits=20, reads=200),
}
LATENCY_SPACING_SECONDS = 0.020
POLL_SECONDS = 0.0005  # how often the bench looks at the read model's position


# ---------------------------------------------------------------- page text


def title_of(page: int) -> str:
    return f"{WORDS[page % len(WORDS)].capitalize()} og {WORDS[page * 7 % len(WORDS)]} {page}"


def missing_title(page: int, number: int) -> str:
    return f"Ikke skrevet {page}-{number}"


def sentence(rng: random.Random, link: str | None = None) -> str:
    """One line of prose, with a wiki link in it when `link` is given."""
    words = [rng.choice(WORDS) for _ in range(WORDS_PER_LINE)]
    if link is not None:
        words.insert(rng.randrange(1, WORDS_PER_LINE), f"[[{link}]]")
    return " ".join(words).capitalize() + "."


def front_matter(page: int, pages: int, rng: random.Random) -> list[str]:
    """The front matter of the page's kind, with relations to other pages."""

    def others(count: int) -> str:
        return ", ".join(title_of(rng.randrange(pages)) for _ in range(count))

    kind = KINDS[page % len(KINDS)]
    lines = ["---", f"kind: {kind}"]
    if kind == "case":
        lines += [
            f"organisation: {rng.choice(WORDS).capitalize()} Kommune",
            "sector: kommune",
            f"status: {sentence(rng)}",
            f"effect: {sentence(rng)}",
            f"recommendations: [{others(2)}]",
            f"network: [{others(1)}]",
        ]
    elif kind == "recommendation":
        lines += ["audience: Ledere", f"theme: {rng.choice(WORDS)}", f"cases: [{others(3)}]"]
    elif kind == "network":
        lines += [
            "level: kommunalbestyrelse",
            "parties: [A, V]",
            f"tasks: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]",
            f"recommendations: [{others(1)}]",
        ]
    else:
        lines += [f"cases: [{others(2)}]"]
    lines += [f"tags: [{rng.choice(WORDS)}, {rng.choice(WORDS)}]", "---"]
    return lines


@dataclass
class Draft:
    """A page's text as paragraphs of lines, so an edit can change a few lines."""

    page: int
    front: list[str]
    paragraphs: list[list[str]]  # a heading is a paragraph of one line
    edits_left: int
    aggregate: Page | None = None

    @classmethod
    def first(cls, page: int, pages: int, edits: int, rng: random.Random) -> "Draft":
        links = [title_of(rng.randrange(pages)) for _ in range(LINKS_PER_PAGE - 1)]
        links.append(missing_title(page, 0))
        paragraphs: list[list[str]] = []
        for number in range(PARAGRAPHS):
            if number in (0, PARAGRAPHS // 2):
                paragraphs.append([f"## {rng.choice(WORDS).capitalize()} {number}"])
            link = links[number] if number < len(links) else None
            lines = [sentence(rng, link)]
            lines += [sentence(rng) for _ in range(LINES_PER_PARAGRAPH - 1)]
            paragraphs.append(lines)
        return cls(page, front_matter(page, pages, rng), paragraphs, edits)

    def text(self) -> str:
        return "\n".join(self.front) + "\n" + "\n\n".join(map("\n".join, self.paragraphs)) + "\n"

    def edit(self, pages: int, rng: random.Random) -> str:
        """Rewrite one to three lines (a line with a link keeps one); sometimes move a
        paragraph. Returns the edit summary."""
        prose = [lines for lines in self.paragraphs if not lines[0].startswith("#")]
        for _ in range(rng.randint(1, 3)):
            lines = rng.choice(prose)
            index = rng.randrange(len(lines))
            link = title_of(rng.randrange(pages)) if "[[" in lines[index] else None
            lines[index] = sentence(rng, link)
        if rng.random() < MOVE_CHANCE:
            moved = self.paragraphs.pop(rng.randrange(1, len(self.paragraphs)))
            self.paragraphs.insert(rng.randrange(1, len(self.paragraphs) + 1), moved)
            return "Flyttede et afsnit og rettede lidt"
        return "Rettede et par linjer"


# ---------------------------------------------------------------- generating a store


@contextmanager
def deferred_saves(wiki: Wiki) -> Iterator[None]:
    """While open, commands trigger and sign their events as always but save nothing:
    the caller saves the aggregates, many events at once."""
    setattr(wiki, "_save", lambda *_items: None)  # noqa: B010 (shadows the method)
    try:
        yield
    finally:
        delattr(wiki, "_save")


def generate(wiki: Wiki, plan: Plan) -> None:
    """Create `plan.pages` pages and edit them to `plan.events` page events in all.

    Editing comes in sessions of one to three edits of a page by one author, the sessions
    of all pages interleaved, as on a wiki with many authors at work.
    """
    rng = random.Random(plan.seed)
    authors = [wiki.register_author(name) for name in AUTHOR_NAMES]
    for author in authors:
        wiki.verify_author(OPERATOR, author)
    edits, extra = divmod(plan.events - plan.pages, plan.pages)
    drafts = [
        Draft.first(page, plan.pages, edits + (page < extra), rng) for page in range(plan.pages)
    ]
    started = time.perf_counter()
    for draft in drafts:
        wiki.save_page(rng.choice(authors), title_of(draft.page), draft.text(), "Oprettede siden")
        progress("created", draft.page + 1, plan.pages, started)
    sessions: list[tuple[Draft, int]] = []
    for draft in drafts:
        left = draft.edits_left
        while left:
            size = min(left, rng.randint(1, 3))
            sessions.append((draft, size))
            left -= size
    rng.shuffle(sessions)
    done = 0
    started = time.perf_counter()
    for first in range(0, len(sessions), SESSIONS_PER_SAVE):
        changed: dict[UUID, Page] = {}
        with deferred_saves(wiki):
            for draft, size in sessions[first : first + SESSIONS_PER_SAVE]:
                page = draft.aggregate or wiki.page_by_title(title_of(draft.page))
                author = rng.choice(authors)
                for _ in range(size):
                    summary = draft.edit(plan.pages, rng)
                    wiki._write_body(
                        author, page, draft.text(), summary, page.version, Page.Edited, {}
                    )
                draft.aggregate = changed[page.id] = page
                done += size
        wiki.save(*changed.values())
        progress("edited", done, plan.events - plan.pages, started)


def progress(what: str, done: int, total: int, started: float) -> None:
    if done == total or done % max(1, total // 5) == 0:
        rate = done / (time.perf_counter() - started)
        print(f"    {what} {done:,}/{total:,} ({rate:,.0f}/s)", flush=True)


# ---------------------------------------------------------------- PostgreSQL


def drop_schema(server_url: str) -> None:
    with psycopg.connect(server_url, autocommit=True) as connection:
        connection.execute(
            SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(POSTGRES_SCHEMA))
        )


@contextmanager
def postgres_store(server_url: str, data_dir: Path, plan: Plan) -> Iterator[Settings]:
    """A freshly generated store in the bench's schema, dropped on exit."""
    drop_schema(server_url)  # left over from an interrupted run
    settings = load_settings(
        {
            "WIKI_DATA_DIR": str(data_dir),
            "WIKI_DATABASE_URL": with_schema(server_url, POSTGRES_SCHEMA),
        }
    )
    try:
        started = time.perf_counter()
        with open_wiki(settings) as wiki:
            generate(wiki, plan)
        print(f"  generation: {time.perf_counter() - started:,.1f} s")
        yield settings
    finally:
        drop_schema(server_url)


# ---------------------------------------------------------------- 1. rebuild


def rebuild_rows(store: str, projector: SqlProjector, plan: Plan, profile: bool) -> list[Row]:
    read_model = projector.view
    total = projector.backlog() or projector.wiki.recorder.max_notification_id() or 0
    read_model.reset()
    applied = [0, 0.0]  # events, when the last batch was applied
    started = time.perf_counter()

    def on_progress(events: int) -> None:
        applied[0] += events
        applied[1] = time.perf_counter()
        if applied[0] % 20_000 < events:
            print(f"    applied {applied[0]:,}/{total:,}", flush=True)

    events = profiled(profile, "the rebuild", lambda: projector.catch_up(on_progress=on_progress))
    finished = time.perf_counter()
    seconds = finished - started
    rendering = finished - applied[1]
    with read_model.read() as sql:
        pages = sql.row("SELECT COUNT(*) FROM view_pages")
        revisions = sql.row("SELECT COUNT(*) FROM view_revisions")
    assert pages is not None and revisions is not None
    if read_model.stale_count() or pages[0] != plan.pages or revisions[0] != plan.events:
        raise SystemExit(
            f"the rebuilt views are incomplete: {pages[0]} pages, {revisions[0]} revisions"
        )
    rate = events / seconds
    return [
        report(
            Row(
                store,
                f"rebuild all views: {events:,} events ({plan.events:,} page events, "
                f"{plan.pages:,} pages) in {seconds:.1f} s; rendering {rendering:.1f} s of it",
                f"{rate:,.0f} events/s",
                f">= {REBUILD_TARGET_PER_S:,.0f}/s",
                verdict(rate >= REBUILD_TARGET_PER_S),
            )
        )
    ]


# ---------------------------------------------------------------- 2. latency


class PositionWatcher:
    """Polls the read model's position in a thread of its own, noting when it moved, so
    edits can go on at their own pace while the bench watches the views catch up."""

    def __init__(self, read_model: ReadModel) -> None:
        self.read_model = read_model
        self.seen: list[tuple[int, float]] = []  # (position, when first seen), increasing
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._watch, name="watcher", daemon=True)

    def __enter__(self) -> "PositionWatcher":
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stopping.set()
        self._thread.join()

    def _watch(self) -> None:
        last = -1
        while not self._stopping.wait(POLL_SECONDS):
            position = self.read_model.position()
            if position > last:
                self.seen.append((position, time.perf_counter()))
                last = position

    def seen_at(self, position: int, timeout: float = 10.0) -> float:
        """When the views were first seen to include `position` (waits for it)."""
        deadline = time.perf_counter() + timeout
        while not self.seen or self.seen[-1][0] < position:
            if time.perf_counter() > deadline:
                raise SystemExit(f"the projector did not reach position {position} in {timeout} s")
            time.sleep(0.01)
        index = bisect.bisect_left(self.seen, position, key=lambda seen: seen[0])
        return self.seen[index][1]


def latency_rows(store: str, wiki: Wiki, projector: SqlProjector, plan: Plan) -> list[Row]:
    """Time from `save_page` returning until the views include the edit.

    Edits start every LATENCY_SPACING_SECONDS whether or not the views have caught up, so
    they come at every phase of the SQLite subscription's polling.
    """
    author = wiki.bootstrap_administrator("Lene Latens")
    rng = random.Random(plan.seed + 1)
    titles = [title_of(page) for page in range(min(10, plan.pages))]
    projector.start()
    projector.wait(wiki.recorder.max_notification_id(), timeout=60)
    committed: list[tuple[int, float]] = []
    with PositionWatcher(projector.view) as watcher:
        next_edit = time.perf_counter()
        for number in range(plan.latency_edits):
            time.sleep(max(0.0, next_edit - time.perf_counter()))
            next_edit += LATENCY_SPACING_SECONDS
            page = wiki.page_by_title(titles[number % len(titles)])
            lines = page.body.splitlines()
            lines[-1] = sentence(rng)  # the last line is always prose
            text = "\n".join(lines) + "\n"
            saved = wiki.save_page(author, page.title, text, "Ret", page.version)
            assert saved.notification_id is not None
            committed.append((saved.notification_id, time.perf_counter()))
        # Seen before save_page returned (on another thread): visible at once, 0 ms.
        samples = [max(0.0, watcher.seen_at(position) - at) * 1000 for position, at in committed]
    p50, p95 = percentile(samples, 0.5), percentile(samples, 0.95)
    return [
        report(
            Row(
                store,
                f"commit-to-view latency over {len(samples)} edits: p50 {p50:.1f} ms, "
                f"max {max(samples):.1f} ms; p95",
                f"{p95:.1f} ms",
                f"< {LATENCY_P95_TARGET_MS:.0f} ms",
                verdict(p95 < LATENCY_P95_TARGET_MS),
            )
        )
    ]


# ---------------------------------------------------------------- 3. page view


def link_page_text(body: str, plan: Plan) -> str:
    """`body` with a list of LINK_PAGE_LINKS links, half to pages that exist."""
    existing = [title_of(page % plan.pages) for page in range(1, LINK_PAGE_LINKS // 2 + 1)]
    missing = [f"Endnu ikke skrevet {number}" for number in range(LINK_PAGE_LINKS // 2)]
    links = "\n".join(f"- [[{title}]]" for title in [*existing, *missing])
    return f"{body}\n## Se også\n\n{links}\n"


def statements_of_one_read(reader: WikiReader, read_model: ReadModel, title: str) -> int:
    """How many SQL statements `reader.page(title)` runs (counted by the Sql adapter)."""
    counted: list[Sql] = []
    original = read_model.read

    @contextmanager
    def counting_read() -> Iterator[Sql]:
        with original() as sql:
            counted.append(sql)
            yield sql

    setattr(read_model, "read", counting_read)  # noqa: B010 (this instance only)
    try:
        reader.page(title)
    finally:
        delattr(read_model, "read")
    return sum(sql.statements for sql in counted)


def page_view_rows(
    store: str, wiki: Wiki, projector: SqlProjector, plan: Plan, profile: bool
) -> list[Row]:
    author = wiki.bootstrap_administrator("Lars Læser")
    page = wiki.page_by_title(title_of(0))
    saved = wiki.save_page(
        author, page.title, link_page_text(page.body, plan), "200 lenker", page.version
    )
    projector.wait(saved.notification_id, timeout=30)
    projector.stop()
    reader = WikiReader(projector.view, wiki)
    view = reader.page(page.title)
    links = [link for link in view.links if link.relation == "link"]
    red = sum(not link.exists for link in links)
    assert len(links) >= LINK_PAGE_LINKS and red >= LINK_PAGE_LINKS // 2, (len(links), red)
    statements = statements_of_one_read(reader, projector.view, page.title)
    for _ in range(min(100, plan.reads)):
        reader.page(page.title)

    def timed_reads() -> list[float]:
        samples = []
        for _ in range(plan.reads):
            started = time.perf_counter()
            reader.page(page.title)
            samples.append((time.perf_counter() - started) * 1000)
        return samples

    samples = profiled(profile, "the page reads", timed_reads)
    p50, p95 = statistics.median(samples), percentile(samples, 0.95)
    what = f"page view, {len(links)} links ({red} red), {len(view.backlinks)} backlinks"
    return [
        report(
            Row(
                store,
                f"{what}: p95 {p95:.2f} ms over {len(samples):,} reads; p50",
                f"{p50:.2f} ms",
                f"< {READ_P50_TARGET_MS:.0f} ms",
                verdict(p50 < READ_P50_TARGET_MS),
            )
        ),
        report(
            Row(
                store,
                "page view: SQL statements per read",
                str(statements),
                f"<= {READ_QUERY_TARGET}",
                verdict(statements <= READ_QUERY_TARGET),
            )
        ),
    ]


# ---------------------------------------------------------------- one store


def bench_store(store: str, settings: Settings, plan: Plan, profile: bool) -> list[Row]:
    rows: list[Row] = []
    with open_wiki(settings) as wiki:
        projector = open_projector(settings, wiki)
        try:
            if not projector.lock.try_acquire():
                raise SystemExit("another process projects the bench's store")
            rows += rebuild_rows(store, projector, plan, profile)
            projector.lock.release()  # the running projector takes it again
            rows += latency_rows(store, wiki, projector, plan)
            rows += page_view_rows(store, wiki, projector, plan, profile)
        finally:
            projector.stop()
            projector.lock.release()
            projector.view.close()
    return rows


@dataclass
class Run:
    stores: list[str]
    quick: bool
    profile: bool
    server_url: str
    rows: list[Row] = field(default_factory=list)


def run_store(run: Run, store: str, directory: Path) -> None:
    plan = PLANS[(store, run.quick)]
    print(f"\n[{store}] {plan}", flush=True)
    data_dir = directory / store
    if store == "sqlite":
        cached = cached_sqlite_store(
            f"projections-{plan.store_key()}", lambda wiki: generate(wiki, plan)
        )
        started = time.perf_counter()
        shutil.copytree(cached, data_dir)
        print(f"  (copied the store in {time.perf_counter() - started:.1f} s)")
        run.rows += bench_store(store, sqlite_settings(data_dir), plan, run.profile)
        return
    reason = postgres_unreachable(run.server_url)
    if reason is not None:
        print(f"  skipped: {reason}")
        return
    data_dir.mkdir()
    with postgres_store(run.server_url, data_dir, plan) as settings:
        run.rows += bench_store(store, settings, plan, run.profile)


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="a small store, for a smoke run")
    parser.add_argument("--profile", action="store_true", help="cProfile the rebuild and reads")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    run = Run(
        stores=["sqlite", "postgres"] if args.store == "both" else [args.store],
        quick=args.quick,
        profile=args.profile,
        server_url=os.environ.get("WIKI_BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL),
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wiki-bench-") as directory:
        for store in run.stores:
            run_store(run, store, Path(directory))
    print_table(run.rows)
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    return 0 if all(row.verdict != "MISS" for row in run.rows) else 1


if __name__ == "__main__":
    sys.exit(main())
