"""The sandbox agency: decisions from the clock alone, deterministic across processes."""

from __future__ import annotations

import time
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from asan.plugins import (
    AgencyStatus,
    FinalError,
    PluginConfig,
    RetryableError,
    Submission,
    discover,
)
from asan.testing.connector_contract import run_contract, sample_submission
from asan_sandbox_agency import SandboxAgencyConnector, plugin
from asan_sandbox_agency.state import Sandbox

SUBMITTED_AT = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)
T0 = SUBMITTED_AT.timestamp()


class FakeClock:
    def __init__(self, now: float = T0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def submission(key: str | None = None) -> Submission:
    """The kit's sample, submitted at a fixed time so that the fake clock is meaningful."""
    return replace(sample_submission(key=key), submitted_at=SUBMITTED_AT)


def connector(
    clock: FakeClock | None = None, sandbox: Sandbox | None = None, **settings: Any
) -> SandboxAgencyConnector:
    """A connector on its own sandbox: each one stands for a separate process."""
    return SandboxAgencyConnector(
        PluginConfig(tenant="az", agency="tax-service", settings=settings),
        clock=clock or FakeClock(),
        sandbox=sandbox if sandbox is not None else Sandbox(),
    )


async def test_decision_follows_the_clock() -> None:
    clock = FakeClock()
    agency = connector(clock, decide_after_seconds=30, reject_rate=0.0)

    receipt = await agency.submit(submission())
    assert receipt.status == AgencyStatus.RECEIVED
    assert receipt.agency_reference.startswith("SBX-")

    clock.now = T0 + 15
    report = await agency.status(receipt.agency_reference)
    assert (report.status, report.agency_status) == (AgencyStatus.IN_PROGRESS, "under_review")

    clock.now = T0 + 29.9
    assert (await agency.status(receipt.agency_reference)).status == AgencyStatus.IN_PROGRESS

    clock.now = T0 + 30
    report = await agency.status(receipt.agency_reference)
    assert (report.status, report.agency_status) == (AgencyStatus.READY, "approved")


async def test_every_decision_is_a_refusal_at_reject_rate_one() -> None:
    clock = FakeClock(T0 + 31)
    agency = connector(clock, decide_after_seconds=30, reject_rate=1.0)
    receipt = await agency.submit(submission())
    assert receipt.status == AgencyStatus.REJECTED
    report = await agency.status(receipt.agency_reference)
    assert (report.status, report.agency_status) == (AgencyStatus.REJECTED, "refused")


async def test_a_process_that_never_saw_the_submit_answers_alike() -> None:
    clock = FakeClock(T0 + 100)
    submitting = connector(clock, decide_after_seconds=30, reject_rate=0.5)
    polling = connector(clock, decide_after_seconds=30, reject_rate=0.5)
    for _ in range(20):
        receipt = await submitting.submit(submission())
        mine = await submitting.status(receipt.agency_reference)
        theirs = await polling.status(receipt.agency_reference)
        assert theirs == mine


async def test_reject_rate_is_a_sane_fraction_and_the_same_in_every_process() -> None:
    clock = FakeClock(T0 + 60)
    first = connector(clock, decide_after_seconds=30, reject_rate=0.3)
    second = connector(clock, decide_after_seconds=30, reject_rate=0.3)
    decisions = []
    for _ in range(2000):
        key = str(uuid.uuid4())
        one = await first.submit(submission(key))
        other = await second.submit(submission(key))
        assert one == other
        decisions.append(one.status)
    assert set(decisions) == {AgencyStatus.READY, AgencyStatus.REJECTED}
    refused = decisions.count(AgencyStatus.REJECTED) / len(decisions)
    assert 0.25 < refused < 0.35, refused


async def test_the_same_key_gives_the_same_reference_and_one_record() -> None:
    sandbox = Sandbox()
    agency = connector(sandbox=sandbox)
    application = submission()
    first = await agency.submit(application)
    second = await agency.submit(application)
    assert first.agency_reference == second.agency_reference
    assert sandbox.recorded(application.idempotency_key) == 1

    elsewhere = await connector().submit(application)
    assert elsewhere.agency_reference == first.agency_reference

    other = await agency.submit(submission())
    assert other.agency_reference != first.agency_reference


async def test_failure_rate_draws_from_a_seeded_random_source() -> None:
    async def outcomes(seed: int) -> list[str]:
        agency = connector(failure_rate=0.5, seed=seed)
        reference = (await connector().submit(submission("fixed-key"))).agency_reference
        results = []
        for _ in range(200):
            try:
                await agency.status(reference)
            except RetryableError as exc:
                results.append(str(exc))
            else:
                results.append("ok")
        return results

    first = await outcomes(seed=7)
    assert first == await outcomes(seed=7)
    assert first != await outcomes(seed=8)
    assert set(first) == {"ok", "sandbox agency is temporarily unavailable"}
    assert 0.35 < first.count("ok") / len(first) < 0.65


async def test_failure_rate_bounds() -> None:
    with pytest.raises(RetryableError):
        await connector(failure_rate=1.0).submit(submission())
    never = connector(failure_rate=0.0)
    for _ in range(50):
        await never.submit(submission())


async def test_a_retry_eventually_passes() -> None:
    agency = connector(failure_rate=0.5, seed=1)
    application = submission()
    for _attempt in range(50):
        try:
            receipt = await agency.submit(application)
            break
        except RetryableError:
            continue
    else:
        pytest.fail("fifty attempts at a 50% failure rate all failed")
    assert receipt.agency_reference.startswith("SBX-")


async def test_latency_beyond_the_timeout_is_abandoned_as_retryable() -> None:
    slow = connector(latency_seconds=5.0, timeout_seconds=0.1)
    started = time.monotonic()
    with pytest.raises(RetryableError, match=r"did not answer within 0\.1s"):
        await slow.submit(submission())
    assert time.monotonic() - started < 1.0
    health = await slow.health()
    assert not health.ok

    within = connector(latency_seconds=0.05, timeout_seconds=0.5)
    started = time.monotonic()
    await within.submit(submission())
    assert time.monotonic() - started >= 0.05


async def test_switches_outage_and_refusal() -> None:
    sandbox = Sandbox()
    agency = connector(sandbox=sandbox)
    sandbox.down = True
    with pytest.raises(RetryableError):
        await agency.submit(submission())
    assert not (await agency.health()).ok

    sandbox.down, sandbox.refusing = False, True
    with pytest.raises(FinalError, match="refuses the application"):
        await agency.submit(submission())

    sandbox.refusing = False
    assert (await agency.health()).ok
    await agency.submit(submission())


async def test_cancel_withdraws_an_undecided_application_once() -> None:
    sandbox = Sandbox()
    clock = FakeClock()
    agency = connector(clock, sandbox=sandbox, decide_after_seconds=30, reject_rate=0.0)
    receipt = await agency.submit(submission())

    report = await agency.cancel(receipt.agency_reference, "moved abroad")
    assert (report.status, report.agency_status) == (AgencyStatus.CANCELLED, "withdrawn")
    assert "moved abroad" in report.note

    clock.now = T0 + 3600
    assert (await agency.status(receipt.agency_reference)).status == AgencyStatus.CANCELLED
    again = await agency.cancel(receipt.agency_reference, "again")
    assert again.status == AgencyStatus.CANCELLED


async def test_a_refusal_cannot_be_withdrawn() -> None:
    agency = connector(FakeClock(T0 + 60), decide_after_seconds=30, reject_rate=1.0)
    receipt = await agency.submit(submission())
    with pytest.raises(FinalError, match="already refused"):
        await agency.cancel(receipt.agency_reference, "too late")


async def test_a_restart_forgets_withdrawals() -> None:
    """Documented limitation: cancellations live in the process's memory only."""
    agency = connector(decide_after_seconds=30)
    receipt = await agency.submit(submission())
    await agency.cancel(receipt.agency_reference, "changed my mind")
    restarted = connector(decide_after_seconds=30)
    assert (await restarted.status(receipt.agency_reference)).status == AgencyStatus.RECEIVED


@pytest.mark.parametrize("reference", ["", "SBX-xyz-1", "unknown-1", "SBX-0123456789abcdef-"])
async def test_an_unknown_reference_is_final(reference: str) -> None:
    with pytest.raises(FinalError):
        await connector().status(reference)


@pytest.mark.parametrize(
    ("settings", "problem"),
    [
        ({"reject_rate": 1.5}, "reject_rate: must be at most 1"),
        ({"decide_after_seconds": -1}, "decide_after_seconds: must be at least 0"),
        ({"failure_rate": "often"}, "failure_rate: must be a number"),
        ({"colour": "blue"}, "unknown setting"),
    ],
)
def test_bad_settings_are_refused_at_build_time(settings: dict[str, Any], problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        plugin.factory(PluginConfig(tenant="az", agency="tax-service", settings=settings))


def test_defaults_apply_when_settings_are_empty() -> None:
    built = plugin.factory(PluginConfig(tenant="az", agency="tax-service", settings={}))
    assert isinstance(built, SandboxAgencyConnector)
    assert built.settings.decide_after_seconds == 30
    assert built.settings.reject_rate == 0.1
    assert built.settings.timeout_seconds == 5


def test_found_through_its_entry_point() -> None:
    installed = discover().installed["sandbox_agency"]
    assert installed.spec is plugin
    assert installed.distribution == "asan-sandbox-agency"


async def test_passes_the_connector_contract() -> None:
    await run_contract(plugin)
