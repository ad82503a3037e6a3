"""The account page (`/account`): who you are to the wiki (name, address, whether an
administrator has confirmed your name), your personal API tokens, and erasing your
personal data.

A new token is shown once, in the answer to the form that made it: only its digest is
stored, so it cannot be shown again, only revoked.

Erasing deletes the account (address, password hash), the tokens and the identity
provider's logins, and ends every session; the public name on past edits stays, since
the signed history cannot change (`docs/privacy.md`).
"""

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web.auth import Viewer, log_out, require_viewer, site_of, viewer_of
from web.csrf import checked_form
from web.forms import NO_STORE, hit, hit_password_guess, login_redirect
from web.i18n import gettext as _
from web.site import Site
from web.templating import danish_time, templates
from wikiengine.errors import NotAuthenticated

MAX_LABEL_LENGTH = 100
ERASE_CONFIRMATION = "confirm_erasure"  # the checkbox: an irreversible act is never a slip


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


async def erase(request: Request) -> Response:
    """`POST /account/erase`: erase the viewer's personal data, with the box ticked and,
    for an account with a password, that password."""
    site = site_of(request)
    form = await checked_form(request)
    viewer = await run_in_threadpool(require_viewer, request)
    account = await run_in_threadpool(site.accounts.by_author, viewer.author_id)
    errors: dict[str, str] = {}
    status = 422
    if form.get(ERASE_CONFIRMATION) != "yes":
        errors[ERASE_CONFIRMATION] = _("Sæt flueben, hvis du vil slette dine personoplysninger.")
    elif account is not None:
        hit(site, "login", request)  # a password is tried: the same limits as logging in
        hit_password_guess(site, account.email)
        password = form.get("password")
        checked = await run_in_threadpool(
            site.accounts.check_password,
            account.email,
            password if isinstance(password, str) else "",
        )
        if checked is None:
            errors["password"] = _("Kodeordet er forkert.")
            status = 401
    if errors:
        context = await run_in_threadpool(_context, site, viewer)
        context.update(erase_errors=errors)
        return templates.TemplateResponse(
            request, "account.html", context, status_code=status, headers=NO_STORE
        )
    await run_in_threadpool(site.accounts.erase, viewer.author_id)
    await run_in_threadpool(site.identities.forget, viewer.author_id)
    log_out(request)
    return templates.TemplateResponse(
        request,
        "message.html",
        {
            "headline": _("Dine personoplysninger er slettet"),
            "paragraphs": [
                _(
                    "Din e-mailadresse, dit kodeord, dine API-nøgler og dine login gennem"
                    " din organisation er slettet, og du er logget ud overalt."
                ),
                _(
                    "Dit navn, {name}, står stadig ved det, du har skrevet: wikien viser"
                    " altid, hvem der skrev hvad, og den underskrevne historik kan ikke"
                    " ændres. Du kan oprette en ny konto med samme adresse; den bliver en"
                    " ny forfatter."
                ).format(name=viewer.name),
            ],
            "links": [(f"/authors/{viewer.author_id}", _("Det, der stadig står om dig"))],
        },
        headers=NO_STORE,
    )


def _context(site: Site, viewer: Viewer) -> dict[str, Any]:
    account = site.accounts.by_author(viewer.author_id)
    if viewer.blocked:
        identity = _("Blokeret: du kan læse med, men ikke redigere.")
    elif viewer.verified:
        identity = _("Bekræftet: du kan redigere under dit navn.")
    else:
        identity = _("Venter på, at en administrator bekræfter dit navn.")
    tokens = [
        {"id": token.id, "label": token.label, "created": danish_time(token.created_at)}
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
        "erase_errors": {},
        "erase_confirmation": ERASE_CONFIRMATION,
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
    Route("/account/erase", erase, methods=["POST"], name="erase_account"),
]
