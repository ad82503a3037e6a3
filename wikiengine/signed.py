"""Base classes for aggregates whose every event carries a signed payload.

An event stores exactly what was signed (`payload`), the `signature`, and, for events
that carry page text, the `body` whose SHA-256 the payload names. Applying an event
keeps its payload, whose digest (`head`) is the next event must name as its `parent`.
The event's library timestamp is set from the signed `signed_at`, so aggregate methods
never read a clock.
"""

from typing import TYPE_CHECKING, Any

from eventsourcing.domain import Aggregate, AggregateCreated, AggregateEvent, DomainEvent

from wikiengine.attribution import parse_signed_at
from wikiengine.signing import payload_digest


class SignedEvent(AggregateEvent):
    payload: dict[str, Any]
    signature: str

    def apply(self, aggregate: Any) -> None:
        # Keep the payload, not its digest: hashing is only needed to sign the next
        # event, not on every replay.
        aggregate.last_payload = self.payload
        self.apply_data(aggregate, self.payload["data"])

    def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
        """Evolve `aggregate` from this event's signed data (override per event type)."""


class SignedCreated(SignedEvent, AggregateCreated):
    """The first event of a signed aggregate."""


class SignedBodyEvent(SignedEvent):
    """An event that carries page text outside the payload (so it can be redacted)."""

    body: str


class SignedBodyCreated(SignedBodyEvent, AggregateCreated):
    pass


class SignedAggregate(Aggregate):
    """An aggregate whose state includes the head of its hash chain."""

    if TYPE_CHECKING:  # class annotations would turn the aggregate into a dataclass
        last_payload: dict[str, Any]

    @property
    def head(self) -> str:
        """Digest of the last event: what the next event names as its `parent`."""
        return payload_digest(self.last_payload)

    @property
    def next_version(self) -> int:
        return self.version + 1

    def record(self, event_class: type[SignedEvent], **fields: Any) -> None:
        """Trigger `event_class`, stamping it with the time that was signed."""
        payload = fields["payload"]
        self.trigger_event(event_class, timestamp=parse_signed_at(payload["signed_at"]), **fields)

    @classmethod
    def start(cls, event_class: type[AggregateCreated], **fields: Any) -> Any:
        payload = fields["payload"]
        return cls._create(
            event_class,
            id=fields.pop("id"),
            timestamp=parse_signed_at(payload["signed_at"]),
            **fields,
        )


class SignedLogEvent(DomainEvent):
    """An entry of an event-sourced log (the page log); signed like every other event."""

    payload: dict[str, Any]
    signature: str
