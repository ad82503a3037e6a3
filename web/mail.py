"""Outgoing mail (`WIKI_MAIL`): `console` prints it, `file:DIR` writes one .eml per message,
`smtp://host:port` hands it to an SMTP server. Sending is blocking: call it off the event loop.

Messages are plain UTF-8 text; subjects with Danish letters are encoded for the header by
the standard library. A message that cannot be handed on raises `MailNotSent`.
"""

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

from wikiengine.errors import WikiError

SENDER = "Innovationswiki <wiki@localhost>"
SMTP_TIMEOUT = 10.0
SMTP_PORT = 25


class MailNotSent(WikiError):
    """The mail server could not be reached or refused the message."""

    code = "mail_unavailable"


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
    """For a wiki on one's own machine: the mail appears in the server's terminal, as
    plain text (not MIME-encoded), so its link can be followed from there."""

    _lock = threading.Lock()

    def send(self, to: str, subject: str, text: str) -> None:
        with self._lock:
            print(
                f"----- mail -----\nTo: {to}\nSubject: {subject}\n\n{text}\n----- end -----",
                file=sys.stderr,
                flush=True,
            )


@dataclass
class FileMailer:
    directory: Path

    def send(self, to: str, subject: str, text: str) -> None:
        path = self.directory / f"{uuid.uuid4().hex}.eml"
        partial = path.with_suffix(".part")  # readers never see half a message
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            partial.write_bytes(message(to, subject, text).as_bytes())
            partial.rename(path)
        except OSError as error:
            raise MailNotSent(
                f"Could not write mail to {self.directory} ({type(error).__name__})."
            ) from None


@dataclass
class SmtpMailer:
    host: str
    port: int = SMTP_PORT

    def send(self, to: str, subject: str, text: str) -> None:
        try:
            with smtplib.SMTP(self.host, self.port, timeout=SMTP_TIMEOUT) as smtp:
                smtp.send_message(message(to, subject, text))
        except (OSError, smtplib.SMTPException) as error:
            # OSError covers refused connections and timeouts. Only the error's type is
            # kept: the server's reply may quote the recipient, and this gets logged.
            raise MailNotSent(
                f"The mail server {self.host}:{self.port} did not take the message"
                f" ({type(error).__name__})."
            ) from None


def mailer_for(setting: str) -> Mailer:
    """The mailer `WIKI_MAIL` names: `console`, `file:DIR` or `smtp://host[:port]`."""
    if setting == "console":
        return ConsoleMailer()
    if setting.startswith("file:") and setting.removeprefix("file:"):
        return FileMailer(Path(setting.removeprefix("file:")))
    if setting.startswith("smtp://"):
        url = urlsplit(setting)
        try:
            port = url.port or SMTP_PORT
        except ValueError:
            port = None
        if url.hostname and port is not None and url.path in ("", "/"):
            return SmtpMailer(url.hostname, port)
    raise ValueError(f"WIKI_MAIL must be console, file:DIR or smtp://host:port, not {setting!r}")
