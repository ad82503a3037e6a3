"""Line blame and per-edit character counts (wikiengine.blame), folded over page histories."""

import json
import random
import time
from collections import Counter

import pytest

from wikiengine.blame import (
    BlameLine,
    EditAttribution,
    attribute_edit,
    blame_from_json,
    blame_to_json,
    split_lines,
)

ANNA = ("a-1", "Anna Ærø")
BO = ("b-2", "Bo Østergaard")
CARL = ("c-3", "Carl Åby")


def first(text: str, author: tuple[str, str] = ANNA) -> EditAttribution:
    return attribute_edit((), "", text, 1, *author)


def edit(
    before: EditAttribution, old: str, new: str, version: int, author: tuple[str, str]
) -> EditAttribution:
    return attribute_edit(before.blame, old, new, version, *author)


def who(result: EditAttribution) -> list[tuple[str, int, str]]:
    return [(line.text, line.version, line.author_id) for line in result.blame]


def page(count: int) -> str:
    return "".join(f"Linje {n} om innovation i kommunen.\n" for n in range(count))


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        ("", []),
        ("\n", [""]),
        ("a", ["a"]),
        ("a\nb\n", ["a", "b"]),
        ("a\nb", ["a", "b"]),
        ("a\n\nb", ["a", "", "b"]),
        ("a\n\n", ["a", ""]),
        ("form\x0cfeed\u2028stays\n", ["form\x0cfeed\u2028stays"]),
    ],
)
def test_split_lines(text: str, lines: list[str]) -> None:
    assert split_lines(text) == lines


def test_first_revision_is_all_the_authors() -> None:
    result = first("Første linje\n\nTredje linje\n")

    assert result.blame == (
        BlameLine("Første linje", 1, *ANNA),
        BlameLine("", 1, *ANNA),
        BlameLine("Tredje linje", 1, *ANNA),
    )
    assert (result.chars_added, result.chars_removed) == (27, 0)


def test_unchanged_edit_keeps_blame_and_counts_nothing() -> None:
    text = page(5)
    before = first(text)

    result = edit(before, text, text, 2, BO)

    assert result.blame == before.blame
    assert (result.chars_added, result.chars_removed) == (0, 0)


def test_edit_of_one_line_among_many() -> None:
    old = page(40)
    lines = old.splitlines(keepends=True)
    lines[17] = "Linje 17 om innovation i regionen.\n"
    new = "".join(lines)

    result = edit(first(old), old, new, 2, BO)

    assert [line.version for line in result.blame] == [1] * 17 + [2] + [1] * 22
    assert result.blame[17] == BlameLine("Linje 17 om innovation i regionen.", 2, *BO)
    # "...i kommunen.\n" -> "...i regionen.\n": "kommu" out, "regio" in (common "nen.\n")
    assert (result.chars_added, result.chars_removed) == (5, 5)


@pytest.mark.parametrize(("where", "index"), [("top", 0), ("middle", 2), ("end", 5)])
def test_insert_a_line(where: str, index: int) -> None:
    old = page(5)
    lines = old.splitlines(keepends=True)
    lines.insert(index, "Ny linje\n")
    new = "".join(lines)

    result = edit(first(old), old, new, 2, BO)

    expected = [(text, 1, ANNA[0]) for text in split_lines(old)]
    expected.insert(index, ("Ny linje", 2, BO[0]))
    assert who(result) == expected
    assert (result.chars_added, result.chars_removed) == (9, 0)


def test_delete_lines() -> None:
    old = page(5)
    lines = split_lines(old)
    new = "".join(f"{line}\n" for line in lines[:1] + lines[3:])

    result = edit(first(old), old, new, 2, BO)

    assert who(result) == [(lines[n], 1, ANNA[0]) for n in (0, 3, 4)]
    assert (result.chars_added, result.chars_removed) == (0, len(lines[1]) + len(lines[2]) + 2)


def test_three_authors_and_a_moved_paragraph_keeps_its_author() -> None:
    v1 = "# Innovation\n\nAnnas første sætning.\nAnnas anden sætning.\n"
    v2 = v1 + "\nBos afsnit om kommunerne.\nBos anden linje.\nBos konklusion.\n"
    # Carl moves Anna's paragraph to the end, rewrites the heading and adds his own line.
    v3 = (
        "# Innovation i Danmark\n\nBos afsnit om kommunerne.\nBos anden linje.\nBos konklusion.\n"
        "Carls tilføjelse.\n\nAnnas første sætning.\nAnnas anden sætning.\n"
    )
    a = first(v1)
    b = edit(a, v1, v2, 2, BO)
    c = edit(b, v2, v3, 3, CARL)

    assert who(b) == [
        ("# Innovation", 1, "a-1"),
        ("", 1, "a-1"),
        ("Annas første sætning.", 1, "a-1"),
        ("Annas anden sætning.", 1, "a-1"),
        ("", 2, "b-2"),
        ("Bos afsnit om kommunerne.", 2, "b-2"),
        ("Bos anden linje.", 2, "b-2"),
        ("Bos konklusion.", 2, "b-2"),
    ]
    assert who(c) == [
        ("# Innovation i Danmark", 3, "c-3"),
        ("", 1, "a-1"),  # the blank below the heading stays; Bo's went with Anna's lines
        ("Bos afsnit om kommunerne.", 2, "b-2"),
        ("Bos anden linje.", 2, "b-2"),
        ("Bos konklusion.", 2, "b-2"),
        ("Carls tilføjelse.", 3, "c-3"),
        ("", 3, "c-3"),  # a blank line is never taken as moved
        ("Annas første sætning.", 1, "a-1"),
        ("Annas anden sætning.", 1, "a-1"),
    ]
    assert c.blame[7] is b.blame[2]  # the moved line keeps its name spelled as it was
    # The move is a change of the text: Anna's 43 chars leave one place and arrive at another.
    # Changed blocks: "# Innovation\n" -> "# Innovation i Danmark\n"; Anna's two lines and
    # the blank after them deleted; "Carls tilføjelse.\n\n<Anna's two lines>" appended.
    moved = len("Annas første sætning.\nAnnas anden sætning.\n")
    heading = len(" i Danmark")
    blank_and_carl = len("Carls tilføjelse.\n\n")
    assert c.chars_removed == moved + 1  # and one of the two blank lines around it
    assert c.chars_added == heading + blank_and_carl + moved
    assert c.chars_added - c.chars_removed == len(v3) - len(v2)


def test_moved_line_counts_as_removed_and_added() -> None:
    old = "Første afsnit her.\nAndet afsnit her.\nTredje afsnit her.\n"
    new = "Andet afsnit her.\nTredje afsnit her.\nFørste afsnit her.\n"

    result = edit(first(old), old, new, 2, BO)

    assert [line.author_id for line in result.blame] == ["a-1"] * 3
    assert (result.chars_added, result.chars_removed) == (19, 19)


def test_duplicated_lines_moved_pair_in_order() -> None:
    v1 = "Samme tekst.\nK1\nK2\nK3\n"
    v2 = "Samme tekst.\nSamme tekst.\nK1\nK2\nK3\n"  # Bo writes a second copy
    v3 = "K1\nK2\nK3\nSamme tekst.\nSamme tekst.\nSamme tekst.\n"  # Carl moves both, adds one
    a = first(v1)
    b = edit(a, v1, v2, 2, BO)

    c = edit(b, v2, v3, 3, CARL)

    assert who(b)[:2] == [("Samme tekst.", 1, "a-1"), ("Samme tekst.", 2, "b-2")]
    assert who(c) == [
        ("K1", 1, "a-1"),
        ("K2", 1, "a-1"),
        ("K3", 1, "a-1"),
        ("Samme tekst.", 1, "a-1"),
        ("Samme tekst.", 2, "b-2"),
        ("Samme tekst.", 3, "c-3"),
    ]
    assert (c.chars_added, c.chars_removed) == (39, 26)


def test_duplicated_lines_kept_in_place_keep_their_own_blame() -> None:
    v1 = "Gentaget linje.\nMidt.\nGentaget linje.\nSlut på siden.\n"
    v2 = v1.replace("Slut", "Ende")
    v3 = "Midt.\nEnde på siden.\nGentaget linje.\nGentaget linje.\nGentaget linje.\n"
    a = first(v1)
    b = edit(a, v1, v2, 2, BO)

    c = edit(b, v2, v3, 3, CARL)

    assert who(c) == [
        ("Midt.", 1, "a-1"),
        ("Ende på siden.", 2, "b-2"),
        ("Gentaget linje.", 1, "a-1"),
        ("Gentaget linje.", 1, "a-1"),
        ("Gentaget linje.", 3, "c-3"),
    ]
    assert c.blame[2] is b.blame[0]
    assert c.blame[3] is b.blame[2]


def test_copied_line_that_stays_in_place_is_new_text() -> None:
    old = "Et citat der gentages.\nSlut.\n"
    new = "Et citat der gentages.\nSlut.\nEt citat der gentages.\n"

    result = edit(first(old), old, new, 2, BO)

    assert who(result)[2] == ("Et citat der gentages.", 2, "b-2")


@pytest.mark.parametrize(
    ("middle", "author"),
    [
        ("", "b-2"),
        ("---", "b-2"),
        ("----", "b-2"),
        ("```", "b-2"),
        ("|---|---|", "b-2"),
        ("}", "b-2"),
        ("OK", "b-2"),
        ("  - ", "b-2"),
        ("1234", "a-1"),
        ("Mellem", "a-1"),
        ("Æble", "a-1"),
    ],
)
def test_blank_and_short_lines_are_not_taken_as_moved(middle: str, author: str) -> None:
    old = f"Første afsnit.\n{middle}\nAndet afsnit.\n"
    new = f"Andet afsnit.\n{middle}\nFørste afsnit.\n"

    result = edit(first(old), old, new, 2, BO)

    # The diff keeps "Første afsnit." in place and moves the other two lines above it.
    assert who(result) == [
        ("Andet afsnit.", 1, "a-1"),
        (middle, 1 if author == "a-1" else 2, author),
        ("Første afsnit.", 1, "a-1"),
    ]


def test_blank_line_inserted_elsewhere_is_the_editors() -> None:
    old = "Afsnit et.\n\nAfsnit to.\nAfsnit tre.\n"
    new = "Afsnit et.\nAfsnit to.\nAfsnit tre.\n\nAfsnit fire.\n"

    result = edit(first(old), old, new, 2, BO)

    assert who(result) == [
        ("Afsnit et.", 1, "a-1"),
        ("Afsnit to.", 1, "a-1"),
        ("Afsnit tre.", 1, "a-1"),
        ("", 2, "b-2"),
        ("Afsnit fire.", 2, "b-2"),
    ]
    assert (result.chars_added, result.chars_removed) == (14, 1)


@pytest.mark.parametrize("separator", ["", "---"])
def test_separator_lines_between_edits_on_long_pages_keep_their_blame(separator: str) -> None:
    # difflib's autojunk (from 200 lines on) and a gap between two changes aligned as one
    # block would both make the separator between two edited lines the editor's.
    old = "".join(f"Afsnit {n} om innovation.\n{separator}\n" for n in range(250))
    lines = old.splitlines(keepends=True)
    for n in (0, 200, 202, 498):
        lines[n] = lines[n].replace("innovation", "fornyelse")
    new = "".join(lines)

    result = edit(first(old), old, new, 2, BO)

    changed = [n for n, line in enumerate(result.blame) if line.version == 2]
    assert changed == [0, 200, 202, 498]
    assert (result.chars_added, result.chars_removed) == (4 * 9, 4 * 10)


def test_a_long_page_rewritten_is_fast() -> None:
    # Blank lines are all alike; compared each with every other this took seconds.
    old = "".join(f"Afsnit {n} om innovation.\n\n" for n in range(5000))
    new = "".join(f"Nyt afsnit {n}.\n\n" for n in range(5000))

    started = time.perf_counter()
    result = edit(first(old), old, new, 2, BO)

    assert time.perf_counter() - started < 0.5
    assert result.chars_added - result.chars_removed == len(new) - len(old)


def test_empty_text() -> None:
    text = "Noget tekst.\nMere.\n"
    a = first(text)

    emptied = edit(a, text, "", 2, BO)
    refilled = edit(emptied, "", "Igen.\n", 3, CARL)

    assert first("") == EditAttribution(blame=(), chars_added=0, chars_removed=0)
    assert emptied == EditAttribution(blame=(), chars_added=0, chars_removed=len(text))
    assert who(refilled) == [("Igen.", 3, "c-3")]
    assert (refilled.chars_added, refilled.chars_removed) == (6, 0)


def test_text_without_final_newline() -> None:
    a = first("Første\nAnden")
    assert who(a) == [("Første", 1, "a-1"), ("Anden", 1, "a-1")]
    assert a.chars_added == 12

    newline_added = edit(a, "Første\nAnden", "Første\nAnden\n", 2, BO)
    assert newline_added.blame == a.blame
    assert (newline_added.chars_added, newline_added.chars_removed) == (1, 0)

    newline_removed = edit(newline_added, "Første\nAnden\n", "Første\nAnden", 3, CARL)
    assert newline_removed.blame == a.blame
    assert (newline_removed.chars_added, newline_removed.chars_removed) == (0, 1)

    appended = edit(a, "Første\nAnden", "Første\nAnden\nTredje", 2, BO)
    assert who(appended) == [("Første", 1, "a-1"), ("Anden", 1, "a-1"), ("Tredje", 2, "b-2")]
    assert (appended.chars_added, appended.chars_removed) == (7, 0)  # "\nTredje"

    cut = edit(appended, "Første\nAnden\nTredje", "Første\nAnden", 3, CARL)
    assert cut.blame == a.blame
    assert (cut.chars_added, cut.chars_removed) == (0, 7)


@pytest.mark.parametrize(
    ("old", "new", "added", "removed"),
    [
        ("abc\n", "abXc\n", 1, 0),  # insertion inside a line
        ("abc\n", "aXc\n", 1, 1),  # one character replaced
        ("abc\n", "ac\n", 0, 1),
        ("abc\n", "xyz\n", 3, 3),  # the "\n" is common to both
        ("abc\n", "abc\ndef\n", 4, 0),  # a new line with its "\n"
        ("abc\ndef\n", "def\n", 0, 4),
        ("abc", "abc\n", 1, 0),
        ("abc", "abcd", 1, 0),
        ("abc\n", "", 0, 4),
        ("", "abc", 3, 0),
        # One block: only its common prefix "a" and suffix "d\n" are trimmed, so the "\n"
        # between the two changes counts as removed and added again.
        ("ab\ncd\n", "aX\nYd\n", 3, 3),
        ("Hej verden\n", "Hej, kære verden\n", 6, 0),
        ("æøå\n", "æØå\n", 1, 1),  # characters, not UTF-8 bytes
    ],
)
def test_exact_character_counts(old: str, new: str, added: int, removed: int) -> None:
    result = edit(first(old), old, new, 2, BO)

    assert (result.chars_added, result.chars_removed) == (added, removed)


def test_previous_blame_must_match_old_text() -> None:
    with pytest.raises(ValueError, match="previous blame has 1 lines, old text has 2"):
        attribute_edit((BlameLine("a", 1, *ANNA),), "a\nb\n", "a\n", 2, *BO)


WORDS = ["innovation", "kommune", "", "---", "æble", "Øresund", "x", "  ", "Ja", "samme linje"]


def random_text(rng: random.Random) -> str:
    lines = [" ".join(rng.choices(WORDS, k=rng.randint(0, 3))) for _ in range(rng.randint(0, 12))]
    text = "\n".join(lines)
    return text + "\n" if lines and rng.random() < 0.8 else text


def random_edit(rng: random.Random, text: str) -> str:
    lines = text.split("\n")
    for _ in range(rng.randint(1, 4)):
        action = rng.choice(["insert", "delete", "change", "move", "char", "newline"])
        index = rng.randrange(len(lines) + 1)
        if action == "insert":
            lines.insert(index, rng.choice(WORDS) + rng.choice(["", " ny"]))
        elif action == "delete" and lines and index < len(lines):
            del lines[index]
        elif action == "change" and index < len(lines):
            lines[index] = rng.choice(WORDS)
        elif action == "move" and len(lines) > 1 and index < len(lines):
            lines.insert(rng.randrange(len(lines)), lines.pop(index))
        elif action == "char" and index < len(lines):
            line = lines[index]
            at = rng.randrange(len(line) + 1)
            lines[index] = line[:at] + rng.choice("aæ ") + line[at + 1 :]
        elif action == "newline" and lines[-1:] == [""]:
            lines.pop()
        elif action == "newline":
            lines.append("")
    return "\n".join(lines)


@pytest.mark.parametrize("seed", range(60))
def test_random_histories_keep_every_invariant(seed: int) -> None:
    rng = random.Random(seed)
    text = random_text(rng)
    result = first(text)
    authors = [ANNA, BO, CARL]
    for version in range(2, 12):  # 60 seeds x 10 edits: 600 edits
        new = random_text(rng) if rng.random() < 0.1 else random_edit(rng, text)
        author = rng.choice(authors)
        before = result.blame

        result = attribute_edit(before, text, new, version, *author)

        assert result.chars_added - result.chars_removed == len(new) - len(text)
        assert 0 <= result.chars_added <= len(new)
        assert 0 <= result.chars_removed <= len(text)
        assert (result.chars_added, result.chars_removed) != (0, 0) or new == text
        assert [line.text for line in result.blame] == split_lines(new)
        # Every line is either carried over from the previous blame (each at most once) or
        # written now; nothing else is invented.
        carried = Counter(line for line in result.blame if line.version != version)
        assert not carried - Counter(before)
        for line in result.blame:
            assert line.version < version or line == BlameLine(line.text, version, *author)
        assert blame_from_json(blame_to_json(result.blame)) == result.blame
        text = new


def test_blame_json_round_trip_with_danish_text_and_quotes() -> None:
    blame = (
        BlameLine('Citat: "Innovation er at gøre noget nyt" — Ærø', 1, *ANNA),
        BlameLine("Bo's linje med \\backslash\\ og \ttab", 2, "b-2", 'Bo "Østergaard"'),
        BlameLine("", 1, *ANNA),
        BlameLine('Åbne data 🚀 {"json": [1, 2]}', 3, *CARL),
        BlameLine("Annas igen", 4, ANNA[0], "Anna Ærø-Nielsen"),  # renamed: kept as written
    )

    data = blame_to_json(blame)

    assert blame_from_json(data) == blame
    assert "Ærø" in data and "\n" not in data  # compact, readable, one line
    assert json.loads(data)["authors"] == [
        ["a-1", "Anna Ærø"],
        ["b-2", 'Bo "Østergaard"'],
        ["c-3", "Carl Åby"],
        ["a-1", "Anna Ærø-Nielsen"],
    ]
    assert blame_from_json(blame_to_json(())) == ()


@pytest.mark.parametrize(
    "data", ["", "[]", '{"authors": []}', '{"authors":[],"lines":[["a",1,0]]}']
)
def test_blame_from_json_rejects_what_it_did_not_write(data: str) -> None:
    with pytest.raises(ValueError, match="not a blame document"):
        blame_from_json(data)
