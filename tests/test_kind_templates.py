"""The starting text of a new page of each kind: every field of the kind, empty, valid."""

import uuid

import pytest

from wikiengine.application import Wiki
from wikiengine.errors import InvalidInput
from wikiengine.frontmatter import find_block, parse_fields
from wikiengine.kinds import (
    CHOICES,
    FIELDS_BY_KIND,
    KINDS,
    check_page,
    declared_kind,
    kind_fields,
    new_page_text,
)
from wikiengine.merge import conflict_line, merge_texts


@pytest.mark.parametrize("kind", KINDS)
def test_template_names_every_field_of_its_kind_and_is_a_valid_empty_page(kind: str) -> None:
    text = new_page_text(kind)

    block = find_block(text)
    assert block is not None and block.body == ""
    fields = parse_fields(block.source)
    assert list(fields) == ["kind", *(field.name for field in kind_fields(kind))]
    assert set(fields) - {"kind"} == set(FIELDS_BY_KIND[kind].model_fields)
    content = check_page(text)
    assert content.kind == kind
    assert all(value in (None, []) for value in content.fields.values())
    assert content.tags == () and all(titles == () for titles in content.relations.values())


def test_lists_are_empty_lists_and_choice_fields_list_their_values() -> None:
    case = new_page_text("case")
    assert "\nsector:  # stat | kommune | region | other\n" in case
    assert "\norganisation:\n" in case and "\ncases: []\n" in case and "\ntags: []\n" in case
    network = new_page_text("network")
    assert "\nlevel:  # kommunalbestyrelse | regionsråd | Folketinget\n" in network
    assert "\nparties: []\n" in network and "\ntasks: []\n" in network


def test_kind_fields_tell_lists_and_choices_apart() -> None:
    fields = {field.name: field for field in kind_fields("network")}
    assert fields["parties"].is_list and fields["cases"].is_list and fields["tags"].is_list
    assert not fields["level"].is_list and fields["level"].choices == CHOICES["level"]
    case = {field.name: field for field in kind_fields("case")}
    assert not case["organisation"].is_list and case["organisation"].choices == ()
    # A kind's own fields come first, then what every kind has.
    assert [field.name for field in kind_fields("recommendation")] == [
        "audience",
        "theme",
        "cases",
        "recommendations",
        "network",
        "tags",
    ]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput, match="Unknown page kind 'blog'"):
        new_page_text("blog")
    with pytest.raises(InvalidInput):
        kind_fields("")


@pytest.mark.parametrize("kind", KINDS)
def test_a_template_filled_in_saves(wiki: Wiki, editor: uuid.UUID, kind: str) -> None:
    text = new_page_text(kind).replace("tags: []", "tags: [prøve]") + "Brødtekst.\n"
    wiki.save_page(editor, f"Ny {kind}", text)
    saved = check_page(wiki.page_by_title(f"Ny {kind}").body)
    assert saved.kind == kind and saved.tags == ("prøve",)


def test_declared_kind_is_read_even_from_front_matter_that_is_not_valid_yet() -> None:
    assert declared_kind("---\nkind: case\nsector: kommunen\n---\nTekst\n") == "case"
    assert declared_kind(new_page_text("network")) == "network"
    assert declared_kind("Ingen felter\n") == "article"
    assert declared_kind("---\nkind: blog\n---\n") == "article"
    assert declared_kind("---\nkind: [case\n---\n") == "article"  # YAML that cannot be read


def test_conflict_line_finds_only_a_whole_conflict() -> None:
    merged = merge_texts(
        "a\nb\nc\n", "a\nTheirs\nc\n", "a\nMine\nc\n", their_label="version 2", my_label="din"
    )
    assert merged.conflicted
    assert conflict_line(merged.text) == 2
    assert conflict_line("Overskrift\n=======\n\nTekst\n") is None  # a markdown heading
    assert conflict_line("<<<<<<< kun start\nTekst\n") is None
    assert conflict_line("x\n<<<<<<<\nA\n=======\nB\n>>>>>>>\n") == 2
