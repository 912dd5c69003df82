"""What every plugin's demo stand-in shares: where it may listen, and how its agency decides.

A connector plugin's ``PluginSpec.stand_in`` runs a fake of its agency where a
demo tenant's settings point, so that ``asan demo`` needs no real agency. Two
rules must hold for every such stand-in, whatever the agency's protocol:

* it listens on a loopback address only (:func:`loopback_address`), so that a
  demo can never pose as a real agency on a network;
* its agency decides by itself, the same way in every demo
  (:class:`DemoTimeline`): received, then in progress, then ready, or rejected
  for an applicant whose name asks for it, so that a demo can show a refusal
  on purpose. Only the status words are the plugin's own (:class:`StatusWords`).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple
from urllib.parse import urlsplit

import structlog

__all__ = [
    "IN_PROGRESS_AFTER_SECONDS",
    "IN_PROGRESS_NOTE",
    "READY_AFTER_SECONDS",
    "READY_NOTE",
    "REJECTED_NOTE",
    "REJECT_MARKER",
    "DemoTimeline",
    "StatusWords",
    "Step",
    "asks_for_refusal",
    "loopback_address",
]

log = structlog.get_logger(__name__)

IN_PROGRESS_AFTER_SECONDS: Final = 10.0
READY_AFTER_SECONDS: Final = 40.0
REJECT_MARKER: Final = "reject"
"""An applicant whose name contains this (in any case) is refused instead of served."""

# The notes a demo's applicant reads: the same whichever protocol the agency speaks.
IN_PROGRESS_NOTE: Final = "the stand-in agency is looking at the application"
READY_NOTE: Final = "demo: the result waits at the service centre"
REJECTED_NOTE: Final = "demo: refused, as the applicant's name asks"

Step = tuple[str, str]
"""``(the agency's status word, a note for the applicant)`` an application moves on to."""


class StatusWords(NamedTuple):
    """The agency's own words for the four states a demo goes through: all a plugin supplies."""

    received: str
    in_progress: str
    ready: str
    rejected: str


@dataclass(frozen=True, slots=True)
class DemoTimeline:
    """When a stand-in moves an application on: the ``progress`` rule a plugin's fake asks.

    Called as ``(status word, submitted document, seconds since it was
    recorded)`` whenever an application is read, so that a status follows the
    clock without a thread of its own; it answers the step the application has
    reached, or None where it stays. Only ``received`` and ``in_progress``
    move: a cancelled application, or one set by hand, stays where it is, and
    nothing moves backwards.
    """

    words: StatusWords
    in_progress_after: float = IN_PROGRESS_AFTER_SECONDS
    ready_after: float = READY_AFTER_SECONDS

    def __post_init__(self) -> None:
        if not 0 <= self.in_progress_after <= self.ready_after:
            raise ValueError("stand-in delays: need 0 <= in_progress_after <= ready_after")

    def __call__(self, status: str, document: Mapping[str, Any], elapsed: float) -> Step | None:
        words = self.words
        if status not in (words.received, words.in_progress):
            return None
        if elapsed >= self.ready_after:
            refused = asks_for_refusal(document)
            step = (words.rejected, REJECTED_NOTE) if refused else (words.ready, READY_NOTE)
        elif elapsed >= self.in_progress_after:
            step = (words.in_progress, IN_PROGRESS_NOTE)
        else:
            return None
        if step[0] != status:
            log.info(
                "stand-in agency moved an application on",
                tenant=document.get("tenant"),
                agency=document.get("agency"),
                reference=document.get("reference"),
                idempotency_key=document.get("idempotency_key"),
                agency_status=step[0],
            )
        return step


def asks_for_refusal(document: Mapping[str, Any]) -> bool:
    """Whether the applicant's name carries :data:`REJECT_MARKER`: a demo's way to be refused.

    A document without an applicant's name is served: a stand-in refuses only
    on purpose.
    """
    applicant = document.get("applicant")
    name = applicant.get("name") if isinstance(applicant, Mapping) else None
    return isinstance(name, str) and REJECT_MARKER in name.casefold()


def loopback_address(
    url: str, *, setting: str, posing_as: str = "the agency"
) -> tuple[str, int, str]:
    """``(address to listen on, port, path)`` of a plain-HTTP URL on this machine.

    ValueError for any other URL: ``localhost`` and the loopback addresses
    (``127.0.0.0/8``, ``::1``) are the only hosts other machines cannot reach.
    ``setting`` names where the URL came from and ``posing_as`` what the
    stand-in fakes, so that the error tells a tenant's operator what to fix.
    """
    parts = urlsplit(url)
    if parts.scheme != "http":
        raise ValueError(f"{setting}: a stand-in serves plain http://, not {parts.scheme}://")
    host = parts.hostname or ""
    if host == "localhost":
        address = "127.0.0.1"
    else:
        try:
            ip = ipaddress.ip_address(host)
        except ValueError:
            ip = None
        if ip is None or not ip.is_loopback:
            raise ValueError(
                f"{setting}: {host!r} is not a loopback address; a stand-in never listens "
                f"where other machines could take it for {posing_as}"
            )
        address = str(ip)
    return address, parts.port or 80, parts.path.rstrip("/")
