"""The administrators' JSON API (`/api/v1/admin/...`): verify, block, unblock and grant or
revoke the administrator role; protect, unprotect, delete and restore pages; suppress a
revision's text; read any revision's text (reads of hidden text are logged) and the log
of those reads.

`web.admin_access` refuses everyone but administrators before these run; each act is
then the wiki's command, which checks again and signs it. Authentication is a bearer
token, or the browser session with the `X-CSRF-Token` header on changes. Answers carry
`ok: true` and the author's or page's state after the act.
"""

from collections.abc import Callable
from typing import TypeVar
from uuid import UUID

from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from web import admin_models as models
from web.admin_access import administrator_of
from web.api_models import parsed_body, parsed_query
from web.auth import require_viewer, site_of
from web.csrf import check_csrf_header
from web.moderation import act, checked_title, logged_reads, revision_for_administrator
from web.site import Site
from wikiengine.application import Wiki
from wikiengine.errors import AuthorNotFound, RevisionNotFound
from wikiengine.titles import slug_for

AUTHOR = "/api/v1/admin/authors/{author_id}"
PAGE = "/api/v1/admin/pages/{title:path}"
REVISION = PAGE + "/revisions/{version:int}"

Model = TypeVar("Model", bound=BaseModel)


def _answer(model: BaseModel) -> Response:
    return JSONResponse(model.model_dump(mode="json", by_alias=True))


async def _administrator(request: Request) -> UUID:
    """Who acts (401 when nobody); a session needs the CSRF header, a token does not.
    Whether they may act is the wiki's call."""
    viewer = await run_in_threadpool(require_viewer, request)
    if not viewer.by_token:
        check_csrf_header(request)
    return viewer.author_id


async def _body(request: Request, model: type[Model]) -> Model:
    """The request's JSON as `model`; no body at all is the empty object."""
    raw = await request.body()
    return parsed_body(model, raw if raw.strip() else b"{}")


# ---------------------------------------------------------------------- authors


async def verify(request: Request) -> Response:
    """Confirm that the author's name is the person's real one."""
    by = await _administrator(request)
    await _body(request, models.NoFields)
    return await _on_author(request, lambda wiki, author_id: wiki.verify_author(by, author_id))


async def block(request: Request) -> Response:
    by = await _administrator(request)
    reason = (await _body(request, models.Reasoned)).reason
    return await _on_author(
        request, lambda wiki, author_id: wiki.block_author(by, author_id, reason)
    )


async def unblock(request: Request) -> Response:
    by = await _administrator(request)
    reason = (await _body(request, models.Reasoned)).reason
    return await _on_author(
        request, lambda wiki, author_id: wiki.unblock_author(by, author_id, reason)
    )


async def roles(request: Request) -> Response:
    """Grant or revoke a role (`{"role": "administrator", "grant": true}`)."""
    by = await _administrator(request)
    wanted = await _body(request, models.RoleChange)
    return await _on_author(
        request,
        lambda wiki, author_id: (wiki.grant_role if wanted.grant else wiki.revoke_role)(
            by, author_id, wanted.role
        ),
    )


async def _on_author(request: Request, command: Callable[[Wiki, UUID], int | None]) -> Response:
    site = site_of(request)
    author_id = _author_id(request)

    def run() -> models.AuthorState:
        changed = act(site, lambda: command(site.wiki, author_id))
        return _author_state(site, author_id, changed)

    return _answer(await run_in_threadpool(run))


def _author_id(request: Request) -> UUID:
    raw = request.path_params["author_id"]
    try:
        return UUID(raw)
    except ValueError:
        raise AuthorNotFound(f"No author with id {raw}.") from None


def _author_state(site: Site, author_id: UUID, changed: bool) -> models.AuthorState:
    author = site.wiki.author(author_id)
    return models.AuthorState(
        changed=changed,
        id=str(author_id),
        name=author.name,
        verification=author.verification,
        verified=author.is_verified,
        roles=list(author.roles),
        blocked=author.blocked,
        administrator=author.is_administrator,
    )


# ---------------------------------------------------------------------- pages


async def protect(request: Request) -> Response:
    """Only administrators may change the page from now on."""
    by = await _administrator(request)
    reason = (await _body(request, models.Reasoned)).reason
    return await _on_page(request, lambda wiki, title: wiki.protect_page(by, title, reason))


async def unprotect(request: Request) -> Response:
    by = await _administrator(request)
    reason = (await _body(request, models.Reasoned)).reason
    return await _on_page(request, lambda wiki, title: wiki.unprotect_page(by, title, reason))


async def delete(request: Request) -> Response:
    """Hide the page from readers; its history stays, and it can be restored."""
    by = await _administrator(request)
    reason = (await _body(request, models.Reasoned)).reason
    return await _on_page(request, lambda wiki, title: wiki.delete_page(by, title, reason))


async def restore(request: Request) -> Response:
    by = await _administrator(request)
    reason = (await _body(request, models.Reasoned)).reason
    return await _on_page(request, lambda wiki, title: wiki.restore_page(by, title, reason))


async def suppress(request: Request) -> Response:
    """Hide one revision's text from the public; author, time, summary and digest stay."""
    by = await _administrator(request)
    reason = (await _body(request, models.Reasoned)).reason
    version: int = request.path_params["version"]
    return await _on_page(
        request, lambda wiki, title: wiki.suppress_revision(by, title, version, reason)
    )


async def _on_page(request: Request, command: Callable[[Wiki, str], int | None]) -> Response:
    site = site_of(request)
    title = checked_title(request.path_params["title"])

    def run() -> models.PageState:
        changed = act(site, lambda: command(site.wiki, title))
        return _page_state(site, title, changed)

    return _answer(await run_in_threadpool(run))


def _page_state(site: Site, title: str, changed: bool) -> models.PageState:
    page = site.wiki.page_by_title(title)
    return models.PageState(
        changed=changed,
        title=page.title,
        slug=slug_for(page.title),
        version=page.version,
        protected=page.protected,
        deleted=page.deleted,
        suppressed=list(page.suppressed),
    )


# ---------------------------------------------------------------------- reading


def revision(request: Request) -> Response:
    """Any revision with its text; reading a hidden text is logged."""
    viewer = administrator_of(request)
    version: int = request.path_params["version"]
    if version < 1:
        raise RevisionNotFound(f"There is no version {version}.")
    found = revision_for_administrator(
        site_of(request), viewer.author_id, request.path_params["title"], version
    )
    shown = found.revision
    suppression = found.suppression
    return _answer(
        models.AdministratorsRevision.model_validate(
            {
                "version": shown.version,
                "type": shown.type,
                "title": shown.title,
                "author": shown.author,
                "signed_at": shown.signed_at,
                "summary": shown.summary,
                "text_version": shown.text_version,
                "body": found.body,
                "suppressed": found.suppressed,
                "reason": suppression.reason if suppression is not None else None,
                "suppression": suppression,
            }
        )
    )


def suppressed_reads(request: Request) -> Response:
    """The log of administrators' reads of hidden text, newest first."""
    administrator_of(request)
    query = parsed_query(models.ReadsQuery, request.query_params)
    reads, following = logged_reads(site_of(request), query.limit, query.offset)
    entries = [
        models.SuppressedRead(
            read_at=logged.read.read_at,
            reader=models.Author.model_validate(logged.reader),
            page_id=str(logged.read.page_id),
            title=logged.read.title,
            version=logged.read.version,
        )
        for logged in reads
    ]
    return _answer(models.SuppressedReads(reads=entries, next=following))


# Order matters: a revision's routes before the page's (`{title:path}` takes any path).
ROUTES: list[BaseRoute] = [
    Route(AUTHOR + "/verify", verify, methods=["POST"], name="api_admin_verify"),
    Route(AUTHOR + "/block", block, methods=["POST"], name="api_admin_block"),
    Route(AUTHOR + "/unblock", unblock, methods=["POST"], name="api_admin_unblock"),
    Route(AUTHOR + "/roles", roles, methods=["POST"], name="api_admin_roles"),
    Route(REVISION + "/suppress", suppress, methods=["POST"], name="api_admin_suppress"),
    Route(REVISION, revision, methods=["GET"], name="api_admin_revision"),
    Route(PAGE + "/protect", protect, methods=["POST"], name="api_admin_protect"),
    Route(PAGE + "/unprotect", unprotect, methods=["POST"], name="api_admin_unprotect"),
    Route(PAGE + "/delete", delete, methods=["POST"], name="api_admin_delete"),
    Route(PAGE + "/restore", restore, methods=["POST"], name="api_admin_restore"),
    Route(
        "/api/v1/admin/suppressed-reads",
        suppressed_reads,
        methods=["GET"],
        name="api_admin_suppressed_reads",
    ),
]
