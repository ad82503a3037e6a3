"""Concurrent editors never lose an edit: races become 3-way merges or `EditConflict`s.

Threads share one `Wiki` (as the web server does); on PostgreSQL, separate processes
each open their own. Barriers make every round a real race: all workers read the same
version, then all save from it, so the outcome does not depend on the scheduler.
"""

import multiprocessing
import threading
import traceback
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, Protocol

import pytest

from storage.eventstore import open_wiki
from wikiengine.application import Wiki
from wikiengine.config import Settings, load_settings
from wikiengine.errors import EditConflict, PageExists
from wikiengine.pages import Page

WORKERS = 4
ROUNDS = 25
BARRIER_TIMEOUT = 60
SHARED_TITLE = "Fælles side"
# Separate processes are how PostgreSQL deployments scale; SQLite ones use threads.
ONLY_POSTGRES = pytest.mark.parametrize(
    "store",
    [pytest.param("postgres", marks=[pytest.mark.postgres, pytest.mark.slow])],
    indirect=True,
)


class Barrier(Protocol):
    def wait(self, timeout: float | None = None) -> int: ...

    def abort(self) -> None: ...


@dataclass
class Tally:
    """What one worker saw: its saves (merged or not) and the conflicts it retried."""

    saves: int = 0
    merged: int = 0
    conflicts: int = 0
    conflict_bodies: list[str] = field(default_factory=list)


def owner_line(worker: int, count: int) -> str:
    return f"worker {worker}: {count}\n"


def shared_page_body(workers: int) -> str:
    """One line per worker, each fenced by unchanged lines so disjoint edits merge."""
    lines = [f"--- section {worker} ---\n" + owner_line(worker, 0) for worker in range(workers)]
    return "".join(lines) + "--- end ---\n"


def with_own_line(body: str, worker: int, count: int) -> str:
    lines = body.splitlines(keepends=True)
    lines[2 * worker + 1] = owner_line(worker, count)
    return "".join(lines)


def edit_in_rounds(
    wiki: Wiki, author: uuid.UUID, worker: int, rounds: int, read: Barrier, write: Barrier
) -> Tally:
    """Each round: everyone reads the same version, then everyone saves from it."""
    tally = Tally()
    try:
        for count in range(1, rounds + 1):
            read.wait(BARRIER_TIMEOUT)
            page = wiki.page_by_title(SHARED_TITLE)
            write.wait(BARRIER_TIMEOUT)
            base_version, body = page.version, page.body
            while True:
                try:
                    result = wiki.save_page(
                        author,
                        SHARED_TITLE,
                        with_own_line(body, worker, count),
                        f"worker {worker} round {count}",
                        base_version,
                    )
                except EditConflict as conflict:
                    tally.conflicts += 1
                    tally.conflict_bodies.append(conflict.merged_body)
                    page = wiki.page_by_title(SHARED_TITLE)
                    base_version, body = page.version, page.body
                    continue
                assert result.changed
                tally.saves += 1
                tally.merged += result.merged
                break
    except BaseException:
        read.abort()  # let the others fail fast instead of waiting for us
        write.abort()
        raise
    return tally


def assert_no_edit_was_lost(wiki: Wiki, tallies: list[Tally], rounds: int) -> None:
    page = wiki.page_by_title(SHARED_TITLE)
    workers = len(tallies)
    assert [t.conflicts for t in tallies] == [0] * workers, tallies[0].conflict_bodies[:1]
    assert [t.saves for t in tallies] == [rounds] * workers
    # Every round has one straight save and the others are merged onto it.
    assert sum(t.merged for t in tallies) == (workers - 1) * rounds
    # Every worker's last change is there, and every successful save is one revision.
    expected = shared_page_body(workers)
    for worker in range(workers):
        expected = with_own_line(expected, worker, rounds)
    assert page.body == expected
    assert page.version == 1 + workers * rounds
    # Each revision moves exactly one worker's counter on by one: nothing was overwritten.
    counts = [0] * workers
    events = list(wiki.events.get(page.id))
    assert [type(event) for event in events] == [Page.Created] + [Page.Edited] * (workers * rounds)
    for event in events[1:]:
        changed = [
            worker
            for worker in range(workers)
            if owner_line(worker, counts[worker]) not in event.body
        ]
        assert len(changed) == 1, event.body
        counts[changed[0]] += 1
        assert owner_line(changed[0], counts[changed[0]]) in event.body
    assert counts == [rounds] * workers


def test_threads_editing_one_page_never_lose_an_edit(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, SHARED_TITLE, shared_page_body(WORKERS))
    read, write = threading.Barrier(WORKERS), threading.Barrier(WORKERS)

    with ThreadPoolExecutor(WORKERS) as pool:
        futures = [
            pool.submit(edit_in_rounds, wiki, editor, worker, ROUNDS, read, write)
            for worker in range(WORKERS)
        ]
        tallies = [future.result() for future in futures]

    assert_no_edit_was_lost(wiki, tallies, ROUNDS)


# ---------------------------------------------------------------- separate processes


def _in_child(
    results: Any, worker: int, opening: Any, env: dict[str, str], job: Callable[[Wiki], Any]
) -> None:
    try:
        # Opened one at a time: eventsourcing's start-up DDL (CREATE OR REPLACE FUNCTION)
        # fails with "tuple concurrently updated" when processes start at the same moment.
        with opening:
            wiki = open_wiki(load_settings(env))
        try:
            results.put((worker, "ok", job(wiki)))
        finally:
            wiki.close()
    except BaseException:
        results.put((worker, "error", traceback.format_exc()))


def _edit_job(
    results: Any,
    worker: int,
    opening: Any,
    env: dict[str, str],
    author: str,
    rounds: int,
    read: Barrier,
    write: Barrier,
) -> None:
    def job(wiki: Wiki) -> Tally:
        return edit_in_rounds(wiki, uuid.UUID(author), worker, rounds, read, write)

    _in_child(results, worker, opening, env, job)


def _create_job(
    results: Any,
    worker: int,
    opening: Any,
    env: dict[str, str],
    author: str,
    titles: list[str],
    go: Barrier,
) -> None:
    def job(wiki: Wiki) -> list[str]:
        return create_all(wiki, uuid.UUID(author), worker, titles, go)

    _in_child(results, worker, opening, env, job)


def run_processes(
    settings: Settings, target: Callable[..., None], args_for: Callable[[int], tuple[Any, ...]]
) -> list[Any]:
    """Run `target` in WORKERS spawned processes, each with its own `Wiki` on the store."""
    env = {"WIKI_DATA_DIR": str(settings.data_dir), "WIKI_DATABASE_URL": settings.database_url}
    context = multiprocessing.get_context("spawn")
    results, opening = context.Queue(), context.Lock()
    processes = [
        context.Process(target=target, args=(results, worker, opening, env, *args_for(worker)))
        for worker in range(WORKERS)
    ]
    for process in processes:
        process.start()
    try:
        outcomes = dict(_collect(results, len(processes)))
    finally:
        for process in processes:
            process.join(timeout=BARRIER_TIMEOUT)
            if process.is_alive():
                process.terminate()
    return [outcomes[worker] for worker in range(WORKERS)]


def _collect(results: Any, count: int) -> Iterator[tuple[int, Any]]:
    for _ in range(count):
        worker, status, value = results.get(timeout=4 * BARRIER_TIMEOUT)
        assert status == "ok", f"worker {worker} failed:\n{value}"
        yield worker, value


@ONLY_POSTGRES
def test_processes_editing_one_page_never_lose_an_edit(
    wiki: Wiki, editor: uuid.UUID, settings: Settings
) -> None:
    wiki.save_page(editor, SHARED_TITLE, shared_page_body(WORKERS))
    context = multiprocessing.get_context("spawn")
    read, write = context.Barrier(WORKERS), context.Barrier(WORKERS)

    tallies = run_processes(settings, _edit_job, lambda worker: (str(editor), ROUNDS, read, write))

    assert_no_edit_was_lost(wiki, tallies, ROUNDS)


# ---------------------------------------------------------------- creating one title


def _create_outcome(wiki: Wiki, author: uuid.UUID, title: str, text: str, go: Barrier) -> str:
    go.wait(BARRIER_TIMEOUT)
    try:
        result = wiki.save_page(author, title, text)
    except EditConflict as conflict:
        assert conflict.current_version == 1
        return "conflict:" + conflict.merged_body
    return "created" if result.changed else "unchanged"


def create_all(
    wiki: Wiki, author: uuid.UUID, worker: int, titles: list[str], go: Barrier
) -> list[str]:
    """Create each title at the same moment as the other workers, with this worker's text."""
    try:
        return [
            _create_outcome(wiki, author, title, f"{title} by worker {worker}\n", go)
            for title in titles
        ]
    except BaseException:
        go.abort()
        raise


def assert_one_creation_per_title(
    wiki: Wiki, titles: list[str], outcomes: list[list[str]], texts: list[str]
) -> None:
    for index, title in enumerate(titles):
        per_worker = [worker_outcomes[index] for worker_outcomes in outcomes]
        assert per_worker.count("created") == 1, per_worker
        winner = per_worker.index("created")
        page = wiki.page_by_title(title)
        assert page.version == 1
        assert page.body == texts[winner].format(title=title)
        for loser, outcome in enumerate(per_worker):
            if loser == winner:
                continue
            # The loser's text comes back with the winner's, between conflict markers.
            assert outcome.startswith("conflict:"), per_worker
            assert texts[loser].format(title=title) in outcome
            assert texts[winner].format(title=title) in outcome
    page_ids = list(wiki.page_ids())
    assert len(page_ids) == len(set(page_ids)) == len(titles) + 1  # + the shared page


def test_threads_creating_one_title_create_it_once(wiki: Wiki, editor: uuid.UUID) -> None:
    wiki.save_page(editor, SHARED_TITLE, "an existing page\n")
    titles = [f"Ny side {n}" for n in range(5)]
    go = threading.Barrier(2)

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(
            pool.map(lambda worker: create_all(wiki, editor, worker, titles, go), range(2))
        )

    assert_one_creation_per_title(
        wiki, titles, outcomes, ["{title} by worker 0\n", "{title} by worker 1\n"]
    )


def test_threads_creating_one_title_with_the_same_text_save_it_once(
    wiki: Wiki, editor: uuid.UUID
) -> None:
    go = threading.Barrier(2)

    with ThreadPoolExecutor(2) as pool:
        outcomes = list(
            pool.map(lambda _: _create_outcome(wiki, editor, "Enig", "samme tekst\n", go), range(2))
        )

    assert sorted(outcomes) == ["created", "unchanged"]
    page = wiki.page_by_title("Enig")
    assert (page.version, page.body) == (1, "samme tekst\n")


@ONLY_POSTGRES
def test_processes_creating_one_title_create_it_once(
    wiki: Wiki, editor: uuid.UUID, settings: Settings
) -> None:
    wiki.save_page(editor, SHARED_TITLE, "an existing page\n")
    titles = [f"Ny side {n}" for n in range(5)]
    go = multiprocessing.get_context("spawn").Barrier(WORKERS)

    outcomes = run_processes(settings, _create_job, lambda worker: (str(editor), titles, go))

    texts = [f"{{title}} by worker {worker}\n" for worker in range(WORKERS)]
    assert_one_creation_per_title(wiki, titles, outcomes, texts)


# ---------------------------------------------------------------- races the store catches


@pytest.fixture
def other_wiki(settings: Settings) -> Iterator[Wiki]:
    """A second `Wiki` on the same store: another process, as far as the store can tell."""
    app = open_wiki(settings)
    yield app
    app.close()


def lose_the_race_to(
    monkeypatch: pytest.MonkeyPatch, wiki: Wiki, rival: Callable[[], object]
) -> list[int]:
    """Make `rival` commit just before `wiki` records its next save (after `wiki` loaded).

    Returns one entry per save `wiki` attempted, so tests can see the retry.
    """
    real_save = wiki.save
    attempts: list[int] = []

    def save_after_rival(*items: Any, **kwargs: Any) -> Any:
        attempts.append(len(attempts) + 1)
        if len(attempts) == 1:
            rival()
        return real_save(*items, **kwargs)

    monkeypatch.setattr(wiki, "save", save_after_rival)
    return attempts


START = "line 1\nline 2\nline 3\nline 4\n"


def test_store_race_on_different_lines_is_merged(
    wiki: Wiki, other_wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki.save_page(editor, "Kapløb", START)
    attempts = lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.save_page(editor, "Kapløb", START.replace("line 1", "THEIRS"), "", 1),
    )

    result = wiki.save_page(editor, "Kapløb", START.replace("line 4", "MINE"), "", 1)

    assert len(attempts) == 2  # the store refused the first attempt
    assert result.merged and result.version == 3
    assert wiki.page_by_title("Kapløb").body == "THEIRS\nline 2\nline 3\nMINE\n"
    assert other_wiki.page_by_title("Kapløb").body == "THEIRS\nline 2\nline 3\nMINE\n"


def test_store_race_on_the_same_line_is_a_conflict_with_both_texts(
    wiki: Wiki, other_wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki.save_page(editor, "Kapløb", START)
    lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.save_page(editor, "Kapløb", START.replace("line 2", "THEIRS"), "", 1),
    )
    before = wiki.recorder.max_notification_id()

    with pytest.raises(EditConflict) as caught:
        wiki.save_page(editor, "Kapløb", START.replace("line 2", "MINE"), "", 1)

    assert caught.value.base_version == 1 and caught.value.current_version == 2
    assert "THEIRS" in caught.value.merged_body and "MINE" in caught.value.merged_body
    assert wiki.page_by_title("Kapløb").body == START.replace("line 2", "THEIRS")
    assert wiki.recorder.max_notification_id() == before + 1  # the rival's edit only


def test_store_race_on_creation_is_a_conflict_not_a_second_page(
    wiki: Wiki, other_wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    lose_the_race_to(
        monkeypatch, wiki, lambda: other_wiki.save_page(editor, "Ny", "deres første udgave\n")
    )

    with pytest.raises(EditConflict) as caught:
        wiki.save_page(editor, "Ny", "min første udgave\n")

    assert "deres første udgave" in caught.value.merged_body
    assert "min første udgave" in caught.value.merged_body
    assert wiki.page_by_title("Ny").body == "deres første udgave\n"
    assert len(list(wiki.page_ids())) == 1


def test_store_race_with_a_revert_keeps_the_rival_edit(
    wiki: Wiki, other_wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki.save_page(editor, "Kapløb", START)
    wiki.save_page(editor, "Kapløb", START.replace("line 1", "VANDALISM"), "", 1)
    lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.save_page(
            editor, "Kapløb", START.replace("line 1", "VANDALISM").replace("line 4", "FIX"), "", 2
        ),
    )

    result = wiki.revert_page(editor, "Kapløb", 1)

    # The revert undoes version 2 only; the edit that raced it (version 3) stays.
    assert result.merged and result.version == 4
    assert wiki.page_by_title("Kapløb").body == START.replace("line 4", "FIX")


def test_store_race_with_a_revert_on_the_same_line_is_a_conflict(
    wiki: Wiki, other_wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki.save_page(editor, "Kapløb", START)
    wiki.save_page(editor, "Kapløb", START.replace("line 1", "VANDALISM"), "", 1)
    lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.save_page(editor, "Kapløb", START.replace("line 1", "BETTER"), "", 2),
    )

    with pytest.raises(EditConflict) as caught:
        wiki.revert_page(editor, "Kapløb", 1)

    assert "BETTER" in caught.value.merged_body and "line 1" in caught.value.merged_body
    assert wiki.page_by_title("Kapløb").body == START.replace("line 1", "BETTER")


def test_store_race_between_rename_and_edit_keeps_both(
    wiki: Wiki, other_wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki.save_page(editor, "Kapløb", START)
    lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.save_page(editor, "Kapløb", START.replace("line 1", "EDIT"), "", 1),
    )

    result = wiki.rename_page(editor, "Kapløb", "Omdøbt")

    page = wiki.page_by_title("Omdøbt")
    assert (result.version, page.version) == (3, 3)
    assert page.body == START.replace("line 1", "EDIT")
    assert wiki.page_by_title("Kapløb").id == page.id


def test_store_race_between_rename_and_creation_of_the_new_title(
    wiki: Wiki, other_wiki: Wiki, editor: uuid.UUID, monkeypatch: pytest.MonkeyPatch
) -> None:
    wiki.save_page(editor, "Kapløb", START)
    lose_the_race_to(
        monkeypatch, wiki, lambda: other_wiki.save_page(editor, "Omdøbt", "en anden side\n")
    )

    with pytest.raises(PageExists):
        wiki.rename_page(editor, "Kapløb", "Omdøbt")

    assert wiki.page_by_title("Omdøbt").body == "en anden side\n"
    assert wiki.page_by_title("Kapløb").title == "Kapløb"


def test_store_race_between_protect_and_edit_keeps_both(
    wiki: Wiki,
    other_wiki: Wiki,
    admin: uuid.UUID,
    editor: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wiki.save_page(editor, "Kapløb", START)
    lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.save_page(editor, "Kapløb", START.replace("line 1", "EDIT"), "", 1),
    )

    wiki.protect_page(admin, "Kapløb", "vandalism")

    page = wiki.page_by_title("Kapløb")
    assert page.protected and page.version == 3
    assert page.body == START.replace("line 1", "EDIT")


def test_store_race_between_suppression_and_edit_keeps_both(
    wiki: Wiki,
    other_wiki: Wiki,
    admin: uuid.UUID,
    editor: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wiki.save_page(editor, "Kapløb", "personal data\n")
    wiki.save_page(editor, "Kapløb", START, "", 1)
    lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.save_page(editor, "Kapløb", START.replace("line 1", "EDIT"), "", 2),
    )

    wiki.suppress_revision(admin, "Kapløb", 1, "personal data")

    page = wiki.page_by_title("Kapløb")
    assert page.suppressed == [1] and page.version == 4
    assert page.body == START.replace("line 1", "EDIT")


def test_store_race_between_author_commands_keeps_both(
    wiki: Wiki,
    other_wiki: Wiki,
    admin: uuid.UUID,
    editor: uuid.UUID,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An administrator blocks an author while the author logs in with OpenID Connect."""
    lose_the_race_to(
        monkeypatch,
        wiki,
        lambda: other_wiki.verify_author_by_identity_provider(editor, "https://login.example.dk"),
    )

    wiki.block_author(admin, editor, "vandalism")

    author = wiki.author(editor)
    assert author.blocked and author.verification == "oidc:https://login.example.dk"
    assert author.version == 4
