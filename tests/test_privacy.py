"""Erasing personal data, on SQLite and PostgreSQL: by an operator (`wikiengine account
erase`) and by the person on the account page. The account row, API tokens and identity
provider logins go; logins, tokens and sessions stop working; the author's public name
stays on their edits, in the read model and in the export, which still verifies; the
address can open a new account, which is a new author.
"""

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from storage.accounts import AccountStore, Erased
from storage.identities import Identity, IdentityStore
from tests.test_accounts import table_rows
from tests.test_oidc import issuer as issuer  # the running provider, a fixture
from tests.test_oidc import log_in_as
from tests.web import mails, sign_in
from web.app import create_app
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.cli import main
from wikiengine.config import Settings
from wikiengine.verify import load_keys, verify_lines

PASSWORD = "korrekt hest batteri"
EMAIL = "ulla@example.dk"
NAME = "Ulla Ørsted"
TITLE = "Ullas side"
ISSUER_CLAIMS = {"iss": "https://login.kommune.dk", "sub": "ulla-123"}


@dataclass(frozen=True)
class Person:
    """A verified author with a confirmed account, two API tokens and one page written."""

    author_id: uuid.UUID
    token: str


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture
def ulla(site: Site, admin: uuid.UUID) -> Person:
    author_id = site.wiki.register_author(NAME)
    site.wiki.verify_author(admin, author_id)
    site.accounts.create(author_id, EMAIL, PASSWORD, confirmed=True)
    token = site.accounts.create_token(author_id, "Min bærbare")
    site.accounts.create_token(author_id, "Scriptet")
    site.wiki.save_page(author_id, TITLE, "Ulla skrev dette.\n", "Oprettet")
    return Person(author_id, token)


@pytest.fixture
def other(site: Site) -> uuid.UUID:
    """Someone else with an account and a token: erasing Ulla leaves them alone."""
    author_id = site.wiki.register_author("Bo Østergaard")
    site.accounts.create(author_id, "bo@example.dk", PASSWORD, confirmed=True)
    site.accounts.create_token(author_id, "Bos")
    return author_id


def rows_of(wiki: Wiki, table: str, author_id: uuid.UUID) -> list[tuple[Any, ...]]:
    return [row for row in table_rows(wiki, table) if str(author_id) in row]


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def log_in(client: TestClient, email: str = EMAIL, password: str = PASSWORD) -> httpx2.Response:
    csrf = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"csrf_token": csrf, "email": email, "password": password},
        follow_redirects=False,
    )


def logged_in_name(client: TestClient) -> str | None:
    """Who the account page says is logged in (None: sent to the login form)."""
    response = client.get("/account", follow_redirects=False)
    if response.status_code == 303:
        return None
    found = re.search(r"<dt>Navn</dt><dd>([^<]+)</dd>", response.text)
    assert found is not None, response.text
    return found.group(1)


def erase_on_the_page(client: TestClient, **fields: str) -> httpx2.Response:
    csrf = csrf_of(client.get("/account").text)
    return client.post("/account/erase", data={"csrf_token": csrf, **fields})


def event_count(wiki: Wiki) -> int:
    return wiki.recorder.max_notification_id() or 0


def assert_erased_and_still_named(
    site: Site, client: TestClient, person: Person, events_before: int
) -> None:
    """What must hold after Ulla's personal data is erased, however it was."""
    wiki = site.wiki
    site.views_current()
    assert rows_of(wiki, "accounts", person.author_id) == []
    assert rows_of(wiki, "api_tokens", person.author_id) == []
    assert event_count(wiki) == events_before  # nothing signed, nothing changed

    stranger = TestClient(client.app)
    assert log_in(stranger).status_code == 401
    bearer = {"authorization": f"Bearer {person.token}"}
    assert stranger.get("/account", headers=bearer).status_code == 401
    put = stranger.put(f"/api/v1/pages/{TITLE}", headers=bearer, json={"body": "x\n"})
    assert put.status_code == 401

    profile = stranger.get(f"/authors/{person.author_id}")
    assert profile.status_code == 200 and NAME in profile.text and TITLE in profile.text
    api_profile = stranger.get(f"/api/v1/authors/{person.author_id}").json()
    assert api_profile["name"] == NAME
    assert [entry["title"] for entry in api_profile["contributions"]] == [TITLE]
    assert NAME in stranger.get(f"/wiki/{TITLE}/history").text

    export = stranger.get("/api/v1/export").text
    lines = [json.loads(line) for line in export.splitlines() if line.strip()]
    keys = load_keys(stranger.get("/.well-known/wiki-signing-keys.json").json())
    report = verify_lines(lines, keys)
    assert report.ok and report.events_checked == events_before, report.problems
    registered = [
        line
        for line in lines
        if line["type"] == "author.registered" and line["aggregate_id"] == str(person.author_id)
    ]
    assert [line["payload"]["data"]["name"] for line in registered] == [NAME]
    assert EMAIL not in export


# ---------------------------------------------------------------------- the stores


def test_erase_deletes_the_account_and_its_tokens_only(
    site: Site, ulla: Person, other: uuid.UUID
) -> None:
    accounts = site.accounts
    before = event_count(site.wiki)

    assert accounts.erase(ulla.author_id) == Erased(EMAIL, 2)

    assert accounts.by_author(ulla.author_id) is None and accounts.by_email(EMAIL) is None
    assert accounts.tokens(ulla.author_id) == []
    assert accounts.author_for_token(ulla.token) is None
    assert accounts.password_fingerprint(ulla.author_id) is None
    assert accounts.check_password(EMAIL, PASSWORD) is None
    assert len(rows_of(site.wiki, "accounts", other)) == 1
    assert len(rows_of(site.wiki, "api_tokens", other)) == 1
    assert site.wiki.author(ulla.author_id).name == NAME  # the author is untouched
    assert event_count(site.wiki) == before
    assert accounts.erase(ulla.author_id) == Erased(None, 0)  # again: nothing left


@pytest.mark.parametrize("store", ["sqlite"])  # PostgreSQL keeps dead rows until VACUUM
def test_erased_rows_are_overwritten_in_the_sqlite_file(
    site: Site, ulla: Person, settings: Settings
) -> None:
    """Deleted rows can linger in SQLite's free pages: secure_delete overwrites them."""
    site.accounts.erase(ulla.author_id)
    datastore: Any = site.wiki.recorder.datastore  # type: ignore[attr-defined]
    with datastore.transaction(commit=False) as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        busy = cursor.fetchall()[0][0]
    if busy:
        pytest.skip("another connection kept the checkpoint from finishing")
    database = settings.data_dir / "events.sqlite"
    assert EMAIL.encode() not in database.read_bytes()


def test_forget_erases_the_identities_and_names_them(site: Site, ulla: Person) -> None:
    identities: IdentityStore = site.identities
    identities.link(ISSUER_CLAIMS["iss"], ISSUER_CLAIMS["sub"], ulla.author_id)
    identities.link("https://andet.dk", "u-9", ulla.author_id)
    assert identities.has_identity(ulla.author_id)

    forgotten = identities.forget(ulla.author_id)

    assert forgotten == [
        Identity("https://andet.dk", "u-9", ulla.author_id),
        Identity(ISSUER_CLAIMS["iss"], ISSUER_CLAIMS["sub"], ulla.author_id),
    ]
    assert not identities.has_identity(ulla.author_id)
    assert identities.author_for(ISSUER_CLAIMS["iss"], ISSUER_CLAIMS["sub"]) is None
    assert identities.forget(ulla.author_id) == []


# ---------------------------------------------------------------------- the command


def test_the_command_erases_by_address(
    cli_env: Settings,
    site: Site,
    client: TestClient,
    ulla: Person,
    other: uuid.UUID,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sign_in(client, site, ulla.author_id)
    assert logged_in_name(client) == NAME
    before = event_count(site.wiki)

    assert main(["account", "erase", "--email", EMAIL.upper(), "--yes"]) == 0

    out = capsys.readouterr().out
    assert f"{NAME} (author {ulla.author_id})" in out
    assert f"account {EMAIL}" in out and "2 API token(s)" in out
    assert f"erased account {EMAIL}, 2 API token(s), 0 identity(ies) of {NAME}" in out
    assert "name stays" in out
    assert logged_in_name(client) is None  # the session ended
    assert_erased_and_still_named(site, client, ulla, before)
    assert len(rows_of(site.wiki, "accounts", other)) == 1


def test_the_command_erases_identities_by_author(
    cli_env: Settings, site: Site, ulla: Person, capsys: pytest.CaptureFixture[str]
) -> None:
    site.accounts.erase(ulla.author_id)
    site.identities.link(ISSUER_CLAIMS["iss"], ISSUER_CLAIMS["sub"], ulla.author_id)

    assert main(["account", "erase", "--author", str(ulla.author_id), "--yes"]) == 0

    out = capsys.readouterr().out
    assert f"identity ulla-123 at {ISSUER_CLAIMS['iss']}" in out
    assert "erased 0 API token(s), 1 identity(ies)" in out
    assert not site.identities.has_identity(ulla.author_id)


@pytest.mark.parametrize(("answer", "erased"), [("n", False), ("", False), ("ja", True)])
def test_the_command_asks_first(
    cli_env: Settings,
    site: Site,
    ulla: Person,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    answer: str,
    erased: bool,
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    questions: list[str] = []

    def reply(question: str) -> str:
        questions.append(question)
        return answer

    monkeypatch.setattr("builtins.input", reply)

    assert main(["account", "erase", "--email", EMAIL]) == (0 if erased else 1)

    assert questions and "[y/N]" in questions[0]
    assert (site.accounts.by_author(ulla.author_id) is None) == erased
    if not erased:
        assert "nothing erased" in capsys.readouterr().err


def test_the_command_needs_yes_without_a_terminal(
    cli_env: Settings, site: Site, ulla: Person, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)

    with pytest.raises(SystemExit, match="--yes"):
        main(["account", "erase", "--email", EMAIL])

    assert site.accounts.by_author(ulla.author_id) is not None


@pytest.mark.parametrize(
    ("arguments", "status", "says"),
    [
        (["--email", "ingen@example.dk"], 1, "no account for ingen@example.dk"),
        (["--author", "ikke-et-id"], 2, "is not an author id"),
        (["--author", str(uuid.UUID(int=7))], 1, ""),
    ],
)
def test_the_command_refuses_what_it_cannot_find(
    cli_env: Settings,
    site: Site,
    ulla: Person,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    status: int,
    says: str,
) -> None:
    assert main(["account", "erase", *arguments, "--yes"]) == status

    assert says in capsys.readouterr().err
    assert site.accounts.by_author(ulla.author_id) is not None


def test_the_command_says_when_there_is_nothing_to_erase(
    cli_env: Settings, admin: uuid.UUID, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["account", "erase", "--author", str(admin), "--yes"]) == 1
    assert "has nothing to erase" in capsys.readouterr().err


def test_the_command_needs_an_address_or_an_author(cli_env: Settings) -> None:
    with pytest.raises(SystemExit):
        main(["account", "erase", "--yes"])
    with pytest.raises(SystemExit):
        main(["account", "erase", "--email", EMAIL, "--author", str(uuid.uuid4())])


def test_an_erased_person_leaves_the_administrators_queue(
    cli_env: Settings, site: Site, client: TestClient, admin: uuid.UUID
) -> None:
    waiting = site.wiki.register_author("Vera Venter")
    site.accounts.create(waiting, "vera@example.dk", PASSWORD, confirmed=True)
    sign_in(client, site, admin)
    assert "vera@example.dk" in client.get("/admin").text

    assert main(["account", "erase", "--email", "vera@example.dk", "--yes"]) == 0

    queue = client.get("/admin").text
    assert "vera@example.dk" not in queue and "Vera Venter" not in queue


# ---------------------------------------------------------------------- the account page


def test_the_account_page_offers_erasure_with_the_password(
    site: Site, client: TestClient, ulla: Person
) -> None:
    assert log_in(client).status_code == 303

    html = client.get("/account").text

    assert "Slet mine personoplysninger" in html
    assert 'action="/account/erase"' in html
    assert 'name="confirm_erasure" type="checkbox"' in html
    assert 'name="password" type="password"' in html
    assert "Dit navn står stadig ved alt, hvad du har skrevet" in html


def test_erasing_on_the_account_page(
    site: Site, client: TestClient, ulla: Person, other: uuid.UUID
) -> None:
    assert log_in(client).status_code == 303
    elsewhere = TestClient(client.app)  # logged in on another device too
    assert log_in(elsewhere).status_code == 303
    before = event_count(site.wiki)

    response = erase_on_the_page(client, confirm_erasure="yes", password=PASSWORD)

    assert response.status_code == 200
    assert "Dine personoplysninger er slettet" in response.text
    assert f"Dit navn, {NAME}, står stadig ved det, du har skrevet" in response.text
    assert f'href="/authors/{ulla.author_id}"' in response.text
    assert response.headers["cache-control"] == "no-store"
    assert logged_in_name(client) is None  # logged out here
    assert logged_in_name(elsewhere) is None  # and everywhere
    assert_erased_and_still_named(site, client, ulla, before)
    assert len(rows_of(site.wiki, "api_tokens", other)) == 1


def test_erasing_needs_the_box_ticked(site: Site, client: TestClient, ulla: Person) -> None:
    assert log_in(client).status_code == 303

    response = erase_on_the_page(client, password=PASSWORD)

    assert response.status_code == 422
    assert "Sæt flueben, hvis du vil slette dine personoplysninger." in response.text
    assert 'aria-invalid="true"' in response.text
    assert site.accounts.by_author(ulla.author_id) is not None
    assert logged_in_name(client) == NAME


@pytest.mark.parametrize("password", ["", "forkert kodeord"])
def test_erasing_needs_the_password(
    site: Site, client: TestClient, ulla: Person, password: str
) -> None:
    assert log_in(client).status_code == 303

    response = erase_on_the_page(client, confirm_erasure="yes", password=password)

    assert response.status_code == 401
    assert "Kodeordet er forkert." in response.text
    assert len(rows_of(site.wiki, "api_tokens", ulla.author_id)) == 2
    assert logged_in_name(client) == NAME


def test_erasing_counts_password_guesses(site: Site, client: TestClient, ulla: Person) -> None:
    site.rate_limits.limits["password-guess"] = (1, 60.0)
    sign_in(client, site, ulla.author_id)
    assert erase_on_the_page(client, confirm_erasure="yes", password="gæt").status_code == 401

    response = erase_on_the_page(client, confirm_erasure="yes", password=PASSWORD)

    assert response.status_code == 429
    assert site.accounts.by_author(ulla.author_id) is not None


def test_erasing_refuses_strangers_and_forged_forms(
    site: Site, client: TestClient, ulla: Person
) -> None:
    anonymous = csrf_of(client.get("/login").text)  # a session, but nobody logged in
    form = {"confirm_erasure": "yes", "password": PASSWORD}
    assert client.post("/account/erase", data={"csrf_token": anonymous, **form}).status_code == 401

    sign_in(client, site, ulla.author_id)
    assert client.post("/account/erase", data=form).status_code == 403
    wrong = client.post("/account/erase", data={"csrf_token": "forkert", **form})
    assert wrong.status_code == 403
    bearer = {"authorization": f"Bearer {ulla.token}"}
    assert (
        TestClient(client.app).post("/account/erase", data=form, headers=bearer).status_code == 403
    )

    assert site.accounts.by_author(ulla.author_id) is not None
    assert logged_in_name(client) == NAME


def test_an_erased_address_registers_again_as_a_new_author(
    site: Site, client: TestClient, ulla: Person, mail_dir: Any
) -> None:
    sign_in(client, site, ulla.author_id)
    assert erase_on_the_page(client, confirm_erasure="yes", password=PASSWORD).status_code == 200

    csrf = csrf_of(client.get("/register").text)
    registered = client.post(
        "/register",
        data={
            "csrf_token": csrf,
            "name": NAME,
            "email": EMAIL,
            "password": "et helt nyt kodeord",
            "password_repeat": "et helt nyt kodeord",
        },
    )

    assert registered.status_code == 200, registered.text
    account = site.accounts.by_email(EMAIL)
    assert account is not None and account.author_id != ulla.author_id
    assert not account.email_confirmed
    assert [message["To"] for message in mails(mail_dir)] == [EMAIL]
    new_author = site.wiki.author(account.author_id)
    assert new_author.name == NAME and not new_author.is_verified  # to be confirmed anew
    assert site.wiki.author(ulla.author_id).is_verified  # the old author, as it was
    site.views_current()
    old_profile = client.get(f"/api/v1/authors/{ulla.author_id}").json()
    assert [entry["title"] for entry in old_profile["contributions"]] == [TITLE]
    new_profile = client.get(f"/api/v1/authors/{account.author_id}").json()
    assert new_profile["contributions"] == []


# ---------------------------------------------------------------------- identity providers


# The mock provider uses authlib server hooks that authlib deprecates (as in test_oidc).
@pytest.mark.filterwarnings("ignore:get_jwt_config.*is deprecated:DeprecationWarning")
class TestAnIdentityProviderLogin:
    """An author who logs in only through OpenID Connect: no password, so the box alone
    confirms; the session ends when the identity is erased."""

    @pytest.fixture
    def settings(self, settings_factory: Callable[[], Settings], issuer: str) -> Settings:
        return settings_factory().model_copy(
            update={
                "base_url": "http://testserver",
                "oidc_issuer": issuer,
                "oidc_client_id": "innovationswiki",
                "oidc_client_secret": "hemmelig-klientnoegle",
            }
        )

    def test_erasing_forgets_the_identity_and_ends_every_session(
        self, site: Site, client: TestClient
    ) -> None:
        assert log_in_as(client, "anna").status_code == 303
        elsewhere = TestClient(client.app)
        assert log_in_as(elsewhere, "anna").status_code == 303
        assert logged_in_name(client) == logged_in_name(elsewhere) == "Anna Ærø"
        [identity] = [row for row in table_rows(site.wiki, "identities") if row[1] == "anna"]
        anna = uuid.UUID(identity[2])
        site.wiki.save_page(anna, "Annas side", "Anna skrev.\n")
        html = client.get("/account").text
        assert 'name="confirm_erasure" type="checkbox"' in html
        assert 'name="password"' not in html
        before = event_count(site.wiki)

        response = erase_on_the_page(client, confirm_erasure="yes")

        assert response.status_code == 200, response.text
        assert table_rows(site.wiki, "identities") == []
        assert logged_in_name(client) is None
        assert logged_in_name(elsewhere) is None
        assert event_count(site.wiki) == before
        site.views_current()
        profile = elsewhere.get(f"/api/v1/authors/{anna}").json()
        assert (
            profile["name"] == "Anna Ærø" and profile["contributions"][0]["title"] == "Annas side"
        )

        assert log_in_as(client, "anna").status_code == 303  # the same person, a new author
        [again] = table_rows(site.wiki, "identities")
        assert uuid.UUID(again[2]) != anna

    def test_the_box_is_needed(self, site: Site, client: TestClient) -> None:
        assert log_in_as(client, "bo").status_code == 303

        assert erase_on_the_page(client).status_code == 422

        assert len(table_rows(site.wiki, "identities")) == 1
        assert logged_in_name(client) == "Bo Østergaard"


def test_accounts_fixture_is_the_store(accounts: AccountStore) -> None:
    """`erase` on a store with nothing in it erases nothing."""
    assert accounts.erase(uuid.uuid4()) == Erased(None, 0)
