"""Who may do what: only verified, unblocked, named authors edit; only administrators moderate.

A refused command raises its error type and appends nothing to the store. Every event
that is saved names the stored author (name and verification method), never a claim.
"""

import functools
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from wikiengine.application import Wiki
from wikiengine.attribution import OPERATOR, Actor
from wikiengine.authors import ADMINISTRATOR
from wikiengine.errors import (
    Blocked,
    Forbidden,
    NotAuthenticated,
    NotVerified,
    Protected,
    WikiError,
)


def unverified_author(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    return wiki.register_author("Ulla Uverificeret")


def blocked_author(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    author = wiki.register_author("Bent Blokeret")
    wiki.verify_author(admin, author)
    wiki.block_author(admin, author, "vandalism")
    return author


def blocked_administrator(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    author = wiki.bootstrap_administrator("Birgit Blokeret")
    wiki.block_author(admin, author, "compromised account")
    return author


# Callers who may not change content, and the error each gets.
CALLERS: dict[str, tuple[Callable[[Wiki, uuid.UUID], Any], type[WikiError]]] = {
    "anonymous": (lambda wiki, admin: None, NotAuthenticated),
    "unknown author id": (lambda wiki, admin: uuid.uuid4(), NotAuthenticated),
    "id of a page, not an author": (
        lambda wiki, admin: wiki.page_by_title("Eksisterende").id,
        NotAuthenticated,
    ),
    # An Actor equal to the operator's but not the operator itself: a forged claim.
    "forged operator actor": (
        lambda wiki, admin: Actor(OPERATOR.id, OPERATOR.name, OPERATOR.verification),
        NotAuthenticated,
    ),
    "operator": (lambda wiki, admin: OPERATOR, NotAuthenticated),
    "unverified author": (unverified_author, NotVerified),
    "blocked author": (blocked_author, Blocked),
    "blocked administrator": (blocked_administrator, Blocked),
}

PAGE_COMMANDS: dict[str, Callable[[Wiki, Any], object]] = {
    "create": lambda wiki, by: wiki.save_page(by, "Ny side", "tekst\n"),
    "edit": lambda wiki, by: wiki.save_page(by, "Eksisterende", "ændret\n", "", 2),
    "revert": lambda wiki, by: wiki.revert_page(by, "Eksisterende", 1),
    "rename": lambda wiki, by: wiki.rename_page(by, "Eksisterende", "Nyt navn"),
}


@pytest.fixture
def existing_page(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    """A page with two revisions, written by the administrator."""
    wiki.save_page(admin, "Eksisterende", "første\n")
    wiki.save_page(admin, "Eksisterende", "anden\n", "", 1)
    return wiki.page_by_title("Eksisterende").id


def assert_each_refused(
    wiki: Wiki, error: type[WikiError], commands: dict[str, Callable[[], object]]
) -> None:
    """Each command raises `error` and appends nothing to the store."""
    for name, command in commands.items():
        before = wiki.recorder.max_notification_id()
        try:
            command()
        except error:
            pass
        except Exception as other:
            pytest.fail(f"{name}: raised {other!r}, not {error.__name__}")
        else:
            pytest.fail(f"{name}: was not refused with {error.__name__}")
        assert wiki.recorder.max_notification_id() == before, f"{name} appended an event"


@pytest.mark.parametrize("caller", CALLERS)
def test_who_may_not_edit_changes_nothing(
    wiki: Wiki, admin: uuid.UUID, existing_page: uuid.UUID, caller: str
) -> None:
    make_caller, error = CALLERS[caller]
    by = make_caller(wiki, admin)

    assert_each_refused(
        wiki,
        error,
        {name: functools.partial(command, wiki, by) for name, command in PAGE_COMMANDS.items()},
    )

    page = wiki.page(existing_page)
    assert (page.title, page.version, page.body) == ("Eksisterende", 2, "anden\n")
    assert list(wiki.page_ids()) == [existing_page]


@pytest.mark.parametrize("command", PAGE_COMMANDS)
def test_verified_editor_may_do_each_page_command(
    wiki: Wiki, editor: uuid.UUID, existing_page: uuid.UUID, command: str
) -> None:
    """The same commands succeed for a verified author: the refusals above are about who."""
    before = wiki.recorder.max_notification_id()

    PAGE_COMMANDS[command](wiki, editor)

    assert wiki.recorder.max_notification_id() > before


# ---------------------------------------------------------------- administrator commands


@pytest.fixture
def targets(wiki: Wiki, admin: uuid.UUID, existing_page: uuid.UUID) -> dict[str, uuid.UUID]:
    """Authors and pages in a state where each administrator command would change them."""
    unverified = wiki.register_author("Ulla Uverificeret")
    verified = wiki.register_author("Viggo Verificeret")
    wiki.verify_author(admin, verified)
    blocked = wiki.register_author("Bent Blokeret")
    wiki.verify_author(admin, blocked)
    wiki.block_author(admin, blocked, "vandalism")
    other_admin = wiki.bootstrap_administrator("Otto Administrator")
    wiki.save_page(admin, "Beskyttet", "tekst\n")
    wiki.protect_page(admin, "Beskyttet", "vandalism")
    wiki.save_page(admin, "Slettet", "tekst\n")
    wiki.delete_page(admin, "Slettet", "spam")
    return {
        "unverified": unverified,
        "verified": verified,
        "blocked": blocked,
        "other_admin": other_admin,
    }


ADMIN_COMMANDS: dict[str, Callable[[Wiki, Any, dict[str, uuid.UUID]], object]] = {
    "verify": lambda wiki, by, t: wiki.verify_author(by, t["unverified"]),
    "block": lambda wiki, by, t: wiki.block_author(by, t["verified"], "reason"),
    "unblock": lambda wiki, by, t: wiki.unblock_author(by, t["blocked"], "reason"),
    "grant role": lambda wiki, by, t: wiki.grant_role(by, t["verified"], ADMINISTRATOR),
    "revoke role": lambda wiki, by, t: wiki.revoke_role(by, t["other_admin"], ADMINISTRATOR),
    "rename author": lambda wiki, by, t: wiki.rename_author(by, t["verified"], "Nyt Navn"),
    "protect": lambda wiki, by, t: wiki.protect_page(by, "Eksisterende", "reason"),
    "unprotect": lambda wiki, by, t: wiki.unprotect_page(by, "Beskyttet", "reason"),
    "delete": lambda wiki, by, t: wiki.delete_page(by, "Eksisterende", "reason"),
    "restore": lambda wiki, by, t: wiki.restore_page(by, "Slettet", "reason"),
    "suppress": lambda wiki, by, t: wiki.suppress_revision(by, "Eksisterende", 1, "reason"),
}


def verified_editor(wiki: Wiki, admin: uuid.UUID) -> uuid.UUID:
    author = wiki.register_author("Vera Verificeret")
    wiki.verify_author(admin, author)
    return author


# Everyone but an administrator and the operator, and the error each gets.
NON_ADMINISTRATORS = {
    **{caller: refusal for caller, refusal in CALLERS.items() if caller != "operator"},
    "verified editor": (verified_editor, Forbidden),
}


@pytest.mark.parametrize("caller", NON_ADMINISTRATORS)
def test_who_may_not_administer_changes_nothing(
    wiki: Wiki, admin: uuid.UUID, targets: dict[str, uuid.UUID], caller: str
) -> None:
    make_caller, error = NON_ADMINISTRATORS[caller]
    by = make_caller(wiki, admin)

    assert_each_refused(
        wiki,
        error,
        {
            name: functools.partial(command, wiki, by, targets)
            for name, command in ADMIN_COMMANDS.items()
        },
    )

    assert not wiki.author(targets["unverified"]).is_verified
    assert wiki.author(targets["blocked"]).blocked
    assert wiki.author(targets["other_admin"]).is_administrator


@pytest.mark.parametrize("command", ADMIN_COMMANDS)
def test_administrator_and_operator_may_do_each_command(
    wiki: Wiki, admin: uuid.UUID, targets: dict[str, uuid.UUID], command: str
) -> None:
    """The targets are set up so that each command really changes something."""
    first = ADMIN_COMMANDS[command](wiki, admin, targets)
    # Make the command apply again, then let the operator give it.
    undo = {
        "verify": lambda: targets.update(unverified=wiki.register_author("Endnu En")),
        "block": lambda: wiki.unblock_author(admin, targets["verified"], "undo"),
        "unblock": lambda: wiki.block_author(admin, targets["blocked"], "undo"),
        "grant role": lambda: wiki.revoke_role(admin, targets["verified"], ADMINISTRATOR),
        "revoke role": lambda: wiki.grant_role(admin, targets["other_admin"], ADMINISTRATOR),
        "rename author": lambda: wiki.rename_author(admin, targets["verified"], "Gammelt Navn"),
        "protect": lambda: wiki.unprotect_page(admin, "Eksisterende", "undo"),
        "unprotect": lambda: wiki.protect_page(admin, "Beskyttet", "undo"),
        "delete": lambda: wiki.restore_page(admin, "Eksisterende", "undo"),
        "restore": lambda: wiki.delete_page(admin, "Slettet", "undo"),
        "suppress": lambda: wiki.save_page(admin, "Eksisterende", "tredje\n", "", 2),
    }[command]
    undo()
    if command == "suppress":
        second = wiki.suppress_revision(OPERATOR, "Eksisterende", 2, "reason")
    else:
        second = ADMIN_COMMANDS[command](wiki, OPERATOR, targets)

    assert isinstance(first, int) and isinstance(second, int) and second > first


def test_editor_cannot_make_themselves_administrator(wiki: Wiki, editor: uuid.UUID) -> None:
    with pytest.raises(Forbidden):
        wiki.grant_role(editor, editor, ADMINISTRATOR)

    assert not wiki.author(editor).is_administrator


def test_revoked_administrator_is_forbidden_again(
    wiki: Wiki, admin: uuid.UUID, existing_page: uuid.UUID
) -> None:
    other = wiki.bootstrap_administrator("Otto Administrator")
    wiki.protect_page(other, "Eksisterende", "while still an administrator")

    wiki.revoke_role(admin, other, ADMINISTRATOR)

    with pytest.raises(Forbidden):
        wiki.unprotect_page(other, "Eksisterende", "no longer an administrator")
    assert wiki.page(existing_page).protected


# ---------------------------------------------------------------- protection and blocks


def test_protected_page_can_be_changed_by_administrators_only(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, existing_page: uuid.UUID
) -> None:
    wiki.protect_page(admin, "Eksisterende", "edit war")
    before = wiki.recorder.max_notification_id()

    for command in ("edit", "revert", "rename"):
        with pytest.raises(Protected):
            PAGE_COMMANDS[command](wiki, editor)
    assert wiki.recorder.max_notification_id() == before

    result = wiki.save_page(admin, "Eksisterende", "administratorens tekst\n", "", 3)
    assert result.changed and result.version == 4
    wiki.rename_page(admin, "Eksisterende", "Beskyttet side")
    assert wiki.page(existing_page).title == "Beskyttet side"


def test_after_unprotect_editors_may_edit_again(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, existing_page: uuid.UUID
) -> None:
    wiki.protect_page(admin, "Eksisterende", "edit war")
    wiki.unprotect_page(admin, "Eksisterende", "calmer now")

    result = wiki.save_page(editor, "Eksisterende", "redaktørens tekst\n", "", 4)

    assert result.changed and wiki.page(existing_page).body == "redaktørens tekst\n"


def test_after_unblock_editing_works_again(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, existing_page: uuid.UUID
) -> None:
    wiki.block_author(admin, editor, "vandalism")
    with pytest.raises(Blocked):
        wiki.save_page(editor, "Eksisterende", "blokeret\n", "", 2)

    wiki.unblock_author(admin, editor, "apologised")
    result = wiki.save_page(editor, "Eksisterende", "tilbage\n", "", 2)

    assert result.changed and wiki.page(existing_page).body == "tilbage\n"


def test_blocking_an_administrator_takes_their_rights_until_unblocked(
    wiki: Wiki, admin: uuid.UUID, existing_page: uuid.UUID
) -> None:
    other = wiki.bootstrap_administrator("Otto Administrator")
    wiki.block_author(admin, other, "compromised account")
    with pytest.raises(Blocked):
        wiki.protect_page(other, "Eksisterende", "reason")

    wiki.unblock_author(admin, other, "recovered")
    wiki.protect_page(other, "Eksisterende", "reason")

    assert wiki.page(existing_page).protected


# ---------------------------------------------------------------- attribution


def last_event(wiki: Wiki, aggregate_id: uuid.UUID) -> Any:
    return list(wiki.events.get(aggregate_id))[-1]


def test_every_event_names_the_stored_author(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "første\n", "Oprettet af Bo")
    page_id = wiki.page_by_title("Side").id
    editor_as_stored = {"id": str(editor), "name": "Bo Østergaard", "verification": "admin"}
    assert last_event(wiki, page_id).payload["author"] == editor_as_stored

    wiki.protect_page(admin, "Side", "reason")
    admin_as_stored = {"id": str(admin), "name": "Anna Ærø", "verification": "operator"}
    assert last_event(wiki, page_id).payload["author"] == admin_as_stored

    wiki.rename_author(admin, editor, "Bo Østergaard Jensen")
    wiki.unprotect_page(admin, "Side", "reason")
    wiki.save_page(editor, "Side", "anden\n", "", 3)
    assert last_event(wiki, page_id).payload["author"] == {
        **editor_as_stored,
        "name": "Bo Østergaard Jensen",
    }

    wiki.verify_author_by_identity_provider(editor, "https://login.example.dk")
    wiki.revert_page(editor, "Side", 1)
    assert last_event(wiki, page_id).payload["author"] == {
        "id": str(editor),
        "name": "Bo Østergaard Jensen",
        "verification": "oidc:https://login.example.dk",
    }
    # Earlier events keep the name and method they were signed with.
    first = next(iter(wiki.events.get(page_id)))
    assert first.payload["author"] == editor_as_stored


def test_a_caller_cannot_pass_another_name_or_method(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    """Only the id is the caller's: a forged Actor naming the editor is not accepted."""
    forged = Actor(str(editor), "Someone Else", "operator")
    with pytest.raises(NotAuthenticated):
        wiki.save_page(forged, "Side", "tekst\n")

    wiki.save_page(editor, "Side", "tekst\n", "I am Someone Else (operator)")

    payload = last_event(wiki, wiki.page_by_title("Side").id).payload
    assert payload["author"] == {
        "id": str(editor),
        "name": "Bo Østergaard",
        "verification": "admin",
    }
    assert payload["summary"] == "I am Someone Else (operator)"


def test_every_stored_event_names_an_author_as_stored_at_the_time(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    """Across a whole history, each event's author is the stored author at that moment."""
    wiki.save_page(editor, "Side", "første\n")
    wiki.save_page(admin, "Side", "anden\n", "", 1)
    wiki.rename_page(editor, "Side", "Omdøbt")
    wiki.block_author(admin, editor, "reason")
    wiki.unblock_author(admin, editor, "reason")

    for notification in wiki.recorder.select_notifications(start=1, limit=1000):
        event = wiki.mapper.to_domain_event(notification)
        author = event.payload["author"]
        if author["id"] == OPERATOR.id:
            assert author == OPERATOR.as_json()
            continue
        stored = wiki.author(uuid.UUID(author["id"]))
        assert author["name"] == stored.name
        if event.payload["type"] == "author.registered":
            assert author["verification"] == "none"
        else:
            assert author["verification"] == stored.verification
