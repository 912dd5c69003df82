"""The contract kit's harness: this plugin's fake agency, steered the kit's way.

The timeout is kept short (the slow check waits for it) and the fake agency
holds slow answers for longer than that, so the timeout check is a real one.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from asan.plugins import AgencyStatus
from asan.testing.connector_contract import Failure
from asan_rest_webhook.fake_agency import FakeAgency
from asan_rest_webhook.vocabulary import AGENCY_STATUSES

HARNESS_TIMEOUT_SECONDS = 1.0


@dataclass
class RestWebhookHarness:
    """A :class:`~asan.testing.connector_contract.ContractHarness` over a :class:`FakeAgency`."""

    agency: FakeAgency
    settings: Mapping[str, Any]
    timeout_seconds: float
    agency_statuses: Mapping[str, AgencyStatus]

    def fail_with(self, failure: Failure | None) -> None:
        self.agency.fail_with(failure)

    async def set_agency_status(self, agency_reference: str, agency_status: str) -> None:
        self.agency.set_status(agency_reference, agency_status)

    def recorded(self, idempotency_key: str) -> int:
        return self.agency.recorded(idempotency_key)


@asynccontextmanager
async def contract_harness() -> AsyncIterator[RestWebhookHarness]:
    agency = FakeAgency(slow_seconds=HARNESS_TIMEOUT_SECONDS + 2.0)
    agency.start()
    try:
        yield RestWebhookHarness(
            agency=agency,
            settings=agency.settings(timeout_seconds=HARNESS_TIMEOUT_SECONDS),
            timeout_seconds=HARNESS_TIMEOUT_SECONDS,
            agency_statuses=dict(AGENCY_STATUSES),
        )
    finally:
        # Stopping joins the server thread: not on the event loop's thread.
        await asyncio.to_thread(agency.stop)
