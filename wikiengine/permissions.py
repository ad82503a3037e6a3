"""The one place that decides who may do what. The application service calls it before
anything is signed; `verify` applies the same rules to history."""

from wikiengine.authors import Author
from wikiengine.errors import Blocked, Forbidden, NotAuthenticated, NotVerified, Protected


def require_editor(author: Author | None) -> Author:
    """Only a verified, unblocked, named author may change content."""
    if author is None:
        raise NotAuthenticated()
    if author.blocked:
        raise Blocked(author.name)
    if not author.is_verified:
        raise NotVerified(author.name)
    return author


def require_administrator(author: Author | None) -> Author:
    editor = require_editor(author)
    if not editor.is_administrator:
        raise Forbidden("Only administrators may do this.")
    return editor


def require_may_change_page(author: Author | None, *, title: str, protected: bool) -> Author:
    editor = require_editor(author)
    if protected and not editor.is_administrator:
        raise Protected(title)
    return editor
