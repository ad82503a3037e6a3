"""Wiring the event store: from a database URL to eventsourcing's settings, and opening the wiki."""

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import psycopg
from eventsourcing.persistence import PersistenceError
from psycopg.sql import SQL, Identifier

from storage.locks import AdvisoryLock
from storage.readmodel import SqlProjector, read_model_for
from storage.subscriptions import RECORDER_TOPICS
from wikiengine.application import Wiki
from wikiengine.config import Settings
from wikiengine.errors import WikiError
from wikiengine.filelock import FileLock
from wikiengine.projector import Projector, ProjectorLock
from wikiengine.signing import Signer


class MissingSigningKey(WikiError):
    code = "missing_signing_key"


class StoreNotFound(WikiError):
    code = "store_not_found"


class StoreInUse(WikiError):
    """A server (or a rebuild) is working on the store, so a key rotation must wait."""

    code = "store_in_use"


@dataclass(frozen=True)
class Rotation:
    """What `wikiengine keys rotate` did."""

    old_kid: str
    new_kid: str
    notification_id: int | None


STARTUP_LOCK_KEY = 0x1A7E_57A7  # an arbitrary, fixed advisory-lock id for start-up
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def eventstore_env(database_url: str) -> dict[str, str]:
    """eventsourcing persistence settings for `sqlite:///path` or `postgresql://...` URLs."""
    url = urlsplit(database_url)
    if url.scheme == "sqlite":
        path = unquote(url.path)
        if url.netloc:
            raise ValueError("use sqlite:///relative/path or sqlite:////absolute/path")
        path = path.removeprefix("/") if not path.startswith("//") else path[1:]
        return {
            "PERSISTENCE_MODULE": "eventsourcing.sqlite",
            "SQLITE_DBNAME": path,
            "SQLITE_LOCK_TIMEOUT": "30",
            "APPLICATION_RECORDER_TOPIC": RECORDER_TOPICS["eventsourcing.sqlite"],
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
            # No pre-ping round trip per checkout: eventsourcing retries a statement that
            # fails on a dropped connection, and a retried save that had in fact landed
            # comes back as a conflict, which every command already handles.
            "POSTGRES_PRE_PING": "n",
            "APPLICATION_RECORDER_TOPIC": RECORDER_TOPICS["eventsourcing.postgres"],
        }
        if "schema" in options:
            if not _IDENTIFIER.match(options["schema"]):
                raise ValueError("the schema must be a plain lower-case SQL identifier")
            env["POSTGRES_SCHEMA"] = options["schema"]
        return env
    raise ValueError(f"unsupported database URL scheme {url.scheme!r} (sqlite or postgresql)")


def open_wiki_for_audit(settings: Settings) -> Wiki:
    """Open the store only to read it (export, verify).

    No key is created or published, so checking a store never changes it and a damaged
    keyring cannot stop the check. Without a key file the wiki gets a throwaway key that
    is never saved: reading needs none.
    """
    key_file = settings.signing_key_file
    return _open_existing(settings, Signer.load(key_file) if key_file.exists() else None)


def _open_existing(settings: Settings, signer: Signer | None) -> Wiki:
    """The wiki in a store that must exist already, signing with `signer` (or a throwaway
    key), without the start-up publication and checks of `open_wiki`."""
    env = eventstore_env(settings.database_url)
    if (
        env.get("SQLITE_DBNAME", ":memory:") != ":memory:"
        and not Path(env["SQLITE_DBNAME"]).exists()
    ):
        raise StoreNotFound(f"There is no wiki store at {env['SQLITE_DBNAME']}.")
    try:
        return Wiki(env, signer or Signer.generate())
    except PersistenceError as error:
        raise StoreNotFound(f"Cannot open the wiki store: {error}") from error


def open_wiki(settings: Settings) -> Wiki:
    """Open the store; on first start create the signing key and publish it.

    A node whose key file is missing on a store that already has a keyring refuses to
    start without creating a stray key: it must be given the wiki's key file.
    """
    env = eventstore_env(settings.database_url)
    if "POSTGRES_SCHEMA" in env:
        _create_schema(env)
    if env.get("SQLITE_DBNAME", ":memory:") != ":memory:":
        _create_private_file(Path(env["SQLITE_DBNAME"]))
    key_file = settings.signing_key_file
    signer = Signer.load(key_file) if key_file.exists() else Signer.generate()
    with _startup_lock(env):
        wiki = Wiki(env, signer)
        return _publish_key(wiki, key_file, signer)


def open_projector(settings: Settings, wiki: Wiki) -> SqlProjector:
    """The projector of the read model in `wiki`'s store (views created if missing).

    It does nothing until started (`start`) or asked to catch up (`catch_up`).
    """
    env = eventstore_env(settings.database_url)
    with _startup_lock(env):
        read_model = read_model_for(wiki)
    return Projector(wiki, read_model, projector_lock(env))


def projector_lock(env: dict[str, str]) -> ProjectorLock:
    """One projector per SQLite file (a lock file beside it) or per PostgreSQL database."""
    if env["PERSISTENCE_MODULE"] == "eventsourcing.postgres":
        return AdvisoryLock(lambda: _connect(env), env.get("POSTGRES_SCHEMA", "public"))
    return FileLock(Path(env["SQLITE_DBNAME"] + ".projector.lock"))


def _publish_key(wiki: Wiki, key_file: Path, signer: Signer) -> Wiki:
    try:
        if not key_file.exists():
            if wiki.published_keys():
                raise MissingSigningKey(
                    f"The signing key file {key_file} is missing, but this store already has"
                    " published keys: copy the wiki's key file to this node."
                )
            wiki.signer = signer.save_new(key_file)
        wiki.publish_signing_key()
    except BaseException:
        wiki.close()
        raise
    return wiki


def rotate_signing_key(settings: Settings) -> Rotation:
    """`wikiengine keys rotate`: publish a new key in an event signed by the key file's
    key (the current one) and put the new one in the key file (`docs/operating.md`, Keys).
    The old private key is not kept: from the rotation on, verifiers refuse what it signs.

    Refused while a server runs on the store (it holds the projector lock): it would go on
    signing with the old key, which still verifies but defeats the rotation. The new key
    is written before it is published and moved into place after, so a failure leaves
    either the old key in force or the published new key in a file named in the error.
    """
    key_file = settings.signing_key_file
    if not key_file.exists():
        raise MissingSigningKey(f"There is no signing key at {key_file} to rotate.")
    with _open_existing(settings, Signer.load(key_file)) as wiki:
        lock = projector_lock(eventstore_env(settings.database_url))
        if not lock.try_acquire():
            raise StoreInUse(
                "A server (or a rebuild) is running on this store: stop every server of the"
                " wiki, on every node, and rotate again."
            )
        try:
            return _rotate(wiki, key_file)
        finally:
            lock.release()


def _rotate(wiki: Wiki, key_file: Path) -> Rotation:
    old = wiki.signer
    new = old.successor()
    written = new.write_beside(key_file, f".{key_file.name}.{new.kid}.new")
    notification_id = None
    try:
        notification_id = wiki.rotate_signing_key(new)
    except Exception:
        # A save whose answer was lost may still have landed: then the key is in force.
        if not _published(wiki, new.kid, written):
            written.unlink()
            raise
    try:
        Signer.replace(key_file, written)
    except OSError as error:
        raise OSError(
            f"The new key {new.kid} is published, but could not replace {key_file}: move"
            f" {written} there by hand ({error})."
        ) from error
    return Rotation(old.kid, new.kid, notification_id)


def _published(wiki: Wiki, kid: str, written: Path) -> bool:
    """Whether `kid` is in the keyring; when that cannot be read, keep the key and say so."""
    try:
        return kid in wiki.published_keys()
    except Exception as error:
        raise OSError(
            f"Cannot tell whether the new key {kid} was published ({error}): run"
            f" `wikiengine keys show`; if it lists {kid}, move {written} over the key file."
        ) from error


@contextmanager
def _startup_lock(env: dict[str, str]) -> Iterator[None]:
    """Let one process at a time create tables and functions on PostgreSQL.

    eventsourcing's start-up `CREATE OR REPLACE FUNCTION` fails with "tuple concurrently
    updated" when several workers start at once; SQLite serialises this by itself.
    """
    if env["PERSISTENCE_MODULE"] != "eventsourcing.postgres":
        yield
        return
    with _connect(env) as connection:
        connection.execute("SELECT pg_advisory_lock(%s)", (STARTUP_LOCK_KEY,))
        try:
            yield
        finally:
            connection.execute("SELECT pg_advisory_unlock(%s)", (STARTUP_LOCK_KEY,))


def _connect(env: dict[str, str]) -> psycopg.Connection[tuple[object, ...]]:
    return psycopg.connect(
        dbname=env["POSTGRES_DBNAME"],
        host=env["POSTGRES_HOST"],
        port=env["POSTGRES_PORT"],
        user=env["POSTGRES_USER"],
        password=env["POSTGRES_PASSWORD"] or None,
        connect_timeout=int(env["POSTGRES_CONNECT_TIMEOUT"]),
        autocommit=True,
        # The projector lock's connection idles for hours: notice a dead peer.
        keepalives=1,
        keepalives_idle=30,
        keepalives_interval=10,
        keepalives_count=3,
    )


def _create_private_file(path: Path) -> None:
    """Create the SQLite file readable by its owner only: it holds the account table.

    SQLite gives its WAL and shared-memory files the database file's permissions.
    """
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))


def _create_schema(env: dict[str, str]) -> None:
    """eventsourcing creates tables, not schemas: make the schema first."""
    with _connect(env) as connection:
        connection.execute(
            SQL("CREATE SCHEMA IF NOT EXISTS {}").format(Identifier(env["POSTGRES_SCHEMA"]))
        )
