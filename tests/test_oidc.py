"""OpenID Connect login against a real provider process (oidc-provider-mock on loopback),
on SQLite and PostgreSQL: the browser's trips are a TestClient (the wiki) and httpx (the
provider's consent form); the wiki exchanges the code and checks the ID token for real."""

import dataclasses
import socket
import uuid
import warnings
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from storage.identities import IdentityStore
from web.app import create_app
from web.oidc import SignedIn, name_of, sign_in
from web.sessions import SESSION_COOKIE
from web.site import Site
from wikiengine.config import Settings

with warnings.catch_warnings():  # the mock imports `authlib.jose`, which warns
    warnings.simplefilter("ignore", DeprecationWarning)
    import oidc_provider_mock

# The mock's provider uses authlib server hooks that authlib 1.9 deprecates (its own
# affair); the wiki's side (authlib's client) runs with warnings shown.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config.*is deprecated:DeprecationWarning")

CALLBACK = "http://testserver/auth/oidc/callback"
PEOPLE = [
    oidc_provider_mock.User(
        sub="anna",
        claims={"name": "Anna Ærø", "email": "anna@kommune.dk", "email_verified": True},
    ),
    oidc_provider_mock.User(
        sub="bo",
        claims={"name": "Bo Østergaard", "email": "bo@region.dk", "email_verified": True},
    ),
    oidc_provider_mock.User(
        sub="dorthe", claims={"given_name": "Dorthe", "family_name": "Dam", "email": "d@x.dk"}
    ),
    oidc_provider_mock.User(sub="navnløs", claims={"email": "ingen@navn.dk"}),
]


@pytest.fixture(scope="module")
def issuer() -> Iterator[str]:
    """A running OpenID Connect provider, shared by the module's tests."""
    with oidc_provider_mock.run_server_in_thread(require_nonce=True, user_claims=PEOPLE) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture
def settings(settings_factory: Callable[[], Settings], issuer: str) -> Settings:
    """The store under test, with the running provider as the trusted issuer
    (overrides conftest's `settings`, so `wiki` and `site` use it)."""
    return settings_factory().model_copy(
        update={
            "base_url": "http://testserver",
            "oidc_issuer": issuer,
            "oidc_client_id": "innovationswiki",
            "oidc_client_secret": "hemmelig-klientnoegle",
        }
    )


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture
def identities(site: Site) -> IdentityStore:
    return site.identities


def start_login(client: TestClient, sub: str, **params: str) -> str:
    """Start a login and consent at the provider as `sub`; the callback path and query
    the provider sends the browser back to."""
    started = client.get("/auth/oidc/login", params=params, follow_redirects=False)
    assert started.status_code == 302, started.text
    authorize_url = started.headers["location"]
    query = parse_qs(urlsplit(authorize_url).query)
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"]
    assert query["nonce"] and query["state"]
    assert query["redirect_uri"] == [CALLBACK]
    assert set(query["scope"][0].split()) == {"openid", "profile", "email"}
    consent = httpx.post(authorize_url, data={"sub": sub}, follow_redirects=False)
    assert consent.status_code == 302, consent.text
    back = urlsplit(consent.headers["location"])
    assert f"{back.scheme}://{back.netloc}{back.path}" == CALLBACK
    return f"{back.path}?{back.query}"


def log_in_as(client: TestClient, sub: str, **params: str) -> httpx.Response:
    return client.get(start_login(client, sub, **params), follow_redirects=False)


def authors(site: Site) -> dict[str, tuple[str, str | None]]:
    """Every author in the read model: id -> (name, verification)."""
    site.views_current()
    with site.projector.view.read() as sql:
        rows = sql.rows("SELECT author_id, name, verification FROM view_authors")
    return {str(row[0]): (row[1], row[2]) for row in rows}


def event_types(site: Site, author_id: uuid.UUID) -> list[tuple[str, Any]]:
    return [(e.payload["type"], e.payload["data"]) for e in site.wiki.events.get(author_id)]


def shown_name(client: TestClient) -> str | None:
    """The name the header shows for the logged-in person, or None when logged out."""
    html = client.get("/").text
    start = html.find('<a href="/account"')
    if start < 0:
        return None
    return html[html.index(">", start) + 1 : html.index("</a>", start)]


# ------------------------------------------------------------------------ logging in


def test_first_login_registers_a_verified_author_named_by_the_provider(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    response = log_in_as(client, "anna")

    assert response.status_code == 303 and response.headers["location"] == "/"
    author_id = identities.author_for(issuer, "anna")
    assert author_id is not None
    with site.projector.view.read() as sql:  # read your writes: in the views already
        row = sql.row(
            "SELECT verification FROM view_authors WHERE author_id = ?", (str(author_id),)
        )
    assert row is not None and row[0] == f"oidc:{issuer}"
    author = site.wiki.author(author_id)
    assert author.name == "Anna Ærø" and author.is_verified
    assert event_types(site, author_id) == [
        ("author.registered", {"name": "Anna Ærø"}),
        ("author.identity_verified", {"method": f"oidc:{issuer}"}),
    ]
    assert authors(site) == {str(author_id): ("Anna Ærø", f"oidc:{issuer}")}
    # Logged in: the header shows the name, and the author may edit at once.
    assert shown_name(client) == "Anna Ærø"
    assert site.wiki.save_page(author_id, "Forside", "Velkommen.\n").changed
    # The e-mail address is not the identity: it is stored nowhere by this login.
    assert site.accounts.by_email("anna@kommune.dk") is None


def test_a_second_login_is_the_same_author(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    assert log_in_as(client, "anna").status_code == 303
    first = identities.author_for(issuer, "anna")
    client.cookies.clear()
    assert shown_name(client) is None

    assert log_in_as(client, "anna").status_code == 303

    assert identities.author_for(issuer, "anna") == first
    assert shown_name(client) == "Anna Ærø"
    assert len(authors(site)) == 1
    assert first is not None
    # Already verified by this issuer: no second verification event.
    assert [kind for kind, _ in event_types(site, first)] == [
        "author.registered",
        "author.identity_verified",
    ]


def test_two_subjects_are_two_authors(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    log_in_as(client, "anna")
    client.cookies.clear()
    log_in_as(client, "bo")

    anna, bo = identities.author_for(issuer, "anna"), identities.author_for(issuer, "bo")
    assert anna is not None and bo is not None and anna != bo
    assert authors(site) == {
        str(anna): ("Anna Ærø", f"oidc:{issuer}"),
        str(bo): ("Bo Østergaard", f"oidc:{issuer}"),
    }
    assert shown_name(client) == "Bo Østergaard"


def test_given_and_family_name_make_the_name(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    assert log_in_as(client, "dorthe").status_code == 303

    author_id = identities.author_for(issuer, "dorthe")
    assert author_id is not None and site.wiki.author(author_id).name == "Dorthe Dam"


def test_no_name_from_the_provider_is_refused_and_registers_nobody(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    response = log_in_as(client, "navnløs")

    assert response.status_code == 422
    assert "Vi mangler dit navn" in response.text and 'href="/login"' in response.text
    assert identities.author_for(issuer, "navnløs") is None
    assert authors(site) == {}
    assert shown_name(client) is None


def test_a_later_login_does_not_rename_the_author(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    httpx.put(f"{issuer}/users/carl", json={"name": "Carl Christensen"}).raise_for_status()
    log_in_as(client, "carl")
    httpx.put(f"{issuer}/users/carl", json={"name": "Carl Hansen"}).raise_for_status()
    client.cookies.clear()

    assert log_in_as(client, "carl").status_code == 303

    author_id = identities.author_for(issuer, "carl")
    assert author_id is not None
    assert site.wiki.author(author_id).name == "Carl Christensen"
    assert shown_name(client) == "Carl Christensen"


def test_next_goes_back_to_a_local_page_only(client: TestClient) -> None:
    assert log_in_as(client, "anna", next="/wiki/Forside?x=1").headers["location"] == (
        "/wiki/Forside?x=1"
    )
    for elsewhere in ("https://ond.example/", "//ond.example/x", "/\\ond.example", "javascript:x"):
        client.cookies.clear()
        response = log_in_as(client, "anna", next=elsewhere)
        assert response.status_code == 303 and response.headers["location"] == "/", elsewhere


def test_only_the_newest_started_login_counts(client: TestClient, site: Site) -> None:
    """Abandoned logins do not pile up in the session cookie (browsers keep ~4 KB)."""
    older = start_login(client, "anna")
    for _ in range(10):
        client.get("/auth/oidc/login", follow_redirects=False)
    assert len(client.cookies[SESSION_COOKIE]) < 2000
    newest = start_login(client, "anna")

    assert client.get(older, follow_redirects=False).status_code == 400
    assert client.get(newest, follow_redirects=False).status_code == 303
    assert shown_name(client) == "Anna Ærø"


def test_name_of() -> None:
    assert name_of({"name": "Åse Ødegård", "given_name": "Å"}) == "Åse Ødegård"
    assert name_of({"name": "  ", "given_name": "Åse", "family_name": "Ødegård"}) == "Åse Ødegård"
    assert name_of({"given_name": "Åse"}) is None
    assert name_of({"name": 7, "email": "a@b.dk"}) is None


# --------------------------------------------------------------- trust and identity


def test_an_identity_of_another_issuer_is_another_author(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    """The key is (issuer, subject): the same subject at another provider is not Anna."""
    other = site.wiki.register_author("Anden Anna")
    identities.link("https://login.andetsteds.dk", "anna", other)

    log_in_as(client, "anna")

    anna = identities.author_for(issuer, "anna")
    assert anna is not None and anna != other
    assert not site.wiki.author(other).is_verified
    assert [kind for kind, _ in event_types(site, other)] == ["author.registered"]
    assert shown_name(client) == "Anna Ærø"


def test_an_untrusted_issuer_logs_in_but_does_not_verify(
    client: TestClient, site: Site, identities: IdentityStore
) -> None:
    """Only the configured issuer's word verifies a person; a login whose token names
    another issuer (a provider whose metadata says so) makes an unverified author."""
    claims = {"iss": "https://login.andetsteds.dk", "sub": "eva", "name": "Eva Egeskov"}

    signed_in = sign_in(site, "https://login.kommune.dk", claims)

    assert signed_in.new and not signed_in.verified_now
    author = site.wiki.author(signed_in.author_id)
    assert author.name == "Eva Egeskov" and not author.is_verified
    assert [kind for kind, _ in event_types(site, signed_in.author_id)] == ["author.registered"]
    assert sign_in(site, "https://login.kommune.dk", claims).author_id == (signed_in.author_id)


def test_a_trusted_login_verifies_an_author_an_administrator_verified(
    client: TestClient, site: Site, identities: IdentityStore, admin: uuid.UUID, issuer: str
) -> None:
    author_id = site.wiki.register_author("Frede Fisker")
    site.wiki.verify_author(admin, author_id)
    identities.link(issuer, "frede", author_id)

    signed_in = sign_in(site, issuer, {"iss": issuer, "sub": "frede"})

    assert signed_in == SignedIn(author_id, new=False, verified_now=True)
    assert site.wiki.author(author_id).verification == f"oidc:{issuer}"


# ------------------------------------------------------------------------- refusals


def test_a_tampered_state_is_refused(
    client: TestClient, site: Site, identities: IdentityStore, issuer: str
) -> None:
    path, _, query = start_login(client, "anna").partition("?")
    params = {key: values[0] for key, values in parse_qs(query).items()}

    for tampered in ({**params, "state": params["state"] + "x"}, {"code": params["code"]}):
        response = client.get(f"{path}?{urlencode(tampered)}", follow_redirects=False)
        assert response.status_code == 400
        assert "Login kunne ikke gennemføres" in response.text
        assert 'href="/login"' in response.text
    assert identities.author_for(issuer, "anna") is None
    assert authors(site) == {} and shown_name(client) is None


def test_a_callback_cannot_be_replayed(client: TestClient, site: Site) -> None:
    callback = start_login(client, "anna")
    assert client.get(callback, follow_redirects=False).status_code == 303
    client.cookies.clear()

    assert client.get(callback, follow_redirects=False).status_code == 400
    assert shown_name(client) is None


def test_a_bad_code_is_refused(client: TestClient, site: Site) -> None:
    path, _, query = start_login(client, "anna").partition("?")
    params = {key: values[0] for key, values in parse_qs(query).items()}

    response = client.get(f"{path}?{urlencode({**params, 'code': 'opdigtet'})}")

    assert response.status_code == 401 and "Login blev ikke godkendt" in response.text
    assert authors(site) == {} and shown_name(client) is None


def test_refusing_at_the_provider_shows_a_danish_page(client: TestClient, site: Site) -> None:
    started = client.get("/auth/oidc/login", follow_redirects=False)
    denied = httpx.post(started.headers["location"], data={"action": "deny"})
    back = urlsplit(denied.headers["location"])
    assert parse_qs(back.query)["error"] == ["access_denied"]

    response = client.get(f"{back.path}?{back.query}")

    assert response.status_code == 401
    assert "Login blev afbrudt" in response.text and 'href="/login"' in response.text
    assert '<html lang="da">' in response.text and "Forside" in response.text
    english = client.get(f"{back.path}?{back.query}&lang=en")
    assert '<html lang="en">' in english.text and "Front page" in english.text

    other = client.get("/auth/oidc/callback?error=server_error&error_description=nede&lang=da")
    assert other.status_code == 400 and "meldte en fejl" in other.text
    assert authors(site) == {} and shown_name(client) is None


def test_the_callback_is_rate_limited(client: TestClient, site: Site) -> None:
    site.rate_limits.limits["login"] = (2, 60.0)
    for _ in range(2):
        assert client.get("/auth/oidc/callback?state=x&code=y").status_code == 400

    response = client.get("/auth/oidc/callback?state=x&code=y")

    assert response.status_code == 429 and "Retry-After" in response.headers


def test_an_unreachable_provider_is_a_page_not_a_crash(site: Site) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}"
    down = dataclasses.replace(
        site, settings=site.settings.model_copy(update={"oidc_issuer": nowhere})
    )
    # No lifespan: the test's own site stays open for its fixture to close.
    response = TestClient(create_app(down)).get("/auth/oidc/login", follow_redirects=False)

    assert response.status_code == 502 and 'href="/login"' in response.text


def test_the_routes_do_not_exist_without_a_provider(site: Site) -> None:
    unconfigured = dataclasses.replace(
        site, settings=site.settings.model_copy(update={"oidc_issuer": None})
    )
    client = TestClient(create_app(unconfigured))

    for path in ("/auth/oidc/login", "/auth/oidc/callback?code=x&state=y"):
        assert client.get(path, follow_redirects=False).status_code == 404


# -------------------------------------------------------------------- the table


def test_the_identity_table_links_once_and_forgets(site: Site) -> None:
    identities = IdentityStore(site.wiki)
    anna, bo = uuid.uuid4(), uuid.uuid4()

    assert identities.link("https://idp.dk", "s1", anna) == anna
    assert identities.link("https://idp.dk", "s1", bo) == anna  # the first link stays
    assert identities.link("https://idp.dk", "s2", anna) == anna
    assert identities.link("https://andet.dk", "s1", bo) == bo
    assert IdentityStore(site.wiki).author_for("https://idp.dk", "s1") == anna  # reopened
    assert [(i.issuer, i.subject) for i in identities.of_author(anna)] == [
        ("https://idp.dk", "s1"),
        ("https://idp.dk", "s2"),
    ]

    identities.forget(anna)

    assert identities.of_author(anna) == []
    assert identities.author_for("https://idp.dk", "s1") is None
    assert identities.author_for("https://andet.dk", "s1") == bo


def free_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port
