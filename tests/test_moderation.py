"""Moderation through the application service: protection, deletion, suppression, renames."""

import json
import uuid

import pytest

from storage.eventlog import export_log
from wikiengine.application import Wiki
from wikiengine.authors import ADMINISTRATOR
from wikiengine.errors import (
    Forbidden,
    InvalidInput,
    PageDeleted,
    PageExists,
    PageNotFound,
    RevisionNotFound,
    RevisionSuppressed,
)
from wikiengine.pages import Page


def types_of_events(wiki: Wiki, page_id: uuid.UUID) -> list[type]:
    return [type(event) for event in wiki.events.get(page_id)]


# ---------------------------------------------------------------- protection


def test_protect_and_unprotect_are_recorded_and_idempotent(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")

    assert isinstance(wiki.protect_page(admin, "Side", "edit war"), int)
    before = wiki.recorder.max_notification_id()
    assert wiki.protect_page(admin, "Side", "again") is None
    assert wiki.recorder.max_notification_id() == before
    assert wiki.page_by_title("Side").protected

    assert isinstance(wiki.unprotect_page(admin, "Side", "calm"), int)
    before = wiki.recorder.max_notification_id()
    assert wiki.unprotect_page(admin, "Side", "again") is None
    assert wiki.recorder.max_notification_id() == before

    page = wiki.page_by_title("Side")
    assert not page.protected
    assert types_of_events(wiki, page.id) == [Page.Created, Page.Protected, Page.Unprotected]
    protected = list(wiki.events.get(page.id))[1]
    assert protected.payload["summary"] == "edit war"
    assert protected.payload["type"] == "page.protected"


def test_moderating_a_missing_page_is_not_found(wiki: Wiki, admin: uuid.UUID) -> None:
    for command in (wiki.protect_page, wiki.unprotect_page, wiki.delete_page, wiki.restore_page):
        with pytest.raises(PageNotFound):
            command(admin, "Findes ikke", "reason")


# ---------------------------------------------------------------- deletion


def test_deleted_page_cannot_be_changed_until_restored(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side", "v1\n")
    wiki.save_page(editor, "Side", "v2\n", "", 1)
    assert isinstance(wiki.delete_page(admin, "Side", "spam"), int)
    before = wiki.recorder.max_notification_id()

    for by in (editor, admin):
        with pytest.raises(PageDeleted):
            wiki.save_page(by, "Side", "v3\n", "", 3)
        with pytest.raises(PageDeleted):
            wiki.revert_page(by, "Side", 1)
        with pytest.raises(PageDeleted):
            wiki.rename_page(by, "Side", "Nyt navn")
    with pytest.raises(PageDeleted):
        wiki.save_page(editor, "Side", "a new page with the old title\n")
    assert wiki.delete_page(admin, "Side", "again") is None
    assert wiki.recorder.max_notification_id() == before
    assert wiki.page_by_title("Side").deleted

    assert isinstance(wiki.restore_page(admin, "Side", "not spam"), int)
    assert wiki.restore_page(admin, "Side", "again") is None
    page = wiki.page_by_title("Side")
    assert not page.deleted and page.body == "v2\n"  # history survived the deletion
    result = wiki.save_page(editor, "Side", "v3\n", "", 4)
    assert result.changed and result.version == 5


def test_deleted_page_keeps_its_title(wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    wiki.save_page(editor, "Anden", "tekst\n")
    wiki.delete_page(admin, "Side", "spam")

    with pytest.raises(PageExists):
        wiki.rename_page(editor, "Anden", "Side")


# ---------------------------------------------------------------- suppression


@pytest.fixture
def three_revisions(wiki: Wiki, editor: uuid.UUID) -> uuid.UUID:
    wiki.save_page(editor, "Side", "offentlig tekst\n")
    wiki.save_page(editor, "Side", "personlige oplysninger: CPR 010203-4567\n", "", 1)
    wiki.save_page(editor, "Side", "offentlig tekst igen\n", "", 2)
    return wiki.page_by_title("Side").id


def test_suppressed_revision_is_listed_and_cannot_be_reverted_to(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, three_revisions: uuid.UUID
) -> None:
    assert isinstance(wiki.suppress_revision(admin, "Side", 2, "personal data"), int)

    page = wiki.page(three_revisions)
    assert page.suppressed == [2]
    assert page.body == "offentlig tekst igen\n"
    before = wiki.recorder.max_notification_id()
    with pytest.raises(RevisionSuppressed):
        wiki.revert_page(editor, "Side", 2)
    with pytest.raises(RevisionSuppressed):
        wiki.revert_page(admin, "Side", 2)
    assert wiki.suppress_revision(admin, "Side", 2, "again") is None
    assert wiki.recorder.max_notification_id() == before
    # Other revisions stay available.
    assert wiki.revert_page(editor, "Side", 1).version == 5


def test_suppression_event_names_the_digest_not_the_text(
    wiki: Wiki, admin: uuid.UUID, three_revisions: uuid.UUID
) -> None:
    revision_2 = list(wiki.events.get(three_revisions))[1]

    wiki.suppress_revision(admin, "Side", 2, "personal data")

    suppression = list(wiki.events.get(three_revisions))[-1]
    assert suppression.payload["type"] == "page.revision_suppressed"
    assert suppression.payload["data"] == {
        "revision": 2,
        "body_sha256": revision_2.payload["data"]["body_sha256"],
    }
    assert "CPR" not in json.dumps(suppression.payload)


def test_suppressed_text_is_not_exported(
    wiki: Wiki, admin: uuid.UUID, three_revisions: uuid.UUID
) -> None:
    wiki.suppress_revision(admin, "Side", 2, "personal data")

    lines = [json.loads(line) for line in export_log(wiki)]

    assert not any("CPR 010203-4567" in json.dumps(line, ensure_ascii=False) for line in lines)
    [redacted] = [
        line
        for line in lines
        if line["aggregate_id"] == str(three_revisions) and line["version"] == 2
    ]
    assert "body" not in redacted
    assert redacted["redacted_body_sha256"] == redacted["payload"]["data"]["body_sha256"]
    texts = {line.get("body") for line in lines if line["aggregate_id"] == str(three_revisions)}
    assert {"offentlig tekst\n", "offentlig tekst igen\n"} <= texts


def test_current_revision_cannot_be_suppressed(
    wiki: Wiki, admin: uuid.UUID, three_revisions: uuid.UUID
) -> None:
    before = wiki.recorder.max_notification_id()

    with pytest.raises(InvalidInput):
        wiki.suppress_revision(admin, "Side", 3, "reason")

    assert wiki.recorder.max_notification_id() == before
    assert wiki.page(three_revisions).suppressed == []


def test_current_text_cannot_be_suppressed_after_a_moderation_event(
    wiki: Wiki, admin: uuid.UUID, three_revisions: uuid.UUID
) -> None:
    """Version 3 is still the page's text after it was protected (version 4) and renamed."""
    wiki.protect_page(admin, "Side", "edit war")
    wiki.rename_page(admin, "Side", "Omdøbt side")
    before = wiki.recorder.max_notification_id()

    with pytest.raises(InvalidInput):
        wiki.suppress_revision(admin, "Omdøbt side", 3, "reason")

    assert wiki.recorder.max_notification_id() == before
    assert wiki.page(three_revisions).suppressed == []


@pytest.mark.parametrize("revision", [0, -1, 7])
def test_suppressing_a_revision_that_does_not_exist_is_refused(
    wiki: Wiki, admin: uuid.UUID, three_revisions: uuid.UUID, revision: int
) -> None:
    with pytest.raises((InvalidInput, RevisionNotFound)):
        wiki.suppress_revision(admin, "Side", revision, "reason")

    assert wiki.page(three_revisions).suppressed == []


def test_suppressing_a_revision_without_text_or_reason_is_refused(
    wiki: Wiki, admin: uuid.UUID, three_revisions: uuid.UUID
) -> None:
    wiki.protect_page(admin, "Side", "edit war")  # version 4: no text of its own
    wiki.save_page(admin, "Side", "version 5\n", "", 4)
    before = wiki.recorder.max_notification_id()

    with pytest.raises(InvalidInput):
        wiki.suppress_revision(admin, "Side", 4, "reason")
    with pytest.raises(InvalidInput):
        wiki.suppress_revision(admin, "Side", 2, "   ")

    assert wiki.recorder.max_notification_id() == before
    assert wiki.page(three_revisions).suppressed == []


def test_revert_to_an_unknown_version_is_not_found(
    wiki: Wiki, editor: uuid.UUID, three_revisions: uuid.UUID
) -> None:
    for version in (0, 4):
        with pytest.raises(RevisionNotFound):
            wiki.revert_page(editor, "Side", version)


# ---------------------------------------------------------------- renames


def test_rename_onto_an_existing_page_is_refused(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Første", "1\n")
    wiki.save_page(editor, "Anden", "2\n")
    before = wiki.recorder.max_notification_id()

    for by in (editor, admin):
        with pytest.raises(PageExists):
            wiki.rename_page(by, "Første", "anden")  # the same title once normalised

    assert wiki.recorder.max_notification_id() == before
    assert wiki.page_by_title("Anden").body == "2\n"
    assert wiki.page_by_title("Første").title == "Første"


def test_rename_onto_a_redirect_of_another_page_takes_it_over(
    wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Gammel", "den omdøbte side\n")
    wiki.rename_page(editor, "Gammel", "Ny")  # "Gammel" is now only a redirect to "Ny"
    wiki.save_page(editor, "Anden", "den anden side\n")
    moved = wiki.page_by_title("Ny").id

    result = wiki.rename_page(editor, "Anden", "Gammel")

    assert result.title == "Gammel" and result.changed
    taken = wiki.page_by_title("Gammel")
    assert (taken.title, taken.body) == ("Gammel", "den anden side\n")
    assert wiki.page_by_title("Ny").id == moved
    assert wiki.page_by_title("Anden").id == taken.id  # its old title redirects to it


def test_rename_back_onto_its_own_redirect(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Gammel", "tekst\n")
    wiki.rename_page(editor, "Gammel", "Ny")

    wiki.rename_page(editor, "Ny", "Gammel")

    page = wiki.page_by_title("Gammel")
    assert page.title == "Gammel" and page.version == 3
    assert wiki.page_by_title("Ny").id == page.id
    assert types_of_events(wiki, page.id) == [Page.Created, Page.Renamed, Page.Renamed]


def test_rename_to_the_same_title_changes_nothing(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    before = wiki.recorder.max_notification_id()

    result = wiki.rename_page(editor, "Side", "side")

    assert not result.changed and result.version == 1
    assert wiki.recorder.max_notification_id() == before


def test_rename_records_old_and_new_title(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Innovation i Århus", "tekst\n")

    wiki.rename_page(editor, "Innovation i Århus", "Innovation_i_Aalborg", "flyttet")

    page = wiki.page_by_title("Innovation i Aalborg")
    renamed = list(wiki.events.get(page.id))[-1]
    assert renamed.payload["summary"] == "flyttet"
    assert renamed.payload["data"] == {
        "old_title": "Innovation i Århus",
        "new_title": "Innovation i Aalborg",
        "old_slug": "Innovation_i_Århus",
        "new_slug": "Innovation_i_Aalborg",
    }


def test_an_administrator_cannot_revoke_their_own_role(wiki: Wiki, admin: uuid.UUID) -> None:
    with pytest.raises(Forbidden):
        wiki.revoke_role(admin, admin, ADMINISTRATOR)
    assert wiki.author(admin).is_administrator


def test_verifying_someone_already_verified_changes_nothing(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    before = wiki.author(editor).verification
    assert wiki.verify_author(admin, editor) is None
    assert wiki.author(editor).verification == before


@pytest.mark.parametrize("act", ["block", "protect", "delete"])
def test_an_administrators_act_needs_a_reason(
    wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID, act: str
) -> None:
    wiki.save_page(editor, "Side", "Tekst.\n")
    with pytest.raises(InvalidInput) as refused:
        if act == "block":
            wiki.block_author(admin, editor, "  ")
        elif act == "protect":
            wiki.protect_page(admin, "Side", "")
        else:
            wiki.delete_page(admin, "Side", "")
    assert refused.value.field == "reason"
    assert not wiki.author(editor).blocked and not wiki.page_by_title("Side").protected
