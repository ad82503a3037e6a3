"""The projector: keeps a view (the SQL read model, a node's search index) following the
wiki's event log.

`catch_up` applies everything recorded so far (rebuilds, tests, the CLI). `start` runs a
supervised background thread: it waits for the view's lock, subscribes from the view's
position, and applies batches as they arrive; when anything fails (a dropped LISTEN
connection, a database restart) it logs, backs off and subscribes again.
"""

import gc
import logging
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from typing import Any, Generic, Protocol, TypeVar

from eventsourcing.persistence import Notification

from wikiengine.application import Wiki

log = logging.getLogger(__name__)

BATCH_SIZE = 500  # live: what the subscription has fetched, at most this
CATCH_UP_BATCH_SIZE = 5_000  # catching up: fewer, larger transactions (a page written once)
LOCK_RETRY_SECONDS = 2.0
FIRST_BACKOFF_SECONDS = 0.2
MAX_BACKOFF_SECONDS = 30.0


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: a catch-up makes millions of short-lived
    objects (states, blame lines) and no cycles, so full collections are pure cost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class View(Protocol):
    """What a projector drives: a projection that keeps its own position in the log."""

    def position(self) -> int:
        """The log position of the last event the view includes (0: none)."""

    def apply(self, events: Sequence[tuple[Any, int]], after: int, up_to: int) -> bool:
        """Apply decoded (event, position) pairs following position `after`, moving the
        view to `up_to` atomically; refuse (raising) unless the view is at `after`.
        True when the view deferred work that `settle` does."""

    def forget(self) -> None:
        """Drop what the view remembers between batches: another writer may have run."""

    def settle(self) -> None:
        """Do work deferred by `apply` (for the SQL views: render stale pages)."""

    def caught_up(self) -> None:
        """Called after a catch-up that applied events (refresh statistics and the like)."""

    def reset(self) -> None:
        """Empty the view and forget its position: the next catch-up rebuilds it."""

    def close(self) -> None:
        """Release what the view holds open."""


V = TypeVar("V", bound=View)


class ProjectorLock(Protocol):
    def try_acquire(self) -> bool:
        """Take the lock if nobody holds it; True when this process holds it."""

    def holds(self) -> bool:
        """Whether this process (still) holds the lock."""

    def release(self) -> None: ...


class Projector(Generic[V]):
    def __init__(self, wiki: Wiki, view: V, lock: ProjectorLock, name: str = "projector") -> None:
        self.wiki = wiki
        self.view = view
        self.lock = lock
        self.name = name
        self.restarts = 0  # how often the supervisor had to start following again
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._subscription: Any = None
        self._maybe_stale = True

    # ------------------------------------------------------------------ catching up

    def catch_up(
        self,
        on_progress: Callable[[int], object] | None = None,
        until: threading.Event | None = None,
    ) -> int:
        """Apply every event recorded so far, then settle what the catch-up deferred.

        Returns how many events were read. The caller should hold the projector lock.

        With `until` (the follower's own catch-up, in a server) it stops between batches
        once `until` is set or the lock is lost, leaving the settling to the next time,
        and leaves the garbage collector alone (a server makes cycles while it runs).
        """
        read = 0
        self.view.forget()  # another projector may have written since
        with _collector_paused() if until is None else nullcontext():
            while True:
                notifications = self.wiki.recorder.select_notifications(
                    start=self.view.position(),
                    limit=getattr(self.view, "catch_up_batch_size", CATCH_UP_BATCH_SIZE),
                    inclusive_of_start=False,
                )
                if not notifications:
                    break
                if until is not None and (until.is_set() or not self.lock.holds()):
                    return read
                self._apply(self.view.position(), notifications)
                read += len(notifications)
                if on_progress is not None:
                    on_progress(len(notifications))
            self.view.settle()
        self._maybe_stale = False
        if read:
            self.view.caught_up()
        return read

    def backlog(self) -> int:
        """How many events the read model has yet to apply."""
        last = self.wiki.recorder.max_notification_id() or 0
        return max(0, last - self.view.position())

    def _apply(self, after: int, notifications: Sequence[Notification]) -> None:
        """Apply the notifications that follow position `after`."""
        events = []
        for notification in notifications:
            try:
                events.append((self.wiki.mapper.to_domain_event(notification), notification.id))
            except Exception:
                # A damaged row must not stop the wiki; `wikiengine verify` reports it.
                log.exception(
                    "The event at position %d cannot be decoded; the read model skips it",
                    notification.id,
                )
        if self.view.apply(events, after, notifications[-1].id):
            self._maybe_stale = True

    # ------------------------------------------------------------------ following

    def start(self) -> None:
        """Follow the log in a background thread until `stop`."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._supervise, name=self.name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        subscription = self._subscription
        if subscription is not None:
            subscription.stop()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _supervise(self) -> None:
        delay = FIRST_BACKOFF_SECONDS
        try:
            while not self._stopping.is_set():
                try:
                    if not self.lock.try_acquire():
                        self._stopping.wait(LOCK_RETRY_SECONDS)
                        continue
                    self._follow()
                    delay = FIRST_BACKOFF_SECONDS
                except Exception:
                    self.restarts += 1
                    log.exception("The projector failed; following again in %.1f s", delay)
                    self._stopping.wait(delay)
                    delay = min(delay * 2, MAX_BACKOFF_SECONDS)
        finally:
            self.lock.release()

    def _follow(self) -> None:
        """Apply batches as they come, for as long as this process holds the lock. A long
        backlog (a new node, a long stop) is caught up first, in large batches."""
        self.view.forget()  # another projector may have written since
        if self.backlog() > BATCH_SIZE:
            self.catch_up(until=self._stopping)
            if self._stopping.is_set() or not self.lock.holds():
                return
        position = self.view.position()
        subscription: Any = self.wiki.recorder.subscribe(gt=position)
        self._subscription = subscription
        with subscription:
            if self._stopping.is_set():
                return
            while True:
                try:
                    batch = subscription.next_batch(BATCH_SIZE)
                except StopIteration:
                    if self._stopping.is_set():
                        return
                    raise RuntimeError("the subscription stopped by itself") from None
                if not self.lock.holds():
                    log.warning("The projector lost its lock; another process projects now")
                    return
                self._apply(position, batch)
                position = batch[-1].id
                if self._maybe_stale and len(batch) < BATCH_SIZE:
                    self.view.settle()
                    self._maybe_stale = False
                # A view whose every batch has a fixed cost (the search index's commit)
                # lets events gather between batches instead of applying each at once.
                if self._stopping.wait(getattr(self.view, "follow_interval", 0.0)):
                    return

    # ------------------------------------------------------------------ read your writes

    def wait(self, notification_id: int | None, timeout: float = 5.0) -> None:
        """Block until the read model includes `notification_id` (a command's result).

        Works whichever process projects: it watches the read model's position.
        Raises TimeoutError when the views have not caught up in time.
        """
        if notification_id is None:
            return
        deadline = time.monotonic() + timeout
        pause = 0.002
        while self.view.position() < notification_id:
            if time.monotonic() > deadline:
                raise TimeoutError(
                    f"The {self.name}'s view has not reached position {notification_id}"
                    f" in {timeout} s"
                )
            time.sleep(pause)
            pause = min(pause * 2, 0.05)
