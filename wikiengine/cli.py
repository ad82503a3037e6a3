"""`wikiengine`: the command line and the composition root.

This is the one module of `wikiengine` that wires in `storage` (and later `search` and
`web`); the domain and application never import them.
"""

import argparse
import getpass
import json
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO
from uuid import UUID

from tqdm import tqdm

from search.indexer import REBUILD_PROCESSES, open_search_projector
from storage.accounts import AccountStore
from storage.eventlog import export_log, last_position, verify_store
from storage.eventstore import (
    open_projector,
    open_wiki,
    open_wiki_for_audit,
    rotate_signing_key,
)
from storage.identities import IdentityStore
from storage.rows import Row
from wikiengine.application import Wiki
from wikiengine.config import Settings, load_settings
from wikiengine.demo import load_demo
from wikiengine.errors import WikiError
from wikiengine.keyring import keys_document
from wikiengine.projector import Projector
from wikiengine.signing import PublicKey
from wikiengine.verify import (
    Report,
    line_from_export,
    load_keys,
    published_keys_in,
    verify_lines,
)

VIEWS = ("sql", "search")  # the projections `rebuild` knows


LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    try:
        result: int = args.run(args, load_settings())
    except WikiError as error:
        print(f"wikiengine: {error}", file=sys.stderr)
        return 1
    return result


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="wikiengine",
        description="Innovationswiki: an event-sourced wiki where every edit is signed.",
    )
    commands = parser.add_subparsers(title="commands")

    serve = commands.add_parser(
        "serve",
        help="run the web application",
        description="Open the wiki (creating the store and signing key on first start)"
        " and serve it over HTTP.",
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on")
    serve.add_argument("--workers", type=int, default=1, help="web worker processes")
    serve.add_argument(
        "--demo",
        action="store_true",
        help="first load the Danish demo wiki if the store has no pages",
    )
    serve.set_defaults(run=_serve)

    admin = commands.add_parser("admin", help="manage administrators").add_subparsers()
    create = admin.add_parser(
        "create",
        help="create a verified administrator",
        description="Create a verified administrator. The password comes from"
        " WIKI_ADMIN_PASSWORD or a prompt.",
    )
    create.add_argument("--name", required=True, help="the administrator's full, real name")
    create.add_argument("--email", required=True, help="their e-mail address (login)")
    create.set_defaults(run=_admin_create)

    token = commands.add_parser("token", help="personal API tokens").add_subparsers()
    token_create = token.add_parser("create", help="print a new API token for an account")
    token_create.add_argument("--email", required=True)
    token_create.add_argument("--label", default="cli", help="what the token is for")
    token_create.set_defaults(run=_token_create)

    account = commands.add_parser("account", help="personal data of accounts").add_subparsers()
    erase = account.add_parser(
        "erase",
        help="erase an author's e-mail address, password, API tokens and logins",
        description="Erase the private data of one author: the account (e-mail address and"
        " password hash), API tokens and OpenID Connect identities. They can no longer log"
        " in; their public name stays on their edits in the signed history"
        " (docs/privacy.md).",
    )
    subject = erase.add_mutually_exclusive_group(required=True)
    subject.add_argument("--email", help="the account's e-mail address")
    subject.add_argument("--author", help="the author id (for logins without an account)")
    erase.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    erase.set_defaults(run=_account_erase)

    export = commands.add_parser("export", help="write the signed event log as JSON lines")
    export.add_argument("file", help="output file, or - for standard output")
    export.set_defaults(run=_export)

    verify = commands.add_parser(
        "verify",
        help="check signatures, hash chains, body hashes and authorship",
        description="Verify the live store, or offline an export with the public keys."
        " Exit status 0 when intact, 1 with a list of problems.",
    )
    verify.add_argument("--export", type=Path, help="an export file (JSON lines)")
    verify.add_argument("--keys", type=Path, help="the trusted public keys (JSON)")
    verify.add_argument("--jobs", type=int, default=None, help="worker processes")
    verify.add_argument("--json", action="store_true", help="print the report as JSON")
    verify.set_defaults(run=_verify)

    rebuild = commands.add_parser(
        "rebuild",
        help="drop and rebuild read models from the event log",
        description="Drop the named read models and rebuild them from the event log, with"
        f" progress. Views: {', '.join(VIEWS)} (default: all). Stop the server first: a"
        " running server projects the store and holds the projector lock.",
    )
    rebuild.add_argument("views", nargs="*", metavar="VIEW", help="a view to rebuild")
    rebuild.add_argument(
        "--processes",
        type=int,
        default=REBUILD_PROCESSES,
        help=f"processes analysing text for the search index (default {REBUILD_PROCESSES})",
    )
    rebuild.set_defaults(run=_rebuild)

    keys = commands.add_parser("keys", help="signing keys").add_subparsers()
    keys_show = keys.add_parser(
        "show", help="print the public keys as JSON (the KEYS.json an auditor pins)"
    )
    keys_show.set_defaults(run=_keys_show)
    keys_rotate = keys.add_parser(
        "rotate",
        help="replace the signing key; the new key is published signed by the old one",
        description="Make a new signing key, publish it in a key.published event signed by"
        " the current key, and write the new one to the key file (the old private key is not"
        " kept: verifiers refuse what it signs from now on). Stop every server of the wiki"
        " first; afterwards copy the key file to every node (docs/operating.md, Keys).",
    )
    keys_rotate.set_defaults(run=_keys_rotate)
    return parser


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    # Imported here: the other commands need neither the web application nor uvicorn.
    import uvicorn

    from web.app import create_app
    from web.site import open_site

    if args.workers < 1:
        print("wikiengine: --workers must be at least 1", file=sys.stderr)
        return 2
    if settings.mail == "console" and args.host not in LOOPBACK_HOSTS:
        # Console mail prints confirmation and password-reset links: fine on one's own
        # machine, a way into accounts for whoever reads a shared server's logs.
        print(
            "wikiengine: warning: WIKI_MAIL=console prints login links to this terminal;"
            " set WIKI_MAIL=smtp://host:port on a server others can reach",
            file=sys.stderr,
        )
    if args.demo:
        wiki = open_wiki(settings)
        try:
            if load_demo(wiki):
                print("wikiengine: loaded the Danish demo wiki", file=sys.stderr)
        finally:
            wiki.close()
    if args.workers == 1:
        # The app closes the site (wiki, projections, accounts) when the server stops.
        uvicorn.run(create_app(open_site(settings)), host=args.host, port=args.port)
        return 0
    # Each worker process opens its own site from the same WIKI_* settings.
    uvicorn.run(
        "web.app:app_from_environment",
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
    )
    return 0


def _rebuild(args: argparse.Namespace, settings: Settings) -> int:
    unknown = sorted(set(args.views) - set(VIEWS))
    if unknown:
        print(
            f"wikiengine: unknown view {', '.join(unknown)} (views: {', '.join(VIEWS)})",
            file=sys.stderr,
        )
        return 2
    if args.processes < 1:
        print("wikiengine: --processes must be at least 1", file=sys.stderr)
        return 2
    with open_wiki(settings) as wiki:
        for view in [view for view in VIEWS if view in args.views] or VIEWS:
            if view == "sql":
                projector: Projector[Any] = open_projector(settings, wiki)
            else:
                projector = open_search_projector(settings, wiki, processes=args.processes)
            if not _rebuild_view(view, projector):
                return 1
    return 0


def _rebuild_view(name: str, projector: Projector[Any]) -> bool:
    """Empty one projection and apply the whole log to it again, showing progress."""
    try:
        if not projector.lock.try_acquire():
            print(
                f"wikiengine: another process keeps {name} up to date (a running server?);"
                " stop it and try again",
                file=sys.stderr,
            )
            return False
        projector.view.reset()
        total = projector.wiki.recorder.max_notification_id()
        with tqdm(total=total, unit="event", desc=name) as bar:
            events = projector.catch_up(on_progress=bar.update)
        print(f"wikiengine: rebuilt {name} from {events} events", file=sys.stderr)
        return True
    finally:
        projector.lock.release()
        projector.view.close()


def _admin_create(args: argparse.Namespace, settings: Settings) -> int:
    password = os.environ.get("WIKI_ADMIN_PASSWORD") or _prompt_password()
    with open_wiki(settings) as wiki:
        accounts = AccountStore(wiki)
        # Check first: the signed events that make an administrator can never be undone.
        accounts.check_new(args.email, password)
        author_id = wiki.bootstrap_administrator(args.name)
        accounts.create(author_id, args.email, password, confirmed=True)
    print(f"created administrator {args.name} <{args.email}> (author {author_id})")
    return 0


def _prompt_password() -> str:
    if not sys.stdin.isatty():
        raise SystemExit("wikiengine: set WIKI_ADMIN_PASSWORD or run in a terminal")
    password = getpass.getpass("Password: ")
    if password != getpass.getpass("Repeat password: "):
        raise SystemExit("wikiengine: the passwords differ")
    return password


def _token_create(args: argparse.Namespace, settings: Settings) -> int:
    with open_wiki(settings) as wiki:
        accounts = AccountStore(wiki)
        account = accounts.by_email(args.email)
        if account is None:
            print(f"wikiengine: no account for {args.email}", file=sys.stderr)
            return 1
        print(accounts.create_token(account.author_id, args.label))
    return 0


def _account_erase(args: argparse.Namespace, settings: Settings) -> int:
    with open_wiki(settings) as wiki:
        accounts, identities = AccountStore(wiki), IdentityStore(wiki)
        if args.email is not None:
            account = accounts.by_email(args.email)
            if account is None:
                print(f"wikiengine: no account for {args.email}", file=sys.stderr)
                return 1
            author_id = account.author_id
        else:
            try:
                author_id = UUID(args.author)
            except ValueError:
                print(f"wikiengine: {args.author!r} is not an author id", file=sys.stderr)
                return 2
        name = wiki.author(author_id).name  # AuthorNotFound: no such author
        account = accounts.by_author(author_id)
        tokens, logins = accounts.tokens(author_id), identities.of_author(author_id)
        if account is None and not tokens and not logins:
            print(f"wikiengine: {name} (author {author_id}) has nothing to erase", file=sys.stderr)
            return 1
        print(f"{name} (author {author_id}):")
        if account is not None:
            print(f"  account {account.email} (e-mail address and password hash)")
        print(f"  {len(tokens)} API token(s)")
        for login in logins:
            print(f"  identity {login.subject} at {login.issuer}")
        if not args.yes and not _confirmed("Erase all of this? The name stays on their edits."):
            print("wikiengine: nothing erased", file=sys.stderr)
            return 1
        erased = accounts.erase(author_id)
        forgotten = identities.forget(author_id)
    what = [f"account {erased.email}"] if erased.email is not None else []
    what += [f"{erased.tokens} API token(s)", f"{len(forgotten)} identity(ies)"]
    print(f"erased {', '.join(what)} of {name} (author {author_id})")
    print("their name stays on their edits: the signed history is not changed")
    return 0


def _confirmed(question: str) -> bool:
    if not sys.stdin.isatty():
        raise SystemExit("wikiengine: no terminal to ask in; add --yes to go ahead")
    return input(f"{question} [y/N] ").strip().lower() in ("y", "yes", "j", "ja")


def _export(args: argparse.Namespace, settings: Settings) -> int:
    with open_wiki_for_audit(settings) as wiki:
        total = last_position(wiki)
        if args.file == "-":
            _write_lines(export_log(wiki), sys.stdout, total, "exporting")
        else:
            with Path(args.file).open("w", encoding="utf-8") as file:
                _write_lines(export_log(wiki), file, total, "exporting")
    return 0


def _write_lines(lines: Iterator[str], out: TextIO, total: int, label: str) -> None:
    for line in _progress(lines, total, label):
        out.write(line)
        out.write("\n")


def _progress(items: Iterator[Any], total: int, label: str) -> Iterator[Any]:
    """A progress bar on standard error, when someone is watching."""
    yield from tqdm(items, total=total, desc=label, unit=" events", disable=not sys.stderr.isatty())


def _verify(args: argparse.Namespace, settings: Settings) -> int:
    if args.export is not None:
        if args.keys is None:
            print("wikiengine: --export needs --keys (the public keys you trust)", file=sys.stderr)
            return 2
        try:
            trusted = load_keys(json.loads(args.keys.read_text(encoding="utf-8")))
        except (OSError, ValueError) as error:
            print(f"wikiengine: cannot use the keys file {args.keys}: {error}", file=sys.stderr)
            return 2
        report = _verify_export(args.export, trusted, args.jobs)
    elif not settings.signing_key_file.exists():
        print(
            f"wikiengine: no signing key at {settings.signing_key_file} to trust; verify an"
            " export with --export and --keys instead",
            file=sys.stderr,
        )
        return 2
    else:
        with open_wiki_for_audit(settings) as wiki:
            report = _verify_store(wiki, args.jobs)
    _print_report(report, as_json=args.json)
    return 0 if report.ok else 1


def _verify_store(wiki: Wiki, jobs: int | None) -> Report:
    """The live store (`storage.eventlog.verify_store`), with a progress bar."""

    def watched(rows: Iterator[Row], total: int) -> Iterator[Row]:
        return _progress(rows, total, "verifying")

    return verify_store(wiki, jobs=jobs, watch=watched)


def _verify_export(export: Path, trusted: list[PublicKey], jobs: int | None) -> Report:
    def numbered_lines() -> Iterator[tuple[int, bytes]]:
        with export.open("rb") as file:
            for number, raw in enumerate(file, start=1):
                if raw.strip():
                    yield number, raw

    # Only lines that may publish a key need reading twice.
    key_lines = (line_from_export(item) for item in numbered_lines() if b"key.published" in item[1])
    candidates = published_keys_in(key_lines)
    return verify_lines(numbered_lines(), trusted, candidates, jobs, line_from_export)


def _print_report(report: Report, *, as_json: bool) -> None:
    if as_json:
        document = {
            "ok": report.ok,
            "events_checked": report.events_checked,
            "problems": [problem.as_json() for problem in report.problems],
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return
    for problem in report.problems:
        print(problem)
    verdict = "intact" if report.ok else f"{len(report.problems)} problem(s)"
    print(f"{report.events_checked} events checked: {verdict}")


def _keys_show(_args: argparse.Namespace, settings: Settings) -> int:
    with open_wiki(settings) as wiki:
        document = keys_document(wiki.published_keys())
    print(json.dumps(document, indent=2))
    return 0


def _keys_rotate(_args: argparse.Namespace, settings: Settings) -> int:
    try:
        rotation = rotate_signing_key(settings)
    except OSError as error:  # the key files; the message says what to do by hand
        print(f"wikiengine: {error}", file=sys.stderr)
        return 1
    # The summary goes to standard error: standard output is the new keys document, the
    # same as `keys show` prints, ready to hand to auditors.
    print(
        f"wikiengine: new signing key {rotation.new_kid} published, signed by the old key"
        f" {rotation.old_kid}, which verifiers no longer accept for anything new."
        f"\nBack up {settings.signing_key_file} now and copy it to every node before"
        " starting it.",
        file=sys.stderr,
    )
    with open_wiki_for_audit(settings) as wiki:
        document = keys_document(wiki.published_keys())
    print(json.dumps(document, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
