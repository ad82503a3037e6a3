"""Request bodies over the limit are refused: a declared length before anything is read,
a body sent without one (chunked) as soon as it grows past the limit.

Not Starlette's `max_body_size`: it sits outside our middleware and answers in plain text,
replacing the wiki's error shape (JSON under `/api/`, a Danish page elsewhere).
"""

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.errors import error_response


class BodySizeLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and self._declared_size(scope) > self.max_body_bytes:
            response = error_response(
                Request(scope, receive),
                413,
                "too_large",
                f"The request body is larger than {self.max_body_bytes:,} bytes.",
            )
            await response(scope, receive, send)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        received = 0

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                # Raised inside the endpoint's read: the app's handler answers 413.
                raise HTTPException(
                    413, f"The request body is larger than {self.max_body_bytes:,} bytes."
                )
            return message

        await self.app(scope, receive_within_limit, send)

    @staticmethod
    def _declared_size(scope: Scope) -> int:
        try:
            return int(Headers(scope=scope).get("content-length", "0"))
        except ValueError:
            return 0
