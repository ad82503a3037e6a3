"""`wikiengine.diff`: unified text, side-by-side rows with changed words, and its limits."""

from wikiengine.diff import MAX_WORD_DIFF_CHARS, Segment, rows, unified

OLD = "\n".join(f"linje {number}" for number in range(1, 21)) + "\n"


def test_unified_is_what_diff_u_prints() -> None:
    new = OLD.replace("linje 5\n", "linje fem\n")
    assert unified(OLD, new, "version 1", "version 2").splitlines() == [
        "--- version 1",
        "+++ version 2",
        "@@ -2,7 +2,7 @@",
        " linje 2",
        " linje 3",
        " linje 4",
        "-linje 5",
        "+linje fem",
        " linje 6",
        " linje 7",
        " linje 8",
    ]


def test_rows_mark_the_changed_words_and_leave_out_distant_unchanged_lines() -> None:
    new = OLD.replace("linje 5\n", "linje fem\n").replace("linje 15\n", "")
    found = rows(OLD, new)
    kinds = [row.kind for row in found]
    assert kinds[0] == "gap" and kinds[-1] == "gap" and kinds.count("gap") == 3
    changed = next(row for row in found if row.kind == "changed")
    assert (changed.left_number, changed.right_number) == (5, 5)
    assert changed.left == (Segment("linje ", False), Segment("5", True))
    assert changed.right == (Segment("linje ", False), Segment("fem", True))
    removed = next(row for row in found if row.kind == "removed")
    assert (removed.left_number, removed.right) == (15, None)


def test_rows_without_context_keep_every_line_and_equal_texts_have_none() -> None:
    assert len(rows(OLD, OLD.replace("linje 1\n", "linje en\n"), context=None)) == 20
    assert rows(OLD, OLD) == []


def test_a_very_long_changed_line_is_marked_whole_not_word_by_word() -> None:
    """Word matching is quadratic: a huge line must not hang the request."""
    words = " ".join(f"ord{number}" for number in range(MAX_WORD_DIFF_CHARS))
    found = rows(words + "\n", words.replace("ord7 ", "andet ") + "\n")
    assert [row.kind for row in found] == ["changed"]
    assert found[0].left == (Segment(words, True),)
