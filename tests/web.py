"""Helpers for HTTP tests: sign a test client in as an author without the login form.

The cookie is made exactly as the server makes its own (the session middleware's signer
and format), so routes see a real session; `tests/test_accounts_web.py` covers the login
form itself.
"""

import email
import email.policy
import json
import re
import secrets
from base64 import b64encode
from email.message import EmailMessage
from pathlib import Path
from typing import cast
from uuid import UUID

import itsdangerous
from starlette.testclient import TestClient

from web.auth import SESSION_AUTHOR, SESSION_PASSWORD
from web.sessions import SESSION_COOKIE
from web.site import Site


def sign_in(client: TestClient, site: Site, author_id: UUID) -> str:
    """Give `client` a session for `author_id`; returns the session's CSRF token."""
    token = secrets.token_urlsafe(32)
    session = {
        SESSION_AUTHOR: str(author_id),
        SESSION_PASSWORD: site.accounts.password_fingerprint(author_id),
        "csrf": token,
    }
    data = b64encode(json.dumps(session).encode())
    cookie = itsdangerous.TimestampSigner(list(site.secret_keys)).sign(data).decode()
    set_session_cookie(client, cookie)
    return token


def set_session_cookie(client: TestClient, cookie: str) -> None:
    """Replace the client's session cookie (under the domain the server's cookie gets, so
    the two never coexist)."""
    client.cookies.delete(SESSION_COOKIE)
    client.cookies.set(SESSION_COOKIE, cookie, domain="testserver.local")


def mails(directory: Path) -> list[EmailMessage]:
    """The messages a `FileMailer` wrote there, oldest first."""
    files = sorted(directory.glob("*.eml"), key=lambda path: path.stat().st_mtime_ns)
    return [
        cast(EmailMessage, email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        for path in files
    ]


def link_in(message: EmailMessage) -> str:
    """The first link in a mail's text, as path and query (for a TestClient)."""
    body = message.get_content()
    found = re.search(r"https?://[^/\s]+(/\S+)", body)
    assert found is not None, f"no link in {body!r}"
    return found.group(1)
