"""Differences between two versions of a page's text, line by line, with the changed
words inside a changed line marked: one computation for the unified text (API), the
inline view and the side-by-side view."""

import difflib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

Side = Literal["same", "removed", "added", "changed", "gap"]
CONTEXT_LINES = 3
# Matching is quadratic: beyond these sizes a changed line is marked whole, and the lines
# of long texts are matched with difflib's heuristics (a diff must never hang a server).
MAX_WORD_DIFF_CHARS = 2_000
MAX_EXACT_LINES = 5_000


@dataclass(frozen=True)
class Segment:
    text: str
    changed: bool  # within a changed line: this part differs from the other side


@dataclass(frozen=True)
class DiffRow:
    """One row of a side-by-side diff; `left`/`right` are None where that side has no line.

    `kind` is "same", "removed" (left only), "added" (right only), "changed" (both, with
    the differing words marked) or "gap" (unchanged lines left out; no line numbers).
    """

    kind: Side
    left_number: int | None
    left: tuple[Segment, ...] | None
    right_number: int | None
    right: tuple[Segment, ...] | None


def unified(old: str, new: str, old_label: str, new_label: str) -> str:
    """The classic unified diff, as `diff -u` and `git` print it."""
    lines = difflib.unified_diff(
        old.splitlines(keepends=True),
        new.splitlines(keepends=True),
        fromfile=old_label,
        tofile=new_label,
        n=CONTEXT_LINES,
    )
    return "".join(line if line.endswith("\n") else line + "\n" for line in lines)


def rows(old: str, new: str, context: int | None = CONTEXT_LINES) -> list[DiffRow]:
    """Side-by-side rows; with `context`, runs of unchanged lines shrink to that many
    lines around each change and a "gap" row (None: keep every line)."""
    old_lines, new_lines = old.splitlines(), new.splitlines()
    exact = len(old_lines) + len(new_lines) <= MAX_EXACT_LINES
    matcher = difflib.SequenceMatcher(None, old_lines, new_lines, autojunk=not exact)
    if all(tag == "equal" for tag, *_ in matcher.get_opcodes()):
        return []
    groups = (
        list(matcher.get_grouped_opcodes(context))
        if context is not None
        else [matcher.get_opcodes()]
    )
    gap = DiffRow("gap", None, None, None, None)
    result: list[DiffRow] = []
    for group in groups:
        _tag, i1, _i2, j1, _j2 = group[0]
        if result or i1 > 0 or j1 > 0:
            result.append(gap)
        for tag, i1, i2, j1, j2 in group:
            result.extend(_rows_for(tag, old_lines, i1, i2, new_lines, j1, j2))
    _tag, _i1, i2, _j1, j2 = groups[-1][-1]
    if i2 < len(old_lines) or j2 < len(new_lines):
        result.append(gap)
    return result


def _rows_for(
    tag: str, old: list[str], i1: int, i2: int, new: list[str], j1: int, j2: int
) -> Iterator[DiffRow]:
    if tag == "equal":
        for offset in range(i2 - i1):
            line = (Segment(old[i1 + offset], False),)
            yield DiffRow("same", i1 + offset + 1, line, j1 + offset + 1, line)
        return
    removed, added = old[i1:i2], new[j1:j2]
    paired = min(len(removed), len(added)) if tag == "replace" else 0
    for offset in range(paired):
        left, right = _word_changes(removed[offset], added[offset])
        yield DiffRow("changed", i1 + offset + 1, left, j1 + offset + 1, right)
    for offset in range(paired, len(removed)):
        yield DiffRow("removed", i1 + offset + 1, (Segment(removed[offset], True),), None, None)
    for offset in range(paired, len(added)):
        yield DiffRow("added", None, None, j1 + offset + 1, (Segment(added[offset], True),))


def _word_changes(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Both lines split into unchanged and changed parts, word by word (spaces kept)."""
    if len(old) + len(new) > MAX_WORD_DIFF_CHARS:
        return (Segment(old, True),), (Segment(new, True),)
    old_words, new_words = _words(old), _words(new)
    matcher = difflib.SequenceMatcher(None, old_words, new_words, autojunk=False)
    left: list[Segment] = []
    right: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        if i2 > i1:
            left.append(Segment("".join(old_words[i1:i2]), changed))
        if j2 > j1:
            right.append(Segment("".join(new_words[j1:j2]), changed))
    return tuple(left), tuple(right)


def _words(line: str) -> list[str]:
    words: list[str] = []
    for index, char in enumerate(line):
        if index and (char.isspace() != line[index - 1].isspace()):
            words.append("")
        if not words:
            words.append("")
        words[-1] += char
    return words
