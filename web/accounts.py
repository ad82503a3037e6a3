"""Local accounts in the browser: register, confirm the e-mail address, log in and out,
reset a forgotten password. The account page and its API tokens are in `web.account_page`.

Every form is plain HTML (no scripts) with a CSRF token; every door a guesser could knock
on is rate limited per client; argon2 and mail run off the event loop. Whether someone may
edit is never decided here: an account only says who someone is.
"""

import logging
from collections.abc import Callable
from urllib.parse import urlencode, urlsplit
from uuid import UUID

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from storage.accounts import MIN_PASSWORD_LENGTH, AccountExists, normalise_email
from web import account_page
from web.auth import log_in, log_out, site_of, viewer_of
from web.csrf import checked_form
from web.forms import NO_STORE, hit, hit_password_guess, local_path
from web.i18n import gettext as _
from web.mail import MailNotSent
from web.password_reset import author_of_reset, reset_password, send_reset_link
from web.registration import (
    EmailAlreadyConfirmed,
    confirm_email,
    read_confirmation,
    register_account,
    resend_confirmation,
)
from web.site import Site
from web.templating import templates
from wikiengine.application import MAX_NAME_LENGTH
from wikiengine.errors import InvalidInput

log = logging.getLogger(__name__)


# ------------------------------------------------------------------ registration


def register_page(request: Request) -> Response:
    return _register_form(request, name="", email="", errors={}, status=200)


async def register(request: Request) -> Response:
    site = site_of(request)
    form = await checked_form(request)
    hit(site, "register", request)
    name, email = _text(form, "name"), _text(form, "email")
    password, repeat = _text(form, "password"), _text(form, "password_repeat")
    errors = _registration_errors(name, email, password, repeat)
    if errors:
        return _register_form(request, name=name, email=email, errors=errors, status=422)
    try:
        await run_in_threadpool(register_account, site, name=name, email=email, password=password)
    except AccountExists:
        errors = {
            "email": _(
                "Der findes allerede en konto med den e-mailadresse."
                " Log ind, eller få et nyt kodeord, hvis du har glemt det."
            )
        }
        return _register_form(request, name=name, email=email, errors=errors, status=409)
    except InvalidInput:  # what the form's own checks did not foresee
        errors = {"form": _("Oplysningerne kunne ikke bruges. Tjek navn og e-mailadresse.")}
        return _register_form(request, name=name, email=email, errors=errors, status=422)
    await run_in_threadpool(site.views_current)  # the new author is in the read model
    return _message(
        request,
        _("Tjek din e-mail"),
        [
            _("Vi har sendt en mail til {email} med et link, der bekræfter adressen.").format(
                email=normalise_email(email)
            ),
            _(
                "Derefter skal en administrator bekræfte, at navnet er dit rigtige navn."
                " Indtil da kan du læse med, men ikke redigere."
            ),
        ],
        links=[("/verify-email/resend", _("Kom mailen ikke? Få en ny"))],
    )


def _registration_errors(name: str, email: str, password: str, repeat: str) -> dict[str, str]:
    errors: dict[str, str] = {}
    clean_name = " ".join(name.split())
    if not clean_name:
        errors["name"] = _("Skriv dit fulde navn.")
    elif len(clean_name) > MAX_NAME_LENGTH:
        errors["name"] = _("Navnet må højst have {n} tegn.").format(n=MAX_NAME_LENGTH)
    try:
        normalise_email(email)
    except InvalidInput:
        errors["email"] = _("Skriv en gyldig e-mailadresse, fx navn@kommune.dk.")
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("Kodeordet skal have mindst {n} tegn.").format(n=MIN_PASSWORD_LENGTH)
    elif repeat != password:
        errors["password_repeat"] = _("De to kodeord er ikke ens.")
    return errors


def _register_form(
    request: Request, *, name: str, email: str, errors: dict[str, str], status: int
) -> Response:
    return templates.TemplateResponse(
        request,
        "register.html",
        {
            "section": "register",
            "name": name,
            "email": email,
            "errors": errors,
            "min_password": MIN_PASSWORD_LENGTH,
            "max_name": MAX_NAME_LENGTH,
        },
        status_code=status,
    )


# ------------------------------------------------------------------ e-mail confirmation


def verify_email_page(request: Request) -> Response:
    """The link from the mail: a form that confirms the address with the account's
    password (a GET changes nothing, so mail scanners that follow links confirm nothing)."""
    token = request.query_params.get("token", "")
    failed = _unusable_confirmation(request, lambda: read_confirmation(site_of(request), token))
    if failed is not None:
        return failed
    return _confirm_form(request, token=token, error=None, status=200)


async def verify_email(request: Request) -> Response:
    """Confirms the address when the password is the account's, and logs the person in."""
    site = site_of(request)
    form = await checked_form(request)
    hit(site, "login", request)  # a password is tried: the same limit as logging in
    token = _text(form, "token")
    outcome: list[UUID | None] = []

    def confirm() -> None:
        outcome.append(confirm_email(site, token, _text(form, "password")))

    failed = await run_in_threadpool(_unusable_confirmation, request, confirm)
    if failed is not None:
        return failed
    author_id = outcome[0]
    if author_id is None:
        error = _("Kodeordet er forkert. Skriv det kodeord, du valgte, da du oprettede kontoen.")
        return _confirm_form(request, token=token, error=error, status=401)
    await run_in_threadpool(log_in, request, author_id)
    viewer = await run_in_threadpool(viewer_of, request)
    next_step = (
        _("Du kan redigere med det samme.")
        if viewer is not None and viewer.may_edit
        else _(
            "Næste skridt: en administrator bekræfter, at {name} er dit rigtige navn."
            " Indtil da kan du læse med, men ikke redigere."
        ).format(name=viewer.name if viewer else "")
    )
    return _message(
        request,
        _("Din e-mailadresse er bekræftet"),
        [_("Du er nu logget ind."), next_step],
        links=[("/account", _("Se din konto"))],
    )


def _unusable_confirmation(request: Request, attempt: Callable[[], object]) -> Response | None:
    """None when `attempt` goes through; otherwise the page that says why the link fails."""
    try:
        attempt()
    except EmailAlreadyConfirmed:
        return _message(
            request,
            _("Adressen er allerede bekræftet"),
            [_("Linket er brugt. Du kan logge ind med din e-mailadresse og dit kodeord.")],
            links=[("/login", _("Log ind"))],
        )
    except InvalidInput:
        return _resend_form(
            request,
            headline=_("Linket virker ikke"),
            explanation=_(
                "Linket er ugyldigt eller udløbet (det virker i 48 timer)."
                " Skriv din e-mailadresse, så sender vi et nyt."
            ),
            status=422,
        )
    return None


def _confirm_form(request: Request, *, token: str, error: str | None, status: int) -> Response:
    return templates.TemplateResponse(
        request,
        "confirm_email.html",
        {"token": token, "errors": {"password": error} if error else {}},
        status_code=status,
        headers=NO_STORE,
    )


def resend_page(request: Request) -> Response:
    return _resend_form(
        request,
        headline=_("Få en ny bekræftelsesmail"),
        explanation=_("Skriv den e-mailadresse, du oprettede kontoen med."),
        status=200,
    )


async def resend(request: Request) -> Response:
    site = site_of(request)
    form = await checked_form(request)
    hit(site, "mail", request)
    # Sent after the answer, which is the same for every address: neither its words nor
    # its timing tell whether the address has an account.
    return _message(
        request,
        _("Tjek din e-mail"),
        [
            _(
                "Hvis der findes en konto med den adresse, som ikke er bekræftet endnu,"
                " har vi sendt en ny mail med et link."
            )
        ],
        background=_quietly(resend_confirmation, site, _text(form, "email")),
    )


def _resend_form(
    request: Request, *, headline: str, explanation: str, status: int, email: str = ""
) -> Response:
    return templates.TemplateResponse(
        request,
        "resend_confirmation.html",
        {"headline": headline, "explanation": explanation, "email": email},
        status_code=status,
        headers=NO_STORE,
    )


# ------------------------------------------------------------------ logging in and out


def login_page(request: Request) -> Response:
    next_path = local_path(request.query_params.get("next"))
    return _login_form(request, next_path=next_path, email="", error=None, status=200)


async def login(request: Request) -> Response:
    site = site_of(request)
    form = await checked_form(request)
    next_path = local_path(_text(form, "next"))
    hit(site, "login", request)
    email = _text(form, "email")
    hit_password_guess(site, email)
    account = await run_in_threadpool(site.accounts.check_password, email, _text(form, "password"))
    if account is None:
        error = _("E-mailadressen eller kodeordet er forkert.")
        return _login_form(request, next_path=next_path, email=email, error=error, status=401)
    if not account.email_confirmed:
        return _resend_form(
            request,
            headline=_("Bekræft din e-mailadresse først"),
            explanation=_(
                "Klik på linket i den mail, vi sendte, da du oprettede kontoen."
                " Kan du ikke finde den, sender vi gerne en ny."
            ),
            status=403,
            email=account.email,
        )
    await run_in_threadpool(log_in, request, account.author_id)
    return RedirectResponse(next_path, status_code=303)


def _login_form(
    request: Request, *, next_path: str, email: str, error: str | None, status: int
) -> Response:
    issuer = site_of(request).settings.oidc_issuer
    oidc_link = None
    if issuer:
        oidc_link = "/auth/oidc/login" + (
            f"?{urlencode({'next': next_path})}" if next_path != "/" else ""
        )
    return templates.TemplateResponse(
        request,
        "login.html",
        {
            "section": "login",
            "next": next_path,
            "email": email,
            "errors": {"form": error} if error else {},
            "oidc_host": urlsplit(issuer).netloc if issuer else None,
            "oidc_link": oidc_link,
        },
        status_code=status,
    )


def logout_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "logout.html", {})


async def logout(request: Request) -> Response:
    await checked_form(request)
    log_out(request)
    return RedirectResponse("/", status_code=303)


# ------------------------------------------------------------------ forgotten password


def reset_request_page(request: Request) -> Response:
    return templates.TemplateResponse(request, "reset_password.html", {"email": ""})


async def reset_request(request: Request) -> Response:
    site = site_of(request)
    form = await checked_form(request)
    hit(site, "mail", request)
    return _message(
        request,
        _("Tjek din e-mail"),
        [
            _(
                "Hvis der findes en konto med den adresse, har vi sendt en mail med et link"
                " til at vælge et nyt kodeord. Linket virker i en time."
            )
        ],
        background=_quietly(send_reset_link, site, _text(form, "email")),
    )


async def new_password_page(request: Request) -> Response:
    token = request.query_params.get("token", "")
    try:
        await run_in_threadpool(author_of_reset, site_of(request), token)
    except InvalidInput:
        return _reset_link_refused(request)
    return _new_password_form(request, token=token, errors={}, status=200)


async def new_password(request: Request) -> Response:
    site = site_of(request)
    form = await checked_form(request)
    token, password = _text(form, "token"), _text(form, "password")
    errors: dict[str, str] = {}
    if len(password) < MIN_PASSWORD_LENGTH:
        errors["password"] = _("Kodeordet skal have mindst {n} tegn.").format(n=MIN_PASSWORD_LENGTH)
    elif _text(form, "password_repeat") != password:
        errors["password_repeat"] = _("De to kodeord er ikke ens.")
    if errors:
        return _new_password_form(request, token=token, errors=errors, status=422)
    try:
        author_id = await run_in_threadpool(reset_password, site, token, password)
    except InvalidInput:
        return _reset_link_refused(request)
    await run_in_threadpool(log_in, request, author_id)
    return RedirectResponse("/account", status_code=303)


def _new_password_form(
    request: Request, *, token: str, errors: dict[str, str], status: int
) -> Response:
    return templates.TemplateResponse(
        request,
        "reset_password_new.html",
        {"token": token, "errors": errors, "min_password": MIN_PASSWORD_LENGTH},
        status_code=status,
        headers=NO_STORE,
    )


def _reset_link_refused(request: Request) -> Response:
    return _message(
        request,
        _("Linket virker ikke"),
        [
            _(
                "Linket til at vælge et nyt kodeord er ugyldigt, udløbet eller allerede brugt."
                " Et link virker i en time og kun én gang."
            )
        ],
        links=[("/reset-password", _("Få et nyt link"))],
        status=422,
    )


# ------------------------------------------------------------------ shared


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _message(
    request: Request,
    headline: str,
    paragraphs: list[str],
    *,
    links: list[tuple[str, str]] | None = None,
    status: int = 200,
    background: BackgroundTask | None = None,
) -> Response:
    return templates.TemplateResponse(
        request,
        "message.html",
        {"headline": headline, "paragraphs": paragraphs, "links": links or []},
        status_code=status,
        headers=NO_STORE,
        background=background,
    )


def _quietly(send: Callable[[Site, str], None], site: Site, email: str) -> BackgroundTask:
    """Send a mail after the response; a mail server that is down is logged, not shown
    (showing it would tell whether the address has an account)."""

    def run() -> None:
        try:
            send(site, email)
        except MailNotSent:
            log.exception("A %s mail could not be sent", send.__name__)

    return BackgroundTask(run)


ROUTES: list[BaseRoute] = [
    Route("/register", register_page, methods=["GET"], name="register"),
    Route("/register", register, methods=["POST"]),
    Route("/verify-email", verify_email_page, methods=["GET"], name="verify_email"),
    Route("/verify-email", verify_email, methods=["POST"]),
    Route("/verify-email/resend", resend_page, methods=["GET"], name="resend_confirmation"),
    Route("/verify-email/resend", resend, methods=["POST"]),
    Route("/login", login_page, methods=["GET"], name="login"),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout_page, methods=["GET"], name="logout"),
    Route("/logout", logout, methods=["POST"]),
    Route("/reset-password", reset_request_page, methods=["GET"], name="reset_password"),
    Route("/reset-password", reset_request, methods=["POST"]),
    Route("/reset-password/new", new_password_page, methods=["GET"], name="new_password"),
    Route("/reset-password/new", new_password, methods=["POST"]),
    *account_page.ROUTES,
]
