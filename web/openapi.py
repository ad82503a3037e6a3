"""The OpenAPI 3.1 document of the JSON API, generated from `web.api_models`.

`OPERATIONS` says, for every route of the API, which models it reads and answers with
and which errors it can give; the schemas come from pydantic, so they are the ones the
API validates and serialises with. A test checks that every API route is listed here.
"""

import functools
import re
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from web import admin_models, audit_models, integrity_models
from web import api_models as models
from web.csrf import CSRF_HEADER
from web.errors import STATUS_BY_CODE
from web.sessions import SESSION_COOKIE

REF_TEMPLATE = "#/components/schemas/{model}"
PAGE = "/api/v1/pages/{title:path}"
_PATH_PARAMETER = re.compile(r"{(\w+)(?::(\w+))?}")
_PATH_DESCRIPTIONS = {
    "title": "A page title (spaces or underscores); an old title leads to the renamed page.",
    "version": "A version of the page, counted from 1.",
    "author_id": "An author's id (a UUID).",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str  # as routed (`web.api.ROUTES`), convertors included
    name: str  # the operationId
    tag: str
    summary: str
    answer: type[BaseModel] | None = None  # None: a JSON object not described further
    ok: tuple[int, ...] = (200,)
    body: type[BaseModel] | None = None
    query: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    signed_in: bool = False  # needs a bearer token or the session (with X-CSRF-Token)
    media_type: str = "application/json"


_READ = (404, 410)
_CHANGE = (401, 403, 404, 409, 410, 413, 422)
_ADMIN_ACT = (401, 403, 404, 413, 422)
_ADMIN_AUTHOR = "/api/v1/admin/authors/{author_id}"
_ADMIN_PAGE = "/api/v1/admin/pages/{title:path}"

# fmt: off
OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "POST", "/api/v1/accounts", "create_account", "accounts",
        "Open an account; a link to confirm the e-mail address is mailed.",
        body=models.NewAccount, ok=(201,), answer=models.AccountCreated,
        errors=(409, 413, 422, 429, 503),
    ),
    Operation(
        "POST", "/api/v1/tokens", "create_token", "accounts",
        "A personal API token for a confirmed account.",
        body=models.NewToken, ok=(201,), answer=models.TokenCreated,
        errors=(401, 403, 413, 422, 429),
    ),
    Operation(
        "GET", PAGE, "get_page", "pages", "The current page.",
        answer=models.Page, errors=_READ,
    ),
    Operation(
        "PUT", PAGE, "save_page", "pages",
        "Create (201) or edit (200) a page. A stale base_version is merged 3-way when the"
        " changes do not overlap; otherwise 409 edit_conflict, and nothing is saved.",
        body=models.PageEdit, ok=(200, 201), answer=models.Saved, errors=_CHANGE,
        signed_in=True,
    ),
    Operation(
        "GET", PAGE + "/revisions", "list_revisions", "history",
        "The page's revisions, newest first.",
        query=models.RevisionsQuery, answer=models.Revisions, errors=(*_READ, 422),
    ),
    Operation(
        "GET", PAGE + "/revisions/{version:int}", "get_revision", "history",
        "One revision with its text (410 suppressed when its text is hidden).",
        answer=models.RevisionText, errors=_READ,
    ),
    Operation(
        "GET", PAGE + "/diff", "diff", "history", "A unified diff between two versions.",
        query=models.DiffQuery, answer=models.Diff, errors=(*_READ, 422),
    ),
    Operation(
        "GET", PAGE + "/credits", "credits", "history", "Everyone who changed the text.",
        answer=models.Credits, errors=_READ,
    ),
    Operation(
        "GET", PAGE + "/blame", "blame", "history",
        "Who wrote each line of the current text.",
        answer=models.Blame, errors=_READ,
    ),
    Operation(
        "GET", PAGE + "/backlinks", "backlinks", "pages",
        "Pages that link to or name this one.",
        answer=models.Backlinks, errors=_READ,
    ),
    Operation(
        "POST", PAGE + "/revert", "revert_page", "pages",
        "Make an earlier version's text current again, as a new revision.",
        body=models.PageRevert, answer=models.Saved, errors=_CHANGE, signed_in=True,
    ),
    Operation(
        "POST", PAGE + "/rename", "rename_page", "pages",
        "Give the page a new title; the old title keeps leading to it.",
        body=models.PageRename, answer=models.Saved, errors=_CHANGE, signed_in=True,
    ),
    Operation(
        "GET", "/api/v1/recent-changes", "recent_changes", "history",
        "Changes across the wiki, newest first.",
        query=models.RecentChangesQuery, answer=models.RecentChanges, errors=(422,),
    ),
    Operation(
        "GET", "/api/v1/authors/{author_id}", "get_author", "authors",
        "An author's public profile and contributions.",
        answer=models.AuthorProfile, errors=(404,),
    ),
    Operation(
        "GET", "/api/v1/search", "search", "search",
        "Full-text search with facets (kind, sector, theme, tags, authors).",
        query=models.SearchQuery, answer=models.SearchResults, errors=(422, 503),
    ),
    Operation(
        "GET", "/api/v1/export", "export", "audit",
        "The signed event log, one JSON line per event (docs/auditing.md).",
        answer=models.ExportLine, media_type="application/x-ndjson",
    ),
    Operation(
        "GET", "/.well-known/wiki-signing-keys.json", "signing_keys", "audit",
        "The public keys the signatures are checked with.",
        answer=models.SigningKeys,
    ),
    Operation(
        "GET", "/api/v1/admin/audit", "audit_log", "admin",
        "Administrators only (bearer token or session): every event of every aggregate,"
        " newest first, filtered by author, page, event type and time; no page text.",
        query=audit_models.AuditQuery, answer=audit_models.AuditEvents,
        errors=(401, 403, 422),
    ),
    Operation(
        "GET", "/api/v1/admin/integrity", "integrity", "admin",
        "Administrators only (bearer token or session): run the verifier over the live"
        " store, as `wikiengine verify` does; can take seconds on a large store.",
        answer=integrity_models.IntegrityReport, errors=(401, 403),
    ),
    # Administrators' acts (web/admin_api.py): bearer token, or session with X-CSRF-Token.
    Operation(
        "POST", _ADMIN_AUTHOR + "/verify", "admin_verify_author", "admin",
        "Confirm that the author's name is the person's real one (no body needed).",
        answer=admin_models.AuthorState, errors=_ADMIN_ACT, signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_AUTHOR + "/block", "admin_block_author", "admin",
        "Block the author from changing anything; the reason is signed with the act.",
        body=admin_models.Reasoned, answer=admin_models.AuthorState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_AUTHOR + "/unblock", "admin_unblock_author", "admin",
        "Lift the author's block; the reason is signed with the act.",
        body=admin_models.Reasoned, answer=admin_models.AuthorState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_AUTHOR + "/roles", "admin_author_roles", "admin",
        'Grant (`"grant": true`) or revoke (`"grant": false`) the administrator role.',
        body=admin_models.RoleChange, answer=admin_models.AuthorState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_PAGE + "/protect", "admin_protect_page", "admin",
        "Only administrators may change the page from now on.",
        body=admin_models.Reasoned, answer=admin_models.PageState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_PAGE + "/unprotect", "admin_unprotect_page", "admin",
        "Let every verified author change the page again.",
        body=admin_models.Reasoned, answer=admin_models.PageState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_PAGE + "/delete", "admin_delete_page", "admin",
        "Hide the page from readers; its history stays, and it can be restored.",
        body=admin_models.Reasoned, answer=admin_models.PageState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_PAGE + "/restore", "admin_restore_page", "admin",
        "Show a deleted page to readers again.",
        body=admin_models.Reasoned, answer=admin_models.PageState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "POST", _ADMIN_PAGE + "/revisions/{version:int}/suppress", "admin_suppress_revision",
        "admin",
        "Hide an earlier revision's text from every public surface; author, time, summary"
        " and digest stay (422 for the current text: save a new version first).",
        body=admin_models.Reasoned, answer=admin_models.PageState, errors=_ADMIN_ACT,
        signed_in=True,
    ),
    Operation(
        "GET", _ADMIN_PAGE + "/revisions/{version:int}", "admin_get_revision", "admin",
        "Any revision with its text, hidden or not; each read of hidden text is logged.",
        answer=admin_models.AdministratorsRevision, errors=(401, 403, 404),
    ),
    Operation(
        "GET", "/api/v1/admin/suppressed-reads", "admin_suppressed_reads", "admin",
        "Administrators' reads of hidden text, newest first.",
        query=admin_models.ReadsQuery, answer=admin_models.SuppressedReads,
        errors=(401, 403, 422),
    ),
    Operation("GET", "/api/v1/openapi.json", "openapi", "api", "This document."),
)
# fmt: on


def document(base_url: str) -> dict[str, Any]:
    """The OpenAPI document, with the wiki's own address as the server."""
    return {**_document(), "servers": [{"url": base_url}]}


def openapi_path(path: str) -> str:
    """`/api/v1/pages/{title}` for the routed `/api/v1/pages/{title:path}`."""
    return _PATH_PARAMETER.sub(r"{\1}", path)


@functools.cache
def _document() -> dict[str, Any]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(models.Error, "serialization")]
    for operation in OPERATIONS:
        if operation.body is not None:
            wanted.append((operation.body, "validation"))
        if operation.answer is not None:
            wanted.append((operation.answer, "serialization"))
    refs, definitions = models_json_schema(wanted, ref_template=REF_TEMPLATE)
    error = refs[(models.Error, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        answer = (
            refs[(operation.answer, "serialization")]
            if operation.answer is not None
            else {"type": "object"}
        )
        body = refs[(operation.body, "validation")] if operation.body is not None else None
        paths.setdefault(openapi_path(operation.path), {})[operation.method.lower()] = _operation(
            operation, answer, body, error
        )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Innovationswiki API",
            "version": "1",
            "description": (
                "Every change is signed with its author's verified name. Errors are"
                ' `{"error": {"code", "message", ...details}}`.'
            ),
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A personal token from POST /api/v1/tokens.",
                },
                "session": {
                    "type": "apiKey",
                    "in": "cookie",
                    "name": SESSION_COOKIE,
                    "description": "The browser session; changes need the X-CSRF-Token header.",
                },
            },
        },
    }


def _operation(
    operation: Operation,
    answer: dict[str, Any],
    body: dict[str, Any] | None,
    error: dict[str, Any],
) -> dict[str, Any]:
    responses: dict[str, Any] = {
        str(status): {
            "description": HTTPStatus(status).phrase,
            "content": {operation.media_type: {"schema": answer}},
        }
        for status in operation.ok
    }
    for status in operation.errors:
        responses[str(status)] = {
            "description": _error_codes(status),
            "content": {"application/json": {"schema": error}},
        }
    described: dict[str, Any] = {
        "operationId": operation.name,
        "summary": operation.summary,
        "tags": [operation.tag],
        "parameters": _path_parameters(operation.path) + _query_parameters(operation.query),
        "responses": responses,
    }
    if body is not None:
        described["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    if operation.signed_in:
        described["security"] = [{"bearer": []}, {"session": []}]
        described["parameters"].append(
            {
                "name": CSRF_HEADER,
                "in": "header",
                "required": False,
                "description": "Required when authenticated by the session cookie.",
                "schema": {"type": "string"},
            }
        )
    return described


def _error_codes(status: int) -> str:
    codes = [code for code, code_status in STATUS_BY_CODE.items() if code_status == status]
    phrase = HTTPStatus(status).phrase
    return f"{phrase}: {' | '.join(codes)}" if codes else phrase


def _path_parameters(path: str) -> list[dict[str, Any]]:
    return [
        {
            "name": name,
            "in": "path",
            "required": True,
            "description": _PATH_DESCRIPTIONS.get(name, ""),
            "schema": {"type": "integer" if convertor == "int" else "string"},
        }
        for name, convertor in _PATH_PARAMETER.findall(path)
    ]


def _query_parameters(query: type[BaseModel] | None) -> list[dict[str, Any]]:
    if query is None:
        return []
    schema = query.model_json_schema(ref_template=REF_TEMPLATE)
    required = set(schema.get("required", ()))
    parameters = []
    for name, property_schema in schema["properties"].items():
        described = {key: value for key, value in property_schema.items() if key != "title"}
        parameter: dict[str, Any] = {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": described,
        }
        if "description" in described:
            parameter["description"] = described.pop("description")
        parameters.append(parameter)
    return parameters
