"""Pages as anonymous readers see them, kept per process until the wiki changes.

Most requests are readers who are not logged in, asking for the same current pages. The
answer depends only on the address, the language and the read model, so it is kept with
the read model's position and served again while that position holds; any change to the
wiki moves the position and the page is rendered afresh. Logged-in people (their name is
in the header) are never served from here (`web.views.for_readers` decides).
"""

import threading
from collections import OrderedDict
from dataclasses import dataclass

MAX_PAGES = 500  # a few tens of MB at most
KEPT_HEADERS = ("content-type", "location", "cache-control")


@dataclass(frozen=True)
class KeptPage:
    position: int
    status: int
    headers: dict[str, str]
    body: bytes


class PageCache:
    def __init__(self, size: int = MAX_PAGES) -> None:
        self.size = size
        self._pages: OrderedDict[tuple[str, str, str], KeptPage] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str], position: int) -> KeptPage | None:
        with self._lock:
            kept = self._pages.get(key)
            if kept is None or kept.position != position:
                return None
            self._pages.move_to_end(key)
            return kept

    def put(self, key: tuple[str, str, str], kept: KeptPage) -> None:
        with self._lock:
            self._pages[key] = kept
            self._pages.move_to_end(key)
            while len(self._pages) > self.size:
                self._pages.popitem(last=False)
