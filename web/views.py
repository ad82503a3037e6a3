"""The reading side of the wiki in HTML: the front page, the page list, a page (now, at a
version or at a moment), its history, differences, blame, credits and backlinks, recent
changes (also as an Atom feed) and authors' profiles.

Everything comes from the SQL read model (`site.reader`); old texts come through it from
the event store, and it refuses suppressed ones. Plain `def` endpoints: the reader is
synchronous, and starlette runs them in a thread pool.
"""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote
from uuid import UUID

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from storage.queries import WikiReader, parse_moment
from storage.records import PageView, Revision
from web.auth import shown_viewer, site_of
from web.i18n import current_language
from web.i18n import gettext as _
from web.pagecache import KEPT_HEADERS, KeptPage
from web.reading import (
    EVENT_LABELS,
    TEXT_EVENTS,
    author_path,
    backlink_groups,
    blame_groups,
    count,
    facts,
    feed_entries,
    history_rows,
    inline_lines,
    related_pages,
    signed,
    table_of_contents,
)
from web.reading import SECTOR_LABELS as SECTOR_LABELS  # web/search.py reads it here
from web.templating import danish_time, templates
from wikiengine.attribution import format_signed_at
from wikiengine.demo import FRONT_PAGE
from wikiengine.diff import rows as diff_rows
from wikiengine.errors import (
    AuthorNotFound,
    InvalidInput,
    InvalidTitle,
    PageNotFound,
    RevisionNotFound,
    RevisionSuppressed,
)
from wikiengine.kinds import KINDS
from wikiengine.markup import page_path
from wikiengine.titles import normalise_title

PAGE_SIZE = 50  # rows of history and of recent changes per page
FEED_SIZE = 50
TOC_MINIMUM = 2  # headings a page needs before it gets a table of contents
DIFF_VIEWS = ("side", "inline")
ATOM = "application/atom+xml; charset=utf-8"
_LAST_POSITION = 2**62  # larger `before` values mean "from the newest"


# ---------------------------------------------------------------------- pages


def front_page(request: Request) -> Response:
    return for_readers(request, lambda: _front_page(request))


def _front_page(request: Request) -> Response:
    """The page "Forside" when there is one; otherwise the list of pages."""
    try:
        page = _reader(request).page(FRONT_PAGE)
    except PageNotFound:
        return _page_list(request, "front")
    if page.deleted:
        return _page_list(request, "front")
    return _current(request, page, "front")


def all_pages(request: Request) -> Response:
    return _page_list(request, "pages")


def page(request: Request) -> Response:
    return for_readers(request, lambda: _page(request))


def _page(request: Request) -> Response:
    """`/wiki/{title}`: the page now, or `?version=N`, or `?at=<moment>` (time travel)."""
    found = _find(request, "")
    if isinstance(found, Response):
        return found
    if "version" in request.query_params or "at" in request.query_params:
        return _old(request, found)
    return _current(request, found, "page")


def backlinks(request: Request) -> Response:
    found = _find(request, "/backlinks")
    if isinstance(found, Response):
        return found
    return _render(
        request,
        "backlinks.html",
        {
            "page": found,
            "groups": backlink_groups(_reader(request).backlinks(found.title)),
            "tab": "backlinks",
        },
    )


def _page_list(request: Request, section: str) -> Response:
    return _render(request, "pages.html", {"pages": _reader(request).titles(), "section": section})


def _current(request: Request, page: PageView, section: str) -> Response:
    return _render(
        request,
        "page.html",
        {
            **_page_parts(page),
            "latest": page,
            "old": None,
            "backlinks": backlink_groups(page.backlinks),
            "redirected_from": _redirected_from(request, page),
            "section": section,
        },
    )


def _old(request: Request, current: PageView) -> Response:
    """An old version, by number or by moment, with the text it had then."""
    params = request.query_params
    if "version" in params and "at" in params:
        raise InvalidInput("Ask for a version or a moment, not both.")
    reader = _reader(request)
    moment: str | None = None
    try:
        if "version" in params:
            number = _number(params["version"], "version")
            if not 1 <= number <= current.version:
                return _no_such_version(request, current, number)
            old = reader.version(current.slug, number)
        else:
            moment = format_signed_at(_moment(params["at"]))
            old = reader.at(current.slug, moment)
    except RevisionNotFound:
        if moment is not None:
            return _notice(
                request,
                404,
                current,
                _("Siden fandtes ikke endnu"),
                _("%(title)s fandtes ikke %(moment)s. Siden blev oprettet %(created)s.")
                % {
                    "title": current.title,
                    "moment": danish_time(moment),
                    "created": danish_time(current.created_at),
                },
            )
        raise
    except RevisionSuppressed:
        return _suppressed(request, current)
    return _render(
        request,
        "page.html",
        {
            **_page_parts(old),
            "tab": "old",
            "latest": current,
            "old": {"moment": moment},
            "backlinks": [],
            "redirected_from": None,
            "section": "page",
        },
    )


def _page_parts(page: PageView) -> dict[str, Any]:
    toc = table_of_contents(page.toc) if len(page.toc) >= TOC_MINIMUM else []
    return {
        "page": page,
        "facts": facts(page.fields),
        "related": related_pages(page),
        "toc": toc,
        "tab": "page",
    }


def _redirected_from(request: Request, page: PageView) -> str | None:
    """The old title a reader came from, when `?redirected_from=` really leads here."""
    asked = request.query_params.get("redirected_from")
    if not asked:
        return None
    try:
        origin = _reader(request).page(asked)
    except (PageNotFound, InvalidTitle):
        return None
    if origin.page_id != page.page_id or origin.redirected_from is None:
        return None
    return normalise_title(asked)


# ---------------------------------------------------------------------- history


def history(request: Request) -> Response:
    """`/wiki/{title}/history?before=V`: the revisions, newest first, 50 at a time."""
    found = _find(request, "/history")
    if isinstance(found, Response):
        return found
    before = _optional_number(request, "before")
    if before is not None:
        before = min(before, found.version + 1)
    listing = _reader(request).revisions(found.slug, PAGE_SIZE, before)
    path = page_path(found.title) + "/history"
    newer = None
    if before is not None and before <= found.version:
        newer_before = before + PAGE_SIZE
        newer = path if newer_before > found.version else f"{path}?before={newer_before}"
    rows = history_rows(listing.revisions)
    # The compare form starts at the newest change: from the version before to it.
    shown = [row.revision.version for row in rows if not row.text_hidden]
    return _render(
        request,
        "history.html",
        {
            "page": found,
            "rows": rows,
            "compare": (shown[1], shown[0]) if len(shown) > 1 else None,
            "older": f"{path}?before={listing.next}" if listing.next is not None else None,
            "newer": newer,
            "tab": "history",
        },
    )


def diff(request: Request) -> Response:
    """`/wiki/{title}/diff?from=A&to=B&view=side|inline`: what changed between two versions.

    `to` is the current version unless given, `from` the one before `to`; version 0 is the
    empty text before the page was created.
    """
    found = _find(request, "/diff")
    if isinstance(found, Response):
        return found
    params = request.query_params
    view = params.get("view", DIFF_VIEWS[0])
    if view not in DIFF_VIEWS:
        raise InvalidInput(f"view must be one of {', '.join(DIFF_VIEWS)}.")
    new_version = _number(params["to"], "to") if "to" in params else found.version
    old_version = _number(params["from"], "from") if "from" in params else new_version - 1
    for number in (old_version, new_version):
        if number > found.version:
            return _no_such_version(request, found, number)
    if new_version < 1:
        return _no_such_version(request, found, new_version)
    reader = _reader(request)
    try:
        new = reader.version(found.slug, new_version)
        old = reader.version(found.slug, old_version) if old_version > 0 else None
    except RevisionSuppressed:
        return _suppressed(request, found)
    rows = diff_rows(old.body if old is not None else "", new.body)
    path = f"{page_path(found.title)}/diff?from={old_version}&to={new_version}"
    return _render(
        request,
        "diff.html",
        {
            "page": found,
            "old": _revision(reader, found, old_version) if old_version > 0 else None,
            "new": _revision(reader, found, new_version),
            "old_version": old_version,
            "new_version": new_version,
            "view": view,
            "rows": rows,
            "lines": inline_lines(rows) if view == "inline" else [],
            "side_href": f"{path}&view=side",
            "inline_href": f"{path}&view=inline",
            "tab": "history",
        },
    )


def blame(request: Request) -> Response:
    """`/wiki/{title}/blame`: who wrote each line of the current text, and when."""
    found = _find(request, "/blame")
    if isinstance(found, Response):
        return found
    result = _reader(request).blame(found.slug)
    return _render(
        request,
        "blame.html",
        {"page": found, "blame": result, "groups": blame_groups(result), "tab": "blame"},
    )


def credits(request: Request) -> Response:
    """`/wiki/{title}/credits`: everyone who wrote the page, most edits first."""
    found = _find(request, "/credits")
    if isinstance(found, Response):
        return found
    return _render(
        request,
        "credits.html",
        {"page": found, "contributors": _reader(request).credits(found.slug), "tab": "credits"},
    )


def _revision(reader: WikiReader, page: PageView, version: int) -> Revision:
    return reader.revisions(page.slug, 1, version + 1).revisions[0]


# ---------------------------------------------------------------------- the whole wiki


def recent(request: Request) -> Response:
    """`/recent?before=P`: changes across the wiki, newest first (P: a log position)."""
    before = _optional_number(request, "before")
    changes = _reader(request).recent_changes(
        PAGE_SIZE + 1, min(before, _LAST_POSITION) if before is not None else None
    )
    shown = changes[:PAGE_SIZE]
    older = shown[-1].position if len(changes) > PAGE_SIZE else None
    return _render(
        request,
        "recent.html",
        {
            "changes": shown,
            "older": f"/recent?before={older}" if older is not None else None,
            "newest": "/recent" if before is not None else None,
            "section": "recent",
        },
    )


def recent_feed(request: Request) -> Response:
    """`/recent.atom`: the latest changes as an Atom 1.0 feed, with absolute links."""
    base = site_of(request).settings.base_url.rstrip("/")
    entries = feed_entries(_reader(request).recent_changes(FEED_SIZE), base)
    updated = entries[0].updated if entries else format_signed_at(datetime.now(UTC))
    return templates.TemplateResponse(
        request,
        "recent.atom.xml",
        {"base": base, "entries": entries, "updated": updated},
        media_type=ATOM,
    )


def author(request: Request) -> Response:
    """`/authors/{id}`: an author's public profile and the pages they wrote."""
    try:
        author_id = str(UUID(request.path_params["author_id"]))
        profile = _reader(request).author(author_id)
    except (ValueError, AuthorNotFound):  # ValueError: not an id at all
        return _notice(
            request,
            404,
            None,
            _("Forfatteren findes ikke"),
            _("Der er ingen forfatter med dette id."),
        )
    return _render(request, "author.html", {"author": profile})


# ---------------------------------------------------------------------- answers


def _find(request: Request, suffix: str) -> PageView | Response:
    """The current page the path names, or the answer when there is none to show: a
    redirect to its canonical URL, "not yet written" (404) or "deleted" (410)."""
    title = request.path_params["title"]
    try:
        normalise_title(title)
    except InvalidTitle:
        raise PageNotFound(title) from None  # no page can have this title: no offer to write it
    try:
        page = _reader(request).page(title)
    except PageNotFound:
        return _missing(request, normalise_title(title))
    if title != page.slug:
        return _moved(request, page, suffix)
    if page.deleted:
        return _render(request, "missing.html", {"title": page.title, "deleted": True}, 410)
    return page


def _missing(request: Request, title: str) -> Response:
    """A page no one has written yet: say so, and offer to write it (of any kind)."""
    edit = page_path(title) + "/edit"
    return _render(
        request,
        "missing.html",
        {
            "title": title,
            "deleted": False,
            "edit_href": edit,
            "kind_hrefs": [(kind, f"{edit}?kind={kind}") for kind in KINDS],
        },
        404,
    )


def _moved(request: Request, page: PageView, suffix: str) -> Response:
    """An old title (left by a rename) or a non-canonical spelling: go to the page's URL,
    keeping the query; the page itself then says which old title the reader came from.

    Permanent, but browsers must revalidate: a page renamed back would otherwise loop
    in a browser that cached the first redirect.
    """
    url = page_path(page.title) + suffix
    query = request.url.query
    if suffix == "" and page.redirected_from and "redirected_from=" not in query:
        origin = "redirected_from=" + quote(page.redirected_from, safe="")
        query = f"{query}&{origin}" if query else origin
    if query:
        url += "?" + query
    return RedirectResponse(url, status_code=301, headers={"Cache-Control": "no-cache"})


def _no_such_version(request: Request, page: PageView, number: int) -> Response:
    return _notice(
        request,
        404,
        page,
        _("Den version findes ikke"),
        _("%(title)s har ingen version %(number)s. Den nyeste er version %(latest)s.")
        % {"title": page.title, "number": number, "latest": page.version},
    )


def _suppressed(request: Request, page: PageView) -> Response:
    return _notice(
        request,
        410,
        page,
        _("Teksten er skjult"),
        _(
            "En administrator har skjult teksten i denne version, for eksempel fordi den"
            " indeholdt personoplysninger. Hvem der skrev den, hvornår og hvorfor, står"
            " stadig i historikken."
        ),
    )


def _notice(
    request: Request, status: int, page: PageView | None, headline: str, explanation: str
) -> Response:
    """Why something cannot be shown, with the way back to the page (if there is one)."""
    return _render(
        request,
        "notice.html",
        {"page": page, "headline": headline, "explanation": explanation, "status": status},
        status,
    )


def for_readers(request: Request, render: Callable[[], Response]) -> Response:
    """`render()`'s answer, or the same answer kept from an earlier anonymous request."""
    site = site_of(request)
    if shown_viewer(request) is not None:
        return render()
    key = (request.url.path, request.url.query, current_language.get())
    position = site.projector.view.position()
    kept = site.page_cache.get(key, position)
    if kept is not None:
        return Response(kept.body, status_code=kept.status, headers=kept.headers)
    response = render()
    if "set-cookie" not in response.headers and response.status_code in (200, 301, 404):
        headers = {
            name: response.headers[name] for name in KEPT_HEADERS if name in response.headers
        }
        kept = KeptPage(position, response.status_code, headers, bytes(response.body))
        site.page_cache.put(key, kept)
    return response


def _render(
    request: Request, template: str, context: dict[str, Any], status: int = 200
) -> Response:
    helpers = {
        "author_path": author_path,
        "count": count,
        "signed": signed,
        "event_labels": EVENT_LABELS,
        "text_events": TEXT_EVENTS,
    }
    return templates.TemplateResponse(request, template, {**helpers, **context}, status_code=status)


# ---------------------------------------------------------------------- parameters


def _number(text: str, name: str) -> int:
    """A version or position from the query: a whole number (422 otherwise). Huge ones
    are cut to one larger than any version or position (databases take 64 bits)."""
    if not text.isascii() or not text.isdigit():
        raise InvalidInput(f"{name} must be a whole number.")
    return int(text) if len(text) <= 18 else _LAST_POSITION


def _optional_number(request: Request, name: str) -> int | None:
    text = request.query_params.get(name)
    return _number(text, name) if text else None


def _moment(text: str) -> datetime:
    """A moment from `?at=`: ISO 8601 (`2026-01-31T12:00:00Z`), a date, or a browser's
    `datetime-local` value (`2026-01-31T12:00`, read as UTC). 422 otherwise."""
    moment = parse_moment(text)
    try:
        moment.astimezone(UTC)
    except OverflowError:
        raise InvalidInput(f"Not a moment in time: {text!r}.") from None
    return moment


def _reader(request: Request) -> WikiReader:
    return site_of(request).reader


ROUTES: list[BaseRoute] = [
    Route("/", front_page, methods=["GET"], name="front_page"),
    Route("/pages", all_pages, methods=["GET"], name="pages"),
    Route("/recent", recent, methods=["GET"], name="recent"),
    Route("/recent.atom", recent_feed, methods=["GET"], name="recent_feed"),
    Route("/authors/{author_id}", author, methods=["GET"], name="author"),
    Route("/wiki/{title:path}/history", history, methods=["GET"], name="history"),
    Route("/wiki/{title:path}/diff", diff, methods=["GET"], name="diff"),
    Route("/wiki/{title:path}/blame", blame, methods=["GET"], name="blame"),
    Route("/wiki/{title:path}/credits", credits, methods=["GET"], name="credits"),
    Route("/wiki/{title:path}/backlinks", backlinks, methods=["GET"], name="backlinks"),
    Route("/wiki/{title:path}", page, methods=["GET"], name="page"),  # last: it takes any path
]
