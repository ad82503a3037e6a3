"""The one renderer: page markdown (with `[[wiki links]]`) to safe HTML, and front matter.

Rendering escapes raw HTML (mistune `escape=True`) and then cleans the result with nh3
against an allowlist, so a mistake in a plugin cannot become a script in a reader's
browser. `[[Title]]` and `[[Title|label]]` link to `/wiki/<slug>`; a target that is not
a valid title stays plain text.

Front matter is YAML between `---` lines at the top of a page. `split_front_matter`
never raises: text whose front matter is not a YAML mapping comes back unchanged with
no fields (the editor reports the error with its line; readers just see the text).
"""

import datetime
import math
import re
from typing import Any
from urllib.parse import quote

import mistune
import nh3
import yaml
from mistune.core import BaseRenderer, InlineState
from mistune.inline_parser import InlineParser

from wikiengine.errors import InvalidTitle
from wikiengine.titles import slug_for

WIKI_LINK_PATTERN = r"\[\[(?P<wl_target>[^\]\|\n]{1,200}?)(?:\|(?P<wl_label>[^\]\n]{1,200}?))?\]\]"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(?P<yaml>.*?\n)?---[ \t]*(?:\n|\Z)", re.DOTALL)


def page_path(title: str) -> str:
    """The URL path of a page: `/wiki/` and its URL-quoted slug. Raises `InvalidTitle`."""
    return "/wiki/" + quote(slug_for(title), safe="")


def _parse_wiki_link(inline: InlineParser, m: re.Match[str], state: InlineState) -> int:
    target = m.group("wl_target").strip()
    label = (m.group("wl_label") or target).strip()
    if state.in_link:  # a wiki link inside [text](url) would nest <a> elements
        inline.process_text(m.group(0), state)
        return m.end()
    try:
        path = page_path(target)
    except InvalidTitle:
        inline.process_text(m.group(0), state)
        return m.end()
    state.append_token({"type": "wiki_link", "raw": label or target, "attrs": {"path": path}})
    return m.end()


def _render_wiki_link(_renderer: BaseRenderer, text: str, path: str) -> str:
    return f'<a class="wikilink" href="{mistune.escape(path)}">{mistune.escape(text)}</a>'


def _wiki_links(md: mistune.Markdown) -> None:
    md.inline.register(
        "wiki_link", WIKI_LINK_PATTERN, _parse_wiki_link, before="link", start_chars="["
    )
    if md.renderer is not None and md.renderer.NAME == "html":
        md.renderer.register("wiki_link", _render_wiki_link)


_MARKDOWN = mistune.create_markdown(
    escape=True,
    plugins=["strikethrough", "footnotes", "table", "task_lists", "url", _wiki_links],
)


def _allowed_attributes() -> dict[str, set[str]]:
    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li", "sup", "a", "section", "th", "td"):
        attributes.setdefault(tag, set()).update({"id", "class"})
    for tag in ("code", "pre", "ol"):
        attributes.setdefault(tag, set()).update({"id", "class"})
    attributes["input"] = {"type", "checked", "disabled", "class"}
    attributes["th"].add("style")
    attributes["td"].add("style")
    return attributes


_ALLOWED_TAGS = nh3.ALLOWED_TAGS | {"input", "section", "mark"}
_ALLOWED_ATTRIBUTES = _allowed_attributes()


def render(markdown_text: str) -> str:
    """Safe HTML for a page body (without its front matter)."""
    html = _MARKDOWN(markdown_text)
    assert isinstance(html, str)  # the html renderer returns text
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow ugc noopener",
        filter_style_properties={"text-align"},
    )


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    """The front matter fields (JSON-shaped) and the body after them.

    Without front matter, or when it is not a YAML mapping, returns `({}, text)`.
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    try:
        data = yaml.safe_load(match.group("yaml") or "")
    except yaml.YAMLError:
        return {}, text
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, text
    return {str(key): _json_shaped(value) for key, value in data.items()}, text[match.end() :]


def _json_shaped(value: Any) -> Any:
    """YAML gives dates and other types; readers and the JSON API want JSON values."""
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN or infinity
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, list):
        return [_json_shaped(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _json_shaped(item) for key, item in value.items()}
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)
