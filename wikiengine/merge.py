"""Three-way merge of page text (base, theirs, mine) with breezy's `merge3`."""

from dataclasses import dataclass

from merge3 import Merge3

# The lines that frame an overlap in a conflicted result: start and end carry a label.
START_MARKER = "<<<<<<<"
MID_MARKER = "======="
END_MARKER = ">>>>>>>"


@dataclass(frozen=True)
class MergeResult:
    text: str
    conflicted: bool


def merge_texts(
    base: str, theirs: str, mine: str, *, their_label: str, my_label: str
) -> MergeResult:
    """Merge `mine` into `theirs`, both changed from `base`.

    Overlapping changes come back between conflict markers, both sides kept; the caller
    must not save a conflicted result.
    """
    merger = Merge3(_lines(base), _lines(theirs), _lines(mine))
    merged_lines = list(
        merger.merge_lines(
            name_a=their_label,
            name_b=my_label,
            start_marker=START_MARKER,
            mid_marker=MID_MARKER,
            end_marker=END_MARKER,
        )
    )
    conflicted = any(region[0] == "conflict" for region in merger.merge_regions())
    text = "".join(merged_lines)
    if not conflicted and not theirs.endswith("\n") and not mine.endswith("\n"):
        text = text.removesuffix("\n")
    return MergeResult(text=text, conflicted=conflicted)


def conflict_line(text: str) -> int | None:
    """The line (from 1) where an overlap left by `merge_texts` starts, if `text` still has
    one: a start marker line, later a middle marker line, later an end marker line.

    A lone `=======` is a markdown heading underline, so only the whole frame counts.
    """
    start: int | None = None
    middle = False
    for number, line in enumerate(text.splitlines(), start=1):
        if start is None:
            if _is_marker(line, START_MARKER):
                start = number
        elif not middle:
            middle = line.rstrip() == MID_MARKER
        elif _is_marker(line, END_MARKER):
            return start
    return None


def _is_marker(line: str, marker: str) -> bool:
    return line.rstrip() == marker or line.startswith(marker + " ")


def _lines(text: str) -> list[str]:
    # A last line without a newline would glue onto a conflict marker; give it one.
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines
