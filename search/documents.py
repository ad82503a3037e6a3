"""What the index keeps about a page, and the whoosh document made of it.

A page's search document is derived from its current text (kind, fields, relations, tags
and the body as plain text: markdown is rendered, then its tags are dropped, so snippets
show no `**` or `[[…]]`), its names and the authors who wrote its text. Everything needed
to write the document again (after a rename, a deletion, another author's edit) is stored
in it, so the index is its own memory between batches.
"""

import html
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from search.schema import HIDDEN, PAGE_DOCTYPE, PAGE_PREFIX
from wikiengine.kinds import RELATIONS, read_page
from wikiengine.markup import render
from wikiengine.titles import slug_for

_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[ \t\r\f\v]+")

# Front-matter fields with text worth finding (a case's effect, a network's tasks, ...).
TEXT_FIELDS = (
    "organisation", "area", "status", "period", "effect", "process", "conditions",
    "documentation", "audience", "theme", "parties", "tasks",
)  # fmt: skip
KEYWORD_FIELDS = ("sector", "theme", "area", "audience", "level")


@dataclass(frozen=True)
class PageDocument:
    """A page as the index knows it."""

    page_id: str
    title: str
    slug: str
    slugs: tuple[str, ...]  # every slug it has had, the current one first
    kind: str
    keywords: dict[str, str]  # sector, theme, area, audience, level (those it has)
    tags: tuple[str, ...]
    authors: tuple[str, ...]  # ids of the authors of its text, first edit first
    relations: dict[str, tuple[str, ...]]  # relation -> titles of related pages
    text: str  # the searchable plain text: text fields, tags, then the body
    created: str
    modified: str
    hidden: bool  # deleted: kept for a restore, never found

    @property
    def doc_id(self) -> str:
        return PAGE_PREFIX + self.page_id

    def with_text(self, markdown: str) -> "PageDocument":
        """This page with a new text (kind, fields, relations, tags and body)."""
        content = read_page(markdown)
        field_text = [
            _field_text(content.fields[name]) for name in TEXT_FIELDS if name in content.fields
        ]
        body = plain_text(render(content.body).html)
        keywords = {
            name: str(content.fields[name]).strip()
            for name in KEYWORD_FIELDS
            if isinstance(content.fields.get(name), str) and content.fields[name].strip()
        }
        return replace(
            self,
            kind=content.kind,
            keywords=keywords,
            tags=content.tags,
            relations={name: content.relations[name] for name in RELATIONS},
            text="\n".join([*field_text, ", ".join(content.tags), body]).strip(),
        )

    def with_author(self, author_id: str) -> "PageDocument":
        if author_id in self.authors:
            return self
        return replace(self, authors=(*self.authors, author_id))

    def touched_at(self, signed_at: str) -> "PageDocument":
        return replace(self, modified=signed_at)

    def hidden_as(self, hidden: bool) -> "PageDocument":
        return replace(self, hidden=hidden)

    def renamed(self, title: str, slug: str) -> "PageDocument":
        slugs = (slug, *(old for old in self.slugs if old != slug))
        return replace(self, title=title, slug=slug, slugs=slugs)

    def without_slug(self, slug: str) -> "PageDocument":
        """This page after another page claimed one of its old slugs."""
        return replace(self, slugs=tuple(old for old in self.slugs if old != slug))

    def related_slugs(self) -> list[str]:
        return sorted({slug_for(title) for titles in self.relations.values() for title in titles})

    def fields(self) -> dict[str, Any]:
        """The whoosh document."""
        return {
            "id": self.doc_id,
            "doctype": PAGE_DOCTYPE,
            "title": self.title,
            "body": self.text,
            "slug": self.slug,
            "slugs": ",".join(self.slugs),
            "kind": self.kind,
            **self.keywords,
            "tags": ",".join(tag.replace(",", " ") for tag in self.tags),
            "authors": ",".join(self.authors),
            "related": ",".join(self.related_slugs()),
            "relations": {name: list(titles) for name, titles in self.relations.items()},
            "created": self.created,
            "modified": _timestamp(self.modified),
            "hidden": HIDDEN if self.hidden else "no",
        }


def new_page(page_id: str, title: str, slug: str, signed_at: str) -> PageDocument:
    return PageDocument(
        page_id=page_id,
        title=title,
        slug=slug,
        slugs=(slug,),
        kind="article",
        keywords={},
        tags=(),
        authors=(),
        relations={name: () for name in RELATIONS},
        text="",
        created=signed_at,
        modified=signed_at,
        hidden=False,
    )


def from_stored(stored: dict[str, Any]) -> PageDocument:
    """The page a stored whoosh document describes."""
    return PageDocument(
        page_id=stored["id"].removeprefix(PAGE_PREFIX),
        title=stored["title"],
        slug=stored["slug"],
        slugs=_split(stored.get("slugs")),
        kind=stored["kind"],
        keywords={name: stored[name] for name in KEYWORD_FIELDS if stored.get(name)},
        tags=_split(stored.get("tags")),
        authors=_split(stored.get("authors")),
        relations={name: tuple(stored["relations"].get(name, ())) for name in RELATIONS},
        text=stored.get("body", ""),
        created=stored["created"],
        modified=stored["modified"].isoformat(),
        hidden=stored.get("hidden") == HIDDEN,
    )


def plain_text(rendered_html: str) -> str:
    """The text of HTML we rendered ourselves (so well-formed): tags become spaces."""
    text = html.unescape(_TAG.sub(" ", rendered_html))
    lines = (_SPACE.sub(" ", line).strip() for line in text.splitlines())
    return "\n".join(line for line in lines if line)


def _field_text(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    return str(value)


def _split(value: str | None) -> tuple[str, ...]:
    return tuple(part for part in (value or "").split(",") if part)


def _timestamp(signed_at: str) -> datetime:
    moment = datetime.fromisoformat(signed_at)
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)
