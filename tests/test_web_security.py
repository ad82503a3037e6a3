"""The web app's shared defences: the session cookie and its key rotation, CSRF tokens
and the Origin check, the body size limit, rate limits, language choice and headers."""

import json
import logging
import uuid
from base64 import b64decode
from collections.abc import Iterator

import itsdangerous
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.web import set_session_cookie, sign_in
from web.accesslog import RedactTokens
from web.app import MAX_BODY_BYTES, create_app
from web.csrf import CSRF_FIELD, OriginCheckMiddleware, checked_form
from web.errors import EXCEPTION_HANDLERS
from web.forms import client_address, hit_password_guess
from web.i18n import LanguageMiddleware, gettext
from web.ratelimit import RateLimited, RateLimits
from web.sessions import SESSION_COOKIE, RotatingSessionMiddleware
from web.site import Site


async def _posted(request: Request) -> Response:
    form = await checked_form(request)
    return PlainTextResponse(f"got {form.get('word')}")


def _session_app(keys: list[str]) -> Starlette:
    """A tiny app over the real middleware, to test sessions and CSRF in isolation."""

    def login(request: Request) -> Response:
        request.session["csrf"] = "token-1"
        request.session["n"] = request.session.get("n", 0) + 1
        return PlainTextResponse(str(request.session["n"]))

    return Starlette(
        routes=[Route("/login", login), Route("/post", _posted, methods=["POST"])],
        exception_handlers=EXCEPTION_HANDLERS,
        middleware=[  # in web.app's order: the Origin check outside the session
            Middleware(OriginCheckMiddleware, allowed_origin="http://testserver"),
            Middleware(RotatingSessionMiddleware, secret_keys=keys, https_only=False),
        ],
    )


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


# ---------------------------------------------------------------------- sessions


def test_session_cookie_is_signed_httponly_and_samesite_lax() -> None:
    client = TestClient(_session_app(["old-key"]))
    response = client.get("/login")
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "httponly" in cookie.lower() and "samesite=lax" in cookie.lower()
    assert "secure" not in cookie.lower()  # plain http: a Secure cookie would never return


def test_a_secure_cookie_when_the_wiki_is_served_over_https() -> None:
    def remember(request: Request) -> Response:
        request.session["a"] = 1
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/", remember)],
        middleware=[Middleware(RotatingSessionMiddleware, secret_keys=["k"], https_only=True)],
    )
    cookie = TestClient(app, base_url="https://testserver").get("/").headers["set-cookie"]
    assert "secure" in cookie.lower()


def test_a_new_key_keeps_old_sessions_and_signs_new_ones_with_itself() -> None:
    old = TestClient(_session_app(["old-key"]))
    old.get("/login")
    cookie = old.cookies[SESSION_COOKIE]

    rotated = TestClient(_session_app(["old-key", "new-key"]))
    set_session_cookie(rotated, cookie)
    assert rotated.get("/login").text == "2"  # the old session was still read
    resigned = rotated.cookies[SESSION_COOKIE]
    itsdangerous.TimestampSigner("new-key").unsign(resigned)  # signed with the newest key

    dropped = TestClient(_session_app(["new-key"]))
    set_session_cookie(dropped, cookie)
    assert dropped.get("/login").text == "1"  # the retired key's session is gone


def test_a_tampered_session_is_ignored(site: Site, editor: uuid.UUID, client: TestClient) -> None:
    sign_in(client, site, editor)
    cookie = client.cookies[SESSION_COOKIE]
    payload = json.loads(b64decode(cookie.split(".")[0]))
    assert payload["author"] == str(editor)
    set_session_cookie(client, "x" + cookie[1:])
    assert "Bo Østergaard" not in client.get("/pages").text


def test_the_header_names_the_logged_in_author(
    site: Site, editor: uuid.UUID, client: TestClient
) -> None:
    assert "Log ind" in client.get("/pages").text
    sign_in(client, site, editor)
    page = client.get("/pages").text
    assert "Bo Østergaard" in page and "Log ud" in page


def test_reading_as_a_stranger_sets_no_cookie(client: TestClient) -> None:
    assert "set-cookie" not in client.get("/pages").headers


# ---------------------------------------------------------------------- CSRF and origin


def test_a_form_without_the_right_token_is_refused() -> None:
    client = TestClient(_session_app(["k"]))
    client.get("/login")
    assert client.post("/post", data={"word": "hej"}).status_code == 403
    assert client.post("/post", data={"word": "hej", CSRF_FIELD: "wrong"}).status_code == 403
    good = client.post("/post", data={"word": "hej", CSRF_FIELD: "token-1"})
    assert (good.status_code, good.text) == (200, "got hej")


def test_a_form_without_a_session_is_refused() -> None:
    client = TestClient(_session_app(["k"]))
    assert client.post("/post", data={CSRF_FIELD: ""}).status_code == 403


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"Origin": "https://evil.example"}, 403),
        ({"Origin": "null"}, 403),
        ({"Sec-Fetch-Site": "cross-site"}, 403),
        ({"Origin": "http://testserver"}, 200),
        ({"Sec-Fetch-Site": "same-origin"}, 200),
        ({}, 200),
    ],
)
def test_unsafe_requests_from_another_site_are_refused(
    headers: dict[str, str], status: int
) -> None:
    client = TestClient(_session_app(["k"]))
    client.get("/login")
    response = client.post("/post", data={CSRF_FIELD: "token-1"}, headers=headers)
    assert response.status_code == status


def test_origin_refusals_are_json_under_the_api() -> None:
    async def app(scope, receive, send):  # type: ignore[no-untyped-def]
        await PlainTextResponse("reached")(scope, receive, send)

    client = TestClient(OriginCheckMiddleware(app, allowed_origin="http://wiki.example:8000/"))
    refused = client.post("/api/v1/pages/X", headers={"Origin": "http://testserver:1"})
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    assert client.post("/x", headers={"Origin": "http://wiki.example:8000"}).text == "reached"
    assert client.get("/x", headers={"Origin": "https://evil.example"}).text == "reached"


# ---------------------------------------------------------------------- limits


def test_a_request_body_over_the_limit_is_413(client: TestClient) -> None:
    response = client.post(
        "/api/v1/pages/Stor", content=b"x" * (MAX_BODY_BYTES + 1), headers={"Origin": ""}
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"
    page = client.post("/wiki/Stor/edit", content=b"x" * (MAX_BODY_BYTES + 1))
    assert page.status_code == 413 and "For stor forespørgsel" in page.text


def test_a_body_without_a_length_is_cut_off_at_the_limit(
    site: Site, editor: uuid.UUID, client: TestClient
) -> None:
    csrf = sign_in(client, site, editor)  # so that the endpoint goes on to read the body
    chunks = (b"x" * 65536 for _ in range(MAX_BODY_BYTES // 65536 + 2))
    response = client.put(
        "/api/v1/pages/Stor",
        content=chunks,
        headers={"X-CSRF-Token": csrf, "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "too_large"


def test_rate_limits_count_per_action_and_client_and_say_when_to_retry() -> None:
    limits = RateLimits(limits={"login": (2, 60.0), "register": (1, 60.0)})
    limits.hit("login", "1.2.3.4")
    limits.hit("login", "1.2.3.4")
    with pytest.raises(RateLimited) as refused:
        limits.hit("login", "1.2.3.4")
    assert 1 <= refused.value.retry_after <= 61
    limits.hit("login", "5.6.7.8")  # another client has its own window
    limits.hit("register", "1.2.3.4")  # another action too


def test_rate_limited_is_429_with_retry_after() -> None:
    def limited(_request: Request) -> Response:
        raise RateLimited(7)

    app = Starlette(routes=[Route("/api/x", limited)], exception_handlers=EXCEPTION_HANDLERS)
    response = TestClient(app).get("/api/x")
    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"
    assert response.json()["error"]["code"] == "rate_limited"


# ---------------------------------------------------------------------- language


def _language_app() -> Starlette:
    def hello(_request: Request) -> Response:
        return PlainTextResponse(gettext("Søg"))

    return Starlette(
        routes=[Route("/", hello)],
        middleware=[
            Middleware(RotatingSessionMiddleware, secret_keys=["k"], https_only=False),
            Middleware(LanguageMiddleware, default="da"),
        ],
    )


def test_danish_by_default_english_by_header_or_parameter_and_remembered() -> None:
    client = TestClient(_language_app())
    assert client.get("/").text == "Søg"
    assert client.get("/", headers={"Accept-Language": "en-GB,en;q=0.9"}).text == "Search"
    assert client.get("/", headers={"Accept-Language": "fr, da;q=0.5"}).text == "Søg"
    assert client.get("/?lang=en").text == "Search"
    assert client.get("/").text == "Search"  # remembered in the session
    assert client.get("/?lang=da").text == "Søg"
    assert client.get("/?lang=xx").text == "Søg"


def test_pages_say_which_language_they_are_in(client: TestClient) -> None:
    assert '<html lang="da">' in client.get("/pages").text
    english = client.get("/pages?lang=en").text
    assert '<html lang="en">' in english and "All pages" in english


def test_security_headers_forbid_framing_and_inline_script(client: TestClient) -> None:
    policy = client.get("/pages").headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "script-src" not in policy or "'unsafe-inline'" not in policy
    assert "default-src 'self'" in policy


def test_an_html_page_with_a_bad_bearer_token_is_401_not_500(client: TestClient) -> None:
    response = client.get("/account", headers={"Authorization": "Bearer iw_not-a-token"})
    assert response.status_code == 401
    assert "Log ind først" in response.text


def test_a_label_from_data_is_escaped_like_any_value() -> None:
    """`_()` on a variable would come back as trusted markup; `label()` does not."""
    from web.templating import templates

    template = templates.env.from_string("{{ label(value) }} {{ _('Søg') }}")
    assert template.render(value="<script>x</script>") == "&lt;script&gt;x&lt;/script&gt; Søg"


def test_pages_for_someone_logged_in_are_not_stored_by_caches(
    site: Site, editor: uuid.UUID, client: TestClient
) -> None:
    anonymous = client.get("/pages")
    assert "cache-control" not in anonymous.headers
    assert "Accept-Language" in anonymous.headers["vary"]
    sign_in(client, site, editor)
    assert client.get("/pages").headers["cache-control"] == "private, no-store"
    client.cookies.clear()
    token = client.get("/api/v1/recent-changes", headers={"Authorization": "Bearer iw_x"})
    assert token.headers["cache-control"] == "private, no-store"


def test_mailed_tokens_are_redacted_from_the_access_log() -> None:
    record = logging.LogRecord(
        "uvicorn.access", logging.INFO, __file__, 1, '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "GET", "/verify-email?token=hemmelig.abc&lang=da", "1.1", 200),
        None,
    )  # fmt: skip
    RedactTokens().filter(record)
    assert "hemmelig" not in record.getMessage()
    assert "/verify-email?token=[redacted]&lang=da" in record.getMessage()


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/recent-changes?before=99999999999999999999",
        "/api/v1/pages/Forside/revisions?before=99999999999999999999",
        "/api/v1/pages/Forside/diff?to=99999999999999999999",
    ],
)
def test_numbers_no_database_can_hold_are_422_not_500(client: TestClient, url: str) -> None:
    assert client.get(url).status_code == 422
    assert client.get("/api/v1/pages/Forside/revisions/99999999999999999999").status_code == 404


def test_ipv6_clients_are_counted_by_their_slash_64() -> None:
    def request_from(host: str) -> Request:
        return Request({"type": "http", "client": (host, 1234), "headers": []})

    assert client_address(request_from("2001:db8:1:2:aaaa::1")) == "2001:db8:1:2::/64"
    assert client_address(request_from("2001:db8:1:2:bbbb::9")) == "2001:db8:1:2::/64"
    assert client_address(request_from("192.0.2.7")) == "192.0.2.7"


def test_password_guesses_at_one_account_are_limited_from_any_address(site: Site) -> None:
    site.rate_limits.limits["password-guess"] = (2, 600.0)
    hit_password_guess(site, "Bo@Example.dk")
    hit_password_guess(site, "bo@example.dk ")
    with pytest.raises(RateLimited):
        hit_password_guess(site, "bo@example.dk")
