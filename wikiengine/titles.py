"""Page titles and the slugs that name them in URLs and in the `Slug` aggregate ids.

Titles are case-sensitive after the first letter; spaces and underscores are the same;
Danish letters are kept (`Innovation i Århus` <-> `Innovation_i_Århus`).
"""

import re
import unicodedata
from uuid import NAMESPACE_URL, UUID, uuid5

from wikiengine.errors import InvalidTitle

MAX_TITLE_LENGTH = 200
_FORBIDDEN = re.compile(r"[\[\]{}|#<>\x00-\x1f\x7f]")
_SEPARATORS = re.compile(r"[\s_]+")


def normalise_title(title: str) -> str:
    """Return the canonical display form of `title` or raise `InvalidTitle`."""
    text = unicodedata.normalize("NFC", title)
    if _FORBIDDEN.search(text):
        raise InvalidTitle(title, "a title may not contain [ ] { } | # < > or control characters")
    text = _SEPARATORS.sub(" ", text).strip()
    if not text:
        raise InvalidTitle(title, "a title may not be empty")
    if len(text) > MAX_TITLE_LENGTH:
        raise InvalidTitle(title, f"a title may be at most {MAX_TITLE_LENGTH} characters")
    if text.startswith("/") or text in {".", ".."}:
        raise InvalidTitle(title, "a title may not start with / or be . or ..")
    return text[0].upper() + text[1:]


# A title may not end like the address of a page action (`Foo/diff` would be Foo's diff
# at `/wiki/Foo/diff`, and the page itself unreachable).
_ACTION_ENDING = re.compile(
    r"/\s*(edit|history|diff|blame|credits|backlinks|revert|rename|revisions(\s*/\s*\d+)?)\s*$"
)


def new_title(title: str) -> str:
    """`normalise_title` for a title a page is about to take (created or renamed)."""
    text = normalise_title(title)
    if _ACTION_ENDING.search(text):
        raise InvalidTitle(title, "a title may not end in /edit, /history, /diff and the like")
    return text


def slug_for(title: str) -> str:
    """The URL form of a title: normalised, with underscores for spaces."""
    return normalise_title(title).replace(" ", "_")


# Danish sorts æ, ø, å after z, in that order.
_DANISH_ORDER = str.maketrans({"æ": "\uffe0", "ø": "\uffe1", "å": "\uffe2"})


def danish_sort_key(title: str) -> str:
    """Sort key for titles in Danish alphabetical order (the same on every database)."""
    return title.casefold().translate(_DANISH_ORDER)


def slug_id(slug: str) -> UUID:
    """The id of the `Slug` aggregate that claims `slug` (stable, derived from the slug)."""
    return uuid5(NAMESPACE_URL, f"/innovationswiki/slugs/{slug}")
