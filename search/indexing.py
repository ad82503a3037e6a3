"""How a batch of events changes the search index's documents.

Page events change a page's document (a new text, a new title, hidden or shown again); a
slug taken over by another page leaves its old page; author events keep the author
documents (their current names) for facet labels. A page's document before the batch is
read from the index itself, or from a cache of recent ones.
"""

import logging
from collections import OrderedDict
from typing import Any

from whoosh.searching import Searcher
from whoosh.writing import SegmentWriter

from search.documents import PageDocument, from_stored, new_page
from search.schema import AUTHOR_PREFIX, PAGE_PREFIX
from wikiengine.authors import Author
from wikiengine.pages import Page, Slug

log = logging.getLogger(__name__)

PAGE_CACHE_SIZE = 5_000  # pages remembered between batches (cleared when a batch fails)


class IndexBatch:
    """The documents one batch of events changes, kept in memory until the commit."""

    def __init__(self, searcher: Searcher, pages: OrderedDict[str, PageDocument]) -> None:
        self.searcher = searcher
        self.pages = pages
        self.touched: dict[str, PageDocument] = {}
        self.authors: dict[str, str] = {}

    def apply(self, event: Any, position: int) -> None:
        try:
            self._apply(event)
        except LookupError:
            # The page's first event was damaged and skipped; `verify` reports why.
            log.exception("The search index skips the event at position %d", position)

    def _apply(self, event: Any) -> None:
        if isinstance(event, Page.Created):
            payload = event.payload
            data = payload["data"]
            page = new_page(
                str(event.originator_id), data["title"], data["slug"], payload["signed_at"]
            )
            self._keep(self._edited(page, event))
        elif isinstance(event, Page.Edited | Page.Reverted):
            self._keep(self._edited(self._page(event), event))
        elif isinstance(event, Page.Renamed):
            data = event.payload["data"]
            self._keep(self._page(event).renamed(data["new_title"], data["new_slug"]))
        elif isinstance(event, Page.Deleted | Page.Restored):
            self._keep(self._page(event).hidden_as(isinstance(event, Page.Deleted)))
        elif isinstance(event, Slug.Reassigned):
            self._slug_reassigned(event.payload["data"])
        elif isinstance(event, Author.Registered | Author.Renamed):
            self.authors[str(event.originator_id)] = event.payload["data"]["name"]

    def _edited(self, page: PageDocument, event: Any) -> PageDocument:
        payload = event.payload
        edited = page.with_text(event.body).with_author(payload["author"]["id"])
        return edited.touched_at(payload["signed_at"])

    def _slug_reassigned(self, data: dict[str, Any]) -> None:
        """An old slug (a redirect) now names another page: the old page loses it."""
        slug, owner = data["slug"], data["page_id"]
        holders = {
            stored["id"].removeprefix(PAGE_PREFIX) for stored in self.searcher.documents(slugs=slug)
        } | {page_id for page_id, page in self.touched.items() if slug in page.slugs}
        for page_id in holders - {owner}:
            self._keep(self._page_by_id(page_id).without_slug(slug))

    def _page(self, event: Any) -> PageDocument:
        return self._page_by_id(str(event.originator_id))

    def _page_by_id(self, page_id: str) -> PageDocument:
        page = self.touched.get(page_id) or self.pages.get(page_id)
        if page is not None:
            return page
        stored = self.searcher.document(id=PAGE_PREFIX + page_id)
        if stored is None:
            raise LookupError(f"The search index has no page {page_id}")
        return from_stored(stored)

    def _keep(self, page: PageDocument) -> None:
        self.touched[page.page_id] = page
        self.pages[page.page_id] = page
        self.pages.move_to_end(page.page_id)
        while len(self.pages) > PAGE_CACHE_SIZE:
            self.pages.popitem(last=False)

    def write(self, writer: SegmentWriter) -> None:
        for page in self.touched.values():
            writer.update_document(**page.fields())
        for author_id, name in self.authors.items():
            writer.update_document(id=AUTHOR_PREFIX + author_id, author_name=name)
