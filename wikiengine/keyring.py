"""The keyring: an aggregate whose events publish the public keys signatures verify against.

The first key publishes itself (a self-signed event); later keys are published in an
event signed by a key already in the ring (`wikiengine keys rotate`), so an auditor who
pins the first key can follow every rotation. Keys are kept in the order they were
published; the last one is the key the wiki signs with.
"""

from typing import TYPE_CHECKING, Any
from uuid import NAMESPACE_URL, uuid5

from wikiengine.signed import SignedAggregate, SignedCreated, SignedEvent

KEYRING_ID = uuid5(NAMESPACE_URL, "/innovationswiki/keyring")


class Keyring(SignedAggregate):
    if TYPE_CHECKING:  # state is set by events; class annotations would make a dataclass
        keys: dict[str, dict[str, str]]  # kid -> {"public_key", "not_before"}, oldest first

    class Started(SignedCreated):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.keys = {data["new_kid"]: _entry(data)}

    class KeyPublished(SignedEvent):
        def apply_data(self, aggregate: Any, data: dict[str, Any]) -> None:
            aggregate.keys = {**aggregate.keys, data["new_kid"]: _entry(data)}


def _entry(data: dict[str, Any]) -> dict[str, str]:
    return {"public_key": data["public_key"], "not_before": data["not_before"]}


EVENT_TYPES: dict[type, str] = {
    Keyring.Started: "key.published",
    Keyring.KeyPublished: "key.published",
}


def current_kid(keys: dict[str, dict[str, str]]) -> str:
    """The kid published last in `keys` (a keyring's keys, in publication order)."""
    return next(reversed(keys))


def keys_document(keys: dict[str, dict[str, str]]) -> dict[str, Any]:
    """The public keys as auditors pin them (`wikiengine keys show`, and served at
    `/.well-known/wiki-signing-keys.json`), oldest first: the first is the key the
    keyring started with, the last the one the wiki signs with now."""
    return {
        "keys": [
            {
                "kid": kid,
                "alg": "Ed25519",
                "public_key": entry["public_key"],
                "not_before": entry["not_before"],
            }
            for kid, entry in keys.items()
        ]
    }
