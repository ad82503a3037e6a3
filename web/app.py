"""The starlette application: its routes, middleware and lifespan."""

from collections.abc import AsyncIterator
from contextlib import ExitStack, asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from web import accounts, admin, admin_api, api, audit, editing, integrity, oidc, search, views
from web.accesslog import redact_access_log
from web.auth import ViewerMiddleware
from web.csrf import OriginCheckMiddleware
from web.errors import EXCEPTION_HANDLERS
from web.headers import SecurityHeadersMiddleware
from web.i18n import LanguageMiddleware
from web.limits import BodySizeLimitMiddleware
from web.sessions import RotatingSessionMiddleware
from web.site import Site, open_site
from wikiengine.config import load_settings

STATIC_DIR = Path(__file__).parent / "static"
MAX_BODY_BYTES = 2 * 1024 * 1024  # a page may hold 1 MB of text; forms add a little

# Order matters: `/wiki/{title:path}` would swallow `/wiki/X/edit`, so the page route
# comes last within `views.ROUTES`, after every module with `/wiki/.../something` routes.
ROUTES: list[BaseRoute] = [
    *search.ROUTES,
    *accounts.ROUTES,
    *oidc.ROUTES,
    *admin.ROUTES,
    *admin_api.ROUTES,
    *audit.ROUTES,
    *integrity.ROUTES,
    *api.ROUTES,
    *editing.ROUTES,
    *views.ROUTES,
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
        redact_access_log()
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
            Middleware(BodySizeLimitMiddleware, max_body_bytes=MAX_BODY_BYTES),
            Middleware(OriginCheckMiddleware, allowed_origin=settings.base_url),
            Middleware(
                RotatingSessionMiddleware,
                secret_keys=site.secret_keys,
                https_only=settings.base_url.startswith("https://"),
            ),
            Middleware(LanguageMiddleware, default=settings.language),
            Middleware(ViewerMiddleware),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.site = site
    return app


def app_from_environment() -> Starlette:
    """Factory for `uvicorn --factory` (one site per worker process), configured by `WIKI_*`."""
    return create_app(open_site(load_settings()))
