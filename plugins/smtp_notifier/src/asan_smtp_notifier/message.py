"""The email a notification becomes.

Headers go through the stdlib's ``email.policy.default``, which encodes
non-ASCII (Azerbaijani, Arabic, Cyrillic) subjects and display names as
RFC 2047 UTF-8 words; the body is UTF-8 in quoted-printable, so it is 7-bit
clean and needs no 8BITMIME from the server.
"""

from __future__ import annotations

import re
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from asan.plugins import Notification

_LANGUAGE_TAG = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


def language_tag(locale: str) -> str | None:
    """``az_AZ`` → ``az-AZ``; None for anything that is not a language tag."""
    tag = locale.strip().replace("_", "-")
    return tag if _LANGUAGE_TAG.match(tag) else None


def one_line(text: str) -> str:
    """A header value cannot hold line breaks: they would end the header (or inject one)."""
    return " ".join(text.split())


def compose(
    notification: Notification, *, sender: Address, recipient: str, now: datetime
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = one_line(notification.subject)
    message["Date"] = format_datetime(now)
    # The sender's domain, not socket.getfqdn(): stable, and no DNS lookup per email.
    message["Message-ID"] = make_msgid(domain=sender.domain)
    message.set_content(notification.body, charset="utf-8", cte="quoted-printable")
    # After set_content, which drops every Content-* header it finds.
    tag = language_tag(notification.locale)
    if tag is not None:
        message["Content-Language"] = tag
    return message
