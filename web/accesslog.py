"""Secrets in links stay out of the access log: the `token` of a mailed link (e-mail
confirmation, password reset) is replaced before uvicorn writes the request line."""

import logging
import re
from typing import Any

_TOKEN = re.compile(r"([?&]token=)[^&\s\"]*")


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_redacted(argument) for argument in record.args)
        return True


def _redacted(argument: Any) -> Any:
    return _TOKEN.sub(r"\1[redacted]", argument) if isinstance(argument, str) else argument


def redact_access_log() -> None:
    """Install the filter on uvicorn's access logger, once per process."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(existing, RedactTokens) for existing in access.filters):
        access.addFilter(RedactTokens())
