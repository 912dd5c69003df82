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

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Final

import structlog

from asan.testing.stand_ins import (
    IN_PROGRESS_AFTER_SECONDS,
    READY_AFTER_SECONDS,
    DemoTimeline,
    StatusWords,
    loopback_address,
)
from asan_xroad.contract import FakeSecurityServer, XRoadFake
from asan_xroad.settings import XRoadSettings

log = structlog.get_logger(__name__)

WORDS: Final = StatusWords("RECEIVED", "IN_PROCESSING", "READY_FOR_PICKUP", "REJECTED")
"""What the agency calls received, in progress, ready and rejected."""


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
        checked.security_server_url,
        setting="security_server_url",
        posing_as="the security server",
    )
    fake = XRoadFake(
        honour_client_message_ids=True,
        user_id=checked.user_id,
        client=checked.client,
        service=checked.service,
        service_code=checked.service_code,
        prefix=prefix,
        clock=clock,
        progress=DemoTimeline(WORDS, in_progress_after, ready_after),
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
