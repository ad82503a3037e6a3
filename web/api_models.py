"""What the JSON API (`/api/v1`) reads and answers, as pydantic models.

Requests are parsed strictly (unknown fields refused, no type coercion) and a problem
becomes `InvalidField`, a 422 naming the field. Answers are built from the read model's
records (`storage.records`) by attribute, so the OpenAPI document (`web.openapi`),
generated from these same models, cannot drift from what the API sends.
"""

import unicodedata
from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import QueryParams

from storage.accounts import MIN_PASSWORD_LENGTH, normalise_email
from storage.queries import MAX_LIMIT
from wikiengine.application import MAX_NAME_LENGTH
from wikiengine.attribution import MAX_SUMMARY_LENGTH
from wikiengine.errors import InvalidInput
from wikiengine.titles import MAX_TITLE_LENGTH

MAX_PASSWORD_LENGTH = 1024  # argon2 takes any length; this only bounds the work
MAX_LABEL_LENGTH = 100
DEFAULT_LIMIT = 50

# Numbers beyond 2**62 fit no database integer: refused with 422, not a 500.
MAX_NUMBER = 2**62
Version = Annotated[
    int, Field(ge=1, le=MAX_NUMBER, description="A page's version, counted from 1.")
]
Limit = Annotated[int, Field(ge=1, le=MAX_LIMIT)]
Summary = Annotated[str, Field(max_length=MAX_SUMMARY_LENGTH, description="Edit summary.")]
Model = TypeVar("Model", bound=BaseModel)


class InvalidField(InvalidInput):
    """A request's field (JSON member, query or path parameter) is not acceptable;
    `field` is None when the problem is the request as a whole (e.g. malformed JSON)."""

    def __init__(self, field: str | None, problem: str) -> None:
        super().__init__(f"{field}: {problem}" if field else problem, field=field)


def parsed_body(model: type[Model], raw: bytes) -> Model:
    """The JSON request body as `model`; raises `InvalidField`."""
    try:
        return model.model_validate_json(raw or b"null")
    except ValidationError as error:
        raise _invalid(error) from None


def parsed_query(model: type[Model], params: QueryParams) -> Model:
    """Query parameters as `model` (numbers read from their text); raises `InvalidField`."""
    try:
        return model.model_validate(dict(params))
    except ValidationError as error:
        raise _invalid(error) from None


def _invalid(error: ValidationError) -> InvalidField:
    first = error.errors(include_url=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or None
    return InvalidField(field, first["msg"])


# ---------------------------------------------------------------------- requests


class RequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NewAccount(RequestBody):
    """Open an account; an administrator still has to confirm the name before editing."""

    name: str = Field(description="Full name, as it will sign every edit.")
    email: str = Field(max_length=254)
    password: str = Field(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH)

    @field_validator("name")
    @classmethod
    def _full_name(cls, name: str) -> str:
        text = " ".join(unicodedata.normalize("NFC", name).split())
        if not text:
            raise ValueError("a full name is required")
        if len(text) > MAX_NAME_LENGTH or any(unicodedata.category(c) == "Cc" for c in text):
            raise ValueError(f"a name is at most {MAX_NAME_LENGTH} printable characters")
        return text

    @field_validator("email")
    @classmethod
    def _address(cls, email: str) -> str:
        try:
            return normalise_email(email)
        except InvalidInput:
            raise ValueError("not an e-mail address") from None


class NewToken(RequestBody):
    email: str = Field(max_length=254)
    password: str = Field(max_length=MAX_PASSWORD_LENGTH)
    label: str = Field("", max_length=MAX_LABEL_LENGTH, description="To recognise it later.")


class PageEdit(RequestBody):
    body: str = Field(description="The whole text, front matter included (at most 1 MB).")
    summary: Summary = ""
    base_version: Version | None = Field(
        description="The version the edit started from; null creates the page."
    )


class PageRevert(RequestBody):
    to_version: Version
    summary: Summary = ""
    base_version: Version | None = Field(None, description="Default: the current version.")


class PageRename(RequestBody):
    new_title: str = Field(min_length=1, max_length=MAX_TITLE_LENGTH)
    summary: Summary = ""
    base_version: Version | None = None


# ---------------------------------------------------------------------- query parameters


class Query(BaseModel):
    # Other parameters (`lang`) belong to the site, not to the API call: ignored.
    model_config = ConfigDict(extra="ignore")


class RevisionsQuery(Query):
    limit: Limit = DEFAULT_LIMIT
    before: Version | None = Field(None, description="Only versions before this one.")


class RecentChangesQuery(Query):
    limit: Limit = DEFAULT_LIMIT
    before: int | None = Field(
        None, ge=1, le=MAX_NUMBER, description="`next` of the previous answer."
    )


class DiffQuery(Query):
    from_: int | None = Field(
        None,
        alias="from",
        ge=0,
        le=MAX_NUMBER,
        description="Default: `to` - 1; 0 is the empty text.",
    )
    to: Version | None = Field(None, description="Default: the current version.")


class SearchQuery(Query):
    """Documentation of `web.search.read_request`, which parses these itself."""

    q: str = Field("", max_length=500, description='Words, "phrases", -excluded.')
    related_to: str | None = Field(None, description="Only pages related to this title.")
    limit: int = Field(10, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1000)
    kind: list[str] = []
    sector: list[str] = []
    theme: list[str] = []
    tags: list[str] = []
    authors: list[str] = []
    area: list[str] = []
    audience: list[str] = []
    level: list[str] = []


# ---------------------------------------------------------------------- answers


class Answer(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class Author(Answer):
    id: str
    name: str


class AccountCreated(Answer):
    author_id: str
    status: Literal["pending"] = "pending"


class TokenCreated(Answer):
    token: str = Field(description="Send as `Authorization: Bearer <token>`; shown only once.")


class Page(Answer):
    title: str
    slug: str
    kind: str
    version: int
    body: str
    html: str
    fields: dict[str, Any]
    updated_at: str
    updated_by: Author
    created_at: str
    created_by: Author
    protected: bool
    redirected_from: str | None = Field(
        description="The slug asked for (`Innovation_i_Århus`) when it is an old title."
    )


class Saved(Answer):
    title: str
    slug: str
    version: int
    merged: bool = Field(description="Saved as a 3-way merge with changes made meanwhile.")


class RevisionEntry(Answer):
    version: int
    type: str
    title: str
    author: Author
    signed_at: str
    summary: str
    size: int
    delta: int
    digest: str = Field(description="SHA-256 of the text after this revision.")
    text_version: int = Field(description="The revision whose text this one shows.")
    merged: bool
    suppressed: bool


class Revisions(Answer):
    revisions: list[RevisionEntry]
    next: int | None = Field(description="Pass as `before` for older revisions.")


class RevisionText(RevisionEntry):
    body: str


class Diff(Answer):
    from_: int = Field(alias="from")
    to: int
    unified: str


class Contributor(Answer):
    author: Author
    edits: int
    first_edit: str
    last_edit: str
    chars_added: int
    chars_removed: int


class Credits(Answer):
    contributors: list[Contributor]


class BlamedLine(Answer):
    text: str
    version: int
    author: Author


class Blame(Answer):
    version: int
    lines: list[BlamedLine]


class Backlink(Answer):
    title: str
    slug: str
    kind: str | None
    relation: str = Field(description="link, cases, recommendations or network.")


class Backlinks(Answer):
    backlinks: list[Backlink]


class Change(Answer):
    title: str
    slug: str
    version: int
    type: str
    author: Author
    signed_at: str
    summary: str
    size: int
    delta: int
    position: int


class RecentChanges(Answer):
    changes: list[Change]
    next: int | None = Field(description="Pass as `before` for older changes.")


class Contribution(Answer):
    title: str
    slug: str
    kind: str
    edits: int
    first_edit: str
    last_edit: str
    chars_added: int
    chars_removed: int


class AuthorProfile(Answer):
    id: str
    name: str
    verified: bool
    blocked: bool
    roles: list[str]
    registered_at: str
    contributions: list[Contribution]


class RelatedPage(Answer):
    title: str
    slug: str
    kind: str
    relation: str
    direction: Literal["in", "out"]


class SearchHit(Answer):
    title: str
    slug: str
    kind: str
    modified: str
    snippet_html: str
    related: list[RelatedPage]


class SearchResults(Answer):
    total: int
    results: list[SearchHit]
    facets: dict[str, dict[str, int]]
    labels: dict[str, dict[str, str]]


class ExportLine(Answer):
    """One line of `application/x-ndjson` (docs/auditing.md)."""

    position: int
    type: str | None
    aggregate_id: str
    version: int | None
    payload: dict[str, Any] | None
    kid: str | None
    signature: str | None
    body: str | None = None
    redacted_body_sha256: str | None = None


class SigningKey(Answer):
    kid: str
    alg: Literal["Ed25519"]
    public_key: str
    not_before: str


class SigningKeys(Answer):
    keys: list[SigningKey]


class ErrorDetail(Answer):
    model_config = ConfigDict(extra="allow")

    code: str
    message: str
    field: str | None = Field(None, description="422: the field at fault.")
    line: int | None = Field(None, description="422 in front matter: the line of the page.")
    current_version: int | None = Field(None, description="409 edit_conflict.")
    merged_body: str | None = Field(None, description="409: both sides, conflict markers.")


class Error(Answer):
    error: ErrorDetail
