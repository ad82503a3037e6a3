"""A search request and its results: hits with snippets and related pages, facet counts."""

import heapq
import html
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from whoosh.highlight import ContextFragmenter, HtmlFormatter, highlight
from whoosh.searching import Searcher

from search.engine import SCORED_EXPANSIONS, TEXT_FIELDS, Matcher
from search.parsing import Clause, parse
from search.postings import PostingsCache
from search.schema import AUTHOR_PREFIX, FACETS, FILTERS, danish
from wikiengine.kinds import RELATIONS
from wikiengine.titles import slug_for

MAX_LIMIT = 100
FACET_VALUES = 20  # per facet, the most frequent
RELATED_PER_HIT = 12
SNIPPET_CHARS = 240
SNIPPET_WINDOW = 900  # characters of a page's text searched for the snippet


@dataclass(frozen=True)
class SearchRequest:
    text: str = ""
    filters: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # any value of each
    related_to: str | None = None  # a title: only pages related to it, either way
    limit: int = 10
    offset: int = 0


@dataclass(frozen=True)
class RelatedPage:
    title: str
    slug: str
    kind: str
    relation: str  # cases | recommendations | network
    direction: str  # "out": the hit names this page; "in": this page names the hit


@dataclass(frozen=True)
class Hit:
    title: str
    slug: str
    kind: str
    snippet_html: str  # escaped text with the matched words in <mark>
    modified: datetime
    related: tuple[RelatedPage, ...]


@dataclass(frozen=True)
class FacetValue:
    value: str
    label: str
    count: int


@dataclass(frozen=True)
class SearchResults:
    total: int
    hits: tuple[Hit, ...]
    facets: dict[str, tuple[FacetValue, ...]]


def run(searcher: Searcher, cache: PostingsCache, request: SearchRequest) -> SearchResults:
    matcher = Matcher(searcher, cache)
    clauses = parse(request.text)
    visible = matcher.visible()
    matches = visible
    for clause in clauses:
        found = matcher.clause(clause)
        matches = matches & ~found if clause.negated else matches & found
    for name, values in request.filters.items():
        if name in FILTERS and values:
            matches &= matcher.any_of(name, values)
    if request.related_to:
        matches &= _related_to(searcher, matcher, request.related_to, visible)

    terms = _scoring_terms(matcher, clauses)
    limit = max(0, min(request.limit, MAX_LIMIT))
    offset = max(0, request.offset)
    best = matcher.rank(matches, terms, offset + limit)[offset:]
    stored = [searcher.stored_fields(docnum) for docnum in best]
    highlighted = {term for _field, term in terms} | {
        term
        for clause in clauses
        if clause.kind == "prefix" and not clause.negated
        for _field, term in matcher.expansions(clause.terms)
    }
    related = _related(searcher, matcher, stored, visible)
    hits = tuple(
        Hit(
            title=fields["title"],
            slug=fields["slug"],
            kind=fields["kind"],
            snippet_html=_snippet(fields.get("body", ""), highlighted),
            modified=fields["modified"],
            related=related[fields["id"]],
        )
        for fields in stored
    )
    return SearchResults(matches.bit_count(), hits, _facets(searcher, matcher, matches))


def _scoring_terms(matcher: Matcher, clauses: list[Clause]) -> list[tuple[str, str]]:
    terms: list[tuple[str, str]] = []
    for clause in clauses:
        if clause.negated:
            continue
        if clause.kind == "prefix":
            expanded = matcher.expansions(clause.terms)
            for field in TEXT_FIELDS:
                mine = [pair for pair in expanded if pair[0] == field]
                terms.extend(mine[:SCORED_EXPANSIONS])
        else:
            terms.extend((name, term) for term in clause.terms for name in TEXT_FIELDS)
    return list(dict.fromkeys(terms))


def _snippet(body: str, terms: set[str]) -> str:
    if terms:
        fragments = highlight(
            _near_first_match(body, terms),
            frozenset(terms),
            danish(),
            ContextFragmenter(maxchars=SNIPPET_CHARS, surround=60),
            HtmlFormatter(tagname="mark", between=" … "),
            top=2,
        )
        if fragments:
            return str(fragments)
    shortened = body[:SNIPPET_CHARS]
    return html.escape(shortened + ("…" if len(body) > SNIPPET_CHARS else ""))


def _near_first_match(body: str, terms: set[str]) -> str:
    """The part of `body` around the first place a term appears. Highlighting analyses
    all the text it is given, so it gets a window, not the page. A Danish stem is nearly
    always the start of the words it stems from, which makes it easy to find."""
    lowered = body.lower()
    found = [at for at in (lowered.find(term) for term in terms) if at >= 0]
    if not found:
        return body
    start = max(0, min(found) - SNIPPET_WINDOW // 3)
    start = body.rfind(" ", 0, start) + 1 if start else 0  # a whole first word
    return body[start : start + SNIPPET_WINDOW]


# ---------------------------------------------------------------------- facets


def _facets(
    searcher: Searcher, matcher: Matcher, matches: int
) -> dict[str, tuple[FacetValue, ...]]:
    facets: dict[str, tuple[FacetValue, ...]] = {}
    for name in FACETS:
        counts = _counts(matcher, name, matches)
        labels = _author_names(searcher, counts) if name == "authors" else {}
        facets[name] = tuple(
            FacetValue(value, labels.get(value, value), count) for value, count in counts
        )
    return facets


def _counts(matcher: Matcher, name: str, matches: int) -> list[tuple[str, int]]:
    """The most frequent values of a facet among the matches. A value can match no more
    pages than have it, so values are tried most common first and the counting stops once
    no remaining value could enter the top ones."""
    if not matches:
        return []
    best: list[tuple[int, str]] = []  # a heap of (count, value): the smallest first
    for value, bits, bound in matcher.facet(name):
        if len(best) >= FACET_VALUES and bound <= best[0][0]:
            break
        count = (bits & matches).bit_count()
        if not count:
            continue
        if len(best) < FACET_VALUES:
            heapq.heappush(best, (count, value))
        elif count > best[0][0]:
            heapq.heapreplace(best, (count, value))
    return [(value, count) for count, value in sorted(best, key=lambda pair: (-pair[0], pair[1]))]


def _author_names(searcher: Searcher, counts: list[tuple[str, int]]) -> dict[str, str]:
    names = {}
    for author_id, _count in counts:
        found = searcher.document(id=AUTHOR_PREFIX + author_id)
        if found:
            names[author_id] = found["author_name"]
    return names


# ---------------------------------------------------------------------- relations


def _related_to(searcher: Searcher, matcher: Matcher, title: str, visible: int) -> int:
    """Pages whose relations name the page `title` (by any title it has had), and the
    pages its relations name."""
    slug = slug_for(title)
    for docnum in matcher.documents("slugs", [slug], visible)[:1]:
        page = searcher.stored_fields(docnum)
        citing = matcher.any_of("related", page.get("slugs", slug).split(","))
        return citing | matcher.any_of("slugs", _named_slugs(page))
    return matcher.term("related", slug)  # a page not written yet can be named


def _related(
    searcher: Searcher, matcher: Matcher, hits: list[dict[str, Any]], visible: int
) -> dict[str, tuple[RelatedPage, ...]]:
    """Each hit's related pages: those its relations name (that exist) and those whose
    relations name it."""
    named = sorted({slug for hit in hits for slug in _named_slugs(hit)})
    targets = {}
    for docnum in matcher.documents("slugs", named, visible):
        page = searcher.stored_fields(docnum)
        for slug in page.get("slugs", "").split(","):
            targets[slug] = page
    own = sorted({slug for hit in hits for slug in hit.get("slugs", "").split(",") if slug})
    citing = [
        searcher.stored_fields(docnum) for docnum in matcher.documents("related", own, visible)
    ]

    related: dict[str, tuple[RelatedPage, ...]] = {}
    for hit in hits:
        found: list[RelatedPage] = []
        for relation in RELATIONS:
            for title in hit["relations"].get(relation, ()):
                target = targets.get(slug_for(title))
                if target is not None and target["id"] != hit["id"]:
                    found.append(_related_page(target, relation, "out"))
        hit_slugs = set(hit.get("slugs", "").split(","))
        for page in citing:
            if page["id"] == hit["id"]:
                continue
            for relation in RELATIONS:
                titles = page["relations"].get(relation, ())
                if any(slug_for(title) in hit_slugs for title in titles):
                    found.append(_related_page(page, relation, "in"))
        related[hit["id"]] = tuple(dict.fromkeys(found))[:RELATED_PER_HIT]
    return related


def _related_page(page: dict[str, Any], relation: str, direction: str) -> RelatedPage:
    return RelatedPage(page["title"], page["slug"], page["kind"], relation, direction)


def _named_slugs(page: dict[str, Any]) -> set[str]:
    return {slug_for(title) for titles in page.get("relations", {}).values() for title in titles}
