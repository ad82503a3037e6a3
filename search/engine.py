"""Running a search on one searcher: match, count facets, rank, highlight, relate.

Matching and counting work on bitsets of cached postings (`search.postings`). Ranking is
BM25 (whoosh's constants, titles weighted double) computed exactly for the candidates:
every match when there are few; when there are many, the matches that have a query word
in their title or are among each word's most frequent users ("champion lists", Manning,
Raghavan and Schütze, Introduction to Information Retrieval, §7.1.3), topped up with the
newest matches should those be too few. A search without words lists the newest pages.
"""

import heapq
import math
from bisect import bisect_right
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from whoosh.query import Phrase
from whoosh.searching import Searcher

from search.parsing import Clause
from search.postings import Postings, PostingsCache, from_bits, to_bits
from search.schema import HIDDEN, PAGE_DOCTYPE

TEXT_FIELDS = {"title": 2.0, "body": 1.0}  # field -> weight
K1, B = 1.2, 0.75  # whoosh's BM25F defaults
EXACT_MAX = 400  # rank every match up to this many
NEWEST_SORT_MAX = 2_000  # matches up to this many are sorted by date; more are walked
TOP_UP = 200  # too few ranked candidates: the newest other matches join them
MAX_EXPANSIONS = 30  # a prefix stands for at most this many words, the most common first
SCORED_EXPANSIONS = 3  # of which this many count in the ranking


@dataclass(frozen=True)
class Segment:
    reader: Any  # a whoosh SegmentReader
    offset: int  # its first document's number in the searcher


class Matcher:
    """Bitsets over all of a searcher's documents (segment bitsets shifted into place)."""

    def __init__(self, searcher: Searcher, cache: PostingsCache) -> None:
        self.searcher = searcher
        self.cache = cache
        leaves = searcher.leaf_searchers()  # [(itself, 0)] for an index of one segment
        self.segments = [Segment(sub.reader(), offset) for sub, offset in leaves]
        self._segment_searchers = [sub for sub, _ in leaves]
        self._offsets = [segment.offset for segment in self.segments]
        # Names this set of segments: what is cached across searches is keyed by it.
        self.signature = tuple(
            (segment.reader.segment().segment_id(), segment.offset) for segment in self.segments
        )

    # ------------------------------------------------------------------ bitsets

    def term(self, field: str, term: str) -> int:
        key = (self.signature, field, term)
        bits = self.cache.combined.get(key)
        if bits is None:
            bits = 0
            for segment in self.segments:
                found = self.cache.get(segment.reader, field, term).bits
                if found:
                    bits |= found << segment.offset
            self.cache.combined.put(key, bits)
        return bits

    def documents(self, field: str, values: Iterable[str], within: int) -> list[int]:
        """The documents in bitset `within` having any of `values`, ascending. Reads the
        postings' numbers, not bitsets: right for rare values such as slugs."""
        found: set[int] = set()
        for value in values:
            for segment in self.segments:
                for local in self.cache.get(segment.reader, field, value).ids:
                    docnum = local + segment.offset
                    if within >> docnum & 1:
                        found.add(docnum)
        return sorted(found)

    def any_of(self, field: str, values: Iterable[str]) -> int:
        bits = 0
        for value in values:
            bits |= self.term(field, value)
        return bits

    def facet(self, field: str) -> list[tuple[str, int, int]]:
        """Every value of a facet field: (value, bitset, how many documents have it),
        most common first. Built once per set of segments (once per commit)."""
        key = (field, self.signature)
        found = self.cache.facets.get(key)
        if found is None:
            combined: dict[str, int] = {}
            for segment in self.segments:
                for value in segment.reader.lexicon(field):
                    term = _text(value)
                    bits = self.cache.get(segment.reader, field, term).bits << segment.offset
                    combined[term] = combined.get(term, 0) | bits
            found = sorted(
                ((value, bits, bits.bit_count()) for value, bits in combined.items()),
                key=lambda entry: (-entry[2], entry[0]),
            )
            self.cache.facets.put(key, found)
        return found

    def visible(self) -> int:
        """Every page document that is neither deleted (by whoosh: replaced) nor hidden (a
        deleted page's document, kept for a restore). Deletions only grow within a set of
        segments, so their count names this bitset: it is built once per commit."""
        deletions = tuple(segment.reader.segment().deleted_count() for segment in self.segments)
        key = (self.signature, "visible", deletions)
        bits = self.cache.combined.get(key)
        if bits is None:
            deleted = 0
            for segment in self.segments:
                if segment.reader.has_deletions():
                    found = list(segment.reader.segment().deleted_docs())
                    deleted |= to_bits(found) << segment.offset
            pages = self.term("doctype", PAGE_DOCTYPE)
            bits = pages & ~self.term("hidden", HIDDEN) & ~deleted
            self.cache.combined.put(key, bits)
        return bits

    def clause(self, clause: Clause) -> int:
        if clause.kind == "word":
            return self.any_field(clause.terms[0])
        if clause.kind == "prefix":
            bits = 0
            for field, term in self.expansions(clause.terms):
                bits |= self.term(field, term)
            return bits
        return self.phrase(clause.terms)

    def any_field(self, term: str) -> int:
        bits = 0
        for field in TEXT_FIELDS:
            bits |= self.term(field, term)
        return bits

    def expansions(self, prefixes: tuple[str, ...]) -> list[tuple[str, str]]:
        """The indexed words that begin with any of `prefixes`, the most common first."""
        key = (self.signature, "prefix", prefixes)
        cached = self.cache.expansions.get(key)
        if cached is not None:
            return cached
        reader = self.searcher.reader()
        found: list[tuple[str, str]] = []
        for field in TEXT_FIELDS:
            frequency: dict[str, int] = {}
            for prefix in prefixes:
                for indexed in reader.expand_prefix(field, prefix):
                    term = _text(indexed)
                    frequency[term] = reader.doc_frequency(field, term)
            common = heapq.nlargest(MAX_EXPANSIONS, frequency, key=frequency.__getitem__)
            found.extend((field, term) for term in common)
        self.cache.expansions.put(key, found)
        return found

    def phrase(self, terms: tuple[str, ...]) -> int:
        bits = 0
        for field in TEXT_FIELDS:
            query = Phrase(field, list(terms))
            for sub, segment in zip(self._segment_searchers, self.segments, strict=True):
                docs = list(sub.docs_for_query(query))
                if docs:
                    bits |= to_bits(docs) << segment.offset
        return bits

    # ------------------------------------------------------------------ ranking

    def rank(self, matches: int, terms: list[tuple[str, str]], count: int) -> list[int]:
        """The best `count` matches for `terms` ((field, term) pairs), best first."""
        if not terms:
            return self.newest(matches, count)
        postings = {key: self._postings(*key) for key in set(terms)}
        if matches.bit_count() <= EXACT_MAX:
            candidates = from_bits(matches)
        else:
            chosen = 0
            for (field, _term), per_segment in postings.items():
                for segment, found in zip(self.segments, per_segment, strict=True):
                    champions = found.bits if field == "title" else found.champions
                    chosen |= champions << segment.offset
            chosen &= matches
            candidates = from_bits(chosen)
            wanted = max(count, TOP_UP)  # not `count`: every page of results alike
            if len(candidates) < wanted:
                candidates += self.newest(matches & ~chosen, wanted - len(candidates))
        scores = self._scores(candidates, postings)
        return heapq.nlargest(count, candidates, key=lambda docnum: (scores[docnum], docnum))

    def newest(self, matches: int, count: int) -> list[int]:
        """The `count` most recently modified matches, newest first. (Not the highest
        document numbers: whoosh's merges reorder documents.) Few matches are sorted;
        otherwise each segment's documents are walked in order of modification (sorted
        once per segment, which never changes) until enough of them match."""
        if count <= 0 or not matches:
            return []
        if matches.bit_count() <= NEWEST_SORT_MAX:
            return heapq.nlargest(count, from_bits(matches), key=self._modified)
        walks = [
            _walk(modified, order, segment.offset)
            for segment, (modified, order) in zip(self.segments, self._by_modified(), strict=True)
        ]
        found: list[int] = []
        for _modified, docnum in heapq.merge(*walks, reverse=True):
            if matches >> docnum & 1:
                found.append(docnum)
                if len(found) == count:
                    break
        return found

    def _by_modified(self) -> list[tuple[list[int], list[int]]]:
        """For each segment: its documents' modification times (raw column values), and
        its document numbers newest first."""
        found = []
        for segment in self.segments:
            key = segment.reader.segment().segment_id()
            entry = self.cache.modified.get(key)
            if entry is None:
                modified = list(segment.reader.column_reader("modified", translate=False))
                order = sorted(
                    range(len(modified)), key=lambda local: (modified[local], local), reverse=True
                )
                entry = (modified, order)
                self.cache.modified.put(key, entry)
            found.append(entry)
        return found

    def _modified(self, docnum: int) -> tuple[int, int]:
        index = bisect_right(self._offsets, docnum) - 1
        modified, _order = self._by_modified()[index]
        return modified[docnum - self.segments[index].offset], docnum

    def _postings(self, field: str, term: str) -> list[Postings]:
        return [self.cache.get(segment.reader, field, term) for segment in self.segments]

    def _scores(
        self, candidates: list[int], postings: Mapping[tuple[str, str], list[Postings]]
    ) -> dict[int, float]:
        """BM25 of each candidate: for each term, only the candidates that have it."""
        searcher = self.searcher
        documents = searcher.doc_count_all() or 1
        among = to_bits(candidates)
        scores = dict.fromkeys(candidates, 0.0)
        lengths: dict[tuple[str, int], int] = {}
        for (field, term), per_segment in postings.items():
            frequency = searcher.doc_frequency(field, term)
            weight = math.log(1 + (documents - frequency + 0.5) / (frequency + 0.5))
            weight *= TEXT_FIELDS[field]
            average = (searcher.field_length(field) / documents) or 1.0
            for docnum in from_bits(among & self.term(field, term)):
                index = bisect_right(self._offsets, docnum) - 1
                segment = self.segments[index]
                local = docnum - segment.offset
                tf = per_segment[index].frequency(local)
                length = lengths.get((field, docnum))
                if length is None:
                    length = segment.reader.doc_field_length(local, field, 1) or 1
                    lengths[field, docnum] = length
                norm = K1 * ((1 - B) + B * length / average)
                scores[docnum] += weight * tf * (K1 + 1) / (tf + norm)
        return scores


def _walk(modified: list[int], order: list[int], offset: int) -> Iterator[tuple[int, int]]:
    """A segment's documents newest first, as (modification time, document number)."""
    for local in order:
        yield modified[local], local + offset


def _text(term: str | bytes) -> str:
    """A term as text (whoosh hands out some as UTF-8 bytes)."""
    return term.decode("utf-8") if isinstance(term, bytes) else term
