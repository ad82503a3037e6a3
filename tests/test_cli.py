"""The command line: admin and token creation, and that bad input saves nothing."""

from pathlib import Path

import pytest

from storage.accounts import AccountStore
from storage.eventstore import MissingSigningKey, open_wiki
from wikiengine.application import Wiki
from wikiengine.cli import main
from wikiengine.config import Settings


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> Settings:
    monkeypatch.setenv("WIKI_DATA_DIR", str(settings.data_dir))
    if settings.is_postgres:
        monkeypatch.setenv("WIKI_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("WIKI_ADMIN_PASSWORD", "rigtig-hest-batteri")
    return settings


def test_admin_create_then_token(cli_env: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["admin", "create", "--name", "Anna Ærø", "--email", "anna@kommune.dk"]) == 0
    assert main(["token", "create", "--email", "anna@kommune.dk"]) == 0

    token = capsys.readouterr().out.strip().splitlines()[-1]
    wiki = open_wiki(cli_env)
    try:
        author_id = AccountStore(wiki).author_for_token(token)
        assert author_id is not None
        author = wiki.author(author_id)
        assert (author.name, author.is_administrator, author.verification) == (
            "Anna Ærø",
            True,
            "operator",
        )
    finally:
        wiki.close()


@pytest.mark.parametrize(
    ("email", "password"),
    [("not-an-address", "rigtig-hest-batteri"), ("anna@kommune.dk", "kort")],
)
def test_admin_create_with_bad_input_signs_nothing(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, email: str, password: str
) -> None:
    monkeypatch.setenv("WIKI_ADMIN_PASSWORD", password)
    wiki = open_wiki(cli_env)
    before = wiki.recorder.max_notification_id()
    wiki.close()

    assert main(["admin", "create", "--name", "Anna Ærø", "--email", email]) == 1

    wiki = open_wiki(cli_env)
    try:
        assert wiki.recorder.max_notification_id() == before
    finally:
        wiki.close()


def test_token_for_unknown_account_fails(cli_env: Settings) -> None:
    assert main(["token", "create", "--email", "ingen@kommune.dk"]) == 1


def test_node_without_the_key_file_refuses_to_start(cli_env: Settings) -> None:
    open_wiki(cli_env).close()
    cli_env.signing_key_file.unlink()

    with pytest.raises(MissingSigningKey):
        open_wiki(cli_env)
    assert not cli_env.signing_key_file.exists()


def test_export_of_a_store_that_does_not_exist_says_so(
    cli_env: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["export", str(tmp_path / "wiki.jsonl")]) == 1
    assert "store" in capsys.readouterr().err


def test_offline_verify_writes_nothing(
    cli_env: Settings, wiki: Wiki, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    export, keys = tmp_path / "wiki.jsonl", tmp_path / "keys.json"
    assert main(["export", str(export)]) == 0
    keys.write_text('{"keys": []}')
    elsewhere = tmp_path / "elsewhere"
    monkeypatch.setenv("WIKI_DATA_DIR", str(elsewhere))

    main(["verify", "--export", str(export), "--keys", str(keys)])

    assert not elsewhere.exists()
