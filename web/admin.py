"""Administration in the browser (`/admin`): for now the queue of people waiting for an
administrator to confirm their real name.

Who may confirm is decided by the wiki (`Wiki.verify_author` refuses anyone but an
administrator); the page itself is only shown to administrators so the queue's names and
addresses stay private.
"""

from dataclasses import dataclass
from uuid import UUID

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web.auth import author_id_of, site_of, viewer_of
from web.csrf import checked_form
from web.forms import NO_STORE, danish_moment, login_redirect
from web.site import Site
from web.templating import templates
from wikiengine.errors import AuthorNotFound, Forbidden


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
                Waiting(account.author_id, author.name, account.email, danish_moment(created_at))
            )
    return queue


def queue(request: Request) -> Response:
    viewer = viewer_of(request)
    if viewer is None:
        return login_redirect(request)
    if not viewer.administrator:
        raise Forbidden("Only administrators may see the administration.")
    site = site_of(request)
    verified = _verified_name(site, request.query_params.get("verified"))
    return templates.TemplateResponse(
        request,
        "admin.html",
        {"section": "admin", "waiting": waiting_for_confirmation(site), "verified": verified},
        headers=NO_STORE,
    )


async def verify(request: Request) -> Response:
    """`POST /admin/authors/{id}/verify`: confirm that the name is the person's real one."""
    site = site_of(request)
    await checked_form(request)
    author_id: UUID = request.path_params["author_id"]
    by = await run_in_threadpool(author_id_of, request)
    notification_id = await run_in_threadpool(site.wiki.verify_author, by, author_id)
    await run_in_threadpool(site.saw, notification_id)
    return RedirectResponse(f"/admin?verified={author_id}", status_code=303)


def _verified_name(site: Site, value: str | None) -> str | None:
    """The name just confirmed (for the message after the redirect), if it is."""
    try:
        author = site.wiki.author(UUID(value or ""))
    except (ValueError, AuthorNotFound):
        return None
    return author.name if author.is_verified else None


ROUTES: list[BaseRoute] = [
    Route("/admin", queue, methods=["GET"], name="admin"),
    Route(
        "/admin/authors/{author_id:uuid}/verify",
        verify,
        methods=["POST"],
        name="admin_verify_author",
    ),
]
