"""Rate limits on the doors guessers knock on: login, registration, token creation, mail.

Counted in memory per process (a sliding window per action and client), so with several
workers or nodes the effective limit is that many times higher; the argon2 cost of each
attempt is the real brake, this keeps one client from using it as a password oracle.
"""

import threading
import time
from collections import deque
from dataclasses import dataclass, field

from wikiengine.errors import WikiError

# action -> (attempts, per seconds)
LIMITS = {
    "login": (10, 60.0),
    "register": (5, 600.0),
    "token": (10, 60.0),
    "mail": (5, 600.0),  # password-reset and confirmation mails
    # Per account, whichever addresses the attempts come from: password spraying at one
    # account, and mail floods at one recipient.
    "password-guess": (20, 600.0),
    "mail-recipient": (3, 3600.0),
}
MAX_TRACKED = 100_000  # clients remembered at most; the oldest are forgotten first


class RateLimited(WikiError):
    code = "rate_limited"

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"Too many attempts; try again in {retry_after} seconds.")
        self.retry_after = retry_after


@dataclass
class RateLimits:
    limits: dict[str, tuple[int, float]] = field(default_factory=lambda: dict(LIMITS))
    _attempts: dict[tuple[str, str], deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def hit(self, action: str, client: str) -> None:
        """Count an attempt; raises `RateLimited` when the client is over the limit."""
        allowed, window = self.limits[action]
        now = time.monotonic()
        with self._lock:
            key = (action, client)
            attempts = self._attempts.pop(key, None) or deque()
            while attempts and attempts[0] <= now - window:
                attempts.popleft()
            self._attempts[key] = attempts  # re-inserted: the dict stays oldest-first
            if len(attempts) >= allowed:
                raise RateLimited(int(attempts[0] + window - now) + 1)
            attempts.append(now)
            while len(self._attempts) > MAX_TRACKED:
                del self._attempts[next(iter(self._attempts))]
