"""Outgoing mail (`WIKI_MAIL`): `console` prints it, `file:DIR` writes one .eml per message,
`smtp://host:port` hands it to an SMTP server. Sending is blocking: call it off the event loop."""

import smtplib
import sys
import threading
import uuid
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

SENDER = "Innovationswiki <wiki@localhost>"
SMTP_TIMEOUT = 10.0


class Mailer(Protocol):
    def send(self, to: str, subject: str, text: str) -> None: ...


def message(to: str, subject: str, text: str) -> EmailMessage:
    mail = EmailMessage()
    mail["From"] = SENDER
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain="innovationswiki")
    mail.set_content(text)
    return mail


class ConsoleMailer:
    """For a wiki on one's own machine: the mail appears in the server's terminal."""

    _lock = threading.Lock()

    def send(self, to: str, subject: str, text: str) -> None:
        with self._lock:
            print(message(to, subject, text).as_string(), file=sys.stderr, flush=True)


@dataclass
class FileMailer:
    directory: Path

    def send(self, to: str, subject: str, text: str) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.directory / f"{uuid.uuid4().hex}.eml"
        partial = path.with_suffix(".part")  # readers never see half a message
        partial.write_bytes(message(to, subject, text).as_bytes())
        partial.rename(path)


@dataclass
class SmtpMailer:
    host: str
    port: int

    def send(self, to: str, subject: str, text: str) -> None:
        with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT) as smtp:
            smtp.send_message(message(to, subject, text))


def mailer_for(setting: str) -> Mailer:
    if setting == "console":
        return ConsoleMailer()
    if setting.startswith("file:"):
        return FileMailer(Path(setting.removeprefix("file:")))
    if setting.startswith("smtp://"):
        url = urlsplit(setting)
        return SmtpMailer(url.hostname or "127.0.0.1", url.port or 25)
    raise ValueError(f"WIKI_MAIL must be console, file:DIR or smtp://host:port, not {setting!r}")
