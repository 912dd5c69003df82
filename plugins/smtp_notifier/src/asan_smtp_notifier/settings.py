"""The notifier's settings, declared for the platform and checked again at build time.

The platform checks types and ranges; the cross-field rules (a username needs
a password) and the sender's syntax are checked here, so a tenant bundle that
would only fail at the first email fails when the notifier is built instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from typing import Any, Literal, cast

from asan.plugins import Setting
from asan_smtp_notifier.addresses import parse_sender

Security = Literal["starttls", "tls", "none"]
SECURITY_CHOICES: tuple[Security, ...] = ("starttls", "tls", "none")

SETTINGS: tuple[Setting, ...] = (
    Setting("host", "text", "host name of the SMTP server", required=True),
    Setting(
        "port",
        "integer",
        "port of the SMTP server (587 for starttls, 465 for tls)",
        default=587,
        minimum=1,
        maximum=65535,
    ),
    Setting(
        "security",
        "choice",
        "starttls (upgrade a plain connection), tls (TLS from the start) or none "
        "(plain text: local test servers only)",
        default="starttls",
        choices=SECURITY_CHOICES,
    ),
    Setting("username", "text", "user name to authenticate with (no authentication if unset)"),
    Setting("password", "text", "password for username", secret=True),
    Setting(
        "sender",
        "text",
        'the From mailbox, e.g. "ASAN xidmət <no-reply@asan.gov.az>"',
        required=True,
    ),
    Setting(
        "timeout_seconds",
        "number",
        "seconds to wait for the server at each step before giving up (retryable)",
        default=10.0,
        minimum=0.1,
    ),
)


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    host: str
    port: int
    security: Security
    username: str | None
    password: str | None = field(repr=False)
    sender: Address
    timeout_seconds: float

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any]) -> SmtpSettings:
        host = raw.get("host")
        if not isinstance(host, str) or not host.strip():
            raise ValueError("smtp_notifier.host: required, the SMTP server's host name")
        port = raw.get("port", 587)
        if not isinstance(port, int) or isinstance(port, bool) or not 1 <= port <= 65535:
            raise ValueError("smtp_notifier.port: must be a whole number from 1 to 65535")
        security = raw.get("security", "starttls")
        if security not in SECURITY_CHOICES:
            raise ValueError(
                f"smtp_notifier.security: must be one of {', '.join(SECURITY_CHOICES)}"
            )
        username = raw.get("username") or None
        password = raw.get("password") or None
        if username is not None and password is None:
            raise ValueError("smtp_notifier.password: required when username is given")
        if password is not None and username is None:
            raise ValueError("smtp_notifier.username: required when password is given")
        sender = raw.get("sender")
        if not isinstance(sender, str):
            raise ValueError('smtp_notifier.sender: required, e.g. "ASAN <no-reply@asan.gov.az>"')
        timeout = raw.get("timeout_seconds", 10.0)
        if not isinstance(timeout, int | float) or isinstance(timeout, bool) or timeout <= 0:
            raise ValueError("smtp_notifier.timeout_seconds: must be a positive number")
        return cls(
            host=host.strip(),
            port=port,
            security=cast(Security, security),
            username=str(username) if username is not None else None,
            password=str(password) if password is not None else None,
            sender=parse_sender(sender),
            timeout_seconds=float(timeout),
        )
