"""The projector as operators run it: across real processes, through a dropped
PostgreSQL connection, and `wikiengine rebuild` from the command line."""

import multiprocessing
import time
import uuid
from typing import Any

import psycopg
import pytest

from storage.eventstore import open_projector, open_wiki
from storage.projector import Projector
from storage.queries import WikiReader
from storage.schema import TABLES
from tests.conftest import POSTGRES_URL
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
        projector.read_model.close()
        wiki.close()


@pytest.mark.parametrize("store", [pytest.param("postgres", marks=pytest.mark.postgres)])
def test_edits_from_another_process_are_readable_within_a_second(
    settings: Settings, editor: uuid.UUID, projector: Projector, reader: WikiReader
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
    wiki: Wiki, editor: uuid.UUID, projector: Projector, reader: WikiReader
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


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    monkeypatch.setenv("WIKI_DATA_DIR", str(settings.data_dir))
    if settings.is_postgres:
        monkeypatch.setenv("WIKI_DATABASE_URL", settings.database_url)
    return settings


def _rows(projector: Projector) -> dict[str, list[tuple[Any, ...]]]:
    with projector.read_model.read() as sql:
        return {table: sorted(sql.rows(f"SELECT * FROM {table}"), key=repr) for table in TABLES}


def test_rebuild_command_rebuilds_the_same_views(
    cli_env: Settings,
    wiki: Wiki,
    editor: uuid.UUID,
    projector: Projector,
    capsys: pytest.CaptureFixture[str],
) -> None:
    for n in range(30):
        wiki.save_page(editor, f"Side {n}", f"Tekst {n} med [[Side {n + 1}]]\n")
    projector.catch_up()
    before = _rows(projector)
    with projector.read_model.read() as sql:
        sql.run("SELECT 1")  # the connection works before the rebuild drops the tables

    assert main(["rebuild"]) == 0

    assert _rows(projector) == before
    assert "rebuilt sql from" in capsys.readouterr().err


def test_rebuild_refuses_while_another_process_projects(
    cli_env: Settings, projector: Projector, capsys: pytest.CaptureFixture[str]
) -> None:
    assert projector.lock.try_acquire()
    try:
        assert main(["rebuild", "sql"]) == 1
    finally:
        projector.lock.release()
    assert "another process is projecting" in capsys.readouterr().err


def test_rebuild_names_unknown_views(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rebuild", "sql", "kage"]) == 2
    assert "unknown view kage" in capsys.readouterr().err
