"""Following the event log: subscriptions that wake up when new events are recorded.

eventsourcing 9.5 subscribes through PostgreSQL's LISTEN/NOTIFY and has no subscription
for SQLite. Here a SQLite subscription polls (cheap: one indexed select), and the
PostgreSQL one also polls slowly, as a safety net for a missed notification. Both hand
out everything already fetched as one batch, so a projection can apply many events in
one transaction while catching up and one at a time when live.
"""

import queue
import threading
import weakref
from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import (
    ApplicationRecorder,
    ListenNotifySubscription,
    Notification,
    ShutDown,
    Subscription,
)
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresSubscription
from eventsourcing.sqlite import SQLiteApplicationRecorder

SQLITE_POLL_SECONDS = 0.05
POSTGRES_SAFETY_POLL_SECONDS = 5.0


class _BatchesAndPolls(ListenNotifySubscription[Any]):
    """Adds a ticker that wakes the puller every `poll_seconds`, and `next_batch`."""

    poll_seconds = 1.0

    def __init__(self, recorder: Any, gt: int | None = None, topics: Sequence[str] = ()) -> None:
        self._ticker_stop = threading.Event()
        super().__init__(recorder=recorder, gt=gt, topics=topics)
        self._ticker = threading.Thread(target=self._tick, name="subscription-poll", daemon=True)
        self._ticker.start()

    def _tick(self) -> None:
        while not self._ticker_stop.wait(self.poll_seconds):
            self._has_been_notified.set()

    def stop(self) -> None:
        self._ticker_stop.set()
        super().stop()

    def __exit__(self, *args: object, **kwargs: Any) -> None:
        try:
            super().__exit__(*args, **kwargs)
        finally:
            self._ticker.join()

    def next_batch(self, limit: int) -> list[Notification]:
        """Block for the next notification; return it with up to `limit - 1` more that
        have already been fetched. Raises StopIteration when the subscription stops."""
        batch = [next(self)]
        while len(batch) < limit:
            if self._notifications_index < len(self._notifications):
                end = self._notifications_index + limit - len(batch)
                taken = self._notifications[self._notifications_index : end]
                self._notifications_index += len(taken)
                batch.extend(taken)
                continue
            try:
                self._notifications = self._notifications_queue.get_nowait()
            except (queue.Empty, ShutDown):
                break
            self._notifications_queue.task_done()
            self._notifications_index = 0
        return batch


class PollingSQLiteSubscription(_BatchesAndPolls):
    poll_seconds = SQLITE_POLL_SECONDS

    def wake(self) -> None:
        """Look for new events now, not at the next poll."""
        self._has_been_notified.set()


class SafetyPolledPostgresSubscription(_BatchesAndPolls, PostgresSubscription):
    poll_seconds = POSTGRES_SAFETY_POLL_SECONDS


class SubscribableSQLiteApplicationRecorder(SQLiteApplicationRecorder):
    """The SQLite recorder, with a (polling) subscription.

    A subscription in the process that saves is woken at once after each save (as
    PostgreSQL's NOTIFY would), so read-your-writes does not wait for the next poll;
    other processes' saves are found by polling.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._followers: weakref.WeakSet[PollingSQLiteSubscription] = weakref.WeakSet()

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        subscription = PollingSQLiteSubscription(recorder=self, gt=gt, topics=topics)
        self._followers.add(subscription)
        return subscription

    def insert_events(self, stored_events: Sequence[Any], **kwargs: Any) -> Sequence[int] | None:
        positions = super().insert_events(stored_events, **kwargs)
        for follower in list(self._followers):
            follower.wake()
        return positions


class SafetyPolledPostgresApplicationRecorder(PostgresApplicationRecorder):
    """The PostgreSQL recorder, whose subscription also polls now and then."""

    def subscribe(
        self, gt: int | None = None, topics: Sequence[str] = ()
    ) -> Subscription[ApplicationRecorder]:
        return SafetyPolledPostgresSubscription(recorder=self, gt=gt, topics=topics)


RECORDER_TOPICS = {
    "eventsourcing.sqlite": f"{__name__}:{SubscribableSQLiteApplicationRecorder.__name__}",
    "eventsourcing.postgres": f"{__name__}:{SafetyPolledPostgresApplicationRecorder.__name__}",
}
