"""Email to citizens through an SMTP server.

``smtplib`` is blocking, so each email is sent in a worker thread
(``asyncio.to_thread``) over its own connection: notifications are few per
second at most, and a fresh connection never inherits a half-broken session.
``timeout_seconds`` bounds every network step (connect, each command).
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import ssl
from collections.abc import Callable
from datetime import UTC, datetime
from email.message import EmailMessage

import structlog

from asan.plugins import Notification, PluginConfig
from asan_smtp_notifier.addresses import check_recipient
from asan_smtp_notifier.errors import classify
from asan_smtp_notifier.message import compose
from asan_smtp_notifier.settings import SmtpSettings

log = structlog.get_logger(__name__)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SmtpNotifier:
    def __init__(self, config: PluginConfig, *, now: Callable[[], datetime] = _utc_now) -> None:
        self.settings = SmtpSettings.from_mapping(config.settings)
        self.tenant = config.tenant
        self.agency = config.agency
        self._now = now
        if self.settings.security == "none" and self.settings.username is not None:
            log.warning(
                "smtp credentials will travel unencrypted: use starttls or tls",
                tenant=self.tenant,
                agency=self.agency,
                host=self.settings.host,
            )

    async def send(self, notification: Notification) -> None:
        """Delivers one email, or raises RetryableError / FinalError (never logs the address)."""
        recipient = check_recipient(notification.recipient)
        message = compose(
            notification, sender=self.settings.sender, recipient=recipient, now=self._now()
        )
        fields = {
            "tenant": notification.tenant,
            "agency": self.agency,
            "message_id": message["Message-ID"],
            "locale": notification.locale,
        }
        try:
            await asyncio.to_thread(self._deliver, message, recipient)
        except Exception as exc:
            error = classify(exc, recipient=recipient)
            log.warning("email not sent", retryable=error.retryable, reason=str(error), **fields)
            raise error from exc
        log.info("email sent", **fields)

    def _connect(self) -> smtplib.SMTP:
        settings = self.settings
        if settings.security == "tls":
            return smtplib.SMTP_SSL(
                settings.host,
                settings.port,
                timeout=settings.timeout_seconds,
                context=ssl.create_default_context(),
            )
        smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout_seconds)
        if settings.security == "starttls":
            try:
                smtp.starttls(context=ssl.create_default_context())
            except BaseException:
                smtp.close()
                raise
        return smtp

    def _deliver(self, message: EmailMessage, recipient: str) -> None:
        """Runs in a thread. Once the server took the message, a failing QUIT is no failure:
        reporting it would make the platform send the email twice."""
        settings = self.settings
        smtp = self._connect()
        try:
            if settings.username is not None and settings.password is not None:
                smtp.login(settings.username, settings.password)
            smtp.send_message(message, from_addr=settings.sender.addr_spec, to_addrs=[recipient])
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
            smtp.close()
