"""The verifier: checks a signed event log (an export, or the live store read as export lines).

It needs only the lines and the public keys it is told to trust. It reports, and never
stops at, every problem: a broken signature, an unknown or untrusted key, a broken hash
chain link or version gap, a body whose hash is wrong, a redaction no suppression
justifies, an edit by an author who was not verified or was blocked at the time, an
administrative act by someone who was not an administrator, a damaged line.
`docs/auditing.md` describes the same algorithm for people writing their own verifier.
"""

import collections
import hashlib
import itertools
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from wikiengine.attribution import OPERATOR_ID, parse_signed_at
from wikiengine.keyring import KEYRING_ID
from wikiengine.signing import PublicKey, b64url_decode, key_id, signed_message
from wikiengine.text import normalise_text, sha256_hex

BODY_TYPES = frozenset({"page.created", "page.edited", "page.reverted"})
# Changes to content: need a verified, unblocked author (and an administrator if protected).
CONTENT_TYPES = BODY_TYPES | {"page.renamed", "slug.assigned", "slug.reassigned", "page_log.logged"}
PAGE_CHANGE_TYPES = BODY_TYPES | {"page.renamed"}
ADMIN_TYPES = frozenset(
    {
        "author.identity_verified",
        "author.role_granted",
        "author.role_revoked",
        "author.blocked",
        "author.unblocked",
        "author.renamed",
        "page.protected",
        "page.unprotected",
        "page.deleted",
        "page.restored",
        "page.revision_suppressed",
    }
)
PAYLOAD_KEYS = frozenset(
    {
        "v",
        "type",
        "aggregate_id",
        "version",
        "parent",
        "author",
        "signed_at",
        "summary",
        "kid",
        "data",
    }
)


@dataclass(frozen=True)
class Seal:
    """What a line's payload hashes to, and whether its signature holds under `key`.

    Computing seals is the expensive part of verification (canonical JSON and Ed25519),
    and independent per line, so worker processes compute them in parallel.
    """

    digest: str | None
    message: bytes
    key: bytes | None  # the public key `valid` was checked against
    valid: bool | None
    error: str = ""
    body_verdict: str | None = None  # a worker's judge_body() of the line's text; "" if fine


BODY_PROBLEMS = {
    "malformed": "body is not text",
    "body_hash": "the text does not match its signed SHA-256",
    "body_not_normalised": "the text is not LF/NFC normalised",
}


def judge_body(body: Any, expected: Any) -> str | None:
    """The problem kind with a revision's text, or None when it matches its signed digest."""
    if not isinstance(body, str):
        return "malformed"
    if sha256_hex(body) != expected:
        return "body_hash"
    if normalise_text(body) != body:
        return "body_not_normalised"
    return None


def seal_of(payload: dict[str, Any], signature: Any, keys: Mapping[str, PublicKey]) -> Seal:
    """Canonicalise, hash and check the signature against the key its `kid` names in `keys`."""
    try:
        message = signed_message(payload)
    except (ValueError, TypeError, ArithmeticError) as error:  # e.g. an int beyond 2**53
        return Seal(None, b"", None, None, str(error))
    digest = hashlib.sha256(message).hexdigest()
    kid = payload.get("kid")  # unchecked here: worker processes seal lines before any check
    key = keys.get(kid) if isinstance(kid, str) else None
    if key is None:
        return Seal(digest, message, None, None)
    valid = isinstance(signature, str) and key.verifies(message, signature)
    return Seal(digest, message, key.public_key, valid)


@dataclass(frozen=True)
class Problem:
    position: int | None
    aggregate_id: str | None
    version: int | None
    kind: str
    message: str

    def __str__(self) -> str:
        where = f"position {self.position}" if self.position is not None else "log"
        if self.aggregate_id:
            where += f", {self.aggregate_id} v{self.version}"
        return f"[{self.kind}] {where}: {self.message}"

    def as_json(self) -> dict[str, Any]:
        return {
            "position": self.position,
            "aggregate_id": self.aggregate_id,
            "version": self.version,
            "kind": self.kind,
            "message": self.message,
        }


@dataclass
class Report:
    events_checked: int = 0
    problems: list[Problem] = field(default_factory=list)
    heads: dict[str, str] = field(default_factory=dict)  # aggregate id -> digest of last event

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _AuthorState:
    name: str
    verification: str | None = None
    roles: set[str] = field(default_factory=set)
    blocked: bool = False


@dataclass
class _Chain:
    version: int
    digest: str
    signed_at: str


class Verifier:
    """Feed it lines in log order with `check`, then read `finish()`'s report."""

    def __init__(self, trusted_keys: Iterable[PublicKey]) -> None:
        self.keys: dict[str, PublicKey] = {key.kid: key for key in trusted_keys}
        # Keys a rotation replaced: whatever they sign afterwards is refused, so a stolen
        # old key cannot write history (nor publish a key of its own) once rotated away.
        self._retired: set[str] = set()
        self.report = Report()
        self._chains: dict[str, _Chain] = {}
        self._authors: dict[str, _AuthorState] = {}
        self._protected: set[str] = set()
        self._redactions: dict[tuple[str, int], int] = {}  # (page, version) -> position
        self._suppressions: set[tuple[str, int]] = set()
        self._last_position = 0

    def problem(self, line: Mapping[str, Any], kind: str, message: str) -> None:
        self.report.problems.append(
            Problem(
                _int_or_none(line.get("position")),
                _str_or_none(line.get("aggregate_id")),
                _int_or_none(line.get("version")),
                kind,
                message,
            )
        )

    def check(self, line: Mapping[str, Any], precomputed: "Seal | None" = None) -> None:
        """Check one export line against everything seen before it.

        `precomputed` is the line's `Seal` when a worker process already computed it.
        """
        self.report.events_checked += 1
        if "damaged" in line:
            if line.get("position") is not None:
                self._check_position(line)
            self.problem(line, "damaged", f"the event cannot be read: {line['damaged']}")
            return
        self._check_position(line)
        payload = line.get("payload")
        if not _well_formed(line, payload):
            self.problem(line, "malformed", "the line or its payload lacks required fields")
            return
        assert isinstance(payload, dict)
        self._check_envelope(line, payload)
        seal = precomputed or seal_of(payload, line.get("signature"), self.keys)
        if seal.digest is None:
            self.problem(line, "malformed", f"the payload is not canonical JSON: {seal.error}")
            return
        signature_ok = self._check_signature(line, payload, seal)
        self._check_chain(line, payload, seal.digest)
        self._check_body(line, payload, seal.body_verdict if precomputed else None)
        if signature_ok:
            # Only authentic, authorised events may change who is allowed to do what: a
            # forged role grant must not make its subject an administrator from then on.
            problems_before = len(self.report.problems)
            self._check_authority(line, payload)
            if len(self.report.problems) == problems_before:
                self._apply(payload)

    def finish(self) -> Report:
        for (page, version), position in sorted(self._redactions.items(), key=lambda i: i[1]):
            if (page, version) not in self._suppressions:
                self.report.problems.append(
                    Problem(
                        position,
                        page,
                        version,
                        "unjustified_redaction",
                        "the text is redacted but no suppression event covers it",
                    )
                )
        self.report.heads = {key: chain.digest for key, chain in self._chains.items()}
        return self.report

    # -------------------------------------------------------------- the checks

    def _check_position(self, line: Mapping[str, Any]) -> None:
        position = line.get("position")
        if not isinstance(position, int) or isinstance(position, bool):
            self.problem(line, "malformed", "position is not an integer")
            return
        if position <= self._last_position:
            self.problem(
                line,
                "order",
                f"position {position} does not follow {self._last_position}: lines were reordered",
            )
        self._last_position = max(self._last_position, position)

    def _check_envelope(self, line: Mapping[str, Any], payload: dict[str, Any]) -> None:
        for key in ("type", "aggregate_id", "version", "kid"):
            if line.get(key) != payload.get(key):
                self.problem(
                    line,
                    "envelope",
                    f"{key} {line.get(key)!r} differs from the signed {payload.get(key)!r}",
                )

    def _check_signature(
        self, line: Mapping[str, Any], payload: dict[str, Any], seal: "Seal"
    ) -> bool:
        kid = payload["kid"]
        key = self.keys.get(kid)
        if payload["type"] == "key.published" and payload["version"] == 1 and key is None:
            key = self._self_published_key(payload)
        if key is None:
            self.problem(line, "unknown_key", f"signed with key {kid!r}, which is not trusted")
            return False
        if kid in self._retired:
            self.problem(line, "retired_key", f"signed with key {kid}, which a rotation replaced")
            return False
        valid = seal.valid if seal.key == key.public_key else None
        if valid is None:  # the seal was checked against another key (or none): check here
            signature = line.get("signature")
            message = seal.message or signed_message(payload)
            valid = isinstance(signature, str) and key.verifies(message, signature)
        if not valid:
            self.problem(line, "bad_signature", f"the signature does not verify with key {kid}")
        return valid

    def _self_published_key(self, payload: dict[str, Any]) -> PublicKey | None:
        """The first keyring event publishes its own key; trust it only if no key is trusted yet.

        Once a key is pinned or trusted, a later self-published key is a stranger's.
        """
        data = payload["data"]
        if (
            self.keys
            or payload["aggregate_id"] != str(KEYRING_ID)
            or data.get("new_kid") != payload["kid"]
        ):
            return None
        try:
            key = PublicKey.from_b64(payload["kid"], data["public_key"])
        except (KeyError, ValueError, TypeError):
            return None
        return key if key_id(key.public_key) == key.kid else None

    def _check_chain(self, line: Mapping[str, Any], payload: dict[str, Any], digest: str) -> None:
        aggregate = payload["aggregate_id"]
        version = payload["version"]
        previous = self._chains.get(aggregate)
        expected = 1 if previous is None else previous.version + 1
        if version != expected:
            self.problem(
                line,
                "chain_gap",
                f"version {version} follows version {expected - 1}: an event is missing or moved",
            )
        expected_parent = None if previous is None else previous.digest
        if version == expected and payload["parent"] != expected_parent:
            self.problem(line, "chain_broken", "parent does not match the previous event's digest")
        if previous is not None and payload["signed_at"] < previous.signed_at:
            self.problem(line, "time_order", "signed earlier than the event before it")
        try:
            parse_signed_at(payload["signed_at"])
        except (ValueError, TypeError):
            self.problem(line, "malformed", f"signed_at {payload['signed_at']!r} is not a UTC time")
        if previous is None or version > previous.version:
            self._chains[aggregate] = _Chain(version, digest, str(payload["signed_at"]))

    def _check_body(
        self, line: Mapping[str, Any], payload: dict[str, Any], body_verdict: str | None
    ) -> None:
        if payload["type"] not in BODY_TYPES:
            return
        expected = payload["data"].get("body_sha256")
        if "body" in line:
            # A worker's verdict is "" for a sound text; None means no worker judged it.
            verdict = body_verdict
            if verdict is None:
                verdict = judge_body(line["body"], expected)
            if verdict:
                self.problem(line, verdict, BODY_PROBLEMS[verdict])
        elif "redacted_body_sha256" in line:
            if line["redacted_body_sha256"] != expected:
                self.problem(line, "body_hash", "the redacted digest differs from the signed one")
            self._redactions[(payload["aggregate_id"], payload["version"])] = line["position"]
        else:
            self.problem(line, "body_missing", "the text of this revision is missing")

    def _check_authority(self, line: Mapping[str, Any], payload: dict[str, Any]) -> None:
        event_type = payload["type"]
        actor = payload["author"]
        actor_id = actor.get("id")
        author = self._authors.get(actor_id) if isinstance(actor_id, str) else None
        is_operator = actor_id == OPERATOR_ID and actor.get("verification") == "operator"
        if author is not None and actor.get("name") != author.name:
            self.problem(
                line,
                "author_name",
                f"signed for {actor.get('name')!r} but the author was named {author.name!r}",
            )
        if event_type == "author.registered":
            if actor_id != payload["aggregate_id"]:
                self.problem(line, "not_authorised", "an author can only register themselves")
        elif event_type == "author.identity_verified" and _self_verified_by_provider(payload):
            pass
        elif event_type in ADMIN_TYPES:
            if not is_operator and not _is_admin(author):
                self.problem(
                    line,
                    "not_authorised",
                    f"{actor.get('name')!r} was not an administrator at the time",
                )
        elif event_type in CONTENT_TYPES:
            self._check_editor(line, payload, author)

    def _check_editor(
        self, line: Mapping[str, Any], payload: dict[str, Any], author: _AuthorState | None
    ) -> None:
        name = payload["author"].get("name")
        if author is None:
            self.problem(line, "author_unknown", f"{name!r} is not a registered author")
        elif author.blocked:
            self.problem(line, "author_blocked", f"{name!r} was blocked at the time")
        elif author.verification is None:
            self.problem(line, "author_not_verified", f"{name!r} was not verified at the time")
        elif (
            payload["type"] in PAGE_CHANGE_TYPES
            and payload["aggregate_id"] in self._protected
            and not _is_admin(author)
        ):
            self.problem(line, "protected", f"{name!r} changed a protected page")

    def _apply(self, payload: dict[str, Any]) -> None:
        """Track authors, protection, suppressions and keys from authentic events."""
        event_type = payload["type"]
        aggregate = payload["aggregate_id"]
        data = payload["data"]
        author = self._authors.get(aggregate)
        if event_type == "author.registered":
            self._authors[aggregate] = _AuthorState(name=str(data.get("name")))
        elif author is not None and event_type.startswith("author."):
            _apply_author_event(author, event_type, data)
        elif event_type == "page.protected":
            self._protected.add(aggregate)
        elif event_type == "page.unprotected":
            self._protected.discard(aggregate)
        elif event_type == "page.revision_suppressed" and isinstance(data.get("revision"), int):
            self._suppressions.add((aggregate, data["revision"]))
        elif event_type == "key.published":
            self._add_key(data, signed_by=payload["kid"])

    def _add_key(self, data: dict[str, Any], signed_by: str) -> None:
        """A key published by a trusted key becomes trusted, and replaces that key (key
        rotation): from here on only the new key signs."""
        kid, public = data.get("new_kid"), data.get("public_key")
        if not isinstance(kid, str) or not isinstance(public, str):
            return
        try:
            key = PublicKey.from_b64(kid, public)
        except ValueError:
            return
        known = self.keys.get(kid)
        if known is None or known.public_key == key.public_key:
            self.keys[kid] = key
            if kid != signed_by:
                self._retired.add(signed_by)
        else:
            self.report.problems.append(
                Problem(
                    None,
                    None,
                    None,
                    "key_mismatch",
                    f"the log publishes key {kid} with another public key than the pinned one",
                )
            )


def _apply_author_event(author: _AuthorState, event_type: str, data: dict[str, Any]) -> None:
    if event_type == "author.identity_verified":
        author.verification = str(data.get("method"))
    elif event_type == "author.role_granted":
        author.roles.add(str(data.get("role")))
    elif event_type == "author.role_revoked":
        author.roles.discard(str(data.get("role")))
    elif event_type == "author.blocked":
        author.blocked = True
    elif event_type == "author.unblocked":
        author.blocked = False
    elif event_type == "author.renamed":
        author.name = str(data.get("name"))


def _is_admin(author: _AuthorState | None) -> bool:
    return (
        author is not None
        and "administrator" in author.roles
        and author.verification is not None
        and not author.blocked
    )


def _self_verified_by_provider(payload: dict[str, Any]) -> bool:
    """A login at a trusted OpenID Connect issuer verifies the author who logs in."""
    method = payload["data"].get("method")
    actor = payload["author"]
    return (
        isinstance(method, str)
        and method.startswith("oidc:")
        and actor.get("id") == payload["aggregate_id"]
        and actor.get("verification") == method
    )


def _well_formed(line: Mapping[str, Any], payload: Any) -> bool:
    if not isinstance(payload, dict) or not payload.keys() >= PAYLOAD_KEYS:
        return False
    return (
        isinstance(payload["type"], str)
        and isinstance(payload["aggregate_id"], str)
        and isinstance(payload["version"], int)
        and isinstance(payload["kid"], str)
        and isinstance(payload["signed_at"], str)
        and isinstance(payload["author"], dict)
        and isinstance(payload["data"], dict)
        and (payload["parent"] is None or isinstance(payload["parent"], str))
        and isinstance(line.get("position"), int)
    )


def _int_or_none(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _str_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None


ED25519_PUBLIC_KEY_BYTES = 32
PARALLEL_THRESHOLD = 4000
CHUNK = 500


def verify_lines(
    items: Iterable[Any],
    trusted_keys: Iterable[PublicKey],
    candidate_keys: Iterable[PublicKey] = (),
    jobs: int | None = None,
    reader: Callable[[Any], dict[str, Any]] | None = None,
) -> Report:
    """Verify a log in order: `items` are its lines, or raw items `reader` turns into lines.

    With `jobs` > 1 and a long log, worker processes run `reader` and compute each line's
    seal (canonical form, digest, signature) and body verdict, so this process keeps only
    the checks that need log order. `reader` must then be a module-level function.
    `candidate_keys` are keys the log itself publishes; workers check signatures with them,
    and the verifier still decides in log order whether a key was trusted when it signed.
    """
    trusted = list(trusted_keys)
    keys = {key.kid: key for key in [*candidate_keys, *trusted]}
    verifier = Verifier(trusted)
    read = reader or _as_line
    workers = jobs if jobs is not None else (os.cpu_count() or 1)
    iterator = iter(items)
    first = list(itertools.islice(iterator, PARALLEL_THRESHOLD))
    if workers < 2 or len(first) < PARALLEL_THRESHOLD:
        for item in itertools.chain(first, iterator):
            verifier.check(read(item))
        return verifier.finish()
    chunks = _chunks(itertools.chain(first, iterator), CHUNK)
    context = multiprocessing.get_context("spawn")  # never fork a process holding DB pools
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        pending: collections.deque[Future[list[tuple[dict[str, Any], Seal | None]]]] = (
            collections.deque()
        )
        for chunk in chunks:
            pending.append(pool.submit(_seal_chunk, chunk, read, keys))
            if len(pending) > 2 * workers:
                _drain(verifier, pending.popleft())
        while pending:
            _drain(verifier, pending.popleft())
    return verifier.finish()


def _as_line(item: Any) -> dict[str, Any]:
    return dict(item)


def _chunks(items: Iterable[Any], size: int) -> Iterator[list[Any]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


def _seal_chunk(
    items: list[Any], read: Callable[[Any], dict[str, Any]], keys: dict[str, PublicKey]
) -> list[tuple[dict[str, Any], Seal | None]]:
    """In a worker: read each item and seal it; the text goes back only as its verdict."""
    results: list[tuple[dict[str, Any], Seal | None]] = []
    for item in items:
        line = read(item)
        payload = line.get("payload")
        if "damaged" in line or not isinstance(payload, dict):
            results.append((line, None))
            continue
        seal = seal_of(payload, line.get("signature"), keys)
        verdict = None
        if "body" in line:
            data = payload.get("data")
            expected = data.get("body_sha256") if isinstance(data, dict) else None
            verdict = judge_body(line["body"], expected) or ""
            line["body"] = None  # judged here: no need to send the text back
        results.append((line, Seal(seal.digest, b"", seal.key, seal.valid, seal.error, verdict)))
    return results


def _drain(verifier: Verifier, results: "Future[list[tuple[dict[str, Any], Seal | None]]]") -> None:
    for line, seal in results.result():
        verifier.check(line, seal)


def line_from_export(numbered: tuple[int, bytes]) -> dict[str, Any]:
    """One export line (numbered from 1), or a `damaged` stand-in saying why it is unreadable."""
    number, raw = numbered
    try:
        line = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as error:
        return {"position": None, "damaged": f"line {number} is not JSON ({error})"[:300]}
    if not isinstance(line, dict):
        return {"position": None, "damaged": f"line {number} is not a JSON object"}
    return line


def published_keys_in(lines: Iterable[Mapping[str, Any]]) -> list[PublicKey]:
    """Keys that `key.published` lines announce (unchecked: the verifier decides trust)."""
    keys = []
    for line in lines:
        payload = line.get("payload")
        if not isinstance(payload, dict) or payload.get("type") != "key.published":
            continue
        data = payload.get("data")
        try:
            keys.append(PublicKey.from_b64(str(data["new_kid"]), str(data["public_key"])))  # type: ignore[index]
        except (KeyError, TypeError, ValueError):
            continue
    return keys


def load_keys(document: Any) -> list[PublicKey]:
    """Keys from a `wiki-signing-keys.json` document: `{"keys": [{kid, public_key, ...}]}`.

    Raises `ValueError` naming what is wrong, so a bad keys file is never half-trusted.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError('the keys file must be a JSON object {"keys": [...]}')
    keys = []
    for number, entry in enumerate(document["keys"], start=1):
        try:
            kid, public_key = str(entry["kid"]), b64url_decode(str(entry["public_key"]))
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"key {number} needs a kid and a base64url public_key") from error
        if len(public_key) != ED25519_PUBLIC_KEY_BYTES:
            raise ValueError(f"key {kid} is not a 32-byte Ed25519 public key")
        if key_id(public_key) != kid:
            raise ValueError(f"key {kid} does not match its public key (kid {key_id(public_key)})")
        keys.append(PublicKey(kid=kid, public_key=public_key))
    return keys
