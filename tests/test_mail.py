"""Outgoing mail: a real SMTP server on loopback, `.eml` files, the console, `WIKI_MAIL`."""

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.smtp_sink import SmtpSink, free_port, smtp_sink
from tests.web import mails
from web.app import create_app
from web.mail import (
    SMTP_PORT,
    ConsoleMailer,
    FileMailer,
    MailNotSent,
    SmtpMailer,
    mailer_for,
)
from web.site import Site

SUBJECT = "Bekræft din e-mailadresse, Søren Ærø, på Åbenhedens wiki: «æøå ÆØÅ»"
BODY = (
    "Kære Søren Ærø\n\nKlik på linket: https://wiki.example.dk/verify-email?token=abc\n\n"
    "Hilsen Åse\n"
)
PASSWORD = "korrekt hest batteri"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    with smtp_sink() as running:
        yield running


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found is not None, "the page has no form with a CSRF token"
    return found.group(1)


# ---------------------------------------------------------------- SMTP


def test_smtp_mailer_delivers_danish_subject_and_body_as_utf8(sink: SmtpSink) -> None:
    SmtpMailer("127.0.0.1", sink.port).send("soren@example.dk", SUBJECT, BODY)

    [received] = sink.received
    assert received.recipients == ["soren@example.dk"]
    assert received.sender == "wiki@localhost"
    message = received.message
    assert message["Subject"] == SUBJECT
    assert message["To"] == "soren@example.dk"
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    assert message.get_content().replace("\r\n", "\n") == BODY  # SMTP ends lines with CRLF
    assert message["Message-ID"] and message["Date"]


def test_smtp_mailer_sends_each_message_on_its_own(sink: SmtpSink) -> None:
    mailer = SmtpMailer("127.0.0.1", sink.port)
    mailer.send("a@example.dk", "Første", "én\n")
    mailer.send("b@example.dk", "Anden", "to\n")

    assert [r.recipients for r in sink.received] == [["a@example.dk"], ["b@example.dk"]]
    assert [r.message["Subject"] for r in sink.received] == ["Første", "Anden"]


def test_smtp_server_that_is_down_raises_mail_not_sent() -> None:
    mailer = SmtpMailer("127.0.0.1", free_port())  # nothing listens there

    with pytest.raises(MailNotSent) as raised:
        mailer.send("soren@example.dk", SUBJECT, BODY)

    assert "soren@example.dk" not in str(raised.value)  # the error is logged: no address


# ---------------------------------------------------------------- files and console


def test_file_mailer_writes_one_eml_per_message(tmp_path: Path) -> None:
    FileMailer(tmp_path / "mail").send("soren@example.dk", SUBJECT, BODY)

    [message] = mails(tmp_path / "mail")
    assert message["Subject"] == SUBJECT and message.get_content() == BODY
    assert list((tmp_path / "mail").glob("*.part")) == []


def test_file_mailer_that_cannot_write_raises_mail_not_sent(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("")

    with pytest.raises(MailNotSent):
        FileMailer(blocker).send("soren@example.dk", SUBJECT, BODY)


def test_console_mailer_prints_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    ConsoleMailer().send("soren@example.dk", SUBJECT, BODY)

    printed = capsys.readouterr().err
    assert "To: soren@example.dk" in printed
    assert f"Subject: {SUBJECT}" in printed
    assert BODY in printed  # readable in a terminal, the link whole: not MIME-encoded


# ---------------------------------------------------------------- WIKI_MAIL


def test_mailer_for_reads_each_setting(tmp_path: Path) -> None:
    assert isinstance(mailer_for("console"), ConsoleMailer)
    assert mailer_for(f"file:{tmp_path}") == FileMailer(tmp_path)
    assert mailer_for("smtp://mail.example.dk:2525") == SmtpMailer("mail.example.dk", 2525)
    assert mailer_for("smtp://127.0.0.1") == SmtpMailer("127.0.0.1", SMTP_PORT)
    assert mailer_for("smtp://[::1]:25/") == SmtpMailer("::1", 25)


@pytest.mark.parametrize(
    "setting",
    [
        "",
        "smtp",
        "smtp://",
        "smtp://:25",
        "smtp://mail:port",
        "smtp://mail:99999",
        "smtp://mail:25/path",
        "file:",
        "ftp://mail.example.dk",
        "Console",
    ],
)
def test_mailer_for_refuses_what_it_does_not_know(setting: str) -> None:
    with pytest.raises(ValueError, match="WIKI_MAIL"):
        mailer_for(setting)


def test_mailer_for_smtp_delivers(sink: SmtpSink) -> None:
    mailer_for(f"smtp://127.0.0.1:{sink.port}").send("ulla@example.dk", "Hej Ulla", "Æblegrød\n")

    assert sink.received[0].message.get_content().strip() == "Æblegrød"


# ---------------------------------------------------------------- when mail is down


def test_registration_while_mail_is_down_says_so(site: Site) -> None:
    site.mailer = SmtpMailer("127.0.0.1", free_port())
    with TestClient(create_app(site)) as client:
        token = csrf_of(client.get("/register").text)
        response = client.post(
            "/register",
            data={
                "csrf_token": token,
                "name": "Søren Ærø",
                "email": "soren@example.dk",
                "password": PASSWORD,
                "password_repeat": PASSWORD,
            },
        )
        account = site.accounts.by_email("soren@example.dk")

    assert response.status_code == 503
    assert "Mailen kunne ikke sendes" in response.text
    assert "ny bekræftelsesmail" in response.text
    assert account is not None and not account.email_confirmed  # a new link can be asked for


def test_resend_while_mail_is_down_answers_as_always_and_logs(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    author_id = site.wiki.register_author("Søren Ærø")
    site.accounts.create(author_id, "soren@example.dk", PASSWORD, confirmed=False)
    site.mailer = SmtpMailer("127.0.0.1", free_port())
    with TestClient(create_app(site)) as client:
        token = csrf_of(client.get("/verify-email/resend").text)
        with caplog.at_level(logging.ERROR, logger="web.accounts"):
            known = client.post(
                "/verify-email/resend", data={"csrf_token": token, "email": "soren@example.dk"}
            )
        unknown = client.post(
            "/verify-email/resend", data={"csrf_token": token, "email": "nobody@example.dk"}
        )

    assert known.status_code == unknown.status_code == 200
    assert known.text.replace(token, "") == unknown.text.replace(token, "")
    assert "could not be sent" in caplog.text
    assert "soren@example.dk" not in caplog.text
