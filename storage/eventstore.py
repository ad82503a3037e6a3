"""Wiring the event store: from a database URL to eventsourcing's settings, and opening the wiki."""

import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from psycopg.sql import SQL, Identifier

from wikiengine.application import Wiki
from wikiengine.config import Settings
from wikiengine.signing import Signer

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def eventstore_env(database_url: str) -> dict[str, str]:
    """eventsourcing persistence settings for `sqlite:///path` or `postgresql://...` URLs."""
    url = urlsplit(database_url)
    if url.scheme == "sqlite":
        path = unquote(url.path)
        if url.netloc:
            raise ValueError("use sqlite:///relative/path or sqlite:////absolute/path")
        path = path.removeprefix("/") if not path.startswith("//") else path[1:]
        if path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
        }
    if url.scheme in {"postgresql", "postgres"}:
        options = {key: values[-1] for key, values in parse_qs(url.query).items()}
        env = {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": unquote(url.path.lstrip("/")) or "postgres",
            "POSTGRES_HOST": url.hostname or "127.0.0.1",
            "POSTGRES_PORT": str(url.port or 5432),
            "POSTGRES_USER": unquote(url.username or "postgres"),
            "POSTGRES_PASSWORD": unquote(url.password or ""),
            "POSTGRES_CONNECT_TIMEOUT": "10",
            "POSTGRES_LOCK_TIMEOUT": "10",
            "POSTGRES_PRE_PING": "y",
        }
        if "schema" in options:
            if not _IDENTIFIER.match(options["schema"]):
                raise ValueError("the schema must be a plain lower-case SQL identifier")
            env["POSTGRES_SCHEMA"] = options["schema"]
        return env
    raise ValueError(f"unsupported database URL scheme {url.scheme!r} (sqlite or postgresql)")


def open_wiki(settings: Settings) -> Wiki:
    """Open the store, create the signing key on first start and publish it."""
    signer = Signer.load_or_create(settings.signing_key_file)
    env = eventstore_env(settings.database_url)
    if "POSTGRES_SCHEMA" in env:
        _create_schema(env)
    wiki = Wiki(env, signer)
    wiki.publish_signing_key()
    return wiki


def _create_schema(env: dict[str, str]) -> None:
    """eventsourcing creates tables, not schemas: make the schema first."""
    with psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
        autocommit=True,
    ) as connection:
        connection.execute(
            SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(env["POSTGRES_SCHEMA"]))
        )
