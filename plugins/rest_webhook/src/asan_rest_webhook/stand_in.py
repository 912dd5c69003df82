"""A stand-in agency for demos: the fake agency, on the address a tenant's settings name.

``asan demo`` runs one for every tenant whose ``base_url`` points at this
machine, so that the platform's real connector signs, sends and polls exactly
as in production, against an agency that decides on its own: ``received``,
then ``processing`` after ``in_progress_after`` seconds, then ``ready`` after
``ready_after`` seconds, or ``rejected`` when the applicant's name contains
"reject", so that a demo can show a refusal on purpose.

It listens on a loopback address only: settings naming any other host are
refused, so that a demo can never pose as a real agency on a network. It sends
no callbacks (it does not know where the platform listens): the platform sees
each change when it polls. Every agency of a tenant that shares these settings
is served by the one stand-in: the agency is named in the body, not the URL.
"""

from __future__ import annotations

import ipaddress
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final
from urllib.parse import urlsplit

import structlog

from asan_rest_webhook.fake_agency import FakeAgency
from asan_rest_webhook.settings import ConnectorSettings

log = structlog.get_logger(__name__)

IN_PROGRESS_AFTER_SECONDS: Final = 10.0
READY_AFTER_SECONDS: Final = 40.0
REJECT_MARKER: Final = "reject"
"""An applicant whose name contains this (in any case) is refused instead of served."""

_PROCESSING: Final = ("processing", "the stand-in agency is looking at the application")
_READY: Final = ("ready", "demo: the result waits at the service centre")
_REJECTED: Final = ("rejected", "demo: refused, as the applicant's name asks")
_UNDECIDED: Final = frozenset({"received", "processing"})


@dataclass(frozen=True, slots=True)
class Timeline:
    """When the stand-in moves an application on: a ``progress`` rule of :class:`FakeAgency`.

    Only ``received`` and ``processing`` move: a cancelled application, or one
    set by hand, stays where it is, and nothing moves backwards.
    """

    in_progress_after: float = IN_PROGRESS_AFTER_SECONDS
    ready_after: float = READY_AFTER_SECONDS

    def __post_init__(self) -> None:
        if not 0 <= self.in_progress_after <= self.ready_after:
            raise ValueError("stand-in delays: need 0 <= in_progress_after <= ready_after")

    def __call__(
        self, status: str, document: Mapping[str, Any], elapsed: float
    ) -> tuple[str, str] | None:
        if status not in _UNDECIDED:
            return None
        if elapsed >= self.ready_after:
            step = _REJECTED if _asks_for_refusal(document) else _READY
        elif elapsed >= self.in_progress_after:
            step = _PROCESSING
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


def _asks_for_refusal(document: Mapping[str, Any]) -> bool:
    applicant = document.get("applicant")
    name = applicant.get("name") if isinstance(applicant, Mapping) else None
    return isinstance(name, str) and REJECT_MARKER in name.casefold()


def loopback_address(url: str, *, setting: str) -> tuple[str, int, str]:
    """``(address to listen on, port, path)`` of a plain-HTTP URL on this machine.

    ValueError for any other URL: ``localhost`` and the loopback addresses
    (``127.0.0.0/8``, ``::1``) are the only hosts other machines cannot reach.
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
                "where other machines could take it for the agency"
            )
        address = str(ip)
    return address, parts.port or 80, parts.path.rstrip("/")


@contextmanager
def stand_in(
    settings: Mapping[str, Any],
    *,
    in_progress_after: float = IN_PROGRESS_AFTER_SECONDS,
    ready_after: float = READY_AFTER_SECONDS,
    clock: Callable[[], float] = time.time,
) -> Iterator[FakeAgency]:
    """Serve the agency that ``settings`` (secret resolved) point at, while the block runs.

    It accepts only requests signed with the settings' ``shared_secret``
    (within their ``max_clock_skew_seconds``) at their ``base_url``'s path.
    ``clock`` is the agency's: it times decisions and checks signatures' age.
    """
    checked = ConnectorSettings.from_mapping(settings)
    host, port, prefix = loopback_address(checked.base_url, setting="base_url")
    agency = FakeAgency(
        secret=checked.shared_secret,
        max_clock_skew_seconds=checked.max_clock_skew_seconds,
        host=host,
        port=port,
        prefix=prefix,
        clock=clock,
        progress=Timeline(in_progress_after, ready_after),
    )
    with agency:
        log.info("stand-in agency listening", tenant=None, agency="*", url=agency.url)
        try:
            yield agency
        finally:
            log.info("stand-in agency stopping", tenant=None, agency="*", url=agency.url)
