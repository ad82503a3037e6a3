"""The private account table: e-mail, password hashes and API tokens, never events."""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from argon2 import PasswordHasher
from argon2.profiles import CHEAPEST
from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

from storage.accounts import TOKEN_PREFIX, Account, AccountExists, AccountStore, token_digest
from storage.eventlog import export_log
from storage.eventstore import open_wiki
from wikiengine.application import Wiki
from wikiengine.config import Settings
from wikiengine.errors import InvalidInput

PASSWORD = "korrekt hest batteri"


def table_rows(wiki: Wiki, table: str) -> list[tuple[Any, ...]]:
    """Every row of one of the account tables, read with plain SQL."""
    recorder = wiki.recorder
    if isinstance(recorder, PostgresApplicationRecorder):
        statement: Any = SQL("SELECT * FROM {}.{}").format(
            Identifier(recorder.datastore.schema), Identifier(table)
        )
    else:
        statement = f"SELECT * FROM {table}"
    with recorder.datastore.transaction(commit=False) as cursor:  # type: ignore[attr-defined]
        cursor.execute(statement)
        return [
            tuple(row.values()) if isinstance(row, dict) else tuple(row)
            for row in cursor.fetchall()
        ]


def stored_password_hash(wiki: Wiki, author_id: uuid.UUID) -> str:
    [row] = [row for row in table_rows(wiki, "accounts") if row[0] == str(author_id)]
    password_hash: str = row[2]
    return password_hash


# ---------------------------------------------------------------- creating accounts


def test_create_stores_a_normalised_address_and_an_argon2_hash(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID
) -> None:
    account = accounts.create(editor, "  Bo.Ostergaard@Example.DK ", PASSWORD, confirmed=True)

    assert account == Account(editor, "bo.ostergaard@example.dk", True)
    assert accounts.by_email("BO.OSTERGAARD@example.dk") == account
    [row] = table_rows(wiki, "accounts")
    assert row[:2] == (str(editor), "bo.ostergaard@example.dk")
    assert row[2].startswith("$argon2id$") and PASSWORD not in row[2]


def test_unconfirmed_account(accounts: AccountStore, editor: uuid.UUID) -> None:
    accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=False)

    found = accounts.by_email("bo@example.dk")
    assert found is not None and found.email_confirmed is False


def test_unknown_address_has_no_account(accounts: AccountStore) -> None:
    assert accounts.by_email("nobody@example.dk") is None


@pytest.mark.parametrize("address", ["bo@example.dk", "BO@Example.dk", " bo@example.dk\t"])
def test_duplicate_address_is_refused(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID, address: str
) -> None:
    accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)

    with pytest.raises(AccountExists):
        accounts.create(uuid.uuid4(), address, "et andet kodeord", confirmed=True)

    assert len(table_rows(wiki, "accounts")) == 1
    assert accounts.check_password("bo@example.dk", PASSWORD) is not None


def test_second_account_for_one_author_is_refused(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID
) -> None:
    accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)

    with pytest.raises(AccountExists):
        accounts.create(editor, "bo@andet.example.dk", PASSWORD, confirmed=True)

    assert accounts.by_email("bo@andet.example.dk") is None
    assert len(table_rows(wiki, "accounts")) == 1


@pytest.mark.parametrize("password", ["", "kort", "123456789"])
def test_short_password_is_refused(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID, password: str
) -> None:
    with pytest.raises(InvalidInput):
        accounts.create(editor, "bo@example.dk", password, confirmed=True)

    assert table_rows(wiki, "accounts") == []


def test_ten_characters_are_enough(accounts: AccountStore, editor: uuid.UUID) -> None:
    accounts.create(editor, "bo@example.dk", "1234567890", confirmed=True)

    assert accounts.check_password("bo@example.dk", "1234567890") is not None


@pytest.mark.parametrize(
    "address",
    [
        "",
        "bo",
        "bo@",
        "@example.dk",
        "bo@example",
        "bo ostergaard@example.dk",
        "bo@@example.dk",
        "bo@example.dk\nBcc: x@example.dk",
        "b" * 250 + "@example.dk",
    ],
)
def test_bad_address_is_refused(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID, address: str
) -> None:
    with pytest.raises(InvalidInput):
        accounts.create(editor, address, PASSWORD, confirmed=True)

    assert table_rows(wiki, "accounts") == []


def test_accounts_survive_reopening_the_store(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID, settings: Settings
) -> None:
    accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)
    token = accounts.create_token(editor, "laptop")

    reopened = open_wiki(settings)
    try:
        again = AccountStore(reopened, hasher=PasswordHasher.from_parameters(CHEAPEST))
        assert again.check_password("bo@example.dk", PASSWORD) == Account(
            editor, "bo@example.dk", True
        )
        assert again.author_for_token(token) == editor
    finally:
        reopened.close()


def test_workers_starting_at_once_all_get_the_tables(wiki: Wiki, editor: uuid.UUID) -> None:
    """Several workers open the account store on a fresh database at the same moment."""
    go = threading.Barrier(4)

    def start(_: int) -> AccountStore:
        go.wait(30)
        return AccountStore(wiki, hasher=PasswordHasher.from_parameters(CHEAPEST))

    with ThreadPoolExecutor(4) as pool:
        stores = list(pool.map(start, range(4)))

    stores[0].create(editor, "bo@example.dk", PASSWORD, confirmed=True)
    assert all(store.by_email("bo@example.dk") is not None for store in stores)


# ---------------------------------------------------------------- passwords


def test_check_password(accounts: AccountStore, editor: uuid.UUID) -> None:
    account = accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)

    assert accounts.check_password("bo@example.dk", PASSWORD) == account
    assert accounts.check_password(" Bo@Example.dk ", PASSWORD) == account
    assert accounts.check_password("bo@example.dk", PASSWORD.upper()) is None
    assert accounts.check_password("bo@example.dk", PASSWORD + " ") is None
    assert accounts.check_password("bo@example.dk", "") is None
    assert accounts.check_password("nobody@example.dk", PASSWORD) is None


def test_passwords_are_checked_per_account(accounts: AccountStore, editor: uuid.UUID) -> None:
    other = uuid.uuid4()
    accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)
    accounts.create(other, "ulla@example.dk", "ullas eget kodeord", confirmed=True)

    assert accounts.check_password("bo@example.dk", "ullas eget kodeord") is None
    ulla = accounts.check_password("ulla@example.dk", "ullas eget kodeord")
    assert ulla is not None and ulla.author_id == other


def test_old_hash_parameters_are_upgraded_on_login(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID
) -> None:
    accounts.create(editor, "bo@example.dk", PASSWORD, confirmed=True)
    old_hash = stored_password_hash(wiki, editor)
    stronger = PasswordHasher(time_cost=2, memory_cost=64, parallelism=1)
    upgraded = AccountStore(wiki, hasher=stronger)

    assert upgraded.check_password("bo@example.dk", PASSWORD) is not None

    new_hash = stored_password_hash(wiki, editor)
    assert new_hash != old_hash and not stronger.check_needs_rehash(new_hash)
    assert upgraded.check_password("bo@example.dk", PASSWORD) is not None
    assert upgraded.check_password("bo@example.dk", "forkert kodeord") is None


# ---------------------------------------------------------------- API tokens


def test_token_resolves_to_its_author_and_only_its_digest_is_stored(
    wiki: Wiki, accounts: AccountStore, editor: uuid.UUID
) -> None:
    token = accounts.create_token(editor, "laptop")

    assert token.startswith(TOKEN_PREFIX) and len(token) > len(TOKEN_PREFIX) + 40
    assert accounts.author_for_token(token) == editor
    [row] = table_rows(wiki, "api_tokens")
    assert row[:3] == (token_digest(token), str(editor), "laptop")
    secret = token.removeprefix(TOKEN_PREFIX)
    assert not any(secret in str(value) for value in row)


def test_unknown_or_altered_token_resolves_to_nobody(
    accounts: AccountStore, editor: uuid.UUID
) -> None:
    token = accounts.create_token(editor)

    assert accounts.author_for_token(TOKEN_PREFIX + "unknown") is None
    assert accounts.author_for_token("") is None
    assert accounts.author_for_token(token[:-1]) is None
    assert accounts.author_for_token(token + "x") is None
    assert accounts.author_for_token(token_digest(token)) is None  # the digest is no token


def test_each_token_is_new_and_names_its_own_author(
    wiki: Wiki, accounts: AccountStore, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    tokens = [accounts.create_token(editor, "laptop"), accounts.create_token(editor, "phone")]
    admin_token = accounts.create_token(admin, "laptop")

    assert len({*tokens, admin_token}) == 3
    assert [accounts.author_for_token(token) for token in tokens] == [editor, editor]
    assert accounts.author_for_token(admin_token) == admin
    assert len(table_rows(wiki, "api_tokens")) == 3


# ---------------------------------------------------------------- never in the event log


def test_private_account_data_never_reaches_the_event_log(
    wiki: Wiki, accounts: AccountStore, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    accounts.create(editor, "bo.ostergaard@example.dk", PASSWORD, confirmed=True)
    accounts.create(admin, "anna.aero@example.dk", "administratorens kodeord", confirmed=True)
    token = accounts.create_token(editor, "laptop")
    wiki.save_page(editor, "Side", "tekst\n", "Oprettet")
    wiki.rename_author(admin, editor, "Bo Østergaard Jensen")
    wiki.block_author(admin, editor, "test")
    wiki.unblock_author(admin, editor, "test")

    export = "\n".join(export_log(wiki))

    assert "Bo Østergaard Jensen" in export  # the scan reads what it should
    private = [
        "bo.ostergaard@example.dk",
        "anna.aero@example.dk",
        "example.dk",
        PASSWORD,
        "administratorens kodeord",
        token,
        token.removeprefix(TOKEN_PREFIX),
        token_digest(token),
        *(row[2] for row in table_rows(wiki, "accounts")),  # the password hashes
        *(row[2].rsplit("$", 1)[-1] for row in table_rows(wiki, "accounts")),
    ]
    leaked = [value for value in private if value in export]
    assert leaked == []
