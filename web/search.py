"""Search over this node's index: the page `/search` and `GET /api/v1/search`.

Both read the same parameters: `q`, the filters (`kind`, `sector`, `theme`, `tags`,
`authors`, `area`, `audience`, `level`; repeated for any of several values),
`related_to`, `limit` and `offset`.
"""

from dataclasses import asdict, dataclass
from urllib.parse import urlencode

from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from search.index import SearchIndex, SearchUnavailable
from search.results import MAX_LIMIT, FacetValue, SearchRequest, SearchResults
from search.schema import FACETS, FILTERS
from web.i18n import N_
from web.i18n import gettext as _
from web.templating import KIND_LABELS, templates
from web.views import SECTOR_LABELS
from wikiengine.errors import InvalidInput

MAX_QUERY_CHARS = 500
MAX_OFFSET = 1_000  # deeper pages cost more than anyone reads them for
MAX_FILTER_VALUES = 20
PAGE_SIZE = 10

FACET_HEADINGS = {
    "kind": N_("Type"),
    "sector": N_("Sektor"),
    "theme": N_("Tema"),
    "tags": N_("Emneord"),
    "authors": N_("Forfattere"),
}
RELATION_LABELS = {
    ("cases", "out"): N_("Case"),
    ("recommendations", "out"): N_("Anbefaling"),
    ("network", "out"): N_("Netværksemne"),
    ("cases", "in"): N_("Har den som case"),
    ("recommendations", "in"): N_("Har den som anbefaling"),
    ("network", "in"): N_("Har den som netværksemne"),
}


def search(request: Request) -> Response:
    """`GET /api/v1/search`: the contract's JSON."""
    return JSONResponse(as_json(_index(request).search(read_request(request.query_params))))


def search_page(request: Request) -> Response:
    """`/search`: the form, the hits with snippets and related pages, facets to narrow."""
    wanted = read_request(request.query_params, default_limit=PAGE_SIZE)
    found = _index(request).search(wanted)
    return templates.TemplateResponse(
        request,
        "search.html",
        {
            "section": "search",
            "wanted": wanted,
            "found": found,
            "facets": _facet_links(request.query_params, found),
            "relation_labels": RELATION_LABELS,
            "facet_headings": FACET_HEADINGS,
            "previous": _page_link(request.query_params, wanted.offset - wanted.limit)
            if wanted.offset
            else None,
            "next": _page_link(request.query_params, wanted.offset + wanted.limit)
            if wanted.offset + wanted.limit < min(found.total, MAX_OFFSET + 1)
            else None,
        },
    )


def read_request(params: QueryParams, default_limit: int = 10) -> SearchRequest:
    """The search the parameters ask for. Raises `InvalidInput` (422) for bad ones."""
    try:
        limit = int(params.get("limit", str(default_limit)))
        offset = int(params.get("offset", "0"))
    except ValueError:
        raise InvalidInput("limit and offset must be whole numbers") from None
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_OFFSET:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}, offset 0 to {MAX_OFFSET}")
    text = params.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput(f"the query is longer than {MAX_QUERY_CHARS} characters")
    filters = {
        name: tuple(dict.fromkeys(value for value in params.getlist(name) if value))
        for name in FILTERS
        if params.getlist(name)
    }
    if any(len(values) > MAX_FILTER_VALUES for values in filters.values()):
        raise InvalidInput(f"at most {MAX_FILTER_VALUES} values per filter")
    return SearchRequest(text, filters, params.get("related_to") or None, limit, offset)


def as_json(found: SearchResults) -> dict[str, object]:
    """The contract's shape; author facets are keyed by id, their names in `labels`."""
    return {
        "total": found.total,
        "results": [
            {
                "title": hit.title,
                "slug": hit.slug,
                "kind": hit.kind,
                "modified": hit.modified.isoformat() + "Z",
                "snippet_html": hit.snippet_html,
                "related": [asdict(page) for page in hit.related],
            }
            for hit in found.hits
        ],
        "facets": {
            name: {value.value: value.count for value in values}
            for name, values in found.facets.items()
        },
        "labels": {"authors": {value.value: value.label for value in found.facets["authors"]}},
    }


@dataclass(frozen=True)
class FacetLink:
    label: str
    count: int
    href: str  # the search with this value added, or taken away when chosen
    chosen: bool


def _facet_links(params: QueryParams, found: SearchResults) -> dict[str, list[FacetLink]]:
    links: dict[str, list[FacetLink]] = {}
    for name in FACETS:
        chosen = set(params.getlist(name))
        links[name] = [
            FacetLink(
                _facet_label(name, value),
                value.count,
                _toggled(params, name, value.value),
                value.value in chosen,
            )
            for value in found.facets.get(name, ())
        ]
    return {name: found_links for name, found_links in links.items() if found_links}


def _facet_label(name: str, value: FacetValue) -> str:
    if name == "kind" and value.value in KIND_LABELS:
        return _(KIND_LABELS[value.value])
    if name == "sector" and value.value in SECTOR_LABELS:
        return _(SECTOR_LABELS[value.value])
    return value.label


def _toggled(params: QueryParams, name: str, value: str) -> str:
    """This search with `name=value` added (or removed, when it is there), from page 1."""
    pairs = [(key, item) for key, item in params.multi_items() if key not in {"offset"}]
    if (name, value) in pairs:
        pairs.remove((name, value))
    else:
        pairs.append((name, value))
    return "/search?" + urlencode(pairs)


def _page_link(params: QueryParams, offset: int) -> str:
    pairs = [(key, item) for key, item in params.multi_items() if key != "offset"]
    return "/search?" + urlencode([*pairs, ("offset", str(max(0, offset)))])


def _index(request: Request) -> SearchIndex:
    index: SearchIndex | None = request.app.state.site.search
    if index is None:
        raise SearchUnavailable("This server keeps no search index.")
    return index


ROUTES: list[BaseRoute] = [
    Route("/api/v1/search", search, methods=["GET"], name="api_search"),
    Route("/search", search_page, methods=["GET"], name="search"),
]
