"""Shared fixtures: every core test runs against a real SQLite file and a real PostgreSQL.

PostgreSQL comes from WIKI_TEST_DATABASE_URL (default: the local server, database
`test`). Each test gets its own schema, dropped afterwards. Without a server the
PostgreSQL variants skip with the reason; under CI=true a missing server fails them.
"""

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from psycopg.sql import SQL, Identifier

from storage.accounts import AccountStore
from storage.eventstore import open_projector, open_wiki
from storage.queries import WikiReader
from storage.readmodel import SqlProjector
from storage.schema import TABLES
from web.mail import FileMailer
from web.site import Site, open_site
from wikiengine.application import Wiki
from wikiengine.config import Settings, load_settings

POSTGRES_URL = os.environ.get("WIKI_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


def postgres_unavailable() -> str | None:
    """Why PostgreSQL cannot be used, or None when it can."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.Error as error:
        return f"PostgreSQL at {POSTGRES_URL} is not reachable: {error}".strip()


def require_postgres() -> None:
    reason = postgres_unavailable()
    if reason is None:
        return
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true needs PostgreSQL: {reason}")
    pytest.skip(reason)


@pytest.fixture
def postgres_schema() -> Iterator[str]:
    """A fresh schema on the test server, dropped after the test."""
    require_postgres()
    schema = f"t_{uuid.uuid4().hex[:16]}"
    yield schema
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(Identifier(schema)))


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The store kind under test: 'sqlite' or 'postgres'."""
    kind: str = request.param
    return kind


@pytest.fixture
def settings_factory(
    store: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Callable[[], Settings]:
    """Settings for a data directory in tmp_path on the store under test."""
    env = {"WIKI_DATA_DIR": str(tmp_path / "data")}
    if store == "postgres":
        schema = request.getfixturevalue("postgres_schema")
        env["WIKI_DATABASE_URL"] = f"{POSTGRES_URL}?schema={schema}"
    return lambda: load_settings(env)


@pytest.fixture
def settings(settings_factory: Callable[[], Settings]) -> Settings:
    return settings_factory()


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    """The settings, also in the environment (as `wikiengine` commands read them)."""
    monkeypatch.setenv("WIKI_DATA_DIR", str(settings.data_dir))
    if settings.is_postgres:
        monkeypatch.setenv("WIKI_DATABASE_URL", settings.database_url)
    return settings


@pytest.fixture
def wiki(settings: Settings) -> Iterator[Wiki]:
    app = open_wiki(settings)
    yield app
    app.close()


@pytest.fixture
def accounts(wiki: Wiki) -> AccountStore:
    return AccountStore(wiki, hasher=PasswordHasher.from_parameters(CHEAPEST))


@pytest.fixture
def admin(wiki: Wiki) -> uuid.UUID:
    """A verified administrator, created the way `wikiengine admin create` does."""
    return wiki.bootstrap_administrator("Anna Ærø")


@pytest.fixture
def editor(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    """A verified, unblocked author without special rights."""
    author_id = wiki.register_author("Bo Østergaard")
    wiki.verify_author(admin, author_id)
    return author_id


@pytest.fixture
def projector(settings: Settings, wiki: Wiki) -> Iterator[SqlProjector]:
    """The read model's projector on the store under test (not started: call catch_up)."""
    running = open_projector(settings, wiki)
    yield running
    running.stop()
    running.view.close()


@pytest.fixture
def mail_dir(tmp_path: Path) -> Path:
    """Where the site's mail lands, one .eml file per message."""
    return tmp_path / "mail"


@pytest.fixture
def site(settings: Settings, wiki: Wiki, mail_dir: Path) -> Iterator[Site]:
    """What the web app serves from, over the test's wiki (no search index: tests that
    search set `search_projector`), with cheap password hashing and mail into files."""
    opened = open_site(
        settings,
        wiki,
        with_search=False,
        hasher=PasswordHasher.from_parameters(CHEAPEST),
        mailer=FileMailer(mail_dir),
    )
    yield opened
    opened.close()


@pytest.fixture
def reader(projector: SqlProjector, wiki: Wiki) -> WikiReader:
    return WikiReader(projector.view, wiki)


def view_rows(projector: SqlProjector) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every read-model table, in a fixed order (to compare two builds)."""
    with projector.view.read() as sql:
        return {table: sorted(sql.rows(f"SELECT * FROM {table}"), key=repr) for table in TABLES}
