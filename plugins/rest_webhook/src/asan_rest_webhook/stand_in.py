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
from asan_rest_webhook.fake_agency import FakeAgency
from asan_rest_webhook.settings import ConnectorSettings

log = structlog.get_logger(__name__)

WORDS: Final = StatusWords("received", "processing", "ready", "rejected")
"""What the agency calls received, in progress, ready and rejected."""


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
        progress=DemoTimeline(WORDS, in_progress_after, ready_after),
    )
    with agency:
        log.info("stand-in agency listening", tenant=None, agency="*", url=agency.url)
        try:
            yield agency
        finally:
            log.info("stand-in agency stopping", tenant=None, agency="*", url=agency.url)
