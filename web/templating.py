"""The Jinja2 templates (autoescaped) and the few filters and labels they use."""

from pathlib import Path

import jinja2
from starlette.templating import Jinja2Templates

from wikiengine.attribution import parse_signed_at
from wikiengine.markup import page_path

TEMPLATES_DIR = Path(__file__).parent / "templates"

KIND_LABELS = {
    "article": "Artikel",
    "case": "Case",
    "recommendation": "Anbefaling",
    "network": "Netværk",
}


def danish_time(signed_at: str) -> str:
    """`2026-11-28T10:15:00.123456Z` -> `28.11.2026 kl. 10.15 UTC`."""
    try:
        moment = parse_signed_at(signed_at)
    except ValueError:
        return signed_at
    return moment.strftime("%d.%m.%Y kl. %H.%M UTC")


def _environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["danish_time"] = danish_time
    environment.globals["page_path"] = page_path
    environment.globals["kind_labels"] = KIND_LABELS
    return environment


templates = Jinja2Templates(env=_environment())
