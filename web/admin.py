"""Administration in the browser (`/admin/...`): the queue of people waiting for their
real name to be confirmed, all authors (verify, block, unblock, grant and revoke the
administrator role), a page's moderation (protect, delete, hide a revision's text), any
revision's text as an administrator reads it, and the log of reads of hidden text.

`web.admin_access` answers 401 or 403 to everyone but administrators before any of this
runs (its route comes first here). Each act is then the wiki's command, which checks the
administrator again and signs the act in their name; pages that show what only
administrators may see check too. After an act the browser is sent back (303) to the
page it came from, which confirms what was done.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from storage.queries import all_authors
from storage.records import AuthorProfile, PageView
from web.admin_access import AdministratorsOnly, administrator_of
from web.auth import author_id_of, site_of
from web.csrf import checked_form
from web.forms import NO_STORE
from web.i18n import N_
from web.i18n import gettext as _
from web.moderation import (
    ReasonMissing,
    act,
    admin_page_path,
    checked_title,
    logged_reads,
    required_reason,
    revision_for_administrator,
)
from web.reading import EVENT_LABELS, TEXT_EVENTS, HistoryRow, author_path, count, history_rows
from web.site import Site
from web.templating import danish_time, templates
from wikiengine.application import Wiki
from wikiengine.authors import ADMINISTRATOR
from wikiengine.errors import AuthorNotFound, InvalidInput, RevisionNotFound

PAGE_SIZE = 50  # revisions and logged reads per page
AUTHOR = "/admin/authors/{author_id:uuid}"
PAGE = "/admin/pages/{title:path}"
REVISION = PAGE + "/revisions/{version:int}"

# What an act did, shown after the redirect only when it is still true (a crafted
# address cannot make the page claim an act that did not happen).
AUTHOR_DONE: dict[str, tuple[Callable[[Any], bool], str]] = {
    "verify": (lambda a: a.is_verified, N_("%(name)s er nu bekræftet og kan redigere.")),
    "block": (lambda a: a.blocked, N_("%(name)s er nu blokeret.")),
    "unblock": (lambda a: not a.blocked, N_("%(name)s er ikke længere blokeret.")),
    "grant": (lambda a: ADMINISTRATOR in a.roles, N_("%(name)s er nu administrator.")),
    "revoke": (
        lambda a: ADMINISTRATOR not in a.roles,
        N_("%(name)s er ikke længere administrator."),
    ),
}
PAGE_DONE: dict[str, tuple[Callable[[Any, int | None], bool], str]] = {
    "protect": (
        lambda page, _v: page.protected,
        N_("Siden er nu beskyttet: kun administratorer kan ændre den."),
    ),
    "unprotect": (lambda page, _v: not page.protected, N_("Siden er ikke længere beskyttet.")),
    "delete": (
        lambda page, _v: page.deleted,
        N_("Siden er slettet. Dens historik er bevaret, og den kan genskabes."),
    ),
    "restore": (lambda page, _v: not page.deleted, N_("Siden er genskabt.")),
    "suppress": (
        lambda page, version: version in page.suppressed,
        N_("Teksten i version %(version)s er nu skjult for offentligheden."),
    ),
}
VERIFICATION_LABELS = {
    None: N_("Ikke bekræftet"),
    "admin": N_("Bekræftet af en administrator"),
    "operator": N_("Bekræftet af driften"),
}

Endpoint = Callable[[Request], Awaitable[Response]]


# ---------------------------------------------------------------------- the queue


@dataclass(frozen=True)
class Waiting:
    """Someone whose address is confirmed and whose name is not (yet)."""

    author_id: UUID
    name: str
    email: str
    registered: str


def waiting_for_confirmation(site: Site) -> list[Waiting]:
    """Confirmed addresses whose author is neither verified nor blocked, oldest first."""
    queue = []
    for account, created_at in site.accounts.confirmed_accounts():
        try:
            author = site.wiki.author(account.author_id)
        except AuthorNotFound:
            continue
        if not author.is_verified and not author.blocked:
            queue.append(
                Waiting(account.author_id, author.name, account.email, danish_time(created_at))
            )
    return queue


def queue(request: Request) -> Response:
    """`/admin`: the queue, and the way to the rest of the administration."""
    administrator_of(request)
    site = site_of(request)
    verified = _verified_name(site, request.query_params.get("verified"))
    return _render(
        request,
        "admin.html",
        {"tab": "queue", "waiting": waiting_for_confirmation(site), "verified": verified},
    )


def _verified_name(site: Site, value: str | None) -> str | None:
    """The name just confirmed (for the message after the redirect), if it is."""
    try:
        author = site.wiki.author(UUID(value or ""))
    except (ValueError, AuthorNotFound):
        return None
    return author.name if author.is_verified else None


# ---------------------------------------------------------------------- authors


@dataclass(frozen=True)
class AuthorRow:
    profile: AuthorProfile
    identity: str  # how the name was confirmed, in words
    administrator: bool
    yourself: bool


def authors(request: Request) -> Response:
    """`/admin/authors?navn=`: every author, with the acts that apply to each."""
    return _authors_page(request)


def _authors_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    viewer = administrator_of(request)
    site = site_of(request)
    wanted = " ".join(request.query_params.get("navn", "").split())
    rows = [
        AuthorRow(
            profile,
            verification_label(profile.verification),
            ADMINISTRATOR in profile.roles,
            profile.id == str(viewer.author_id),
        )
        for profile in all_authors(site.reader)
        if wanted.casefold() in profile.name.casefold()
    ]
    return _render(
        request,
        "admin_authors.html",
        {
            "tab": "authors",
            "rows": rows,
            "wanted": wanted,
            "done": _author_done(site, request.query_params),
            "error": error,
        },
        status,
    )


def verification_label(verification: str | None) -> str:
    if verification in VERIFICATION_LABELS:
        return _(VERIFICATION_LABELS[verification])
    issuer = (verification or "").removeprefix("oidc:")
    return _("Bekræftet ved login hos %(issuer)s") % {"issuer": issuer}


def _author_done(site: Site, params: Any) -> str | None:
    done = AUTHOR_DONE.get(params.get("done", ""))
    if done is None:
        return None
    try:
        author = site.wiki.author(UUID(params.get("author", "")))
    except (ValueError, AuthorNotFound):
        return None
    holds, message = done
    return _(message) % {"name": author.name} if holds(author) else None


AuthorCommand = Callable[[Wiki, UUID | None, UUID, str], int | None]


def _author_act(done: str, command: AuthorCommand, *, reasoned: bool) -> Endpoint:
    """A form's endpoint: run `command` on the author (with the form's reason, when the
    act needs one), then back to where the form was."""

    async def endpoint(request: Request) -> Response:
        site = site_of(request)
        form = await checked_form(request)
        author_id: UUID = request.path_params["author_id"]
        reason = ""
        if reasoned:
            try:
                reason = required_reason(_field(form, "reason"))
            except InvalidInput as problem:
                return await run_in_threadpool(_authors_page, request, _reason_error(problem), 422)
        by = await run_in_threadpool(author_id_of, request)
        await run_in_threadpool(act, site, lambda: command(site.wiki, by, author_id, reason))
        if done == "verify" and form.get("back") != "authors":
            return RedirectResponse(f"/admin?verified={author_id}", status_code=303)
        return RedirectResponse(
            f"/admin/authors?done={done}&author={author_id}#forfatter-{author_id}",
            status_code=303,
        )

    return endpoint


def _verify(wiki: Wiki, by: UUID | None, author_id: UUID, _reason: str) -> int | None:
    return wiki.verify_author(by, author_id)


def _block(wiki: Wiki, by: UUID | None, author_id: UUID, reason: str) -> int | None:
    return wiki.block_author(by, author_id, reason)


def _unblock(wiki: Wiki, by: UUID | None, author_id: UUID, reason: str) -> int | None:
    return wiki.unblock_author(by, author_id, reason)


verify = _author_act("verify", _verify, reasoned=False)
block = _author_act("block", _block, reasoned=True)
unblock = _author_act("unblock", _unblock, reasoned=True)


async def roles(request: Request) -> Response:
    """Grant (`grant=true`) or revoke (`grant=false`) the form's `role`."""
    form = await checked_form(request)
    role = _field(form, "role")
    grant = form.get("grant") == "true"

    def change(wiki: Wiki, by: UUID | None, author_id: UUID, _reason: str) -> int | None:
        return (wiki.grant_role if grant else wiki.revoke_role)(by, author_id, role)

    return await _author_act("grant" if grant else "revoke", change, reasoned=False)(request)


# ---------------------------------------------------------------------- pages


def find_page(request: Request) -> Response:
    """`/admin/pages?title=`: to a page's moderation (a form, without a title)."""
    administrator_of(request)
    title = " ".join(request.query_params.get("title", "").split())
    if title:
        return RedirectResponse(admin_page_path(checked_title(title)), status_code=303)
    return _render(request, "admin_pages.html", {"tab": "pages"})


@dataclass(frozen=True)
class ModeratedRevision:
    row: HistoryRow
    can_suppress: bool  # an earlier text, not hidden yet: the wiki accepts hiding it


def page(request: Request) -> Response:
    """`/admin/pages/{title}?before=V`: protect, delete, hide texts; 50 revisions a page."""
    return _page_page(request)


def _page_page(request: Request, error: str | None = None, status: int = 200) -> Response:
    administrator_of(request)
    site = site_of(request)
    found = site.reader.page(checked_title(request.path_params["title"]))
    before = _number(request.query_params.get("before"))
    listing = site.reader.revisions(found.slug, PAGE_SIZE, before)
    rows = [
        ModeratedRevision(row, _suppressible(row, found)) for row in history_rows(listing.revisions)
    ]
    path = admin_page_path(found.title)
    newer = None
    if before is not None and before <= found.version:
        newer_before = before + PAGE_SIZE
        newer = path if newer_before > found.version else f"{path}?before={newer_before}"
    return _render(
        request,
        "admin_page.html",
        {
            "tab": "pages",
            "page": found,
            "path": path,
            "rows": rows,
            "older": f"{path}?before={listing.next}" if listing.next is not None else None,
            "newer": newer,
            "done": _page_done(site, found, request.query_params),
            "error": error,
        },
        status,
    )


def _suppressible(row: HistoryRow, page: PageView) -> bool:
    revision = row.revision
    return (
        revision.type in TEXT_EVENTS
        and not revision.suppressed
        and revision.version < page.text_version
    )


def _page_done(site: Site, found: PageView, params: Any) -> str | None:
    done = PAGE_DONE.get(params.get("done", ""))
    if done is None:
        return None
    version = _number(params.get("version"))
    holds, message = done
    if not holds(site.wiki.page(UUID(found.page_id)), version):
        return None
    return _(message) % {"version": version} if version is not None else _(message)


PageCommand = Callable[[Wiki, UUID | None, str, str], int | None]


def _page_act(done: str, command: PageCommand) -> Endpoint:
    """A form's endpoint: run `command` on the page with the form's reason, then back to
    the page's moderation."""

    async def endpoint(request: Request) -> Response:
        site = site_of(request)
        form = await checked_form(request)
        title = checked_title(request.path_params["title"])
        try:
            reason = required_reason(_field(form, "reason"))
        except InvalidInput as problem:
            return await run_in_threadpool(_page_page, request, _reason_error(problem), 422)
        by = await run_in_threadpool(author_id_of, request)
        await run_in_threadpool(act, site, lambda: command(site.wiki, by, title, reason))
        current = await run_in_threadpool(site.wiki.page_by_title, title)
        query = f"done={done}"
        if "version" in request.path_params:
            query += f"&version={request.path_params['version']}"
        return RedirectResponse(f"{admin_page_path(current.title)}?{query}", status_code=303)

    return endpoint


def _protect(wiki: Wiki, by: UUID | None, title: str, reason: str) -> int | None:
    return wiki.protect_page(by, title, reason)


def _unprotect(wiki: Wiki, by: UUID | None, title: str, reason: str) -> int | None:
    return wiki.unprotect_page(by, title, reason)


def _delete(wiki: Wiki, by: UUID | None, title: str, reason: str) -> int | None:
    return wiki.delete_page(by, title, reason)


def _restore(wiki: Wiki, by: UUID | None, title: str, reason: str) -> int | None:
    return wiki.restore_page(by, title, reason)


protect = _page_act("protect", _protect)
unprotect = _page_act("unprotect", _unprotect)
delete = _page_act("delete", _delete)
restore = _page_act("restore", _restore)


async def suppress(request: Request) -> Response:
    """Hide one revision's text from the public; who wrote it, when and why stay."""
    version: int = request.path_params["version"]

    def hide(wiki: Wiki, by: UUID | None, title: str, reason: str) -> int | None:
        return wiki.suppress_revision(by, title, version, reason)

    return await _page_act("suppress", hide)(request)


# ---------------------------------------------------------------------- reading as administrator


def revision(request: Request) -> Response:
    """`/admin/pages/{title}/revisions/{version}`: the text, hidden or not (reading hidden
    text is logged)."""
    viewer = administrator_of(request)
    version: int = request.path_params["version"]
    if version < 1:
        raise RevisionNotFound(f"There is no version {version}.")
    site = site_of(request)
    found = revision_for_administrator(
        site, viewer.author_id, request.path_params["title"], version
    )
    current = site.reader.page(found.title)
    shown = found.revision
    return _render(
        request,
        "admin_revision.html",
        {
            "tab": "pages",
            "found": found,
            "revision": shown,
            "path": admin_page_path(found.title),
            "event_label": EVENT_LABELS.get(shown.type, shown.type),
            "can_suppress": shown.type in TEXT_EVENTS
            and not found.suppressed
            and shown.version < current.text_version,
        },
    )


def reads(request: Request) -> Response:
    """`/admin/reads?offset=`: who read hidden text, and when; newest first."""
    administrator_of(request)
    offset = _number(request.query_params.get("offset")) or 0
    logged, following = logged_reads(site_of(request), PAGE_SIZE, offset)
    return _render(
        request,
        "admin_reads.html",
        {
            "tab": "reads",
            "logged": logged,
            "older": f"/admin/reads?offset={following}" if following is not None else None,
            "newer": (f"/admin/reads?offset={max(offset - PAGE_SIZE, 0)}" if offset > 0 else None),
        },
    )


# ---------------------------------------------------------------------- helpers


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    helpers = {
        "author_path": author_path,
        "count": count,
        "admin_page_path": admin_page_path,
        "moment": danish_time,
    }
    return templates.TemplateResponse(
        request,
        template,
        {"section": "admin", **helpers, **context},
        status_code=status,
        headers=NO_STORE,
    )


def _field(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _reason_error(problem: InvalidInput) -> str:
    if isinstance(problem, ReasonMissing):
        return _("Skriv en begrundelse. Den signeres sammen med handlingen og kan ses af alle.")
    return _("Begrundelsen er for lang.")


def _number(text: str | None) -> int | None:
    """A version or offset from the query; anything but a whole number is ignored."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 18:
        return None
    return int(text)


ROUTES: list[BaseRoute] = [
    AdministratorsOnly(),  # first: refuses everyone but administrators (web.admin_access)
    Route("/admin", queue, methods=["GET"], name="admin"),
    Route("/admin/authors", authors, methods=["GET"], name="admin_authors"),
    Route(AUTHOR + "/verify", verify, methods=["POST"], name="admin_verify_author"),
    Route(AUTHOR + "/block", block, methods=["POST"], name="admin_block_author"),
    Route(AUTHOR + "/unblock", unblock, methods=["POST"], name="admin_unblock_author"),
    Route(AUTHOR + "/roles", roles, methods=["POST"], name="admin_author_roles"),
    Route("/admin/pages", find_page, methods=["GET"], name="admin_pages"),
    # Order matters: `{title:path}` takes any path, so the page's own routes come first.
    Route(REVISION + "/suppress", suppress, methods=["POST"], name="admin_suppress"),
    Route(REVISION, revision, methods=["GET"], name="admin_revision"),
    Route(PAGE + "/protect", protect, methods=["POST"], name="admin_protect"),
    Route(PAGE + "/unprotect", unprotect, methods=["POST"], name="admin_unprotect"),
    Route(PAGE + "/delete", delete, methods=["POST"], name="admin_delete"),
    Route(PAGE + "/restore", restore, methods=["POST"], name="admin_restore"),
    Route(PAGE, page, methods=["GET"], name="admin_page"),
    Route("/admin/reads", reads, methods=["GET"], name="admin_reads"),
]
