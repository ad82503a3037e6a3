"""A node's search index: a projection of the event log into a whoosh index on local disk.

The indexer is the index's only writer. Each batch of events becomes one whoosh commit
that also rewrites the tracking document holding the index's position, so the documents
and the position change together or not at all (whoosh writes new segment files, then
renames the new table of contents into place). An index that is missing, unreadable,
from another store or ahead of the store is replaced by an empty one, which the projector
then fills from the start of the log.
"""

import logging
import pickle
import shutil
import struct
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.index import EmptyIndexError, FileIndex
from whoosh.index import IndexError as WhooshIndexError
from whoosh.multiproc import MpWriter
from whoosh.reading import ReaderClosed
from whoosh.searching import Searcher
from whoosh.writing import CLEAR, SegmentWriter

from search.documents import PageDocument
from search.indexing import IndexBatch
from search.postings import PostingsCache
from search.results import SearchRequest, SearchResults, run
from search.schema import PAGE_PREFIX, TRACKING_ID, make_schema

log = logging.getLogger(__name__)

WRITER_TIMEOUT_SECONDS = 30.0  # another writer (a rebuild) holds whoosh's lock this long
WRITER_MEMORY_MB = 256  # segment buffer: a catch-up batch becomes few segments
MAX_SEGMENTS = 8  # a catch-up leaving more merges them into one
PARALLEL_MIN_EVENTS = 1_000  # smaller batches are not worth starting processes for
FOLLOW_INTERVAL = 0.1  # seconds between live batches: edits gather into one commit
OPEN_ATTEMPTS = 5
SCHEMA_VERSION = 1  # stored in the tracking document: an index of another version is rebuilt
WRITER_OPTIONS: dict[str, Any] = {
    "timeout": WRITER_TIMEOUT_SECONDS,
    "limitmb": WRITER_MEMORY_MB,
    # A segment as separate files, not one compound file: whoosh opens a compound file's
    # parts by copying them into memory, 100 ms and more for a large segment, and every
    # searcher opens every segment (measured: `bench/search.py`, edit to searchable).
    "compound": False,
}


# What a damaged index raises when opened (a broken table of contents, a missing or
# truncated segment file).
DAMAGE = (
    EmptyIndexError,
    WhooshIndexError,
    FileNotFoundError,
    EOFError,
    pickle.UnpicklingError,
    struct.error,
    ValueError,
    KeyError,
)


EMPTY_STORE = "#empty"  # how a fingerprint of a store without events ends


class IndexMovedOn(RuntimeError):
    """The index is not at the position a batch follows: another writer ran."""


class SearchUnavailable(RuntimeError):
    """There is no index yet: the indexer is building it."""


class SearchIndex:
    """The index in `directory`, following the store named `store` (a fingerprint of the
    event store, so an index copied from or left by another store is never trusted).

    Any process may read it; only the process holding the indexer's lock may call the
    view methods (`forget`, `apply`, `reset`), and `forget`, which starts every catch-up
    and every follow, is where an untrustworthy index is replaced by an empty one.
    """

    def __init__(
        self,
        directory: Path,
        store: Callable[[], str],
        last_position: Callable[[], int],
        processes: int = 1,
    ) -> None:
        self.directory = directory
        # More than 1: large batches are analysed by that many forked processes. Only for
        # a process without other threads at work (`wikiengine rebuild`), as forking
        # a threaded server is not safe.
        self.processes = processes
        # Parallel, each batch adds a segment per process: larger batches, fewer segments.
        self.catch_up_batch_size = 40_000 if processes > 1 else 5_000
        # A commit costs ~10 ms whatever its size: while edits pour in, gather them.
        self.follow_interval = FOLLOW_INTERVAL
        self.fingerprint = store  # names the event store (asked again while it is empty)
        self.store = store()
        self.last_position = last_position  # the store's newest event
        self.postings = PostingsCache()  # shared by the searches of all requests
        self._pages: OrderedDict[str, PageDocument] = OrderedDict()
        self._index: FileIndex | None = None
        self._local = threading.local()  # each thread's searcher
        self._searchers: weakref.WeakSet[Searcher] = weakref.WeakSet()
        self._searchers_lock = threading.Lock()

    # ------------------------------------------------------------------ opening

    def _opened(self) -> FileIndex | None:
        """The index, or None while there is none (or none that can be read)."""
        if self._index is None:
            try:
                self._index = whoosh_index.open_dir(str(self.directory))
            except DAMAGE:  # missing (EmptyIndexError) or damaged: the indexer rebuilds
                return None
        return self._index

    def _problem(self) -> str | None:
        if not any(self.directory.glob("*.toc")):  # whoosh's tables of contents
            return "there is no index"
        try:
            found = whoosh_index.open_dir(str(self.directory))
            with found.searcher() as searcher:
                tracking = searcher.document(id=TRACKING_ID) or {}
        except DAMAGE as error:  # not a passing trouble (out of memory, file handles): those raise
            return f"it cannot be read ({type(error).__name__}: {error})"
        if tracking.get("schema") != SCHEMA_VERSION:
            return "it was built by another version of the wiki"
        if self.store.endswith(EMPTY_STORE):
            self.store = self.fingerprint()
        if not _same_store(str(tracking.get("store")), self.store):
            return "it was built from another event store"
        if int(tracking.get("position", 0)) > self.last_position():
            return "it is ahead of the event store (was the store replaced?)"
        return None

    def _create(self) -> FileIndex:
        self._close_searchers()
        shutil.rmtree(self.directory, ignore_errors=True)
        self.directory.mkdir(parents=True)
        created = whoosh_index.create_in(str(self.directory), make_schema())
        writer = created.writer(**WRITER_OPTIONS)
        writer.add_document(**self._tracking(0))
        writer.commit()
        self._index = created
        return created

    def reset(self) -> None:
        """Empty the index: the next catch-up rebuilds it from the start of the log.

        A readable index is emptied by a commit, so that processes reading it see one
        commit after another (never a missing directory) with generations still rising.
        """
        self._pages.clear()
        opened = self._opened()
        if opened is None or self._problem() is not None:
            self._create()
            return
        writer = opened.writer(**WRITER_OPTIONS)
        writer.add_document(**self._tracking(0))
        writer.commit(mergetype=CLEAR)

    def _tracking(self, position: int) -> dict[str, Any]:
        return {
            "id": TRACKING_ID,
            "position": position,
            "store": self.store,
            "schema": SCHEMA_VERSION,
        }

    def close(self) -> None:
        self._close_searchers()
        if self._index is not None:
            self._index.close()

    def _close_searchers(self) -> None:
        with self._searchers_lock:
            searchers = list(self._searchers)
            self._searchers.clear()
        for searcher in searchers:
            searcher.close()

    # ------------------------------------------------------------------ reading

    def searcher(self) -> Searcher:
        """A searcher on the latest commit, for one request (or one batch).

        Opening a searcher opens every segment's files, which costs more than most
        searches. So each thread keeps its searcher while the index is unchanged, and
        opens a new one after a commit. (Not `Searcher.refresh`: whoosh-reloaded 2.7.5's
        reuses a segment's reader with the deletions it had, so a replaced document stays
        visible. And threads never share one: a searcher reads its files by seek and read.)
        """
        opened = self._opened()
        if opened is None:
            raise SearchUnavailable("The search index is being built; try again shortly.")
        directory = self.directory.stat().st_ino  # a new index (after damage) is a new one
        kept: tuple[Searcher, int] | None = getattr(self._local, "searcher", None)
        if kept is not None:
            searcher, inode = kept
            if (
                not searcher.is_closed
                and inode == directory
                and searcher.reader().generation() == opened.latest_generation()
            ):
                return searcher
            if not searcher.is_closed:
                searcher.close()
        fresh = self._fresh_searcher(opened)
        self._local.searcher = (fresh, directory)
        with self._searchers_lock:
            self._searchers.add(fresh)
        return fresh

    def _fresh_searcher(self, opened: FileIndex) -> Searcher:
        """A searcher whose files are all open. whoosh opens some of a segment's files on
        first use (stored fields, field lengths, columns), and a commit deletes the files
        of the segments it merged away: so open them now, and if a commit came meanwhile,
        start again on the newer one (until then, no file of this searcher is deleted)."""
        for _attempt in range(OPEN_ATTEMPTS):
            searcher = opened.searcher()
            try:
                for leaf, _offset in searcher.leaf_searchers():
                    reader = leaf.reader()
                    if reader.doc_count_all():
                        reader.stored_fields(0)
                        for field in ("title", "body"):
                            reader.doc_field_length(0, field)
                        if reader.has_column("modified"):  # not in a segment without pages
                            reader.column_reader("modified", translate=False)
            except (OSError, TypeError, *DAMAGE):
                searcher.close()
                continue
            generation = searcher.reader().generation()  # None: no segment, nothing opened
            if generation is None or generation == opened.latest_generation():
                return searcher
            searcher.close()
        raise SearchUnavailable("The search index changes too fast to open; try again.")

    def search(self, request: SearchRequest) -> SearchResults:
        """Run a search. A searcher that fails (closed by a rebuild after damage, files
        gone with it) is dropped and the search tried once more on a new one."""
        failures = (OSError, TypeError, ReaderClosed, *DAMAGE)
        try:
            return run(self.searcher(), self.postings, request)
        except failures:
            self._local.searcher = None
        try:
            return run(self.searcher(), self.postings, request)
        except failures as error:
            self._local.searcher = None
            raise SearchUnavailable("The search index is being rebuilt.") from error

    def position(self) -> int:
        """The log position of the last event the index includes (0: no index yet)."""
        if self._opened() is None:
            return 0
        return _position(self.searcher())

    # ------------------------------------------------------------------ the view protocol

    def apply(self, events: Sequence[tuple[Any, int]], after: int, up_to: int) -> bool:
        """Apply decoded events, (event, position) in log order, following `after`, in
        one commit that also moves the index to `up_to`. Raises `IndexMovedOn`,
        changing nothing, unless the index is at `after`."""
        opened = self._opened() or self._create()
        options: dict[str, Any] = dict(WRITER_OPTIONS)
        if self.processes > 1 and len(events) >= PARALLEL_MIN_EVENTS:
            # Each process's segment joins the index as it is (merging them into one
            # would redo in this process the work the others did).
            options.update(procs=self.processes, multisegment=True)
        writer = opened.writer(**options)
        try:
            searcher = writer.searcher()
            try:
                found = _position(searcher)
                if found != after:
                    raise IndexMovedOn(f"The index is at {found}, not at {after}")
                batch = IndexBatch(searcher, self._pages)
                for event, position in events:
                    batch.apply(event, position)
            finally:
                searcher.close()
            batch.write(writer)
            if self.store.endswith(EMPTY_STORE):  # the first events: name the store now
                self.store = self.fingerprint()
            writer.update_document(**self._tracking(up_to))
        except BaseException:
            _cancel(writer)
            self._pages.clear()  # it may hold states the cancelled commit undid
            raise
        writer.commit()
        if isinstance(writer, MpWriter):
            self._check_parallel_commit(list(batch.touched), up_to)
        return False

    def _check_parallel_commit(self, page_ids: list[str], up_to: int) -> None:
        """whoosh's parallel writer commits even when one of its processes died (it waits
        a second for each result and goes on without). So after a parallel commit, look
        that every page it wrote is there; else empty the index, which the next attempt
        rebuilds, rather than keep a position that claims pages it lacks."""
        searcher = self.searcher()
        missing = [
            page_id
            for page_id in page_ids
            if searcher.document_number(id=PAGE_PREFIX + page_id) is None
        ]
        if missing or _position(searcher) != up_to:
            self.reset()
            raise RuntimeError(
                f"Parallel indexing lost {len(missing)} of {len(page_ids)} pages;"
                " the search index was emptied and is rebuilt on the next attempt"
            )

    def forget(self) -> None:
        self._pages.clear()
        problem = self._problem()
        if problem is not None:
            if self.directory.exists():
                log.warning("The search index in %s is rebuilt: %s", self.directory, problem)
            self._create()

    def settle(self) -> None:
        """Nothing is deferred: every batch is indexed in full."""

    def caught_up(self) -> None:
        """After a catch-up that left many segments (a parallel rebuild leaves one per
        process and batch), merge them into one. It takes about as long as indexing did,
        but every search works per segment, and one segment makes searches several times
        faster (`bench/search.py`). Live commits then add small segments, which whoosh
        merges among themselves."""
        opened = self._opened()
        if opened is None or len(self.searcher().leaf_searchers()) <= MAX_SEGMENTS:
            return
        writer = opened.writer(**WRITER_OPTIONS)
        writer.commit(optimize=True)


def _cancel(writer: SegmentWriter) -> None:
    """Cancel a writer. A parallel writer's processes wait for work that will not come
    (its `cancel` does not reach them): stop them too."""
    writer.cancel()
    for task in getattr(writer, "tasks", ()):
        if task.is_alive():
            task.terminate()
        task.join(timeout=10)


def _same_store(indexed: str, current: str) -> bool:
    """Whether an index stamped `indexed` follows the store now named `current`. A stamp
    made while the store was empty names only its address: all it holds came later."""
    where, _, origin = indexed.partition("#")
    return indexed == current or ("#" + origin == EMPTY_STORE and current.startswith(where + "#"))


def _position(searcher: Searcher) -> int:
    found = searcher.document(id=TRACKING_ID)
    return int(found["position"]) if found else 0
