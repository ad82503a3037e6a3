"""Headers on every response: security (no framing, no foreign scripts, no sniffing) and
caching (nothing shown to a logged-in person is stored by a shared cache)."""

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.sessions import SESSION_COOKIE

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


class SecurityHeadersMiddleware:
    """Adds `SECURITY_HEADERS` to HTTP responses that do not set them themselves.

    A plain ASGI middleware: it only touches the response start, so streamed responses
    (the export) stay streamed.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        asked = Headers(scope=scope)
        # Pages for someone logged in carry their name and a CSRF token: private.
        personal = "authorization" in asked or SESSION_COOKIE in asked.get("cookie", "")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if personal:
                    headers.setdefault("Cache-Control", "private, no-store")
                if headers.get("content-type", "").startswith("text/html"):
                    headers.add_vary_header("Accept-Language")  # the language is negotiated
            await send(message)

        await self.app(scope, receive, send_with_headers)
