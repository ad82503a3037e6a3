"""Errors to HTTP responses, in one place: the status for each error code, and the
answer: JSON (`{"error": {"code", "message", ...}}`) for the API, a Danish page otherwise.
"""

from collections.abc import Mapping
from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from search.index import SearchUnavailable
from web.i18n import N_
from web.i18n import gettext as _
from web.templating import templates
from wikiengine.errors import EditConflict, InvalidInput, PageNotFound, WikiError

STATUS_BY_CODE = {
    "not_authenticated": 401,
    "not_verified": 403,
    "blocked": 403,
    "forbidden": 403,
    "protected": 403,
    "not_found": 404,
    "method_not_allowed": 405,
    "page_exists": 409,
    "edit_conflict": 409,
    "page_deleted": 410,
    "suppressed": 410,
    "too_large": 413,
    "invalid": 422,
    "account_exists": 409,
    "rate_limited": 429,
    "mail_unavailable": 503,
    "search_unavailable": 503,
    "check_running": 503,
}

CODE_BY_STATUS = {404: "not_found", 405: "method_not_allowed", 413: "too_large"}

# Headline and explanation of the error page, by code (Danish; shown translated).
DANISH = {
    "not_found": (N_("Siden findes ikke"), N_("Der er ingen side her.")),
    "method_not_allowed": (
        N_("Det kan man ikke her"),
        N_("Adressen tager ikke imod den slags forespørgsel."),
    ),
    "not_authenticated": (N_("Log ind først"), N_("Du skal være logget ind for at gøre dette.")),
    "not_verified": (
        N_("Din identitet er ikke bekræftet endnu"),
        N_("En administrator skal bekræfte dit navn, før du kan redigere."),
    ),
    "blocked": (N_("Du er blokeret"), N_("Din konto er blokeret fra at redigere.")),
    "forbidden": (N_("Det har du ikke adgang til"), N_("Forespørgslen blev afvist.")),
    "protected": (N_("Siden er beskyttet"), N_("Kun administratorer kan ændre den.")),
    "too_large": (N_("For stor forespørgsel"), N_("Teksten eller formularen er for stor.")),
    "rate_limited": (N_("For mange forsøg"), N_("Vent lidt, og prøv igen.")),
    "check_running": (
        N_("Kontrollen kører allerede"),
        N_("En kontrol af hele historikken er i gang. Prøv igen om lidt."),
    ),
    "edit_conflict": (N_("Redigeringskonflikt"), N_("Siden er ændret af en anden imens.")),
    "invalid": (N_("Ugyldig forespørgsel"), N_("Forespørgslen kunne ikke bruges.")),
    "search_unavailable": (
        N_("Søgningen er ikke klar endnu"),
        N_("Søgeindekset bygges netop nu. Prøv igen om et øjeblik."),
    ),
    "mail_unavailable": (
        N_("Mailen kunne ikke sendes"),
        N_(
            "Wikiens mailserver svarer ikke lige nu. Prøv igen om lidt; har du oprettet en konto,"
            " kan du bede om en ny bekræftelsesmail fra login-siden."
        ),
    ),
    "page_deleted": (N_("Siden er slettet"), N_("En administrator kan genskabe den.")),
    "page_exists": (N_("Titlen er optaget"), N_("Der findes allerede en side med den titel.")),
    "suppressed": (
        N_("Versionen er skjult"),
        N_("En administrator har skjult teksten i denne version."),
    ),
}
DANISH_FALLBACK = (N_("Noget gik galt"), N_("Forespørgslen kunne ikke gennemføres."))

JSON_PREFIXES = ("/api/", "/.well-known/")


def wants_json(request: Request) -> bool:
    return request.url.path.startswith(JSON_PREFIXES)


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    if wants_json(request):
        body = {"error": {"code": code, "message": message, **(details or {})}}
        return JSONResponse(body, status_code=status, headers=headers)
    headline, explanation = (_(text) for text in DANISH.get(code, DANISH_FALLBACK))
    if code == "not_found" and details and "title" in details:
        explanation = _("Der er ingen side med titlen »%(title)s«.") % {"title": details["title"]}
    return templates.TemplateResponse(
        request,
        "error.html",
        {"headline": headline, "explanation": explanation, "status": status},
        status_code=status,
        headers=headers,
    )


def wiki_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, WikiError)
    details: dict[str, Any] | None = None
    if isinstance(exc, PageNotFound):
        details = {"title": exc.title}
    elif isinstance(exc, InvalidInput):
        details = {"field": exc.field, "line": exc.line}
    elif isinstance(exc, EditConflict):
        details = {"current_version": exc.current_version, "merged_body": exc.merged_body}
    retry_after = getattr(exc, "retry_after", None)  # RateLimited, CheckRunning
    headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else None
    status = STATUS_BY_CODE.get(exc.code, 400)
    return error_response(request, status, exc.code, str(exc), details, headers)


def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    code = CODE_BY_STATUS.get(exc.status_code, "error")
    return error_response(request, exc.status_code, code, exc.detail, headers=exc.headers)


def search_unavailable(request: Request, exc: Exception) -> Response:
    """This node's search index is being built (`docs/search.md`): come back shortly."""
    return error_response(
        request, 503, "search_unavailable", str(exc), headers={"Retry-After": "5"}
    )


EXCEPTION_HANDLERS: dict[Any, Any] = {
    WikiError: wiki_error,
    HTTPException: http_error,
    SearchUnavailable: search_unavailable,
}
