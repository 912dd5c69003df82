"""Status callbacks: the agency tells the platform an application moved.

The platform's route hands over the raw headers and body; nothing is believed
before the signature and its timestamp check out, because the route is
reachable from the internet. The signed path is the platform's callback path
for this agency, so a callback signed for one agency cannot be replayed
against another that happens to share the secret.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

import structlog

from asan.plugins import CallbackRejectedError, StatusReport
from asan_rest_webhook import signing
from asan_rest_webhook.documents import (
    ProtocolViolationError,
    UnreadableAnswerError,
    read_object,
    read_state,
)
from asan_rest_webhook.settings import ConnectorSettings

log = structlog.get_logger(__name__)

CALLBACK_METHOD = "POST"
CALLBACK_PATH = "/api/v1/connectors/{agency}/callback"
"""The platform's route, on the tenant's host; ``{agency}`` is the agency's code."""
MAX_CALLBACK_BYTES = 64 * 1024
REQUEST_ID_HEADER = "X-Request-Id"


def callback_path(agency: str) -> str:
    return CALLBACK_PATH.format(agency=agency)


def callback_headers(secret: str, agency: str, body: bytes, *, now: float) -> dict[str, str]:
    """The headers an agency sends with a callback (what its developers implement)."""
    return {
        "Content-Type": "application/json",
        **signing.sign(secret, CALLBACK_METHOD, callback_path(agency), body, now=now),
    }


def _request_id(headers: Mapping[str, str]) -> str | None:
    """The agency's id for the exchange, kept for the audit (cut to a sane length)."""
    value = signing.header_value(headers, REQUEST_ID_HEADER)
    return value[:128] if value else None


def parse_callback(
    settings: ConnectorSettings,
    *,
    tenant: str,
    agency: str,
    headers: Mapping[str, str],
    body: bytes,
    now: datetime,
) -> StatusReport:
    """The status a verified callback reports, or :class:`CallbackRejectedError`."""
    transport_id = _request_id(headers)
    moment = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    try:
        if len(body) > MAX_CALLBACK_BYTES:
            raise CallbackRejectedError(f"body larger than {MAX_CALLBACK_BYTES} bytes")
        try:
            signing.verify(
                settings.shared_secret,
                headers,
                CALLBACK_METHOD,
                callback_path(agency),
                body,
                now=moment.timestamp(),
                max_skew_seconds=settings.max_clock_skew_seconds,
            )
        except signing.SignatureError as exc:
            raise CallbackRejectedError(f"signature: {exc}") from exc
        try:
            state = read_state(read_object(body))
        except (UnreadableAnswerError, ProtocolViolationError) as exc:
            raise CallbackRejectedError(f"body: {exc}") from exc
    except CallbackRejectedError as exc:
        log.warning(
            "agency callback rejected",
            tenant=tenant,
            agency=agency,
            reason=str(exc),
            transport_id=transport_id,
        )
        raise
    log.info(
        "agency callback accepted",
        tenant=tenant,
        agency=agency,
        agency_reference=state.agency_reference,
        agency_status=state.agency_status,
        transport_id=transport_id,
    )
    return StatusReport(
        agency_reference=state.agency_reference,
        status=state.status,
        agency_status=state.agency_status,
        note=state.note,
        transport_id=transport_id,
    )
