"""Benchmark of the core: signed edits, page reconstruction and verification, per store.

    .venv/bin/python bench/core.py [--store sqlite|postgres|both] [--quick]

For each store (a temporary SQLite file; a fresh PostgreSQL schema on
WIKI_BENCH_DATABASE_URL, skipped when unreachable) it measures:

1. signed edits per second through `Wiki.save_page`, against a bare eventsourcing
   aggregate doing get + edit + save on the same persistence settings (its own store);
2. reconstruction of a page with many revisions on a Wiki without an aggregate cache,
   with snapshots and without;
3. `wikiengine verify` over everything the bench wrote, in one process and with two.

Every number is printed next to its target. The bench removes its files and schemas.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from uuid import UUID

import psycopg
from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Identifier
from results import Row, postgres_unreachable, print_table, report, verdict, with_schema

from storage.eventstore import eventstore_env, open_wiki
from wikiengine.application import Wiki
from wikiengine.cli import _verify_store
from wikiengine.config import load_settings
from wikiengine.verify import PARALLEL_THRESHOLD

DEFAULT_POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
PAGE_TITLE = "Benchmark page"
AUTHOR_NAME = "Bente Benchmark"
BODY_BYTES = 2048
VOCABULARY = (
    "innovation idé forsøg projekt borger kommune data deling viden netværk prototype "
    "workshop bæredygtig løsning erfaring samarbejde platform åben kilde test måling "
    "resultat udfordring mulighed strategi brugere læring værktøj proces kvalitet tid"
)
WORDS = VOCABULARY.split()

# Targets: what an issue asks of the core.
EDIT_RATIO_TARGET = 0.70
EDIT_BLOCKS = 10  # the two edit loops alternate in this many blocks
RECONSTRUCTION_TARGET_MS = 50.0
VERIFY_TARGET_PER_S = 5_000.0


@dataclass(frozen=True)
class Plan:
    """How much work one store gets."""

    edits: int
    warmup: int
    revisions: int  # versions of the page that is reconstructed
    loads: int  # reconstructions with snapshots (p50 over these)
    loads_without_snapshots: int


PLANS = {
    ("sqlite", False): Plan(
        edits=2_000, warmup=200, revisions=10_000, loads=20, loads_without_snapshots=3
    ),
    ("postgres", False): Plan(
        edits=1_000, warmup=100, revisions=10_000, loads=20, loads_without_snapshots=3
    ),
    ("sqlite", True): Plan(
        edits=300, warmup=30, revisions=1_000, loads=10, loads_without_snapshots=3
    ),
    ("postgres", True): Plan(
        edits=200, warmup=20, revisions=1_000, loads=10, loads_without_snapshots=3
    ),
}


def revision_body(revision: int) -> str:
    """About 2 KB of Danish-looking prose, different for every revision."""
    rng = random.Random(revision)
    lines = [f"# {PAGE_TITLE}", "", f"Revision {revision}.", ""]
    size = sum(len(line) + 1 for line in lines)
    while size < BODY_BYTES:
        line = " ".join(rng.choice(WORDS) for _ in range(12)).capitalize() + "."
        lines.append(line)
        size += len(line.encode("utf-8")) + 1
    return "\n".join(lines) + "\n"


def bodies(first: int, count: int) -> list[str]:
    return [revision_body(revision) for revision in range(first, first + count)]


# ---------------------------------------------------------------- stores


DatabaseFactory = Callable[[str], str]  # a name -> the URL of a new, empty database


@contextmanager
def sqlite_databases(directory: Path) -> Iterator[DatabaseFactory]:
    """A new SQLite file per call, inside `directory` (removed by its owner)."""

    def new_database(name: str) -> str:
        return f"sqlite:///{directory / f'{name}_{uuid.uuid4().hex[:12]}.sqlite'}"

    yield new_database


@contextmanager
def postgres_databases(server_url: str) -> Iterator[DatabaseFactory]:
    """A new schema per name on `server_url`; every schema is dropped on exit."""
    schemas: list[str] = []

    def new_database(name: str) -> str:
        schema = f"bench_{name}_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(server_url, autocommit=True) as connection:
            connection.execute(SQL("CREATE SCHEMA {}").format(Identifier(schema)))
        schemas.append(schema)
        return with_schema(server_url, schema)

    try:
        yield new_database
    finally:
        with psycopg.connect(server_url, autocommit=True) as connection:
            for schema in schemas:
                connection.execute(
                    SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema))
                )


@contextmanager
def opened_wiki(data_dir: Path, database_url: str) -> Iterator[Wiki]:
    settings = load_settings({"WIKI_DATA_DIR": str(data_dir), "WIKI_DATABASE_URL": database_url})
    wiki = open_wiki(settings)
    try:
        yield wiki
    finally:
        wiki.close()


@contextmanager
def reopened_wiki(wiki: Wiki, database_url: str, **overrides: str) -> Iterator[Wiki]:
    """A second Wiki on the same store, with `overrides` of its settings."""
    fresh = Wiki({**eventstore_env(database_url), **overrides}, wiki.signer)
    try:
        yield fresh
    finally:
        fresh.close()


# ---------------------------------------------------------------- 1. signed edits


class SignedPageEditor:
    """A verified author editing one page through the application service."""

    def __init__(self, wiki: Wiki) -> None:
        self.wiki = wiki
        self.author_id = wiki.bootstrap_administrator(AUTHOR_NAME)
        created = wiki.save_page(self.author_id, PAGE_TITLE, revision_body(1), "Benchmark page")
        self.version = created.version
        self.page_id = wiki.page_by_title(PAGE_TITLE).id

    def edit(self, body: str) -> None:
        saved = self.wiki.save_page(
            self.author_id, PAGE_TITLE, body, "edit", base_version=self.version
        )
        self.version = saved.version

    def extend_to(self, revisions: int) -> None:
        """Edit until the page has `revisions` versions (untimed)."""
        while self.version < revisions:
            self.edit(revision_body(self.version + 1))


# ---------------------------------------------------------------- 2. bare aggregate


class Draft(Aggregate):
    """The least an event-sourced page can be: a body that is edited."""

    def __init__(self, body: str) -> None:
        self.body = body

    @event("Edited")
    def edit(self, body: str) -> None:
        self.body = body


class BareDrafts(Application[UUID]):
    """Configured as `Wiki` is: compression, cache and snapshot interval, no signing."""

    name = "BareDrafts"
    snapshotting_intervals = {Draft: 100}
    env = {
        "COMPRESSOR_TOPIC": "eventsourcing.compressor:ZlibCompressor",
        "AGGREGATE_CACHE_MAXSIZE": "2000",
    }

    def construct_env(self, name: str, env: Mapping[str, str] | None = None) -> Environment:
        # Like Wiki: settings come from the bench only, never from process variables.
        settings = {**type(self).env, "IS_SNAPSHOTTING_ENABLED": "y", **(env or {})}
        return Environment(name, settings)


class BareDraftEditor:
    """The same loop without signing or checks: get from the repository, edit, save."""

    def __init__(self, app: BareDrafts) -> None:
        self.app = app
        draft = Draft(revision_body(1))
        app.save(draft)
        self.draft_id = draft.id

    def edit(self, body: str) -> None:
        draft: Draft = self.app.repository.get(self.draft_id)
        draft.edit(body)
        self.app.save(draft)


@contextmanager
def bare_drafts(database_url: str) -> Iterator[BareDrafts]:
    app = BareDrafts(eventstore_env(database_url))
    try:
        yield app
    finally:
        app.close()


# ---------------------------------------------------------------- 1 + 2 compared


class Editor(Protocol):
    def edit(self, body: str) -> None: ...


@dataclass
class EditTimes:
    edits: int = 0
    seconds: float = 0.0

    @property
    def per_second(self) -> float:
        return self.edits / self.seconds


def timed_edits(editor: Editor, texts: list[str], times: EditTimes) -> None:
    start = time.perf_counter()
    for body in texts:
        editor.edit(body)
    times.seconds += time.perf_counter() - start
    times.edits += len(texts)


def compare_editors(signed: Editor, bare: Editor, plan: Plan) -> tuple[EditTimes, EditTimes]:
    """Alternate blocks of edits, so noise from the disk or neighbours hits both alike."""
    for body in bodies(2, plan.warmup):
        signed.edit(body)
        bare.edit(body)
    signed_times, bare_times = EditTimes(), EditTimes()
    block = max(1, plan.edits // EDIT_BLOCKS)
    for first in range(2 + plan.warmup, 2 + plan.warmup + block * EDIT_BLOCKS, block):
        texts = bodies(first, block)
        timed_edits(signed, texts, signed_times)
        timed_edits(bare, texts, bare_times)
    return signed_times, bare_times


# ---------------------------------------------------------------- 3. reconstruction


def load_times_ms(load: Callable[[], Any], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        start = time.perf_counter()
        load()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def reconstruction_rows(
    store: str, wiki: Wiki, database_url: str, page_id: UUID, plan: Plan
) -> list[Row]:
    """Load the page on Wikis without an aggregate cache: every load replays from the store."""
    rows = []
    with reopened_wiki(wiki, database_url, AGGREGATE_CACHE_MAXSIZE="") as fresh:
        assert fresh.repository.cache is None  # no load can be served from memory
        assert fresh.page(page_id).version == plan.revisions
        latest = load_times_ms(lambda: fresh.page(page_id), plan.loads)
        rows.append(reconstruction_row(store, f"page v{plan.revisions} (latest snapshot)", latest))
        # The worst case: the newest snapshot is 99 versions behind.
        between = plan.revisions - 1
        worst = load_times_ms(lambda: fresh.page_at(page_id, between), plan.loads)
        rows.append(reconstruction_row(store, f"page v{between} (snapshot + 99 events)", worst))
    with reopened_wiki(
        wiki, database_url, AGGREGATE_CACHE_MAXSIZE="", IS_SNAPSHOTTING_ENABLED="n"
    ) as unsnapshotted:
        assert unsnapshotted.repository.snapshot_store is None
        replay = load_times_ms(lambda: unsnapshotted.page(page_id), plan.loads_without_snapshots)
        p50 = statistics.median(replay)
        rows.append(
            report(
                Row(
                    store,
                    f"page v{plan.revisions} without snapshots, p50 of {len(replay)}",
                    f"{p50:,.1f} ms",
                    "(comparison)",
                    "",
                )
            )
        )
    return rows


def reconstruction_row(store: str, what: str, samples: list[float]) -> Row:
    p50 = statistics.median(samples)
    return report(
        Row(
            store,
            f"reconstruct {what}, p50 of {len(samples)} (max {max(samples):,.1f})",
            f"{p50:,.2f} ms",
            f"< {RECONSTRUCTION_TARGET_MS:.0f} ms",
            verdict(p50 < RECONSTRUCTION_TARGET_MS),
        )
    )


# ---------------------------------------------------------------- 4. verification


def verify_row(store: str, wiki: Wiki, jobs: int) -> Row:
    start = time.perf_counter()
    result = _verify_store(wiki, jobs)
    seconds = time.perf_counter() - start
    if not result.ok:
        raise SystemExit(f"verify found problems in the bench's own store: {result.problems[:3]}")
    rate = result.events_checked / seconds
    note = "" if result.events_checked >= PARALLEL_THRESHOLD or jobs < 2 else ", in-process"
    return report(
        Row(
            store,
            f"verify, jobs={jobs} ({result.events_checked:,} events in {seconds:.2f} s{note})",
            f"{rate:,.0f} events/s",
            f">= {VERIFY_TARGET_PER_S:,.0f}/s",
            verdict(rate >= VERIFY_TARGET_PER_S),
        )
    )


# ---------------------------------------------------------------- one store


def bench_store(store: str, new_database: DatabaseFactory, data_dir: Path, plan: Plan) -> list[Row]:
    print(f"\n[{store}] {plan}", flush=True)
    wiki_url = new_database("wiki")
    with opened_wiki(data_dir, wiki_url) as wiki, bare_drafts(new_database("bare")) as app:
        page = SignedPageEditor(wiki)
        signed, bare = compare_editors(page, BareDraftEditor(app), plan)
        rows = edit_rows(store, signed, bare)
        started = time.perf_counter()
        page.extend_to(plan.revisions)
        print(f"  (built {plan.revisions:,} revisions in {time.perf_counter() - started:.0f} s)")
        rows += reconstruction_rows(store, wiki, wiki_url, page.page_id, plan)
        rows.append(verify_row(store, wiki, jobs=1))
        rows.append(verify_row(store, wiki, jobs=2))
    return rows


def edit_rows(store: str, signed: EditTimes, bare: EditTimes) -> list[Row]:
    ratio = signed.per_second / bare.per_second
    return [
        report(
            Row(
                store,
                f"signed edits via save_page ({signed.edits:,})",
                f"{signed.per_second:,.0f}/s",
                "(see ratio)",
                "",
            )
        ),
        report(
            Row(
                store,
                f"bare aggregate get+edit+save ({bare.edits:,})",
                f"{bare.per_second:,.0f}/s",
                "(reference)",
                "",
            )
        ),
        report(
            Row(
                store,
                "signed / bare",
                f"{ratio:.1%}",
                f">= {EDIT_RATIO_TARGET:.0%}",
                verdict(ratio >= EDIT_RATIO_TARGET),
            )
        ),
    ]


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--store", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="fewer edits and revisions")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    stores = ["sqlite", "postgres"] if args.store == "both" else [args.store]
    server_url = os.environ.get("WIKI_BENCH_DATABASE_URL", DEFAULT_POSTGRES_URL)
    rows: list[Row] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="wiki-bench-") as directory:
        for store in stores:
            plan = PLANS[(store, args.quick)]
            with ExitStack() as stack:
                data_dir = Path(directory) / store
                data_dir.mkdir()
                if store == "sqlite":
                    new_database = stack.enter_context(sqlite_databases(data_dir))
                else:
                    reason = postgres_unreachable(server_url)
                    if reason is not None:
                        print(f"\n[postgres] skipped: {reason}")
                        continue
                    new_database = stack.enter_context(postgres_databases(server_url))
                rows += bench_store(store, new_database, data_dir, plan)
    print_table(rows)
    print(f"\ntotal time {time.perf_counter() - started:.0f} s")
    return 0 if all(row.verdict != "MISS" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
