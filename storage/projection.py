"""How page and author events change the SQL read model, and how every event becomes
a row of the audit log (`storage.audit`).

A batch of events is applied in memory first (page states, credit sums, new revision
rows) and written at the end with one statement per table, in the transaction that also
records the batch's position. Rendering (kind, fields, HTML, links) is derived from a
page's current text only, so while catching up it is done once per page rather than once
per revision: pages are marked `stale` and rendered afterwards (`ReadModel.render_stale`).
"""

import json
import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from dataclasses import dataclass, replace
from typing import Any

from storage.audit import AUDIT_COLUMNS, audit_row, page_id_of, target_id_of
from storage.sql import Sql
from wikiengine.authors import Author
from wikiengine.blame import BlameLine, attribute_edit, blame_from_json, blame_to_json
from wikiengine.kinds import read_page
from wikiengine.markup import render as render_markup
from wikiengine.pages import Page, Slug
from wikiengine.titles import slug_for

log = logging.getLogger(__name__)

PAGE_CACHE_SIZE = 20_000
RENDER_INLINE_MAX = 32  # a batch changing more texts than this leaves them stale


@dataclass(frozen=True)
class PageState:
    """What the projection must remember about a page between its events."""

    page_id: str
    title: str
    slug: str
    version: int
    text_version: int
    body: str
    body_sha256: str
    blame: tuple[BlameLine, ...]
    created_at: str
    created_by_id: str
    created_by_name: str
    updated_at: str
    updated_by_id: str
    updated_by_name: str
    protected: bool
    deleted: bool


@dataclass
class _Credit:
    author_name: str
    edits: int
    first_edit: str
    last_edit: str
    chars_added: int
    chars_removed: int


class MissingInReadModel(LookupError):
    """An event names a page or author the read model does not have (its first event
    was damaged and skipped)."""


class PageCache:
    """Page states by id, kept between batches (the projector is the tables' only writer).

    Cleared whenever a batch fails, so a rolled-back batch leaves nothing behind.
    """

    def __init__(self, size: int = PAGE_CACHE_SIZE) -> None:
        self._size = size
        self._states: OrderedDict[str, PageState] = OrderedDict()

    def get(self, sql: Sql, page_id: str) -> PageState:
        state = self._states.get(page_id)
        if state is not None:
            self._states.move_to_end(page_id)
            return state
        row = sql.row(
            "SELECT p.title, p.slug, p.version, p.text_version, p.body, p.body_sha256,"
            " b.lines, p.created_at, p.created_by_id, p.created_by_name, p.updated_at,"
            " p.updated_by_id, p.updated_by_name, p.protected, p.deleted"
            " FROM view_pages p JOIN view_blame b ON b.page_id = p.page_id"
            " WHERE p.page_id = ?",
            (page_id,),
        )
        if row is None:
            raise MissingInReadModel(f"The read model has no page {page_id}")
        (title, slug, version, text_version, body, body_sha256, blame, created_at,
         created_by_id, created_by_name, updated_at, updated_by_id, updated_by_name,
         protected, deleted) = row  # fmt: skip
        state = PageState(
            page_id=page_id,
            title=title,
            slug=slug,
            version=version,
            text_version=text_version,
            body=body,
            body_sha256=body_sha256,
            blame=blame_from_json(blame),
            created_at=created_at,
            created_by_id=created_by_id,
            created_by_name=created_by_name,
            updated_at=updated_at,
            updated_by_id=updated_by_id,
            updated_by_name=updated_by_name,
            protected=bool(protected),
            deleted=bool(deleted),
        )
        self.put(state)
        return state

    def put(self, state: PageState) -> None:
        self._states[state.page_id] = state
        self._states.move_to_end(state.page_id)
        while len(self._states) > self._size:
            self._states.popitem(last=False)

    def clear(self) -> None:
        self._states.clear()


class Batch:
    """One batch of events on its way into the read model."""

    def __init__(self, sql: Sql, pages: PageCache) -> None:
        self.sql = sql
        self.pages = pages
        self.touched: dict[str, PageState] = {}
        self.text_changed: set[str] = set()
        self.revisions: list[tuple[Any, ...]] = []
        self.suppressed: list[tuple[str, int]] = []
        self.credits: dict[tuple[str, str], _Credit] = {}
        self.slugs: dict[str, str] = {}
        self.authors: dict[str, dict[str, Any]] = {}
        self.audit: list[tuple[Any, ...]] = []

    # ------------------------------------------------------------------ events

    def apply(self, event: Any, position: int) -> None:
        handler = _HANDLERS.get(type(event))
        if handler is not None:
            try:
                handler(self, event, position)
            except MissingInReadModel:
                # The event's page or author is missing: its first event was damaged and
                # skipped. Its later events cannot be applied either; `verify` reports why.
                log.exception("The event at position %d is skipped", position)
        self._audit(event, position)

    def _audit(self, event: Any, position: int) -> None:
        """Every event, of every aggregate, goes into the audit log (after its handler,
        so the row names the page's title and the author's name after the event)."""
        payload = getattr(event, "payload", None)
        if not isinstance(payload, dict):
            log.error("The event at position %d has no signed payload to audit", position)
            return
        page_id = page_id_of(payload, str(event.originator_id))
        title = None
        if page_id is not None:
            # When its page's first event was damaged, the row names no title.
            with suppress(MissingInReadModel):
                title = self._page_by_id(page_id).title
        target_id = target_id_of(payload, str(event.originator_id))
        target = self.authors.get(target_id) if target_id is not None else None
        target_name = target["name"] if target is not None else None
        self.audit.append(audit_row(event, position, title, target_name))

    def _page_by_id(self, page_id: str) -> PageState:
        state = self.touched.get(page_id)
        return state if state is not None else self.pages.get(self.sql, page_id)

    def _page(self, event: Any) -> PageState:
        return self._page_by_id(str(event.originator_id))

    def _keep(self, state: PageState) -> None:
        self.touched[state.page_id] = state
        self.pages.put(state)

    def page_created(self, event: Any, position: int) -> None:
        payload, author = event.payload, event.payload["author"]
        data = payload["data"]
        attribution = attribute_edit((), "", event.body, 1, author["id"], author["name"])
        state = PageState(
            page_id=str(event.originator_id),
            title=data["title"],
            slug=data["slug"],
            version=1,
            text_version=1,
            body=event.body,
            body_sha256=data["body_sha256"],
            blame=attribution.blame,
            created_at=payload["signed_at"],
            created_by_id=author["id"],
            created_by_name=author["name"],
            updated_at=payload["signed_at"],
            updated_by_id=author["id"],
            updated_by_name=author["name"],
            protected=False,
            deleted=False,
        )
        self._keep(state)
        self.text_changed.add(state.page_id)
        self._credit(state, payload, attribution.chars_added, attribution.chars_removed)
        self._revision(state, event, position, delta=len(event.body))

    def page_text_changed(self, event: Any, position: int) -> None:
        payload, author = event.payload, event.payload["author"]
        before = self._page(event)
        version = event.originator_version
        attribution = attribute_edit(
            before.blame, before.body, event.body, version, author["id"], author["name"]
        )
        state = replace(
            before,
            version=version,
            text_version=version,
            body=event.body,
            body_sha256=payload["data"]["body_sha256"],
            blame=attribution.blame,
            updated_at=payload["signed_at"],
            updated_by_id=author["id"],
            updated_by_name=author["name"],
        )
        self._keep(state)
        self.text_changed.add(state.page_id)
        self._credit(state, payload, attribution.chars_added, attribution.chars_removed)
        self._revision(
            state,
            event,
            position,
            delta=len(event.body) - len(before.body),
            merged=bool(payload["data"].get("merged")),
        )

    def page_changed(self, event: Any, position: int) -> None:
        """Renames and moderation: the text stays, the state changes."""
        data = event.payload["data"]
        changes: dict[str, Any] = {"version": event.originator_version}
        if isinstance(event, Page.Renamed):
            changes.update(title=data["new_title"], slug=data["new_slug"])
        elif isinstance(event, Page.Protected | Page.Unprotected):
            changes["protected"] = isinstance(event, Page.Protected)
        elif isinstance(event, Page.Deleted | Page.Restored):
            changes["deleted"] = isinstance(event, Page.Deleted)
        elif isinstance(event, Page.RevisionSuppressed):
            self.suppressed.append((str(event.originator_id), int(data["revision"])))
        state = replace(self._page(event), **changes)
        self._keep(state)
        self._revision(state, event, position, delta=0)

    def slug_claimed(self, event: Any, _position: int) -> None:
        data = event.payload["data"]
        self.slugs[data["slug"]] = data["page_id"]

    def author_changed(self, event: Any, _position: int) -> None:
        author_id = str(event.originator_id)
        data = event.payload["data"]
        if isinstance(event, Author.Registered):
            row: dict[str, Any] = {
                "name": data["name"],
                "verification": None,
                "roles": [],
                "blocked": False,
                "registered_at": event.payload["signed_at"],
            }
        else:
            row = dict(self.authors.get(author_id) or self._stored_author(author_id))
        if isinstance(event, Author.IdentityVerified):
            row["verification"] = data["method"]
        elif isinstance(event, Author.RoleGranted):
            row["roles"] = sorted({*row["roles"], data["role"]})
        elif isinstance(event, Author.RoleRevoked):
            row["roles"] = [role for role in row["roles"] if role != data["role"]]
        elif isinstance(event, Author.Blocked | Author.Unblocked):
            row["blocked"] = isinstance(event, Author.Blocked)
        elif isinstance(event, Author.Renamed):
            row["name"] = data["name"]
        self.authors[author_id] = row

    def _stored_author(self, author_id: str) -> dict[str, Any]:
        found = self.sql.row(
            "SELECT name, verification, roles, blocked, registered_at"
            " FROM view_authors WHERE author_id = ?",
            (author_id,),
        )
        if found is None:
            raise MissingInReadModel(f"The read model has no author {author_id}")
        name, verification, roles, blocked, registered_at = found
        return {
            "name": name,
            "verification": verification,
            "roles": json.loads(roles),
            "blocked": bool(blocked),
            "registered_at": registered_at,
        }

    def _credit(self, state: PageState, payload: dict[str, Any], added: int, removed: int) -> None:
        author = payload["author"]
        key = (state.page_id, author["id"])
        credit = self.credits.get(key)
        if credit is None:
            self.credits[key] = _Credit(
                author["name"], 1, payload["signed_at"], payload["signed_at"], added, removed
            )
            return
        credit.author_name = author["name"]
        credit.edits += 1
        credit.last_edit = payload["signed_at"]
        credit.chars_added += added
        credit.chars_removed += removed

    def _revision(
        self, state: PageState, event: Any, position: int, *, delta: int, merged: bool = False
    ) -> None:
        payload = event.payload
        self.revisions.append(
            (
                state.page_id,
                event.originator_version,
                position,
                payload["type"],
                state.title,
                payload["author"]["id"],
                payload["author"]["name"],
                payload["signed_at"],
                payload["summary"],
                len(state.body),
                delta,
                state.body_sha256,
                state.text_version,
                int(merged),
                int(state.deleted),
                0,
            )
        )

    # ------------------------------------------------------------------ writing

    def write(self) -> bool:
        """Write everything this batch changed (within the caller's transaction).

        Returns True when changed texts were left stale for `render_stale`."""
        sql = self.sql
        sql.many(
            "INSERT INTO view_pages (page_id, title, slug, version, text_version, body,"
            " body_sha256, created_at, created_by_id, created_by_name, updated_at,"
            " updated_by_id, updated_by_name, protected, deleted, stale, rendered_version,"
            " kind, fields, html, toc)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 'article', '{}', '', '[]')"
            " ON CONFLICT (page_id) DO UPDATE SET title = excluded.title,"
            " slug = excluded.slug, version = excluded.version,"
            " text_version = excluded.text_version, body = excluded.body,"
            " body_sha256 = excluded.body_sha256, updated_at = excluded.updated_at,"
            " updated_by_id = excluded.updated_by_id,"
            " updated_by_name = excluded.updated_by_name, protected = excluded.protected,"
            " deleted = excluded.deleted,"
            " stale = CASE WHEN excluded.stale = 1 THEN 1 ELSE view_pages.stale END",
            (self._page_row(state) for state in self.touched.values()),
        )
        sql.many(
            "INSERT INTO view_blame (page_id, version, lines) VALUES (?, ?, ?)"
            " ON CONFLICT (page_id) DO UPDATE SET version = excluded.version,"
            " lines = excluded.lines",
            (
                (page_id, state.text_version, blame_to_json(state.blame))
                for page_id, state in self.touched.items()
                if page_id in self.text_changed
            ),
        )
        sql.many(
            "INSERT INTO view_revisions (page_id, version, position, type, title, author_id,"
            " author_name, signed_at, summary, size, delta, digest, text_version, merged,"
            " deleted, suppressed) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.revisions,
        )
        sql.many(
            "UPDATE view_revisions SET suppressed = 1 WHERE page_id = ? AND version = ?",
            self.suppressed,
        )
        sql.many(
            "INSERT INTO view_credits (page_id, author_id, author_name, edits, first_edit,"
            " last_edit, chars_added, chars_removed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (page_id, author_id) DO UPDATE SET"
            " author_name = excluded.author_name, edits = view_credits.edits + excluded.edits,"
            " last_edit = excluded.last_edit,"
            " chars_added = view_credits.chars_added + excluded.chars_added,"
            " chars_removed = view_credits.chars_removed + excluded.chars_removed",
            (
                (
                    page_id,
                    author_id,
                    c.author_name,
                    c.edits,
                    c.first_edit,
                    c.last_edit,
                    c.chars_added,
                    c.chars_removed,
                )
                for (page_id, author_id), c in self.credits.items()
            ),
        )
        sql.many(
            "INSERT INTO view_slugs (slug, page_id) VALUES (?, ?)"
            " ON CONFLICT (slug) DO UPDATE SET page_id = excluded.page_id",
            self.slugs.items(),
        )
        sql.many(
            "INSERT INTO view_authors (author_id, name, verification, roles, blocked,"
            " registered_at) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (author_id) DO UPDATE SET name = excluded.name,"
            " verification = excluded.verification, roles = excluded.roles,"
            " blocked = excluded.blocked",
            (
                (
                    author_id,
                    row["name"],
                    row["verification"],
                    json.dumps(row["roles"]),
                    int(row["blocked"]),
                    row["registered_at"],
                )
                for author_id, row in self.authors.items()
            ),
        )
        sql.many(
            f"INSERT INTO view_audit ({AUDIT_COLUMNS})"  # noqa: S608 (constant columns)
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            self.audit,
        )
        if len(self.text_changed) <= RENDER_INLINE_MAX:
            pages = (
                (page_id, state.body, state.text_version)
                for page_id, state in self.touched.items()
                if page_id in self.text_changed
            )
            write_renderings(sql, render(pages))
            return False
        return True

    def _page_row(self, state: PageState) -> tuple[Any, ...]:
        return (
            state.page_id,
            state.title,
            state.slug,
            state.version,
            state.text_version,
            state.body,
            state.body_sha256,
            state.created_at,
            state.created_by_id,
            state.created_by_name,
            state.updated_at,
            state.updated_by_id,
            state.updated_by_name,
            int(state.protected),
            int(state.deleted),
            int(state.page_id in self.text_changed),
        )


_HANDLERS: dict[type, Callable[[Batch, Any, int], None]] = {
    Page.Created: Batch.page_created,
    Page.Edited: Batch.page_text_changed,
    Page.Reverted: Batch.page_text_changed,
    Page.Renamed: Batch.page_changed,
    Page.Protected: Batch.page_changed,
    Page.Unprotected: Batch.page_changed,
    Page.Deleted: Batch.page_changed,
    Page.Restored: Batch.page_changed,
    Page.RevisionSuppressed: Batch.page_changed,
    Slug.Assigned: Batch.slug_claimed,
    Slug.Reassigned: Batch.slug_claimed,
    **{
        event_class: Batch.author_changed
        for event_class in (
            Author.Registered,
            Author.IdentityVerified,
            Author.RoleGranted,
            Author.RoleRevoked,
            Author.Blocked,
            Author.Unblocked,
            Author.Renamed,
        )
    },
}


@dataclass(frozen=True)
class Renderings:
    """What rendering some pages' texts derived, ready to be written."""

    updates: list[tuple[Any, ...]]
    links: list[tuple[str, str, str, str]]


def render(pages: Iterable[tuple[str, str, int]]) -> Renderings:
    """Derive kind, fields, HTML, contents and links from each page's text.

    `pages` holds (page id, text, text version). Pure: no database.
    """
    updates: list[tuple[Any, ...]] = []
    links: list[tuple[str, str, str, str]] = []
    for page_id, body, text_version in pages:
        content = read_page(body)
        rendering = render_markup(content.body)
        toc = [[entry.level, entry.id, entry.text] for entry in rendering.toc]
        updates.append(
            (
                content.kind,
                json.dumps(content.fields, ensure_ascii=False, sort_keys=True),
                rendering.html,
                json.dumps(toc, ensure_ascii=False),
                text_version,
                page_id,
                text_version,
            )
        )
        links.extend(_links_of(page_id, rendering.links, content.relations))
    return Renderings(updates, links)


def write_renderings(sql: Sql, renderings: Renderings) -> None:
    """Store renderings. A page whose text has moved on since it was rendered keeps its
    row (the update names the text version it rendered) and is rendered again later."""
    sql.many(
        "UPDATE view_pages SET kind = ?, fields = ?, html = ?, toc = ?, rendered_version = ?,"
        " stale = 0 WHERE page_id = ? AND text_version = ?",
        renderings.updates,
    )
    # The links follow the same guard: only pages still at the text that was rendered.
    current = [(page_id, text_version) for *_, page_id, text_version in renderings.updates]
    sql.many(
        "DELETE FROM view_links WHERE page_id = ? AND EXISTS (SELECT 1 FROM view_pages p"
        " WHERE p.page_id = view_links.page_id AND p.text_version = ?)",
        current,
    )
    versions = dict(current)
    sql.many(
        "INSERT INTO view_links (page_id, relation, target_slug, target_title)"
        " SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM view_pages p"
        " WHERE p.page_id = ? AND p.text_version = ?) ON CONFLICT DO NOTHING",
        (
            (page_id, relation, slug, title, page_id, versions[page_id])
            for page_id, relation, slug, title in renderings.links
        ),
    )


def _links_of(
    page_id: str, wiki_links: Sequence[Any], relations: dict[str, tuple[str, ...]]
) -> Iterable[tuple[str, str, str, str]]:
    for link in wiki_links:
        yield page_id, "link", link.slug, link.title
    for relation, titles in relations.items():
        for title in titles:
            yield page_id, relation, slug_for(title), title


def stale_pages(sql: Sql, limit: int) -> list[tuple[str, str, int]]:
    """Pages whose derived columns are behind their text: (id, text, text version)."""
    return [
        (str(page_id), str(body), int(text_version))
        for page_id, body, text_version in sql.rows(
            "SELECT page_id, body, text_version FROM view_pages WHERE stale = 1 LIMIT ?",
            (limit,),
        )
    ]
