"""The connector: the platform as an X-Road client of an agency's applications service.

Every call goes to the tenant's own security server, which signs it, carries
it to the agency's security server and brings the answer back
(``{security_server_url}/r1/{service}/{service_code}[/path]``, with our
subsystem in ``X-Road-Client``). Each call also sends an ``X-Road-Id`` of its
own: the security servers log the message under it, so even a call that got no
answer has an identifier an operator can find in both message logs. When the
security server answers, its ``X-Road-Id`` is the one kept for the audit.
"""

from __future__ import annotations

import asyncio
import json
import ssl
import time
import uuid
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import httpx
import structlog

from asan.plugins import (
    ConnectorError,
    FinalError,
    HealthReport,
    PluginConfig,
    Receipt,
    RetryableError,
    StatusReport,
    Submission,
)
from asan_xroad.faults import XROAD_ERROR_HEADER, failure, tls_refusal
from asan_xroad.settings import XRoadSettings
from asan_xroad.statuses import platform_status

log = structlog.get_logger(__name__)

PROTOCOL_VERSION = "r1"
HEALTH_METASERVICE = "allowedMethods"
"""Answered by the agency's security server itself: it proves the whole X-Road path and our
access rights without reaching (or loading) the agency's own system."""


class XRoadConnector:
    def __init__(self, config: PluginConfig) -> None:
        settings = XRoadSettings.from_mapping(config.settings)
        self._settings = settings
        self._tenant = config.tenant
        self._agency = config.agency or "-"
        self._service_id = f"{settings.service}/{settings.service_code}"
        provider = f"{settings.security_server_url}/{PROTOCOL_VERSION}/{settings.service.encoded()}"
        self._service_url = f"{provider}/{quote(settings.service_code, safe='')}"
        self._health_url = f"{provider}/{HEALTH_METASERVICE}"
        headers = {"X-Road-Client": settings.client.encoded(), "Accept": "application/json"}
        if settings.user_id:
            headers["X-Road-UserId"] = settings.user_id
        self._http = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(settings.timeout_seconds),
            verify=settings.tls,
            follow_redirects=False,  # X-Road passes redirects through; following one is unsafe
            trust_env=False,  # the security server is on our own network: no proxy in between
        )
        self._log = log.bind(tenant=self._tenant, agency=self._agency, service=self._service_id)

    async def submit(self, submission: Submission) -> Receipt:
        payload, transport_id = await self._exchange(
            "submit",
            "POST",
            self._service_url,
            content=json.dumps(submission.as_json(), ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Idempotency-Key": submission.idempotency_key,
                **_issue(submission.reference),
            },
            fields={
                "idempotency_key": submission.idempotency_key,
                "reference": submission.reference,
            },
        )
        agency_reference = payload.get("agency_reference")
        if not isinstance(agency_reference, str) or not agency_reference:
            raise FinalError(
                "submit: the provider service's answer names no agency_reference",
                transport_id=transport_id,
            )
        word = payload.get("status", "RECEIVED")
        status = platform_status(word) if isinstance(word, str) else None
        if status is None:
            raise FinalError(
                f"submit: unknown agency status {word!r}: add it to asan_xroad.statuses",
                transport_id=transport_id,
            )
        return Receipt(agency_reference=agency_reference, status=status, transport_id=transport_id)

    async def status(self, agency_reference: str) -> StatusReport:
        payload, transport_id = await self._exchange(
            "status",
            "GET",
            self._application_url(agency_reference),
            headers=_issue(agency_reference),
            fields={"agency_reference": agency_reference},
        )
        return self._report("status", agency_reference, payload, transport_id)

    async def cancel(self, agency_reference: str, reason: str) -> StatusReport:
        payload, transport_id = await self._exchange(
            "cancel",
            "POST",
            self._application_url(agency_reference) + "/cancel",
            content=json.dumps({"reason": reason}, ensure_ascii=False).encode(),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                **_issue(agency_reference),
            },
            fields={"agency_reference": agency_reference},
        )
        return self._report("cancel", agency_reference, payload, transport_id)

    async def health(self) -> HealthReport:
        """Whether the agency's security server answers us and grants us the service.

        It does not reach the agency's own system: a provider service that is
        down shows as a retryable ``ServiceFailed`` on the next real call.
        """
        checked: dict[str, Any] = {
            "security_server": self._settings.security_server_url,
            "client": str(self._settings.client),
            "service": self._service_id,
            "metaservice": HEALTH_METASERVICE,
        }
        try:
            payload, transport_id = await self._exchange(
                "health", "GET", self._health_url, fields={}
            )
        except ConnectorError as exc:
            checked["transport_id"] = exc.transport_id
            return HealthReport(ok=False, detail=str(exc), checked=checked)
        checked["transport_id"] = transport_id
        services = payload.get("service")
        allowed = {
            entry.get("service_code")
            for entry in (services if isinstance(services, list) else [])
            if isinstance(entry, dict)
        }
        if self._settings.service_code not in allowed:
            return HealthReport(
                ok=False,
                detail=(
                    f"{self._settings.service} answers but does not grant "
                    f"{self._settings.client} the service {self._settings.service_code}"
                ),
                checked=checked,
            )
        return HealthReport(
            ok=True,
            detail=f"{self._settings.service} answers and grants {self._settings.service_code}",
            checked=checked,
        )

    async def aclose(self) -> None:
        await self._http.aclose()

    def _application_url(self, agency_reference: str) -> str:
        if not agency_reference:
            raise FinalError("an empty agency reference names no application")
        return f"{self._service_url}/{quote(agency_reference, safe='')}"

    def _report(
        self, operation: str, agency_reference: str, payload: Mapping[str, Any], transport_id: str
    ) -> StatusReport:
        answered_for = payload.get("agency_reference", agency_reference)
        if answered_for != agency_reference:
            raise FinalError(
                f"{operation}: asked about {agency_reference!r}, the answer is about "
                f"{answered_for!r}",
                transport_id=transport_id,
            )
        word = payload.get("status")
        status = platform_status(word) if isinstance(word, str) else None
        if not isinstance(word, str) or status is None:
            raise FinalError(
                f"{operation}: unknown agency status {word!r}: add it to asan_xroad.statuses",
                transport_id=transport_id,
            )
        note = payload.get("note")
        return StatusReport(
            agency_reference=agency_reference,
            status=status,
            agency_status=word,
            note=note if isinstance(note, str) else "",
            transport_id=transport_id,
        )

    async def _exchange(
        self,
        operation: str,
        method: str,
        url: str,
        *,
        fields: Mapping[str, str],
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> tuple[dict[str, Any], str]:
        """One X-Road message and its answer as a JSON object, with the X-Road-Id to keep.

        Only references and idempotency keys are logged (``fields``): never a
        body, which holds the applicant's data, nor the request headers.
        """
        message_id = str(uuid.uuid4())
        bound = self._log.bind(operation=operation, **fields)
        timeout = self._settings.timeout_seconds
        started = time.monotonic()
        try:
            async with asyncio.timeout(timeout):
                response = await self._http.request(
                    method,
                    url,
                    content=content,
                    headers={**(headers or {}), "X-Road-Id": message_id},
                )
        except (TimeoutError, httpx.TimeoutException):
            bound.warning("xroad exchange timed out", x_road_id=message_id, timeout_seconds=timeout)
            raise RetryableError(
                f"{operation}: no answer from the security server within {timeout:g}s",
                transport_id=message_id,
            ) from None
        except (httpx.RequestError, ssl.SSLError) as exc:
            # ssl.SSLError: a TLS 1.3 alert read after the handshake escapes httpx unwrapped
            refusal = tls_refusal(exc)
            bound.warning(
                "xroad exchange failed",
                x_road_id=message_id,
                error=type(exc).__name__,
                retryable=refusal is None,
            )
            if refusal is not None:
                raise FinalError(f"{operation}: {refusal}", transport_id=message_id) from exc
            reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
            raise RetryableError(
                f"{operation}: the security server could not be reached ({reason})",
                transport_id=message_id,
            ) from exc
        transport_id = response.headers.get("X-Road-Id") or message_id
        bound = bound.bind(
            x_road_id=transport_id,
            x_road_request_id=response.headers.get("X-Road-Request-Id"),
            http_status=response.status_code,
            elapsed_ms=round((time.monotonic() - started) * 1000),
        )
        if XROAD_ERROR_HEADER in response.headers or not response.is_success:
            error = failure(
                operation,
                response.status_code,
                response.headers,
                response.content,
                transport_id=transport_id,
            )
            bound.warning(
                "xroad exchange refused",
                x_road_error=response.headers.get(XROAD_ERROR_HEADER),
                retryable=error.retryable,
            )
            raise error
        try:
            payload = json.loads(response.content)
        except (ValueError, UnicodeDecodeError):
            bound.warning("xroad answer unreadable")
            raise RetryableError(
                f"{operation}: the answer is not JSON (cut short?)", transport_id=transport_id
            ) from None
        if not isinstance(payload, dict):
            bound.warning("xroad answer not an object")
            raise FinalError(
                f"{operation}: the answer is JSON but not an object", transport_id=transport_id
            )
        bound.info("xroad exchange")
        return payload, transport_id


def _issue(reference: str) -> dict[str, str]:
    """``X-Road-Issue``: the case a message belongs to, kept in both security servers' message
    logs. Sent only when the reference fits a header as it is (printable ASCII)."""
    if reference and reference.isascii() and reference.isprintable():
        return {"X-Road-Issue": reference}
    return {}
