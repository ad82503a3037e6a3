"""Logging in with OpenID Connect (`WIKI_OIDC_*`): the wiki is the relying party.

`/auth/oidc/login` sends the browser to the provider (authorization code flow with PKCE
S256, state and nonce, kept in the session by authlib); `/auth/oidc/callback` exchanges
the code, verifies the ID token against the provider's keys and logs the person in.

An identity is the verified ID token's (issuer, subject), never the e-mail address. A new
identity becomes a new author under the name the provider gives; a login from the
configured issuer (the trusted one) verifies that author's identity, so they may edit at
once. A later login never renames the author: renaming is an administrator's signed act.
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

import httpx
from authlib.common.errors import AuthlibBaseError  # type: ignore[import-untyped]
from authlib.integrations.base_client import MismatchingStateError  # type: ignore[import-untyped]
from authlib.integrations.starlette_client import OAuth  # type: ignore[import-untyped]
from joserfc.errors import JoseError
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web.auth import log_in, site_of
from web.forms import NO_STORE, hit, local_path
from web.i18n import gettext as _
from web.site import Site
from web.templating import templates

try:  # authlib talks through httpx2 when it is installed, else through httpx
    import httpx2

    HTTP_ERRORS: tuple[type[Exception], ...] = (httpx.HTTPError, httpx2.HTTPError)
except ImportError:  # pragma: no cover (httpx2 is installed for the tests)
    HTTP_ERRORS = (httpx.HTTPError,)
# The provider is down or answers nonsense (not JSON, metadata without endpoints).
PROVIDER_BROKEN: tuple[type[Exception], ...] = (*HTTP_ERRORS, ValueError, RuntimeError)

CLIENT_NAME = "provider"
STATE_PREFIX = f"_state_{CLIENT_NAME}_"
SESSION_NEXT = "oidc_next"  # where to go after the provider sends the browser back
SCOPE = "openid profile email"


@dataclass(frozen=True)
class Provider:
    """The configured provider as this process talks to it."""

    client: Any  # authlib's StarletteOAuth2App (untyped)
    issuer: str  # the trusted issuer: its logins verify the author


class LoginFailed(Exception):
    """The login did not go through; the person sees why and a way back to `/login`."""

    def __init__(self, status: int, headline: str, explanation: str) -> None:
        super().__init__(headline)
        self.status, self.headline, self.explanation = status, headline, explanation


@dataclass(frozen=True)
class SignedIn:
    author_id: UUID
    new: bool
    verified_now: bool


# ---------------------------------------------------------------------------- routes


async def login(request: Request) -> Response:
    provider = await _provider(request)
    site = site_of(request)
    redirect_uri = site.settings.base_url + "/auth/oidc/callback"
    # Only the newest login started in a browser counts: abandoned ones would otherwise
    # pile up in the session cookie (authlib keeps each under `_state_<client>_<state>`)
    # until it outgrows what a browser stores.
    for key in [key for key in request.session if key.startswith(STATE_PREFIX)]:
        del request.session[key]
    try:
        response: Response = await provider.client.authorize_redirect(request, redirect_uri)
    except PROVIDER_BROKEN:
        return await _failure(request, _unreachable())
    # Only a path on this wiki is remembered: never a way on to another site.
    request.session[SESSION_NEXT] = local_path(request.query_params.get("next"))
    return response


async def callback(request: Request) -> Response:
    provider = await _provider(request)
    site = site_of(request)
    hit(site, "login", request)
    remembered = request.session.pop(SESSION_NEXT, None)
    next_path = local_path(remembered if isinstance(remembered, str) else None)
    try:
        claims = await _verified_claims(provider, request)
        signed_in = await run_in_threadpool(sign_in, site, provider.issuer, claims)
    except LoginFailed as failure:
        return await _failure(request, failure)
    await run_in_threadpool(log_in, request, signed_in.author_id)
    return RedirectResponse(next_path, status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/auth/oidc/login", login, name="oidc_login"),
    Route("/auth/oidc/callback", callback, name="oidc_callback"),
]


# --------------------------------------------------------------------- the identity


def sign_in(site: Site, trusted_issuer: str, claims: dict[str, Any]) -> SignedIn:
    """The author behind verified ID-token claims: found by (iss, sub), else registered
    under the provider's name. Blocking (the store): call it off the event loop. Waits
    until the views include what it wrote (read your writes)."""
    issuer, subject = claims["iss"], claims["sub"]
    identities = site.identities
    author_id = identities.author_for(issuer, subject)
    new = author_id is None
    written: list[int | None] = []
    if author_id is None:
        name = name_of(claims)
        if name is None:
            raise LoginFailed(
                422,
                _("Vi mangler dit navn"),
                _(
                    "Din identitetsudbyder sendte ikke dit fulde navn. Alle, der skriver i"
                    " wikien, står frem med deres rigtige navn, så du kan ikke logge ind"
                    " på denne måde, før udbyderen deler dit navn. Du kan også oprette en"
                    " konto med dit navn."
                ),
            )
        registered = site.wiki.register_author(name)
        written.append(site.wiki.recorder.max_notification_id())
        # Another login of the same identity may have linked it first: use that author.
        author_id = identities.link(issuer, subject, registered)
    verified_now = False
    if _same_issuer(issuer, trusted_issuer):
        notification_id = site.wiki.verify_author_by_identity_provider(author_id, issuer)
        verified_now = notification_id is not None
        written.append(notification_id)
    saved = [notification_id for notification_id in written if notification_id is not None]
    if saved:
        site.saw(max(saved))
    return SignedIn(author_id, new, verified_now)


def name_of(claims: dict[str, Any]) -> str | None:
    """The person's full name from standard claims: `name`, else given and family name."""
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name
    given, family = claims.get("given_name"), claims.get("family_name")
    if isinstance(given, str) and isinstance(family, str) and given.strip() and family.strip():
        return f"{given.strip()} {family.strip()}"
    return None


# ---------------------------------------------------------------------- the provider


async def _provider(request: Request) -> Provider:
    """The configured provider, made on first use and kept for the app's lifetime;
    404 when none is configured (the routes then do not exist)."""
    settings = site_of(request).settings
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise HTTPException(404)
    provider: Provider | None = getattr(request.app.state, "oidc_provider", None)
    if provider is None:
        issuer = settings.oidc_issuer.rstrip("/")
        client_kwargs = {"scope": SCOPE, "code_challenge_method": "S256"}
        if not settings.oidc_client_secret:
            # A public client: PKCE alone protects the code exchange.
            client_kwargs["token_endpoint_auth_method"] = "none"  # noqa: S105 (a method name)
        client = OAuth().register(
            CLIENT_NAME,
            server_metadata_url=issuer + "/.well-known/openid-configuration",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            client_kwargs=client_kwargs,
        )
        provider = Provider(client=client, issuer=settings.oidc_issuer)
        request.app.state.oidc_provider = provider
    return provider


async def _verified_claims(provider: Provider, request: Request) -> dict[str, Any]:
    """The ID token's claims after authlib checked state, nonce, signature (JWKS),
    issuer, audience and expiry; profile claims from `userinfo` if the token has none."""
    error = request.query_params.get("error")
    if error is not None:
        denied = error == "access_denied"
        raise LoginFailed(
            401 if denied else 400,
            _("Login blev afbrudt") if denied else _("Identitetsudbyderen meldte en fejl"),
            _("Du afviste at dele dine oplysninger med wikien, så du er ikke logget ind.")
            if denied
            else _("Login lykkedes ikke. Prøv igen, eller log ind med adgangskode."),
        )
    try:
        token = await provider.client.authorize_access_token(request)
        claims = token.get("userinfo")
        if not claims or not all(isinstance(claims.get(key), str) for key in ("iss", "sub")):
            raise LoginFailed(401, *_refused())  # no ID token, or one without an identity
        if name_of(claims) is None:
            claims = {**claims, **await _profile(provider, token, claims["sub"])}
    except MismatchingStateError:
        # No login was started in this browser with that state, or it is used already.
        raise LoginFailed(
            400,
            _("Login kunne ikke gennemføres"),
            _(
                "Svaret fra identitetsudbyderen hører ikke til et login, der er startet"
                " i denne browser, eller det er brugt allerede. Start forfra."
            ),
        ) from None
    except (AuthlibBaseError, JoseError):
        raise LoginFailed(401, *_refused()) from None
    except PROVIDER_BROKEN:
        raise _unreachable() from None
    return dict(claims)


async def _profile(provider: Provider, token: dict[str, Any], subject: str) -> dict[str, Any]:
    """Name claims from the userinfo endpoint (some providers keep them out of the ID
    token); only for the same subject, and never the identity claims themselves."""
    if "userinfo_endpoint" not in provider.client.server_metadata:
        return {}
    info = await provider.client.userinfo(token=token)
    if info.get("sub") != subject:
        return {}
    return {key: info[key] for key in ("name", "given_name", "family_name") if key in info}


def _same_issuer(issuer: str, trusted: str) -> bool:
    return issuer.rstrip("/") == trusted.rstrip("/")


def _refused() -> tuple[str, str]:
    return (
        _("Login blev ikke godkendt"),
        _("Identitetsudbyderens svar kunne ikke bekræftes. Prøv igen."),
    )


def _unreachable() -> LoginFailed:
    return LoginFailed(
        502,
        _("Identitetsudbyderen svarer ikke"),
        _(
            "Wikien kunne ikke nå identitetsudbyderen, eller den svarede ikke som ventet."
            " Prøv igen om lidt."
        ),
    )


async def _failure(request: Request, failure: LoginFailed) -> Response:
    # Off the event loop: the page's header looks up who is logged in.
    return await run_in_threadpool(
        templates.TemplateResponse,
        request,
        "message.html",
        {
            "headline": failure.headline,
            "paragraphs": [failure.explanation],
            "links": [("/login", _("Tilbage til log ind")), ("/", _("Til forsiden"))],
        },
        status_code=failure.status,
        headers=NO_STORE,
    )
