"""Blame of page text: who wrote each line, and how many characters each edit added and removed.

Pure and stdlib only. The projection folds a page's text revisions through `attribute_edit`,
oldest first, starting from `previous=()` and `old_text=""`; each call gives the new text's
blame and the edit's character counts for the credit read model.
"""

import json
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import compress

# A deleted line whose text reappears elsewhere is taken as moved only when its stripped text
# has at least MIN_MOVED_LINE_LENGTH characters, a letter or digit among them. Blank lines,
# rules, fences and table rulers ("---", "```", "|---|---|"), lone brackets and one-word
# lines ("Ja", "OK") recur everywhere: an identical copy is no evidence that the line came
# from there, and matching them would scatter an old author's name into someone else's new
# paragraph (every new blank separator would take the author of some deleted one). Such a
# line is attributed to the editor who wrote it in its new place.
MIN_MOVED_LINE_LENGTH = 4
_LETTER_OR_DIGIT = re.compile(r"[^\W_]")


@dataclass(frozen=True, slots=True)
class BlameLine:
    text: str
    version: int  # page version that introduced the line
    author_id: str
    author_name: str


@dataclass(frozen=True, slots=True)
class EditAttribution:
    blame: tuple[BlameLine, ...]  # the new text's lines, each attributed
    chars_added: int
    chars_removed: int  # chars_added - chars_removed == len(new_text) - len(old_text)


def split_lines(text: str) -> list[str]:
    """The lines of `text`, without their "\\n"; a final line without one still counts.

    "a\\nb\\n" -> ["a", "b"], "a\\nb" -> ["a", "b"], "a\\n\\nb" -> ["a", "", "b"], "" -> [].
    Only "\\n" ends a line (text is normalised to LF); `str.splitlines` would also split at
    form feeds and U+2028, which are ordinary characters in page text.
    """
    lines = text.split("\n")
    if not lines[-1]:
        lines.pop()
    return lines


def attribute_edit(
    previous: Sequence[BlameLine],
    old_text: str,
    new_text: str,
    version: int,
    author_id: str,
    author_name: str,
) -> EditAttribution:
    """Blame of `new_text`, edited from `old_text` (whose blame is `previous`) at `version`.

    Lines are compared with a line diff. Unchanged lines keep their blame; lines the edit
    wrote are attributed to (`version`, `author_id`, `author_name`). A line the diff sees as
    deleted in one place and inserted in another with identical text is a moved line and
    keeps its original blame (equal texts are paired in order; blank and very short lines
    are never taken as moved, see MIN_MOVED_LINE_LENGTH).

    Characters count what changed in the text, newlines included. For each changed block of
    lines (the block's old and new text, each line with its "\\n"), the common prefix and
    suffix of the two are trimmed; what is left of the old text is removed and what is left
    of the new text is added: "abc\\n" -> "abXc\\n" is +1/-0, "abc\\n" -> "aXc\\n" is +1/-1.
    An unchanged last line that gains or loses its final "\\n" is +1 or -1. A moved line is
    a change of the text: removed at its old place and added at its new place, although its
    blame stays. Always: chars_added - chars_removed == len(new_text) - len(old_text).

    `ValueError` if `previous` does not have one entry per line of `old_text`.
    """
    old_lines = split_lines(old_text)
    if len(previous) != len(old_lines):
        raise ValueError(f"previous blame has {len(previous)} lines, old text has {len(old_lines)}")
    if old_text == new_text:
        return EditAttribution(blame=tuple(previous), chars_added=0, chars_removed=0)
    new_lines = split_lines(new_text)
    changes = _changed_blocks(old_lines, new_lines)
    blame = _blame(previous, new_lines, changes, version, author_id, author_name)
    added, removed = _chars(old_text, old_lines, new_text, new_lines, changes)
    return EditAttribution(blame=blame, chars_added=added, chars_removed=removed)


def blame_to_json(blame: Sequence[BlameLine]) -> str:
    """Compact JSON of `blame`: each author once, each line as [text, version, author index].

    {"authors":[["id","name"],...],"lines":[["text",3,0],...]}; non-ASCII text stays as is.
    """
    authors: dict[tuple[str, str], int] = {}
    lines = []
    for line in blame:
        index = authors.setdefault((line.author_id, line.author_name), len(authors))
        lines.append((line.text, line.version, index))
    return json.dumps(
        {"authors": list(authors), "lines": lines}, ensure_ascii=False, separators=(",", ":")
    )


def blame_from_json(data: str) -> tuple[BlameLine, ...]:
    """The blame `blame_to_json` wrote; `ValueError` if `data` is not such a document."""
    try:
        document = json.loads(data)
        authors = [(str(author_id), str(name)) for author_id, name in document["authors"]]
        return tuple(
            BlameLine(str(text), int(version), *authors[index])
            for text, version, index in document["lines"]
        )
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise ValueError(f"not a blame document: {error}") from error


# A changed block: old lines [i1, i2) became new lines [j1, j2); one side may be empty.
_Block = tuple[int, int, int, int]


def _changed_blocks(old: list[str], new: list[str]) -> list[_Block]:
    """The blocks of lines that differ, in order; the lines between them are equal."""
    # Most edits touch a few lines of a page: strip the equal head and tail first so the
    # matcher only sees the middle (and the common case costs a few comparisons).
    head = _common_prefix_length(old, new)
    tail = _common_suffix_length(old, new, min(len(old), len(new)) - head)
    old_end, new_end = len(old) - tail, len(new) - tail
    if head == old_end and head == new_end:
        return []  # equal lines: the texts differ only in the final "\n"
    if head in (old_end, new_end) or set(old[head:old_end]).isdisjoint(new[head:new_end]):
        return [(head, old_end, head, new_end)]  # nothing in common: one changed block
    return _diff(old, new, head, old_end, head, new_end)


def _diff(old: list[str], new: list[str], i1: int, i2: int, j1: int, j2: int) -> list[_Block]:
    """The changed blocks between old[i1:i2] and new[j1:j2], anchored on non-blank lines."""
    # Blank lines are up to half of a page's lines and all alike, and the matcher compares
    # each with every other (quadratic: 3 s for an edit at both ends of a 10,000-line page).
    # So the non-blank lines are matched first, then the few blank lines between two matched
    # lines are aligned on their own.
    old_kept = list(compress(range(i1, i2), old[i1:i2]))  # the indexes of non-blank lines
    new_kept = list(compress(range(j1, j2), new[j1:j2]))
    matcher = _matcher(list(filter(None, old[i1:i2])), list(filter(None, new[j1:j2])))
    blocks: list[_Block] = []
    i, j = i1, j1
    for x, y, size in matcher.get_matching_blocks():
        if not size:
            continue
        old_first, new_first = old_kept[x], new_kept[y]
        old_last, new_last = old_kept[x + size - 1], new_kept[y + size - 1]
        if old[old_first:old_last] == new[new_first:new_last]:  # the usual case, one compare
            anchors: Iterable[tuple[int, int]] = ((old_first, new_first),)
        else:  # the blank lines between the matched lines differ
            anchors = zip(old_kept[x : x + size], new_kept[y : y + size], strict=True)
        for old_at, new_at in anchors:
            if old_at != i or new_at != j:
                _align_gap(old, new, i, old_at, j, new_at, blocks)
            i, j = old_at + 1, new_at + 1
        i, j = old_last + 1, new_last + 1
    if i != i2 or j != j2:
        _align_gap(old, new, i, i2, j, j2, blocks)
    return blocks


# Gaps between matched lines hold unmatched lines and blank lines, and only the blank lines
# can match; past this many line pairs a gap is one changed block (its blank lines lose
# their blame, as everything around them has been rewritten anyway).
_MAX_GAP_PAIRS = 10_000


def _align_gap(
    old: list[str], new: list[str], i1: int, i2: int, j1: int, j2: int, blocks: list[_Block]
) -> None:
    """Add the changed blocks between old[i1:i2] and new[j1:j2] to `blocks`."""
    old_gap, new_gap = old[i1:i2], new[j1:j2]
    if old_gap == new_gap:
        return
    if "" not in old_gap or "" not in new_gap or len(old_gap) * len(new_gap) > _MAX_GAP_PAIRS:
        blocks.append((i1, i2, j1, j2))
    else:
        blocks.extend(
            (i1 + a1, i1 + a2, j1 + b1, j1 + b2)
            for tag, a1, a2, b1, b2 in _matcher(old_gap, new_gap).get_opcodes()
            if tag != "equal"
        )


def _matcher(old: list[str], new: list[str]) -> SequenceMatcher[str]:
    # autojunk=False: from 200 lines on, the heuristic lets no line text that makes up over
    # 1% of them start a match. A line like "---" between two edited lines would then be
    # reported as changed, taking the editor's name and chars counts.
    return SequenceMatcher(None, old, new, autojunk=False)


def _blame(
    previous: Sequence[BlameLine],
    new_lines: list[str],
    changes: list[_Block],
    version: int,
    author_id: str,
    author_name: str,
) -> tuple[BlameLine, ...]:
    """Blame of the new lines: equal lines keep theirs, moved lines too, the rest is new."""
    moved: dict[str, deque[BlameLine]] = {}
    if any(j1 < j2 for _, _, j1, j2 in changes):
        for i1, i2, _, _ in changes:
            for k in range(i1, i2):
                line = previous[k]
                if _may_move(line.text):
                    moved.setdefault(line.text, deque()).append(line)
    blame: list[BlameLine] = []
    old_at = 0
    for i1, i2, j1, j2 in changes:
        blame.extend(previous[old_at:i1])
        for text in new_lines[j1:j2]:
            same_text = moved.get(text)
            if same_text:
                blame.append(same_text.popleft())
            else:
                blame.append(BlameLine(text, version, author_id, author_name))
        old_at = i2
    blame.extend(previous[old_at:])
    return tuple(blame)


def _may_move(text: str) -> bool:
    return len(text.strip()) >= MIN_MOVED_LINE_LENGTH and bool(_LETTER_OR_DIGIT.search(text))


def _chars(
    old_text: str, old_lines: list[str], new_text: str, new_lines: list[str], changes: list[_Block]
) -> tuple[int, int]:
    """(chars added, chars removed) over the changed blocks, as `attribute_edit` defines."""
    added = removed = 0
    old_start = _Offsets(old_lines, len(old_text))
    new_start = _Offsets(new_lines, len(new_text))
    for i1, i2, j1, j2 in changes:
        before = old_text[old_start(i1) : old_start(i2)]
        after = new_text[new_start(j1) : new_start(j2)]
        common = _common_prefix_length(before, after)
        common += _common_suffix_length(before, after, min(len(before), len(after)) - common)
        removed += len(before) - common
        added += len(after) - common
    # The blocks and the equal lines between them cover both texts, so whatever the blocks
    # miss comes from equal lines; equal lines can differ only in the final "\n" of a text.
    newline = (len(new_text) - len(old_text)) - (added - removed)
    if newline > 0:
        added += newline
    else:
        removed -= newline
    return added, removed


class _Offsets:
    """Where line i starts in the text; asked with ascending i, each line is summed once."""

    __slots__ = ("_at", "_lines", "_offset", "_text_length")

    def __init__(self, lines: list[str], text_length: int) -> None:
        self._lines, self._text_length = lines, text_length
        self._at = self._offset = 0

    def __call__(self, line: int) -> int:
        self._offset += sum(map(len, self._lines[self._at : line])) + line - self._at
        self._at = line
        return min(self._offset, self._text_length)  # the last line may lack its "\n"


def _common_prefix_length(a: Sequence[str], b: Sequence[str]) -> int:
    """Length of the common prefix of two strings, or of two lists of lines."""
    # Binary search over slice comparisons: C-speed compares instead of a loop per item.
    low, high = 0, min(len(a), len(b))
    while low < high:
        middle = (low + high + 1) // 2
        if a[:middle] == b[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def _common_suffix_length(a: Sequence[str], b: Sequence[str], limit: int) -> int:
    """Length of the common suffix of `a` and `b`, at most `limit`."""
    low, high = 0, limit
    while low < high:
        middle = (low + high + 1) // 2
        if a[len(a) - middle :] == b[len(b) - middle :]:
            low = middle
        else:
            high = middle - 1
    return low
