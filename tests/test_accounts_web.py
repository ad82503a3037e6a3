"""Local accounts in the browser: register, confirm the address, log in and out, reset a
password, the account page and its API tokens; on SQLite and PostgreSQL."""

import dataclasses
import re
import time
import uuid
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx2
import itsdangerous
import pytest
from starlette.testclient import TestClient

from storage.accounts import TOKEN_PREFIX, token_digest
from tests.smtp_sink import smtp_sink
from tests.test_accounts import stored_password_hash, table_rows
from tests.web import link_in, mails, sign_in
from web.app import create_app
from web.mail import SmtpMailer
from web.password_reset import RESET_PASSWORD_MAX_AGE, RESET_PASSWORD_SALT
from web.registration import CONFIRM_EMAIL_MAX_AGE, CONFIRM_EMAIL_SALT
from web.sessions import SESSION_COOKIE
from web.site import Site
from wikiengine.errors import NotVerified

PASSWORD = "korrekt hest batteri"
NEW_PASSWORD = "et helt nyt kodeord"


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


def form_token(client: TestClient, path: str = "/login") -> str:
    return csrf_of(client.get(path).text)


def confirm(client: TestClient, link: str, password: str = PASSWORD) -> httpx2.Response:
    """Open the mailed link (a form) and confirm with the account's password."""
    form = client.get(link)
    assert form.status_code == 200, form.text
    assert "Bekræft din e-mailadresse" in form.text
    token = parse_qs(urlsplit(link).query)["token"][0]
    return client.post(
        "/verify-email",
        data={"csrf_token": csrf_of(form.text), "token": token, "password": password},
    )


def register(
    client: TestClient,
    name: str = "Søren Ærø",
    email: str = "soren@example.dk",
    password: str = PASSWORD,
    repeat: str | None = None,
) -> httpx2.Response:
    return client.post(
        "/register",
        data={
            "csrf_token": form_token(client, "/register"),
            "name": name,
            "email": email,
            "password": password,
            "password_repeat": password if repeat is None else repeat,
        },
    )


def log_in(
    client: TestClient, email: str, password: str, next_path: str | None = None
) -> httpx2.Response:
    data = {"csrf_token": form_token(client), "email": email, "password": password}
    if next_path is not None:
        data["next"] = next_path
    return client.post("/login", data=data, follow_redirects=False)


def account_holder(
    site: Site, *, confirmed: bool = True, email: str = "ulla@example.dk"
) -> uuid.UUID:
    """An author with a local account, made directly (not through the form)."""
    author_id = site.wiki.register_author("Ulla Ørsted")
    site.accounts.create(author_id, email, PASSWORD, confirmed=confirmed)
    return author_id


def viewer_name(client: TestClient, **headers: str) -> str | None:
    """Who the account page says is logged in (None: sent to the login form)."""
    response = client.get("/account", headers=headers, follow_redirects=False)
    if response.status_code == 303:
        return None
    found = re.search(r"<dt>Navn</dt><dd>([^<]+)</dd>", response.text)
    assert found is not None, response.text
    return found.group(1)


def expired_token(site: Site, salt: str, age: int, payload: dict[str, Any]) -> str:
    """A token signed `age` seconds ago, with the site's keys."""

    class SignedEarlier(itsdangerous.TimestampSigner):
        def get_timestamp(self) -> int:
            return int(time.time()) - age

    serializer = itsdangerous.URLSafeTimedSerializer(
        list(site.secret_keys), salt=salt, signer=SignedEarlier
    )
    return serializer.dumps(payload)


def labels_match_inputs(html: str) -> None:
    """Every visible input has a label pointing at it."""
    ids = re.findall(r'<input id="([^"]+)"', html)
    assert ids
    for input_id in ids:
        assert (
            f'<label for="{input_id}">' in html
            or f'<label class="visually-hidden" for="{input_id}">' in html
        )


# ---------------------------------------------------------------- the whole way, over SMTP


def test_register_confirm_then_an_administrator_confirms_the_name(
    site: Site, admin: uuid.UUID
) -> None:
    """Registration mail through a real SMTP server; the link logs in; the person cannot
    edit until an administrator confirms them through the queue's form."""
    seen: list[str] = []
    with smtp_sink() as sink:
        site.mailer = SmtpMailer("127.0.0.1", sink.port)
        app = create_app(site)
        with TestClient(app) as person:
            registered = register(person)
            seen.append(registered.text)
            assert registered.status_code == 200
            assert "Tjek din e-mail" in registered.text
            assert "administrator" in registered.text

            [received] = sink.received
            mail: EmailMessage = received.message
            assert received.recipients == ["soren@example.dk"]
            assert mail["Subject"] == "Bekræft din e-mailadresse til Innovationswiki"
            account = site.accounts.by_email("soren@example.dk")
            assert account is not None and not account.email_confirmed
            author_id = account.author_id
            assert site.wiki.author(author_id).name == "Søren Ærø"
            assert viewer_name(person) is None  # not logged in before the link

            assert viewer_name(person) is None and person.get(link_in(mail)).status_code == 200
            assert not site.accounts.by_email("soren@example.dk").email_confirmed  # a GET: no
            confirmed = confirm(person, link_in(mail))
            seen.append(confirmed.text)
            assert confirmed.status_code == 200
            assert "Din e-mailadresse er bekræftet" in confirmed.text
            assert "en administrator bekræfter, at Søren Ærø er dit rigtige navn" in confirmed.text
            assert viewer_name(person) == "Søren Ærø"
            account_page = person.get("/account")
            seen.append(account_page.text)
            assert "Venter på, at en administrator bekræfter dit navn." in account_page.text
            assert f'href="/authors/{author_id}"' in account_page.text
            found = site.accounts.by_email("soren@example.dk")
            assert found is not None and found.email_confirmed
            with pytest.raises(NotVerified):
                site.wiki.save_page(author_id, "Søren prøver", "Tekst\n")

            administrator = TestClient(app)  # a second browser; the app runs already
            token = sign_in(administrator, site, admin)
            queue = administrator.get("/admin")
            seen.append(queue.text)
            assert queue.status_code == 200
            assert "Søren Ærø" in queue.text and "soren@example.dk" in queue.text
            assert f'action="/admin/authors/{author_id}/verify"' in queue.text
            verified = administrator.post(
                f"/admin/authors/{author_id}/verify",
                data={"csrf_token": token},
                follow_redirects=False,
            )
            assert verified.status_code == 303
            assert verified.headers["location"] == f"/admin?verified={author_id}"
            after = administrator.get(verified.headers["location"])
            seen.append(after.text)
            assert "Søren Ærø er nu bekræftet" in after.text
            assert f"/admin/authors/{author_id}/verify" not in after.text

            author = site.wiki.author(author_id)
            assert author.verification == "admin"
            identity_verified: Any = list(site.wiki.events.get(author_id))[-1]
            assert identity_verified.payload["type"] == "author.identity_verified"
            assert identity_verified.payload["author"]["id"] == str(admin)
            result = site.wiki.save_page(author_id, "Søren prøver", "Tekst\n")
            assert result.version == 1
            seen.append(person.get("/account").text)
            assert "Bekræftet: du kan redigere" in seen[-1]

            password_hash = stored_password_hash(site.wiki, author_id)
            mail_text = mail.as_string() + mail.get_content()
            for text in [*seen, mail_text]:
                assert PASSWORD not in text
                assert password_hash not in text
                assert password_hash.rsplit("$", 1)[-1] not in text


# ---------------------------------------------------------------- registering


def test_register_form_has_labels_and_autocomplete(client: TestClient) -> None:
    html = client.get("/register").text

    labels_match_inputs(html)
    assert re.search(r'name="name" type="text"[^>]* autocomplete="name"', html)
    assert re.search(r'name="email" type="email"[^>]* autocomplete="email"', html)
    assert len(re.findall(r'type="password"[^>]* autocomplete="new-password"', html)) == 2
    assert "<script" not in html


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"name": "   "}, "navn", "Skriv dit fulde navn."),
        ({"name": "Å" * 121}, "navn", "Navnet må højst have 120 tegn."),
        ({"email": "soren.example.dk"}, "email", "Skriv en gyldig e-mailadresse"),
        ({"password": "kort", "repeat": "kort"}, "kodeord", "mindst 10 tegn"),
        ({"repeat": "et andet kodeord"}, "kodeord-igen", "De to kodeord er ikke ens."),
    ],
)
def test_register_errors_are_shown_at_their_field_and_nothing_is_made(
    client: TestClient,
    site: Site,
    mail_dir: Path,
    fields: dict[str, str],
    field_id: str,
    message: str,
) -> None:
    values = {"name": "Søren Ærø", "email": "soren@example.dk", "password": PASSWORD, **fields}
    events_before = site.wiki.recorder.max_notification_id()

    response = register(client, **values)

    assert response.status_code == 422
    html = response.text
    assert message in html
    assert f'<p class="field-error" id="{field_id}-error">' in html
    assert re.search(
        rf'id="{field_id}"[^>]*aria-invalid="true"[^>]*aria-describedby="[^"]*{field_id}-error',
        html,
    )
    assert f'href="#{field_id}"' in html  # the summary links to the field
    if field_id != "navn":
        assert 'value="Søren Ærø"' in html
    if field_id != "email":
        assert 'value="soren@example.dk"' in html
    assert values["password"] not in html
    assert table_rows(site.wiki, "accounts") == []
    assert site.wiki.recorder.max_notification_id() == events_before
    assert mails(mail_dir) == []


def test_register_an_address_twice_is_409(client: TestClient, site: Site, mail_dir: Path) -> None:
    assert register(client).status_code == 200

    again = register(
        client, name="Søren Anden", email=" SOREN@example.dk ", password="et andet kodeord"
    )

    assert again.status_code == 409
    assert "Der findes allerede en konto med den e-mailadresse." in again.text
    assert 'value="Søren Anden"' in again.text and "et andet kodeord" not in again.text
    assert len(table_rows(site.wiki, "accounts")) == 1
    assert len(mails(mail_dir)) == 1


def test_register_is_rate_limited(client: TestClient, site: Site) -> None:
    site.rate_limits.limits["register"] = (2, 60.0)
    assert register(client, email="a@example.dk").status_code == 200
    assert register(client, email="a@example.dk").status_code == 409

    refused = register(client, email="b@example.dk")

    assert refused.status_code == 429
    assert "For mange forsøg" in refused.text
    assert int(refused.headers["retry-after"]) > 0
    assert site.accounts.by_email("b@example.dk") is None


# ---------------------------------------------------------------- confirming the address


def test_confirmation_link_works_once(client: TestClient, site: Site, mail_dir: Path) -> None:
    register(client)
    link = link_in(mails(mail_dir)[0])
    assert confirm(client, link).status_code == 200
    client.post("/logout", data={"csrf_token": form_token(client, "/logout")})

    again = client.get(link)

    assert again.status_code == 200
    assert "Adressen er allerede bekræftet" in again.text
    assert viewer_name(client) is None  # a used link logs no one in


@pytest.mark.parametrize("token", ["", "forfalsket", "eyJhdXRob3IiOiIxIn0.Zz.Zz"])
def test_bad_confirmation_link_is_422_with_a_way_to_a_new_mail(
    client: TestClient, site: Site, token: str
) -> None:
    account_holder(site, confirmed=False)

    response = client.get("/verify-email", params={"token": token})

    assert response.status_code == 422
    assert "Linket virker ikke" in response.text
    assert 'action="/verify-email/resend"' in response.text
    assert viewer_name(client) is None


def test_expired_confirmation_link_is_refused(client: TestClient, site: Site) -> None:
    author_id = account_holder(site, confirmed=False)
    token = expired_token(
        site,
        CONFIRM_EMAIL_SALT,
        CONFIRM_EMAIL_MAX_AGE + 60,
        {"author": str(author_id), "email": "ulla@example.dk"},
    )

    response = client.get("/verify-email", params={"token": token})

    assert response.status_code == 422
    account = site.accounts.by_email("ulla@example.dk")
    assert account is not None and not account.email_confirmed


def test_reset_link_is_no_confirmation_link(client: TestClient, site: Site, mail_dir: Path) -> None:
    account_holder(site, confirmed=False)
    client.post(
        "/reset-password",
        data={"csrf_token": form_token(client, "/reset-password"), "email": "ulla@example.dk"},
    )
    token = urlsplit(link_in(mails(mail_dir)[0])).query.removeprefix("token=")

    assert client.get("/verify-email", params={"token": token}).status_code == 422


def test_resend_mails_unconfirmed_accounts_only_and_answers_the_same(
    client: TestClient, site: Site, mail_dir: Path
) -> None:
    account_holder(site, confirmed=False)
    account_holder(site, confirmed=True, email="bo@example.dk")
    token = form_token(client, "/verify-email/resend")

    answers = [
        client.post("/verify-email/resend", data={"csrf_token": token, "email": address})
        for address in ("ulla@example.dk", "bo@example.dk", "nobody@example.dk", "ikke en adresse")
    ]

    assert {answer.status_code for answer in answers} == {200}
    assert len({answer.text for answer in answers}) == 1
    [sent] = mails(mail_dir)
    assert sent["To"] == "ulla@example.dk"
    assert confirm(client, link_in(sent)).status_code == 200
    assert viewer_name(client) == "Ulla Ørsted"


def test_resend_is_rate_limited(client: TestClient, site: Site, mail_dir: Path) -> None:
    site.rate_limits.limits["mail"] = (2, 60.0)
    account_holder(site, confirmed=False)
    token = form_token(client, "/verify-email/resend")
    for _ in range(2):
        client.post("/verify-email/resend", data={"csrf_token": token, "email": "ulla@example.dk"})

    refused = client.post(
        "/verify-email/resend", data={"csrf_token": token, "email": "ulla@example.dk"}
    )

    assert refused.status_code == 429
    assert len(mails(mail_dir)) == 2


# ---------------------------------------------------------------- logging in and out


def test_login_form_has_labels_and_autocomplete(client: TestClient) -> None:
    html = client.get("/login").text

    labels_match_inputs(html)
    assert re.search(r'name="email" type="email"[^>]* autocomplete="email"', html)
    assert re.search(r'name="password" type="password"[^>]* autocomplete="current-password"', html)
    assert "/auth/oidc/login" not in html  # no identity provider configured
    assert 'href="/reset-password"' in html


def test_login_starts_a_fresh_session_and_goes_to_next(client: TestClient, site: Site) -> None:
    account_holder(site)
    before = form_token(client)

    response = log_in(client, " Ulla@Example.dk ", PASSWORD, "/wiki/Idéer?version=2")

    assert response.status_code == 303
    assert urlsplit(response.headers["location"]).path == "/wiki/Id%C3%A9er"
    assert viewer_name(client) == "Ulla Ørsted"
    assert form_token(client, "/account") != before  # no session fixation


def test_login_without_next_goes_to_the_front_page(client: TestClient, site: Site) -> None:
    account_holder(site)
    assert log_in(client, "ulla@example.dk", PASSWORD).headers["location"] == "/"


@pytest.mark.parametrize(
    "next_path",
    [
        "https://evil.example/",
        "//evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "evil.example",
    ],
)
def test_login_never_redirects_to_another_site(
    client: TestClient, site: Site, next_path: str
) -> None:
    account_holder(site)
    form = client.get("/login", params={"next": next_path}).text

    response = log_in(client, "ulla@example.dk", PASSWORD, next_path)

    assert response.status_code == 303
    assert response.headers["location"] == "/"
    assert 'name="next" value="/"' in form


@pytest.mark.parametrize(
    ("email", "password"),
    [("ulla@example.dk", "forkert kodeord"), ("nobody@example.dk", PASSWORD), ("", "")],
)
def test_wrong_login_is_401_with_one_generic_message(
    client: TestClient, site: Site, email: str, password: str
) -> None:
    account_holder(site)

    response = log_in(client, email, password)

    assert response.status_code == 401
    assert response.text.count("E-mailadressen eller kodeordet er forkert.") == 1
    assert 'action="/login"' in response.text
    assert password not in response.text or password == ""
    assert viewer_name(client) is None


def test_unconfirmed_address_is_403_with_an_offer_to_resend(
    client: TestClient, site: Site, mail_dir: Path
) -> None:
    account_holder(site, confirmed=False)

    response = log_in(client, "ulla@example.dk", PASSWORD)

    assert response.status_code == 403
    assert "Bekræft din e-mailadresse først" in response.text
    assert 'action="/verify-email/resend"' in response.text
    assert 'value="ulla@example.dk"' in response.text
    assert viewer_name(client) is None
    assert mails(mail_dir) == []


def test_login_is_rate_limited(client: TestClient, site: Site) -> None:
    site.rate_limits.limits["login"] = (2, 60.0)
    account_holder(site)
    log_in(client, "ulla@example.dk", "forkert kodeord")
    log_in(client, "ulla@example.dk", "forkert kodeord")

    refused = log_in(client, "ulla@example.dk", PASSWORD)  # right, but too late

    assert refused.status_code == 429
    assert viewer_name(client) is None


def test_login_page_offers_the_identity_provider_when_configured(site: Site) -> None:
    settings = site.settings.model_copy(update={"oidc_issuer": "https://login.example.dk/realm"})
    app = create_app(dataclasses.replace(site, settings=settings), project=False)
    client = TestClient(app)  # no lifespan: the fixture's site stays open

    html = client.get("/login", params={"next": "/account"}).text

    assert "Log ind med login.example.dk" in html
    assert 'href="/auth/oidc/login?next=%2Faccount"' in html


def test_logout_needs_a_post(client: TestClient, site: Site) -> None:
    author_id = account_holder(site)
    token = sign_in(client, site, author_id)

    page = client.get("/logout")
    assert page.status_code == 200 and 'action="/logout"' in page.text
    assert viewer_name(client) == "Ulla Ørsted"  # a GET changes nothing

    response = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303 and response.headers["location"] == "/"
    assert viewer_name(client) is None
    assert client.get("/account", follow_redirects=False).headers["location"] == (
        "/login?next=%2Faccount"
    )


# ---------------------------------------------------------------- the session cookie


def session_cookie_header(response: httpx2.Response) -> str:
    [header] = [
        value
        for value in response.headers.get_list("set-cookie")
        if value.startswith(f"{SESSION_COOKIE}=")
    ]
    return header.lower()


def test_session_cookie_is_httponly_and_samesite_lax(client: TestClient, site: Site) -> None:
    account_holder(site)
    client.get("/login")

    header = session_cookie_header(log_in(client, "ulla@example.dk", PASSWORD))

    assert "httponly" in header and "samesite=lax" in header and "path=/" in header
    assert "secure" not in header


def test_session_cookie_is_secure_when_the_wiki_is_served_over_https(site: Site) -> None:
    account_holder(site)
    settings = site.settings.model_copy(update={"base_url": "https://wiki.example.dk"})
    app = create_app(dataclasses.replace(site, settings=settings), project=False)
    client = TestClient(app, base_url="https://wiki.example.dk")

    token = csrf_of(client.get("/login").text)
    response = client.post(
        "/login",
        data={"csrf_token": token, "email": "ulla@example.dk", "password": PASSWORD},
        follow_redirects=False,
    )

    assert response.status_code == 303
    header = session_cookie_header(response)
    assert "secure" in header and "httponly" in header and "samesite=lax" in header


# ---------------------------------------------------------------- forgotten password


def ask_for_reset(client: TestClient, email: str) -> httpx2.Response:
    return client.post(
        "/reset-password",
        data={"csrf_token": form_token(client, "/reset-password"), "email": email},
    )


def choose_password(
    client: TestClient, token: str, password: str = NEW_PASSWORD, repeat: str | None = None
) -> httpx2.Response:
    return client.post(
        "/reset-password/new",
        data={
            "csrf_token": form_token(client, "/reset-password"),
            "token": token,
            "password": password,
            "password_repeat": password if repeat is None else repeat,
        },
        follow_redirects=False,
    )


def test_password_reset_works_once(client: TestClient, site: Site, mail_dir: Path) -> None:
    author_id = account_holder(site)
    old_hash = stored_password_hash(site.wiki, author_id)

    asked = ask_for_reset(client, "ulla@example.dk")
    assert asked.status_code == 200 and "Hvis der findes en konto" in asked.text
    [mail] = mails(mail_dir)
    assert mail["To"] == "ulla@example.dk"
    link = link_in(mail)
    token = urlsplit(link).query.removeprefix("token=")

    form = client.get(link)
    assert form.status_code == 200
    labels_match_inputs(form.text)
    assert len(re.findall(r'type="password"[^>]* autocomplete="new-password"', form.text)) == 2
    assert form.headers["cache-control"] == "no-store"

    done = choose_password(client, token)
    assert done.status_code == 303 and done.headers["location"] == "/account"
    assert viewer_name(client) == "Ulla Ørsted"
    assert stored_password_hash(site.wiki, author_id) != old_hash

    client.post("/logout", data={"csrf_token": form_token(client, "/logout")})
    assert log_in(client, "ulla@example.dk", PASSWORD).status_code == 401
    assert log_in(client, "ulla@example.dk", NEW_PASSWORD).status_code == 303

    assert client.get(link).status_code == 422  # used: the password has changed since
    again = choose_password(client, token, "et tredje kodeord")
    assert again.status_code == 422 and "Linket virker ikke" in again.text
    assert log_in(client, "ulla@example.dk", "et tredje kodeord").status_code == 401
    for text in (mail.get_content(), form.text, again.text):
        assert NEW_PASSWORD not in text and PASSWORD not in text
        assert stored_password_hash(site.wiki, author_id) not in text


def test_reset_answers_the_same_for_unknown_addresses(
    client: TestClient, site: Site, mail_dir: Path
) -> None:
    account_holder(site)

    known = ask_for_reset(client, "ulla@example.dk")
    unknown = ask_for_reset(client, "nobody@example.dk")
    invalid = ask_for_reset(client, "ikke en adresse")

    assert known.status_code == unknown.status_code == invalid.status_code == 200
    assert known.text == unknown.text == invalid.text
    assert [mail["To"] for mail in mails(mail_dir)] == ["ulla@example.dk"]


def test_reset_is_rate_limited(client: TestClient, site: Site, mail_dir: Path) -> None:
    site.rate_limits.limits["mail"] = (2, 60.0)
    account_holder(site)
    ask_for_reset(client, "ulla@example.dk")
    ask_for_reset(client, "ulla@example.dk")

    assert ask_for_reset(client, "ulla@example.dk").status_code == 429
    assert len(mails(mail_dir)) == 2


def test_expired_or_forged_reset_link_is_422(client: TestClient, site: Site) -> None:
    author_id = account_holder(site)
    fingerprint = site.accounts.password_fingerprint(author_id)
    payload = {"author": str(author_id), "password": fingerprint}
    expired = expired_token(site, RESET_PASSWORD_SALT, RESET_PASSWORD_MAX_AGE + 60, payload)
    fresh = expired_token(site, RESET_PASSWORD_SALT, 60, payload)
    confirmation = expired_token(site, CONFIRM_EMAIL_SALT, 60, payload)

    for token in (expired, confirmation, "forfalsket", fresh[:-2]):
        assert client.get("/reset-password/new", params={"token": token}).status_code == 422
        assert choose_password(client, token).status_code == 422
    assert log_in(client, "ulla@example.dk", PASSWORD).status_code == 303
    assert client.get("/reset-password/new", params={"token": fresh}).status_code == 200


def test_new_password_errors_keep_the_link(client: TestClient, site: Site, mail_dir: Path) -> None:
    author_id = account_holder(site)
    ask_for_reset(client, "ulla@example.dk")
    token = urlsplit(link_in(mails(mail_dir)[0])).query.removeprefix("token=")

    short = choose_password(client, token, "kort")
    different = choose_password(client, token, NEW_PASSWORD, "noget andet helt")

    assert short.status_code == different.status_code == 422
    assert "mindst 10 tegn" in short.text and "De to kodeord er ikke ens." in different.text
    assert f'name="token" value="{token}"' in short.text
    assert NEW_PASSWORD not in different.text
    assert site.accounts.password_fingerprint(author_id) == urlsafe_fingerprint(site, token)
    assert choose_password(client, token).status_code == 303


def urlsafe_fingerprint(site: Site, token: str) -> str:
    serializer = itsdangerous.URLSafeTimedSerializer(
        list(site.secret_keys), salt=RESET_PASSWORD_SALT
    )
    fingerprint: str = serializer.loads(token)["password"]
    return fingerprint


def test_reset_confirms_an_unconfirmed_address(
    client: TestClient, site: Site, mail_dir: Path
) -> None:
    account_holder(site, confirmed=False)
    ask_for_reset(client, "ulla@example.dk")
    token = urlsplit(link_in(mails(mail_dir)[0])).query.removeprefix("token=")

    assert choose_password(client, token).status_code == 303

    account = site.accounts.by_email("ulla@example.dk")
    assert account is not None and account.email_confirmed


# ---------------------------------------------------------------- the account page and tokens


def create_token(client: TestClient, csrf: str, label: str = "Min bærbare") -> httpx2.Response:
    return client.post("/account/tokens", data={"csrf_token": csrf, "label": label})


def test_account_page_sends_anonymous_readers_to_login(client: TestClient) -> None:
    response = client.get("/account", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Faccount"


def test_account_page_shows_identity_status(
    client: TestClient, site: Site, admin: uuid.UUID
) -> None:
    author_id = account_holder(site)
    sign_in(client, site, author_id)
    page = client.get("/account").text
    assert "ulla@example.dk" in page and "Venter på, at en administrator" in page
    assert "<dt>E-mailadresse bekræftet</dt><dd>Ja</dd>" in page

    site.wiki.verify_author(admin, author_id)
    assert "Bekræftet: du kan redigere" in client.get("/account").text

    site.wiki.block_author(admin, author_id, "Spam")
    assert "Blokeret" in client.get("/account").text


def test_token_is_shown_once_and_works_as_bearer(client: TestClient, site: Site) -> None:
    author_id = account_holder(site)
    csrf = sign_in(client, site, author_id)

    created = create_token(client, csrf)

    assert created.status_code == 201
    assert created.headers["cache-control"] == "no-store"
    found = re.search(rf'<code class="token">({TOKEN_PREFIX}[^<]+)</code>', created.text)
    assert found is not None
    token = found.group(1)
    assert "Den bliver ikke vist igen" in created.text
    assert [row[:3] for row in table_rows(site.wiki, "api_tokens")] == [
        (token_digest(token), str(author_id), "Min bærbare")
    ]

    page = client.get("/account").text
    assert "Min bærbare" in page
    assert token not in page and token.removeprefix(TOKEN_PREFIX) not in page
    assert token_digest(token) not in page

    anonymous = TestClient(client.app)
    assert viewer_name(anonymous, authorization=f"Bearer {token}") == "Ulla Ørsted"
    assert token not in anonymous.get("/account", headers={"authorization": f"Bearer {token}"}).text


def test_revoked_token_stops_working(client: TestClient, site: Site) -> None:
    author_id = account_holder(site)
    csrf = sign_in(client, site, author_id)
    first = re.findall(rf"{TOKEN_PREFIX}[\w-]+", create_token(client, csrf, "Første").text)[0]
    second = re.findall(rf"{TOKEN_PREFIX}[\w-]+", create_token(client, csrf, "Anden").text)[0]
    page = client.get("/account").text
    [first_id] = [
        token_id
        for token_id in re.findall(r'action="/account/tokens/([0-9a-f]+)/revoke"', page)
        if token_digest(first).startswith(token_id)
    ]

    revoked = client.post(
        f"/account/tokens/{first_id}/revoke", data={"csrf_token": csrf}, follow_redirects=False
    )

    assert revoked.status_code == 303 and revoked.headers["location"] == "/account"
    anonymous = TestClient(client.app)
    assert (
        anonymous.get("/account", headers={"authorization": f"Bearer {first}"}).status_code == 401
    )
    assert viewer_name(anonymous, authorization=f"Bearer {second}") == "Ulla Ørsted"
    page = client.get("/account").text
    assert "Første" not in page and "Anden" in page
    again = client.post(f"/account/tokens/{first_id}/revoke", data={"csrf_token": csrf})
    assert again.status_code == 404


def test_nobody_revokes_another_persons_token(
    client: TestClient, site: Site, editor: uuid.UUID
) -> None:
    owner = account_holder(site)
    token = site.accounts.create_token(owner, "Ullas")
    [listed] = site.accounts.tokens(owner)
    csrf = sign_in(client, site, editor)

    response = client.post(f"/account/tokens/{listed.id}/revoke", data={"csrf_token": csrf})

    assert response.status_code == 404
    assert site.accounts.author_for_token(token) == owner


@pytest.mark.parametrize("label", ["", "   ", "x" * 101])
def test_token_needs_a_label(client: TestClient, site: Site, label: str) -> None:
    csrf = sign_in(client, site, account_holder(site))

    response = create_token(client, csrf, label)

    assert response.status_code == 422
    assert "Giv nøglen et navn" in response.text
    assert 'aria-invalid="true"' in response.text
    assert table_rows(site.wiki, "api_tokens") == []


def test_token_creation_is_rate_limited(client: TestClient, site: Site) -> None:
    site.rate_limits.limits["token"] = (2, 60.0)
    csrf = sign_in(client, site, account_holder(site))
    create_token(client, csrf)
    create_token(client, csrf)

    assert create_token(client, csrf).status_code == 429
    assert len(table_rows(site.wiki, "api_tokens")) == 2


def test_anonymous_cannot_make_or_revoke_tokens(client: TestClient, site: Site) -> None:
    csrf = form_token(client)  # a session, but nobody logged in

    assert create_token(client, csrf).status_code == 401
    revoke = client.post("/account/tokens/0123456789abcdef/revoke", data={"csrf_token": csrf})
    assert revoke.status_code == 401
    assert table_rows(site.wiki, "api_tokens") == []


def test_wrong_bearer_token_is_401_not_anonymous(client: TestClient) -> None:
    response = client.get("/account", headers={"authorization": f"Bearer {TOKEN_PREFIX}nope"})
    assert response.status_code == 401


# ---------------------------------------------------------------- CSRF on every form


POSTS = [
    "/register",
    "/verify-email",
    "/verify-email/resend",
    "/login",
    "/logout",
    "/reset-password",
    "/reset-password/new",
    "/account/tokens",
    "/account/tokens/0123456789abcdef/revoke",
    f"/admin/authors/{uuid.uuid4()}/verify",
]


@pytest.mark.parametrize("path", POSTS)
@pytest.mark.parametrize("sent", [None, "forkert"])
def test_every_form_refuses_a_missing_or_wrong_csrf_token(
    client: TestClient, site: Site, admin: uuid.UUID, path: str, sent: str | None
) -> None:
    author_id = account_holder(site)
    site.accounts.create_token(author_id, "Ullas")
    sign_in(client, site, admin)
    data = {"email": "ulla@example.dk", "password": PASSWORD, "label": "x", "name": "X"}
    if sent is not None:
        data["csrf_token"] = sent

    response = client.post(path, data=data, follow_redirects=False)

    assert response.status_code == 403
    assert viewer_name(client) == "Anna Ærø"  # still logged in: nothing happened
    assert len(table_rows(site.wiki, "api_tokens")) == 1
    assert len(table_rows(site.wiki, "accounts")) == 1


def test_a_reset_fingerprint_changes_the_password_once(site: Site) -> None:
    """Two requests with the same link at once: the store lets only one through."""
    author_id = account_holder(site, confirmed=False)
    fingerprint = site.accounts.password_fingerprint(author_id)
    assert fingerprint is not None

    assert site.accounts.set_password(author_id, NEW_PASSWORD, fingerprint=fingerprint)
    assert not site.accounts.set_password(author_id, "et tredje kodeord", fingerprint=fingerprint)
    assert not site.accounts.set_password(uuid.uuid4(), NEW_PASSWORD, fingerprint=fingerprint)

    assert site.accounts.check_password("ulla@example.dk", NEW_PASSWORD) is not None
    assert site.accounts.password_fingerprint(author_id) != fingerprint
    account = site.accounts.by_author(author_id)
    assert account is not None and account.email_confirmed


def test_a_password_reset_ends_other_sessions_and_revokes_tokens(
    site: Site, editor: uuid.UUID
) -> None:
    """Whoever knew the old password (or stole a session) is locked out by a reset."""
    site.accounts.create(editor, "bo@example.dk", "det-gamle-kodeord", confirmed=True)
    token = site.accounts.create_token(editor, "script")
    with TestClient(create_app(site)) as client:
        sign_in(client, site, editor)
        assert "Bo Østergaard" in client.get("/pages").text
        fingerprint = site.accounts.password_fingerprint(editor)
        assert fingerprint is not None
        assert site.accounts.set_password(editor, "et-helt-nyt-kodeord", fingerprint=fingerprint)

        assert "Bo Østergaard" not in client.get("/pages").text  # the old session ended
        refused = client.get("/account", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
        assert site.accounts.author_for_token(token) is None


def test_confirming_needs_the_password_of_whoever_registered(
    client: TestClient, site: Site, mail_dir: Path
) -> None:
    """Someone registers in another's name and address: the owner's click (or a mail
    scanner's) on the unexpected mail must not confirm the impostor's account."""
    register(client, name="Mette Hansen", email="mette@example.dk", password="impostorens-kode")
    link = link_in(mails(mail_dir)[0])
    client.cookies.clear()  # the owner's own browser

    wrong = confirm(client, link, password="ikke-det-rigtige")

    assert wrong.status_code == 401 and "Kodeordet er forkert" in wrong.text
    account = site.accounts.by_email("mette@example.dk")
    assert account is not None and not account.email_confirmed
    assert viewer_name(client) is None
