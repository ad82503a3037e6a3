"""The verifier's rules on hand-made logs: no store, only signed lines."""

import uuid
from typing import Any

from wikiengine.attribution import OPERATOR, Actor, build_payload
from wikiengine.keyring import KEYRING_ID
from wikiengine.signing import Signer, payload_digest
from wikiengine.verify import Verifier, load_keys


class Log:
    """Signs and chains lines as the server would, whatever the rules say."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self.lines: list[dict[str, Any]] = []
        self.heads: dict[str, tuple[int, str]] = {}

    def add(
        self, event_type: str, aggregate: uuid.UUID, actor: Actor, data: dict[str, Any]
    ) -> None:
        version, parent = self.heads.get(str(aggregate), (0, None))
        payload = build_payload(
            event_type=event_type,
            aggregate_id=aggregate,
            version=version + 1,
            parent=parent,
            actor=actor,
            signed_at=f"2026-11-28T10:00:{len(self.lines):02d}.000000Z",
            summary="",
            kid=self.signer.kid,
            data=data,
        )
        self.heads[str(aggregate)] = (version + 1, payload_digest(payload))
        self.lines.append(
            {
                "position": len(self.lines) + 1,
                "type": event_type,
                "aggregate_id": str(aggregate),
                "version": version + 1,
                "payload": payload,
                "kid": self.signer.kid,
                "signature": self.signer.sign(payload),
            }
        )

    def register(self, name: str) -> Actor:
        author_id = uuid.uuid4()
        actor = Actor(str(author_id), name, "none")
        self.add("author.registered", author_id, actor, {"name": name})
        return actor


def verify(log: Log) -> set[tuple[str, int]]:
    verifier = Verifier([log.signer.public])
    for line in log.lines:
        verifier.check(line)
    return {(problem.kind, problem.position or 0) for problem in verifier.finish().problems}


def test_a_forged_role_grant_does_not_make_an_administrator() -> None:
    log = Log(Signer.generate())
    mallory = log.register("Mallory Mørk")
    log.add("author.identity_verified", uuid.UUID(mallory.id), OPERATOR, {"method": "operator"})
    mallory = Actor(mallory.id, mallory.name, "operator")
    log.add("author.role_granted", uuid.UUID(mallory.id), mallory, {"role": "administrator"})
    page = uuid.uuid4()
    log.add("page.protected", page, mallory, {})

    assert verify(log) == {("not_authorised", 3), ("not_authorised", 4)}


def test_an_operator_grant_makes_an_administrator() -> None:
    log = Log(Signer.generate())
    anna = log.register("Anna Ærø")
    log.add("author.identity_verified", uuid.UUID(anna.id), OPERATOR, {"method": "operator"})
    log.add("author.role_granted", uuid.UUID(anna.id), OPERATOR, {"role": "administrator"})
    anna = Actor(anna.id, anna.name, "operator")
    log.add("page.protected", uuid.uuid4(), anna, {})

    assert verify(log) == set()


def test_keys_file_entries_must_name_their_own_key() -> None:
    signer, other = Signer.generate(), Signer.generate()
    good = {"kid": signer.kid, "public_key": signer.public.public_key_b64}
    assert [key.kid for key in load_keys({"keys": [good]})] == [signer.kid]
    for bad in (
        {"keys": [{"kid": signer.kid, "public_key": other.public.public_key_b64}]},
        {"keys": [{"kid": signer.kid, "public_key": "AAAA"}]},
        {"keys": [{"kid": signer.kid}]},
        {"keys": "none"},
        [],
    ):
        try:
            load_keys(bad)
        except ValueError:
            continue
        raise AssertionError(f"accepted {bad}")


def test_only_the_keyring_first_event_may_publish_its_own_key() -> None:
    """With nothing pinned, trust on first use: the keyring's version 1, nothing else."""
    signer = Signer.generate()
    log = Log(signer)
    data = {"new_kid": signer.kid, "public_key": signer.public.public_key_b64}
    log.add("key.published", KEYRING_ID, OPERATOR, {**data, "alg": "Ed25519", "not_before": ""})
    verifier = Verifier([])
    for line in log.lines:
        verifier.check(line)
    assert verifier.finish().ok

    stranger = Log(Signer.generate())
    elsewhere = uuid.uuid4()
    key = stranger.signer.public
    stranger.add(
        "key.published",
        elsewhere,
        OPERATOR,
        {"new_kid": key.kid, "public_key": key.public_key_b64, "alg": "Ed25519", "not_before": ""},
    )
    verifier = Verifier([])
    for line in stranger.lines:
        verifier.check(line)
    assert [problem.kind for problem in verifier.finish().problems] == ["unknown_key"]
