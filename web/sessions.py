"""The signed session cookie, with secret-key rotation.

Starlette's `SessionMiddleware` signs with one key (`str(secret_key)`), so rotating would
log everyone out. Here itsdangerous gets the whole list: it signs with the newest key and
accepts all of them, so a new key can be added first and the old one dropped later
(`docs/operating.md`). The cookie is signed, not encrypted: it holds only the author id and
the CSRF token, never a secret of the user's.
"""

from collections.abc import Sequence

import itsdangerous
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp

SESSION_COOKIE = "iw_session"
SESSION_MAX_AGE = 14 * 24 * 60 * 60


class RotatingSessionMiddleware(SessionMiddleware):
    def __init__(self, app: ASGIApp, secret_keys: Sequence[str], *, https_only: bool) -> None:
        if not secret_keys:
            raise ValueError("the session needs at least one secret key")
        super().__init__(
            app,
            secret_key=secret_keys[-1],
            session_cookie=SESSION_COOKIE,
            max_age=SESSION_MAX_AGE,
            same_site="lax",
            https_only=https_only,
        )
        self.signer = itsdangerous.TimestampSigner(list(secret_keys))
