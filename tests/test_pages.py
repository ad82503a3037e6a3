"""Page commands through the application service, on SQLite and PostgreSQL."""

import uuid

import pytest

from wikiengine.application import Wiki
from wikiengine.errors import (
    EditConflict,
    InvalidInput,
    InvalidTitle,
    PageExists,
    PageNotFound,
    RevisionSuppressed,
    UnresolvedConflict,
)


def test_create_then_edit_from_current_version(wiki: Wiki, editor: uuid.UUID) -> None:
    created = wiki.save_page(editor, "Innovation i Århus", "Første udgave\n", "Oprettet")
    edited = wiki.save_page(editor, "Innovation_i_Århus", "Anden udgave\n", "Rettet", 1)

    page = wiki.page_by_title("innovation i Århus")
    assert (created.version, edited.version) == (1, 2)
    assert page.title == "Innovation i Århus"
    assert page.body == "Anden udgave\n"
    assert not edited.merged


def test_stale_base_with_separate_changes_is_merged(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Kommunerne", "linje 1\nlinje 2\nlinje 3\n")
    wiki.save_page(editor, "Kommunerne", "LINJE 1\nlinje 2\nlinje 3\n", "top", 1)

    result = wiki.save_page(editor, "Kommunerne", "linje 1\nlinje 2\nLINJE 3\n", "bund", 1)

    assert result.merged
    assert wiki.page_by_title("Kommunerne").body == "LINJE 1\nlinje 2\nLINJE 3\n"
    last = list(wiki.events.get(wiki.page_by_title("Kommunerne").id))[-1]
    assert "3-way merge" in last.payload["summary"]
    assert last.payload["data"]["merged"] is True


def test_overlapping_change_raises_conflict_and_saves_nothing(
    wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Kommunerne", "linje 1\nlinje 2\n")
    wiki.save_page(editor, "Kommunerne", "deres linje\nlinje 2\n", "", 1)

    with pytest.raises(EditConflict) as caught:
        wiki.save_page(editor, "Kommunerne", "min linje\nlinje 2\n", "", 1)

    conflict = caught.value
    assert conflict.current_version == 2
    assert "deres linje" in conflict.merged_body and "min linje" in conflict.merged_body
    assert "<<<<<<<" in conflict.merged_body and ">>>>>>>" in conflict.merged_body
    assert wiki.page_by_title("Kommunerne").version == 2


def test_rename_leaves_a_redirect_and_frees_nothing_else(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Gammel titel", "tekst\n")
    wiki.save_page(editor, "Optaget", "andet\n")

    wiki.rename_page(editor, "Gammel titel", "Ny titel")

    assert wiki.page_by_title("Gammel titel").title == "Ny titel"
    assert wiki.page_by_title("Ny titel").body == "tekst\n"
    with pytest.raises(PageExists):
        wiki.rename_page(editor, "Ny titel", "Optaget")
    with pytest.raises(PageNotFound):
        wiki.page_by_title("Findes ikke")


def test_revert_is_a_new_revision_with_the_old_text(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Side", "v1\n")
    wiki.save_page(editor, "Side", "v2\n", "", 1)

    result = wiki.revert_page(editor, "Side", 1)

    assert result.version == 3
    assert wiki.page_by_title("Side").body == "v1\n"
    assert wiki.page_at(wiki.page_by_title("Side").id, 2).body == "v2\n"


def test_a_text_with_unresolved_conflict_markers_is_refused(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Konflikt", "Linje et.\n")
    with pytest.raises(EditConflict) as conflict:
        wiki.save_page(editor, "Konflikt", "ny linje\n", base_version=None)
    merged = conflict.value.merged_body
    with pytest.raises(UnresolvedConflict) as refused:
        wiki.save_page(editor, "Konflikt", merged, base_version=1)
    assert (refused.value.field, refused.value.line) == ("body", 1)
    assert wiki.page_by_title("Konflikt").version == 1
    # A setext heading's underline alone is no conflict.
    wiki.save_page(editor, "Konflikt", "Overskrift\n=======\n", base_version=1)


def test_a_suppressed_version_cannot_be_a_merge_base(
    wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    """Whether a merge against hidden text succeeds would tell what the text says."""
    wiki.save_page(editor, "Skjult", "Personoplysninger.\n")
    wiki.save_page(editor, "Skjult", "Rettet.\n", base_version=1)
    wiki.suppress_revision(admin, "Skjult", 1, "personoplysninger")
    with pytest.raises(RevisionSuppressed):
        wiki.save_page(editor, "Skjult", "Personoplysninger og mere.\n", base_version=1)
    assert wiki.page_by_title("Skjult").version == 3  # edited, then the suppression


@pytest.mark.parametrize("name", ["Anna\u202eArø", "Anna\u200bArø", "Anna\x07"])
def test_names_with_invisible_or_control_characters_are_refused(wiki: Wiki, name: str) -> None:
    with pytest.raises(InvalidInput):
        wiki.register_author(name)


@pytest.mark.parametrize(
    "title", ["Foo/diff", "Foo/edit", "Foo / history", "Foo/revisions/3", "A/b/blame"]
)
def test_a_title_may_not_end_like_a_page_action(wiki: Wiki, editor: uuid.UUID, title: str) -> None:
    with pytest.raises(InvalidTitle):
        wiki.save_page(editor, title, "Tekst.\n")
    wiki.save_page(editor, "Foo", "Tekst.\n")
    with pytest.raises(InvalidTitle):
        wiki.rename_page(editor, "Foo", title)
    wiki.save_page(editor, "Foo/Diff og andet", "Stort D, og mere efter: en almindelig titel.\n")


def test_a_rename_from_a_stale_version_does_not_undo_another_rename(
    wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Side R", "Tekst.\n")
    wiki.rename_page(editor, "Side R", "Side S", base_version=1)
    with pytest.raises(EditConflict):
        wiki.rename_page(editor, "Side R", "Side T", base_version=1)
    assert wiki.page_by_title("Side R").title == "Side S"


def test_saving_the_same_text_again_reports_no_merge(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Uændret", "Tekst.\n")
    result = wiki.save_page(editor, "Uændret", "Tekst.\n", base_version=None)
    assert (result.version, result.changed, result.merged) == (1, False, False)


def test_a_version_that_only_moderated_the_page_does_not_bring_hidden_text_back(
    wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID
) -> None:
    """v3 only protected the page, so it shows v2's text: once v2 is hidden, neither a
    revert to v3 nor a merge from v3 may reach that text."""
    wiki.save_page(editor, "Side", "Ren tekst.\n")
    wiki.save_page(editor, "Side", "Ren tekst.\nHEMMELIG CPR 010101-1234\n", base_version=1)
    wiki.protect_page(admin, "Side", "ro")  # v3
    wiki.unprotect_page(admin, "Side", "ro igen")  # v4
    wiki.save_page(editor, "Side", "Ren tekst.\n", base_version=4)  # v5
    wiki.suppress_revision(admin, "Side", 2, "personoplysninger")  # v6
    with pytest.raises(RevisionSuppressed):
        wiki.revert_page(editor, "Side", 3)
    with pytest.raises(RevisionSuppressed):
        wiki.save_page(editor, "Side", "Ren tekst.\nNoget andet.\n", base_version=3)
    assert "HEMMELIG" not in wiki.page_by_title("Side").body
    wiki.revert_page(editor, "Side", 1)  # a version with text of its own still works
