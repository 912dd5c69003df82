"""Email addresses checked before any connection is opened.

A recipient that is not an address is the platform's data problem, not the
server's: it must fail as final without a round trip, and before a malformed
value (a CR/LF, a second address) can reach an SMTP command or a header.
Error messages never repeat the address: they end up in logs.
"""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.utils import parseaddr

from asan.plugins import FinalError

_MAX_ADDRESS = 254
_MAX_LOCAL = 64
_FORBIDDEN = re.compile(r"[\s<>()\[\]\\,;:\"@]")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")


class InvalidAddressError(ValueError):
    pass


def normalise_address(text: str) -> str:
    """``local@domain`` with the domain in its ASCII (IDNA) form, or InvalidAddressError.

    Deliberately stricter than RFC 5321 (no quoted local parts, no IP literals):
    citizens' addresses are never those, and anything odd is safer refused.
    """
    if len(text) > _MAX_ADDRESS or text.count("@") != 1:
        raise InvalidAddressError("not a single address")
    local, domain = text.split("@")
    if not local or len(local) > _MAX_LOCAL or _FORBIDDEN.search(local):
        raise InvalidAddressError("invalid local part")
    if local.startswith(".") or local.endswith(".") or ".." in local:
        raise InvalidAddressError("invalid local part")
    try:
        ascii_domain = domain.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise InvalidAddressError("invalid domain") from exc
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        raise InvalidAddressError("invalid domain")
    return f"{local}@{ascii_domain.lower()}"


def check_recipient(recipient: str) -> str:
    """The recipient ready for the envelope, or FinalError: retrying cannot fix an address."""
    try:
        return normalise_address(recipient.strip())
    except InvalidAddressError as exc:
        raise FinalError(f"the recipient is not a valid email address ({exc})") from exc


def parse_sender(sender: str) -> Address:
    """The configured From mailbox (``Name <address>``), or ValueError at build time."""
    if "\r" in sender or "\n" in sender:
        raise ValueError("smtp_notifier.sender: must be one line")
    display_name, address = parseaddr(sender)
    try:
        addr_spec = normalise_address(address)
    except InvalidAddressError as exc:
        raise ValueError(
            f"smtp_notifier.sender: {sender!r} has no valid address ({exc}); "
            'give e.g. "ASAN xidmət <no-reply@asan.gov.az>"'
        ) from exc
    local, domain = addr_spec.split("@")
    return Address(display_name=display_name, username=local, domain=domain)
