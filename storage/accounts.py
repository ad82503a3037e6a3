"""The private account table: e-mail addresses, argon2id password hashes, API tokens.

None of this is an event. It is mutable and erasable (a person may ask to be forgotten),
never exported, and lives beside the event store in the same database.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventsourcing.persistence import IntegrityError
from eventsourcing.postgres import PostgresApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder

from wikiengine.application import Wiki
from wikiengine.errors import InvalidInput, WikiError

TOKEN_PREFIX = "iw_"  # noqa: S105 (marks a token in logs and leak scanners; not a secret)
MIN_PASSWORD_LENGTH = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountExists(WikiError):
    code = "account_exists"


class AccountNotFound(WikiError):
    code = "not_found"


@dataclass(frozen=True)
class Account:
    author_id: UUID
    email: str
    email_confirmed: bool


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    if not _EMAIL.match(address) or len(address) > 254:
        raise InvalidInput(f"{email!r} is not an e-mail address.")
    return address


def token_digest(token: str) -> str:
    # Tokens are 32 random bytes: a fast hash is enough, and lookups stay O(1).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountStore:
    """Accounts and API tokens, in the wiki's own database (SQLite or PostgreSQL)."""

    def __init__(self, wiki: Wiki, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        recorder = wiki.recorder
        if isinstance(recorder, SQLiteApplicationRecorder):
            self._datastore: Any = recorder.datastore
            self._prefix, self._param = "", "?"
        elif isinstance(recorder, PostgresApplicationRecorder):
            self._datastore = recorder.datastore
            # The schema name is validated by storage.eventstore: a plain identifier.
            self._prefix, self._param = f'"{recorder.datastore.schema}".', "%s"
        else:
            raise TypeError(f"no account table for {type(recorder).__name__}")
        self._create_tables()

    def _sql(self, statement: str) -> str:
        return statement.replace("{t}", self._prefix).replace("?", self._param)

    def _execute(self, statement: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(self._sql(statement), params)
            return list(cursor.fetchall()) if statement.startswith("SELECT") else []

    def _create_tables(self) -> None:
        with self._datastore.transaction(commit=True) as cursor:
            if self._param == "%s":
                # Workers starting at once race on PostgreSQL's catalog even with
                # IF NOT EXISTS (duplicate pg_type key): they take turns instead.
                cursor.execute("SELECT pg_advisory_xact_lock(hashtext('iw_account_tables'))")
            for statement in (
                "CREATE TABLE IF NOT EXISTS {t}accounts ("
                " author_id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL,"
                " password_hash TEXT, email_confirmed BOOLEAN NOT NULL DEFAULT FALSE,"
                " created_at TEXT NOT NULL)",
                "CREATE TABLE IF NOT EXISTS {t}api_tokens ("
                " token_sha256 TEXT PRIMARY KEY, author_id TEXT NOT NULL,"
                " label TEXT NOT NULL, created_at TEXT NOT NULL)",
            ):
                cursor.execute(self._sql(statement))

    def check_new(self, email: str, password: str) -> str:
        """Refuse a new account's address or password before anything is signed for it;
        returns the normalised address."""
        address = normalise_email(email)
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
        if self.by_email(address) is not None:
            raise AccountExists(f"An account for {address} exists already.")
        return address

    def create(self, author_id: UUID, email: str, password: str, *, confirmed: bool) -> Account:
        address = self.check_new(email, password)
        try:
            self._execute(
                "INSERT INTO {t}accounts (author_id, email, password_hash, email_confirmed,"
                " created_at) VALUES (?, ?, ?, ?, ?)",
                (str(author_id), address, self.hasher.hash(password), confirmed, _now()),
            )
        except IntegrityError:
            # The author has an account already, or the address was taken since the check.
            raise AccountExists(f"An account for {address} or author {author_id} exists.") from None
        return Account(author_id, address, confirmed)

    def by_email(self, email: str) -> Account | None:
        rows = self._execute(
            "SELECT author_id, email, email_confirmed FROM {t}accounts WHERE email = ?",
            (email.strip().lower(),),
        )
        return _account(rows[0]) if rows else None

    def confirm_email(self, author_id: UUID) -> None:
        self._execute(
            "UPDATE {t}accounts SET email_confirmed = ? WHERE author_id = ?",
            (True, str(author_id)),
        )

    def check_password(self, email: str, password: str) -> Account | None:
        """The account if `password` is right; None otherwise (no hint which part was wrong)."""
        rows = self._execute(
            "SELECT author_id, email, email_confirmed, password_hash FROM {t}accounts"
            " WHERE email = ?",
            (email.strip().lower(),),
        )
        if not rows or not _row(rows[0])[3]:
            self.hasher.hash(password)  # same cost either way: no account-existence oracle
            return None
        stored_hash = _row(rows[0])[3]
        try:
            self.hasher.verify(stored_hash, password)
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return None
        if self.hasher.check_needs_rehash(stored_hash):
            self._execute(
                "UPDATE {t}accounts SET password_hash = ? WHERE email = ?",
                (self.hasher.hash(password), email.strip().lower()),
            )
        return _account(rows[0])

    def create_token(self, author_id: UUID, label: str = "") -> str:
        """A new personal API token; only its digest is stored, so show it once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._execute(
            "INSERT INTO {t}api_tokens (token_sha256, author_id, label, created_at)"
            " VALUES (?, ?, ?, ?)",
            (token_digest(token), str(author_id), label, _now()),
        )
        return token

    def author_for_token(self, token: str) -> UUID | None:
        rows = self._execute(
            "SELECT author_id FROM {t}api_tokens WHERE token_sha256 = ?", (token_digest(token),)
        )
        return UUID(_row(rows[0])[0]) if rows else None


def _row(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def _account(row: Any) -> Account:
    values = _row(row)
    return Account(UUID(values[0]), values[1], bool(values[2]))


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
