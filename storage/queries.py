"""Reading the SQL read model: every question a reader, the web or the API asks.

A current page is one row plus its links and backlinks: three queries, whatever the
number of links (red links come from the same join, not a lookup per link). Old versions
are read from the event store, which keeps every text; everything else is here.
"""

import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

from storage.audit import author_key
from storage.readmodel import ReadModel
from storage.records import (
    AuditedPage,
    AuditEntry,
    AuditFilter,
    AuditLog,
    AuthorProfile,
    AuthorRef,
    Blame,
    BlamedLine,
    Change,
    Contribution,
    Contributor,
    Link,
    PageView,
    Redirect,
    Revision,
    RevisionPage,
)
from storage.sql import Row, Sql
from wikiengine.application import Wiki
from wikiengine.attribution import OPERATOR_ID, format_signed_at
from wikiengine.blame import blame_from_json
from wikiengine.errors import (
    AuthorNotFound,
    InvalidInput,
    PageNotFound,
    RevisionNotFound,
    RevisionSuppressed,
)
from wikiengine.kinds import read_page
from wikiengine.markup import mark_missing_links, render
from wikiengine.titles import danish_sort_key, normalise_title, slug_for

MAX_LIMIT = 500
PAGE_BACKLINKS = 50  # shown with a page (a page cited everywhere would drown in them)
RENDER_CACHE_SIZE = 256  # renderings of old versions (a few MB at most)

_PAGE_COLUMNS = (
    "p.page_id, p.title, p.slug, p.kind, p.fields, p.body, p.html, p.toc, p.version,"
    " p.text_version, p.updated_at, p.updated_by_id, p.updated_by_name, p.created_at,"
    " p.created_by_id, p.created_by_name, p.protected, p.deleted, p.rendered_version"
)
_REVISION_COLUMNS = (
    "version, type, title, author_id, author_name, signed_at, summary, size, delta, digest,"
    " text_version, merged, deleted, suppressed, position"
)


class WikiReader:
    """Queries on the read model (and, for old texts, the event store)."""

    def __init__(self, read_model: ReadModel, wiki: Wiki) -> None:
        self.read_model = read_model
        self.wiki = wiki

    # ------------------------------------------------------------------ pages

    def page(self, title: str) -> PageView:
        """The current page a title names (following redirects), with links and backlinks.

        Raises PageNotFound; a deleted page comes back with `deleted` set and no text.
        """
        slug = slug_for(title)
        with self.read_model.read() as sql:
            row = sql.row(
                f"SELECT {_PAGE_COLUMNS} FROM view_slugs s"  # noqa: S608 (constant columns)
                " JOIN view_pages p ON p.page_id = s.page_id WHERE s.slug = ?",
                (slug,),
            )
            if row is None:
                raise PageNotFound(normalise_title(title))
            page = _page_view(row, redirected_from=slug if slug != row[2] else None)
            if page.deleted:
                return _without_text(page)
            links = _outgoing_links(sql, page.page_id)
            backlinks = _backlinks(sql, page.page_id, limit=PAGE_BACKLINKS + 1)
        if row[18] != page.text_version:  # not rendered yet (the projector is catching up)
            page = _with(page, **_derived(page.body))
        missing = {link.slug for link in links if link.relation == "link" and not link.exists}
        return _with(
            page,
            html=mark_missing_links(page.html, missing),
            links=links,
            backlinks=backlinks[:PAGE_BACKLINKS],
            more_backlinks=len(backlinks) > PAGE_BACKLINKS,
        )

    def titles(self) -> list[tuple[str, str, str]]:
        """(title, slug, kind) of every page that is not deleted, in Danish order."""
        with self.read_model.read() as sql:
            rows = sql.rows("SELECT title, slug, kind FROM view_pages WHERE deleted = 0")
        pages = [(str(title), str(slug), str(kind)) for title, slug, kind in rows]
        return sorted(pages, key=lambda page: danish_sort_key(page[0]))

    def version(self, title: str, version: int) -> PageView:
        """The page as it was at `version`. Raises RevisionNotFound or RevisionSuppressed."""
        missing = f"{normalise_title(title)} has no version {version}."
        return self._old_version(title, "version = ?", version, missing)

    def at(self, title: str, moment: str | datetime) -> PageView:
        """The page as it was at a moment (time travel, e.g. `2026-01-31T12:00:00Z`)."""
        signed_at = format_signed_at(parse_moment(moment))
        missing = f"{normalise_title(title)} did not exist yet at {signed_at}."
        return self._old_version(title, "signed_at <= ?", signed_at, missing)

    def _old_version(self, title: str, condition: str, value: object, missing: str) -> PageView:
        """The latest revision meeting `condition` (a constant SQL condition on one value),
        with its text from the event store, unless that text is suppressed."""
        with self.read_model.read() as sql:
            page_id = _page_id(sql, title)
            row = sql.row(
                f"SELECT {_REVISION_COLUMNS}, (SELECT t.suppressed FROM view_revisions t"  # noqa: S608
                " WHERE t.page_id = r.page_id AND t.version = r.text_version)"
                f" FROM view_revisions r WHERE r.page_id = ? AND r.{condition}"
                " ORDER BY r.version DESC LIMIT 1",
                (page_id, value),
            )
            current = sql.row(
                f"SELECT {_PAGE_COLUMNS} FROM view_pages p WHERE p.page_id = ?",  # noqa: S608
                (page_id,),
            )
        if row is None:
            raise RevisionNotFound(missing)
        assert current is not None  # a slug only ever names a projected page
        revision = _revision(row[:-1])
        if row[-1]:
            raise RevisionSuppressed(revision.text_version)
        body = self.wiki.page_at(UUID(page_id), revision.text_version).body
        return _with(
            _page_view(current),
            **_derived(body),
            title=revision.title,
            body=body,
            version=revision.version,
            text_version=revision.text_version,
            updated_at=revision.signed_at,
            updated_by=revision.author,
            deleted=revision.deleted,
        )

    # ------------------------------------------------------------------ history

    def revisions(self, title: str, limit: int = 50, before: int | None = None) -> RevisionPage:
        """The page's revisions, newest first, `limit` at a time (`before`: a version)."""
        limit = _limit(limit)
        with self.read_model.read() as sql:
            page_id = _page_id(sql, title)
            rows = sql.rows(
                f"SELECT {_REVISION_COLUMNS} FROM view_revisions"  # noqa: S608 (constant columns)
                " WHERE page_id = ? AND version < ? ORDER BY version DESC LIMIT ?",
                (page_id, before if before is not None else 2**62, limit + 1),
            )
        revisions = tuple(_revision(row) for row in rows[:limit])
        more = len(rows) > limit
        return RevisionPage(revisions, revisions[-1].version if more else None)

    def recent_changes(self, limit: int = 50, before: int | None = None) -> list[Change]:
        """Changes to pages across the wiki, newest first (`before`: a log position)."""
        with self.read_model.read() as sql:
            rows = sql.rows(
                "SELECT r.title, p.slug, r.version, r.type, r.author_id, r.author_name,"
                " r.signed_at, r.summary, r.size, r.delta, r.position"
                " FROM view_revisions r JOIN view_pages p ON p.page_id = r.page_id"
                " WHERE r.position < ? ORDER BY r.position DESC LIMIT ?",
                (before if before is not None else 2**62, _limit(limit)),
            )
        return [_change(row) for row in rows]

    # ------------------------------------------------------------------ credit

    def credits(self, title: str) -> list[Contributor]:
        """Everyone who changed the page's text: most edits first."""
        with self.read_model.read() as sql:
            page_id = _page_id(sql, title)
            rows = sql.rows(
                "SELECT author_id, author_name, edits, first_edit, last_edit, chars_added,"
                " chars_removed FROM view_credits WHERE page_id = ?"
                " ORDER BY edits DESC, first_edit",
                (page_id,),
            )
        return [
            Contributor(AuthorRef(author_id, name), edits, first, last, added, removed)
            for author_id, name, edits, first, last, added, removed in rows
        ]

    def author(self, author_id: str) -> AuthorProfile:
        """An author's public profile and their contributions, most recent first."""
        with self.read_model.read() as sql:
            row = sql.row(
                "SELECT name, verification, roles, blocked, registered_at"
                " FROM view_authors WHERE author_id = ?",
                (author_id,),
            )
            if row is None:
                raise AuthorNotFound(f"No author with id {author_id}.")
            rows = sql.rows(
                "SELECT p.title, p.slug, p.kind, c.edits, c.first_edit, c.last_edit,"
                " c.chars_added, c.chars_removed FROM view_credits c"
                " JOIN view_pages p ON p.page_id = c.page_id"
                " WHERE c.author_id = ? AND p.deleted = 0 ORDER BY c.last_edit DESC",
                (author_id,),
            )
        name, verification, roles, blocked, registered_at = row
        return AuthorProfile(
            id=author_id,
            name=name,
            verification=verification,
            roles=tuple(json.loads(roles)),
            blocked=bool(blocked),
            registered_at=registered_at,
            contributions=tuple(Contribution(*contribution) for contribution in rows),
        )

    def blame(self, title: str) -> Blame:
        """Who introduced each line of the current text, and in which version."""
        with self.read_model.read() as sql:
            page_id = _page_id(sql, title)
            row = sql.row("SELECT version, lines FROM view_blame WHERE page_id = ?", (page_id,))
        assert row is not None  # every projected page has its blame
        return Blame(
            version=row[0],
            lines=tuple(
                BlamedLine(line.text, line.version, AuthorRef(line.author_id, line.author_name))
                for line in blame_from_json(row[1])
            ),
        )

    # ------------------------------------------------------------------ links

    def links(self, title: str) -> list[Link]:
        """The page's outgoing links and typed relations (to existing pages or not)."""
        with self.read_model.read() as sql:
            return list(_outgoing_links(sql, _page_id(sql, title)))

    def backlinks(self, title: str) -> list[Link]:
        """Pages that link to this one or name it in a relation (through any old title)."""
        with self.read_model.read() as sql:
            return list(_backlinks(sql, _page_id(sql, title)))

    def redirects(self) -> list[Redirect]:
        """Old titles left by renames, and where they lead."""
        with self.read_model.read() as sql:
            rows = sql.rows(
                "SELECT s.slug, p.title, p.slug FROM view_slugs s"
                " JOIN view_pages p ON p.page_id = s.page_id"
                " WHERE s.slug <> p.slug"
            )
        redirects = [Redirect(slug, title, target) for slug, title, target in rows]
        return sorted(redirects, key=lambda redirect: danish_sort_key(redirect.slug))

    # ------------------------------------------------------------------ audit

    def audit(
        self,
        wanted: AuditFilter,
        limit: int = 50,
        before: int | None = None,
        after: int | None = None,
    ) -> AuditLog:
        """Events of every aggregate that match `wanted`, newest first, `limit` at a time:
        those just older than log position `before`, or just newer than `after`."""
        limit = _limit(limit)
        where, params = _audit_conditions(wanted)
        with self.read_model.read() as sql:
            if after is None:
                rows = sql.rows(
                    f"{_AUDIT_SELECT} WHERE a.position < ? AND {where}"
                    " ORDER BY a.position DESC LIMIT ?",
                    (before if before is not None else _NO_POSITION, *params, limit + 1),
                )
                entries = [_audit_entry(row) for row in rows[:limit]]
                older = len(rows) > limit
                newer = before is not None and _audit_exists(
                    sql, where, params, ">", entries[0].position if entries else before - 1
                )
            else:
                rows = sql.rows(
                    f"{_AUDIT_SELECT} WHERE a.position > ? AND {where} ORDER BY a.position LIMIT ?",
                    (after, *params, limit + 1),
                )
                entries = [_audit_entry(row) for row in reversed(rows[:limit])]
                newer = len(rows) > limit
                older = _audit_exists(
                    sql, where, params, "<", entries[-1].position if entries else after + 1
                )
        # An empty page still leads back: to the entries on the side it came from.
        first = entries[0].position if entries else (before - 1 if before else None)
        last = entries[-1].position if entries else (after + 1 if after else None)
        return AuditLog(tuple(entries), last if older else None, first if newer else None)

    def audit_entries(self, wanted: AuditFilter) -> Iterator[AuditEntry]:
        """Every entry matching `wanted`, newest first, read a page at a time (so a
        download of the whole log is streamed, never held in memory)."""
        before: int | None = None
        while True:
            found = self.audit(wanted, MAX_LIMIT, before)
            yield from found.entries
            if found.next is None:
                return
            before = found.next


# ---------------------------------------------------------------------- helpers


def parse_moment(moment: str | datetime) -> datetime:
    """A moment from `?at=`: ISO 8601 with a time zone (`Z` or an offset) or a date."""
    if isinstance(moment, datetime):
        value = moment
    else:
        text = moment.strip()
        # An unescaped `+01:00` in a query string arrives as ` 01:00`.
        text = re.sub(r"(T\d\d:\d\d(?::\d\d(?:\.\d+)?)?) (\d\d:?\d\d)$", r"\1+\2", text)
        try:
            value = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
        except ValueError:
            raise InvalidInput(
                f"Not a moment in time: {text!r} (use e.g. 2026-01-31T12:00:00Z).", field="at"
            ) from None
        if len(text) == 10:  # a date alone means the end of that day
            value = value.replace(hour=23, minute=59, second=59, microsecond=999_999)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value


def _derived(body: str) -> dict[str, Any]:
    """Kind, fields, HTML and contents of a text the read model has not rendered."""
    kind, fields, html, toc = _rendered(body)
    return {"kind": kind, "fields": json.loads(fields), "html": html, "toc": toc}


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def _rendered(body: str) -> tuple[str, str, str, tuple[tuple[int, str, str], ...]]:
    # Old versions never change, so their rendering is kept (as immutable values).
    content = read_page(body)
    rendering = render(content.body)
    toc = tuple((entry.level, entry.id, entry.text) for entry in rendering.toc)
    return content.kind, json.dumps(content.fields), rendering.html, toc


def _page_id(sql: Sql, title: str) -> str:
    row = sql.row("SELECT page_id FROM view_slugs WHERE slug = ?", (slug_for(title),))
    if row is None:
        raise PageNotFound(normalise_title(title))
    return str(row[0])


def _page_view(row: Row, redirected_from: str | None = None) -> PageView:
    return PageView(
        page_id=row[0],
        title=row[1],
        slug=row[2],
        kind=row[3],
        fields=json.loads(row[4]),
        body=row[5],
        html=row[6],
        toc=tuple((level, id_, text) for level, id_, text in json.loads(row[7])),
        version=row[8],
        text_version=row[9],
        updated_at=row[10],
        updated_by=AuthorRef(row[11], row[12]),
        created_at=row[13],
        created_by=AuthorRef(row[14], row[15]),
        protected=bool(row[16]),
        deleted=bool(row[17]),
        redirected_from=redirected_from,
    )


def _with(page: PageView, **changes: Any) -> PageView:
    return replace(page, **changes)


def _without_text(page: PageView) -> PageView:
    return _with(page, body="", html="", toc=(), fields={})


def _revision(row: Row) -> Revision:
    (version, kind, title, author_id, author_name, signed_at, summary, size, delta, digest,
     text_version, merged, deleted, suppressed, position) = row  # fmt: skip
    return Revision(
        version=version,
        type=kind,
        title=title,
        author=AuthorRef(author_id, author_name),
        signed_at=signed_at,
        summary=summary,
        size=size,
        delta=delta,
        digest=digest,
        text_version=text_version,
        merged=bool(merged),
        deleted=bool(deleted),
        suppressed=bool(suppressed),
        position=position,
    )


def _change(row: Row) -> Change:
    (title, slug, version, kind, author_id, author_name, signed_at, summary, size, delta,
     position) = row  # fmt: skip
    return Change(
        title=title,
        slug=slug,
        version=version,
        type=kind,
        author=AuthorRef(author_id, author_name),
        signed_at=signed_at,
        summary=summary,
        size=size,
        delta=delta,
        position=position,
    )


def _outgoing_links(sql: Sql, page_id: str) -> tuple[Link, ...]:
    rows = sql.rows(
        # One index lookup per link (a join would hash the whole slug table).
        "SELECT l.relation, l.target_slug, l.target_title, t.title, t.kind"
        " FROM view_links l LEFT JOIN view_pages t ON t.deleted = 0 AND t.page_id ="
        " (SELECT s.page_id FROM view_slugs s WHERE s.slug = l.target_slug)"
        " WHERE l.page_id = ?",
        (page_id,),
    )
    links = (
        Link(
            relation=relation,
            title=title if title is not None else written,
            slug=target_slug,
            kind=kind,
            exists=title is not None,
        )
        for relation, target_slug, written, title, kind in rows
    )
    return _in_order(links)


def _backlinks(sql: Sql, page_id: str, limit: int | None = None) -> tuple[Link, ...]:
    """With `limit`: that many, the first by title (then put in Danish order)."""
    rows = sql.rows(
        "SELECT DISTINCT l.relation, p.title, p.slug, p.kind FROM view_slugs s"
        " JOIN view_links l ON l.target_slug = s.slug"
        " JOIN view_pages p ON p.page_id = l.page_id"
        " WHERE s.page_id = ? AND p.deleted = 0 AND p.page_id <> ?"
        " ORDER BY p.title, l.relation LIMIT ?",
        (page_id, page_id, limit if limit is not None else 2**62),
    )
    return _in_order(
        Link(relation=relation, title=title, slug=slug, kind=kind, exists=True)
        for relation, title, slug, kind in rows
    )


def _in_order(links: Iterable[Link]) -> tuple[Link, ...]:
    # Sorted here, not in SQL: the databases' collations differ; this is Danish order.
    return tuple(sorted(links, key=lambda link: (link.relation, danish_sort_key(link.title))))


def _limit(limit: int) -> int:
    if not 0 < limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be between 1 and {MAX_LIMIT}.")
    return limit


# ---------------------------------------------------------------------- administration: authors


def all_authors(reader: WikiReader) -> list[AuthorProfile]:
    """Every author (verified or not, blocked or not) without contributions, in Danish
    order of their names: the administrators' list at `/admin/authors`."""
    with reader.read_model.read() as sql:
        rows = sql.rows(
            "SELECT author_id, name, verification, roles, blocked, registered_at FROM view_authors"
        )
    authors = [
        AuthorProfile(
            id=author_id,
            name=name,
            verification=verification,
            roles=tuple(json.loads(roles)),
            blocked=bool(blocked),
            registered_at=registered_at,
        )
        for author_id, name, verification, roles, blocked, registered_at in rows
    ]
    return sorted(authors, key=lambda author: (danish_sort_key(author.name), author.id))


# ---------------------------------------------------------------------- audit

_NO_POSITION = 2**62  # beyond any log position
_AUDIT_SELECT = (
    "SELECT a.position, a.type, a.aggregate_id, a.version, a.author_id, a.author_name,"
    " a.signed_at, a.summary, a.page_id, a.page_title, p.slug, a.target_id, a.target_name,"
    " a.details FROM view_audit a LEFT JOIN view_pages p ON p.page_id = a.page_id"
)


def _audit_conditions(wanted: AuditFilter) -> tuple[str, list[Any]]:
    """SQL conditions (joined by AND; constant text, values as parameters) for a filter."""
    conditions = ["1 = 1"]
    params: list[Any] = []
    if wanted.author is not None:
        author_id = _author_id(wanted.author)
        if author_id is not None:
            conditions.append("a.author_id = ?")
            params.append(author_id)
        else:
            conditions.append("a.author_key = ?")
            params.append(author_key(wanted.author))
    if wanted.title is not None:
        # Every title a page has had leads to it (old ones as redirects): all its events.
        conditions.append("a.page_id = (SELECT s.page_id FROM view_slugs s WHERE s.slug = ?)")
        params.append(slug_for(wanted.title))
    if wanted.target is not None:
        conditions.append("a.target_id = ?")
        params.append(wanted.target)
    if wanted.types:
        conditions.append(f"a.type IN ({', '.join('?' for _ in wanted.types)})")
        params.extend(wanted.types)
    if wanted.since is not None:
        conditions.append("a.signed_at >= ?")
        params.append(wanted.since)
    if wanted.until is not None:
        conditions.append("a.signed_at <= ?")
        params.append(wanted.until)
    return " AND ".join(conditions), params


def _author_id(value: str) -> str | None:
    """The author id `value` names (the operator's too), or None when it is a name."""
    if value == OPERATOR_ID:
        return value
    try:
        return str(UUID(value))
    except ValueError:
        return None


def _audit_exists(sql: Sql, where: str, params: list[Any], side: str, position: int) -> bool:
    """Whether an entry matching the conditions lies before (`<`) or after (`>`) `position`."""
    found = sql.row(
        f"SELECT 1 FROM view_audit a WHERE a.position {side} ? AND {where} LIMIT 1",  # noqa: S608
        (position, *params),
    )
    return found is not None


def _audit_entry(row: Row) -> AuditEntry:
    (position, kind, aggregate_id, version, author_id, author_name, signed_at, summary,
     page_id, page_title, slug, target_id, target_name, details) = row  # fmt: skip
    return AuditEntry(
        position=position,
        type=kind,
        aggregate_id=aggregate_id,
        version=version,
        author=AuthorRef(author_id, author_name),
        signed_at=signed_at,
        summary=summary,
        page=AuditedPage(page_id, page_title or "", slug) if page_id is not None else None,
        target=AuthorRef(target_id, target_name or "") if target_id is not None else None,
        details=json.loads(details),
    )
