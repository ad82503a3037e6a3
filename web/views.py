"""The HTML pages: the front page, a page, its history and the list of all pages.

Plain `def` endpoints: the wiki is synchronous, and starlette runs them in a thread pool.
"""

from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from web.reading import current_page, find_page, live_pages, revisions, wiki_of
from web.templating import templates
from wikiengine.demo import FRONT_PAGE
from wikiengine.errors import InvalidTitle, PageNotFound
from wikiengine.kinds import RELATIONS
from wikiengine.markup import page_path
from wikiengine.pages import Page

FIELD_LABELS = {
    "organisation": "Organisation",
    "sector": "Sektor",
    "area": "Område",
    "status": "Status",
    "period": "Periode",
    "effect": "Virkning",
    "process": "Proces",
    "conditions": "Betingelser",
    "documentation": "Dokumentation",
    "audience": "Målgruppe",
    "theme": "Tema",
    "level": "Niveau",
    "parties": "Partier",
    "tasks": "Politikernes opgaver",
    "cases": "Cases",
    "recommendations": "Anbefalinger",
    "network": "Netværk",
    "tags": "Emneord",
}
SECTOR_LABELS = {"stat": "Stat", "kommune": "Kommune", "region": "Region", "other": "Andet"}

EVENT_LABELS = {
    "page.created": "Oprettet",
    "page.edited": "Redigeret",
    "page.reverted": "Gendannet",
    "page.renamed": "Omdøbt",
    "page.protected": "Beskyttet",
    "page.unprotected": "Beskyttelse fjernet",
    "page.deleted": "Slettet",
    "page.restored": "Genskabt",
    "page.revision_suppressed": "Tekst skjult",
}


@dataclass(frozen=True)
class FieldValue:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Field:
    label: str
    values: list[FieldValue]


def front_page(request: Request) -> Response:
    wiki = wiki_of(request)
    try:
        page = find_page(wiki, FRONT_PAGE)
    except PageNotFound:
        return templates.TemplateResponse(
            request, "pages.html", {"pages": live_pages(wiki), "section": "front"}
        )
    return _page_response(request, page, section="front")


def page(request: Request) -> Response:
    title = request.path_params["title"]
    page = find_page(wiki_of(request), title)
    if title != page.slug:
        return _moved(request, page, "")
    return _page_response(request, page, section="page")


def history(request: Request) -> Response:
    title = request.path_params["title"]
    wiki = wiki_of(request)
    page = find_page(wiki, title)
    if title != page.slug:
        return _moved(request, page, "/history")
    return templates.TemplateResponse(
        request,
        "history.html",
        {
            "page": current_page(page),
            "revisions": list(reversed(revisions(wiki, page))),
            "event_labels": EVENT_LABELS,
            "section": "page",
        },
    )


def all_pages(request: Request) -> Response:
    return templates.TemplateResponse(
        request, "pages.html", {"pages": live_pages(wiki_of(request)), "section": "pages"}
    )


def _page_response(request: Request, page: Page, section: str) -> Response:
    current = current_page(page)
    return templates.TemplateResponse(
        request,
        "page.html",
        {"page": current, "fields": display_fields(current.fields), "section": section},
    )


def _moved(request: Request, page: Page, suffix: str) -> Response:
    """An old title (left by a rename) or a non-canonical spelling: go to the page's URL.

    Permanent, but browsers must revalidate: a page renamed back would otherwise loop
    in a browser that cached the first redirect.
    """
    url = page_path(page.title) + suffix
    if request.url.query:
        url += "?" + request.url.query
    return RedirectResponse(url, status_code=301, headers={"Cache-Control": "no-cache"})


def display_fields(fields: dict[str, Any]) -> list[Field]:
    """Front matter as labelled values; relations link to the pages they name."""
    shown = []
    for name, value in fields.items():
        items = value if isinstance(value, list) else [value]
        values = [_field_value(name, item) for item in items if item not in (None, "")]
        if values:
            shown.append(Field(FIELD_LABELS.get(name, name), values))
    return shown


def _field_value(name: str, item: Any) -> FieldValue:
    text = str(item)
    if name == "sector":
        return FieldValue(SECTOR_LABELS.get(text, text))
    if name in RELATIONS:
        try:
            return FieldValue(text, page_path(text))
        except InvalidTitle:
            return FieldValue(text)
    return FieldValue(text)


ROUTES: list[BaseRoute] = [
    Route("/", front_page, methods=["GET"], name="front_page"),
    Route("/pages", all_pages, methods=["GET"], name="pages"),
    Route("/wiki/{title:path}/history", history, methods=["GET"], name="history"),
    Route("/wiki/{title:path}", page, methods=["GET"], name="page"),  # last: it takes any path
]
