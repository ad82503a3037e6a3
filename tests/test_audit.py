"""The audit log on SQLite and PostgreSQL: every event of every aggregate, newest first,
filtered by author, page, type and time, paginated, linked to page versions and diffs,
downloadable as CSV and JSON lines, for administrators only, and without page text.

Expected results come from the event store itself (the oracle `logged`), not from the
read model under test.
"""

import csv
import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from starlette.testclient import TestClient

from storage import queries
from storage.audit import DETAIL_KEYS
from storage.readmodel import SqlProjector
from tests.conftest import view_rows
from tests.test_translations import check_english
from tests.web import sign_in
from web.app import create_app
from web.audit import CSV_COLUMNS
from web.audit_models import _signed_at
from web.site import Site
from wikiengine.application import Wiki

SECRET = "XYZZY"  # in every page text; never in the audit log
START = datetime(2030, 1, 10, 23, 30, tzinfo=UTC)  # the history crosses midnight


class Ticking:
    """A wiki clock one minute further on every reading: each event its own minute."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


@dataclass(frozen=True)
class History:
    anna: uuid.UUID  # administrator
    bo: uuid.UUID
    cecilie: uuid.UUID
    ideas: uuid.UUID  # the page first titled "Idéer", renamed "Gode idéer"
    trust: uuid.UUID  # "Tillid", protected
    hidden: uuid.UUID  # "Hemmelig side", its first text suppressed
    events: list[dict[str, Any]]  # the oracle: every event in the store, in log order


def logged(wiki: Wiki) -> list[dict[str, Any]]:
    """Every event as the store holds it (position, type, who, when, which page)."""
    found = []
    for notification in wiki.recorder.select_notifications(start=1, limit=10_000):
        event = wiki.mapper.to_domain_event(notification)
        payload = event.payload  # type: ignore[attr-defined]
        aggregate_id = str(event.originator_id)
        data = payload["data"]
        found.append(
            {
                "position": notification.id,
                "type": payload["type"],
                "aggregate_id": aggregate_id,
                "author_id": payload["author"]["id"],
                "author_name": payload["author"]["name"],
                "signed_at": payload["signed_at"],
                "pages": {aggregate_id, data.get("page_id")},
                "body": getattr(event, "body", None),
            }
        )
    return found


def text(n: int) -> str:
    return f"Linje {n} med {SECRET}{n}\n"


def make_history(site: Site, anna: uuid.UUID) -> History:
    """Three authors and more than 50 events: edits, a rename, a revert, a protection, a
    block, a suppression and a role grant."""
    wiki = site.wiki
    wiki.clock = Ticking(START)
    bo = wiki.register_author("Bo Bøgh")
    wiki.verify_author(anna, bo)
    cecilie = wiki.register_author("Cecilie Ærø")
    wiki.verify_author(anna, cecilie)
    wiki.save_page(bo, "Idéer", text(0), "Første idéer")
    wiki.save_page(cecilie, "Tillid", text(100), "Om tillid")
    wiki.save_page(bo, "Hemmelig side", f"CPR 010101-1234 {SECRET}\n", "Ups")
    for n in range(1, 17):
        wiki.save_page((bo, cecilie)[n % 2], "Idéer", text(n), f"Idé {n}", n)
    for n in range(1, 10):
        wiki.save_page(cecilie, "Tillid", text(100 + n), f"Tillid {n}", n)
    wiki.rename_page(bo, "Idéer", "Gode idéer", "Bedre titel")
    wiki.revert_page(cecilie, "Gode idéer", 2, "Tilbage til version 2")
    wiki.protect_page(anna, "Tillid", "Hærværk")
    wiki.save_page(anna, "Tillid", text(200), "Rettet af en administrator", 11)
    wiki.save_page(bo, "Hemmelig side", f"Rettet {SECRET}\n", "Fjernet", 1)
    wiki.suppress_revision(anna, "Hemmelig side", 1, "Personoplysninger")
    wiki.block_author(anna, bo, "Gentaget hærværk")
    wiki.grant_role(anna, cecilie, "administrator")
    wiki.unblock_author(cecilie, bo, "Aftalt med Bo")
    site.views_current()
    return History(
        anna=anna,
        bo=bo,
        cecilie=cecilie,
        ideas=wiki.page_by_title("Gode idéer").id,
        trust=wiki.page_by_title("Tillid").id,
        hidden=wiki.page_by_title("Hemmelig side").id,
        events=logged(wiki),
    )


@pytest.fixture
def client(site: Site) -> Iterator[TestClient]:
    with TestClient(create_app(site)) as test_client:
        yield test_client


@pytest.fixture
def history(client: TestClient, site: Site, admin: uuid.UUID) -> History:
    """The history, and `client` signed in as its administrator."""
    made = make_history(site, admin)
    sign_in(client, site, admin)
    return made


def walk(client: TestClient, params: dict[str, Any], limit: int = 7) -> list[dict[str, Any]]:
    """Every event the API gives for `params`, following `next` page by page."""
    events: list[dict[str, Any]] = []
    before = None
    while True:
        page_params = {**params, "limit": limit, **({"before": before} if before else {})}
        response = client.get("/api/v1/admin/audit", params=page_params)
        assert response.status_code == 200, response.text
        answer = response.json()
        assert len(answer["events"]) <= limit
        events.extend(answer["events"])
        before = answer["next"]
        if before is None:
            return events


def positions_of(events: list[dict[str, Any]]) -> list[int]:
    return [event["position"] for event in events]


def expected(history: History, keep: Callable[[dict[str, Any]], bool]) -> list[int]:
    """Positions of the stored events `keep` accepts, newest first."""
    return [event["position"] for event in reversed(history.events) if keep(event)]


# ---------------------------------------------------------------------- all events, in order


def test_every_event_of_every_aggregate_is_listed_newest_first_and_paged_exactly_once(
    client: TestClient, history: History
) -> None:
    assert len(history.events) >= 50
    events = walk(client, {}, limit=7)

    assert positions_of(events) == expected(history, lambda event: True)
    assert len(set(positions_of(events))) == len(events)
    by_position = {event["position"]: event for event in history.events}
    for event in events:
        stored = by_position[event["position"]]
        assert (event["type"], event["aggregate_id"], event["signed_at"]) == (
            stored["type"],
            stored["aggregate_id"],
            stored["signed_at"],
        )
        assert event["author"] == {"id": stored["author_id"], "name": stored["author_name"]}
    kinds = {event["type"] for event in events}
    assert {
        "key.published",
        "author.registered",
        "author.identity_verified",
        "author.role_granted",
        "author.blocked",
        "author.unblocked",
        "page.created",
        "page.edited",
        "page.renamed",
        "page.reverted",
        "page.protected",
        "page.revision_suppressed",
        "slug.assigned",
        "page_log.logged",
    } <= kinds

    # And back again, newer page by newer page, from the oldest.
    oldest = client.get("/api/v1/admin/audit", params={"before": events[-7]["position"]}).json()
    assert oldest["next"] is None
    collected = oldest["events"]
    after = oldest["previous"]
    while after is not None:
        answer = client.get("/api/v1/admin/audit", params={"after": after, "limit": 7}).json()
        collected = answer["events"] + collected
        after = answer["previous"]
    assert positions_of(collected) == positions_of(events)


def test_events_name_the_page_after_them_the_author_they_concern_and_their_details(
    client: TestClient, history: History
) -> None:
    events = walk(client, {}, limit=100)
    rename = next(event for event in events if event["type"] == "page.renamed")
    assert rename["page"] == {"id": str(history.ideas), "title": "Gode idéer", "slug": "Gode_idéer"}
    assert rename["details"] == {"old_title": "Idéer", "new_title": "Gode idéer"}
    assert rename["summary"] == "Bedre titel"
    created = next(
        event
        for event in events
        if event["type"] == "page.created" and event["aggregate_id"] == str(history.ideas)
    )
    assert created["page"]["title"] == "Idéer"  # the title it had then
    revert = next(event for event in events if event["type"] == "page.reverted")
    assert revert["details"]["to_version"] == 2
    suppressed = next(event for event in events if event["type"] == "page.revision_suppressed")
    assert suppressed["details"]["revision"] == 1
    assert suppressed["summary"] == "Personoplysninger"
    grant = next(event for event in events if event["type"] == "author.role_granted")
    assert grant["details"] == {"role": "administrator"}
    assert grant["target"] == {"id": str(history.cecilie), "name": "Cecilie Ærø"}
    assert grant["page"] is None
    block = next(event for event in events if event["type"] == "author.blocked")
    assert (block["summary"], block["target"]["id"]) == ("Gentaget hærværk", str(history.bo))
    key = next(event for event in events if event["type"] == "key.published")
    assert key["author"]["id"] == "operator" and key["details"]["new_kid"]


# ---------------------------------------------------------------------- filters


def test_each_filter_alone_and_combined(client: TestClient, history: History) -> None:
    bo, cecilie = str(history.bo), str(history.cecilie)
    ideas = str(history.ideas)
    cases: list[tuple[dict[str, Any], Callable[[dict[str, Any]], bool]]] = [
        ({"author": bo}, lambda e: e["author_id"] == bo),
        ({"author": "  cecilie   ÆRØ "}, lambda e: e["author_id"] == cecilie),
        ({"author": "operator"}, lambda e: e["author_id"] == "operator"),
        ({"author": "Bo"}, lambda e: False),  # a name matches whole, not in part
        ({"title": "Idéer"}, lambda e: ideas in e["pages"]),  # the old title
        ({"title": "gode_idéer"}, lambda e: ideas in e["pages"]),
        ({"title": "Findes ikke"}, lambda e: False),
        ({"target": bo}, lambda e: e["aggregate_id"] == bo and e["type"].startswith("author.")),
        ({"type": "page.edited"}, lambda e: e["type"] == "page.edited"),
        (
            {"type": ["author.blocked", "author.unblocked"]},
            lambda e: e["type"] in {"author.blocked", "author.unblocked"},
        ),
        (
            {"type": "page.renamed,slug.assigned"},
            lambda e: e["type"] in {"page.renamed", "slug.assigned"},
        ),
        (
            {"author": cecilie, "type": "page.edited"},
            lambda e: e["author_id"] == cecilie and e["type"] == "page.edited",
        ),
        (
            {"title": "Gode idéer", "author": bo, "type": "page.edited,page.renamed"},
            lambda e: (
                ideas in e["pages"]
                and e["author_id"] == bo
                and e["type"] in {"page.edited", "page.renamed"}
            ),
        ),
        (
            {"title": "Tillid", "since": "2030-01-11", "author": "Anna Ærø"},
            lambda e: (
                str(history.trust) in e["pages"]
                and e["signed_at"] >= "2030-01-11T00:00:00.000000Z"
                and e["author_id"] == str(history.anna)
            ),
        ),
    ]
    for params, keep in cases:
        found = positions_of(walk(client, params, limit=10))
        assert found == expected(history, keep), params
        if params != {"author": "Bo"} and params != {"title": "Findes ikke"}:
            assert found, params  # each case finds something: it tests the filter


def test_time_range_boundaries_are_inclusive_and_dates_mean_whole_days(
    client: TestClient, history: History
) -> None:
    moments = [event["signed_at"] for event in history.events if event["signed_at"] > "2030"]
    middle = moments[len(moments) // 2]
    one_later = (datetime.fromisoformat(middle) + timedelta(microseconds=1)).isoformat()
    cases: list[tuple[dict[str, Any], Callable[[str], bool]]] = [
        ({"since": middle}, lambda at: at >= middle),
        ({"until": middle}, lambda at: at <= middle),
        ({"since": middle, "until": middle}, lambda at: at == middle),
        ({"since": one_later}, lambda at: at > middle),
        ({"until": "2030-01-10"}, lambda at: at < "2030-01-11"),  # the end of that day
        ({"since": "2030-01-11"}, lambda at: at >= "2030-01-11"),  # its start
        ({"since": "2030-01-11", "until": "2030-01-11"}, lambda at: at.startswith("2030-01-11")),
        # An offset is a moment like any other: 00:30+01:00 is 23:30 the day before.
        ({"since": "2030-01-11T00:30:00+01:00"}, lambda at: at >= "2030-01-10T23:30"),
        ({"until": "2020-01-01"}, lambda at: False),
    ]
    for params, keep in cases:
        found = positions_of(walk(client, params, limit=25))
        moment_kept = [e["position"] for e in reversed(history.events) if keep(e["signed_at"])]
        assert found == moment_kept, params
    assert len(positions_of(walk(client, {"since": middle, "until": middle}))) == 1
    on_the_10th = positions_of(walk(client, {"since": "2030-01-10", "until": "2030-01-10"}))
    on_the_11th = positions_of(walk(client, {"since": "2030-01-11", "until": "2030-01-11"}))
    assert on_the_10th and on_the_11th
    assert len(on_the_10th) + len(on_the_11th) == len(moments)


def test_bad_parameters_are_422_naming_the_field(client: TestClient, history: History) -> None:
    bad = {
        "since": {"since": "i går"},
        "until": {"until": "2030-13-01"},
        "type": {"type": "page.edited,page.nonsense"},
        "limit": {"limit": "501"},
        "before": {"before": "0"},
        "target": {"target": "ikke-et-id"},
        "title": {"title": "a|b"},
        "unknown": {"unknown": "1"},
        "after": {"before": "5", "after": "3"},
    }
    for field, params in bad.items():
        response = client.get("/api/v1/admin/audit", params=params)
        assert response.status_code == 422, (field, response.text)
        error = response.json()["error"]
        assert (error["code"], error["field"]) == ("invalid", field), error
    page = client.get("/admin/audit", params={"since": "i går", "author": "Bo"})
    assert page.status_code == 422
    assert 'aria-invalid="true"' in page.text and 'id="filter-since"' in page.text
    assert 'href="#filter-since"' in page.text
    assert 'value="Bo"' in page.text  # the form keeps what was typed


# ---------------------------------------------------------------------- links


def test_events_link_to_their_version_diff_and_authors(
    client: TestClient, history: History
) -> None:
    events = walk(client, {"title": "Gode idéer"}, limit=100)
    edit = next(event for event in events if event["type"] == "page.edited")
    version = edit["version"]
    assert edit["links"] == {
        "page": "/wiki/Gode_id%C3%A9er",
        "version": f"/wiki/Gode_id%C3%A9er?version={version}",
        "diff": f"/wiki/Gode_id%C3%A9er/diff?from={version - 1}&to={version}",
        "author": f"/authors/{edit['author']['id']}",
        "target": None,
    }
    for link in ("page", "version", "diff", "author"):
        assert client.get(edit["links"][link]).status_code == 200, edit["links"][link]
    created = events[-1]  # the oldest: page.created, before its slug and page-log entries
    assert created["type"] == "page.created"
    assert created["links"]["diff"].endswith("/diff?from=0&to=1")
    assert "Linje 0" in client.get(created["links"]["version"]).text
    rename = next(event for event in events if event["type"] == "page.renamed")
    assert rename["links"]["diff"] is None and rename["links"]["version"].endswith("version=18")
    slug = next(event for event in events if event["type"] == "slug.assigned")
    assert slug["links"]["version"] is None and slug["links"]["page"] == "/wiki/Gode_id%C3%A9er"

    block = walk(client, {"type": "author.blocked"})[0]
    assert block["links"]["target"] == f"/authors/{history.bo}"
    assert client.get(block["links"]["target"]).status_code == 200
    operator = walk(client, {"author": "operator", "type": "key.published"})[0]
    assert operator["links"]["author"] is None  # the operator has no profile page

    page = client.get("/admin/audit", params={"title": "Gode idéer"})
    diff = edit["links"]["diff"].replace("&", "&amp;")
    assert f'href="{diff}"' in page.text
    assert f'href="{edit["links"]["version"]}"' in page.text
    assert f'href="/authors/{edit["author"]["id"]}"' in page.text
    hidden = client.get("/admin/audit", params={"type": "page.revision_suppressed"})
    # The hidden version, where administrators may read it (and the read is logged).
    assert 'href="/admin/pages/Hemmelig_side/revisions/1"' in hidden.text
    assert client.get("/admin/pages/Hemmelig_side/revisions/1").status_code == 200


# ---------------------------------------------------------------------- the page


def test_the_page_shows_the_form_the_table_and_paging_both_ways(
    client: TestClient, history: History
) -> None:
    response = client.get("/admin/audit", params={"type": "page.edited", "limit": "100"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.text
    assert '<html lang="da">' in body and "Revisionslog" in body
    assert 'value="page.edited" checked' in body and 'value="page.renamed">' in body
    assert body.count("Side redigeret</th>") == sum(
        1 for event in history.events if event["type"] == "page.edited"
    )
    assert 'href="/admin/audit.csv?type=page.edited"' in body
    assert 'href="/admin/audit.jsonl?type=page.edited"' in body
    assert 'rel="next"' not in body and 'rel="prev"' not in body
    for label in ('<label for="filter-author">', '<label for="filter-title">'):
        assert label in body

    first = client.get("/admin/audit?limit=20")
    assert 'rel="next"' in first.text and 'rel="prev"' not in first.text
    older = first.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert older.startswith("/admin/audit?limit=20&amp;before=")
    second = client.get(older.replace("&amp;", "&"))
    assert 'rel="prev"' in second.text and "Nyere" in second.text and "Ældre" in second.text
    newest = second.text.split('rel="prev"')[0].rsplit('href="', 1)[1].split('"')[0]
    again = client.get(newest.replace("&amp;", "&"))
    assert again.status_code == 200
    assert _rows(again.text) == _rows(first.text)

    filtered = client.get("/admin/audit", params={"author": str(history.bo), "limit": "5"})
    link = filtered.text.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    assert f"author={history.bo}" in link and "limit=5" in link

    # In English, nothing of the interface is Danish (the events' own texts may be).
    phrases = ["Audit log", "Events, newest first", "Role granted", "Page events", "Who"]
    problems = check_english(client, "/admin/audit?type=author.role_granted", 200, phrases)
    assert [problem for problem in problems if "Ærø" not in problem] == []  # names stay


def _rows(html: str) -> list[str]:
    return [part.split('"')[0] for part in html.split('<tr id="haendelse-')[1:]]


# ---------------------------------------------------------------------- downloads


def test_downloads_hold_the_whole_filtered_result_as_the_json_gives_it(
    client: TestClient, history: History, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(queries, "MAX_LIMIT", 6)  # read in many small pages
    pages_read: list[int] = []
    read_page = site.reader.audit

    def counted(*args: Any, **kwargs: Any) -> Any:
        found = read_page(*args, **kwargs)
        pages_read.append(len(found.entries))
        return found

    monkeypatch.setattr(site.reader, "audit", counted)
    for params in ({}, {"author": str(history.cecilie), "type": "page.edited,page.reverted"}):
        events = walk(client, params, limit=6)
        assert events
        pages_read.clear()

        lines = client.get("/admin/audit.jsonl", params=params)
        # Streamed from the read model a page at a time, never read whole.
        assert max(pages_read) <= 6 and sum(pages_read) == len(events)
        assert lines.status_code == 200
        assert lines.headers["content-type"] == "application/x-ndjson"
        assert lines.headers["content-disposition"] == 'attachment; filename="audit.jsonl"'
        assert lines.text.endswith("\n")
        assert [json.loads(line) for line in lines.text.splitlines()] == events

        table = client.get("/admin/audit.csv", params=params)
        assert table.status_code == 200
        assert table.headers["content-type"] == "text/csv; charset=utf-8"
        assert table.headers["content-disposition"] == 'attachment; filename="audit.csv"'
        assert not table.content.startswith(b"\xef\xbb\xbf")  # no byte order mark
        rows = list(csv.reader(io.StringIO(table.text)))
        assert tuple(rows[0]) == CSV_COLUMNS
        assert [dict(zip(rows[0], row, strict=True)) for row in rows[1:]] == [
            flat(event) for event in events
        ]


def test_downloads_of_nothing_are_a_header_or_nothing(client: TestClient, history: History) -> None:
    nothing = {"title": "Findes ikke"}
    table = client.get("/admin/audit.csv", params=nothing)
    assert table.status_code == 200
    assert list(csv.reader(io.StringIO(table.text))) == [list(CSV_COLUMNS)]
    lines = client.get("/admin/audit.jsonl", params=nothing)
    assert (lines.status_code, lines.text) == (200, "")
    refused = client.get("/admin/audit.csv", params={"since": "i går"})
    assert refused.status_code == 422


def flat(event: dict[str, Any]) -> dict[str, str]:
    """An event's JSON as a CSV row reads: nested fields as `page.title`, every detail
    field present (empty when the event has none), `true`/`false`, nothing as ``, and a
    cell that a spreadsheet would run as a formula defused with a leading `'`."""
    row = {f"details.{key}": "" for key in DETAIL_KEYS}
    for key, value in event.items():
        for name, item in value.items() if isinstance(value, dict) else [("", value)]:
            row[f"{key}.{name}" if name else key] = cell(item)
    for key in ("page", "target"):
        if event[key] is None:
            fields = ("id", "title", "slug") if key == "page" else ("id", "name")
            row.update({f"{key}.{name}": "" for name in fields})
            del row[key]
    return row


def cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def test_a_spreadsheet_formula_in_a_summary_is_defused_in_the_csv(
    client: TestClient, history: History, site: Site
) -> None:
    site.wiki.save_page(history.bo, "Gode idéer", text(300), '=HYPERLINK("x")', 19)
    site.views_current()
    rows = list(csv.reader(io.StringIO(client.get("/admin/audit.csv").text)))
    assert dict(zip(rows[0], rows[1], strict=True))["summary"] == '\'=HYPERLINK("x")'
    assert walk(client, {"type": "page.edited"})[0]["summary"] == '=HYPERLINK("x")'


# ---------------------------------------------------------------------- no page text


def test_no_page_text_reaches_the_audit_table_or_anything_made_from_it(
    client: TestClient, history: History, site: Site
) -> None:
    bodies = [event["body"] for event in history.events if event["body"]]
    assert len(bodies) > 25 and all(SECRET in body for body in bodies)
    with site.projector.view.read() as sql:
        rows = sql.rows("SELECT * FROM view_audit")
    assert len(rows) == len(history.events)
    assert SECRET not in repr(rows) and "010101-1234" not in repr(rows)
    outputs = [
        client.get("/api/v1/admin/audit", params={"limit": 500}).text,
        client.get("/admin/audit.csv").text,
        client.get("/admin/audit.jsonl").text,
        client.get("/admin/audit", params={"limit": 500}).text,
        client.get("/admin/audit", params={"title": "Hemmelig side"}).text,
    ]
    for output in outputs:
        assert "Personoplysninger" in output  # the suppression is there ...
        assert SECRET not in output and "010101-1234" not in output  # ... its text is not


# ---------------------------------------------------------------------- access


def test_only_administrators_may_read_the_audit_log(
    client: TestClient, site: Site, admin: uuid.UUID, editor: uuid.UUID
) -> None:
    routes = ("/api/v1/admin/audit", "/admin/audit", "/admin/audit.csv", "/admin/audit.jsonl")
    for route in routes:
        response = client.get(route)
        assert response.status_code == 401, route
        if route.startswith("/api/"):
            assert response.json()["error"]["code"] == "not_authenticated"
        else:
            assert f'href="/login?next={route.replace("/", "%2F")}"' in response.text
            assert "Log ind" in response.text

    pending = site.wiki.register_author("Ny Person")
    blocked_admin = site.wiki.register_author("Tidligere Administrator")
    site.wiki.verify_author(admin, blocked_admin)
    site.wiki.grant_role(admin, blocked_admin, "administrator")
    site.wiki.block_author(admin, blocked_admin, "Misbrug")
    for who, code in ((editor, "forbidden"), (pending, "not_verified"), (blocked_admin, "blocked")):
        sign_in(client, site, who)
        for route in routes:
            response = client.get(route)
            assert response.status_code == 403, (who, route)
            if route.startswith("/api/"):
                assert response.json()["error"]["code"] == code
            assert "Revisionslog" not in response.text

    client.cookies.clear()
    token = site.accounts.create_token(editor)
    refused = client.get(routes[0], headers={"Authorization": f"Bearer {token}"})
    assert refused.status_code == 403
    token = site.accounts.create_token(admin)
    allowed = client.get(routes[0], headers={"Authorization": f"Bearer {token}"})
    assert allowed.status_code == 200 and allowed.json()["events"]
    assert client.get(routes[0], headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_openapi_document_describes_the_audit_log(client: TestClient) -> None:
    document = client.get("/api/v1/openapi.json").json()
    operation = document["paths"]["/api/v1/admin/audit"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"author", "title", "type", "since", "until", "before", "limit"} <= names
    assert {"200", "401", "403", "422"} <= set(operation["responses"])


# ---------------------------------------------------------------------- rebuild


def test_a_rebuilt_audit_table_equals_the_one_built_event_by_event(
    site: Site, admin: uuid.UUID
) -> None:
    projector: SqlProjector = site.projector
    projector.start()  # live: small batches, as edits arrive
    try:
        history = make_history(site, admin)
    finally:
        projector.stop()
    incremental = view_rows(projector)
    assert len(incremental["view_audit"]) == len(history.events) >= 50

    projector.view.reset()
    assert view_rows(projector)["view_audit"] == []
    projector.catch_up()

    assert view_rows(projector) == incremental


@pytest.mark.parametrize(
    ("until", "signed_at"),
    [
        ("2026-01-31T10:00Z", "2026-01-31T10:00:59.999999Z"),  # the whole minute
        ("2026-01-31T10:00:05Z", "2026-01-31T10:00:05.999999Z"),  # the whole second
        ("2026-01-31T10:00:05.5Z", "2026-01-31T10:00:05.500000Z"),
        ("2026-01-31", "2026-01-31T23:59:59.999999Z"),  # the whole day
    ],
)
def test_until_takes_in_all_of_the_time_it_names(until: str, signed_at: str) -> None:
    assert _signed_at(until, start_of_day=False) == signed_at
