"""A notifier for development: messages to citizens go to the log, not to a phone.

Registered through the ``asan.plugins`` entry point like any country's plugin.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import structlog

from asan.plugins import Notification, PluginKind, PluginSpec

log = structlog.get_logger("asan.notifier.log")


class LogNotifier:
    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.level = str(settings.get("level", "info"))
        if self.level not in ("debug", "info", "warning"):
            raise ValueError(f"level must be debug, info or warning, got {self.level!r}")

    async def send(self, notification: Notification) -> None:
        getattr(log, self.level)(
            "notification",
            tenant=notification.tenant,
            recipient=notification.recipient,
            locale=notification.locale,
            subject=notification.subject,
            body=notification.body,
        )


plugin = PluginSpec(
    name="log_notifier",
    kind=PluginKind.NOTIFIER,
    summary="Writes messages to citizens to the log (development).",
    factory=LogNotifier,
)
