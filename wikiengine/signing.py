"""Ed25519 signatures over RFC 8785 canonical JSON: the one signer and its check.

The signed message is `DOMAIN_TAG + b"\\x00" + rfc8785(payload)`; the tag keeps a
signature over a wiki event from ever being valid for any other protocol. The digest
that links events into per-aggregate hash chains is the SHA-256 of that same message.
"""

import base64
import functools
import hashlib
import json
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import rfc8785
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)

DOMAIN_TAG = b"innovationswiki-event-v1"
MAX_SAFE_INTEGER = 2**53 - 1  # beyond this RFC 8785 (and JavaScript) cannot be exact
ALGORITHM = "Ed25519"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def signed_message(payload: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and hashed for `payload`."""
    return DOMAIN_TAG + b"\x00" + canonical_json(payload)


def canonical_json(value: Any) -> bytes:
    """RFC 8785 canonical JSON of `value`.

    `rfc8785` is the definition. For plain values (text, bools, null, integers within
    +-2**53, lists, objects with ASCII keys) the standard library's sorted, compact JSON
    is the same byte string and several times faster, which matters because a verifier
    does this for every event; any other value, and text that is not valid Unicode, goes
    to `rfc8785` itself. `tests/test_signing.py` compares the two on generated payloads.
    """
    if _is_plain(value):
        try:
            return json.dumps(
                value, ensure_ascii=False, sort_keys=True, separators=(",", ":")
            ).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: let rfc8785 refuse it properly
            pass
    return rfc8785.dumps(value)


def _is_plain(value: Any) -> bool:
    # A loop, not recursion: this runs for every event a verifier reads.
    pending = [value]
    while pending:
        item = pending.pop()
        kind = type(item)
        if kind is str or kind is bool or item is None:
            continue
        if kind is int:
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                return False
        elif kind is dict:
            if not all(type(key) is str and key.isascii() for key in item):
                return False
            pending.extend(item.values())
        elif kind is list:
            pending.extend(item)
        else:
            return False
    return True


def payload_digest(payload: dict[str, Any]) -> str:
    """Hex SHA-256 of the signed message: the link the next event's `parent` names."""
    return hashlib.sha256(signed_message(payload)).hexdigest()


def key_id(public_key: bytes) -> str:
    """A short, stable name for a public key: base64url of the first 12 bytes of its SHA-256."""
    return b64url(hashlib.sha256(public_key).digest()[:12])


def raw_public_key(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


@dataclass(frozen=True)
class PublicKey:
    """A published verification key, as auditors receive it."""

    kid: str
    public_key: bytes

    @classmethod
    def from_b64(cls, kid: str, public_key_b64: str) -> "PublicKey":
        return cls(kid=kid, public_key=b64url_decode(public_key_b64))

    @property
    def public_key_b64(self) -> str:
        return b64url(self.public_key)

    def verifies(self, message: bytes, signature: str) -> bool:
        """True when `signature` is this key's signature of the signed `message`."""
        try:
            _ed25519_key(self.public_key).verify(b64url_decode(signature), message)
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True


@functools.lru_cache(maxsize=64)
def _ed25519_key(public_key: bytes) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(public_key)


class Signer:
    """The server's private signing key. It attests: this verified author made this change.

    `predecessors` are the public keys this key replaced (oldest first), kept in the key
    file so that a check of the live store can pin the wiki's first key (the replaced
    private keys are not kept: `docs/operating.md`, Keys).
    """

    def __init__(
        self, private_key: Ed25519PrivateKey, predecessors: Sequence[PublicKey] = ()
    ) -> None:
        self._private_key = private_key
        public = raw_public_key(private_key.public_key())
        self.public = PublicKey(kid=key_id(public), public_key=public)
        self.predecessors = tuple(predecessors)

    @property
    def kid(self) -> str:
        return self.public.kid

    @property
    def lineage(self) -> tuple[PublicKey, ...]:
        """Every key this key file vouches for: the keys it replaced, then its own."""
        return (*self.predecessors, self.public)

    def sign(self, payload: dict[str, Any]) -> str:
        """Base64url Ed25519 signature of the canonical message for `payload`."""
        return b64url(self._private_key.sign(signed_message(payload)))

    @classmethod
    def generate(cls) -> "Signer":
        return cls(Ed25519PrivateKey.generate())

    def successor(self) -> "Signer":
        """A new key that replaces this one (key rotation)."""
        return Signer(Ed25519PrivateKey.generate(), self.lineage)

    @classmethod
    def load(cls, path: Path) -> "Signer":
        """The key in a key file: one private key block, then the public keys it replaced."""
        private: list[bytes] = []
        predecessors = []
        for label, block in _pem_blocks(path.read_bytes()):
            if label.endswith(b"PRIVATE KEY"):
                private.append(block)
            elif label == b"PUBLIC KEY":
                public = serialization.load_pem_public_key(block)
                if not isinstance(public, Ed25519PublicKey):
                    raise ValueError(f"{path} lists a public key that is not Ed25519")
                raw = raw_public_key(public)
                predecessors.append(PublicKey(kid=key_id(raw), public_key=raw))
        if len(private) != 1:
            raise ValueError(f"{path} must hold exactly one private key")
        key = serialization.load_pem_private_key(private[0], password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} does not hold an Ed25519 private key")
        return cls(key, predecessors)

    def pem(self) -> bytes:
        """The key file's content: the private key (PKCS#8 PEM), then each replaced
        public key (SubjectPublicKeyInfo PEM), oldest first."""
        blocks = [
            self._private_key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        ]
        for key in self.predecessors:
            blocks.append(
                _ed25519_key(key.public_key).public_bytes(
                    serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
        return b"".join(blocks)

    def save_new(self, path: Path) -> "Signer":
        """Write this key to `path` (mode 0600) unless a key is there already; return the
        key that is in force at `path` afterwards.

        The key is written to a temporary file and linked into place, so a concurrent
        starter never reads a half-written key, and of two starters exactly one key wins.
        """
        temporary = self._write_temporary(path, f".{path.name}.{os.getpid()}.tmp")
        try:
            os.link(temporary, path)
        except FileExistsError:
            return Signer.load(path)
        finally:
            temporary.unlink()
        return self

    def write_beside(self, path: Path, name: str) -> Path:
        """Write this key to a new file `name` (mode 0600) in `path`'s directory, for
        `replace` to move into place; returns the file."""
        return self._write_temporary(path, name)

    @staticmethod
    def replace(path: Path, written: Path) -> None:
        """Move a key file made by `write_beside` over `path` in one step: a process that
        starts meanwhile reads the old key or the new one, never half of either."""
        written.replace(path)
        _sync_directory(path.parent)

    def _write_temporary(self, path: Path, name: str) -> Path:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        temporary = path.with_name(name)
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as file:
            file.write(self.pem())
            file.flush()
            os.fsync(file.fileno())
        return temporary


_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.*?-----END \1-----", re.DOTALL)


def _pem_blocks(data: bytes) -> list[tuple[bytes, bytes]]:
    """(label, block) of each PEM block in `data`, in order."""
    return [(found.group(1), found.group(0) + b"\n") for found in _PEM_BLOCK.finditer(data)]


def _sync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (a crash must not bring the old key back)."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
