"""Who is asking: the logged-in author of the session, or the owner of a bearer token.

Logging in only says who someone is. Whether they may edit is decided by the application
service for every command (`wikiengine.permissions`), from the author's events: web code
passes the author id along and never decides that itself.
"""

from dataclasses import dataclass
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Receive, Scope, Send

from web.i18n import SESSION_LANGUAGE
from web.site import Site
from wikiengine.authors import Author
from wikiengine.errors import AuthorNotFound, NotAuthenticated

SESSION_AUTHOR = "author"
# The fingerprint of the password the session was opened with: a new password (a reset)
# ends every session opened with the old one. None for a login without a password (OIDC).
SESSION_PASSWORD = "password_fingerprint"  # noqa: S105 (a session key, no secret)
# Set for a login through an identity provider (no password): the session ends when the
# author's identities are erased (`docs/privacy.md`).
SESSION_IDENTITY = "identity_login"


@dataclass(frozen=True)
class Viewer:
    """A logged-in person: their `Author` as the wiki's events describe them now."""

    author: Author
    by_token: bool  # authenticated by `Authorization: Bearer`, not the session cookie

    @property
    def author_id(self) -> UUID:
        return UUID(str(self.author.id))

    @property
    def name(self) -> str:
        return self.author.name

    @property
    def verified(self) -> bool:
        return self.author.is_verified

    @property
    def blocked(self) -> bool:
        return self.author.blocked

    @property
    def administrator(self) -> bool:
        return self.author.is_administrator

    @property
    def may_edit(self) -> bool:
        return self.verified and not self.blocked


def site_of(connection: HTTPConnection) -> Site:
    site: Site = connection.app.state.site
    return site


def viewer_of(request: Request) -> Viewer | None:
    """The person behind the request, or None for an anonymous reader.

    A bearer token that is not valid is an error (401), never a silent fallback to
    anonymous: a script must learn that its token is wrong. Asked again, it is again.
    """
    if getattr(request.state, "bearer_refused", False):
        raise NotAuthenticated()
    if hasattr(request.state, "viewer"):
        cached: Viewer | None = request.state.viewer
        return cached
    if _bearer(request) is None:
        viewer = _session_viewer(request)
    else:
        try:
            viewer = _bearer_viewer(request)
        except NotAuthenticated:
            request.state.bearer_refused = True
            raise
    request.state.viewer = viewer
    return viewer


def shown_viewer(request: Request) -> Viewer | None:
    """Who a page's header names: `viewer_of`, but nobody when a bearer token is bad
    (the error page that says so must not fail on asking again)."""
    try:
        return viewer_of(request)
    except NotAuthenticated:
        return None


class ViewerMiddleware:
    """Finds out who is asking before any endpoint runs, in the thread pool: it reads the
    store, and `async` endpoints (forms) would otherwise do that on the event loop."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            request = Request(scope)
            if "authorization" in request.headers or SESSION_AUTHOR in request.session:
                await run_in_threadpool(shown_viewer, request)
        await self.app(scope, receive, send)


def require_viewer(request: Request) -> Viewer:
    viewer = viewer_of(request)
    if viewer is None:
        raise NotAuthenticated()
    return viewer


def author_id_of(request: Request) -> UUID | None:
    """For commands: the author id to act as (None: anonymous, refused by the wiki)."""
    viewer = viewer_of(request)
    return viewer.author_id if viewer is not None else None


def log_in(request: Request, author_id: UUID) -> None:
    """Start a fresh session for the author (a new CSRF token: no fixation); only the
    chosen language carries over."""
    language = request.session.get(SESSION_LANGUAGE)
    request.session.clear()
    if language is not None:
        request.session[SESSION_LANGUAGE] = language
    request.session[SESSION_AUTHOR] = str(author_id)
    site = site_of(request)
    fingerprint = site.accounts.password_fingerprint(author_id)
    request.session[SESSION_PASSWORD] = fingerprint
    if fingerprint is None and site.identities.has_identity(author_id):
        request.session[SESSION_IDENTITY] = True
    request.state.viewer = _viewer(request, author_id, by_token=False)


def log_out(request: Request) -> None:
    language = request.session.get(SESSION_LANGUAGE)
    request.session.clear()
    if language is not None:
        request.session[SESSION_LANGUAGE] = language
    request.state.viewer = None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _bearer_viewer(request: Request) -> Viewer:
    token = _bearer(request)
    author_id = site_of(request).accounts.author_for_token(token) if token else None
    viewer = _viewer(request, author_id, by_token=True) if author_id is not None else None
    if viewer is None:
        raise NotAuthenticated()
    return viewer


def _session_viewer(request: Request) -> Viewer | None:
    if "session" not in request.scope:
        return None
    value = request.session.get(SESSION_AUTHOR)
    if not isinstance(value, str):
        return None
    try:
        author_id = UUID(value)
    except ValueError:
        return None
    site = site_of(request)
    if request.session.get(SESSION_PASSWORD) != site.accounts.password_fingerprint(author_id):
        return None  # the password changed (or was erased) since: this session has ended
    if request.session.get(SESSION_IDENTITY) and not site.identities.has_identity(author_id):
        return None  # the identity was erased since: this session has ended
    return _viewer(request, author_id, by_token=False)


def _viewer(request: Request, author_id: UUID, *, by_token: bool) -> Viewer | None:
    try:
        author = site_of(request).wiki.author(author_id)
    except AuthorNotFound:
        return None
    return Viewer(author, by_token=by_token)
