"""Errors of the domain and application, one type per thing that can go wrong.

`web` maps each type to an HTTP status in one place; the CLI prints the message.
"""

from dataclasses import dataclass


class WikiError(Exception):
    """Base of every error a caller of the application service can expect."""

    code = "error"


class NotAuthenticated(WikiError):
    code = "not_authenticated"

    def __init__(self) -> None:
        super().__init__("You must log in with a verified identity to do this.")


class NotVerified(WikiError):
    code = "not_verified"

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} has not had their identity verified yet.")


class Blocked(WikiError):
    code = "blocked"

    def __init__(self, name: str) -> None:
        super().__init__(f"{name} is blocked from editing.")


class Forbidden(WikiError):
    code = "forbidden"


class Protected(WikiError):
    code = "protected"

    def __init__(self, title: str) -> None:
        super().__init__(f"{title} is protected: only administrators may change it.")


class PageNotFound(WikiError):
    code = "not_found"

    def __init__(self, title: str) -> None:
        super().__init__(f"There is no page called {title}.")
        self.title = title


class AuthorNotFound(WikiError):
    code = "not_found"


class RevisionNotFound(WikiError):
    code = "not_found"


class PageExists(WikiError):
    code = "page_exists"

    def __init__(self, title: str) -> None:
        super().__init__(f"A page called {title} already exists.")
        self.title = title


class PageDeleted(WikiError):
    code = "page_deleted"

    def __init__(self, title: str) -> None:
        super().__init__(f"{title} has been deleted; an administrator can restore it.")


class InvalidTitle(WikiError):
    code = "invalid"

    def __init__(self, title: str, reason: str) -> None:
        super().__init__(f"Invalid title {title!r}: {reason}.")
        self.title = title
        self.reason = reason


class InvalidInput(WikiError):
    """Input that cannot be used; nothing was saved. `field` names the part of the
    request at fault and `line` the line of a text, when known."""

    code = "invalid"

    def __init__(self, message: str, *, field: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.line = line


class InvalidFrontMatter(InvalidInput):
    """The front matter of a page is not valid for its kind; nothing was saved.

    `line` counts the whole page text from 1 (the `---` opener is line 1); `field` is
    None for a problem that is not one field's, such as a YAML syntax error.
    """

    def __init__(self, problem: str, *, field: str | None, line: int | None) -> None:
        where = "Front matter" if line is None else f"Front matter line {line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}.", field=field, line=line)
        self.problem = problem


class UnresolvedConflict(InvalidInput):
    """A text still holds the conflict markers of a merge; nothing was saved."""

    def __init__(self, line: int) -> None:
        super().__init__(
            f"Line {line} starts an unresolved conflict (<<<<<<<, =======, >>>>>>>):"
            " keep what should stay and delete the marker lines.",
            field="body",
            line=line,
        )


class RevisionSuppressed(WikiError):
    code = "suppressed"

    def __init__(self, version: int) -> None:
        super().__init__(f"Revision {version} has been suppressed.")


@dataclass
class EditConflict(WikiError):
    """Another edit changed the same lines since `base_version`; nothing was saved.

    `merged_body` holds both sides with conflict markers so no one's text is lost.
    """

    title: str
    base_version: int
    current_version: int
    merged_body: str
    code = "edit_conflict"

    def __post_init__(self) -> None:
        super().__init__(
            f"{self.title} was changed by someone else since version {self.base_version}"
            f" (now version {self.current_version}) and the changes overlap."
        )


class TooLarge(WikiError):
    code = "too_large"
