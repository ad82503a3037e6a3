"""Changing pages in the browser: the editor with a preview, a new page started from its
kind's template, the merge screen after an edit conflict, revert and rename.

Every change is a wiki command, and the command decides who may make it. The forms ask
the same permission check (`wikiengine.permissions`) first only so that someone who may
not edit is told why before they write. Whatever goes wrong with a save, the answer holds
the editor's text, so no one's work is lost.
"""

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from storage.records import PageView
from web.auth import author_id_of, site_of, viewer_of
from web.csrf import CsrfRefused, checked_form
from web.errors import DANISH, DANISH_FALLBACK, STATUS_BY_CODE
from web.forms import login_redirect
from web.i18n import gettext as _
from web.reading import FIELD_LABELS, Fact, facts, inline_lines
from web.site import Site
from web.templating import templates
from wikiengine.application import MAX_BODY_BYTES
from wikiengine.attribution import MAX_SUMMARY_LENGTH
from wikiengine.diff import rows
from wikiengine.errors import (
    Blocked,
    EditConflict,
    InvalidFrontMatter,
    InvalidInput,
    InvalidTitle,
    NotVerified,
    PageDeleted,
    PageExists,
    PageNotFound,
    Protected,
    RevisionSuppressed,
    TooLarge,
    WikiError,
)
from wikiengine.kinds import (
    DEFAULT_KIND,
    KINDS,
    RELATIONS,
    check_page,
    declared_kind,
    kind_fields,
    new_page_text,
)
from wikiengine.markup import page_path, render
from wikiengine.merge import END_MARKER, MID_MARKER, START_MARKER, conflict_line
from wikiengine.permissions import require_editor, require_may_change_page
from wikiengine.text import normalise_text
from wikiengine.titles import normalise_title, slug_for

# Asked before showing a form; anything else (a deleted page, say) is the error page's.
REFUSALS = (NotVerified, Blocked, Protected)
MARKERS = (START_MARKER, MID_MARKER, END_MARKER)


@dataclass(frozen=True)
class Draft:
    """What the editor sent; it goes back into every answer until it is saved."""

    body: str
    summary: str
    base_version: str  # as posted: "" when the editor started a new page

    @classmethod
    def from_form(cls, form: FormData) -> "Draft":
        return cls(
            body=normalise_text(_text(form, "body")),
            summary=_text(form, "summary"),
            base_version=_text(form, "base_version").strip(),
        )


@dataclass(frozen=True)
class Problem:
    """Why the text was not saved, shown next to the text: where, and what."""

    message: str
    line: int | None = None
    field: str | None = None
    line_text: str | None = None  # that line of the editor's text, to find it by
    status: int = 422


@dataclass(frozen=True)
class Preview:
    kind: str
    facts: list[Fact]
    relations: list[tuple[str, list[tuple[str, str]]]]  # label, [(title, path)]
    html: str  # made by the one renderer, which sanitises it


@dataclass(frozen=True)
class FieldHelp:
    name: str
    label: str
    accepts: str


# ---------------------------------------------------------------------- edit


def edit_form(request: Request) -> Response:
    """`GET /wiki/{title}/edit[?kind=]`: the current text, or a new page's template."""
    site = site_of(request)
    title = normalise_title(request.path_params["title"])
    if viewer_of(request) is None:
        return login_redirect(request)
    page = _current_or_none(site, title)
    if page is not None and request.path_params["title"] != page.slug:
        return _moved(request, page, "/edit")
    try:
        _require_may_change(request, page)
    except REFUSALS as refused:
        source = page.body if isinstance(refused, Protected) and page is not None else None
        return _refused(request, title, refused, source=source)
    if page is None:
        kind = request.query_params.get("kind", DEFAULT_KIND)
        draft = Draft(body=new_page_text(kind), summary="", base_version="")
        return _editor(request, title, draft, choose_kind=True)
    draft = Draft(body=page.body, summary="", base_version=str(page.version))
    return _editor(request, page.title, draft)


async def edit(request: Request) -> Response:
    """`POST /wiki/{title}/edit`: preview (`action=preview`) or save the posted text."""
    form, refused = await _posted(request)
    draft = Draft.from_form(form)
    action = _text(form, "action")
    return await run_in_threadpool(_edit, request, draft, action, refused)


def _edit(request: Request, draft: Draft, action: str, refused: CsrfRefused | None) -> Response:
    title = normalise_title(request.path_params["title"])
    try:
        if refused is not None:
            raise refused
        if action == "preview":
            return _preview(request, title, draft)
        return _save(request, title, draft)
    except EditConflict as conflict:
        return _conflict(request, draft, conflict)
    except (InvalidInput, TooLarge) as problem:
        return _editor(request, title, draft, problem=_problem(problem, draft.body))
    except WikiError as error:
        return _refused(request, title, error, draft=draft)


def _preview(request: Request, title: str, draft: Draft) -> Response:
    _require_may_change(request, _current_or_none(site_of(request), title))
    content = check_page(draft.body)
    preview = Preview(
        kind=content.kind,
        facts=facts(content.fields),
        relations=[
            (
                FIELD_LABELS[name],
                [(related, page_path(related)) for related in content.relations[name]],
            )
            for name in RELATIONS
            if content.relations[name]
        ],
        html=render(content.body).html,
    )
    return _editor(request, title, draft, preview=preview, problem=_unresolved(draft.body))


def _save(request: Request, title: str, draft: Draft) -> Response:
    site = site_of(request)
    base_version = _version(draft.base_version, "base_version")
    unresolved = _unresolved(draft.body)
    if unresolved is not None:
        return _editor(request, title, draft, problem=unresolved)
    result = site.wiki.save_page(
        author_id_of(request), title, draft.body, draft.summary, base_version
    )
    site.saw(result.notification_id)
    if result.merged and base_version is not None:
        # Merged with someone else's save: show what the page became since the editor's
        # version, both changes, rather than a page that looks as if only theirs counted.
        return _see_other(f"{page_path(result.title)}/diff?from={base_version}&to={result.version}")
    return _see_other(page_path(result.title))


def _conflict(request: Request, draft: Draft, conflict: EditConflict) -> Response:
    """409: their change since the editor's version, and both texts to merge by hand."""
    site = site_of(request)
    site.views_current()  # their save may not have reached this process's views yet
    theirs = site.reader.version(conflict.title, conflict.current_version)
    try:
        base = (
            site.reader.version(conflict.title, conflict.base_version).body
            if conflict.base_version
            else ""
        )
        their_change = inline_lines(rows(base, theirs.body))
    except RevisionSuppressed:
        their_change = None
    kind = declared_kind(conflict.merged_body)
    return templates.TemplateResponse(
        request,
        "conflict.html",
        {
            "title": conflict.title,
            "base_version": conflict.base_version,
            "current_version": conflict.current_version,
            "theirs": theirs,
            "their_change": their_change,
            "merged_body": conflict.merged_body,
            "own_body": draft.body,
            "summary": draft.summary,
            "kind": kind,
            "field_help": _field_help(kind),
            "markers": MARKERS,
            "max_summary": MAX_SUMMARY_LENGTH,
            "section": "page",
        },
        status_code=409,
    )


# ---------------------------------------------------------------------- revert


def revert_form(request: Request) -> Response:
    """`GET /wiki/{title}/revert?to=N`: what reverting would change, to confirm."""
    site = site_of(request)
    title = normalise_title(request.path_params["title"])
    if viewer_of(request) is None:
        return login_redirect(request)
    to_version = _to_version(request)
    page = site.reader.page(title)
    if request.path_params["title"] != page.slug:
        return _moved(request, page, "/revert")
    try:
        _require_may_change(request, page)
    except REFUSALS as refused:
        return _refused(request, page.title, refused)
    return _revert_page(request, page, to_version, summary="", base_version=page.version)


async def revert(request: Request) -> Response:
    """`POST /wiki/{title}/revert?to=N`: make version N's text current again."""
    form = await checked_form(request)
    return await run_in_threadpool(_revert, request, form)


def _revert(request: Request, form: FormData) -> Response:
    site = site_of(request)
    title = normalise_title(request.path_params["title"])
    to_version = _to_version(request)
    summary = _text(form, "summary")
    base_version = _version(_text(form, "base_version"), "base_version")
    try:
        result = site.wiki.revert_page(
            author_id_of(request), title, to_version, summary, base_version
        )
    except EditConflict as conflict:
        site.views_current()
        page = site.reader.page(title)
        notice = _(
            "Siden er ændret af en anden imens (nu version %(version)d). Se forskellen igen,"
            " og bekræft, hvis du stadig vil gendanne."
        ) % {"version": conflict.current_version}
        return _revert_page(request, page, to_version, summary, page.version, notice, 409)
    except InvalidInput as problem:
        page = site.reader.page(title)
        return _revert_page(request, page, to_version, summary, base_version, str(problem), 422)
    site.saw(result.notification_id)
    return _see_other(page_path(result.title))


def _revert_page(
    request: Request,
    page: PageView,
    to_version: int,
    summary: str,
    base_version: int | None,
    problem: str | None = None,
    status: int = 200,
) -> Response:
    old = site_of(request).reader.version(page.title, to_version)
    return templates.TemplateResponse(
        request,
        "revert.html",
        {
            "page": page,
            "to_version": to_version,
            "old": old,
            "lines": inline_lines(rows(page.body, old.body)),
            "summary": summary,
            "base_version": base_version or "",
            "problem": problem,
            "max_summary": MAX_SUMMARY_LENGTH,
            "section": "page",
        },
        status_code=status,
    )


# ---------------------------------------------------------------------- rename


def rename_form(request: Request) -> Response:
    """`GET /wiki/{title}/rename`: the new title and why."""
    title = normalise_title(request.path_params["title"])
    if viewer_of(request) is None:
        return login_redirect(request)
    page = site_of(request).reader.page(title)
    if request.path_params["title"] != page.slug:
        return _moved(request, page, "/rename")
    try:
        _require_may_change(request, page)
    except REFUSALS as refused:
        return _refused(request, page.title, refused)
    return _rename_page(request, page.title, page.title, "", str(page.version))


async def rename(request: Request) -> Response:
    """`POST /wiki/{title}/rename`: give the page a new title; the old one redirects."""
    form = await checked_form(request)
    return await run_in_threadpool(_rename, request, form)


def _rename(request: Request, form: FormData) -> Response:
    site = site_of(request)
    title = normalise_title(request.path_params["title"])
    new_title, summary = _text(form, "new_title"), _text(form, "summary")
    base = _text(form, "base_version").strip()
    base_version = _version(base, "base_version")
    try:
        result = site.wiki.rename_page(
            author_id_of(request), title, new_title, summary, base_version
        )
    except PageExists as exists:
        message = _("Der findes allerede en side med titlen »%(title)s«.") % {"title": exists.title}
        return _rename_page(request, title, new_title, summary, base, {"new_title": message}, 409)
    except InvalidTitle as invalid:
        message = _("Titlen kan ikke bruges: %(reason)s.") % {"reason": invalid.reason}
        return _rename_page(request, title, new_title, summary, base, {"new_title": message}, 422)
    except InvalidInput as problem:
        return _rename_page(
            request, title, new_title, summary, base, {"summary": str(problem)}, 422
        )
    site.saw(result.notification_id)
    return _see_other(page_path(result.title))


def _rename_page(
    request: Request,
    title: str,
    new_title: str,
    summary: str,
    base_version: str,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Response:
    return templates.TemplateResponse(
        request,
        "rename.html",
        {
            "title": title,
            "new_title": new_title,
            "summary": summary,
            "base_version": base_version,
            "errors": errors or {},
            "max_summary": MAX_SUMMARY_LENGTH,
            "section": "page",
        },
        status_code=status,
    )


# ---------------------------------------------------------------------- shared


def _editor(
    request: Request,
    title: str,
    draft: Draft,
    *,
    problem: Problem | None = None,
    preview: Preview | None = None,
    choose_kind: bool = False,
) -> Response:
    kind = preview.kind if preview is not None else declared_kind(draft.body)
    status = 200 if problem is None else problem.status
    return templates.TemplateResponse(
        request,
        "edit.html",
        {
            "title": title,
            "draft": draft,
            "creating": draft.base_version == "",
            "kind": kind,
            "kinds": KINDS if choose_kind else (),
            "field_help": _field_help(kind),
            "problem": problem,
            "preview": preview,
            "max_summary": MAX_SUMMARY_LENGTH,
            "section": "page",
        },
        status_code=status,
    )


def _refused(
    request: Request,
    title: str,
    error: WikiError,
    *,
    draft: Draft | None = None,
    source: str | None = None,
) -> Response:
    """Not allowed, or not saved: why, with the editor's text (or the page's source) to
    copy. An expired session is the usual reason a form is refused, so say so."""
    headline, explanation = (_(text) for text in DANISH.get(error.code, DANISH_FALLBACK))
    if isinstance(error, CsrfRefused):
        headline = _("Formularen er for gammel")
        explanation = _(
            "Din session er udløbet, eller formularen blev sendt fra et andet sted."
            " Kopiér din tekst, log ind igen, og åbn redigeringen på ny."
        )
    return templates.TemplateResponse(
        request,
        "not_allowed.html",
        {
            "title": title,
            "headline": headline,
            "explanation": explanation,
            "draft": draft,
            "source": source,
            "edit_url": page_path(title) + "/edit",
            "login_url": _login_url(title) if viewer_of(request) is None else None,
            "status": STATUS_BY_CODE.get(error.code, 400),
            "section": "page",
        },
        status_code=STATUS_BY_CODE.get(error.code, 400),
    )


async def _posted(request: Request) -> tuple[FormData, CsrfRefused | None]:
    """The posted form, checked. A refused form is read only to hand its text back."""
    try:
        return await checked_form(request), None
    except CsrfRefused as refused:
        return await request.form(), refused  # parsed (within limits) by checked_form


def _require_may_change(request: Request, page: PageView | None) -> None:
    """The wiki's own permission check, asked before the form is shown."""
    viewer = viewer_of(request)
    author = site_of(request).wiki.author(viewer.author_id) if viewer is not None else None
    if page is None:
        require_editor(author)
        return
    require_may_change_page(author, title=page.title, protected=page.protected)
    if page.deleted:
        raise PageDeleted(page.title)


def _current_or_none(site: Site, title: str) -> PageView | None:
    try:
        return site.reader.page(title)
    except PageNotFound:
        return None


def _problem(error: InvalidInput | TooLarge, text: str) -> Problem:
    if isinstance(error, TooLarge):
        message = _("Teksten er for lang: en side må højst fylde %(size)s byte.") % {
            "size": f"{MAX_BODY_BYTES:,}".replace(",", ".")
        }
        return Problem(message, status=413)
    if isinstance(error, InvalidFrontMatter):
        return Problem(error.problem, error.line, error.field, _line(text, error.line))
    return Problem(str(error))


def _unresolved(text: str) -> Problem | None:
    line = conflict_line(text)
    if line is None:
        return None
    message = _(
        "Teksten indeholder stadig konfliktmarkeringer. Behold det, der skal stå,"
        " og slet linjerne %(start)s, %(mid)s og %(end)s."
    ) % dict(zip(("start", "mid", "end"), MARKERS, strict=True))
    return Problem(message, line, None, _line(text, line))


def _line(text: str, number: int | None) -> str | None:
    lines = text.splitlines()
    return lines[number - 1] if number is not None and 0 < number <= len(lines) else None


def _field_help(kind: str) -> list[FieldHelp]:
    """What each front matter field of `kind` takes, in the editor's words."""
    helps = []
    for field in kind_fields(kind):
        if field.choices:
            accepts = _("én af: %(choices)s") % {"choices": ", ".join(field.choices)}
        elif field.name in RELATIONS:
            accepts = _("en liste af sidetitler, fx [Første side, Anden side]")
        elif field.is_list:
            accepts = _("en liste, fx [første, anden]")
        else:
            accepts = _("tekst")
        helps.append(FieldHelp(field.name, FIELD_LABELS.get(field.name, field.name), accepts))
    return helps


def _version(posted: str, name: str) -> int | None:
    """A version number from a form or query (`""`: none); `InvalidInput` otherwise."""
    if not posted.strip():
        return None
    try:
        return int(posted)
    except ValueError:
        raise InvalidInput(_("%(name)s skal være et versionsnummer.") % {"name": name}) from None


def _to_version(request: Request) -> int:
    """The version a revert goes back to: `?to=N` on both the form and its POST."""
    version = _version(request.query_params.get("to", ""), "to")
    if version is None:
        raise InvalidInput(_("Angiv hvilken version der skal gendannes (?to=N)."))
    return version


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _moved(request: Request, page: PageView, suffix: str) -> Response:
    """An old title or another spelling: the form lives at the page's own address."""
    url = page_path(page.title) + suffix
    if request.url.query:
        url += "?" + request.url.query
    return RedirectResponse(url, status_code=303)


def _login_url(title: str) -> str:
    """To log in and come back to the editor (`next` as the login form expects it)."""
    return "/login?" + urlencode({"next": f"/wiki/{slug_for(title)}/edit"})


def _see_other(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


ROUTES: list[BaseRoute] = [
    Route("/wiki/{title:path}/edit", edit_form, methods=["GET"], name="edit_form"),
    Route("/wiki/{title:path}/edit", edit, methods=["POST"], name="edit"),
    Route("/wiki/{title:path}/revert", revert_form, methods=["GET"], name="revert_form"),
    Route("/wiki/{title:path}/revert", revert, methods=["POST"], name="revert"),
    Route("/wiki/{title:path}/rename", rename_form, methods=["GET"], name="rename_form"),
    Route("/wiki/{title:path}/rename", rename, methods=["POST"], name="rename"),
]
