"""The agency connector interface: how an application reaches an agency's system.

A connector is built per (tenant, agency) from that agency's settings. The
platform calls it from the delivery worker only, never inside a request, and
always with the application's idempotency key: a retry after a timeout or a
killed worker sends the same key, and the connector (or the agency behind it)
must answer with the receipt it already gave instead of recording a second
application. Failures are classified, because the worker's next step depends
on it: :class:`RetryableError` (the agency is down, slow or overloaded: try
again later) or :class:`FinalError` (the agency refused this request: retrying
the same bytes cannot help, a person must look).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol, runtime_checkable


class AgencyStatus(enum.StrEnum):
    """The platform's words for where an application is at the agency.

    Every connector maps its agency's own vocabulary onto these; the contract
    kit (``asan.testing``) checks the mapping.
    """

    RECEIVED = "received"
    IN_PROGRESS = "in_progress"
    READY = "ready"
    ISSUED = "issued"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def final(self) -> bool:
        return self in (AgencyStatus.ISSUED, AgencyStatus.REJECTED, AgencyStatus.CANCELLED)


@dataclass(frozen=True, slots=True)
class Submission:
    """One application as an agency receives it."""

    idempotency_key: str
    """Stable for the application's life: the agency must record it once, however often sent."""
    tenant: str
    agency: str
    reference: str
    """The reference the citizen holds (on the receipt)."""
    service: str
    service_version: int
    channel: str
    locale: str
    applicant: Mapping[str, Any]
    form: Mapping[str, Any]
    submitted_at: datetime
    deadline_at: datetime

    def as_json(self) -> dict[str, Any]:
        return {
            "idempotency_key": self.idempotency_key,
            "tenant": self.tenant,
            "agency": self.agency,
            "reference": self.reference,
            "service": self.service,
            "service_version": self.service_version,
            "channel": self.channel,
            "locale": self.locale,
            "applicant": dict(self.applicant),
            "form": dict(self.form),
            "submitted_at": self.submitted_at.isoformat(),
            "deadline_at": self.deadline_at.isoformat(),
        }


@dataclass(frozen=True, slots=True)
class Receipt:
    agency_reference: str
    status: AgencyStatus = AgencyStatus.RECEIVED
    transport_id: str | None = None
    """An identifier of the exchange itself (X-Road's ``X-Road-Id``), kept for the audit."""


@dataclass(frozen=True, slots=True)
class StatusReport:
    agency_reference: str
    status: AgencyStatus
    agency_status: str
    """The agency's own word for it, kept in the timeline."""
    note: str = ""
    transport_id: str | None = None


@dataclass(frozen=True, slots=True)
class HealthReport:
    ok: bool
    detail: str
    checked: Mapping[str, Any] = field(default_factory=dict)


class ConnectorError(Exception):
    """A call to the agency failed; ``retryable`` says whether trying again may help."""

    retryable: bool = False

    def __init__(self, message: str, *, transport_id: str | None = None) -> None:
        super().__init__(message)
        self.transport_id = transport_id


class RetryableError(ConnectorError):
    """Down, slow, overloaded, or an answer cut short: the same call later may succeed."""

    retryable = True


class FinalError(ConnectorError):
    """The agency refused the request itself (invalid, unauthorised, unknown reference)."""

    retryable = False


class CallbackRejectedError(Exception):
    """A status callback failed verification (signature, age, shape); nothing was changed."""


@runtime_checkable
class AgencyConnector(Protocol):
    async def submit(self, submission: Submission) -> Receipt: ...

    async def status(self, agency_reference: str) -> StatusReport: ...

    async def cancel(self, agency_reference: str, reason: str) -> StatusReport: ...

    async def health(self) -> HealthReport: ...

    async def aclose(self) -> None: ...


@runtime_checkable
class CallbackReceiver(Protocol):
    """A connector whose agency pushes status changes to the platform.

    ``parse_callback`` verifies the request (signature, timestamp) and says
    what it reports; the platform then applies it like a polled status.
    """

    def parse_callback(
        self, headers: Mapping[str, str], body: bytes, *, now: datetime
    ) -> StatusReport: ...
