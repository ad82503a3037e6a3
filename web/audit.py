"""The audit log for administrators: every event of every aggregate, newest first,
filtered by author, page, event type and time, in the browser (`/admin/audit`), as JSON
(`GET /api/v1/admin/audit`) and as downloads of the whole filtered log (`.csv`,
`.jsonl`), streamed a page of the read model at a time.

Only administrators may read it (`web.admin_access`). It holds metadata only
(`storage.audit`): who signed what, when and why; never a page's text, suppressed or not.
"""

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import Any
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from storage.audit import DETAIL_KEYS
from storage.records import AuditEntry, AuditLog
from web.admin_access import administrator_of, login_first
from web.api import blocking
from web.api_models import InvalidField
from web.audit_models import (
    DEFAULT_LIMIT,
    AuditEvent,
    AuditEvents,
    AuditQuery,
    event_types,
    parsed_audit_query,
)
from web.auth import site_of
from web.forms import NO_STORE
from web.i18n import N_
from web.reading import TEXT_EVENTS, author_path
from web.templating import templates
from wikiengine.errors import NotAuthenticated
from wikiengine.markup import page_path

CHUNK_BYTES = 64 * 1024  # a download is sent in pieces of about this size
FILTERS = ("author", "title", "target", "type", "since", "until")
LIMITS = (50, 100, 200, 500)  # entries per page the form offers

# Danish names of the event types, as the log shows them.
LABELS = {
    "page.created": N_("Side oprettet"),
    "page.edited": N_("Side redigeret"),
    "page.reverted": N_("Side gendannet"),
    "page.renamed": N_("Side omdøbt"),
    "page.protected": N_("Side beskyttet"),
    "page.unprotected": N_("Beskyttelse fjernet"),
    "page.deleted": N_("Side slettet"),
    "page.restored": N_("Side genskabt"),
    "page.revision_suppressed": N_("Tekst skjult"),
    "slug.assigned": N_("Titel taget i brug"),
    "slug.reassigned": N_("Omdirigering overtaget"),
    "page_log.logged": N_("Side føjet til sidelisten"),
    "author.registered": N_("Forfatter registreret"),
    "author.identity_verified": N_("Identitet bekræftet"),
    "author.role_granted": N_("Rolle tildelt"),
    "author.role_revoked": N_("Rolle frataget"),
    "author.blocked": N_("Forfatter blokeret"),
    "author.unblocked": N_("Blokering ophævet"),
    "author.renamed": N_("Forfatter omdøbt"),
    "key.published": N_("Signeringsnøgle offentliggjort"),
}
GROUPS = (
    ("page.", N_("Sidehændelser")),
    ("slug.", N_("Titler")),
    ("page_log.", N_("Sidelisten")),
    ("author.", N_("Forfattere")),
    ("key.", N_("Signeringsnøgler")),
)
DETAIL_LABELS = {
    "old_title": N_("Tidligere titel"),
    "new_title": N_("Ny titel"),
    "to_version": N_("Gendannet til version"),
    "merged": N_("Flettet med ændringer imens"),
    "revision": N_("Skjult version"),
    "role": N_("Rolle"),
    "method": N_("Bekræftet ved"),
    "name": N_("Navn"),
    "slug": N_("Titel i adressen"),
    "new_kid": N_("Nøgle"),
}
# What the form says when a parameter cannot be used.
PROBLEMS = {
    "author": N_("Skriv et forfatter-id eller et navn."),
    "title": N_("Det er ikke en gyldig sidetitel."),
    "target": N_("Skriv id'et på den forfatter, hændelsen handler om."),
    "type": N_("Vælg hændelsestyper fra listen."),
    "since": N_("Skriv et tidspunkt som 2026-01-31 eller 2026-01-31T12:00:00Z."),
    "until": N_("Skriv et tidspunkt som 2026-01-31 eller 2026-01-31T12:00:00Z."),
    "limit": N_("Vælg et antal fra listen."),
}
UNUSABLE = N_("Adressen indeholder en parameter, der ikke kan bruges. Ret filteret, og prøv igen.")
CSV_COLUMNS = (
    "position",
    "signed_at",
    "type",
    "aggregate_id",
    "version",
    "author.id",
    "author.name",
    "summary",
    "page.id",
    "page.title",
    "page.slug",
    "target.id",
    "target.name",
    *(f"details.{key}" for key in DETAIL_KEYS),
    "links.page",
    "links.version",
    "links.diff",
    "links.author",
    "links.target",
)
# A cell starting like a formula is run by spreadsheets: such cells get a leading `'`.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# ---------------------------------------------------------------------- access


def _administrator_or_login(request: Request) -> Response | None:
    """For the HTML routes: None for an administrator, the 401 page that leads to the
    login form for nobody; 403 (raised) for anyone else."""
    try:
        administrator_of(request)
    except NotAuthenticated:
        return login_first(request)
    return None


# ---------------------------------------------------------------------- one event


def links(entry: AuditEntry) -> dict[str, str | None]:
    """Where an event can be looked at: its page, the page's version after it, the change
    it made to the text, who signed it and whom it concerns."""
    page = entry.page
    base = page_path(page.slug) if page is not None and page.slug is not None else None
    on_page = base is not None and entry.type.startswith("page.")
    return {
        "page": base,
        "version": f"{base}?version={entry.version}" if on_page else None,
        "diff": (
            f"{base}/diff?from={entry.version - 1}&to={entry.version}"
            if on_page and entry.type in TEXT_EVENTS
            else None
        ),
        "author": author_path(entry.author),
        "target": author_path(entry.target) if entry.target is not None else None,
    }


def audit_event(entry: AuditEntry) -> AuditEvent:
    """An event as the API, the JSON-lines download and (flattened) the CSV give it."""
    return AuditEvent.model_validate({**asdict(entry), "links": links(entry)})


def event_json(entry: AuditEntry) -> dict[str, Any]:
    return audit_event(entry).model_dump(mode="json")


def csv_cells(event: dict[str, Any]) -> list[str]:
    """An event's JSON as one CSV row (`CSV_COLUMNS`)."""
    flat: dict[str, Any] = {}
    for key, value in event.items():
        if isinstance(value, dict):
            flat.update({f"{key}.{inner}": item for inner, item in value.items()})
        else:
            flat[key] = value
    return [_cell(flat.get(column)) for column in CSV_COLUMNS]


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


# ---------------------------------------------------------------------- JSON


@blocking
def audit_api(request: Request) -> Response:
    """`GET /api/v1/admin/audit`: a page of the filtered log, newest first."""
    administrator_of(request)
    query = parsed_audit_query(request.query_params)
    found = site_of(request).reader.audit(query.filter(), query.limit, query.before, query.after)
    answer = AuditEvents(
        events=[audit_event(entry) for entry in found.entries],
        next=found.next,
        previous=found.previous,
    )
    return JSONResponse(answer.model_dump(mode="json"), headers=NO_STORE)


# ---------------------------------------------------------------------- downloads


def download_csv(request: Request) -> Response:
    """`/admin/audit.csv`: the whole filtered log, one row per event, newest first."""
    return _download(request, "csv", "text/csv; charset=utf-8", _csv_chunks)


def download_jsonl(request: Request) -> Response:
    """`/admin/audit.jsonl`: the whole filtered log, one JSON object per line."""
    return _download(request, "jsonl", "application/x-ndjson", _jsonl_chunks)


def _download(
    request: Request,
    suffix: str,
    media_type: str,
    chunks: Callable[[Iterable[AuditEntry]], Iterator[str]],
) -> Response:
    refused = _administrator_or_login(request)
    if refused is not None:
        return refused
    query = parsed_audit_query(request.query_params)
    entries = site_of(request).reader.audit_entries(query.filter())
    return StreamingResponse(
        _gathered(chunks(entries)),
        media_type=media_type,
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="audit.{suffix}"',
        },
    )


def _csv_chunks(entries: Iterable[AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for entry in entries:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(csv_cells(event_json(entry)))
        yield buffer.getvalue()


def _jsonl_chunks(entries: Iterable[AuditEntry]) -> Iterator[str]:
    for entry in entries:
        yield json.dumps(event_json(entry), ensure_ascii=False) + "\n"


def _gathered(pieces: Iterator[str]) -> Iterator[bytes]:
    """Pieces gathered into chunks: a large log is not one thread hop per line."""
    buffer: list[bytes] = []
    size = 0
    for piece in pieces:
        encoded = piece.encode("utf-8")
        buffer.append(encoded)
        size += len(encoded)
        if size >= CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


# ---------------------------------------------------------------------- the page


def audit_page(request: Request) -> Response:
    """`/admin/audit`: the filter form, a page of the log, paging and downloads."""
    refused = _administrator_or_login(request)
    if refused is not None:
        return refused
    try:
        query = parsed_audit_query(request.query_params)
    except InvalidField as problem:
        return _page(request, None, None, problem.field)
    found = site_of(request).reader.audit(query.filter(), query.limit, query.before, query.after)
    return _page(request, query, found)


def _page(
    request: Request,
    query: AuditQuery | None,
    found: AuditLog | None,
    wrong: str | None = None,
) -> Response:
    """The page; without `found`, the form and why parameter `wrong` cannot be used (422)."""
    filters = _filter_params(request)
    limit = (
        [("limit", str(query.limit))] if query is not None and query.limit != DEFAULT_LIMIT else []
    )
    older = newer = None
    if found is not None and found.next is not None:
        older = "/admin/audit?" + urlencode([*filters, *limit, ("before", found.next)])
    if found is not None and found.previous is not None:
        newer = "/admin/audit?" + urlencode([*filters, *limit, ("after", found.previous)])
    downloads = "?" + urlencode(filters) if filters else ""
    form = _form_values(request)
    if query is not None:
        form["limit"] = str(query.limit)
    return templates.TemplateResponse(
        request,
        "audit.html",
        {
            "section": "audit",
            "form": form,
            "groups": _type_groups(form["type"]),
            "limits": sorted({*LIMITS, query.limit}) if query is not None else LIMITS,
            "rows": [_row(entry) for entry in found.entries] if found is not None else None,
            "older": older,
            "newer": newer,
            "csv_url": "/admin/audit.csv" + downloads,
            "jsonl_url": "/admin/audit.jsonl" + downloads,
            "filtered": bool(filters),
            "wrong": wrong,
            "problem": PROBLEMS.get(wrong or "", UNUSABLE) if found is None else None,
            "author_path": author_path,
        },
        status_code=200 if found is not None else 422,
        headers=NO_STORE,
    )


def _form_values(request: Request) -> dict[str, Any]:
    """What the form shows: the values as typed (not as normalised)."""
    params = request.query_params
    values: dict[str, Any] = {name: params.get(name, "") for name in FILTERS if name != "type"}
    values["type"] = {
        kind.strip() for raw in params.getlist("type") for kind in raw.split(",") if kind.strip()
    }
    values["limit"] = params.get("limit", str(DEFAULT_LIMIT))
    return values


def _filter_params(request: Request) -> list[tuple[str, str]]:
    """The filter's parameters (no paging), to carry into paging links and downloads."""
    return [
        (name, value)
        for name, value in request.query_params.multi_items()
        if name in FILTERS and value.strip()
    ]


def _type_groups(chosen: set[str]) -> list[dict[str, Any]]:
    known = event_types()
    types = [kind for kind in LABELS if kind in known] + [k for k in known if k not in LABELS]
    return [
        {
            "label": label,
            "types": [
                {"value": kind, "label": LABELS.get(kind, kind), "checked": kind in chosen}
                for kind in types
                if kind.startswith(prefix)
            ],
        }
        for prefix, label in GROUPS
    ]


def _row(entry: AuditEntry) -> dict[str, Any]:
    """One event as the table shows it: details as (label, value), a flag's value None."""
    found = links(entry)
    details = [
        (DETAIL_LABELS[key], None if value is True else value)
        for key in DETAIL_KEYS
        if (value := entry.details.get(key)) is not None and value is not False
    ]
    hidden = entry.details.get("revision")
    base = found["page"]
    return {
        "entry": entry,
        "label": LABELS.get(entry.type, entry.type),
        "links": found,
        "details": details,
        # The public address of a hidden text answers 410: administrators read it here.
        "hidden_version": (
            f"/admin/pages/{base.removeprefix('/wiki/')}/revisions/{hidden}"
            if base and isinstance(hidden, int)
            else None
        ),
    }


ROUTES: list[BaseRoute] = [
    Route("/api/v1/admin/audit", audit_api, methods=["GET"], name="api_admin_audit"),
    Route("/admin/audit", audit_page, methods=["GET"], name="admin_audit"),
    Route("/admin/audit.csv", download_csv, methods=["GET"], name="admin_audit_csv"),
    Route("/admin/audit.jsonl", download_jsonl, methods=["GET"], name="admin_audit_jsonl"),
]
