"""A node's search indexer: the search index in the data directory, driven by a projector.

Every node (every data directory) keeps its own index; a lock file beside it lets one
process per data directory write it while all of them read it.
"""

import hashlib
import os
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from search.index import EMPTY_STORE, SearchIndex
from wikiengine.application import Wiki
from wikiengine.config import Settings
from wikiengine.filelock import FileLock
from wikiengine.projector import Projector

SearchProjector = Projector[SearchIndex]


def index_directory(settings: Settings) -> Path:
    return settings.data_dir / "search"


REBUILD_PROCESSES = min(4, os.cpu_count() or 1)  # for `wikiengine rebuild search`


def open_search_projector(settings: Settings, wiki: Wiki, *, processes: int = 1) -> SearchProjector:
    """The indexer of this data directory's search index. The indexer replaces an index
    that is missing, unreadable, built from another store or ahead of this one by an
    empty one, and fills it from the log. `processes`: see `SearchIndex`."""
    directory = index_directory(settings)
    directory.parent.mkdir(parents=True, exist_ok=True)
    index = SearchIndex(
        directory,
        lambda: store_fingerprint(settings.database_url, wiki),
        last_position=lambda: wiki.recorder.max_notification_id() or 0,
        processes=processes,
    )
    lock = FileLock(directory.parent / "search.lock")
    return Projector(wiki, index, lock, name="search-indexer")


def store_fingerprint(database_url: str, wiki: Wiki) -> str:
    """Names the event store: its URL without credentials and its first event (whose
    signature no other store shares), so an index is never trusted for another store."""
    parts = urlsplit(database_url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    where = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
    first = wiki.recorder.select_notifications(start=None, limit=1)
    if not first:
        return where + EMPTY_STORE
    return f"{where}#{hashlib.sha256(first[0].state).hexdigest()[:32]}"
