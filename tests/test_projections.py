"""The SQL read model on real SQLite and PostgreSQL stores: every view, rebuilds,
exactly-once application and the supervised projector."""

import itertools
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from storage.eventstore import open_projector
from storage.queries import WikiReader
from storage.readmodel import SqlProjector
from tests.conftest import view_rows
from tests.tamper import EventTable
from wikiengine.application import Wiki
from wikiengine.config import Settings
from wikiengine.errors import PageNotFound, RevisionNotFound, RevisionSuppressed

CASE = """---
kind: case
organisation: Aarhus Kommune
sector: kommune
recommendations: [Byg på tillid]
tags: [idéstorm]
---
En idéstorm i kommunen.
"""

RECOMMENDATION = """---
kind: recommendation
audience: Ledere
cases: [Idéstorm i Aarhus]
network: [Politikere og tillid]
---
Byg samarbejdet på tillid og dialog.
"""


class Clock:
    """A wiki clock the test moves forward by hand (for time travel)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def author(wiki: Wiki, admin: uuid.UUID, name: str) -> uuid.UUID:
    author_id = wiki.register_author(name)
    wiki.verify_author(admin, author_id)
    return author_id


# ---------------------------------------------------------------------- current page


def test_current_page_has_title_kind_fields_html_and_last_author(
    wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "Idéstorm i Aarhus", CASE, "Første udkast")
    wiki.save_page(admin, "Idéstorm i Aarhus", CASE + "\n## Effekt\n\nGod effekt.\n", "", 1)
    projector.catch_up()

    page = reader.page("Idéstorm_i_Aarhus")

    assert (page.title, page.slug, page.kind) == ("Idéstorm i Aarhus", "Idéstorm_i_Aarhus", "case")
    assert page.fields["sector"] == "kommune"
    assert page.fields["organisation"] == "Aarhus Kommune"
    assert (page.version, page.text_version) == (2, 2)
    assert page.body.endswith("God effekt.\n")
    assert '<h2 id="h-effekt">Effekt</h2>' in page.html
    assert "kind: case" not in page.html  # front matter is fields, not text
    assert page.toc == ((2, "h-effekt", "Effekt"),)
    assert page.updated_by.name == "Anna Ærø"
    assert page.created_by.name == "Bo Østergaard"
    assert page.updated_at > page.created_at


def test_unknown_page_is_not_found(projector: SqlProjector, reader: WikiReader) -> None:
    projector.catch_up()
    with pytest.raises(PageNotFound):
        reader.page("Findes ikke")


def test_a_page_view_is_at_most_three_queries(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    links = " ".join(f"[[Side {n}]]" for n in range(200))
    wiki.save_page(editor, "Mange links", links)
    for n in range(0, 200, 2):
        wiki.save_page(editor, f"Side {n}", "findes")
    projector.catch_up()
    read_model = projector.view
    issued: list[int] = []
    original = read_model.read

    def counting_read() -> Any:
        context = original()

        class Counted:
            def __enter__(self) -> Any:
                self.sql = context.__enter__()
                return self.sql

            def __exit__(self, *exc: Any) -> Any:
                issued.append(self.sql.statements)
                return context.__exit__(*exc)

        return Counted()

    read_model.read = counting_read  # type: ignore[method-assign]
    page = reader.page("Mange links")

    assert sum(issued) <= 3
    assert page.html.count('class="wikilink missing"') == 100
    assert page.html.count('class="wikilink"') == 100


# ---------------------------------------------------------------------- red and blue links


def test_red_link_turns_blue_when_the_target_is_created_without_rerendering(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "Forside", "Se [[Ny case]] og [[Andet]].")
    projector.catch_up()
    before = reader.page("Forside")
    assert '<a class="wikilink missing" href="/wiki/Ny_case">Ny case</a>' in before.html
    assert [link.exists for link in before.links] == [False, False]

    wiki.save_page(editor, "Ny case", "Nu findes den.")
    projector.catch_up()
    after = reader.page("Forside")

    assert '<a class="wikilink" href="/wiki/Ny_case">Ny case</a>' in after.html
    assert '<a class="wikilink missing" href="/wiki/Andet">Andet</a>' in after.html
    assert {link.title: link.exists for link in after.links} == {"Ny case": True, "Andet": False}
    with projector.view.read() as sql:
        assert sql.rows("SELECT rendered_version FROM view_pages WHERE title = 'Forside'") == [(1,)]


def test_a_link_to_a_deleted_page_is_red_again(
    wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "Forside", "Se [[Gammel]].")
    wiki.save_page(editor, "Gammel", "Snart væk.")
    wiki.delete_page(admin, "Gammel", "Forældet")
    projector.catch_up()

    assert 'class="wikilink missing"' in reader.page("Forside").html
    deleted = reader.page("Gammel")
    assert deleted.deleted
    assert deleted.body == "" and deleted.html == ""
    assert "Gammel" not in [title for title, _slug, _kind in reader.titles()]


# ---------------------------------------------------------------------- links and relations


def test_typed_relations_and_backlinks_in_both_directions(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "Idéstorm i Aarhus", CASE)
    wiki.save_page(editor, "Byg på tillid", RECOMMENDATION)
    wiki.save_page(editor, "Forside", "Læs [[Byg på tillid]].")
    projector.catch_up()

    outgoing = {(link.relation, link.title, link.exists) for link in reader.links("Byg på tillid")}
    assert outgoing == {
        ("cases", "Idéstorm i Aarhus", True),
        ("network", "Politikere og tillid", False),
    }
    incoming = {
        (link.relation, link.title, link.kind) for link in reader.backlinks("Byg på tillid")
    }
    assert incoming == {
        ("recommendations", "Idéstorm i Aarhus", "case"),
        ("link", "Forside", "article"),
    }
    case_incoming = {(link.relation, link.title) for link in reader.backlinks("Idéstorm i Aarhus")}
    assert case_incoming == {("cases", "Byg på tillid")}


def test_an_edit_that_removes_a_relation_removes_the_backlink(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "Idéstorm i Aarhus", CASE)
    wiki.save_page(editor, "Byg på tillid", RECOMMENDATION)
    wiki.save_page(
        editor, "Byg på tillid", RECOMMENDATION.replace("cases: [Idéstorm i Aarhus]\n", ""), "", 1
    )
    projector.catch_up()

    assert reader.backlinks("Idéstorm i Aarhus") == []
    assert [link.relation for link in reader.links("Byg på tillid")] == ["network"]


def test_renamed_page_keeps_a_redirect_and_its_backlinks(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "Gammel titel", "Indhold")
    wiki.save_page(editor, "Forside", "Se [[Gammel titel]].")
    wiki.rename_page(editor, "Gammel titel", "Ny titel")
    projector.catch_up()

    page = reader.page("Gammel titel")
    assert (page.title, page.redirected_from) == ("Ny titel", "Gammel_titel")
    assert [(r.slug, r.title) for r in reader.redirects()] == [("Gammel_titel", "Ny titel")]
    assert [link.title for link in reader.backlinks("Ny titel")] == ["Forside"]
    assert 'class="wikilink"' in reader.page("Forside").html  # a redirect counts as existing
    assert reader.revisions("Ny titel").revisions[0].type == "page.renamed"


# ---------------------------------------------------------------------- history


def test_revisions_are_paginated_with_size_delta_and_digest(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    texts = ["a\n", "a\nbb\n", "bb\n", "bb\ncccc\n", "cccc\n"]
    wiki.save_page(editor, "Side", texts[0], "v1")
    for version, text in enumerate(texts[1:], start=1):
        wiki.save_page(editor, "Side", text, f"v{version + 1}", version)
    projector.catch_up()

    first = reader.revisions("Side", limit=2)
    second = reader.revisions("Side", limit=2, before=first.next)
    third = reader.revisions("Side", limit=2, before=second.next)
    revisions = first.revisions + second.revisions + third.revisions

    assert [r.version for r in revisions] == [5, 4, 3, 2, 1]
    assert (first.next, second.next, third.next) == (4, 2, None)
    assert [r.size for r in revisions] == [len(t) for t in reversed(texts)]
    sizes = [0, *[len(t) for t in texts]]
    assert [r.delta for r in reversed(revisions)] == [b - a for a, b in itertools.pairwise(sizes)]
    assert [r.summary for r in revisions] == ["v5", "v4", "v3", "v2", "v1"]
    current = wiki.page_by_title("Side")
    assert revisions[0].digest == current.body_sha256
    assert {r.author.name for r in revisions} == {"Bo Østergaard"}
    assert revisions[-1].type == "page.created"


def test_recent_changes_are_newest_first_across_pages(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "En", "1", "første")
    wiki.save_page(editor, "To", "2", "anden")
    wiki.save_page(editor, "En", "1 igen", "tredje", 1)
    projector.catch_up()

    changes = reader.recent_changes(limit=10)
    assert [(c.title, c.version, c.summary) for c in changes] == [
        ("En", 2, "tredje"),
        ("To", 1, "anden"),
        ("En", 1, "første"),
    ]
    older = reader.recent_changes(limit=10, before=changes[0].position)
    assert [c.summary for c in older] == ["anden", "første"]


def test_time_travel_returns_the_version_current_at_that_moment(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    clock = Clock(datetime(2026, 1, 10, 9, 0, tzinfo=UTC))
    wiki.clock = clock
    wiki.save_page(editor, "Side", "januar\n")
    clock.advance(days=30)  # 2026-02-09
    wiki.save_page(editor, "Side", "februar\n", "", 1)
    clock.advance(days=30)  # 2026-03-11
    wiki.save_page(editor, "Side", "marts\n", "", 2)
    projector.catch_up()

    assert reader.at("Side", "2026-01-31T12:00:00Z").body == "januar\n"
    assert reader.at("Side", "2026-02-09T09:00:00Z").body == "februar\n"  # inclusive
    assert reader.at("Side", "2026-02-09T09:00:00+01:00").body == "januar\n"  # 08:00 UTC
    # `+` unescaped in a query string arrives as a space.
    assert reader.at("Side", "2026-02-09T09:00:00 01:00").body == "januar\n"
    assert reader.at("Side", "2026-03-01").version == 2
    assert reader.at("Side", "2027-01-01T00:00:00Z").body == "marts\n"
    with pytest.raises(RevisionNotFound):
        reader.at("Side", "2025-12-31T00:00:00Z")
    old = reader.at("Side", "2026-01-31T12:00:00Z")
    assert old.html == "<p>januar</p>\n"
    assert old.version == 1


def test_suppressed_text_cannot_be_read_back(
    wiki: Wiki, editor: uuid.UUID, admin: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    wiki.save_page(editor, "Side", "hemmeligt cpr-nummer\n")
    wiki.save_page(editor, "Side", "rettet\n", "", 1)
    wiki.suppress_revision(admin, "Side", 1, "Personoplysninger")
    projector.catch_up()

    with pytest.raises(RevisionSuppressed):
        reader.version("Side", 1)
    revisions = {r.version: r for r in reader.revisions("Side").revisions}
    assert revisions[1].suppressed and not revisions[2].suppressed
    assert revisions[3].type == "page.revision_suppressed"
    assert reader.version("Side", 2).body == "rettet\n"


# ---------------------------------------------------------------------- credit and blame


def test_blame_after_three_authors_with_a_moved_paragraph(
    wiki: Wiki, admin: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    anna, bo, cecilie = (author(wiki, admin, name) for name in ("Anna", "Bo", "Cecilie"))
    paragraph_a = "Første afsnit af Anna.\nDet fortsætter her.\n"
    paragraph_b = "Bos afsnit om effekt.\n"
    wiki.save_page(anna, "Side", paragraph_a)
    wiki.save_page(bo, "Side", paragraph_a + "\n" + paragraph_b, "", 1)
    # Cecilie moves Anna's paragraph to the end and adds her own line at the top.
    wiki.save_page(
        cecilie, "Side", "Cecilies indledning.\n\n" + paragraph_b + "\n" + paragraph_a, "", 2
    )
    projector.catch_up()

    blame = reader.blame("Side")
    by_line = [(line.text, line.author.name, line.version) for line in blame.lines]
    assert blame.version == 3
    assert by_line[0] == ("Cecilies indledning.", "Cecilie", 3)
    assert ("Bos afsnit om effekt.", "Bo", 2) in by_line
    assert by_line[-2:] == [
        ("Første afsnit af Anna.", "Anna", 1),
        ("Det fortsætter her.", "Anna", 1),
    ]
    assert "\n".join(line.text for line in blame.lines) + "\n" == wiki.page_by_title("Side").body


def test_credit_totals_add_up_to_the_history(
    wiki: Wiki, admin: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    anna, bo = author(wiki, admin, "Anna"), author(wiki, admin, "Bo")
    texts = ["Et\n", "Et\nTo\n", "Et ændret\nTo\n", "To\n", "To\nTre og fire\n"]
    writers = [anna, bo, anna, bo, bo]
    wiki.save_page(writers[0], "Side", texts[0])
    for version, (writer, text) in enumerate(zip(writers[1:], texts[1:], strict=True), start=1):
        wiki.save_page(writer, "Side", text, "", version)
    wiki.rename_page(anna, "Side", "Omdøbt side")  # not a text edit: no credit
    wiki.save_page(anna, "Anden side", "Annas anden side\n")
    projector.catch_up()

    contributors = {c.author.name: c for c in reader.credits("Omdøbt side")}
    text_revisions = [
        r for r in reader.revisions("Omdøbt side").revisions if r.type != "page.renamed"
    ]
    assert sum(c.edits for c in contributors.values()) == len(text_revisions) == 5
    assert (contributors["Anna"].edits, contributors["Bo"].edits) == (2, 3)
    total = sum(c.chars_added - c.chars_removed for c in contributors.values())
    assert total == len(texts[-1])
    assert contributors["Anna"].first_edit < contributors["Bo"].first_edit
    assert contributors["Bo"].last_edit == text_revisions[0].signed_at

    profile = reader.author(str(anna))
    assert profile.name == "Anna" and profile.verified
    assert {(c.title, c.edits) for c in profile.contributions} == {
        ("Omdøbt side", 2),
        ("Anden side", 1),
    }


# ---------------------------------------------------------------------- rebuild and exactly once


def test_rebuild_equals_the_incrementally_built_views(
    wiki: Wiki, admin: uuid.UUID, projector: SqlProjector
) -> None:
    anna, bo = author(wiki, admin, "Anna"), author(wiki, admin, "Bo")
    projector.start()  # live: small batches, rendered as they come
    for n in range(40):
        wiki.save_page(anna, f"Side {n}", f"[[Side {n + 1}]]\n\nTekst {n}\n")
    for n in range(0, 40, 3):
        wiki.save_page(bo, f"Side {n}", f"[[Side {n + 1}]]\n\nTekst {n} af Bo\n\nNy linje\n", "", 1)
    wiki.rename_page(bo, "Side 5", "Femte side")
    wiki.save_page(anna, "Sag", CASE)
    wiki.save_page(anna, "Byg på tillid", RECOMMENDATION)
    wiki.delete_page(admin, "Side 7", "Dublet")
    wiki.protect_page(admin, "Side 8", "Vigtig")
    wiki.save_page(anna, "Side 9", "ny\n", "", 2)
    wiki.suppress_revision(admin, "Side 9", 1, "Fejl")
    result = wiki.save_page(bo, "Side 10", "slut\n", "", 1)
    projector.wait(result.notification_id)
    projector.stop()
    incremental = view_rows(projector)

    projector.view.reset()
    assert all(rows == [] for rows in view_rows(projector).values())
    projector.catch_up()

    assert view_rows(projector) == incremental
    assert projector.view.stale_count() == 0


def test_a_batch_is_applied_exactly_once(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector
) -> None:
    wiki.save_page(editor, "Side", "tekst\n")
    projector.catch_up()
    before = view_rows(projector)
    notifications = wiki.recorder.select_notifications(start=1, limit=1000)
    events = [(wiki.mapper.to_domain_event(n), n.id) for n in notifications]

    with pytest.raises(IntegrityError):
        projector.view.apply(events, 0, notifications[-1].id)

    assert view_rows(projector) == before


def test_only_one_projector_holds_the_lock(
    settings: Any, wiki: Wiki, projector: SqlProjector
) -> None:
    from storage.eventstore import open_projector

    other = open_projector(settings, wiki)
    try:
        assert projector.lock.try_acquire()
        assert not other.lock.try_acquire()
        projector.lock.release()
        assert other.lock.try_acquire()
    finally:
        other.lock.release()
        other.view.close()


# ---------------------------------------------------------------------- following live


def test_read_your_writes_with_a_running_projector(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    projector.start()
    for version in range(1, 6):
        text = f"version {version}\n"
        result = (
            wiki.save_page(editor, "Side", text)
            if version == 1
            else wiki.save_page(editor, "Side", text, "", version - 1)
        )
        projector.wait(result.notification_id, timeout=5)
        assert reader.page("Side").body == text


def test_the_projector_recovers_from_a_failure(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    read_model = projector.view
    real_apply = read_model.apply
    failures = []

    def failing_once(*args: Any) -> None:
        if not failures:
            failures.append(True)
            raise ConnectionError("the database went away")
        real_apply(*args)

    read_model.apply = failing_once  # type: ignore[method-assign]
    projector.start()
    result = wiki.save_page(editor, "Side", "tekst\n")

    projector.wait(result.notification_id, timeout=10)
    assert projector.restarts == 1
    assert reader.page("Side").body == "tekst\n"


# ---------------------------------------------------------------------- authors and damage


def test_the_authors_view_follows_verification_roles_blocks_and_renames(
    wiki: Wiki, admin: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    bo = wiki.register_author("Bo")
    projector.catch_up()
    assert not reader.author(str(bo)).verified

    wiki.verify_author(admin, bo)
    wiki.grant_role(admin, bo, "administrator")
    wiki.block_author(admin, bo, "Hærværk")
    wiki.rename_author(admin, bo, "Bo Bøgh")
    projector.catch_up()

    profile = reader.author(str(bo))
    assert (profile.name, profile.verification, profile.roles, profile.blocked) == (
        "Bo Bøgh",
        "admin",
        ("administrator",),
        True,
    )
    wiki.unblock_author(admin, bo, "Fejl")
    wiki.revoke_role(admin, bo, "administrator")
    projector.catch_up()
    profile = reader.author(str(bo))
    assert (profile.roles, profile.blocked) == ((), False)


def test_a_damaged_row_is_skipped_and_the_rest_projected(
    settings: Any,
    wiki: Wiki,
    editor: uuid.UUID,
    projector: SqlProjector,
    reader: WikiReader,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wiki.save_page(editor, "Før", "tekst\n")
    wiki.save_page(editor, "Skadet", "tekst\n")
    edit = wiki.save_page(editor, "Skadet", "rettet\n", "", 1)
    last = wiki.save_page(editor, "Efter", "tekst\n")
    table = EventTable(settings, wiki)
    created = table.row(wiki.page_by_title("Skadet").id, 1)
    table.write_raw(created.position, b"not zlib, not json")

    projector.catch_up()

    assert reader.page("Før").body == "tekst\n"
    assert reader.page("Efter").body == "tekst\n"
    assert projector.view.position() == last.notification_id
    assert f"position {created.position} cannot be decoded" in caplog.text
    # The page's later edit cannot be applied without its start: skipped, not a stall.
    assert f"position {edit.notification_id} is skipped" in caplog.text


def test_a_page_not_rendered_yet_is_rendered_for_the_reader(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    for n in range(40):  # more pages than one batch renders inline
        wiki.save_page(editor, f"Side {n}", f"## Afsnit {n}\n\nTekst\n")
    wiki.save_page(editor, "Sag", CASE)
    notifications = wiki.recorder.select_notifications(start=1, limit=10_000)
    events = [(wiki.mapper.to_domain_event(n), n.id) for n in notifications]
    projector.view.apply(events, 0, notifications[-1].id)
    assert projector.view.stale_count() == 41

    page = reader.page("Sag")
    assert (page.kind, page.fields["sector"]) == ("case", "kommune")
    assert reader.page("Side 3").toc == ((2, "h-afsnit-3", "Afsnit 3"),)

    assert projector.view.render_stale() == 41
    assert projector.view.stale_count() == 0
    assert reader.page("Sag").html == page.html


def test_lists_are_in_danish_order_on_every_database(
    wiki: Wiki, editor: uuid.UUID, projector: SqlProjector, reader: WikiReader
) -> None:
    titles = ["Æble", "apple", "Banana", "Øen", "zebra", "Ål"]
    for title in titles:
        wiki.save_page(editor, title, "[[Forside]]")
    wiki.save_page(editor, "Forside", " ".join(f"[[{title}]]" for title in titles))
    projector.catch_up()

    expected = ["Apple", "Banana", "Zebra", "Æble", "Øen", "Ål"]
    assert [title for title, _slug, _kind in reader.titles()] == [
        "Apple",
        "Banana",
        "Forside",
        "Zebra",
        "Æble",
        "Øen",
        "Ål",
    ]
    assert [link.title for link in reader.links("Forside")] == expected
    assert [link.title for link in reader.backlinks("Forside")] == expected


def test_a_read_model_of_an_older_shape_is_rebuilt_when_opened(
    wiki: Wiki, editor: uuid.UUID, settings: Settings, projector: SqlProjector
) -> None:
    """An upgrade that adds a table (the audit log did) must not leave it empty while the
    position says everything is applied."""
    wiki.save_page(editor, "Side", "Tekst.\n")
    projector.catch_up()
    expected = view_rows(projector)
    with projector.view._write() as sql:  # as a release without `view_audit` left it
        sql.run("DROP TABLE view_audit")
        sql.run("DROP TABLE view_schema")

    reopened = open_projector(settings, wiki)
    try:
        assert reopened.view.position() == 0  # forgotten: the next catch-up rebuilds
        reopened.catch_up()
        assert view_rows(reopened) == expected
    finally:
        reopened.view.close()
