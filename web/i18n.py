"""The interface language: Danish by default, English through a gettext catalogue.

The templates' messages are written in Danish (the wiki's language, and its default);
`web/locale/en/LC_MESSAGES/messages.po` translates them. Catalogues are compiled in memory
by Babel when first used, so only the `.po` sources live in git. A request's language comes
from `?lang=`, then the session (where `?lang=` leaves it), then `Accept-Language`, then
`WIKI_LANGUAGE`.
"""

import gettext as gettext_module
from contextvars import ContextVar
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

LANGUAGES = ("da", "en")
SOURCE_LANGUAGE = "da"
LOCALE_DIR = Path(__file__).parent / "locale"
SESSION_LANGUAGE = "lang"

current_language: ContextVar[str] = ContextVar("current_language", default=SOURCE_LANGUAGE)


@cache
def translations(language: str) -> gettext_module.NullTranslations:
    if language == SOURCE_LANGUAGE:
        return gettext_module.NullTranslations()
    with (LOCALE_DIR / language / "LC_MESSAGES" / "messages.po").open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return gettext_module.GNUTranslations(compiled)


def gettext(message: str) -> str:
    return translations(current_language.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(current_language.get()).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks a label kept in a table for extraction (`pybabel -k N_`); it is translated
    where it is shown, with `_(label)`, in the reader's language."""
    return message


def choose_language(connection: HTTPConnection, default: str) -> str:
    asked = connection.query_params.get("lang")
    if asked in LANGUAGES:
        if "session" in connection.scope and connection.session.get(SESSION_LANGUAGE) != asked:
            connection.session[SESSION_LANGUAGE] = asked
        return asked
    if "session" in connection.scope:
        remembered = connection.session.get(SESSION_LANGUAGE)
        if remembered in LANGUAGES:
            return str(remembered)
    return _from_accept_language(connection.headers.get("accept-language", "")) or default


def _from_accept_language(header: str) -> str | None:
    best, best_quality = None, 0.0
    for item in header.split(","):
        tag, _, parameters = item.strip().partition(";")
        language = tag.strip().lower().split("-")[0]
        quality = 1.0
        if parameters.strip().startswith("q="):
            try:
                quality = float(parameters.strip()[2:])
            except ValueError:
                continue
        if language in LANGUAGES and quality > best_quality:
            best, best_quality = language, quality
    return best


class LanguageMiddleware:
    """Sets `current_language` for the request (after the session middleware)."""

    def __init__(self, app: ASGIApp, default: str) -> None:
        self.app = app
        self.default = default if default in LANGUAGES else SOURCE_LANGUAGE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = current_language.set(choose_language(HTTPConnection(scope), self.default))
        try:
            await self.app(scope, receive, send)
        finally:
            current_language.reset(token)
