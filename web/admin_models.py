"""What the administrators' JSON API (`/api/v1/admin`) reads and answers, as pydantic
models in the style of `web.api_models`: requests strict (unknown fields refused),
answers built from records by attribute, and the OpenAPI document made from both."""

import unicodedata
from typing import Literal

from pydantic import Field, field_validator

from web.api_models import MAX_NUMBER, Answer, Limit, Query, RequestBody
from web.api_models import Author as Author  # answers name authors the same way
from wikiengine.attribution import MAX_SUMMARY_LENGTH

DEFAULT_READS = 50

# ---------------------------------------------------------------------- requests


class NoFields(RequestBody):
    """An empty object; the request may also have no body at all."""


class Reasoned(RequestBody):
    """An act that must say why: the reason is signed with it and shown in the history."""

    reason: str = Field(min_length=1, max_length=MAX_SUMMARY_LENGTH, description="Why.")

    @field_validator("reason")
    @classmethod
    def _said(cls, reason: str) -> str:
        text = " ".join(unicodedata.normalize("NFC", reason).split())
        if not text:
            raise ValueError("a reason is required")
        return text


class RoleChange(RequestBody):
    """Grant (`grant: true`) or revoke (`grant: false`) a role."""

    role: Literal["administrator"]
    grant: bool


class ReadsQuery(Query):
    limit: Limit = DEFAULT_READS
    offset: int = Field(0, ge=0, le=MAX_NUMBER, description="`next` of the previous answer.")


# ---------------------------------------------------------------------- answers


class AuthorState(Answer):
    """An author after an administrator's act."""

    ok: Literal[True] = True
    changed: bool = Field(description="False when the act was in force already.")
    id: str
    name: str
    verification: str | None = Field(
        description='"admin", "operator" or "oidc:<issuer>"; null until verified.'
    )
    verified: bool
    roles: list[str]
    blocked: bool
    administrator: bool = Field(description="Holds the role and is verified and unblocked.")


class PageState(Answer):
    """A page after an administrator's act."""

    ok: Literal[True] = True
    changed: bool = Field(description="False when the act was in force already.")
    title: str
    slug: str
    version: int
    protected: bool
    deleted: bool
    suppressed: list[int] = Field(description="Versions whose text is hidden from the public.")


class Suppression(Answer):
    reason: str
    by: Author
    at: str


class AdministratorsRevision(Answer):
    """A revision with its text, hidden or not (reading hidden text is logged)."""

    version: int
    type: str
    title: str = Field(description="The page's title at this version.")
    author: Author
    signed_at: str
    summary: str
    text_version: int = Field(description="The revision whose text this one shows.")
    body: str
    suppressed: bool = Field(description="The text is hidden from the public.")
    reason: str | None = Field(description="Why it was hidden.")
    suppression: Suppression | None = Field(description="Who hid it, when, and why.")


class SuppressedRead(Answer):
    read_at: str
    reader: Author
    page_id: str
    title: str
    version: int


class SuppressedReads(Answer):
    reads: list[SuppressedRead] = Field(description="Newest first.")
    next: int | None = Field(description="Pass as `offset` for older reads.")
