"""A notifier for development: messages to citizens go to the log, not to a phone.

Registered through the ``asan.plugins`` entry point like any country's plugin.
"""

from __future__ import annotations

import structlog

from asan.plugins import Notification, PluginConfig, PluginKind, PluginSpec, Setting

log = structlog.get_logger("asan.notifier.log")


def _masked(recipient: str) -> str:
    """Enough to tell messages apart in a log, not enough to contact the person."""
    name, at, domain = recipient.partition("@")
    if at:
        return f"{name[:1]}***@{domain}"
    return f"***{recipient[-2:]}"


class LogNotifier:
    def __init__(self, config: PluginConfig) -> None:
        self.level = str(config.settings.get("level", "info"))

    async def send(self, notification: Notification) -> None:
        getattr(log, self.level)(
            "notification",
            tenant=notification.tenant,
            recipient=_masked(notification.recipient),
            locale=notification.locale,
            subject=notification.subject,
            body=notification.body,
        )


plugin = PluginSpec(
    name="log_notifier",
    kind=PluginKind.NOTIFIER,
    summary="Writes messages to citizens to the log (development).",
    factory=LogNotifier,
    settings=(
        Setting(
            "level",
            "choice",
            "the log level of each message",
            default="info",
            choices=("debug", "info", "warning"),
        ),
    ),
)
