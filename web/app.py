"""The starlette application: its routes, middleware and lifespan."""

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from web import api, views
from web import search as search_api
from web.csrf import OriginCheckMiddleware
from web.errors import EXCEPTION_HANDLERS
from web.headers import SecurityHeadersMiddleware
from web.i18n import LanguageMiddleware
from web.sessions import RotatingSessionMiddleware
from web.site import Site, open_site
from wikiengine.config import load_settings

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a page may hold 1 MB of text; forms add a little

ROUTES: list[BaseRoute] = [
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


def create_app(site: Site, *, project: bool = True) -> Starlette:
    """The web application over `site`; it closes the site when the server shuts down.

    With `project`, the server also keeps the read model and this node's search index up
    to date while it runs (when several workers run, locks let one of them do each).
    """
    projectors = [site.projector, site.search_projector] if project else []
    running = [projector for projector in projectors if projector is not None]

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for projector in running:
            projector.start()
        try:
            yield
        finally:
            with ExitStack() as closing:
                closing.callback(site.close)
                for projector in running:
                    closing.callback(projector.stop)

    settings = site.settings
    app = Starlette(
        routes=ROUTES,
        middleware=[
            Middleware(SecurityHeadersMiddleware),
            Middleware(OriginCheckMiddleware, allowed_origin=settings.base_url),
            Middleware(
                RotatingSessionMiddleware,
                secret_keys=site.secret_keys,
                https_only=settings.base_url.startswith("https://"),
            ),
            Middleware(LanguageMiddleware, default=settings.language),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
        max_body_size=MAX_BODY_BYTES,
    )
    app.state.site = site
    return app


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` (one site per worker process), configured by `WIKI_*`."""
    return create_app(open_site(load_settings()))
