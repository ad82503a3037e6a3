"""What the read model answers with: plain, frozen records (no SQL, no HTML decisions)."""

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class AuthorRef:
    id: str
    name: str


@dataclass(frozen=True)
class Link:
    """A link or typed relation between two pages, seen from one end."""

    relation: str  # "link" ([[...]] in the text), "cases", "recommendations" or "network"
    title: str  # the other page's title (as written, when it does not exist)
    slug: str
    kind: str | None  # the other page's kind; None when it does not exist
    exists: bool


@dataclass(frozen=True)
class PageView:
    """A page as readers see it now, or as it was (`version` < the page's latest)."""

    page_id: str
    title: str
    slug: str
    kind: str
    fields: dict[str, Any]
    body: str
    html: str  # safe HTML, links to missing pages marked
    toc: tuple[tuple[int, str, str], ...]  # (level, id, text)
    version: int
    text_version: int
    updated_at: str
    updated_by: AuthorRef
    created_at: str
    created_by: AuthorRef
    protected: bool
    deleted: bool
    redirected_from: str | None = None  # the slug asked for, when it is an old title
    links: tuple[Link, ...] = ()
    backlinks: tuple[Link, ...] = ()  # at most PAGE_BACKLINKS of them (`reader.backlinks`: all)
    more_backlinks: bool = False  # there are more than `backlinks` holds


@dataclass(frozen=True)
class Revision:
    version: int
    type: str
    title: str
    author: AuthorRef
    signed_at: str
    summary: str
    size: int  # characters of the text after this revision
    delta: int  # characters gained (negative: lost)
    digest: str  # SHA-256 of the text after this revision
    text_version: int  # the revision whose text this one shows
    merged: bool
    deleted: bool
    suppressed: bool
    position: int  # in the event log


@dataclass(frozen=True)
class RevisionPage:
    revisions: tuple[Revision, ...]
    next: int | None  # pass as `before` for the next page; None at the first revision


@dataclass(frozen=True)
class Contributor:
    author: AuthorRef
    edits: int
    first_edit: str
    last_edit: str
    chars_added: int
    chars_removed: int


@dataclass(frozen=True)
class Contribution:
    """An author's edits of one page."""

    title: str
    slug: str
    kind: str
    edits: int
    first_edit: str
    last_edit: str
    chars_added: int
    chars_removed: int


@dataclass(frozen=True)
class AuthorProfile:
    id: str
    name: str
    verification: str | None
    roles: tuple[str, ...]
    blocked: bool
    registered_at: str
    contributions: tuple[Contribution, ...] = field(default=())

    @property
    def verified(self) -> bool:
        return self.verification is not None


@dataclass(frozen=True)
class BlamedLine:
    text: str
    version: int
    author: AuthorRef


@dataclass(frozen=True)
class Blame:
    version: int
    lines: tuple[BlamedLine, ...]


@dataclass(frozen=True)
class Change:
    """One entry of recent changes."""

    title: str  # the page's title after the change
    slug: str  # the page's current slug
    version: int
    type: str
    author: AuthorRef
    signed_at: str
    summary: str
    size: int
    delta: int
    position: int


@dataclass(frozen=True)
class Redirect:
    slug: str  # the old slug
    title: str  # the page it now leads to
    target_slug: str


# ---------------------------------------------------------------------- the audit log


@dataclass(frozen=True)
class AuditFilter:
    """Which events of the audit log to show; every part given must match."""

    author: str | None = None  # who signed: an author id, `operator`, or a name
    title: str | None = None  # a page, by any title it has had: all its events
    target: str | None = None  # the author an author event concerns (an id)
    types: tuple[str, ...] = ()  # event types (`page.edited`); none: every type
    since: str | None = None  # a `signed_at` value: at or after it
    until: str | None = None  # at or before it


@dataclass(frozen=True)
class AuditedPage:
    id: str
    title: str  # the page's title after the event ("" when unknown)
    slug: str | None  # the page's current slug (links); None when it is not in the views


@dataclass(frozen=True)
class AuditEntry:
    """One event of any aggregate, without any page text."""

    position: int
    type: str
    aggregate_id: str
    version: int
    author: AuthorRef  # who signed it, as signed
    signed_at: str
    summary: str  # for moderation: the reason
    page: AuditedPage | None
    target: AuthorRef | None  # the author an author event concerns, named as after it
    details: dict[str, Any]  # a few fields of the signed data (`storage.audit.DETAIL_KEYS`)


@dataclass(frozen=True)
class AuditLog:
    """Some entries, newest first, and where the neighbouring pages start."""

    entries: tuple[AuditEntry, ...]
    next: int | None  # older entries: pass as `before`; None at the oldest
    previous: int | None  # newer entries: pass as `after`; None at the newest
