"""The JSON API (`/api/v1`, described by `/api/v1/openapi.json`), the signed export and
the published signing keys.

Reads come from the read model (`site.reader`); changes go through the application
service (`site.wiki`), which decides who may do what, and the answer waits until the
read model shows the change (read your writes). A change made with the browser session
must carry the `X-CSRF-Token` header; a bearer token needs none.

`/api/v1/pages/{title}` takes any title, slashes included, so a page's own resources
(`/revisions`, `/diff`, `/credits`, `/blame`, `/backlinks`, `/revert`, `/rename`) are
routed first: a page whose title ends in one of those words can be edited here but not
read at its plain address (an accepted limitation; titles like that are rare).
"""

import functools
from collections.abc import Awaitable, Callable, Iterator
from urllib.parse import quote
from uuid import UUID

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from storage.eventlog import export_log
from storage.records import PageView
from web import api_models as models
from web import openapi
from web.api_models import InvalidField, parsed_body, parsed_query
from web.auth import require_viewer, site_of
from web.csrf import check_csrf_header
from web.forms import hit, hit_password_guess
from web.registration import register_account
from web.site import Site
from wikiengine.application import SaveResult, Wiki
from wikiengine.diff import unified
from wikiengine.errors import (
    AuthorNotFound,
    Forbidden,
    InvalidTitle,
    PageDeleted,
    PageNotFound,
    RevisionNotFound,
    WikiError,
)
from wikiengine.keyring import keys_document
from wikiengine.titles import normalise_title, slug_for

EXPORT_CHUNK_BYTES = 64 * 1024
UNLABELLED = "API"  # the label of a token asked for without one
PAGE = "/api/v1/pages/{title:path}"

Endpoint = Callable[[Request], Awaitable[Response]]


class WrongPassword(WikiError):
    """The same answer whether or not an account has the address: no account oracle."""

    code = "not_authenticated"

    def __init__(self) -> None:
        super().__init__("Wrong e-mail address or password.")


class EmailNotConfirmed(Forbidden):
    def __init__(self) -> None:
        super().__init__(
            "Confirm your e-mail address first: follow the link in the mail we sent you."
        )


def blocking(handler: Callable[[Request], Response]) -> Endpoint:
    """A handler that reads the store: run in the thread pool."""

    @functools.wraps(handler)
    async def run(request: Request) -> Response:
        return await run_in_threadpool(handler, request)

    return run


def _answer(model: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        model.model_dump(mode="json", by_alias=True), status_code=status, headers=headers
    )


# ---------------------------------------------------------------------- accounts


async def create_account(request: Request) -> Response:
    """`POST /api/v1/accounts`: an unconfirmed account; the confirmation link is mailed."""
    site = site_of(request)
    hit(site, "register", request)
    wanted = parsed_body(models.NewAccount, await request.body())
    author_id = await run_in_threadpool(
        register_account, site, name=wanted.name, email=wanted.email, password=wanted.password
    )
    return _answer(models.AccountCreated(author_id=str(author_id)), 201)


async def create_token(request: Request) -> Response:
    """`POST /api/v1/tokens`: a personal API token for a confirmed account."""
    site = site_of(request)
    hit(site, "token", request)
    wanted = parsed_body(models.NewToken, await request.body())
    hit_password_guess(site, wanted.email)
    token = await run_in_threadpool(_token_for, site, wanted)
    return _answer(models.TokenCreated(token=token), 201)


def _token_for(site: Site, wanted: models.NewToken) -> str:
    account = site.accounts.check_password(wanted.email, wanted.password)
    if account is None:
        raise WrongPassword()
    if not account.email_confirmed:
        raise EmailNotConfirmed()
    return site.accounts.create_token(account.author_id, wanted.label or UNLABELLED)


# ---------------------------------------------------------------------- reading pages


@blocking
def page(request: Request) -> Response:
    """`GET /api/v1/pages/{title}`: the current page; an old title answers for the new one."""
    return _answer(models.Page.model_validate(_live_page(request)))


@blocking
def revisions(request: Request) -> Response:
    query = parsed_query(models.RevisionsQuery, request.query_params)
    found = site_of(request).reader.revisions(_live_page(request).title, query.limit, query.before)
    return _answer(models.Revisions.model_validate(found))


@blocking
def revision(request: Request) -> Response:
    """One revision with its text (410 when an administrator suppressed the text)."""
    version: int = request.path_params["version"]
    if not 1 <= version <= models.MAX_NUMBER:
        raise RevisionNotFound(f"There is no version {version}.")
    title = _live_page(request).title
    reader = site_of(request).reader
    text = reader.version(title, version).body
    entry = reader.revisions(title, 1, before=version + 1).revisions[0]
    fields = models.RevisionEntry.model_validate(entry).model_dump()
    return _answer(models.RevisionText.model_validate({**fields, "body": text}))


@blocking
def diff(request: Request) -> Response:
    """`?from=A&to=B` as a unified diff; `to` defaults to the current version, `from`
    to the one before it (0: the empty text before the page existed)."""
    query = parsed_query(models.DiffQuery, request.query_params)
    current = _live_page(request)
    to = query.to if query.to is not None else current.version
    start = query.from_ if query.from_ is not None else to - 1
    reader = site_of(request).reader
    # `to` first: a missing `to` is what an error should name, not the `from` taken from it.
    new, old = (
        reader.version(current.title, version).body if version else "" for version in (to, start)
    )
    text = unified(old, new, f"{current.title} v{start}", f"{current.title} v{to}")
    return _answer(models.Diff.model_validate({"from": start, "to": to, "unified": text}))


@blocking
def credits(request: Request) -> Response:
    contributors = site_of(request).reader.credits(_live_page(request).title)
    return _answer(models.Credits.model_validate({"contributors": contributors}))


@blocking
def blame(request: Request) -> Response:
    found = site_of(request).reader.blame(_live_page(request).title)
    return _answer(models.Blame.model_validate(found))


@blocking
def backlinks(request: Request) -> Response:
    found = _live_page(request).backlinks
    return _answer(models.Backlinks.model_validate({"backlinks": found}))


def _live_page(request: Request) -> PageView:
    """The page the path names (following renames): 404 if none, 410 if deleted."""
    title = request.path_params["title"]
    try:
        view = site_of(request).reader.page(title)
    except InvalidTitle:
        raise PageNotFound(title) from None
    if view.deleted:
        raise PageDeleted(view.title)
    return view


# ---------------------------------------------------------------------- changing pages


async def save_page(request: Request) -> Response:
    """`PUT /api/v1/pages/{title}`: 201 when it created the page, else 200."""
    site = site_of(request)
    by = await _editor(request)
    title = _title_to_change(request)
    edit = parsed_body(models.PageEdit, await request.body())
    result = await _saved(
        site,
        functools.partial(
            site.wiki.save_page, by, title, edit.body, edit.summary, edit.base_version
        ),
    )
    if edit.base_version is None and result.changed and result.version == 1:
        location = "/api/v1/pages/" + quote(slug_for(result.title))
        return _answer(_saved_model(result), 201, {"Location": location})
    return _answer(_saved_model(result))


async def page_resource(request: Request) -> Response:
    """One route for both methods, so a wrong method is told both (405 with `Allow`)."""
    return await (save_page(request) if request.method == "PUT" else page(request))


async def revert_page(request: Request) -> Response:
    """Make an earlier version's text current again (a new revision)."""
    site = site_of(request)
    by = await _editor(request)
    title = _title_to_change(request)
    wanted = parsed_body(models.PageRevert, await request.body())
    result = await _saved(
        site,
        functools.partial(
            site.wiki.revert_page, by, title, wanted.to_version, wanted.summary, wanted.base_version
        ),
    )
    return _answer(_saved_model(result))


async def rename_page(request: Request) -> Response:
    """Give the page a new title; the old one keeps leading to it."""
    site = site_of(request)
    by = await _editor(request)
    title = _title_to_change(request)
    wanted = parsed_body(models.PageRename, await request.body())
    try:
        normalise_title(wanted.new_title)
    except InvalidTitle as problem:
        raise InvalidField("new_title", problem.reason) from None
    result = await _saved(
        site,
        functools.partial(
            site.wiki.rename_page, by, title, wanted.new_title, wanted.summary, wanted.base_version
        ),
    )
    return _answer(_saved_model(result))


async def _editor(request: Request) -> UUID:
    """Who asks for the change (401 when nobody); whether they may is the wiki's call."""
    viewer = await run_in_threadpool(require_viewer, request)
    if not viewer.by_token:
        check_csrf_header(request)
    return viewer.author_id


def _title_to_change(request: Request) -> str:
    title: str = request.path_params["title"]
    try:
        normalise_title(title)
    except InvalidTitle as problem:
        raise InvalidField("title", problem.reason) from None
    return title


async def _saved(site: Site, command: Callable[[], SaveResult]) -> SaveResult:
    def run() -> SaveResult:
        result = command()
        site.saw(result.notification_id)
        return result

    return await run_in_threadpool(run)


def _saved_model(result: SaveResult) -> models.Saved:
    return models.Saved(
        title=result.title,
        slug=slug_for(result.title),
        version=result.version,
        merged=result.merged,
    )


# ---------------------------------------------------------------------- across the wiki


@blocking
def recent_changes(request: Request) -> Response:
    """Changes across the wiki, newest first; `next` continues as `before`."""
    query = parsed_query(models.RecentChangesQuery, request.query_params)
    changes = site_of(request).reader.recent_changes(query.limit, query.before)
    following = changes[-1].position if len(changes) == query.limit else None
    return _answer(models.RecentChanges.model_validate({"changes": changes, "next": following}))


@blocking
def author(request: Request) -> Response:
    """An author's public profile and contributions (404 for an unknown or malformed id)."""
    raw = request.path_params["author_id"]
    try:
        author_id = UUID(raw)
    except ValueError:
        raise AuthorNotFound(f"No author with id {raw}.") from None
    profile = site_of(request).reader.author(str(author_id))
    return _answer(models.AuthorProfile.model_validate(profile))


def openapi_document(request: Request) -> Response:
    """`GET /api/v1/openapi.json`: this API, generated from `web.api_models`."""
    return JSONResponse(openapi.document(site_of(request).settings.base_url))


# ---------------------------------------------------------------------- audit


def export(request: Request) -> Response:
    """`GET /api/v1/export`: the signed log as JSON lines, read from the store as sent."""
    return StreamingResponse(
        export_chunks(site_of(request).wiki),
        media_type="application/x-ndjson",
        headers={"Cache-Control": "no-store"},
    )


def export_chunks(wiki: Wiki) -> Iterator[bytes]:
    """Export lines gathered into chunks, so a large log is not one thread hop per line."""
    buffer: list[bytes] = []
    size = 0
    for line in export_log(wiki):
        encoded = line.encode("utf-8") + b"\n"
        buffer.append(encoded)
        size += len(encoded)
        if size >= EXPORT_CHUNK_BYTES:
            yield b"".join(buffer)
            buffer, size = [], 0
    if buffer:
        yield b"".join(buffer)


def signing_keys(request: Request) -> Response:
    """`GET /.well-known/wiki-signing-keys.json`: the keys signatures are checked with."""
    return JSONResponse(keys_document(site_of(request).wiki.published_keys()))


# Order matters: the page's own resources before the page (see the module docstring).
ROUTES: list[BaseRoute] = [
    Route("/api/v1/openapi.json", openapi_document, methods=["GET"], name="api_openapi"),
    Route("/api/v1/accounts", create_account, methods=["POST"], name="api_accounts"),
    Route("/api/v1/tokens", create_token, methods=["POST"], name="api_tokens"),
    Route("/api/v1/recent-changes", recent_changes, methods=["GET"], name="api_recent"),
    Route("/api/v1/authors/{author_id}", author, methods=["GET"], name="api_author"),
    Route(PAGE + "/revisions/{version:int}", revision, methods=["GET"], name="api_revision"),
    Route(PAGE + "/revisions", revisions, methods=["GET"], name="api_revisions"),
    Route(PAGE + "/diff", diff, methods=["GET"], name="api_diff"),
    Route(PAGE + "/credits", credits, methods=["GET"], name="api_credits"),
    Route(PAGE + "/blame", blame, methods=["GET"], name="api_blame"),
    Route(PAGE + "/backlinks", backlinks, methods=["GET"], name="api_backlinks"),
    Route(PAGE + "/revert", revert_page, methods=["POST"], name="api_revert"),
    Route(PAGE + "/rename", rename_page, methods=["POST"], name="api_rename"),
    Route(PAGE, page_resource, methods=["GET", "PUT"], name="api_page"),
    Route("/api/v1/export", export, methods=["GET"], name="api_export"),
    Route(
        "/.well-known/wiki-signing-keys.json", signing_keys, methods=["GET"], name="signing_keys"
    ),
]
