"""The audit log's rows: one per event of every aggregate (pages, slugs, the page log,
authors, the keyring), metadata only.

A row says who signed what, when, why, and which page or author it concerns. It never
holds a page's text: text travels beside the signed payload (`SignedBodyEvent.body`),
and only named fields of the payload's data are kept (`DETAIL_KEYS`), so a suppressed
revision's text cannot reach the table, its downloads or its pages.
"""

import json
from typing import Any

# Fields of an event's signed data worth showing in the log (none of them is page text).
DETAIL_KEYS = (
    "old_title",  # page.renamed
    "new_title",
    "to_version",  # page.reverted
    "merged",  # page.edited as a 3-way merge
    "revision",  # page.revision_suppressed: the version whose text is hidden
    "role",  # author.role_granted, author.role_revoked
    "method",  # author.identity_verified
    "name",  # author.registered, author.renamed: the public name
    "slug",  # slug.assigned, slug.reassigned
    "new_kid",  # key.published
)

AUDIT_COLUMNS = (
    "position, type, aggregate_id, version, author_id, author_name, author_key, signed_at,"
    " summary, page_id, page_title, target_id, target_name, details"
)


def page_id_of(payload: dict[str, Any], aggregate_id: str) -> str | None:
    """The page an event concerns: a page's own events, or one its data names (slug
    claims, the page log)."""
    if payload["type"].startswith("page."):
        return aggregate_id
    page_id = payload["data"].get("page_id")
    return str(page_id) if page_id is not None else None


def target_id_of(payload: dict[str, Any], aggregate_id: str) -> str | None:
    """The author an event concerns (their registration, verification, roles, blocks)."""
    return aggregate_id if payload["type"].startswith("author.") else None


def author_key(name: str) -> str:
    """A name as the author filter compares it: case and spacing do not matter."""
    return " ".join(name.casefold().split())


def details_of(data: dict[str, Any]) -> dict[str, Any]:
    return {key: data[key] for key in DETAIL_KEYS if key in data}


def audit_row(
    event: Any, position: int, page_title: str | None, target_name: str | None
) -> tuple[Any, ...]:
    """The row for one event (`page_title`: the page's title after it, when known)."""
    payload = event.payload
    aggregate_id = str(event.originator_id)
    author = payload["author"]
    return (
        position,
        payload["type"],
        aggregate_id,
        event.originator_version,
        author["id"],
        author["name"],
        author_key(author["name"]),
        payload["signed_at"],
        payload["summary"],
        page_id_of(payload, aggregate_id),
        page_title,
        target_id_of(payload, aggregate_id),
        target_name,
        json.dumps(details_of(payload["data"]), ensure_ascii=False, sort_keys=True),
    )
