"""The starlette application: its routes, middleware and lifespan.

Read-only for now: every route answers GET (and HEAD) only, so nothing can change the
wiki over HTTP; any other method gets 405.
"""

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from search.indexer import SearchProjector, open_search_projector
from storage.eventstore import open_projector, open_wiki
from storage.readmodel import SqlProjector
from web import api, views
from web import search as search_api
from web.errors import EXCEPTION_HANDLERS
from web.headers import SecurityHeadersMiddleware
from wikiengine.application import Wiki
from wikiengine.config import load_settings
from wikiengine.projector import Projector

STATIC_DIR = Path(__file__).parent / "static"

ROUTES = [
    Route("/", views.front_page, methods=["GET"], name="front_page"),
    Route("/pages", views.all_pages, methods=["GET"], name="pages"),
    Route("/wiki/{title:path}/history", views.history, methods=["GET"], name="history"),
    Route("/wiki/{title:path}", views.page, methods=["GET"], name="page"),
    Route("/api/v1/pages/{title:path}", api.page, methods=["GET"], name="api_page"),
    Route("/api/v1/export", api.export, methods=["GET"], name="api_export"),
    Route("/api/v1/search", search_api.search, methods=["GET"], name="api_search"),
    Route("/search", search_api.search_page, methods=["GET"], name="search"),
    Route(
        "/.well-known/wiki-signing-keys.json",
        api.signing_keys,
        methods=["GET"],
        name="signing_keys",
    ),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]


def create_app(
    wiki: Wiki, projector: SqlProjector | None = None, search: SearchProjector | None = None
) -> Starlette:
    """The web application over `wiki`; it closes the wiki when the server shuts down.

    With a `projector`, the server also keeps the read model up to date while it runs, and
    with `search`, this node's search index (when several workers run, locks let one of
    them do each).
    """
    projectors: list[Projector[Any]] = [found for found in (projector, search) if found]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for running in projectors:
            running.start()
        try:
            yield
        finally:
            with ExitStack() as closing:
                closing.callback(wiki.close)
                for running in projectors:
                    closing.callback(running.view.close)
                    closing.callback(running.stop)

    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.wiki = wiki
    app.state.search = search.view if search is not None else None
    return app


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` (one wiki per worker process), configured by `WIKI_*`."""
    settings = load_settings()
    wiki = open_wiki(settings)
    try:
        projector = open_projector(settings, wiki)
        search = open_search_projector(settings, wiki)
    except BaseException:
        wiki.close()
        raise
    return create_app(wiki, projector, search)
