"""`GET /api/v1/search`: full-text search over this node's index, with facets."""

from dataclasses import asdict

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from search.index import SearchIndex, SearchUnavailable
from search.results import MAX_LIMIT, SearchRequest, SearchResults
from search.schema import FILTERS, MULTI_VALUED
from web.errors import error_response

MAX_QUERY_CHARS = 500
MAX_OFFSET = 1_000  # deeper pages cost more than anyone reads them for
MAX_FILTER_VALUES = 20


def search(request: Request) -> Response:
    index: SearchIndex | None = getattr(request.app.state, "search", None)
    params = request.query_params
    try:
        limit = int(params.get("limit", "10"))
        offset = int(params.get("offset", "0"))
    except ValueError:
        return error_response(request, 422, "invalid", "limit and offset must be whole numbers")
    if not 1 <= limit <= MAX_LIMIT or not 0 <= offset <= MAX_OFFSET:
        return error_response(
            request,
            422,
            "invalid",
            f"limit must be 1 to {MAX_LIMIT}, offset 0 to {MAX_OFFSET}",
        )
    text = params.get("q", "")
    if len(text) > MAX_QUERY_CHARS:
        return error_response(
            request, 422, "invalid", f"the query is longer than {MAX_QUERY_CHARS} characters"
        )
    filters = {
        name: tuple(dict.fromkeys(value for value in params.getlist(name) if value))
        for name in FILTERS
        if params.getlist(name)
    }
    if any(len(values) > MAX_FILTER_VALUES for values in filters.values()):
        return error_response(
            request, 422, "invalid", f"at most {MAX_FILTER_VALUES} values per filter"
        )
    wanted = SearchRequest(text, filters, params.get("related_to") or None, limit, offset)
    if index is None:
        raise SearchUnavailable("This server keeps no search index.")
    return JSONResponse(as_json(index.search(wanted)))


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
        "labels": {
            name: {value.value: value.label for value in values}
            for name, values in found.facets.items()
            if name in MULTI_VALUED and any(value.label != value.value for value in values)
        },
    }
