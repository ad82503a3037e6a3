"""What every benchmark here shares: the result table, and reaching a PostgreSQL server.

Imported by the scripts in this folder, which run as `python bench/<name>.py` (so this
folder is on the import path).
"""

import cProfile
import io
import pstats
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg

from storage.eventstore import open_wiki
from wikiengine.application import Wiki
from wikiengine.config import Settings, load_settings

ROOT = Path(__file__).resolve().parent.parent
CACHE_DIR = Path(__file__).resolve().parent / ".cache"


@dataclass(frozen=True)
class Row:
    """One line of the final table."""

    store: str
    measure: str
    value: str
    target: str
    verdict: str  # PASS, MISS, or "" for a figure without a target


def verdict(passed: bool) -> str:
    return "PASS" if passed else "MISS"


def report(row: Row) -> Row:
    """Print a row as soon as it is measured (a long run shows progress)."""
    print(f"  {row.measure}: {row.value}", flush=True)
    return row


def print_table(rows: list[Row]) -> None:
    headers = Row("store", "measure", "value", "target", "result")
    widths = [
        max(len(getattr(row, name)) for row in [headers, *rows]) for name in Row.__annotations__
    ]
    print()
    for row in [headers, *rows]:
        cells = [getattr(row, name) for name in Row.__annotations__]
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)))


def with_schema(server_url: str, schema: str) -> str:
    parts = urlsplit(server_url)
    query = f"{parts.query}&schema={schema}" if parts.query else f"schema={schema}"
    return urlunsplit(parts._replace(query=query))


def postgres_unreachable(server_url: str) -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with psycopg.connect(server_url, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {server_url} is not reachable: {error}".strip()


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


T = TypeVar("T")


def profiled(enabled: bool, what: str, work: Callable[[], T]) -> T:
    """Run `work`, under cProfile when `enabled`, printing where the time went."""
    if not enabled:
        return work()
    profile = cProfile.Profile()
    result = profile.runcall(work)
    for order in ("tottime", "cumulative"):
        out = io.StringIO()
        pstats.Stats(profile, stream=out).sort_stats(order).print_stats(25)
        print(f"\n  --- profile of {what}, by {order} ---")
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))
    return result


def sqlite_settings(data_dir: Path) -> Settings:
    return load_settings(
        {"WIKI_DATA_DIR": str(data_dir), "WIKI_DATABASE_URL": f"sqlite:///{data_dir}/events.sqlite"}
    )


def cached_sqlite_store(name: str, generate: Callable[[Wiki], None]) -> Path:
    """The directory of a generated SQLite store (events.sqlite and its signing key),
    generated once into bench/.cache/`name` (each run works on a copy)."""
    store = CACHE_DIR / name
    if store.exists():
        print(f"  (generated store cached in {store.relative_to(ROOT)})")
        return store
    CACHE_DIR.mkdir(exist_ok=True)
    building = Path(tempfile.mkdtemp(prefix="building-", dir=CACHE_DIR))
    try:
        started = time.perf_counter()
        with open_wiki(sqlite_settings(building)) as wiki:
            generate(wiki)
        with sqlite3.connect(building / "events.sqlite") as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # one file to copy
        print(f"  generation: {time.perf_counter() - started:,.1f} s (cached for the next run)")
        building.rename(store)
    finally:
        shutil.rmtree(building, ignore_errors=True)
    return store
