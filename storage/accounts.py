"""The private account table: e-mail addresses, argon2id password hashes, API tokens.

None of this is an event. It is mutable and erasable (a person may ask to be forgotten),
never exported, and lives beside the event store in the same database.
"""

import hashlib
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from eventsourcing.persistence import IntegrityError

from storage.private import PrivateTables, now, row_values
from wikiengine.application import Wiki
from wikiengine.errors import InvalidInput, WikiError

TOKEN_PREFIX = "iw_"  # noqa: S105 (marks a token in logs and leak scanners; not a secret)
TOKEN_ID_LENGTH = 16
MIN_PASSWORD_LENGTH = 10
MAX_CONCURRENT_HASHES = 4
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class AccountExists(WikiError):
    code = "account_exists"


class AccountNotFound(WikiError):
    code = "not_found"


class TokenNotFound(WikiError):
    code = "not_found"


@dataclass(frozen=True)
class Account:
    author_id: UUID
    email: str
    email_confirmed: bool


@dataclass(frozen=True)
class Erased:
    """What `AccountStore.erase` deleted: the account's address (None when the author had
    no account) and how many API tokens."""

    email: str | None
    tokens: int


@dataclass(frozen=True)
class ApiToken:
    """What the account page may show of a token: never the token, nor its whole digest."""

    id: str  # the first characters of the digest: enough to name it, useless to guess it
    label: str
    created_at: str


def normalise_email(email: str) -> str:
    address = email.strip().lower()
    if not _EMAIL.match(address) or len(address) > 254:
        raise InvalidInput(f"{email!r} is not an e-mail address.")
    return address


def token_digest(token: str) -> str:
    # Tokens are 32 random bytes: a fast hash is enough, and lookups stay O(1).
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class AccountStore(PrivateTables):
    """Accounts and API tokens, in the wiki's own database (SQLite or PostgreSQL)."""

    TABLES = (
        "CREATE TABLE IF NOT EXISTS {t}accounts ("
        " author_id TEXT PRIMARY KEY, email TEXT UNIQUE NOT NULL,"
        " password_hash TEXT, email_confirmed BOOLEAN NOT NULL DEFAULT FALSE,"
        " created_at TEXT NOT NULL)",
        "CREATE TABLE IF NOT EXISTS {t}api_tokens ("
        " token_sha256 TEXT PRIMARY KEY, author_id TEXT NOT NULL,"
        " label TEXT NOT NULL, created_at TEXT NOT NULL)",
    )
    LOCK_NAME = "iw_account_tables"

    def __init__(self, wiki: Wiki, hasher: PasswordHasher | None = None) -> None:
        self.hasher = hasher or PasswordHasher()
        # argon2id takes 64 MiB a hash: a burst of logins must not take gigabytes.
        self._hashing = threading.BoundedSemaphore(MAX_CONCURRENT_HASHES)
        super().__init__(wiki)

    def _hash(self, password: str) -> str:
        with self._hashing:
            return self.hasher.hash(password)

    def _verify(self, stored_hash: str, password: str) -> bool:
        with self._hashing:
            try:
                return self.hasher.verify(stored_hash, password)
            except (VerifyMismatchError, VerificationError, InvalidHashError):
                return False

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
                (str(author_id), address, self._hash(password), confirmed, now()),
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

    def by_author(self, author_id: UUID) -> Account | None:
        rows = self._execute(
            "SELECT author_id, email, email_confirmed FROM {t}accounts WHERE author_id = ?",
            (str(author_id),),
        )
        return _account(rows[0]) if rows else None

    def confirmed_accounts(self) -> list[tuple[Account, str]]:
        """Accounts whose address is confirmed, with when they were opened, oldest first
        (the administrators' queue picks those whose name is not confirmed yet)."""
        rows = self._execute(
            "SELECT author_id, email, email_confirmed, created_at FROM {t}accounts"
            " WHERE email_confirmed = ? ORDER BY created_at, email",
            (True,),
        )
        return [(_account(row), str(row_values(row)[3])) for row in rows]

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
        if not rows or not row_values(rows[0])[3]:
            self._hash(password)  # same cost either way: no account-existence oracle
            return None
        stored_hash = row_values(rows[0])[3]
        if not self._verify(stored_hash, password):
            return None
        if self.hasher.check_needs_rehash(stored_hash):
            self._execute(
                "UPDATE {t}accounts SET password_hash = ? WHERE email = ?",
                (self._hash(password), email.strip().lower()),
            )
        return _account(rows[0])

    def password_fingerprint(self, author_id: UUID) -> str | None:
        """A short digest of the current password hash, None without an account.

        A password-reset link carries it, so the link stops working once the password
        has changed (it works once). It reveals nothing usable: the hash's salt stays here.
        """
        rows = self._execute(
            "SELECT password_hash FROM {t}accounts WHERE author_id = ?", (str(author_id),)
        )
        return _fingerprint(row_values(rows[0])[0]) if rows else None

    def set_password(self, author_id: UUID, password: str, *, fingerprint: str) -> bool:
        """Replace the password if it is still the one `fingerprint` was taken of, and
        confirm the address (a reset link reached it). False when it was not: two requests
        with the same link at the same moment change it once.

        The author's API tokens are revoked with it, and sessions made with the old
        password end (they carry its fingerprint): a reset locks out whoever knew it.
        """
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
        new_hash = self._hash(password)
        with self._datastore.transaction(commit=True) as cursor:
            cursor.execute(
                self._sql("SELECT password_hash FROM {t}accounts WHERE author_id = ?"),
                (str(author_id),),
            )
            rows = cursor.fetchall()
            if not rows or _fingerprint(row_values(rows[0])[0]) != fingerprint:
                return False
            old_hash = row_values(rows[0])[0] or ""
            cursor.execute(
                self._sql(
                    "UPDATE {t}accounts SET password_hash = ?, email_confirmed = ?"
                    " WHERE author_id = ? AND COALESCE(password_hash, '') = ?"
                ),
                (new_hash, True, str(author_id), old_hash),
            )
            cursor.execute(
                self._sql("SELECT password_hash FROM {t}accounts WHERE author_id = ?"),
                (str(author_id),),
            )
            changed = bool(row_values(cursor.fetchall()[0])[0] == new_hash)
            if changed:
                cursor.execute(
                    self._sql("DELETE FROM {t}api_tokens WHERE author_id = ?"), (str(author_id),)
                )
            return changed

    def create_token(self, author_id: UUID, label: str = "") -> str:
        """A new personal API token; only its digest is stored, so show it once."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        self._execute(
            "INSERT INTO {t}api_tokens (token_sha256, author_id, label, created_at)"
            " VALUES (?, ?, ?, ?)",
            (token_digest(token), str(author_id), label, now()),
        )
        return token

    def author_for_token(self, token: str) -> UUID | None:
        rows = self._execute(
            "SELECT author_id FROM {t}api_tokens WHERE token_sha256 = ?", (token_digest(token),)
        )
        return UUID(row_values(rows[0])[0]) if rows else None

    def tokens(self, author_id: UUID) -> list[ApiToken]:
        """The author's tokens, newest first."""
        rows = self._execute(
            "SELECT token_sha256, label, created_at FROM {t}api_tokens WHERE author_id = ?"
            " ORDER BY created_at DESC, token_sha256",
            (str(author_id),),
        )
        return [
            ApiToken(digest[:TOKEN_ID_LENGTH], label, created_at)
            for digest, label, created_at in map(row_values, rows)
        ]

    def revoke_token(self, author_id: UUID, token_id: str) -> None:
        """Delete one of the author's tokens; `TokenNotFound` if they have no such token."""
        if len(token_id) != TOKEN_ID_LENGTH:
            raise TokenNotFound(f"No token {token_id!r}.")
        rows = self._execute(
            "SELECT token_sha256 FROM {t}api_tokens WHERE author_id = ?"
            " AND substr(token_sha256, 1, 16) = ?",  # TOKEN_ID_LENGTH
            (str(author_id), token_id),
        )
        if not rows:
            raise TokenNotFound(f"No token {token_id!r}.")
        for row in rows:
            self._execute("DELETE FROM {t}api_tokens WHERE token_sha256 = ?", (row_values(row)[0],))

    def erase(self, author_id: UUID) -> Erased:
        """Delete the author's account (address, password hash) and API tokens, together.

        Sessions end with it (they carry the fingerprint of a password hash there is no
        longer), and the address is free for a new account (a new author). The author's
        signed events are untouched: their public name stays on what they wrote.
        """
        with self._erasing() as cursor:
            cursor.execute(
                self._sql("SELECT email FROM {t}accounts WHERE author_id = ?"), (str(author_id),)
            )
            rows = cursor.fetchall()
            cursor.execute(
                self._sql("SELECT COUNT(*) FROM {t}api_tokens WHERE author_id = ?"),
                (str(author_id),),
            )
            tokens = int(row_values(cursor.fetchall()[0])[0])
            cursor.execute(
                self._sql("DELETE FROM {t}api_tokens WHERE author_id = ?"), (str(author_id),)
            )
            cursor.execute(
                self._sql("DELETE FROM {t}accounts WHERE author_id = ?"), (str(author_id),)
            )
        return Erased(str(row_values(rows[0])[0]) if rows else None, tokens)


def _account(row: Any) -> Account:
    values = row_values(row)
    return Account(UUID(values[0]), values[1], bool(values[2]))


def _fingerprint(password_hash: str | None) -> str:
    return hashlib.sha256((password_hash or "").encode("utf-8")).hexdigest()[:16]
