"""The connector: the platform's side of the protocol in ``README.md``.

One instance serves one (tenant, agency) and owns one HTTP client, so
connections to the agency are reused across the delivery worker's calls and
closed with the connector. Every call is signed (see :mod:`.signing`) and has
an overall deadline of ``timeout_seconds``, whatever the agency does with the
connection, so that a stuck agency cannot hold a worker.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Final
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
from asan_rest_webhook import callbacks, signing
from asan_rest_webhook.classify import refusal, transport_failure
from asan_rest_webhook.documents import (
    AgencyState,
    ProtocolViolationError,
    UnreadableAnswerError,
    encode,
    is_agency_reference,
    read_object,
    read_state,
)
from asan_rest_webhook.settings import ConnectorSettings

log = structlog.get_logger(__name__)

USER_AGENT: Final = "asan-rest-webhook/1"
IDEMPOTENCY_HEADER: Final = "Idempotency-Key"
REQUEST_ID_HEADER: Final = callbacks.REQUEST_ID_HEADER
JSON_TYPE: Final = "application/json; charset=utf-8"


class RestWebhookConnector:
    """An :class:`~asan.plugins.AgencyConnector` and :class:`~asan.plugins.CallbackReceiver`."""

    def __init__(self, config: PluginConfig, *, clock: Callable[[], float] = time.time) -> None:
        if not config.agency:
            raise ValueError("rest_webhook connects one agency: PluginConfig.agency is required")
        self._tenant = config.tenant
        self._agency = config.agency
        self._settings = ConnectorSettings.from_mapping(config.settings)
        self._clock = clock
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(self._settings.timeout_seconds),
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": USER_AGENT},
        )

    def __repr__(self) -> str:
        return f"RestWebhookConnector(tenant={self._tenant!r}, agency={self._agency!r})"

    async def submit(self, submission: Submission) -> Receipt:
        key = submission.idempotency_key
        response, transport_id = await self._call(
            "POST",
            "/applications",
            call="submit",
            body=encode(submission.as_json()),
            headers={IDEMPOTENCY_HEADER: key},
            log_fields={"idempotency_key": key},
        )
        state = self._state(response, call="submit", transport_id=transport_id, submit=True)
        log.info(
            "agency submit accepted",
            tenant=self._tenant,
            agency=self._agency,
            idempotency_key=key,
            agency_reference=state.agency_reference,
            agency_status=state.agency_status,
            transport_id=transport_id,
        )
        return Receipt(state.agency_reference, state.status, transport_id)

    async def status(self, agency_reference: str) -> StatusReport:
        path = self._application_path(agency_reference, call="status")
        response, transport_id = await self._call(
            "GET", path, call="status", log_fields={"agency_reference": agency_reference}
        )
        state = self._state(
            response, call="status", transport_id=transport_id, expected=agency_reference
        )
        return self._report(state, transport_id)

    async def cancel(self, agency_reference: str, reason: str) -> StatusReport:
        path = self._application_path(agency_reference, call="cancel") + "/cancel"
        response, transport_id = await self._call(
            "POST",
            path,
            call="cancel",
            body=encode({"reason": reason}),
            log_fields={"agency_reference": agency_reference},
        )
        state = self._state(
            response, call="cancel", transport_id=transport_id, expected=agency_reference
        )
        log.info(
            "agency cancel answered",
            tenant=self._tenant,
            agency=self._agency,
            agency_reference=agency_reference,
            agency_status=state.agency_status,
            transport_id=transport_id,
        )
        return self._report(state, transport_id)

    async def health(self) -> HealthReport:
        """Never raises: a health check reports a failure, it does not have one."""
        url = httpx.URL(self._settings.base_url)
        checked: dict[str, Any] = {"endpoint": f"{url.scheme}://{url.netloc.decode()}{url.path}"}
        started = time.monotonic()
        try:
            response, _ = await self._call("GET", "/health", call="health", log_fields={})
        except ConnectorError as exc:
            checked["elapsed_ms"] = round((time.monotonic() - started) * 1000)
            return HealthReport(ok=False, detail=str(exc), checked=checked)
        checked["elapsed_ms"] = round((time.monotonic() - started) * 1000)
        checked["status_code"] = response.status_code
        return HealthReport(ok=True, detail="the agency answered its health check", checked=checked)

    def parse_callback(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> StatusReport:
        return callbacks.parse_callback(
            self._settings,
            tenant=self._tenant,
            agency=self._agency,
            headers=headers,
            body=body,
            now=now,
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def _application_path(self, agency_reference: str, *, call: str) -> str:
        if not is_agency_reference(agency_reference):
            # The agency never issues such a reference: asking would only earn a 404.
            raise FinalError(f"{call}: {agency_reference[:40]!r} is not an agency reference")
        return f"/applications/{quote(agency_reference, safe='')}"

    async def _call(
        self,
        method: str,
        path: str,
        *,
        call: str,
        log_fields: Mapping[str, str],
        body: bytes = b"",
        headers: Mapping[str, str] | None = None,
    ) -> tuple[httpx.Response, str]:
        """A signed call that answered 2xx, with the request id it went out under."""
        transport_id = str(uuid.uuid4())
        request = self._client.build_request(
            method,
            self._settings.base_url + path,
            content=body or None,
            headers={
                **(headers or {}),
                REQUEST_ID_HEADER: transport_id,
                **({"Content-Type": JSON_TYPE} if body else {}),
            },
        )
        # Sign the target exactly as it goes on the wire: the agency verifies what it receives.
        target = request.url.raw_path.decode("ascii")
        request.headers.update(
            signing.sign(self._settings.shared_secret, method, target, body, now=self._clock())
        )
        started = time.monotonic()
        try:
            async with asyncio.timeout(self._settings.timeout_seconds):
                response = await self._client.send(request)
        except (TimeoutError, httpx.RequestError) as exc:
            error = transport_failure(
                exc,
                call=call,
                timeout_seconds=self._settings.timeout_seconds,
                transport_id=transport_id,
            )
            self._log_failure(call, error, log_fields, started, transport_id)
            raise error from exc
        if not response.is_success:
            refused = refusal(response, call=call, transport_id=transport_id)
            self._log_failure(
                call, refused, log_fields, started, transport_id, response.status_code
            )
            raise refused
        log.debug(
            "agency call answered",
            tenant=self._tenant,
            agency=self._agency,
            call=call,
            status_code=response.status_code,
            elapsed_ms=round((time.monotonic() - started) * 1000),
            transport_id=transport_id,
            **log_fields,
        )
        return response, transport_id

    def _state(
        self,
        response: httpx.Response,
        *,
        call: str,
        transport_id: str,
        expected: str | None = None,
        submit: bool = False,
    ) -> AgencyState:
        """The application state in a 2xx answer, classified when it is not one."""
        try:
            state = read_state(
                read_object(response.content), default_status="received" if submit else None
            )
        except UnreadableAnswerError as exc:
            raise RetryableError(
                f"{call}: the agency answered {response.status_code} but {exc}",
                transport_id=transport_id,
            ) from exc
        except ProtocolViolationError as exc:
            raise FinalError(
                f"{call}: the agency's answer breaks the protocol: {exc}",
                transport_id=transport_id,
            ) from exc
        if expected is not None and state.agency_reference != expected:
            raise FinalError(
                f"{call}: asked about {expected!r}, the agency answered about "
                f"{state.agency_reference!r}",
                transport_id=transport_id,
            )
        return state

    @staticmethod
    def _report(state: AgencyState, transport_id: str) -> StatusReport:
        return StatusReport(
            agency_reference=state.agency_reference,
            status=state.status,
            agency_status=state.agency_status,
            note=state.note,
            transport_id=transport_id,
        )

    def _log_failure(
        self,
        call: str,
        error: ConnectorError,
        log_fields: Mapping[str, str],
        started: float,
        transport_id: str,
        status_code: int | None = None,
    ) -> None:
        log.warning(
            "agency call failed",
            tenant=self._tenant,
            agency=self._agency,
            call=call,
            retryable=isinstance(error, RetryableError),
            reason=str(error),
            status_code=status_code,
            elapsed_ms=round((time.monotonic() - started) * 1000),
            transport_id=transport_id,
            **log_fields,
        )
