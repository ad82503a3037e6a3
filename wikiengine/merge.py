"""Three-way merge of page text (base, theirs, mine) with breezy's `merge3`."""

from dataclasses import dataclass

from merge3 import Merge3


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
            start_marker="<<<<<<<",
            mid_marker="=======",
            end_marker=">>>>>>>",
        )
    )
    conflicted = any(region[0] == "conflict" for region in merger.merge_regions())
    text = "".join(merged_lines)
    if not conflicted and not theirs.endswith("\n") and not mine.endswith("\n"):
        text = text.removesuffix("\n")
    return MergeResult(text=text, conflicted=conflicted)


def _lines(text: str) -> list[str]:
    # A last line without a newline would glue onto a conflict marker; give it one.
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    return lines
