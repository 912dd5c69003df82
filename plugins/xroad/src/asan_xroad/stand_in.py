"""A stand-in X-Road for demos: the fake security server, where a tenant's settings point.

``asan demo`` runs one for every tenant whose ``security_server_url`` points
at this machine, so that the platform's real connector calls, polls and checks
health exactly as in production, against an agency's service that decides on
its own: ``RECEIVED``, then ``IN_PROCESSING`` after ``in_progress_after``
seconds, then ``READY_FOR_PICKUP`` after ``ready_after`` seconds, or
``REJECTED`` when the applicant's name contains "reject", so that a demo can
show a refusal on purpose.

It listens on a loopback address only: settings naming any other host are
refused, so that a demo can never pose as a security server on a network. It
is as strict as the fake it runs: a caller with another ``X-Road-Client``, for
another provider, service code or ``X-Road-UserId`` gets the X-Road fault a
real security server answers. Every agency of a tenant that shares these
settings is served by the one stand-in: the agency is named in the body.
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

from asan_xroad.contract import FakeSecurityServer, XRoadFake
from asan_xroad.settings import XRoadSettings

log = structlog.get_logger(__name__)

IN_PROGRESS_AFTER_SECONDS: Final = 10.0
READY_AFTER_SECONDS: Final = 40.0
REJECT_MARKER: Final = "reject"
"""An applicant whose name contains this (in any case) is refused instead of served."""

_IN_PROCESSING: Final = ("IN_PROCESSING", "the stand-in agency is looking at the application")
_READY: Final = ("READY_FOR_PICKUP", "demo: the result waits at the service centre")
_REJECTED: Final = ("REJECTED", "demo: refused, as the applicant's name asks")
_UNDECIDED: Final = frozenset({"RECEIVED", "IN_PROCESSING"})


@dataclass(frozen=True, slots=True)
class Timeline:
    """When the stand-in moves an application on: a ``progress`` rule of :class:`XRoadFake`.

    Only ``RECEIVED`` and ``IN_PROCESSING`` move: a withdrawn application, or
    one set by hand, stays where it is, and nothing moves backwards.
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
            step = _IN_PROCESSING
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
                "where other machines could take it for the security server"
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
) -> Iterator[XRoadFake]:
    """Serve the security server ``settings`` point at, with the agency's service behind it.

    It accepts the settings' ``client``, ``service``, ``service_code`` and
    ``user_id`` (when set) only. ``clock`` times the decisions.
    """
    checked = XRoadSettings.from_mapping(settings)
    host, port, prefix = loopback_address(
        checked.security_server_url, setting="security_server_url"
    )
    fake = XRoadFake(
        honour_client_message_ids=True,
        user_id=checked.user_id,
        client=checked.client,
        service=checked.service,
        service_code=checked.service_code,
        prefix=prefix,
        clock=clock,
        progress=Timeline(in_progress_after, ready_after),
        keep_exchanges=False,
    )
    server = FakeSecurityServer(fake, host=host, port=port)
    server.start()
    url = f"http://{f'[{host}]' if ':' in host else host}:{server.port}{prefix}"
    log.info("stand-in security server listening", tenant=None, agency="*", url=url)
    try:
        yield fake
    finally:
        log.info("stand-in security server stopping", tenant=None, agency="*", url=url)
        server.stop()
