"""The contract every agency connector passes, whoever wrote it.

A connector plugin ships a harness (``PluginSpec.contract``): an async context
manager that starts a fake of its agency and yields a :class:`ContractHarness`
to steer it. Each check below builds the connector against that fake, drives
it and checks what the delivery worker relies on:

* a repeated submit with the same idempotency key gives the same receipt, and
  the agency has recorded the application once;
* every agency status in the harness's vocabulary maps to the expected
  :class:`~asan.plugins.AgencyStatus`;
* a slow agency is abandoned within the connector's timeout, as retryable;
* an agency that is down gives a retryable error, and an unhealthy health call;
* an agency that refuses the request gives a final error, as does an unknown
  reference;
* a cancelled application reports ``cancelled``.

Use :data:`CHECKS` with pytest (``tests/plugins/test_contract.py`` does), or
call :func:`run_contract` from a plugin's own suite.
"""

from __future__ import annotations

import enum
import time
import uuid
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from asan.plugins._connector import (
    AgencyConnector,
    AgencyStatus,
    FinalError,
    RetryableError,
    Submission,
)
from asan.plugins._spec import PluginConfig, PluginKind, PluginSpec

TIMEOUT_MARGIN_SECONDS = 3.0
"""How far past its own timeout a connector may take to give up on a slow agency."""


class Failure(enum.StrEnum):
    UNAVAILABLE = "unavailable"
    """Connection refused, or 5xx: the agency is down."""
    SLOW = "slow"
    """The agency answers only after longer than the connector's timeout."""
    REJECT = "reject"
    """The agency refuses the request as invalid (4xx)."""


class ContractHarness(Protocol):
    settings: Mapping[str, Any]
    """Settings (secrets resolved) that point the connector at this fake agency."""
    timeout_seconds: float
    """The timeout those settings give the connector."""
    agency_statuses: Mapping[str, AgencyStatus]
    """The agency's own status words, and what each must map to."""

    def fail_with(self, failure: Failure | None) -> None:
        """Make the agency fail this way from now on (None: healthy again)."""

    async def set_agency_status(self, agency_reference: str, agency_status: str) -> None:
        """Move an application the agency holds to one of its own statuses."""

    def recorded(self, idempotency_key: str) -> int:
        """How many applications the agency has recorded under this key."""


class ContractViolationError(AssertionError):
    pass


def sample_submission(*, key: str | None = None, agency: str = "contract-agency") -> Submission:
    now = datetime.now(UTC).replace(microsecond=0)
    key = key or str(uuid.uuid4())
    return Submission(
        idempotency_key=key,
        tenant="contract",
        agency=agency,
        reference=f"CT-{key[:8].upper()}",
        service="contract-service",
        service_version=1,
        channel="online",
        locale="en",
        applicant={"name": "Test Applicant", "national_id": "TEST0001", "email": "t@example.org"},
        form={"reason": "contract check"},
        submitted_at=now,
        deadline_at=now + timedelta(days=10),
    )


def build(spec: PluginSpec, harness: ContractHarness) -> AgencyConnector:
    connector = spec.factory(
        PluginConfig(tenant="contract", agency="contract-agency", settings=harness.settings)
    )
    if not isinstance(connector, AgencyConnector):
        raise ContractViolationError(f"{spec.name}: factory did not return an AgencyConnector")
    return connector


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise ContractViolationError(message)


async def check_idempotent_submit(connector: AgencyConnector, harness: ContractHarness) -> None:
    submission = sample_submission()
    first = await connector.submit(submission)
    second = await connector.submit(submission)
    _expect(
        first.agency_reference == second.agency_reference,
        f"same key, two agency references: {first.agency_reference} != {second.agency_reference}",
    )
    recorded = harness.recorded(submission.idempotency_key)
    _expect(recorded == 1, f"the agency recorded the application {recorded} times, not once")


async def check_status_mapping(connector: AgencyConnector, harness: ContractHarness) -> None:
    _expect(bool(harness.agency_statuses), "the harness names no agency statuses")
    for agency_status, expected in harness.agency_statuses.items():
        receipt = await connector.submit(sample_submission())
        await harness.set_agency_status(receipt.agency_reference, agency_status)
        report = await connector.status(receipt.agency_reference)
        _expect(
            report.status == expected,
            f"agency status {agency_status!r} mapped to {report.status}, expected {expected}",
        )
        _expect(report.agency_reference == receipt.agency_reference, "report for another reference")


async def check_timeout_is_retryable(connector: AgencyConnector, harness: ContractHarness) -> None:
    harness.fail_with(Failure.SLOW)
    started = time.monotonic()
    try:
        await connector.submit(sample_submission())
    except RetryableError:
        pass
    except FinalError as exc:
        raise ContractViolationError(f"a timeout was classified as final: {exc}") from exc
    else:
        raise ContractViolationError("a slow agency did not time out")
    elapsed = time.monotonic() - started
    _expect(
        elapsed <= harness.timeout_seconds + TIMEOUT_MARGIN_SECONDS,
        f"gave up after {elapsed:.1f}s with a timeout of {harness.timeout_seconds}s",
    )


async def check_unavailable_is_retryable(
    connector: AgencyConnector, harness: ContractHarness
) -> None:
    harness.fail_with(Failure.UNAVAILABLE)
    try:
        await connector.submit(sample_submission())
    except RetryableError:
        pass
    except FinalError as exc:
        raise ContractViolationError(f"an agency that is down gave a final error: {exc}") from exc
    else:
        raise ContractViolationError("submit succeeded while the agency was down")
    health = await connector.health()
    _expect(not health.ok, "health says ok while the agency is down")


async def check_refusal_is_final(connector: AgencyConnector, harness: ContractHarness) -> None:
    harness.fail_with(Failure.REJECT)
    try:
        await connector.submit(sample_submission())
    except FinalError:
        pass
    except RetryableError as exc:
        raise ContractViolationError(f"a refused request was classified retryable: {exc}") from exc
    else:
        raise ContractViolationError("submit succeeded while the agency refused it")


async def check_unknown_reference_is_final(
    connector: AgencyConnector, harness: ContractHarness
) -> None:
    try:
        await connector.status(f"unknown-{uuid.uuid4()}")
    except FinalError:
        return
    except RetryableError as exc:
        raise ContractViolationError(f"an unknown reference was retryable: {exc}") from exc
    raise ContractViolationError("status of an unknown reference did not fail")


async def check_cancel(connector: AgencyConnector, harness: ContractHarness) -> None:
    receipt = await connector.submit(sample_submission())
    report = await connector.cancel(receipt.agency_reference, "withdrawn by the applicant")
    _expect(report.status == AgencyStatus.CANCELLED, f"cancel reported {report.status}")
    again = await connector.status(receipt.agency_reference)
    _expect(again.status == AgencyStatus.CANCELLED, f"after cancel, status is {again.status}")


async def check_health(connector: AgencyConnector, harness: ContractHarness) -> None:
    health = await connector.health()
    _expect(health.ok, f"health is not ok against a healthy agency: {health.detail}")


Check = Callable[[AgencyConnector, ContractHarness], Awaitable[None]]

CHECKS: dict[str, Check] = {
    "idempotent_submit": check_idempotent_submit,
    "status_mapping": check_status_mapping,
    "timeout_is_retryable": check_timeout_is_retryable,
    "unavailable_is_retryable": check_unavailable_is_retryable,
    "refusal_is_final": check_refusal_is_final,
    "unknown_reference_is_final": check_unknown_reference_is_final,
    "cancel": check_cancel,
    "health": check_health,
}


async def run_check(spec: PluginSpec, name: str) -> None:
    """One check against a fresh fake agency and a fresh connector."""
    if spec.kind != PluginKind.CONNECTOR:
        raise ContractViolationError(f"{spec.name} is not a connector")
    if spec.contract is None:
        raise ContractViolationError(f"{spec.name} ships no contract harness")
    async with spec.contract() as harness:
        connector = build(spec, harness)
        try:
            await CHECKS[name](connector, harness)
        finally:
            await connector.aclose()


async def run_contract(spec: PluginSpec) -> None:
    for name in CHECKS:
        await run_check(spec, name)
