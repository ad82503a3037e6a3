"""What a reader sees, shaped for the templates from the read model's records
(`storage.records`): Danish labels, a page's facts and related pages, its table of
contents, history rows, diff lines, blame groups and the Atom feed's entries.

Nothing here queries or changes the wiki, and nothing here holds a page's text except
what a record brought: a suppressed revision's text never reaches this module.
Labels are Danish (the source language), marked with `N_` for the catalogue; templates
translate them with `_()`.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from storage.records import AuthorRef, Blame, BlamedLine, Change, Link, PageView, Revision
from web.i18n import N_
from web.i18n import gettext as _
from wikiengine.diff import DiffRow, Segment
from wikiengine.errors import InvalidTitle
from wikiengine.kinds import RELATIONS
from wikiengine.markup import page_path
from wikiengine.titles import slug_for

FIELD_LABELS = {
    "organisation": N_("Organisation"),
    "sector": N_("Sektor"),
    "area": N_("Område"),
    "status": N_("Status"),
    "period": N_("Periode"),
    "effect": N_("Virkning"),
    "process": N_("Proces"),
    "conditions": N_("Betingelser"),
    "documentation": N_("Dokumentation"),
    "audience": N_("Målgruppe"),
    "theme": N_("Tema"),
    "level": N_("Niveau"),
    "parties": N_("Partier"),
    "tasks": N_("Politikernes opgaver"),
    "cases": N_("Cases"),  # relations: shown as related pages, not as facts
    "recommendations": N_("Anbefalinger"),
    "network": N_("Netværk"),
    "tags": N_("Emneord"),
}
_FIELD_POSITIONS = {name: position for position, name in enumerate(FIELD_LABELS)}
SECTOR_LABELS = {
    "stat": N_("Stat"),
    "kommune": N_("Kommune"),
    "region": N_("Region"),
    "other": N_("Andet"),
}
LEVEL_LABELS = {
    "kommunalbestyrelse": N_("Kommunalbestyrelse"),
    "regionsråd": N_("Regionsråd"),
    "Folketinget": N_("Folketinget"),
}
EVENT_LABELS = {
    "page.created": N_("Oprettet"),
    "page.edited": N_("Redigeret"),
    "page.reverted": N_("Gendannet"),
    "page.renamed": N_("Omdøbt"),
    "page.protected": N_("Beskyttet"),
    "page.unprotected": N_("Beskyttelse fjernet"),
    "page.deleted": N_("Slettet"),
    "page.restored": N_("Genskabt"),
    "page.revision_suppressed": N_("Tekst skjult"),
}
# Events that give the page a new text (the others keep the text of an earlier version).
TEXT_EVENTS = frozenset({"page.created", "page.edited", "page.reverted"})
# A page's typed relations, seen from the page that names them ...
RELATION_LABELS = {
    "cases": N_("Cases"),
    "recommendations": N_("Anbefalinger"),
    "network": N_("Netværksemner"),
}
# ... and from the page they name (`link`: a [[link]] in the text).
BACKLINK_LABELS = {
    "cases": N_("Nævner siden som case"),
    "recommendations": N_("Nævner siden som anbefaling"),
    "network": N_("Nævner siden som netværksemne"),
    "link": N_("Linker hertil i teksten"),
}

# Characters XML 1.0 does not allow, even escaped (a summary may hold them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# ---------------------------------------------------------------------- numbers, authors


def count(number: int) -> str:
    """`1234` -> `1.234` (Danish thousands separator)."""
    return f"{number:,}".replace(",", ".")


def signed(number: int) -> str:
    """A change in size: `+12`, `-5` (written with U+2212, a real minus sign) or `±0`."""
    if number > 0:
        return "+" + count(number)
    if number < 0:
        return "\u2212" + count(-number)
    return "\u00b10"


def author_path(author: AuthorRef) -> str | None:
    """The author's profile page; None for the server operator, who has none."""
    try:
        return "/authors/" + str(UUID(author.id))
    except ValueError:
        return None


# ---------------------------------------------------------------------- a page


@dataclass(frozen=True)
class FactValue:
    text: str
    href: str | None = None


@dataclass(frozen=True)
class Fact:
    label: str
    values: list[FactValue]


def facts(fields: dict[str, Any]) -> list[Fact]:
    """The front matter's own fields and tags as labelled values, in the kind's order.

    Relations are not facts: `related_pages` shows them, with the pages' existence.
    """
    shown = []
    for name, value in sorted(fields.items(), key=_field_order):
        if name in RELATIONS:
            continue
        items = value if isinstance(value, list) else [value]
        values = [_fact_value(name, item) for item in items if item not in (None, "")]
        if values:
            shown.append(Fact(FIELD_LABELS.get(name, name), values))
    return shown


def _field_order(field: tuple[str, Any]) -> int:
    # The read model keeps fields as JSON with sorted keys; FIELD_LABELS has each kind's
    # own fields in the order the kind names them (a case: who, where, then COI's four).
    return _FIELD_POSITIONS.get(field[0], len(_FIELD_POSITIONS))


def _fact_value(name: str, item: Any) -> FactValue:
    text = str(item)
    if name == "sector" and text in SECTOR_LABELS:
        return FactValue(_(SECTOR_LABELS[text]))
    if name == "level" and text in LEVEL_LABELS:
        return FactValue(_(LEVEL_LABELS[text]))
    if name == "tags":  # pages with the same tag: a search narrowed to it
        return FactValue(text, "/search?" + urlencode({"tags": text}))
    return FactValue(text)


@dataclass(frozen=True)
class RelatedPage:
    title: str
    href: str
    exists: bool
    kind: str | None


@dataclass(frozen=True)
class RelatedGroup:
    label: str
    pages: list[RelatedPage]


def related_pages(page: PageView) -> list[RelatedGroup]:
    """The pages this one names in its front matter, by relation, in the order written.

    Whether they exist comes from the read model's links (a current page); an old
    version has none, so its related pages are not marked missing.
    """
    known = {(link.relation, link.slug): link for link in page.links}
    groups = []
    for relation in RELATIONS:
        pages = []
        for title in page.fields.get(relation) or ():
            try:
                slug = slug_for(title)
            except InvalidTitle:
                continue
            link = known.get((relation, slug))
            pages.append(
                RelatedPage(
                    title=link.title if link is not None else title,
                    href=page_path(slug),
                    exists=link.exists if link is not None else True,
                    kind=link.kind if link is not None else None,
                )
            )
        if pages:
            groups.append(RelatedGroup(RELATION_LABELS[relation], pages))
    return groups


@dataclass(frozen=True)
class LinkGroup:
    relation: str
    label: str
    links: list[Link]


def backlink_groups(backlinks: Iterable[Link]) -> list[LinkGroup]:
    """Pages linking here, grouped by how: typed relations first, then text links."""
    by_relation: dict[str, list[Link]] = {}
    for link in backlinks:
        by_relation.setdefault(link.relation, []).append(link)
    order = [*BACKLINK_LABELS, *sorted(set(by_relation) - set(BACKLINK_LABELS))]
    return [
        LinkGroup(relation, BACKLINK_LABELS.get(relation, relation), by_relation[relation])
        for relation in order
        if relation in by_relation
    ]


@dataclass(frozen=True)
class TocItem:
    id: str
    text: str
    children: list["TocItem"] = field(default_factory=list)


def table_of_contents(toc: Sequence[tuple[int, str, str]]) -> list[TocItem]:
    """The headings as a nested list: each level 3 heading under the level 2 before it."""
    items: list[TocItem] = []
    for level, anchor, text in toc:
        item = TocItem(anchor, text)
        if level > 2 and items:
            items[-1].children.append(item)
        else:
            items.append(item)
    return items


# ---------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryRow:
    revision: Revision
    label: str
    text_hidden: bool  # the text shown at this version is suppressed
    can_diff: bool  # a new text, and both it and the one before may be shown
    can_restore: bool  # a text that may be made current again


def history_rows(revisions: Sequence[Revision]) -> list[HistoryRow]:
    """Revisions as history rows. A version that shows a suppressed text is marked even
    when the suppressed revision is an earlier one (a rename after it, say)."""
    suppressed = {revision.version for revision in revisions if revision.suppressed}
    hidden = {
        revision.version
        for revision in revisions
        if revision.suppressed or revision.text_version in suppressed
    }
    rows = []
    for revision in revisions:
        new_text = revision.type in TEXT_EVENTS and revision.version not in hidden
        rows.append(
            HistoryRow(
                revision=revision,
                label=EVENT_LABELS.get(revision.type, revision.type),
                text_hidden=revision.version in hidden,
                can_diff=new_text and revision.version - 1 not in hidden,
                can_restore=new_text,
            )
        )
    return rows


# ---------------------------------------------------------------------- diff


@dataclass(frozen=True)
class InlineLine:
    kind: str  # "same", "removed", "added" or "gap"
    old_number: int | None
    new_number: int | None
    segments: tuple[Segment, ...]


def inline_lines(rows: Iterable[DiffRow]) -> list[InlineLine]:
    """Side-by-side rows as one column: a changed line is its old line, then its new one."""
    lines: list[InlineLine] = []
    for row in rows:
        if row.kind == "gap":
            lines.append(InlineLine("gap", None, None, ()))
        elif row.kind == "same":
            lines.append(InlineLine("same", row.left_number, row.right_number, row.left or ()))
        else:
            if row.left is not None:
                lines.append(InlineLine("removed", row.left_number, None, row.left))
            if row.right is not None:
                lines.append(InlineLine("added", None, row.right_number, row.right))
    return lines


# ---------------------------------------------------------------------- blame


@dataclass(frozen=True)
class BlameGroup:
    """Consecutive lines of the current text that one version introduced."""

    version: int
    author: AuthorRef
    first_number: int
    lines: list[str]


def blame_groups(blame: Blame) -> list[BlameGroup]:
    groups = []
    number = 1
    for (version, author), lines in groupby(blame.lines, key=_blame_key):
        texts = [line.text for line in lines]
        groups.append(BlameGroup(version, author, number, texts))
        number += len(texts)
    return groups


def _blame_key(line: BlamedLine) -> tuple[int, AuthorRef]:
    return line.version, line.author


# ---------------------------------------------------------------------- the Atom feed


@dataclass(frozen=True)
class FeedEntry:
    id: str
    title: str
    link: str
    updated: str
    author: str
    summary: str


def feed_entries(changes: Iterable[Change], base_url: str) -> list[FeedEntry]:
    """Recent changes as Atom entries, with absolute links and only XML-safe characters.

    An entry's id names its place in the event log, which never changes (titles do).
    """
    base = base_url.rstrip("/")
    entries = []
    for change in changes:
        label = _(EVENT_LABELS.get(change.type, change.type))
        path = page_path(change.slug)
        # A new text links to what changed (version 1: against the empty page).
        link = (
            f"{path}/diff?to={change.version}"
            if change.type in TEXT_EVENTS
            else f"{path}?version={change.version}"
        )
        entries.append(
            FeedEntry(
                id=f"{base}/recent.atom#change-{change.position}",
                title=xml_text(f"{change.title}: {label} (version {change.version})"),
                link=base + link,
                updated=change.signed_at,
                author=xml_text(change.author.name),
                summary=xml_text(change.summary),
            )
        )
    return entries


def xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)
