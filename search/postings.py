"""Posting lists as bitsets: the fast path under matching, counting and ranking.

whoosh decodes postings one Python object at a time (about 0.6 µs per posting here), so a
query on a word found in most pages of a 100,000-page wiki costs tens of milliseconds
however it is phrased, and counting facets over its matches costs as much again. Segments
never change once written, so each term's postings in a segment are decoded once and kept:
as a Python int used as a bitset (bit n set: document n has the term), plus the document
numbers and term frequencies for exact scoring. Matching is then `&` and `|` on ints, a
facet count is `(matches & value).bit_count()`, both in C.

Entries are keyed by segment id, so a commit that adds a small segment leaves the cache of
the large ones valid; deleted documents are masked per searcher (`live_bits`).
"""

from __future__ import annotations

import heapq
import re
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar

from whoosh.matching.wrappers import FilterMatcher

CACHE_BYTES = 128 * 1024 * 1024
CHAMPIONS = 100  # per term and segment: the documents that use it most


SPARSE = 64  # postings this few are kept as numbers only; their bitset is made when asked


@dataclass(frozen=True)
class Postings:
    """One term's postings in one segment."""

    ids: array[int]  # ascending document numbers
    frequencies: array[float]  # the term's frequency in each of them

    @property
    def size(self) -> int:
        """About how many bytes it holds (a dense term's bitset included)."""
        dense = len(self.ids) > SPARSE
        return len(self.ids) * 8 + (self.ids[-1] // 8 if dense else 0) + 128

    @cached_property
    def _bits(self) -> int:
        return to_bits(self.ids)

    @property
    def bits(self) -> int:
        """A bitset of its documents (kept only for a term in many documents: a bitset is
        as long as the segment whatever its count)."""
        return self._bits if len(self.ids) > SPARSE else to_bits(self.ids)

    @cached_property
    def champions(self) -> int:
        """A bitset of the documents using the term most often."""
        if len(self.ids) <= CHAMPIONS:
            return self.bits
        best = heapq.nlargest(CHAMPIONS, range(len(self.ids)), key=self.frequencies.__getitem__)
        return to_bits([self.ids[index] for index in best])

    def frequency(self, docnum: int) -> float:
        """The term's frequency in `docnum` (0 when it does not occur there)."""
        at = bisect_left(self.ids, docnum)
        return self.frequencies[at] if at < len(self.ids) and self.ids[at] == docnum else 0.0


EMPTY = Postings(array("I"), array("f"))


K = TypeVar("K")
V = TypeVar("V")


class LruCache(Generic[K, V]):
    """A small thread-safe cache, least recently used dropped first."""

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self._entries: OrderedDict[K, V] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
            return found

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value
            while len(self._entries) > self.keep:
                self._entries.popitem(last=False)


class PostingsCache:
    """Decoded postings by (segment, field, term), least recently used dropped first."""

    def __init__(self, max_bytes: int = CACHE_BYTES) -> None:
        # Keyed by a set of segments (they change with each commit):
        self.facets: LruCache[Any, list[tuple[str, int, int]]] = LruCache(8)  # facet tables
        self.combined: LruCache[Any, int] = LruCache(2_048)  # a term's bits in all segments
        self.expansions: LruCache[Any, list[tuple[str, str]]] = LruCache(1_024)  # a prefix's
        # Keyed by a segment: its documents' modification times and order by them.
        self.modified: LruCache[str, tuple[list[int], list[int]]] = LruCache(64)
        self.max_bytes = max_bytes
        self._entries: OrderedDict[tuple[str, str, str], Postings] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, segment_reader: Any, field: str, term: str) -> Postings:
        key = (segment_reader.segment().segment_id(), field, term)
        with self._lock:
            found = self._entries.get(key)
            if found is not None:
                self._entries.move_to_end(key)
                return found
        decoded = decode(segment_reader, field, term)
        with self._lock:
            if key not in self._entries:
                self._entries[key] = decoded
                self._bytes += decoded.size
                while self._bytes > self.max_bytes and len(self._entries) > 1:
                    _, dropped = self._entries.popitem(last=False)
                    self._bytes -= dropped.size
        return decoded


def decode(segment_reader: Any, field: str, term: str) -> Postings:
    """Read a term's postings in a segment, deleted documents included: deletions change
    from commit to commit while a segment does not, so searches mask them themselves."""
    if (field, term) not in segment_reader:
        return EMPTY
    ids: array[int] = array("I")
    frequencies: array[float] = array("f")
    matcher = segment_reader.postings(field, term)
    if isinstance(matcher, FilterMatcher):  # what a segment with deletions hands out
        matcher = matcher.child
        matcher.reset()  # the filter has already skipped the leading deleted postings
    for block_ids, block_weights in _blocks(matcher):
        ids.extend(block_ids)
        frequencies.extend(block_weights)
    return Postings(ids, frequencies)


def _blocks(matcher: Any) -> Iterator[tuple[Iterable[int], Iterable[float]]]:
    """A whoosh-reloaded 2.7.5 leaf matcher's postings, a block at a time. Its public
    interface moves one posting per call; reading whole blocks is twice as fast. Any
    other matcher is read through that public interface."""
    if not all(hasattr(matcher, name) for name in ("_read_ids", "_read_weights", "_atend")):
        while matcher.is_active():
            yield (matcher.id(),), (matcher.weight(),)
            matcher.next()
        return
    while not matcher._atend:
        matcher._read_ids()
        matcher._read_weights()
        yield matcher._ids, matcher._weights
        matcher._next_block()


def to_bits(docnums: Collection[int]) -> int:
    """A bitset of document numbers."""
    if not docnums:
        return 0
    packed = bytearray((max(docnums) >> 3) + 1)
    for docnum in docnums:
        packed[docnum >> 3] |= 1 << (docnum & 7)
    return int.from_bytes(packed, "little")


_BITS_OF_BYTE = [tuple(bit for bit in range(8) if value >> bit & 1) for value in range(256)]


_SET_BYTES = re.compile(b"[^\x00]+")


def from_bits(bits: int) -> list[int]:
    """The document numbers in a bitset, ascending (skipping zero bytes in C)."""
    packed = bits.to_bytes((bits.bit_length() + 7) // 8, "little")
    found: list[int] = []
    for run in _SET_BYTES.finditer(packed):
        base = run.start() << 3
        for value in run.group():
            found.extend(base + bit for bit in _BITS_OF_BYTE[value])
            base += 8
    return found
