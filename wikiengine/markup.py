"""The one renderer: page markdown (with `[[wiki links]]`) to safe HTML, its table of
contents and its outgoing links. (Front matter is `wikiengine.kinds`' business.)

Rendering escapes raw HTML (mistune `escape=True`) and then cleans the result with nh3
against an allowlist, so a mistake in a plugin cannot become a script in a reader's
browser. `[[Title]]` and `[[Title|label]]` link to `/wiki/<slug>`; a target that is not
a valid title stays plain text.

Whether a link target exists is not part of the rendering: stored HTML has every wiki
link as a plain link, and `mark_missing_links` marks the missing ones when a reader views
the page, so creating or deleting a page never means re-rendering the pages linking to it.
"""

import re
import unicodedata
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote

import mistune
import nh3
from mistune.core import BlockState, InlineState
from mistune.inline_parser import InlineParser

from wikiengine.errors import InvalidTitle
from wikiengine.titles import normalise_title, slug_for

WIKI_LINK_PATTERN = r"\[\[(?P<wl_target>[^\]\|\n]{1,200}?)(?:\|(?P<wl_label>[^\]\n]{1,200}?))?\]\]"


@dataclass(frozen=True)
class TocEntry:
    """A level 2 or 3 heading: `id` is its anchor (`h-…`, unique in the page)."""

    level: int
    id: str
    text: str


@dataclass(frozen=True)
class WikiLink:
    """An outgoing `[[link]]`: the target's slug and the target as a title."""

    slug: str
    title: str


@dataclass(frozen=True)
class Rendering:
    """A page body rendered: safe HTML, its table of contents and its outgoing links."""

    html: str
    toc: tuple[TocEntry, ...]
    links: tuple[WikiLink, ...]  # de-duplicated by slug, in order of first appearance


def page_path(title: str) -> str:
    """The URL path of a page: `/wiki/` and its URL-quoted slug. Raises `InvalidTitle`."""
    return "/wiki/" + quote(slug_for(title), safe="")


def render(markdown_body: str) -> Rendering:
    """Render a page body (without its front matter); wiki links are not yet marked missing."""
    state = BlockState()
    state.env[_LINKS] = {}
    html, state = _MARKDOWN.parse(markdown_body, state)
    assert isinstance(html, str)  # the html renderer returns text
    return Rendering(
        html=_SANITISER.clean(html),
        toc=tuple(state.env[_TOC]),
        links=tuple(state.env[_LINKS].values()),
    )


# After nh3 a wiki link is exactly this: nh3 keeps attribute order, adds no rel (see
# `_SANITISER`) and leaves the quoted slug alone (it has no `&` or `"`). Raw HTML in a
# page is escaped and `a` may carry no other class, so nothing else looks like this.
_WIKI_LINK_START = re.compile(r'<a class="wikilink" href="/wiki/([^"]*)">')


@lru_cache(maxsize=65_536)
def _quoted_slug(slug: str) -> str:
    # Read on every page view for every red link: worth remembering.
    return quote(slug, safe="")


def mark_missing_links(html: str, missing_slugs: Collection[str]) -> str:
    """`html` from `render` with class `missing` added to the links to `missing_slugs`."""
    if not missing_slugs:
        return html
    quoted = {_quoted_slug(slug) for slug in missing_slugs}

    def mark(match: re.Match[str]) -> str:
        if match.group(1) in quoted:
            return f'<a class="wikilink missing" href="/wiki/{match.group(1)}">'
        return match.group(0)

    return _WIKI_LINK_START.sub(mark, html)


# ---------------------------------------------------------------------- markdown

_LINKS = "wiki_links"  # state.env key: slug -> WikiLink, in order of first appearance
_TOC = "toc"  # state.env key: list of TocEntry
_EXTERNAL_REL = "nofollow ugc noopener"
# Same-site links: a fragment, or a path that a browser cannot read as `//host`.
_INTERNAL_HREF = re.compile(r"#|/(?![/\\\s])")


def _parse_wiki_link(inline: InlineParser, m: re.Match[str], state: InlineState) -> int:
    if state.in_link:  # after a raw `<a …>` (escaped as text, but mistune tracks it)
        inline.process_text(m.group(0), state)
        return m.end()
    target = m.group("wl_target").strip()
    try:
        title = normalise_title(target)
    except InvalidTitle:
        inline.process_text(m.group(0), state)
        return m.end()
    slug = slug_for(title)
    state.env.setdefault(_LINKS, {}).setdefault(slug, WikiLink(slug=slug, title=title))
    label = (m.group("wl_label") or "").strip() or target
    state.append_token({"type": "wiki_link", "raw": label, "attrs": {"slug": slug}})
    # A wiki link is a link: like mistune does after `[text](url)`, make the `[` openers
    # before it plain text, so `[see [[X]]](url)` cannot wrap it in a second <a>.
    opener = state.last_link
    while opener is not None and opener.active:
        opener.active = False
        opener = opener.previous_link
    return m.end()


def _wiki_links(md: mistune.Markdown) -> None:
    md.inline.register(
        "wiki_link", WIKI_LINK_PATTERN, _parse_wiki_link, before="link", start_chars="["
    )


class _PageRenderer(mistune.HTMLRenderer):
    """mistune's HTML with wiki links, `rel` on external links only, and alignment as
    a class (the CSP allows no inline styles). Holds no per-render data: one instance
    serves every thread."""

    def wiki_link(self, text: str, slug: str) -> str:
        href = "/wiki/" + quote(slug, safe="")
        return f'<a class="wikilink" href="{href}">{mistune.escape(text)}</a>'

    def link(self, text: str, url: str, title: str | None = None) -> str:
        href = self.sanitize_url(url)
        attrs: dict[str, object] = {"href": href, "title": title or None}
        if not _INTERNAL_HREF.match(href):
            attrs["rel"] = _EXTERNAL_REL
        return "<a" + self.render_attrs(attrs) + ">" + text + "</a>"

    def table_cell(self, text: str, align: str | None = None, head: bool = False) -> str:
        tag = "th" if head else "td"
        attrs = self.render_attrs({"class": f"align-{align}" if align else None})
        return f"  <{tag}{attrs}>{text}</{tag}>\n"


def _heading_ids(md: mistune.Markdown, state: BlockState) -> None:
    """Give every heading a readable, unique `h-…` id and collect levels 2-3 as the TOC.

    mistune's `add_toc_hook` is not used: with a custom id function it no longer makes
    ids unique, and it re-parses headings with the page's env, which would collect the
    wiki links in headings before the ones above them.
    """
    env = {key: state.env[key] for key in ("ref_links", "ref_footnotes") if key in state.env}
    seen: set[str] = set()
    toc: list[TocEntry] = []
    for token in state.tokens:
        if token["type"] != "heading":
            continue
        text = _plain_text(md.inline(token["text"].strip(), dict(env)))
        heading_id = base = "h-" + _id_words(text)
        number = 1
        while heading_id in seen:
            number += 1
            heading_id = f"{base}-{number}"
        seen.add(heading_id)
        token["attrs"]["id"] = heading_id
        if token["attrs"]["level"] in (2, 3):
            toc.append(TocEntry(level=token["attrs"]["level"], id=heading_id, text=text))
    state.env[_TOC] = toc


def _plain_text(tokens: Iterable[dict[str, Any]]) -> str:
    parts: list[str] = []
    for token in tokens:
        if token["type"] == "footnote_ref":
            continue
        if token["type"] in ("linebreak", "softbreak"):
            parts.append(" ")
        elif "children" in token:
            parts.append(_plain_text(token["children"]))
        elif "raw" in token:
            parts.append(token["raw"])
    return " ".join("".join(parts).split())


_DANISH_LETTERS = str.maketrans({"æ": "ae", "ø": "oe", "å": "aa"})
_MAX_ID_WORDS_LENGTH = 60


def _id_words(text: str) -> str:
    """`Effekt på økonomien` -> `effekt-paa-oekonomien`; `afsnit` if no letters are left."""
    text = unicodedata.normalize("NFKD", text.lower().translate(_DANISH_LETTERS))
    words = re.sub(r"[^a-z0-9]+", "-", text.encode("ascii", "ignore").decode()).strip("-")
    return words[:_MAX_ID_WORDS_LENGTH].rstrip("-") or "afsnit"


_MARKDOWN = mistune.create_markdown(
    renderer=_PageRenderer(escape=True),
    plugins=["strikethrough", "footnotes", "table", "task_lists", "url", _wiki_links],
)
_MARKDOWN.before_render_hooks.append(_heading_ids)


# ---------------------------------------------------------------------- sanitiser


def _allowed_attributes() -> dict[str, set[str]]:
    attributes = {tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()}
    for tag in ("h1", "h2", "h3", "h4", "h5", "h6", "li", "sup"):  # headings, footnotes
        attributes.setdefault(tag, set()).add("id")
    attributes["a"].add("title")
    attributes["input"] = {"checked", "disabled"}
    return attributes


# What mistune and `_PageRenderer` emit and nothing more: `class` only with these values
# (so only a wiki link is `a.wikilink`), `rel` only on external links and only this value
# (nh3's `link_rel` would put it on every link, wiki links included), no `style`.
_SANITISER = nh3.Cleaner(
    tags=nh3.ALLOWED_TAGS | {"input", "section"},
    attributes=_allowed_attributes(),
    allowed_classes={
        "a": {"wikilink", "footnote"},
        "th": {"align-left", "align-center", "align-right"},
        "td": {"align-left", "align-center", "align-right"},
        "li": {"task-list-item"},
        "input": {"task-list-item-checkbox"},
        "section": {"footnotes"},
        "sup": {"footnote-ref"},
    },
    tag_attribute_values={"a": {"rel": {_EXTERNAL_REL}}, "input": {"type": {"checkbox"}}},
    link_rel=None,
    url_schemes={"http", "https", "mailto"},
)
