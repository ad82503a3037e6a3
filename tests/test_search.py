"""Search: Danish full text over the pages, facets, and relations both ways.

The texts are sentences of COI's action plan (`../shared/context/coi-handlingsplan-2014.txt`).
Every test writes through the signed edit path and reads through a real whoosh index in
the test's data directory, filled by the search indexer from the event log.
"""

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from search.index import SearchIndex
from search.indexer import SearchProjector, index_directory, open_search_projector
from search.results import SearchRequest, SearchResults
from wikiengine.application import Wiki
from wikiengine.config import Settings

RECOMMENDATION = """---
kind: recommendation
audience: ledere
theme: kultur
cases: [Idéstorme i Aarhus Kommune]
network: [Politikerens rolle]
tags: [kultur, tillid]
---
Offentlige medarbejdere har mange gode ideer til, hvordan deres arbejdsopgaver kan løses
bedre, men de kommer ikke nødvendigvis frem med dem, hvis samarbejdet på arbejdspladsen
ikke er baseret på tillid og dialog.
"""

CASE = """---
kind: case
organisation: Aarhus Kommune
sector: kommune
area: borgerinddragelse
effect: Naturstyrelsen og Aarhus Kommune har med god effekt anvendt tilsvarende værktøjer.
tags: [idéstorm, tillid]
---
En konkret metode er webbaserede idéstorme, hvor man kan give sin mening til kende om et
emne inden for en afgrænset periode. Herefter vurderes forslagene.
"""

NETWORK = """---
kind: network
level: kommunalbestyrelse
cases: [Idéstorme i Aarhus Kommune]
recommendations: [Fremme en innovativ kultur]
---
Politikere kan både modvirke og understøtte offentlig innovation. De kan blandt andet
understøtte innovation ved at stå imod, når de presses til at gribe til snuptagsløsninger,
nye regler og detailstyring.
"""

LABORATORIES = """---
kind: case
sector: stat
tags: [styring]
---
Parterne gennemfører i 2014 og 2015 en række laboratorier med fokus på at udvikle
styreformer, der afspejler principperne for samarbejde om modernisering af den offentlige
sektor.
"""

WIKI_ARTICLE = """Sammen med andre vil COI igangsætte en åben wiki om offentlig innovation.
På innovationswikien vil ingen bidragsyder kunne være anonym, og alle redigeringer vil være
tilgængelige i en historik, der krediterer den navngivne ophavsmand.
"""


@pytest.fixture
def indexer(settings: Settings, wiki: Wiki) -> Iterator[SearchProjector]:
    running = open_search_projector(settings, wiki)
    yield running
    running.stop()
    running.view.close()


@pytest.fixture
def coi(wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID) -> dict[str, uuid.UUID]:
    """Five pages by two authors; the administrator wrote the article and the laboratories."""
    wiki.save_page(editor, "Fremme en innovativ kultur", RECOMMENDATION)
    wiki.save_page(editor, "Idéstorme i Aarhus Kommune", CASE)
    wiki.save_page(editor, "Politikerens rolle", NETWORK)
    wiki.save_page(admin, "Styringslaboratorier", LABORATORIES)
    wiki.save_page(admin, "Innovationswiki", WIKI_ARTICLE)
    return {"admin": admin, "editor": editor}


def search(indexer: SearchProjector, text: str = "", **filters: Any) -> SearchResults:
    indexer.catch_up()
    related_to = filters.pop("related_to", None)
    limit = filters.pop("limit", 10)
    offset = filters.pop("offset", 0)
    wanted = {name: tuple(v) if isinstance(v, list) else (v,) for name, v in filters.items()}
    return indexer.view.search(SearchRequest(text, wanted, related_to, limit, offset))


def titles(found: SearchResults) -> list[str]:
    return [hit.title for hit in found.hits]


def related(found: SearchResults, title: str) -> set[tuple[str, str, str]]:
    hit = next(hit for hit in found.hits if hit.title == title)
    return {(page.title, page.relation, page.direction) for page in hit.related}


# ---------------------------------------------------------------------- Danish text


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("kommunerne", "Idéstorme i Aarhus Kommune"),  # Kommune
        ("medarbejderen", "Fremme en innovativ kultur"),  # medarbejdere
        ("politikeren", "Politikerens rolle"),  # Politikere
        ("laboratoriet", "Styringslaboratorier"),  # laboratorier
        ("redigering", "Innovationswiki"),  # redigeringer
        ("idéstormen", "Idéstorme i Aarhus Kommune"),  # idéstorme
    ],
)
def test_inflected_forms_find_each_other(
    indexer: SearchProjector, coi: dict[str, uuid.UUID], typed: str, expected: str
) -> None:
    assert titles(search(indexer, typed)) == [expected]


def test_all_words_must_match_and_stopwords_are_ignored(
    indexer: SearchProjector, coi: dict[str, uuid.UUID]
) -> None:
    assert titles(search(indexer, "tillid dialog")) == ["Fremme en innovativ kultur"]
    assert titles(search(indexer, "tillid og dialog")) == ["Fremme en innovativ kultur"]
    assert titles(search(indexer, "tillid snuptagsløsninger")) == []
    assert search(indexer, "og det").total == 5  # nothing searchable: every page


def test_front_matter_text_fields_are_searchable(
    indexer: SearchProjector, coi: dict[str, uuid.UUID]
) -> None:
    assert titles(search(indexer, "Naturstyrelsen")) == ["Idéstorme i Aarhus Kommune"]


def test_phrases_need_their_words_in_order(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.save_page(editor, "Spredning", "Innovation kan spredes i den offentlige sektor.\n")

    assert set(titles(search(indexer, "offentlig innovation"))) == {
        "Politikerens rolle",
        "Innovationswiki",
        "Spredning",
    }
    assert set(titles(search(indexer, '"offentlig innovation"'))) == {
        "Politikerens rolle",
        "Innovationswiki",
    }
    assert titles(search(indexer, '"innovation offentlig"')) == []


def test_prefixes_expand_to_words(indexer: SearchProjector, coi: dict[str, uuid.UUID]) -> None:
    assert set(titles(search(indexer, "innovationswik*"))) == {"Innovationswiki"}
    assert set(titles(search(indexer, "styrings*"))) == {"Styringslaboratorier"}
    assert set(titles(search(indexer, "kommune*"))) == {"Idéstorme i Aarhus Kommune"}


def test_a_minus_excludes(indexer: SearchProjector, coi: dict[str, uuid.UUID]) -> None:
    assert titles(search(indexer, "innovation -politikere")) == ["Innovationswiki"]


def test_titles_weigh_more_than_text(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.save_page(editor, "Tillid", "Om tillid på arbejdspladsen.\n")

    assert titles(search(indexer, "tillid"))[0] == "Tillid"


def test_snippets_mark_the_matched_forms_and_escape_the_text(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Kode", "Skriv <script>alert(1)</script> & se kommunerne.\n")

    snippet = search(indexer, "kommune").hits[0].snippet_html

    assert "<mark" in snippet and ">kommunerne</mark>" in snippet
    assert "<script>" not in snippet and "&lt;script&gt;" in snippet and "&amp;" in snippet


def test_snippets_find_a_match_far_into_a_long_page(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID
) -> None:
    filler = "Parterne gennemfører en række laboratorier med fokus på styreformer.\n" * 60
    wiki.save_page(editor, "Langt", filler + "Til sidst: kommunerne.\n")

    snippet = search(indexer, "kommune").hits[0].snippet_html

    assert ">kommunerne</mark>" in snippet


def test_snippets_show_text_not_markup(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Links", "Se **[[Innovationswiki|wikien]]** om _kommunerne_.\n")

    snippet = search(indexer, "kommune").hits[0].snippet_html

    assert "wikien" in snippet
    assert not any(mark in snippet for mark in ("**", "[[", "_kommunerne_"))


# ---------------------------------------------------------------------- facets


def facet(found: SearchResults, name: str) -> dict[str, int]:
    return {value.value: value.count for value in found.facets[name]}


def test_facets_count_the_matches(indexer: SearchProjector, coi: dict[str, uuid.UUID]) -> None:
    found = search(indexer, "")

    assert found.total == 5
    assert facet(found, "kind") == {"case": 2, "recommendation": 1, "network": 1, "article": 1}
    assert facet(found, "sector") == {"kommune": 1, "stat": 1}
    assert facet(found, "tags") == {"tillid": 2, "kultur": 1, "idéstorm": 1, "styring": 1}
    assert facet(found, "theme") == {"kultur": 1}
    authors = {value.label: value.count for value in found.facets["authors"]}
    assert authors == {"Bo Østergaard": 3, "Anna Ærø": 2}


def test_facets_follow_the_query_and_filters(
    indexer: SearchProjector, coi: dict[str, uuid.UUID]
) -> None:
    found = search(indexer, "tillid")
    assert facet(found, "kind") == {"recommendation": 1, "case": 1}

    cases = search(indexer, "", kind="case")
    assert set(titles(cases)) == {"Idéstorme i Aarhus Kommune", "Styringslaboratorier"}
    assert facet(cases, "sector") == {"kommune": 1, "stat": 1}

    either = search(indexer, "", kind=["case", "network"], sector="kommune")
    assert titles(either) == ["Idéstorme i Aarhus Kommune"]
    by_editor = search(indexer, "", tags="tillid", authors=str(coi["editor"]))
    assert set(titles(by_editor)) == {"Idéstorme i Aarhus Kommune", "Fremme en innovativ kultur"}
    assert search(indexer, "", tags="tillid", authors=str(coi["admin"])).total == 0
    assert titles(search(indexer, "", level="kommunalbestyrelse")) == ["Politikerens rolle"]
    assert titles(search(indexer, "", audience="ledere")) == ["Fremme en innovativ kultur"]


@pytest.mark.parametrize("sort_max", [0, 2_000])  # walking each segment, sorting matches
def test_the_newest_first_survives_whoosh_merging_segments(
    indexer: SearchProjector,
    wiki: Wiki,
    editor: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
    sort_max: int,
) -> None:
    monkeypatch.setattr("search.engine.NEWEST_SORT_MAX", sort_max)
    for number in range(14):  # a commit each: whoosh merges small segments, reordering
        wiki.save_page(editor, f"Side {number}", f"Tekst {number}.\n")
        indexer.catch_up()
    wiki.save_page(editor, "Side 3", "Ny tekst.\n", base_version=1)

    assert titles(search(indexer, "", limit=4)) == ["Side 3", "Side 13", "Side 12", "Side 11"]
    assert titles(search(indexer, "", limit=3, offset=10)) == ["Side 4", "Side 2", "Side 1"]


def test_the_newest_first_across_segments_of_unequal_size(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("search.engine.NEWEST_SORT_MAX", 0)  # walk the segments
    for number in range(6):
        wiki.save_page(editor, f"Side {number}", f"Tekst {number}.\n")
    indexer.catch_up()  # a segment of six pages
    for number in range(6, 8):
        wiki.save_page(editor, f"Side {number}", f"Tekst {number}.\n")
    indexer.catch_up()  # and one of two
    assert len(indexer.view.searcher().leaf_searchers()) > 1

    newest = titles(search(indexer, "", limit=8))

    assert newest == [f"Side {number}" for number in range(7, -1, -1)]


def test_a_search_without_words_lists_the_newest_first(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.save_page(editor, "Styringslaboratorier", LABORATORIES + "\nNyt afsnit.\n", base_version=1)

    assert titles(search(indexer, ""))[0] == "Styringslaboratorier"
    assert titles(search(indexer, "", limit=2, offset=1)) == [
        "Innovationswiki",
        "Politikerens rolle",
    ]


# ---------------------------------------------------------------------- relations


def test_a_recommendation_lists_its_cases_and_network_topics(
    indexer: SearchProjector, coi: dict[str, uuid.UUID]
) -> None:
    found = search(indexer, "arbejdsopgaver")

    assert related(found, "Fremme en innovativ kultur") == {
        ("Idéstorme i Aarhus Kommune", "cases", "out"),
        ("Politikerens rolle", "network", "out"),
        ("Politikerens rolle", "recommendations", "in"),
    }


def test_a_case_lists_the_recommendations_and_topics_citing_it(
    indexer: SearchProjector, coi: dict[str, uuid.UUID]
) -> None:
    found = search(indexer, "idéstorme")

    assert related(found, "Idéstorme i Aarhus Kommune") == {
        ("Fremme en innovativ kultur", "cases", "in"),
        ("Politikerens rolle", "cases", "in"),
    }
    kinds = {page.title: page.kind for page in found.hits[0].related}
    assert kinds == {
        "Fremme en innovativ kultur": "recommendation",
        "Politikerens rolle": "network",
    }


def test_related_to_filters_pages_related_either_way(
    indexer: SearchProjector, coi: dict[str, uuid.UUID]
) -> None:
    citing = search(indexer, "", related_to="Idéstorme i Aarhus Kommune")
    assert set(titles(citing)) == {"Fremme en innovativ kultur", "Politikerens rolle"}

    named = search(indexer, "", related_to="Fremme en innovativ kultur")
    assert set(titles(named)) == {"Idéstorme i Aarhus Kommune", "Politikerens rolle"}


def test_related_to_follows_a_renamed_page(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.rename_page(editor, "Idéstorme i Aarhus Kommune", "Idéstorme i Aarhus", "kortere")

    citing = search(indexer, "", related_to="Idéstorme i Aarhus")

    assert set(titles(citing)) == {"Fremme en innovativ kultur", "Politikerens rolle"}


def test_an_edit_removing_a_relation_removes_it_from_search(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    search(indexer)  # indexed with the relation
    without_case = RECOMMENDATION.replace("cases: [Idéstorme i Aarhus Kommune]\n", "")
    wiki.save_page(editor, "Fremme en innovativ kultur", without_case, base_version=1)

    recommendation = search(indexer, "arbejdsopgaver")
    assert ("Idéstorme i Aarhus Kommune", "cases", "out") not in related(
        recommendation, "Fremme en innovativ kultur"
    )
    case = search(indexer, "idéstorme")
    assert related(case, "Idéstorme i Aarhus Kommune") == {("Politikerens rolle", "cases", "in")}
    assert set(titles(search(indexer, "", related_to="Idéstorme i Aarhus Kommune"))) == {
        "Politikerens rolle"
    }


def test_a_relation_to_a_renamed_page_follows_it(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.rename_page(editor, "Idéstorme i Aarhus Kommune", "Idéstorme i Aarhus", "kortere")

    found = search(indexer, "arbejdsopgaver")

    assert ("Idéstorme i Aarhus", "cases", "out") in related(found, "Fremme en innovativ kultur")
    assert titles(search(indexer, "idéstorme")) == ["Idéstorme i Aarhus"]
    assert search(indexer, "idéstorme").hits[0].slug == "Idéstorme_i_Aarhus"


def test_an_old_title_taken_by_a_new_page_names_the_new_page(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.rename_page(editor, "Idéstorme i Aarhus Kommune", "Idéstorme i Aarhus", "kortere")
    search(indexer)  # the renamed page is indexed under both titles
    wiki.save_page(editor, "Ny sag", "---\nkind: case\n---\nEn ny sag.\n")
    wiki.rename_page(editor, "Ny sag", "Idéstorme i Aarhus Kommune", "tager det gamle navn")

    found = search(indexer, "arbejdsopgaver")

    named = {page[0] for page in related(found, "Fremme en innovativ kultur")}
    assert "Idéstorme i Aarhus Kommune" in named and "Idéstorme i Aarhus" not in named
    old_case = search(indexer, "webbaserede")
    assert related(old_case, "Idéstorme i Aarhus") == set()


def test_a_relation_to_a_page_not_yet_written_appears_when_it_is(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Fremme en innovativ kultur", RECOMMENDATION)
    assert related(search(indexer, "arbejdsopgaver"), "Fremme en innovativ kultur") == set()

    wiki.save_page(editor, "Politikerens rolle", "Politikere og innovation.\n")

    assert related(search(indexer, "arbejdsopgaver"), "Fremme en innovativ kultur") == {
        ("Politikerens rolle", "network", "out")
    }


# ---------------------------------------------------------------------- only current content


def test_old_and_suppressed_text_is_not_found(
    indexer: SearchProjector, wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    wiki.save_page(editor, "Borgerlyst", "Kontakt Jens Hansen, cpr 010101-1234.\n")
    wiki.save_page(editor, "Borgerlyst", "Kontakt samfundslaboratoriet.\n", base_version=1)
    assert titles(search(indexer, "Hansen")) == []

    wiki.suppress_revision(admin, "Borgerlyst", 1, "personoplysninger")

    for typed in ("Hansen", "010101", "cpr", "Jens"):
        found = search(indexer, typed)
        assert found.total == 0, typed
        assert all("Hansen" not in hit.snippet_html for hit in found.hits)
    assert titles(search(indexer, "samfundslaboratoriet")) == ["Borgerlyst"]


def test_deleted_pages_are_not_found_until_restored(
    indexer: SearchProjector, wiki: Wiki, admin: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.delete_page(admin, "Styringslaboratorier", "dublet")

    assert titles(search(indexer, "laboratorier")) == []
    assert facet(search(indexer), "kind")["case"] == 1
    assert "Styringslaboratorier" not in titles(search(indexer, "", limit=100))

    wiki.restore_page(admin, "Styringslaboratorier", "ikke en dublet")

    assert titles(search(indexer, "laboratorier")) == ["Styringslaboratorier"]


def test_a_deleted_page_is_not_listed_as_related(
    indexer: SearchProjector, wiki: Wiki, admin: uuid.UUID, coi: dict[str, uuid.UUID]
) -> None:
    wiki.delete_page(admin, "Politikerens rolle", "forældet")

    assert related(search(indexer, "idéstorme"), "Idéstorme i Aarhus Kommune") == {
        ("Fremme en innovativ kultur", "cases", "in")
    }


# ---------------------------------------------------------------------- the indexer


def stored_documents(index: SearchIndex) -> dict[str, dict[str, Any]]:
    return {fields["id"]: fields for fields in index.searcher().all_stored_fields()}


def test_rebuild_equals_incremental(
    indexer: SearchProjector, wiki: Wiki, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    for step, (title, body) in enumerate(
        [
            ("Fremme en innovativ kultur", RECOMMENDATION),
            ("Idéstorme i Aarhus Kommune", CASE),
            ("Politikerens rolle", NETWORK),
            ("Styringslaboratorier", LABORATORIES),
        ]
    ):
        wiki.save_page(editor if step % 2 else admin, title, body)
        indexer.catch_up()  # one batch per step: the incremental way
    wiki.save_page(
        admin, "Fremme en innovativ kultur", RECOMMENDATION + "\nMere.\n", base_version=1
    )
    indexer.catch_up()
    wiki.rename_page(editor, "Styringslaboratorier", "Laboratorier", "kortere")
    indexer.catch_up()
    wiki.delete_page(admin, "Politikerens rolle", "forældet")
    indexer.catch_up()
    wiki.rename_author(admin, editor, "Bo Ø. Østergaard")
    indexer.catch_up()
    incremental = stored_documents(indexer.view)

    indexer.view.reset()
    assert indexer.view.position() == 0
    indexer.catch_up()

    assert stored_documents(indexer.view) == incremental
    assert incremental[f"author:{editor}"]["author_name"] == "Bo Ø. Østergaard"


def test_a_parallel_rebuild_equals_incremental(
    settings: Settings,
    indexer: SearchProjector,
    wiki: Wiki,
    coi: dict[str, uuid.UUID],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wiki.rename_page(coi["editor"], "Styringslaboratorier", "Laboratorier", "kortere")
    for number in range(250):  # whoosh hands out 100 documents per job: several processes
        wiki.save_page(coi["editor"], f"Side {number}", f"Tekst nummer {number}.\n")
    indexer.catch_up()
    incremental = stored_documents(indexer.view)
    indexer.view.close()
    monkeypatch.setattr("search.index.PARALLEL_MIN_EVENTS", 1)  # however small the batch
    monkeypatch.setattr("search.index.MAX_SEGMENTS", 1)  # then merged into one segment

    parallel = open_search_projector(settings, wiki, processes=2)
    parallel.view.reset()
    parallel.catch_up()

    assert stored_documents(parallel.view) == incremental
    assert len(parallel.view.searcher().leaf_searchers()) == 1
    assert titles(search(parallel, "laboratoriet")) == ["Laboratorier"]
    parallel.view.close()


def test_the_position_is_committed_with_the_documents(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    from whoosh.writing import SegmentWriter

    wiki.save_page(editor, "Tillid", "Om tillid.\n")
    indexer.view.forget()  # an empty index, as the projector makes it
    real_update = SegmentWriter.update_document

    def failing_position(self: Any, **fields: Any) -> None:
        if fields["id"] == "__tracking__":  # the pages are written: now the position fails
            raise OSError("disk full")
        real_update(self, **fields)

    monkeypatch.setattr(SegmentWriter, "update_document", failing_position)
    with pytest.raises(OSError, match="disk full"):
        indexer.catch_up()

    assert indexer.view.position() == 0
    assert indexer.view.search(SearchRequest("tillid")).total == 0  # nor the pages
    monkeypatch.undo()
    assert titles(search(indexer, "tillid")) == ["Tillid"]


def test_a_batch_is_applied_only_at_its_position(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID
) -> None:
    from search.index import IndexMovedOn

    wiki.save_page(editor, "Tillid", "Om tillid.\n")
    indexer.catch_up()

    with pytest.raises(IndexMovedOn):
        indexer.view.apply([], 0, 1)


def test_a_damaged_index_is_rebuilt_from_the_log(
    settings: Settings, wiki: Wiki, coi: dict[str, uuid.UUID]
) -> None:
    first = open_search_projector(settings, wiki)
    first.catch_up()
    first.view.close()
    for table_of_contents in index_directory(settings).glob("*.toc"):
        table_of_contents.write_bytes(b"not an index")

    again = open_search_projector(settings, wiki)
    again.catch_up()

    assert search(again, "kommunerne").total == 1
    again.view.close()


def test_a_missing_index_is_rebuilt_and_searching_before_says_so(
    settings: Settings, wiki: Wiki, coi: dict[str, uuid.UUID]
) -> None:
    from search.index import SearchUnavailable

    indexer = open_search_projector(settings, wiki)
    with pytest.raises(SearchUnavailable):
        indexer.view.search(SearchRequest("kommune"))

    assert search(indexer, "kommune").total == 1
    indexer.view.close()


def test_an_index_of_another_store_is_not_trusted(
    settings: Settings, wiki: Wiki, coi: dict[str, uuid.UUID]
) -> None:
    indexer = open_search_projector(settings, wiki)
    indexer.catch_up()
    indexer.view.close()
    stranger = SearchIndex(index_directory(settings), lambda: "sqlite:///other#abc", lambda: 10**9)
    stranger.forget()  # the indexer's first step: it replaces what it cannot trust

    assert stranger.position() == 0
    stranger.close()


def test_an_index_of_another_version_is_rebuilt(
    indexer: SearchProjector, coi: dict[str, uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    indexer.catch_up()
    assert indexer.view.position() > 0
    monkeypatch.setattr("search.index.SCHEMA_VERSION", 2)

    indexer.view.forget()

    assert indexer.view.position() == 0
    assert search(indexer, "kommunerne").total == 1  # and filled again


def test_a_long_backlog_is_caught_up_before_following(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(200):  # more events than one live batch
        saved = wiki.save_page(editor, f"Side {number}", f"Kommunerne nummer {number}.\n")
    catch_ups = []
    real_catch_up = indexer.catch_up
    monkeypatch.setattr(
        indexer, "catch_up", lambda **kwargs: catch_ups.append(1) or real_catch_up(**kwargs)
    )

    indexer.start()
    indexer.wait(saved.notification_id, timeout=30)

    assert catch_ups
    assert indexer.view.search(SearchRequest("kommune")).total == 200


def test_live_edits_become_searchable(
    indexer: SearchProjector, wiki: Wiki, editor: uuid.UUID
) -> None:
    indexer.start()
    saved = wiki.save_page(editor, "Samarbejde", "Om tillid.\n")
    indexer.wait(saved.notification_id, timeout=10)

    assert titles(indexer.view.search(SearchRequest("tillid"))) == ["Samarbejde"]
    edited = wiki.save_page(editor, "Samarbejde", "Om dialog.\n", base_version=1)
    indexer.wait(edited.notification_id, timeout=10)

    assert titles(indexer.view.search(SearchRequest("dialog"))) == ["Samarbejde"]
    assert indexer.view.search(SearchRequest("tillid")).total == 0
