"""What the administration pages (`web.admin`) and their JSON API (`web.admin_api`) share:
carrying out an administrator's act, the reason every moderation needs, and reading a
revision's text as an administrator, hidden or not, with each read of hidden text logged.

The acts themselves are the wiki's commands (`verify_author`, `block_author`,
`protect_page`, `suppress_revision`, ...): the wiki checks that the caller is a verified,
unblocked administrator and signs the event in their name.
"""

from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote
from uuid import UUID

from storage.readlog import SuppressedRead
from storage.records import AuthorRef, Revision
from web.site import Site
from wikiengine.attribution import MAX_SUMMARY_LENGTH
from wikiengine.errors import (
    AuthorNotFound,
    InvalidInput,
    InvalidTitle,
    PageNotFound,
    RevisionNotFound,
)
from wikiengine.titles import normalise_title, slug_for

SUPPRESSED_TYPE = "page.revision_suppressed"


class ReasonMissing(InvalidInput):
    def __init__(self) -> None:
        super().__init__("Give a reason: it is signed with the act.", field="reason")


def required_reason(text: str | None) -> str:
    """The reason, spaces tidied; raises `ReasonMissing` (422) when there is none."""
    reason = " ".join((text or "").split())
    if not reason:
        raise ReasonMissing()
    if len(reason) > MAX_SUMMARY_LENGTH:
        raise InvalidInput(
            f"A reason may be at most {MAX_SUMMARY_LENGTH} characters.", field="reason"
        )
    return reason


def act(site: Site, command: Callable[[], int | None]) -> bool:
    """Run a wiki command and wait until the views show it (read your writes); whether
    it stored an event (an act already in force, such as blocking the blocked, does not)."""
    notification_id = command()
    site.saw(notification_id)
    return notification_id is not None


def admin_page_path(title: str) -> str:
    """`/admin/pages/Innovation_i_%C3%85rhus`: where a page is moderated."""
    return "/admin/pages/" + quote(slug_for(title), safe="")


def checked_title(title: str) -> str:
    """A title from a path; one no page can have is a page that does not exist (404)."""
    try:
        normalise_title(title)
    except InvalidTitle:
        raise PageNotFound(title) from None
    return title


# ---------------------------------------------------------------------- hidden text


@dataclass(frozen=True)
class Suppression:
    """Who hid a revision's text, when, and why (the signed event's summary)."""

    reason: str
    by: AuthorRef
    at: str


@dataclass(frozen=True)
class AdministratorsRevision:
    """A revision with its text as an administrator reads it: hidden text included."""

    page_id: str
    title: str  # the page's current title
    revision: Revision
    body: str  # the text this revision shows (that of `revision.text_version`)
    suppression: Suppression | None  # set when that text is hidden from the public

    @property
    def suppressed(self) -> bool:
        return self.suppression is not None


def revision_for_administrator(
    site: Site, reader_id: UUID, title: str, version: int
) -> AdministratorsRevision:
    """Version `version` of the page with its text. A hidden text is read from the event
    store (the public reader refuses it), and the read is logged before it is returned.

    Whether the text is hidden is asked of the page itself, not of the read model, so a
    view that lags behind a suppression cannot let a read go unlogged.
    """
    page = site.reader.page(checked_title(title))
    if not 1 <= version <= page.version:
        raise RevisionNotFound(f"{page.title} has no version {version}.")
    revision = site.reader.revisions(page.slug, 1, before=version + 1).revisions[0]
    page_id = UUID(page.page_id)
    text_version = revision.text_version
    stored = site.wiki.page(page_id)
    suppression = None
    if text_version in stored.suppressed:
        site.suppressed_reads.record(reader_id, page_id, page.title, text_version)
        suppression = suppression_of(site, page_id, text_version)
    body = site.wiki.page_at(page_id, text_version).body
    return AdministratorsRevision(page.page_id, page.title, revision, body, suppression)


def suppression_of(site: Site, page_id: UUID, version: int) -> Suppression:
    """The signed act that hid `version`'s text (it comes after that version)."""
    for event in site.wiki.events.get(page_id, gt=version):
        payload = getattr(event, "payload", None)
        if (
            isinstance(payload, dict)
            and payload["type"] == SUPPRESSED_TYPE
            and payload["data"]["revision"] == version
        ):
            author = payload["author"]
            return Suppression(
                payload["summary"], AuthorRef(author["id"], author["name"]), payload["signed_at"]
            )
    raise RevisionNotFound(f"Version {version} is not suppressed.")  # pragma: no cover


# ---------------------------------------------------------------------- the read log


@dataclass(frozen=True)
class LoggedRead:
    """A read of hidden text, with the reader's name as it is now."""

    read: SuppressedRead
    reader: AuthorRef


def logged_reads(site: Site, limit: int, offset: int) -> tuple[list[LoggedRead], int | None]:
    """`limit` reads of hidden text from `offset`, newest first, and the offset of the
    next older ones (None when there are none)."""
    reads = site.suppressed_reads.newest(limit + 1, offset)
    names: dict[UUID, str] = {}
    logged = []
    for read in reads[:limit]:
        if read.reader_id not in names:
            try:
                names[read.reader_id] = site.wiki.author(read.reader_id).name
            except AuthorNotFound:
                names[read.reader_id] = str(read.reader_id)
        logged.append(LoggedRead(read, AuthorRef(str(read.reader_id), names[read.reader_id])))
    return logged, (offset + limit if len(reads) > limit else None)
