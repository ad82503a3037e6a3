"""What `GET /api/v1/admin/integrity` answers, as pydantic models (for `web.openapi`)."""

from web.api_models import Answer


class IntegrityProblem(Answer):
    position: int | None
    aggregate_id: str | None
    version: int | None
    kind: str
    message: str


class IntegrityReport(Answer):
    """The verifier's verdict on the live store (`docs/auditing.md`, Problem kinds)."""

    ok: bool
    events_checked: int
    problems: list[IntegrityProblem]
