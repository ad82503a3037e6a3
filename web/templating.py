"""The Jinja2 templates (autoescaped, translated) and what every template can use:
the viewer, a CSRF token for forms, the language, and a few filters and labels."""

from datetime import datetime
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from web import i18n
from web.auth import shown_viewer
from web.csrf import CSRF_FIELD, csrf_token
from web.i18n import N_
from wikiengine.attribution import parse_signed_at
from wikiengine.markup import page_path

TEMPLATES_DIR = Path(__file__).parent / "templates"

KIND_LABELS = {
    "article": N_("Artikel"),
    "case": N_("Case"),
    "recommendation": N_("Anbefaling"),
    "network": N_("Netværk"),
}


def danish_time(moment_text: str) -> str:
    """`2026-11-28T10:15:00.123456Z` (a `signed_at`, or an ISO time from the account
    tables) -> `28.11.2026 kl. 10.15 UTC` (in English, as the catalogue writes the
    format: `2026-11-28 10:15 UTC`)."""
    try:
        moment = parse_signed_at(moment_text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(moment_text)
        except ValueError:
            return moment_text
    return moment.strftime(i18n.gettext("%d.%m.%Y kl. %H.%M UTC"))


def request_context(request: Request) -> dict[str, Any]:
    """What every template sees besides its own context."""
    return {
        "viewer": shown_viewer(request) if "session" in request.scope else None,
        # A callable: the token (and so a session cookie) is made only for pages with forms.
        "csrf_token": lambda: csrf_token(request),
        "csrf_field": CSRF_FIELD,
        "lang": i18n.current_language.get(),
    }


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        i18n.gettext, i18n.ngettext, newstyle=True
    )
    # `_()` in a template returns markup (Jinja's newstyle gettext), which autoescaping
    # trusts: right for the templates' own messages, wrong for a value. Labels looked up
    # from data go through `label()`, a plain string that is escaped like any other.
    environment.globals["label"] = i18n.gettext
    environment.filters["danish_time"] = danish_time
    environment.globals["page_path"] = page_path
    environment.globals["kind_labels"] = KIND_LABELS
    return environment


templates = Jinja2Templates(env=_environment(), context_processors=[request_context])
