"""The contract harness: a private sandbox the contract kit can steer.

The kit builds the connector from settings alone, so the harness registers a
sandbox under a fresh ``instance`` name and flips that sandbox's switches;
nothing it does leaks into the process's other sandboxes.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from typing import Any

from asan.plugins import AgencyStatus
from asan.testing.connector_contract import Failure
from asan_sandbox_agency.reference import parse_reference
from asan_sandbox_agency.state import Sandbox, forget, sandbox_named
from asan_sandbox_agency.vocabulary import AGENCY_STATUSES, NOTES

TIMEOUT_SECONDS = 0.5
SLOW_BEYOND_TIMEOUT_SECONDS = 30.0
"""How much later than the timeout the SLOW agency would answer: never, in practice."""


class SandboxHarness:
    """Satisfies ``asan.testing.connector_contract.ContractHarness``."""

    def __init__(self, instance: str, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.timeout_seconds: float = TIMEOUT_SECONDS
        self.agency_statuses: Mapping[str, AgencyStatus] = dict(AGENCY_STATUSES)
        # Undecided for the length of any check, and no random failures: the
        # kit's checks must see only the failures it asks for.
        self.settings: Mapping[str, Any] = {
            "instance": instance,
            "decide_after_seconds": 3600.0,
            "reject_rate": 0.0,
            "failure_rate": 0.0,
            "latency_seconds": 0.0,
            "timeout_seconds": TIMEOUT_SECONDS,
            "seed": 0,
        }

    def fail_with(self, failure: Failure | None) -> None:
        self.sandbox.down = failure == Failure.UNAVAILABLE
        self.sandbox.refusing = failure == Failure.REJECT
        self.sandbox.extra_latency_seconds = (
            TIMEOUT_SECONDS + SLOW_BEYOND_TIMEOUT_SECONDS if failure == Failure.SLOW else 0.0
        )

    async def set_agency_status(self, agency_reference: str, agency_status: str) -> None:
        if agency_status not in AGENCY_STATUSES:
            raise ValueError(f"the sandbox agency has no status {agency_status!r}")
        if parse_reference(agency_reference) is None:
            raise ValueError(f"not a sandbox agency reference: {agency_reference!r}")
        self.sandbox.set_override(agency_reference, agency_status, NOTES[agency_status])

    def recorded(self, idempotency_key: str) -> int:
        return self.sandbox.recorded(idempotency_key)


@asynccontextmanager
async def harness() -> AsyncIterator[SandboxHarness]:
    instance = f"contract-{uuid.uuid4().hex}"
    try:
        yield SandboxHarness(instance, sandbox_named(instance))
    finally:
        forget(instance)
