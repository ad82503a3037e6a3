"""Integrity: administrators run the verifier over the live store and see its verdict,
at `/admin/integrity` (HTML) and `GET /api/v1/admin/integrity` (JSON).

The check is `storage.eventlog.verify_store`, the one `wikiengine verify` runs: every
signature, hash chain, body digest and authority rule, trusting the keys of the wiki's
key file. It reads the whole log, so on a large store it takes seconds; it runs in the
thread pool, and in one thread only (it must not take every CPU from the readers). One
check runs at a time per process (`IntegrityChecks`): a request that arrives meanwhile
waits for it, then answers with a check that started after it arrived (the next one,
run once for all who waited), so a verdict never predates the question.
"""

import threading

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from storage.eventlog import verify_store
from web.admin_access import administrator_of, login_first
from web.auth import site_of
from web.forms import NO_STORE
from web.i18n import N_
from web.integrity_models import IntegrityProblem, IntegrityReport
from web.templating import templates
from wikiengine.application import Wiki
from wikiengine.errors import NotAuthenticated, WikiError
from wikiengine.verify import Report

MAX_SHOWN_PROBLEMS = 200  # the page lists this many; the JSON answer has them all

# What each problem kind means, for the page (the verifier's own message follows it).
PROBLEM_KINDS = {
    "malformed": N_("Linjen eller dens signerede indhold mangler felter eller har forkert form"),
    "damaged": N_("Hændelsen kan ikke læses"),
    "order": N_("Hændelserne står i forkert rækkefølge"),
    "envelope": N_("Linjens felter passer ikke med det signerede"),
    "unknown_key": N_("Signeret med en nøgle, der ikke er betroet"),
    "bad_signature": N_("Signaturen passer ikke: indholdet er ændret"),
    "chain_gap": N_("En hændelse mangler eller er flyttet"),
    "chain_broken": N_("Kæden er brudt: den forrige hændelse er ændret"),
    "time_order": N_("Signeret tidligere end den forrige hændelse"),
    "body_hash": N_("Teksten passer ikke med dens signerede kontrolsum"),
    "body_not_normalised": N_("Teksten er ikke normaliseret"),
    "body_missing": N_("Versionens tekst mangler"),
    "unjustified_redaction": N_("Teksten er skjult uden en skjulning, der dækker den"),
    "author_name": N_("Forfatterens navn passer ikke"),
    "not_authorised": N_("Handlingen kræver en administrator"),
    "author_unknown": N_("Forfatteren findes ikke"),
    "author_blocked": N_("Forfatteren var blokeret"),
    "author_not_verified": N_("Forfatterens identitet var ikke bekræftet"),
    "protected": N_("Ændring af en beskyttet side uden at være administrator"),
    "key_mismatch": N_("En nøgle er offentliggjort med en anden offentlig nøgle"),
}


class CheckRunning(WikiError):
    """Another request's check is running: come back (a waiting request would hold a
    worker thread for as long as the check takes)."""

    code = "check_running"
    retry_after = 10

    def __init__(self) -> None:
        super().__init__("An integrity check is running already; try again shortly.")


class IntegrityChecks:
    """One integrity check at a time in this process; others are told to come back."""

    def __init__(self) -> None:
        self._running = threading.Lock()

    def report(self, wiki: Wiki) -> Report:
        """A check of `wiki` that starts now (blocking); `CheckRunning` while one runs."""
        if not self._running.acquire(blocking=False):
            raise CheckRunning()
        try:
            return verify_store(wiki, jobs=1)
        finally:
            self._running.release()


CHECKS = IntegrityChecks()


def integrity_api(request: Request) -> Response:
    """`GET /api/v1/admin/integrity`: `{ok, events_checked, problems}`."""
    administrator_of(request)
    report = CHECKS.report(site_of(request).wiki)
    answer = IntegrityReport(
        ok=report.ok,
        events_checked=report.events_checked,
        problems=[IntegrityProblem(**problem.as_json()) for problem in report.problems],
    )
    return JSONResponse(answer.model_dump(mode="json"), headers=NO_STORE)


def integrity_page(request: Request) -> Response:
    """`/admin/integrity`: the verdict, the problems, and the keys an auditor needs."""
    try:
        administrator_of(request)
    except NotAuthenticated:
        return login_first(request)
    wiki = site_of(request).wiki
    report = CHECKS.report(wiki)
    return templates.TemplateResponse(
        request,
        "integrity.html",
        {
            "section": "admin",
            "report": report,
            "problems": report.problems[:MAX_SHOWN_PROBLEMS],
            "kinds": PROBLEM_KINDS,
            "keys": _published_keys(wiki),
            "signing_kid": wiki.signer.kid,
        },
        headers=NO_STORE,
    )


def _published_keys(wiki: Wiki) -> list[dict[str, str]] | None:
    """The keyring's keys, oldest first; None when a damaged keyring row cannot be read
    (the check above reports it: the page must still show that)."""
    try:
        published = wiki.published_keys()
    except Exception:
        return None
    return [{"kid": kid, **entry} for kid, entry in published.items()]


ROUTES: list[BaseRoute] = [
    Route("/admin/integrity", integrity_page, methods=["GET"], name="admin_integrity"),
    Route("/api/v1/admin/integrity", integrity_api, methods=["GET"], name="api_admin_integrity"),
]
