"""What the audit log (`/admin/audit`, `GET /api/v1/admin/audit`) reads and answers.

The page, the JSON answer and the downloads read the same query, so a filter means the
same everywhere. Parameters are checked strictly: an unknown parameter, event type or
moment is a 422 that names the field.
"""

import re
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.datastructures import QueryParams

from storage.queries import MAX_LIMIT, parse_moment
from storage.records import AuditFilter
from web.api_models import MAX_NUMBER, Answer, Author, InvalidField
from wikiengine.application import EVENT_TYPES
from wikiengine.attribution import format_signed_at
from wikiengine.errors import InvalidInput, InvalidTitle
from wikiengine.titles import MAX_TITLE_LENGTH, normalise_title

DEFAULT_LIMIT = 50
MAX_AUTHOR_LENGTH = 200
IGNORED = frozenset({"lang"})  # the site's, not the query's


def event_types() -> list[str]:
    """Every event type the log can hold (`page.edited`), in order."""
    return sorted(set(EVENT_TYPES.values()))


class AuditQuery(BaseModel):
    """The audit log's filter and page; every filter given must match."""

    model_config = ConfigDict(extra="forbid")

    author: str | None = Field(
        None,
        max_length=MAX_AUTHOR_LENGTH,
        description="Who signed: an author id, `operator`, or a name (any case).",
    )
    title: str | None = Field(
        None,
        max_length=MAX_TITLE_LENGTH,
        description="A page, by its title or any old title: all of its events.",
    )
    target: str | None = Field(None, description="The author an author event concerns (id).")
    type: list[str] = Field(
        [], description="Event types (`page.edited`), repeated or comma-separated."
    )
    since: str | None = Field(None, description="At or after this moment (a date: its start).")
    until: str | None = Field(None, description="At or before this moment (a date: its end).")
    before: int | None = Field(None, ge=1, le=MAX_NUMBER, description="`next`: older events.")
    after: int | None = Field(None, ge=0, le=MAX_NUMBER, description="`previous`: newer events.")
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)

    @field_validator("author")
    @classmethod
    def _author(cls, value: str | None) -> str | None:
        if value is None:
            return None
        text = " ".join(value.split())
        if not text:
            raise ValueError("an author id or name is required")
        try:
            return str(UUID(text))
        except ValueError:
            return text

    @field_validator("title")
    @classmethod
    def _title(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return normalise_title(value)
        except InvalidTitle as problem:
            raise ValueError(problem.reason) from None

    @field_validator("target")
    @classmethod
    def _target(cls, value: str | None) -> str | None:
        return None if value is None else str(UUID(value))

    @field_validator("type")
    @classmethod
    def _types(cls, values: list[str]) -> list[str]:
        known = set(event_types())
        unknown = [value for value in values if value not in known]
        if unknown:
            raise ValueError(
                f"unknown event type {unknown[0]!r}; known: {', '.join(sorted(known))}"
            )
        return sorted(set(values))

    @field_validator("since")
    @classmethod
    def _since(cls, value: str | None) -> str | None:
        return None if value is None else _signed_at(value, start_of_day=True)

    @field_validator("until")
    @classmethod
    def _until(cls, value: str | None) -> str | None:
        return None if value is None else _signed_at(value, start_of_day=False)

    def filter(self) -> AuditFilter:
        return AuditFilter(
            author=self.author,
            title=self.title,
            target=self.target,
            types=tuple(self.type),
            since=self.since,
            until=self.until,
        )


_MINUTES = re.compile(r"T\d\d:\d\d(?![:\d])")
_SECONDS = re.compile(r"T\d\d:\d\d:\d\d(?![.\d])")


def _signed_at(text: str, *, start_of_day: bool) -> str:
    """A moment as `signed_at` text (comparable with the log's); a date alone means the
    start of that day for `since` and its end for `until` (UTC)."""
    try:
        moment: datetime = parse_moment(text)
        if start_of_day and len(text.strip()) == len("2026-01-31"):
            moment = moment.replace(hour=0, minute=0, second=0, microsecond=0)
        if not start_of_day:
            # `until` takes in the whole minute or second it names, as a date its whole day.
            if _MINUTES.search(text):
                moment += timedelta(seconds=59, microseconds=999_999)
            elif _SECONDS.search(text):
                moment += timedelta(microseconds=999_999)
        return format_signed_at(moment)
    except (InvalidInput, OverflowError, ValueError):
        raise ValueError(f"not a moment in time: {text!r} (e.g. 2026-01-31T12:00:00Z)") from None


def parsed_audit_query(params: QueryParams) -> AuditQuery:
    """The query string as an `AuditQuery`; empty values (a form's blank fields) are left
    out. Raises `InvalidField` (422) naming the parameter."""
    values: dict[str, Any] = {}
    for name in params:
        if name in IGNORED:
            continue
        if name == "type":
            kinds = [kind.strip() for raw in params.getlist(name) for kind in raw.split(",")]
            values[name] = [kind for kind in kinds if kind]
        elif params[name].strip():
            values[name] = params[name]
    try:
        query = AuditQuery.model_validate(values)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else None
        raise InvalidField(field, first["msg"]) from None
    if query.before is not None and query.after is not None:
        raise InvalidField("after", "give either before or after, not both")
    return query


# ---------------------------------------------------------------------- answers


class AuditedPage(Answer):
    id: str
    title: str = Field(description="The page's title after the event.")
    slug: str | None = Field(description="The page's current slug (for links).")


class AuditLinks(Answer):
    """Where to look: the page, its version after the event, what the event changed."""

    page: str | None
    version: str | None
    diff: str | None
    author: str | None
    target: str | None


class AuditEvent(Answer):
    position: int = Field(description="In the signed log (the export's `position`).")
    type: str
    aggregate_id: str
    version: int
    author: Author = Field(description="Who signed the event, named as signed.")
    signed_at: str
    summary: str = Field(description="The signed summary; for moderation, the reason.")
    page: AuditedPage | None
    target: Author | None = Field(description="The author an author event concerns.")
    details: dict[str, Any] = Field(description="A few fields of the event's signed data.")
    links: AuditLinks


class AuditEvents(Answer):
    events: list[AuditEvent]
    next: int | None = Field(description="Pass as `before` for older events.")
    previous: int | None = Field(description="Pass as `after` for newer events.")
