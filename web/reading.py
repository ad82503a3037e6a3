"""What a reader sees of the wiki: current pages, their history and the page list.

Read straight from the aggregates for now; projections will take this over. Nothing here
changes the wiki. Deleted pages are not shown, and a suppressed revision's text never
leaves this module: the current version cannot be suppressed, and history entries carry
only metadata and digests.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request

from wikiengine.application import Wiki
from wikiengine.errors import InvalidTitle, PageNotFound
from wikiengine.kinds import read_page
from wikiengine.markup import render
from wikiengine.pages import Page
from wikiengine.signed import SignedBodyEvent, SignedEvent
from wikiengine.titles import danish_sort_key


def wiki_of(request: Request) -> Wiki:
    """The wiki the application was created with."""
    wiki: Wiki = request.app.state.site.wiki
    return wiki


@dataclass(frozen=True)
class Author:
    id: str
    name: str


@dataclass(frozen=True)
class CurrentPage:
    """The current version of a page, with its front matter read."""

    title: str
    slug: str
    kind: str
    version: int
    body: str  # the full text, front matter included
    text: str  # the text after the front matter
    fields: dict[str, Any]  # front matter without `kind`
    updated_at: str
    updated_by: Author

    @property
    def html(self) -> str:
        return render(self.text).html

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "slug": self.slug,
            "kind": self.kind,
            "version": self.version,
            "body": self.body,
            "html": self.html,
            "fields": self.fields,
            "updated_at": self.updated_at,
            "updated_by": {"id": self.updated_by.id, "name": self.updated_by.name},
        }


@dataclass(frozen=True)
class Revision:
    """One event in a page's history: who, when, why, and the digest of the text then."""

    version: int
    event_type: str
    author: Author
    signed_at: str
    summary: str
    body_sha256: str | None
    text_suppressed: bool
    data: dict[str, Any]


def find_page(wiki: Wiki, title: str) -> Page:
    """The live page a title names (following renames); `PageNotFound` otherwise."""
    try:
        page = wiki.page_by_title(title)
    except InvalidTitle:
        raise PageNotFound(title) from None
    if page.deleted:
        raise PageNotFound(page.title)
    return page


def current_page(page: Page) -> CurrentPage:
    content = read_page(page.body)
    last = page.last_payload
    return CurrentPage(
        title=page.title,
        slug=page.slug,
        kind=content.kind,
        version=page.version,
        body=page.body,
        text=content.body,
        fields=content.fields,
        updated_at=last["signed_at"],
        updated_by=Author(id=last["author"]["id"], name=last["author"]["name"]),
    )


def revisions(wiki: Wiki, page: Page) -> list[Revision]:
    """Every event of `page`, oldest first."""
    entries = []
    digest: str | None = None
    for event in wiki.events.get(page.id):
        if not isinstance(event, SignedEvent):
            continue
        payload = event.payload
        data = payload["data"]
        if isinstance(event, SignedBodyEvent):
            digest = data["body_sha256"]
        entries.append(
            Revision(
                version=payload["version"],
                event_type=payload["type"],
                author=Author(id=payload["author"]["id"], name=payload["author"]["name"]),
                signed_at=payload["signed_at"],
                summary=payload["summary"],
                body_sha256=digest,
                text_suppressed=payload["version"] in page.suppressed,
                data=data,
            )
        )
    return entries


def live_pages(wiki: Wiki) -> list[CurrentPage]:
    """Every page that is not deleted, in Danish alphabetical order."""
    pages = (current_page(page) for page in _pages(wiki) if not page.deleted)
    return sorted(pages, key=lambda page: danish_sort_key(page.title))


def _pages(wiki: Wiki) -> Iterator[Page]:
    for page_id in wiki.page_ids():
        yield wiki.page(page_id)
