"""Page kinds: front matter validated per kind, with the field and line of each problem."""

import random
import time
import uuid
from importlib.resources import files

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from web.errors import EXCEPTION_HANDLERS
from wikiengine.application import Wiki
from wikiengine.errors import InvalidFrontMatter, InvalidInput, PageNotFound
from wikiengine.kinds import KINDS, RELATIONS, PageContent, check_page, read_page

NO_RELATIONS = {"cases": (), "recommendations": (), "network": ()}

CASE = """---
kind: case
organisation: Aarhus Kommune
sector: kommune
area: Inddragelse
status: Afprøvet
period: 2014-05-01
effect: Flere idéer.
process: >-
  En webbaseret idéstorm
  over fire uger.
conditions: Ledelsesopbakning.
documentation: Handlingsplanen, maj 2014.
recommendations: [tillid og dialog, Tillid_og_dialog, Brug kompetencerne]
network:
  - En kultur hvor innovation trives
tags: [idéstorm, "  digitale   værktøjer ", idéstorm, 2014]
---
Idéstormen i [[Aarhus]].
"""

RECOMMENDATION = """---
kind: recommendation
audience: Ledere og medarbejdere
theme: Innovativ kultur
cases: [Styringslaboratorier 2014-2015]
---
Gør tillid til grundlaget.
"""

NETWORK = """---
kind: network
level: regionsråd
parties: [Venstre, Socialdemokratiet]
tasks:
  - Stå imod snuptagsløsninger
recommendations: [Byg samarbejdet på tillid og dialog]
---
Netværkets emne.
"""

ARTICLE = """---
kind: article
tags: [definition]
cases: []
---
Offentlig innovation er at gøre noget nyt.
"""


# ---------------------------------------------------------------------- valid kinds


def test_a_case_has_its_fields_relations_and_tags() -> None:
    content = check_page(CASE)

    assert content.kind == "case"
    assert content.body == "Idéstormen i [[Aarhus]].\n"
    assert content.relations == {
        "cases": (),
        "recommendations": ("Tillid og dialog", "Brug kompetencerne"),
        "network": ("En kultur hvor innovation trives",),
    }
    assert content.tags == ("idéstorm", "digitale værktøjer", "2014")
    assert content.fields == {
        "organisation": "Aarhus Kommune",
        "sector": "kommune",
        "area": "Inddragelse",
        "status": "Afprøvet",
        "period": "2014-05-01",  # YAML reads a date; fields are JSON values
        "effect": "Flere idéer.",
        "process": "En webbaseret idéstorm over fire uger.",
        "conditions": "Ledelsesopbakning.",
        "documentation": "Handlingsplanen, maj 2014.",
        "recommendations": ["Tillid og dialog", "Brug kompetencerne"],
        "network": ["En kultur hvor innovation trives"],
        "tags": ["idéstorm", "digitale værktøjer", "2014"],
    }
    assert list(content.fields)[:2] == ["organisation", "sector"]


def test_a_recommendation_has_audience_theme_and_supporting_cases() -> None:
    content = check_page(RECOMMENDATION)

    assert content == PageContent(
        kind="recommendation",
        fields={
            "audience": "Ledere og medarbejdere",
            "theme": "Innovativ kultur",
            "cases": ["Styringslaboratorier 2014-2015"],
        },
        relations={**NO_RELATIONS, "cases": ("Styringslaboratorier 2014-2015",)},
        tags=(),
        body="Gør tillid til grundlaget.\n",
    )


def test_a_network_topic_has_level_parties_and_tasks() -> None:
    content = check_page(NETWORK)

    assert content.kind == "network"
    assert content.fields == {
        "level": "regionsråd",
        "parties": ["Venstre", "Socialdemokratiet"],
        "tasks": ["Stå imod snuptagsløsninger"],
        "recommendations": ["Byg samarbejdet på tillid og dialog"],
    }
    assert content.relations["recommendations"] == ("Byg samarbejdet på tillid og dialog",)


def test_an_article_may_have_relations_and_tags_only() -> None:
    content = check_page(ARTICLE)

    assert (content.kind, content.fields, content.tags) == (
        "article",
        {"cases": [], "tags": ["definition"]},
        ("definition",),
    )
    assert content.relations == NO_RELATIONS


@pytest.mark.parametrize(
    "text", ["Bare tekst.\n", "---\ntags: [a]\n---\ntekst\n", "---\n---\ntekst\n", ""]
)
def test_without_kind_a_page_is_an_article(text: str) -> None:
    content = check_page(text)

    assert content.kind == "article"
    assert content.body == (text if not text.startswith("---") else "tekst\n")


def test_a_draft_may_leave_every_field_out_or_empty() -> None:
    content = check_page("---\nkind: case\nsector:\norganisation:\ncases:\n---\nUdkast\n")

    assert (content.kind, content.fields, content.relations) == ("case", {}, NO_RELATIONS)


def test_numbers_in_text_fields_are_text() -> None:
    content = check_page("---\nkind: case\nperiod: 2014\nstatus: 1.5\n---\n")

    assert content.fields == {"status": "1.5", "period": "2014"}


# ---------------------------------------------------------------------- refused


def refused(text: str) -> InvalidFrontMatter:
    with pytest.raises(InvalidFrontMatter) as caught:
        check_page(text)
    return caught.value


def test_a_wrong_sector_names_the_field_the_line_and_the_choices() -> None:
    error = refused("---\nkind: case\norganisation: Aarhus\n\nsector: kommuner\n---\ntekst\n")

    assert (error.field, error.line, error.code) == ("sector", 5, "invalid")
    assert isinstance(error, InvalidInput)
    assert str(error) == (
        "Front matter line 5, field 'sector': must be one of stat, kommune, region, other"
        " (got 'kommuner')."
    )


def test_a_wrong_level_names_the_field_and_line() -> None:
    error = refused("---\nkind: network\nparties: []\nlevel: Folketing\n---\n")

    assert (error.field, error.line) == ("level", 4)
    assert "kommunalbestyrelse, regionsråd, Folketinget (got 'Folketing')" in str(error)


def test_a_wrong_kind_names_the_kinds() -> None:
    error = refused("---\ntags: [a]\nkind: cases\n---\n")

    assert (error.field, error.line) == ("kind", 3)
    assert "must be one of article, case, recommendation, network (got 'cases')" in str(error)


def test_a_kind_that_is_not_text_is_refused() -> None:
    assert refused("---\nkind: [case]\n---\n").field == "kind"


def test_an_unknown_field_is_refused_with_its_line_and_the_allowed_fields() -> None:
    error = refused("---\nkind: recommendation\ntheme: Kultur\nsector: kommune\n---\n")

    assert (error.field, error.line) == ("sector", 4)
    assert str(error) == (
        "Front matter line 4, field 'sector': is not a field of a recommendation page;"
        " its fields are: kind, audience, theme, cases, recommendations, network, tags."
    )


def test_case_fields_are_unknown_on_an_article() -> None:
    error = refused("---\norganisation: Aarhus Kommune\n---\n")

    assert (error.field, error.line) == ("organisation", 2)
    assert "an article page" in str(error)


def test_a_yaml_syntax_error_gives_its_line_and_no_field() -> None:
    error = refused("---\nkind: case\norganisation: Aarhus: Kommune\n---\ntekst\n")

    assert (error.field, error.line) == (None, 3)
    assert str(error).startswith("Front matter line 3: the YAML cannot be read: ")


def test_an_unclosed_list_gives_the_line_where_yaml_noticed_and_where_it_began() -> None:
    error = refused("---\nkind: case\ncases: [Aarhus,\n\nsector: kommune\n---\n")

    assert (error.field, error.line) == (None, 6)  # the end of the block
    assert "while parsing a flow sequence from line 3, did not find expected" in str(error)


def test_front_matter_that_is_not_a_mapping_is_refused() -> None:
    for text in ("---\n- kind: case\n---\n", "---\nbare en sætning\n---\n"):
        error = refused(text)
        assert (error.field, error.line) == (None, 2)
        assert "must be fields" in str(error)


def test_a_field_given_twice_is_refused_at_the_second() -> None:
    error = refused("---\nkind: case\nsector: kommune\nsector: region\n---\n")

    assert (error.field, error.line) == ("sector", 4)
    assert "also on line 3" in str(error)


def test_a_list_field_given_text_is_not_wrapped_in_a_list() -> None:
    error = refused("---\nkind: recommendation\ntheme: Kultur\ncases: Idéstorme i Aarhus\n---\n")

    assert (error.field, error.line) == ("cases", 4)
    assert "must be a list" in str(error)
    assert refused("---\nkind: network\ntasks: Stå imod\n---\n").field == "tasks"
    assert refused("---\ntags: idéstorm\n---\n").field == "tags"


def test_a_text_field_given_a_list_or_a_truth_value_is_refused() -> None:
    error = refused("---\nkind: case\norganisation: [Aarhus, Odense]\n---\n")
    assert (error.field, error.line) == ("organisation", 3)
    assert "must be text (got a list)" in str(error)

    error = refused("---\nkind: case\nstatus: yes\n---\n")
    assert (error.field, error.line) == ("status", 3)
    assert "truth values" in str(error)


def test_an_invalid_title_in_cases_names_cases_and_the_items_line() -> None:
    error = refused(
        "---\nkind: recommendation\ncases:\n  - Idéstorme i Aarhus\n  - Aarhus [kommune]\n---\n"
    )

    assert (error.field, error.line) == ("cases", 5)
    assert "item 2 is not a valid page title" in str(error)


def test_an_invalid_title_in_a_flow_list_has_the_fields_line() -> None:
    error = refused("---\nkind: case\n\nnetwork: [God, '#dårlig']\n---\n")

    assert (error.field, error.line) == ("network", 4)


def test_a_tag_must_be_short_text() -> None:
    assert refused(f"---\ntags: [ok, {'x' * 61}]\n---\n").field == "tags"
    assert refused("---\ntags: [ok, '  ']\n---\n").field == "tags"
    assert refused("---\ntags: [[nested]]\n---\n").field == "tags"


def test_an_impossible_date_names_its_field() -> None:
    error = refused("---\nkind: case\nperiod: 2014-13-01\n---\n")

    assert (error.field, error.line) == ("period", 3)


def test_the_first_problem_from_the_top_is_reported() -> None:
    error = refused("---\nkind: case\nsector: kommuner\nfoo: 1\ncases: A\n---\n")

    assert (error.field, error.line) == ("sector", 3)


# ---------------------------------------------------------------------- reading


NASTY = [
    "",
    "---",
    "---\n",
    "---\n---",
    "---\n: : :\n---\nbody",
    "---\n[unclosed\n---\nbody",
    "---\n- a\n- b\n---\nbody",
    "---\n\x00\x01\n---\nbody",
    "---\nkind: \ud800\n---\nbody",
    "---\nkind: !!python/object:os.system ls\n---\nbody",
    "---\nperiod: !!timestamp nonsense\n---\nbody",
    "---\nstatus: !!int foo\n---\nbody",
    "---\n&a [*a]\n---\nbody",
    "---\na: &a [*a]\n---\nbody",
    "---\n? [a, b]\n: c\n---\nbody",
    "---\n1: 2\n---\nbody",
    "---\nkind: case\n--- ignored\n---\nbody",
    "---\n" + "[" * 5000 + "\n---\nbody",
    "---\nkind: " + "x" * 100_000 + "\n---\nbody",
    "---\n<<: {kind: case, sector: nope}\n---\nbody",
    "---\nkind: case\nsector: kommune\n",  # never closed: no block
]


@pytest.mark.parametrize("text", NASTY)
def test_read_page_never_raises(text: str) -> None:
    content = read_page(text)

    assert content.kind in KINDS
    assert set(content.relations) == set(RELATIONS)


def test_read_page_on_invalid_front_matter_is_an_article_with_the_body() -> None:
    content = read_page("---\nkind: case\nsector: kommuner\n---\nTeksten.\n")

    assert content == PageContent("article", {}, NO_RELATIONS, (), "Teksten.\n")
    assert read_page("---\nkind: case\n").body == "---\nkind: case\n"


def test_read_page_reads_valid_pages_as_check_page_does() -> None:
    for text in (CASE, RECOMMENDATION, NETWORK, ARTICLE):
        assert read_page(text) == check_page(text)


def test_read_page_survives_random_yaml_ish_text() -> None:
    alphabet = ["---\n", "\n", "kind: ", "case", " ", ":", "-", "[", "]", "{", "}", "&a", "*a"]
    alphabet += ["!!", "int", "'", '"', "#", "|", ">", "?", "\t", "sector", "cases", "æ", ","]
    rng = random.Random(20140501)
    for _ in range(2000):
        text = "---\n" + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 30)))
        content = read_page(text + "\n---\nbody")
        assert content.kind in KINDS


def test_exponential_aliases_are_refused_quickly() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 10)]
    lines.append("tags: *a9")
    text = "---\n" + "\n".join(lines) + "\n---\n"

    started = time.perf_counter()
    assert read_page(text).kind == "article"
    assert refused(text).line == 2  # a0 is not a field of an article
    assert time.perf_counter() - started < 1


@pytest.mark.parametrize(
    "name", sorted(p.name for p in (files("wikiengine") / "demo_pages").iterdir())
)
def test_every_demo_page_passes(name: str) -> None:
    text = (files("wikiengine") / "demo_pages" / name).read_text(encoding="utf-8")

    assert check_page(text).kind in KINDS


# ---------------------------------------------------------------------- saving


def test_saving_invalid_front_matter_saves_nothing(wiki: Wiki, editor: uuid.UUID) -> None:
    with pytest.raises(InvalidFrontMatter) as caught:
        wiki.save_page(editor, "Idéstorme", "---\nkind: case\nsector: kommuner\n---\ntekst\n")

    assert (caught.value.field, caught.value.line) == ("sector", 3)
    with pytest.raises(PageNotFound):
        wiki.page_by_title("Idéstorme")
    assert list(wiki.page_ids()) == []


def test_editing_to_invalid_front_matter_keeps_the_version(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, "Idéstorme", CASE)
    notifications = wiki.recorder.max_notification_id()

    with pytest.raises(InvalidFrontMatter) as caught:
        wiki.save_page(editor, "Idéstorme", CASE.replace("area:", "areal:"), "", 1)

    assert (caught.value.field, caught.value.line) == ("areal", 5)
    page = wiki.page_by_title("Idéstorme")
    assert (page.version, page.body) == (1, CASE)
    assert wiki.recorder.max_notification_id() == notifications


def test_a_merge_whose_result_is_invalid_is_refused(wiki: Wiki, editor: uuid.UUID) -> None:
    base = "---\nkind: case\ntags: [a]\ncases: []\n---\ntekst\n"
    theirs = "---\nkind: case\ntags: [a]\ncases: []\nsector: kommune\n---\ntekst\n"
    mine = "---\nkind: recommendation\ntags: [a]\ncases: []\n---\ntekst\n"
    wiki.save_page(editor, "Flettet", base)
    wiki.save_page(editor, "Flettet", theirs, "", 1)
    check_page(mine)  # each side alone is valid

    with pytest.raises(InvalidFrontMatter) as caught:
        wiki.save_page(editor, "Flettet", mine, "", 1)

    assert (caught.value.field, caught.value.line) == ("sector", 5)
    page = wiki.page_by_title("Flettet")
    assert (page.version, page.body) == (2, theirs)


def test_a_merge_whose_result_is_valid_is_saved(wiki: Wiki, editor: uuid.UUID) -> None:
    base = "---\nkind: case\ntags: [a]\ncases: []\n---\ntekst\n"
    theirs = "---\nkind: case\ntags: [a]\ncases: []\nsector: kommune\n---\ntekst\n"
    mine = "---\nkind: case\ntags: [b]\ncases: []\n---\ntekst\n"
    wiki.save_page(editor, "Flettet", base)
    wiki.save_page(editor, "Flettet", theirs, "", 1)

    result = wiki.save_page(editor, "Flettet", mine, "", 1)

    assert result.merged
    assert check_page(wiki.page_by_title("Flettet").body).fields == {
        "sector": "kommune",
        "tags": ["b"],
        "cases": [],
    }


# ---------------------------------------------------------------------- HTTP


def test_invalid_front_matter_is_422_with_field_and_line() -> None:
    def save(_request: Request) -> None:
        check_page("---\nkind: case\nsector: kommuner\n---\n")

    app = Starlette(routes=[Route("/api/save", save)], exception_handlers=EXCEPTION_HANDLERS)
    response = TestClient(app).get("/api/save")

    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"], error["line"]) == ("invalid", "sector", 3)
    assert error["message"].startswith("Front matter line 3, field 'sector': ")
