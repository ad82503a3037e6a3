"""Cross-site request forgery: a synchronizer token on every form, and an Origin check.

Every form carries the session's token in a hidden field; `checked_form` reads a posted
form and refuses it when the token is missing or wrong. JSON requests authenticated by
the session cookie must send the token as `X-CSRF-Token`; requests with a bearer token
carry no ambient credential and need none. Independently, `OriginCheckMiddleware`
refuses unsafe requests whose `Origin` (or `Sec-Fetch-Site`) says another site sent them.
"""

import hmac
import secrets
from urllib.parse import urlsplit

from starlette.datastructures import FormData, Headers
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from wikiengine.errors import Forbidden

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_FIELDS = 50
MAX_FORM_PART_BYTES = 2 * 1024 * 1024


class CsrfRefused(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "The form was not sent from this wiki, or it is too old. Reload it and try again."
        )


def csrf_token(request: Request) -> str:
    """The session's token, made on first use (so plain readers get no cookie)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def _matches(request: Request, sent: object) -> bool:
    expected = request.session.get("csrf")
    return (
        isinstance(expected, str)
        and isinstance(sent, str)
        and hmac.compare_digest(expected.encode(), sent.encode())
    )


async def checked_form(request: Request) -> FormData:
    """The posted form, once its CSRF token is known good; raises `CsrfRefused` otherwise."""
    form = await request.form(
        max_files=0, max_fields=MAX_FORM_FIELDS, max_part_size=MAX_FORM_PART_BYTES
    )
    if not _matches(request, form.get(CSRF_FIELD)):
        raise CsrfRefused()
    return form


def check_csrf_header(request: Request) -> None:
    """For JSON requests that rely on the session cookie."""
    if not _matches(request, request.headers.get(CSRF_HEADER)):
        raise CsrfRefused()


class OriginCheckMiddleware:
    """Refuses unsafe requests that a browser says came from another site.

    `allowed_origin` is the wiki's own origin (`WIKI_BASE_URL`); the request's own host is
    accepted too, so a wiki reached by another name behind a proxy still works.
    """

    def __init__(self, app: ASGIApp, allowed_origin: str) -> None:
        self.app = app
        parts = urlsplit(allowed_origin)
        self.allowed_origin = f"{parts.scheme}://{parts.netloc}"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if self._foreign(scope, headers):
            response = (
                JSONResponse(
                    {"error": {"code": "forbidden", "message": "Cross-site request refused."}},
                    status_code=403,
                )
                if scope["path"].startswith("/api/")
                else PlainTextResponse("Forespørgsler fra andre websteder afvises.", 403)
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def _foreign(self, scope: Scope, headers: Headers) -> bool:
        origin = headers.get("origin")
        if origin is not None:
            own = f"{scope.get('scheme', 'http')}://{headers.get('host', '')}"
            return origin not in (self.allowed_origin, own)
        return headers.get("sec-fetch-site") == "cross-site"
