"""Benchmark of the web server over real HTTP: page views, searches and edits.

    .venv/bin/python bench/http.py [--seconds 10] [--pages 500] [--workers 1 2]

Needs `wrk` (Debian: `apt-get install wrk`), the C load generator, so that the client
takes little of the machine's two cores. For each worker count it starts
`wikiengine serve --workers N` on loopback over a prepared SQLite store (the demo wiki
plus `--pages` generated pages, read model and search index built before the start) and
drives it with 32 connections:

1. a page view: `GET /wiki/<a demo page>` with its fields, links and about 60 backlinks,
   as an anonymous reader (the page kept by the server until the wiki changes; the
   rendered HTML is cached in the read model as well);
2. a search: `GET /api/v1/search?q=<one of a list of Danish words>`;
3. an edit: `PUT /api/v1/pages/<page>` with a bearer token, each connection editing its
   own page from the version its last answer gave (a Lua script), so every request is a
   real signed edit, not a conflict; read-your-writes included (the answer comes once the
   read model has the edit).

It prints requests/s and p50/p99 latency of each, against the targets (page views at
least 1,000/s with 2 workers, edits at least 150/s).
"""

import sys

# This script's folder holds `http.py`, which would hide the standard library's `http`
# package: look in the project and the standard library first, in this folder last.
BENCH_DIR = sys.path.pop(0)
sys.path[:0] = [str(__import__("pathlib").Path(BENCH_DIR).parent)]
sys.path.append(BENCH_DIR)

import argparse
import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from results import ROOT, Row, print_table, report, verdict

from search.indexer import open_search_projector
from storage.accounts import AccountStore
from storage.eventstore import open_projector, open_wiki
from wikiengine.attribution import OPERATOR
from wikiengine.config import load_settings
from wikiengine.demo import DEMO_PAGES, load_demo

CONNECTIONS = 32
PAGE = "Idéstorme i Aarhus Kommune"
SEARCH_WORDS = ("innovation", "kommune", "medarbejdere", "tillid", "politikere", "idéstorm")
EDIT_PAGES = CONNECTIONS  # one page per connection: edits never conflict
WORDS = (
    *("innovation", "kommune", "medarbejdere", "borgere", "tillid", "dialog", "ledelse"),
    *("velfærd", "løsning", "erfaring", "forsøg", "region", "stat", "samarbejde"),
    *("politikere", "kvalificering", "effekt", "proces"),
)

EDIT_SCRIPT = """
local threads = {}
local next_id = 1
function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
end
function init(args)
  page = "/api/v1/pages/Bench_redigering_RUN_" .. id
  version = 1
  counter = 0
end
function request()
  counter = counter + 1
  local body = '{"body": "Redigering nummer ' .. counter .. ' af forbindelse ' .. id
    .. '.\\\\n", "summary": "bench", "base_version": ' .. version .. '}'
  return wrk.format("PUT", page, {
    ["Authorization"] = "Bearer TOKEN",
    ["Content-Type"] = "application/json",
  }, body)
end
function response(status, headers, body)
  local found = body:match('"version":%s*(%d+)') or body:match('"current_version":%s*(%d+)')
  if found then version = tonumber(found) end
end
"""

SEARCH_SCRIPT = (
    "local words = {"
    + ", ".join(f'"{quote(word)}"' for word in SEARCH_WORDS)
    + "}\nlocal n = 0\nfunction request()\n  n = n + 1\n"
    + '  return wrk.format("GET", "/api/v1/search?q=" .. words[(n % #words) + 1])\nend\n'
)


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    failures: int


def prepare(data_dir: Path, pages: int, runs: list[int]) -> str:
    """The demo wiki plus `pages` generated pages, views and index built; returns an
    API token of a verified author."""
    settings = load_settings({"WIKI_DATA_DIR": str(data_dir)})
    wiki = open_wiki(settings)
    try:
        load_demo(wiki)
        author = wiki.register_author("Bente Benchmark")
        wiki.verify_author(OPERATOR, author)
        demo_titles = [title for _, title in DEMO_PAGES]
        for number in range(pages):
            words = " ".join(WORDS[(number * 7 + i) % len(WORDS)] for i in range(300))
            # Links spread over the demo pages and the page before: a page has a handful
            # of backlinks, as most pages of a wiki do.
            related = demo_titles[number % len(demo_titles)]
            text = (
                f"# Side {number}\n\n{words}\n\n"
                f"Se også [[{related}]] og [[Genereret side {max(number - 1, 0)}]].\n"
            )
            wiki.save_page(author, f"Genereret side {number}", text)
        for run in runs:  # each worker count edits pages of its own, from version 1
            for number in range(1, EDIT_PAGES + 1):
                wiki.save_page(author, f"Bench_redigering_{run}_{number}", "Første udgave.\n")
        accounts = AccountStore(wiki)
        accounts.create(author, "bench@example.dk", "bench-kodeord-1", confirmed=True)
        token = accounts.create_token(author, "bench")
        for projector in (open_projector(settings, wiki), open_search_projector(settings, wiki)):
            projector.catch_up()
            projector.view.close()
    finally:
        wiki.close()
    return token


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def start_server(data_dir: Path, workers: int, port: int) -> subprocess.Popen[bytes]:
    env = {**os.environ, "WIKI_DATA_DIR": str(data_dir), "WIKI_MAIL": "console"}
    server = subprocess.Popen(
        [
            str(ROOT / ".venv" / "bin" / "wikiengine"),
            "serve",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    url = f"http://127.0.0.1:{port}/api/v1/search?q=kommune"
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("the server did not start")
        time.sleep(0.2)


def wrk(url: str, seconds: int, script: str | None = None, threads: int = 2) -> Load:
    command = ["wrk", "-t", str(threads), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        command += ["-s", lua.name]
    try:
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    finally:
        Path(lua.name).unlink()
    return parse_wrk(output)


def parse_wrk(output: str) -> Load:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no rate:\n{output}")
    failures = sum(
        int(found)
        for found in re.findall(r"Non-2xx or 3xx responses:\s+(\d+)", output)
        + re.findall(r"Socket errors:.*?timeout (\d+)", output)
    )
    return Load(float(rate.group(1)), _latency(output, "50%"), _latency(output, "99%"), failures)


def _latency(output: str, percent: str) -> float:
    found = re.search(rf"^\s+{re.escape(percent)}\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no {percent} latency:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]
    return float(found.group(1)) * scale


def measure(data_dir: Path, token: str, workers: int, seconds: int) -> list[Row]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(data_dir, workers, port)
    rows = []
    try:
        page_url = f"{base}/wiki/{quote(PAGE.replace(' ', '_'))}"
        wrk(page_url, 2)  # warm up: caches, connections, lazily opened files
        store = f"SQLite, {workers} worker{'s' if workers > 1 else ''}"
        targets = {"page view": 1000.0 if workers == 2 else None, "edit": 150.0, "search": None}
        for name, url, script, threads in (
            ("page view", page_url, None, 2),
            ("search", base + "/api/v1/search", SEARCH_SCRIPT, 2),
            (
                "edit",
                base,
                EDIT_SCRIPT.replace("TOKEN", token).replace("RUN", str(workers)),
                EDIT_PAGES,
            ),
        ):
            load = wrk(url, seconds, script, threads)
            target = targets[name]
            rows.append(
                report(
                    Row(
                        store,
                        f"{name}: req/s (p50 / p99 ms{', failures' if load.failures else ''})",
                        f"{load.requests_per_second:,.0f} ({load.p50_ms:.1f} / {load.p99_ms:.1f}"
                        + (f", {load.failures} failed" if load.failures else "")
                        + ")",
                        f">= {target:,.0f}/s" if target else "",
                        verdict(load.requests_per_second >= target and not load.failures)
                        if target
                        else "",
                    )
                )
            )
    finally:
        server.terminate()
        server.wait(timeout=30)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--pages", type=int, default=500)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("bench/http.py needs wrk: apt-get install wrk")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-http-") as directory:
        data_dir = Path(directory) / "data"
        print(f"preparing the demo wiki and {args.pages} pages ...", flush=True)
        token = prepare(data_dir, args.pages, args.workers)
        for workers in args.workers:
            print(f"{workers} worker(s), {CONNECTIONS} connections, {args.seconds} s each:")
            rows += measure(data_dir, token, workers, args.seconds)
    print_table(rows)


if __name__ == "__main__":
    main()
