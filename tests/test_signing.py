"""Canonical JSON, signatures and digests."""

import random
from typing import Any

import pytest
import rfc8785

from wikiengine.signing import MAX_SAFE_INTEGER, Signer, canonical_json, key_id, payload_digest

TRICKY_TEXT = [
    "",
    "Innovation i Århus",
    "e\u0301 (NFD) and é (NFC)",
    '\x00\x01\x1f\x7f"\\/\b\f\n\r\t',
    "\u2028\u2029\ufeff\ufffe\uffff",
    "😀 𝄞 \U0010ffff",
    "</script><!--",
    "\ue000\uf8ff",
]
ASCII_KEYS = ["a", "B", "_", "aa", "a_b", "data", "v", "Z9", "type", "~", " ", "Ä".encode().hex()]


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return rng.choice(TRICKY_TEXT)
    alphabet = 'abcæøåÆØÅ \n\t"\\é😀\u0301\x05\u2028'
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 20)))


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kinds = ["text", "int", "bool", "null"] + (["list", "object"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "text":
        return random_text(rng)
    if kind == "int":
        return rng.choice(
            [0, -1, 1, 7, MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER, rng.randint(-1_000_000, 1_000_000)]
        )
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "null":
        return None
    if kind == "list":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    keys = ASCII_KEYS + ([random_text(rng)] if rng.random() < 0.3 else [])
    return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))}


def test_canonical_json_is_rfc8785_on_generated_payloads() -> None:
    rng = random.Random(8785)
    for _ in range(5_000):
        value = random_value(rng)
        assert canonical_json(value) == rfc8785.dumps(value), value


@pytest.mark.parametrize(
    "value",
    [
        {"ü": 1, "u": 2, "z": 3},  # non-ASCII keys: rfc8785 orders by UTF-16 units
        {"\U0001f600": 1, "\ue000": 2},  # where UTF-16 and code point order differ
        {"x": 1.5},
        {"x": 1.0},
        [MAX_SAFE_INTEGER, -MAX_SAFE_INTEGER],
    ],
)
def test_values_outside_the_plain_subset_are_still_rfc8785(value: Any) -> None:
    assert canonical_json(value) == rfc8785.dumps(value)


@pytest.mark.parametrize("value", [{"x": 2**53}, {"x": float("nan")}, {"x": "\ud800"}])
def test_values_rfc8785_refuses_are_refused(value: Any) -> None:
    with pytest.raises(Exception) as caught:
        rfc8785.dumps(value)
    with pytest.raises(type(caught.value)):
        canonical_json(value)


def test_signature_verifies_only_for_the_signed_payload() -> None:
    signer = Signer.generate()
    payload = {"type": "page.edited", "summary": "Rettet stavefejl i Århus-afsnittet"}
    signature = signer.sign(payload)
    message = b"innovationswiki-event-v1\x00" + rfc8785.dumps(payload)

    assert signer.public.verifies(message, signature)
    assert not signer.public.verifies(message.replace(b"Rettet", b"Rettede"), signature)
    assert not Signer.generate().public.verifies(message, signature)
    assert len(payload_digest(payload)) == 64
    assert signer.kid == key_id(signer.public.public_key)
