"""Email to citizens through an SMTP server (any provider that speaks SMTP).

Registered through the ``asan.plugins`` entry point like any country's plugin.
"""

from __future__ import annotations

from asan.plugins import PluginKind, PluginSpec
from asan_smtp_notifier.notifier import SmtpNotifier
from asan_smtp_notifier.settings import SETTINGS

__all__ = ["SmtpNotifier", "plugin"]

plugin = PluginSpec(
    name="smtp_notifier",
    kind=PluginKind.NOTIFIER,
    summary="Emails citizens through an SMTP server (starttls, tls or plain).",
    factory=SmtpNotifier,
    settings=SETTINGS,
    channels=("email",),
)
