"""The account page (`/account`): who you are to the wiki (name, address, whether an
administrator has confirmed your name), and your personal API tokens.

A new token is shown once, in the answer to the form that made it: only its digest is
stored, so it cannot be shown again, only revoked.
"""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web.auth import Viewer, require_viewer, site_of, viewer_of
from web.csrf import checked_form
from web.forms import NO_STORE, danish_moment, hit, login_redirect
from web.i18n import gettext as _
from web.site import Site
from web.templating import templates
from wikiengine.errors import NotAuthenticated

MAX_LABEL_LENGTH = 100


def account(request: Request) -> Response:
    try:
        viewer = viewer_of(request)
    except NotAuthenticated:
        # A wrong bearer token: the error page asks for the viewer again, and
        # `viewer_of` remembers only successes, so it would raise a second time there.
        request.state.viewer = None
        raise
    if viewer is None:
        return login_redirect(request)
    context = _context(site_of(request), viewer)
    return templates.TemplateResponse(request, "account.html", context, headers=NO_STORE)


async def create_token(request: Request) -> Response:
    site = site_of(request)
    form = await checked_form(request)
    viewer = await run_in_threadpool(require_viewer, request)
    hit(site, "token", request)
    sent = form.get("label")
    label = " ".join(sent.split()) if isinstance(sent, str) else ""
    if not label or len(label) > MAX_LABEL_LENGTH:
        error = _("Giv nøglen et navn på højst {n} tegn, fx »Min bærbare«.").format(
            n=MAX_LABEL_LENGTH
        )
        context = await run_in_threadpool(_context, site, viewer)
        context.update(label=label, errors={"label": error})
        return templates.TemplateResponse(
            request, "account.html", context, status_code=422, headers=NO_STORE
        )
    token = await run_in_threadpool(site.accounts.create_token, viewer.author_id, label)
    context = await run_in_threadpool(_context, site, viewer)
    context.update(new_token=token, new_label=label)
    return templates.TemplateResponse(
        request, "account.html", context, status_code=201, headers=NO_STORE
    )


async def revoke_token(request: Request) -> Response:
    site = site_of(request)
    await checked_form(request)
    viewer = await run_in_threadpool(require_viewer, request)
    token_id = request.path_params["token_id"]
    await run_in_threadpool(site.accounts.revoke_token, viewer.author_id, token_id)
    return RedirectResponse("/account", status_code=303)


def _context(site: Site, viewer: Viewer) -> dict[str, Any]:
    account = site.accounts.by_author(viewer.author_id)
    if viewer.blocked:
        identity = _("Blokeret: du kan læse med, men ikke redigere.")
    elif viewer.verified:
        identity = _("Bekræftet: du kan redigere under dit navn.")
    else:
        identity = _("Venter på, at en administrator bekræfter dit navn.")
    tokens = [
        {"id": token.id, "label": token.label, "created": danish_moment(token.created_at)}
        for token in site.accounts.tokens(viewer.author_id)
    ]
    return {
        "section": "account",
        "account": account,
        "identity": identity,
        "tokens": tokens,
        "label": "",
        "errors": {},
        "new_token": None,
        "new_label": "",
        "max_label": MAX_LABEL_LENGTH,
    }


ROUTES: list[BaseRoute] = [
    Route("/account", account, methods=["GET"], name="account"),
    Route("/account/tokens", create_token, methods=["POST"], name="create_token"),
    Route(
        "/account/tokens/{token_id}/revoke",
        revoke_token,
        methods=["POST"],
        name="revoke_token",
    ),
]
