"""Authors through the application service: registration, verification, roles, blocks, names."""

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from wikiengine.application import Wiki
from wikiengine.attribution import OPERATOR
from wikiengine.authors import ADMINISTRATOR, Author
from wikiengine.errors import AuthorNotFound, Blocked, Forbidden, InvalidInput, NotVerified


def events_of(wiki: Wiki, author_id: uuid.UUID) -> list[Any]:
    return list(wiki.events.get(author_id))


# ---------------------------------------------------------------- registration


def test_registered_author_is_named_but_cannot_edit_yet(wiki: Wiki) -> None:
    author_id = wiki.register_author("  Åse   Ødegård  ")

    author = wiki.author(author_id)
    assert author.name == "Åse Ødegård"
    assert (author.verification, author.roles, author.blocked) == (None, [], False)
    [registered] = events_of(wiki, author_id)
    assert registered.payload["type"] == "author.registered"
    assert registered.payload["data"] == {"name": "Åse Ødegård"}
    assert registered.payload["author"] == {
        "id": str(author_id),
        "name": "Åse Ødegård",
        "verification": "none",
    }
    with pytest.raises(NotVerified):
        wiki.save_page(author_id, "Side", "tekst\n")


def test_names_are_stored_in_one_normal_form(wiki: Wiki) -> None:
    decomposed = "A\u030ase"  # "Åse" typed with a combining ring

    author_id = wiki.register_author(decomposed)

    assert wiki.author(author_id).name == "\u00c5se"


@pytest.mark.parametrize("name", ["", "   ", "Bo\x00Jensen", "Bo\nJensen\x07", "x" * 121])
def test_invalid_names_are_refused_and_nothing_is_saved(wiki: Wiki, name: str) -> None:
    before = wiki.recorder.max_notification_id()

    with pytest.raises(InvalidInput):
        wiki.register_author(name)

    assert wiki.recorder.max_notification_id() == before


def test_unknown_author_is_not_found(wiki: Wiki, admin: uuid.UUID) -> None:
    unknown = uuid.uuid4()
    for command in (
        lambda: wiki.author(unknown),
        lambda: wiki.verify_author(admin, unknown),
        lambda: wiki.verify_author_by_identity_provider(unknown, "https://login.example.dk"),
        lambda: wiki.block_author(admin, unknown, "reason"),
        lambda: wiki.grant_role(admin, unknown, ADMINISTRATOR),
        lambda: wiki.rename_author(admin, unknown, "Navn"),
    ):
        with pytest.raises(AuthorNotFound):
            command()


# ---------------------------------------------------------------- verification


def test_administrator_verifies_an_author(wiki: Wiki, admin: uuid.UUID) -> None:
    author_id = wiki.register_author("Carl Christensen")

    assert isinstance(wiki.verify_author(admin, author_id), int)

    author = wiki.author(author_id)
    assert author.is_verified and author.verification == "admin"
    verified = events_of(wiki, author_id)[-1]
    assert verified.payload["type"] == "author.identity_verified"
    assert verified.payload["data"] == {"method": "admin"}
    assert verified.payload["author"] == {
        "id": str(admin),
        "name": "Anna Ærø",
        "verification": "operator",
    }
    assert wiki.save_page(author_id, "Side", "tekst\n").changed


def test_identity_provider_login_verifies_the_author(wiki: Wiki) -> None:
    author_id = wiki.register_author("Dorthe Dam")

    assert isinstance(
        wiki.verify_author_by_identity_provider(author_id, "https://login.example.dk"), int
    )

    author = wiki.author(author_id)
    assert author.verification == "oidc:https://login.example.dk"
    verified = events_of(wiki, author_id)[-1]
    assert verified.payload["data"] == {"method": "oidc:https://login.example.dk"}
    assert verified.payload["author"] == {
        "id": str(author_id),
        "name": "Dorthe Dam",
        "verification": "oidc:https://login.example.dk",
    }
    assert wiki.save_page(author_id, "Side", "tekst\n").changed


def test_identity_provider_does_not_lift_a_block(wiki: Wiki, admin: uuid.UUID) -> None:
    author_id = wiki.register_author("Dorthe Dam")
    wiki.verify_author(admin, author_id)
    wiki.block_author(admin, author_id, "vandalism")

    wiki.verify_author_by_identity_provider(author_id, "https://login.example.dk")

    with pytest.raises(Blocked):
        wiki.save_page(author_id, "Side", "tekst\n")


def test_another_verification_method_is_recorded(wiki: Wiki, admin: uuid.UUID) -> None:
    author_id = wiki.register_author("Erik Eriksen")
    wiki.verify_author(admin, author_id)

    wiki.verify_author_by_identity_provider(author_id, "https://login.example.dk")

    assert wiki.author(author_id).verification == "oidc:https://login.example.dk"
    assert [e.payload["data"]["method"] for e in events_of(wiki, author_id)[1:]] == [
        "admin",
        "oidc:https://login.example.dk",
    ]


# ---------------------------------------------------------------- roles


def test_granted_administrator_may_moderate_until_revoked(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")

    assert isinstance(wiki.grant_role(admin, editor, ADMINISTRATOR), int)
    assert wiki.author(editor).roles == [ADMINISTRATOR]
    wiki.protect_page(editor, "Side", "as an administrator")

    assert isinstance(wiki.revoke_role(admin, editor, ADMINISTRATOR), int)
    assert wiki.author(editor).roles == []
    with pytest.raises(Forbidden):
        wiki.unprotect_page(editor, "Side", "no longer an administrator")
    granted, revoked = events_of(wiki, editor)[-2:]
    assert (granted.payload["type"], revoked.payload["type"]) == (
        "author.role_granted",
        "author.role_revoked",
    )
    assert granted.payload["data"] == revoked.payload["data"] == {"role": ADMINISTRATOR}


def test_administrator_role_needs_a_verified_identity(wiki: Wiki, admin: uuid.UUID) -> None:
    author_id = wiki.register_author("Frida Frost")

    wiki.grant_role(admin, author_id, ADMINISTRATOR)

    assert not wiki.author(author_id).is_administrator
    with pytest.raises(NotVerified):
        wiki.verify_author(author_id, author_id)


@pytest.mark.parametrize("role", ["superuser", "Administrator", ""])
def test_unknown_roles_are_refused(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, role: str
) -> None:
    before = wiki.recorder.max_notification_id()

    with pytest.raises(InvalidInput):
        wiki.grant_role(admin, editor, role)
    with pytest.raises(InvalidInput):
        wiki.revoke_role(admin, editor, role)

    assert wiki.recorder.max_notification_id() == before


# ---------------------------------------------------------------- blocks


def test_block_and_unblock_are_recorded_with_the_reason(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    assert isinstance(wiki.block_author(admin, editor, "  repeated   vandalism "), int)
    assert wiki.author(editor).blocked
    with pytest.raises(Blocked):
        wiki.save_page(editor, "Side", "tekst\n")

    assert isinstance(wiki.unblock_author(admin, editor, "apologised"), int)
    assert not wiki.author(editor).blocked
    blocked, unblocked = events_of(wiki, editor)[-2:]
    assert (blocked.payload["type"], blocked.payload["summary"]) == (
        "author.blocked",
        "repeated vandalism",
    )
    assert (unblocked.payload["type"], unblocked.payload["summary"]) == (
        "author.unblocked",
        "apologised",
    )
    assert wiki.save_page(editor, "Side", "tekst\n").changed


def test_administrator_cannot_block_themselves(wiki: Wiki, admin: uuid.UUID) -> None:
    before = wiki.recorder.max_notification_id()

    with pytest.raises(Forbidden):
        wiki.block_author(admin, admin, "oops")

    assert wiki.recorder.max_notification_id() == before
    assert not wiki.author(admin).blocked


def test_administrators_may_block_each_other(wiki: Wiki, admin: uuid.UUID) -> None:
    other = wiki.bootstrap_administrator("Otto Administrator")

    wiki.block_author(other, admin, "compromised account")

    assert wiki.author(admin).blocked and not wiki.author(admin).is_administrator
    with pytest.raises(Blocked):
        wiki.unblock_author(admin, admin, "let me back in")
    wiki.unblock_author(other, admin, "recovered")
    assert wiki.author(admin).is_administrator


def test_operator_may_block(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.block_author(OPERATOR, editor, "spam")

    assert wiki.author(editor).blocked
    assert events_of(wiki, editor)[-1].payload["author"] == OPERATOR.as_json()


# ---------------------------------------------------------------- renames


def test_rename_changes_the_name_on_later_edits_only(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "før\n")

    assert isinstance(wiki.rename_author(admin, editor, " Bo  Østergaard-Jensen "), int)
    wiki.save_page(editor, "Side", "efter\n", "", 1)

    assert wiki.author(editor).name == "Bo Østergaard-Jensen"
    renamed = events_of(wiki, editor)[-1]
    assert renamed.payload["type"] == "author.renamed"
    assert renamed.payload["data"] == {"name": "Bo Østergaard-Jensen"}
    assert renamed.payload["summary"] == "Renamed from Bo Østergaard"
    created, edited = list(wiki.events.get(wiki.page_by_title("Side").id))
    assert created.payload["author"]["name"] == "Bo Østergaard"
    assert edited.payload["author"]["name"] == "Bo Østergaard-Jensen"


def test_rename_to_an_invalid_name_is_refused(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    with pytest.raises(InvalidInput):
        wiki.rename_author(admin, editor, "  ")

    assert wiki.author(editor).name == "Bo Østergaard"


# ---------------------------------------------------------------- the operator's bootstrap


def test_bootstrap_creates_a_verified_administrator(wiki: Wiki) -> None:
    author_id = wiki.bootstrap_administrator("Gitte Grøn")

    author = wiki.author(author_id)
    assert (author.name, author.verification, author.roles) == (
        "Gitte Grøn",
        "operator",
        [ADMINISTRATOR],
    )
    assert author.is_administrator
    registered, verified, granted = events_of(wiki, author_id)
    assert registered.payload["author"]["id"] == str(author_id)
    assert verified.payload["author"] == granted.payload["author"] == OPERATOR.as_json()
    assert verified.payload["data"] == {"method": "operator"}
    # The new administrator can act at once.
    other = wiki.register_author("Hans Hansen")
    wiki.verify_author(author_id, other)
    assert wiki.author(other).verification == "admin"


def test_each_bootstrap_creates_a_new_author(wiki: Wiki) -> None:
    first = wiki.bootstrap_administrator("Gitte Grøn")
    second = wiki.bootstrap_administrator("Gitte Grøn")

    assert first != second
    assert wiki.author(first).is_administrator and wiki.author(second).is_administrator


# ---------------------------------------------------------------- idempotent commands


IDEMPOTENT: dict[str, Callable[[Wiki, uuid.UUID, uuid.UUID], object]] = {
    "verify with the same method": lambda wiki, admin, a: wiki.verify_author(admin, a),
    "identity provider again": lambda wiki, admin, a: wiki.verify_author_by_identity_provider(
        a, "https://login.example.dk"
    ),
    "grant a held role": lambda wiki, admin, a: wiki.grant_role(admin, a, ADMINISTRATOR),
    "revoke a role not held": lambda wiki, admin, a: wiki.revoke_role(admin, a, ADMINISTRATOR),
    "block a blocked author": lambda wiki, admin, a: wiki.block_author(admin, a, "r"),
    "unblock an unblocked author": lambda wiki, admin, a: wiki.unblock_author(admin, a, "r"),
    "rename to the same name": lambda wiki, admin, a: wiki.rename_author(admin, a, " Ida  Isaksen"),
}

# Put the author in the state the command asks for, so the command has nothing to do.
PREPARE: dict[str, Callable[[Wiki, uuid.UUID, uuid.UUID], object]] = {
    "verify with the same method": lambda wiki, admin, a: None,
    "identity provider again": lambda wiki, admin, a: wiki.verify_author_by_identity_provider(
        a, "https://login.example.dk"
    ),
    "grant a held role": lambda wiki, admin, a: wiki.grant_role(admin, a, ADMINISTRATOR),
    "revoke a role not held": lambda wiki, admin, a: None,
    "block a blocked author": lambda wiki, admin, a: wiki.block_author(admin, a, "r"),
    "unblock an unblocked author": lambda wiki, admin, a: None,
    "rename to the same name": lambda wiki, admin, a: None,
}


@pytest.mark.parametrize("command", IDEMPOTENT)
def test_repeated_command_returns_none_and_appends_nothing(
    wiki: Wiki, admin: uuid.UUID, command: str
) -> None:
    author_id = wiki.register_author("Ida Isaksen")
    wiki.verify_author(admin, author_id)
    PREPARE[command](wiki, admin, author_id)
    before = wiki.recorder.max_notification_id()
    version = wiki.author(author_id).version

    assert IDEMPOTENT[command](wiki, admin, author_id) is None

    assert wiki.recorder.max_notification_id() == before
    assert wiki.author(author_id).version == version


def test_author_snapshot_round_trips(wiki: Wiki, admin: uuid.UUID) -> None:
    """Authors are snapshotted every 100 events; state must survive the snapshot."""
    author_id = wiki.register_author("Jens Jensen")
    wiki.verify_author(admin, author_id)
    for n in range(50):
        wiki.block_author(admin, author_id, f"block {n}")
        wiki.unblock_author(admin, author_id, f"unblock {n}")
    wiki.grant_role(admin, author_id, ADMINISTRATOR)
    wiki.rename_author(admin, author_id, "Jens Jensen Jr.")

    assert wiki.snapshots is not None and list(wiki.snapshots.get(author_id))
    fresh = wiki.repository.get(author_id, version=wiki.author(author_id).version)
    assert isinstance(fresh, Author)
    assert (fresh.name, fresh.roles, fresh.blocked, fresh.verification) == (
        "Jens Jensen Jr.",
        [ADMINISTRATOR],
        False,
        "admin",
    )
