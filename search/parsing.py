"""What a reader types, read into clauses that must all hold.

`kommunerne borgere` finds pages with both words in any inflection (Danish stemming);
`"offentlig innovation"` finds the phrase; `innova*` finds words beginning so; a leading
`-` excludes (`-skole`). Words the Danish stoplist drops ("og", "det") are ignored.
"""

import re
from dataclasses import dataclass
from typing import Literal

from search.schema import danish

MIN_PREFIX = 2  # `i*` would expand to most of the vocabulary
MAX_CLAUSES = 12

_TOKEN = re.compile(r'(?P<not>-?)(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')


@dataclass(frozen=True)
class Clause:
    kind: Literal["word", "prefix", "phrase"]
    terms: tuple[str, ...]  # word: its stems; phrase: its stems in order; prefix: prefixes
    negated: bool = False


def parse(text: str) -> list[Clause]:
    """The clauses of a query; an empty list when nothing searchable was typed."""
    clauses: list[Clause] = []
    for match in _TOKEN.finditer(text):
        negated = bool(match["not"])
        if match["phrase"] is not None:
            clause = _phrase(match["phrase"], negated)
        else:
            clause = _word(match["word"], negated)
        if clause is not None:
            clauses.append(clause)
    return clauses[:MAX_CLAUSES]


def stems(text: str) -> tuple[str, ...]:
    return tuple(token.text for token in danish()(text))


def _word(word: str, negated: bool) -> Clause | None:
    if word.endswith("*"):
        prefix = word.rstrip("*").lower()
        if len(prefix) >= MIN_PREFIX and prefix.isalnum():
            # The index holds stems: "kommune*" must also try "kommun", its stem.
            return Clause("prefix", tuple(dict.fromkeys((prefix, *stems(prefix)))), negated)
    found = stems(word)
    if not found:
        return None
    return Clause("word" if len(found) == 1 else "phrase", found, negated)


def _phrase(text: str, negated: bool) -> Clause | None:
    found = stems(text)
    if not found:
        return None
    return Clause("word" if len(found) == 1 else "phrase", found, negated)
