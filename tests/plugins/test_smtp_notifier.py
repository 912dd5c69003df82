"""The SMTP notifier against a real local SMTP server (aiosmtpd), plain text as in tests only.

Production uses ``starttls`` or ``tls``; these tests use ``security = "none"``
so that no certificates are needed, and exercise everything above TLS.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from asan.plugins import FinalError, Notification, PluginConfig, RetryableError, discover
from asan_smtp_notifier import SmtpNotifier, plugin

SENDER = "ASAN xidmət <no-reply@asan.gov.az>"
RECIPIENT = "aysel.mammadova@example.az"
USERNAME, PASSWORD = "asan", "correct horse"
SENT_AT = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


class EphemeralController(Controller):
    """aiosmtpd's controller on port 0: it must learn the port before probing its own server."""

    def _trigger_server(self) -> None:
        assert isinstance(self.server, asyncio.Server)
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()  # type: ignore[no-untyped-call]


class Mailbox:
    def __init__(self) -> None:
        self.envelopes: list[Envelope] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        self.envelopes.append(envelope)
        return "250 2.0.0 accepted"

    def only_message(self) -> tuple[Envelope, EmailMessage]:
        assert len(self.envelopes) == 1
        envelope = self.envelopes[0]
        content = envelope.content
        assert isinstance(content, bytes)
        return envelope, message_from_bytes(content, policy=policy.default)


class UnknownMailbox(Mailbox):
    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        return f"550 5.1.1 <{address}>: mailbox unknown"


class BusyMailbox(Mailbox):
    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "451 4.3.0 mailbox busy, try again later"


def authenticator(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@contextmanager
def smtp_server(handler: Mailbox, **smtp_options: Any) -> Iterator[int]:
    controller = EphemeralController(
        handler, hostname="127.0.0.1", port=0, server_hostname="mail.test", **smtp_options
    )
    controller.start()
    try:
        yield controller.port
    finally:
        controller.stop()


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def notifier(port: int, *, now: datetime = SENT_AT, **settings: Any) -> SmtpNotifier:
    values = {
        "host": "127.0.0.1",
        "port": port,
        "security": "none",
        "sender": SENDER,
        "timeout_seconds": 2.0,
        **settings,
    }
    return SmtpNotifier(PluginConfig(tenant="az", agency=None, settings=values), now=lambda: now)


def notification(
    *, recipient: str = RECIPIENT, subject: str = "Sənədiniz hazırdır", locale: str = "az"
) -> Notification:
    return Notification(
        tenant="az",
        recipient=recipient,
        locale=locale,
        subject=subject,
        body="Hörmətli vətəndaş,\nşəxsiyyət vəsiqəniz ASAN xidmət mərkəzində hazırdır.\n",
    )


async def test_delivers_a_utf8_email_with_its_headers() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        await notifier(port).send(notification())

    envelope, message = mailbox.only_message()
    assert envelope.mail_from == "no-reply@asan.gov.az"
    assert envelope.rcpt_tos == [RECIPIENT]
    assert isinstance(envelope.content, bytes)
    envelope.content.decode("ascii")  # 7-bit clean on the wire: encoded words, quoted-printable
    assert message["From"].addresses[0].display_name == "ASAN xidmət"
    assert message["From"].addresses[0].addr_spec == "no-reply@asan.gov.az"
    assert message["To"] == RECIPIENT
    assert message["Subject"] == "Sənədiniz hazırdır"
    assert message["Content-Language"] == "az"
    assert message["Message-ID"].endswith("@asan.gov.az>")
    assert message["Date"].datetime == SENT_AT
    assert message.get_content_type() == "text/plain"
    assert message.get_content_charset() == "utf-8"
    # SMTP carries CRLF line ends; the text itself must be intact.
    assert message.get_content().replace("\r\n", "\n") == notification().body


async def test_arabic_subject_and_regional_locale_survive() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        await notifier(port).send(notification(subject="طلبك جاهز للاستلام", locale="ar_MA"))
    _envelope, message = mailbox.only_message()
    assert message["Subject"] == "طلبك جاهز للاستلام"
    assert message["Content-Language"] == "ar-MA"


async def test_line_breaks_in_the_subject_cannot_inject_headers() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        await notifier(port).send(notification(subject="Hello\r\nBcc: intruder@example.org"))
    envelope, message = mailbox.only_message()
    assert message["Subject"] == "Hello Bcc: intruder@example.org"
    assert message["Bcc"] is None
    assert envelope.rcpt_tos == [RECIPIENT]


async def test_an_unknown_mailbox_is_final_and_the_error_hides_the_address() -> None:
    with smtp_server(UnknownMailbox()) as port, pytest.raises(FinalError, match="550") as caught:
        await notifier(port).send(notification())
    assert RECIPIENT not in str(caught.value)
    assert "<recipient>" in str(caught.value)


async def test_a_4xx_reply_is_retryable() -> None:
    with smtp_server(BusyMailbox()) as port, pytest.raises(RetryableError, match="451"):
        await notifier(port).send(notification())


async def test_a_closed_port_is_retryable(closed_port: int) -> None:
    with pytest.raises(RetryableError, match="cannot reach"):
        await notifier(closed_port).send(notification())


async def test_a_server_that_never_greets_times_out_as_retryable() -> None:
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        started = time.monotonic()
        with pytest.raises(RetryableError):
            await notifier(port, timeout_seconds=0.3).send(notification())
        assert time.monotonic() - started < 2.0


@pytest.mark.parametrize(
    "recipient",
    [
        "not-an-address",
        "two@@example.az",
        "a@b@example.az",
        "x@localhost",
        "a b@example.az",
        "victim@example.az\r\nRCPT TO:<other@example.org>",
        "a@example.az, b@example.az",
        "",
    ],
)
async def test_an_invalid_recipient_is_final_before_any_connection(
    recipient: str, closed_port: int
) -> None:
    # A connection attempt to the closed port would be retryable: final proves none was made.
    with pytest.raises(FinalError, match="not a valid email address"):
        await notifier(closed_port).send(notification(recipient=recipient))


async def test_an_internationalised_domain_travels_as_punycode() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox) as port:
        await notifier(port).send(notification(recipient="info@müştəri.az"))
    envelope, _message = mailbox.only_message()
    assert envelope.rcpt_tos == ["info@" + "müştəri.az".encode("idna").decode("ascii")]
    assert envelope.rcpt_tos[0].startswith("info@xn--")


async def test_authentication_with_the_right_password() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox, authenticator=authenticator, auth_require_tls=False) as port:
        await notifier(port, username=USERNAME, password=PASSWORD).send(notification())
    assert len(mailbox.envelopes) == 1


async def test_a_wrong_password_is_final() -> None:
    mailbox = Mailbox()
    with smtp_server(mailbox, authenticator=authenticator, auth_require_tls=False) as port:
        wrong = notifier(port, username=USERNAME, password="battery staple")
        with pytest.raises(FinalError, match="535"):
            await wrong.send(notification())
    assert mailbox.envelopes == []


async def test_starttls_against_a_server_without_it_is_final() -> None:
    with smtp_server(Mailbox()) as port, pytest.raises(FinalError, match="STARTTLS"):
        await notifier(port, security="starttls").send(notification())


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"username": "asan"}, "password: required when username is given"),
        ({"password": "secret"}, "username: required when password is given"),
        ({"sender": "no address here"}, "sender: 'no address here' has no valid address"),
        ({"host": ""}, "host: required"),
        ({"port": 0}, "port: must be a whole number"),
        ({"security": "ssl"}, "security: must be one of starttls, tls, none"),
    ],
)
def test_bad_settings_are_refused_at_build_time(settings: dict[str, Any], problem: str) -> None:
    values = {"host": "smtp.example.az", "sender": SENDER, **settings}
    with pytest.raises(ValueError, match=problem):
        plugin.factory(PluginConfig(tenant="az", agency=None, settings=values))


def test_the_password_is_never_in_the_settings_repr() -> None:
    built = notifier(25, username=USERNAME, password=PASSWORD)
    assert PASSWORD not in repr(built.settings)


def test_defaults_and_entry_point() -> None:
    installed = discover().installed["smtp_notifier"]
    assert installed.spec is plugin
    built = installed.spec.factory(
        PluginConfig(
            tenant="az", agency=None, settings={"host": "smtp.example.az", "sender": SENDER}
        )
    )
    assert isinstance(built, SmtpNotifier)
    assert (built.settings.port, built.settings.security) == (587, "starttls")
    assert built.settings.timeout_seconds == 10
