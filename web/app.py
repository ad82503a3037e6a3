"""The starlette application: its routes, middleware and lifespan.

Read-only for now: every route answers GET (and HEAD) only, so nothing can change the
wiki over HTTP; any other method gets 405.
"""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from storage.eventstore import open_projector, open_wiki
from storage.readmodel import SqlProjector
from web import api, views
from web.errors import EXCEPTION_HANDLERS
from web.headers import SecurityHeadersMiddleware
from wikiengine.application import Wiki
from wikiengine.config import load_settings

STATIC_DIR = Path(__file__).parent / "static"

ROUTES = [
    Route("/", views.front_page, methods=["GET"], name="front_page"),
    Route("/pages", views.all_pages, methods=["GET"], name="pages"),
    Route("/wiki/{title:path}/history", views.history, methods=["GET"], name="history"),
    Route("/wiki/{title:path}", views.page, methods=["GET"], name="page"),
    Route("/api/v1/pages/{title:path}", api.page, methods=["GET"], name="api_page"),
    Route("/api/v1/export", api.export, methods=["GET"], name="api_export"),
    Route(
        "/.well-known/wiki-signing-keys.json",
        api.signing_keys,
        methods=["GET"],
        name="signing_keys",
    ),
    Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
]


def create_app(wiki: Wiki, projector: SqlProjector | None = None) -> Starlette:
    """The web application over `wiki`; it closes the wiki when the server shuts down.

    With a `projector`, the server also keeps the read model up to date while it runs
    (when several workers run, the projector lock lets one of them do it).
    """

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        if projector is not None:
            projector.start()
        try:
            yield
        finally:
            try:
                if projector is not None:
                    try:
                        projector.stop()
                    finally:
                        projector.view.close()
            finally:
                wiki.close()

    app = Starlette(
        routes=ROUTES,
        middleware=[Middleware(SecurityHeadersMiddleware)],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.wiki = wiki
    return app


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` (one wiki per worker process), configured by `WIKI_*`."""
    settings = load_settings()
    wiki = open_wiki(settings)
    try:
        projector = open_projector(settings, wiki)
    except BaseException:
        wiki.close()
        raise
    return create_app(wiki, projector)
