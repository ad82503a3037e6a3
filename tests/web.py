"""Helpers for HTTP tests: sign a test client in as an author without the login form.

The cookie is made exactly as the server makes its own (the session middleware's signer
and format), so routes see a real session; `tests/test_accounts_web.py` covers the login
form itself.
"""

import json
import secrets
from base64 import b64encode
from uuid import UUID

import itsdangerous
from starlette.testclient import TestClient

from web.auth import SESSION_AUTHOR
from web.sessions import SESSION_COOKIE
from web.site import Site


def sign_in(client: TestClient, site: Site, author_id: UUID) -> str:
    """Give `client` a session for `author_id`; returns the session's CSRF token."""
    token = secrets.token_urlsafe(32)
    data = b64encode(json.dumps({SESSION_AUTHOR: str(author_id), "csrf": token}).encode())
    cookie = itsdangerous.TimestampSigner(list(site.secret_keys)).sign(data).decode()
    client.cookies.set(SESSION_COOKIE, cookie)
    return token
