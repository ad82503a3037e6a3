"""The `Page` aggregate (content and its moderation) and the `Slug` that claims a title.

A page's id is random and survives renames; a slug's id is derived from the slug, so two
pages can never claim one title, and an old slug keeps pointing at a renamed page (a
redirect). Every event here is signed; see `wikiengine.signed`.
"""

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, UUID, uuid5

from wikiengine.signed import (
    SignedAggregate,
    SignedBodyCreated,
    SignedBodyEvent,
    SignedCreated,
    SignedEvent,
    SignedLogEvent,
)

PAGE_LOG_ID = uuid5(NAMESPACE_URL, "/innovationswiki/page-log")


class Page(SignedAggregate):
    """A wiki page: its current title and text, and whether it is protected or deleted."""

    if TYPE_CHECKING:  # state is set by events; class annotations would make a dataclass
        title: str
        slug: str
        body: str
        body_sha256: str
        protected: bool
        deleted: bool
        suppressed: list[int]  # versions whose text is hidden (a list: snapshots are JSON)

    class Created(SignedBodyCreated):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.title = data["title"]
            aggregate.slug = data["slug"]
            aggregate.body = self.body
            aggregate.body_sha256 = data["body_sha256"]
            aggregate.protected = False
            aggregate.deleted = False
            aggregate.suppressed = []

    class Edited(SignedBodyEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.body = self.body
            aggregate.body_sha256 = data["body_sha256"]

    class Reverted(SignedBodyEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.body = self.body
            aggregate.body_sha256 = data["body_sha256"]

    class Renamed(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.title = data["new_title"]
            aggregate.slug = data["new_slug"]

    class Protected(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.protected = True

    class Unprotected(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.protected = False

    class Deleted(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.deleted = True

    class Restored(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.deleted = False

    class RevisionSuppressed(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.suppressed = sorted({*aggregate.suppressed, data["revision"]})


class Slug(SignedAggregate):
    """Claims a slug for a page. A slug whose page now has another slug is a redirect."""

    if TYPE_CHECKING:
        slug: str
        page_id: str

    class Assigned(SignedCreated):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.slug = data["slug"]
            aggregate.page_id = data["page_id"]

    class Reassigned(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.page_id = data["page_id"]

    @property
    def page_uuid(self) -> UUID:
        return UUID(self.page_id)


class PageLogged(SignedLogEvent):
    """One entry per created page, so all pages can be listed in creation order."""


# Event type names used in payloads and exports (`"page.edited"`), by event class.
EVENT_TYPES: dict[type, str] = {
    Page.Created: "page.created",
    Page.Edited: "page.edited",
    Page.Reverted: "page.reverted",
    Page.Renamed: "page.renamed",
    Page.Protected: "page.protected",
    Page.Unprotected: "page.unprotected",
    Page.Deleted: "page.deleted",
    Page.Restored: "page.restored",
    Page.RevisionSuppressed: "page.revision_suppressed",
    Slug.Assigned: "slug.assigned",
    Slug.Reassigned: "slug.reassigned",
    PageLogged: "page_log.logged",
}
