"""The connector to the simulated agency.

Every call first "reaches" the agency: a simulated outage, latency (abandoned
after ``timeout_seconds``, as a real HTTP client would), a random transient
failure at ``failure_rate``, or a refusal. Only then does it answer, from the
reference and the clock (decisions) and the process's sandbox (withdrawals).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Callable

import structlog

from asan.plugins import (
    AgencyStatus,
    FinalError,
    HealthReport,
    PluginConfig,
    Receipt,
    RetryableError,
    StatusReport,
    Submission,
)
from asan_sandbox_agency.reference import (
    ParsedReference,
    derived_status,
    make_reference,
    parse_reference,
)
from asan_sandbox_agency.settings import SandboxSettings
from asan_sandbox_agency.state import Application, Sandbox, sandbox_named
from asan_sandbox_agency.vocabulary import AGENCY_STATUSES, NOTES, WITHDRAWN

log = structlog.get_logger(__name__)

Clock = Callable[[], float]


class SandboxAgencyConnector:
    """A simulated agency for one (tenant, agency); stateless apart from its sandbox."""

    def __init__(
        self,
        config: PluginConfig,
        *,
        clock: Clock = time.time,
        sandbox: Sandbox | None = None,
    ) -> None:
        self.settings = SandboxSettings.from_mapping(config.settings)
        self.tenant = config.tenant
        self.agency = config.agency or "-"
        self._clock = clock
        self._sandbox = sandbox if sandbox is not None else sandbox_named(self.settings.instance)
        # Not for security: the draws only decide which calls fail, and a seed
        # must make that reproducible.
        self._random = random.Random(self.settings.seed)  # noqa: S311

    async def submit(self, submission: Submission) -> Receipt:
        await self._reach_agency("application", idempotency_key=submission.idempotency_key)
        key = submission.idempotency_key
        existing = self._sandbox.find(key)
        if existing is not None:
            reference = existing.agency_reference
            log.info(
                "sandbox application already recorded",
                tenant=self.tenant,
                agency=self.agency,
                idempotency_key=key,
                agency_reference=reference,
            )
        else:
            reference = make_reference(key, submission.submitted_at)
            self._sandbox.record(
                Application(
                    idempotency_key=key, agency_reference=reference, received_at=self._clock()
                )
            )
            log.info(
                "sandbox application recorded",
                tenant=self.tenant,
                agency=self.agency,
                idempotency_key=key,
                agency_reference=reference,
            )
        report = self._report(reference, self._parse(reference))
        return Receipt(agency_reference=reference, status=report.status)

    async def status(self, agency_reference: str) -> StatusReport:
        await self._reach_agency("status request", agency_reference=agency_reference)
        return self._report(agency_reference, self._parse(agency_reference))

    async def cancel(self, agency_reference: str, reason: str) -> StatusReport:
        """Withdraws the application unless it is already decided: a refusal stands."""
        await self._reach_agency("withdrawal", agency_reference=agency_reference)
        current = self._report(agency_reference, self._parse(agency_reference))
        if current.status == AgencyStatus.CANCELLED:
            return current
        if current.status.final:
            raise FinalError(
                f"sandbox agency cannot withdraw {agency_reference}: "
                f"it is already {current.agency_status}"
            )
        note = f"{NOTES[WITHDRAWN]}: {reason}" if reason else NOTES[WITHDRAWN]
        self._sandbox.set_override(agency_reference, WITHDRAWN, note)
        log.info(
            "sandbox application withdrawn",
            tenant=self.tenant,
            agency=self.agency,
            agency_reference=agency_reference,
        )
        return self._report(agency_reference, self._parse(agency_reference))

    async def health(self) -> HealthReport:
        """Reflects the outage switch and a latency beyond the timeout; draws no failure.

        A health check that failed at ``failure_rate`` would flap on dashboards
        without saying anything the error rate does not already say.
        """
        settings = self.settings
        latency = self._latency()
        checked = {
            "instance": settings.instance,
            "latency_seconds": latency,
            "timeout_seconds": settings.timeout_seconds,
            "failure_rate": settings.failure_rate,
        }
        if self._sandbox.down:
            return HealthReport(
                ok=False, detail="sandbox agency is down (simulated)", checked=checked
            )
        if latency > settings.timeout_seconds:
            return HealthReport(
                ok=False,
                detail=f"sandbox agency answers after {latency:g}s, beyond the "
                f"{settings.timeout_seconds:g}s timeout",
                checked=checked,
            )
        return HealthReport(ok=True, detail="sandbox agency is up (simulated)", checked=checked)

    async def aclose(self) -> None:
        """Nothing to release: the sandbox outlives connectors on purpose."""

    def _latency(self) -> float:
        return self.settings.latency_seconds + self._sandbox.extra_latency_seconds

    async def _reach_agency(self, what: str, **context: str) -> None:
        """Simulates the way to the agency: it may be down, slow, flaky or refusing."""
        settings = self.settings
        fields = {"tenant": self.tenant, "agency": self.agency, **context}
        if self._sandbox.down:
            log.info("sandbox agency down", **fields)
            raise RetryableError("sandbox agency is unavailable (simulated outage)")
        latency = self._latency()
        if latency > settings.timeout_seconds:
            await asyncio.sleep(settings.timeout_seconds)
            log.info("sandbox agency timed out", timeout_seconds=settings.timeout_seconds, **fields)
            raise RetryableError(
                f"sandbox agency did not answer within {settings.timeout_seconds:g}s"
            )
        if latency > 0:
            await asyncio.sleep(latency)
        if self._random.random() < settings.failure_rate:
            log.info("sandbox agency failed at random", **fields)
            raise RetryableError("sandbox agency is temporarily unavailable")
        if self._sandbox.refusing:
            log.info("sandbox agency refused", **fields)
            raise FinalError(f"sandbox agency refuses the {what}: the request is invalid")

    def _parse(self, agency_reference: str) -> ParsedReference:
        parsed = parse_reference(agency_reference)
        if parsed is None:
            raise FinalError(f"sandbox agency knows no application {agency_reference!r}")
        return parsed

    def _report(self, agency_reference: str, parsed: ParsedReference) -> StatusReport:
        override = self._sandbox.override(agency_reference)
        if override is not None:
            word, note = override.agency_status, override.note
        else:
            settings = self.settings
            word = derived_status(
                parsed,
                now=self._clock(),
                decide_after_seconds=settings.decide_after_seconds,
                reject_rate=settings.reject_rate,
            )
            note = NOTES[word]
        return StatusReport(
            agency_reference=agency_reference,
            status=AGENCY_STATUSES[word],
            agency_status=word,
            note=note,
        )


def build_connector(config: PluginConfig) -> SandboxAgencyConnector:
    """The plugin factory: a connector on the process's sandbox named by ``instance``."""
    return SandboxAgencyConnector(config)
