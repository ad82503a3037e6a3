"""Only administrators get past `/admin` and `/api/v1/admin`.

`AdministratorsOnly` is a route that `web.admin.ROUTES` puts before every administration
route (`web.app` lists the admin module before `web.audit`, `web.integrity` and the
rest). It takes each request for a path under those prefixes from anyone who is not a
verified, unblocked administrator, and answers 401 (nobody is logged in; the page links
to the login form) or 403; an administrator's request passes on to the real route. A
route added later under the prefixes is guarded without doing anything for it, and
`tests/test_admin_access.py` walks them all.

It is the friendly first check, not the only one: every act is checked again by the
wiki itself (`wikiengine.permissions`), and pages that show what only administrators
may see (the queue's addresses, hidden text, the read log) call `administrator_of`.
"""

from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import URLPath
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import Receive, Scope, Send

from web.auth import Viewer, viewer_of
from web.errors import wants_json
from web.forms import NO_STORE
from web.templating import templates
from wikiengine.errors import NotAuthenticated, WikiError
from wikiengine.permissions import require_administrator

ADMIN_PREFIXES = ("/admin", "/api/v1/admin")
_REFUSED = "administration_refused"  # the scope key that carries the refusal to `handle`


def is_administration(path: str) -> bool:
    """Whether `path` is under an administration prefix (`/administrator` is not)."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in ADMIN_PREFIXES)


def refusal(viewer: Viewer | None) -> WikiError | None:
    """Why `viewer` may not use the administration (the wiki's own rule, the one every
    administrator's command applies), or None when they may."""
    try:
        require_administrator(viewer.author if viewer is not None else None)
    except WikiError as refused:
        return refused
    return None


def administrator_of(request: Request) -> Viewer:
    """The administrator behind the request; raises 401 or 403 for anyone else."""
    viewer = viewer_of(request)
    refused = refusal(viewer)
    if refused is not None:
        raise refused
    assert viewer is not None  # refused otherwise
    return viewer


class AdministratorsOnly(BaseRoute):
    """Matches administration paths of requests that must be refused, and refuses them.

    Matching reads the viewer that `web.auth.ViewerMiddleware` has already found in the
    thread pool (for a request without credentials there is nothing to read).
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        if scope["type"] != "http" or not is_administration(_route_path(scope)):
            return Match.NONE, {}
        try:
            refused = refusal(viewer_of(Request(scope)))
        except NotAuthenticated as bad_token:
            refused = bad_token
        if refused is None:
            return Match.NONE, {}
        return Match.FULL, {_REFUSED: refused}

    def url_path_for(self, name: str, /, **path_params: Any) -> URLPath:
        raise NoMatchFound(name, path_params)  # it has no address of its own

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        refused: WikiError = scope[_REFUSED]
        request = Request(scope, receive)
        if not isinstance(refused, NotAuthenticated) or wants_json(request):
            raise refused  # answered by `web.errors`, like every other error
        response = login_first(request)
        await response(scope, receive, send)


def login_first(request: Request) -> Response:
    """401 in HTML: the administration needs a login, and the way to it (and back)."""
    here = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if request.method not in ("GET", "HEAD"):
        here = "/admin"  # a form's address cannot be opened after the login
    return templates.TemplateResponse(
        request,
        "admin_login.html",
        {"login_href": "/login?" + urlencode({"next": here}), "status": 401},
        status_code=401,
        headers=NO_STORE,
    )


def _route_path(scope: Scope) -> str:
    """The path as the router matches it: without the app's mount point (`--root-path`)."""
    path: str = scope["path"]
    root: str = scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
