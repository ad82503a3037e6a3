"""The projector as operators run it: across real processes, through a dropped
PostgreSQL connection, and `wikiengine rebuild` from the command line."""

import multiprocessing
import subprocess
import sys
import time
import uuid
from typing import Any

import psycopg
import pytest

from storage import projection
from storage.eventstore import open_projector, open_wiki
from storage.queries import WikiReader
from storage.readmodel import SqlProjector
from tests.conftest import POSTGRES_URL, view_rows
from wikiengine.application import Wiki
from wikiengine.cli import main
from wikiengine.config import Settings

EDITS = 8


def _write_edits(settings: Settings, editor: str, results: Any) -> None:
    """Another process: its own wiki and (idle, lock-less) projector; writes edits."""
    wiki = open_wiki(settings)
    projector = open_projector(settings, wiki)
    projector.start()
    try:
        for version in range(1, EDITS + 1):
            text = f"skrevet i en anden proces, version {version}\n"
            base = None if version == 1 else version - 1
            wiki.save_page(uuid.UUID(editor), "Fælles side", text, "", base)
            results.put((version, time.time()))
            time.sleep(0.15)
    finally:
        projector.stop()
        projector.view.close()
        wiki.close()


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_edits_from_another_process_are_readable_within_a_second(
    settings: Settings, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    projector.start()
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    writer = context.Process(target=_write_edits, args=(settings, str(editor), results))
    writer.start()
    lags = []
    try:
        for _ in range(EDITS):
            version, committed_at = results.get(timeout=60)
            while True:
                try:
                    seen = reader.page("Fælles side").version
                except Exception:  # not projected yet
                    seen = 0
                if seen >= version:
                    break
                assert time.time() - committed_at < 1.0, f"version {version} not seen in 1 s"
                time.sleep(0.005)
            lags.append(time.time() - committed_at)
    finally:
        writer.join(timeout=60)
    assert writer.exitcode == 0
    assert len(lags) == EDITS and max(lags) < 1.0


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_killed_listen_connection_is_replaced(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    projector.start()
    first = wiki.save_page(editor, "Side", "før\n")
    projector.wait(first.notification_id, timeout=5)

    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin_connection:
        killed = admin_connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE query ILIKE 'LISTEN%%' AND pid <> pg_backend_pid()"
        ).fetchall()
    assert killed, "the projector had no LISTEN connection to kill"

    second = wiki.save_page(editor, "Side", "efter\n", "", 1)
    projector.wait(second.notification_id, timeout=15)
    assert reader.page("Side").body == "efter\n"
    assert projector.restarts >= 1


# ---------------------------------------------------------------------- wikiengine rebuild


def test_rebuild_command_rebuilds_the_same_views(
    cli_env: Settings,
    wiki: Wiki,
    editor: uuid.UUID,
    projector: SqlProjector,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(30):
        wiki.save_page(editor, f"Side {n}", f"Tekst {n} med [[Side {n + 1}]]\n")
    projector.catch_up()
    before = view_rows(projector)
    with projector.view.read() as sql:
        sql.run("SELECT 1")  # the connection works before the rebuild drops the tables

    assert main(["rebuild"]) == 0

    assert view_rows(projector) == before
    assert "rebuilt sql from" in capsys.readouterr().err


def test_rebuild_refuses_while_another_process_projects(
    cli_env: Settings, projector: SqlProjector, capsys: pytest.CaptureFixture[str]
) -> None:
    assert projector.lock.try_acquire()
    try:
        assert main(["rebuild", "sql"]) == 1
    finally:
        projector.lock.release()
    assert "another process keeps sql up to date" in capsys.readouterr().err


def test_rebuild_names_unknown_views(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rebuild", "sql", "kage"]) == 2
    assert "unknown view kage" in capsys.readouterr().err


# ---------------------------------------------------------------------- the lock and take-overs


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_standby_projector_survives_a_failed_lock_attempt(
    settings: Settings, wiki: Wiki, projector: SqlProjector
) -> None:
    projector.start()  # holds the lock
    standby = open_projector(settings, wiki)  # another worker or node
    real_connect = standby.lock._connect  # type: ignore[attr-defined]
    attempts: list[int] = []

    def database_blips_once() -> Any:
        attempts.append(1)
        if len(attempts) == 2:
            raise psycopg.OperationalError("connection refused (the database is restarting)")
        return real_connect()

    standby.lock._connect = database_blips_once  # type: ignore[attr-defined]
    try:
        standby.start()
        deadline = time.monotonic() + 10
        while len(attempts) < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(attempts) >= 3, "the standby stopped trying for the lock"
        assert standby.restarts >= 1
    finally:
        standby.stop()
        standby.view.close()


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_lost_lock_session_is_noticed(
    settings: Settings, wiki: Wiki, projector: SqlProjector
) -> None:
    assert projector.lock.try_acquire()
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin_connection:
        killed = admin_connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE pid <> pg_backend_pid() AND query ILIKE '%%pg_try_advisory_lock%%'"
        ).fetchall()
    assert killed
    time.sleep(0.3)
    other = open_projector(settings, wiki)
    try:
        assert other.lock.try_acquire()
        assert not projector.lock.holds()
        assert not projector.lock.try_acquire()
    finally:
        other.lock.release()
        other.view.close()


def test_a_projector_taking_over_again_does_not_trust_its_old_cache(
    settings: Settings, wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    first = wiki.save_page(editor, "Side", "linje et\n")
    projector.start()
    projector.wait(first.notification_id)
    projector.stop()  # as when a node loses the lock

    other = open_projector(settings, wiki)
    try:
        other.start()
        wiki.save_page(editor, "Side", "linje et\nlinje to\n", "", 1)
        renamed = wiki.rename_page(editor, "Side", "Ny side", "", 2)
        other.wait(renamed.notification_id)
    finally:
        other.stop()
        other.view.close()

    projector.start()  # takes the lock again
    last = wiki.save_page(editor, "Ny side", "linje et\nlinje to\nlinje tre\n", "", 3)
    projector.wait(last.notification_id)
    projector.stop()
    assert reader.page("Ny side").title == "Ny side"
    live = view_rows(projector)
    projector.view.reset()
    projector.catch_up()
    assert view_rows(projector) == live


@pytest.mark.parametrize("store", ["sqlite"])
def test_rendering_does_not_hold_the_write_lock_against_other_writers(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(60):
        wiki.save_page(editor, f"Side {n}", f"tekst {n}\n" * 50)
    notifications = wiki.recorder.select_notifications(start=0, limit=5000)
    projector._apply(0, notifications)  # one big batch: the pages are left stale
    assert projector.view.stale_count() == 60
    real_render = projection.render_markup

    def slow_render(text: str) -> Any:
        time.sleep(0.01)
        return real_render(text)

    monkeypatch.setattr(projection, "render_markup", slow_render)
    database = projector.view.datastore.pool.db_name  # type: ignore[attr-defined]
    other_worker = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sqlite3, sys, time\n"
            "c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)\n"
            "c.execute('CREATE TABLE IF NOT EXISTS scratch (x)')\n"
            "while True:\n"
            "    c.execute('INSERT INTO scratch VALUES (1)'); time.sleep(0.02)\n",
            database,
        ]
    )
    try:
        time.sleep(0.3)
        assert projector.view.render_stale() == 60
    finally:
        other_worker.kill()
        other_worker.wait()
    assert projector.view.stale_count() == 0
