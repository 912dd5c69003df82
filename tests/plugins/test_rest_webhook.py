"""The rest_webhook connector against its fake agency, over real HTTP on 127.0.0.1.

The fake agency verifies every signature the way the README asks a real agency
to, so a connector that signs wrongly fails here with 401 rather than passing
against a lenient stub. Error classification is driven by a scripted server
that answers whatever a test tells it to.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

from asan.plugins import (
    AgencyConnector,
    AgencyStatus,
    CallbackReceiver,
    CallbackRejectedError,
    ConnectorError,
    FinalError,
    PluginConfig,
    RetryableError,
    check_settings,
    discover,
)
from asan.testing.connector_contract import Failure, run_contract, sample_submission
from asan_rest_webhook import plugin, signing
from asan_rest_webhook.callbacks import callback_headers, callback_path
from asan_rest_webhook.connector import RestWebhookConnector
from asan_rest_webhook.fake_agency import FakeAgency
from asan_rest_webhook.fake_server import Answer, FakeServer
from asan_rest_webhook.settings import SETTINGS

AGENCY = "tax-service"
EXAMPLE_SECRET = "an-example-secret-never-use-it-0123"
EXAMPLE_TIMESTAMP = 1767225600
EXAMPLE_NOW = datetime.fromtimestamp(EXAMPLE_TIMESTAMP, UTC)


def make_connector(
    agency_settings: Mapping[str, Any], *, clock: Callable[[], float] = time.time
) -> RestWebhookConnector:
    return RestWebhookConnector(
        PluginConfig(tenant="ma", agency=AGENCY, settings=agency_settings), clock=clock
    )


@pytest.fixture
def agency() -> Iterator[FakeAgency]:
    with FakeAgency(slow_seconds=4.0) as fake:
        yield fake


@pytest.fixture
async def connector(agency: FakeAgency) -> AsyncIterator[RestWebhookConnector]:
    built = make_connector(agency.settings(timeout_seconds=1.5))
    yield built
    await built.aclose()


@dataclass
class Scripted:
    """A server that gives whatever answer a test sets, and keeps what it was sent."""

    answer: Answer = field(default_factory=Answer)
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def __call__(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> Answer:
        self.requests.append((method, target, dict(headers), body))
        return self.answer


@pytest.fixture
async def scripted() -> AsyncIterator[tuple[Scripted, RestWebhookConnector]]:
    script = Scripted()
    server = FakeServer(script)
    server.start()
    built = make_connector(
        {
            "base_url": f"http://127.0.0.1:{server.port}/api",
            "shared_secret": EXAMPLE_SECRET,
            "timeout_seconds": 0.5,
        }
    )
    yield script, built
    await built.aclose()
    server.stop()


def free_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


# Signatures ------------------------------------------------------------------------------


def test_signature_matches_the_readme_worked_example() -> None:
    body = b'{"reason":"withdrawn by the applicant"}'
    path = "/agency/v1/applications/AG-7F3A21/cancel"
    assert hashlib.sha256(body).hexdigest() == (
        "ea755e187a4f11bbc170c4dca2e5b7378e9b4f26d478e9e1813ccb7639f5b8db"
    )
    headers = signing.sign(EXAMPLE_SECRET, "POST", path, body, now=EXAMPLE_TIMESTAMP + 0.9)
    assert headers == {
        "X-Asan-Timestamp": "1767225600",
        "X-Asan-Signature": "v1=cdfb42d60a0e5db20a962ace77b755268fd07ef351b2e7df0e38f3d7d6402efe",
    }
    callback = b'{"agency_reference":"AG-7F3A21","status":"ready","note":"collect at window 4"}'
    signed = callback_headers(EXAMPLE_SECRET, AGENCY, callback, now=EXAMPLE_TIMESTAMP)
    assert signed["X-Asan-Signature"] == (
        "v1=21033ae5c9bf3723cb85f7517c0550595c0b670723bdb5e42f9c8b4c6156339f"
    )


def _verify(
    headers: Mapping[str, str], *, method: str = "POST", path: str = "/a", **kw: Any
) -> int:
    return signing.verify(
        kw.get("secret", EXAMPLE_SECRET),
        headers,
        method,
        path,
        kw.get("body", b"{}"),
        now=kw.get("now", EXAMPLE_TIMESTAMP),
        max_skew_seconds=300,
    )


def test_a_good_signature_verifies_whatever_the_header_case() -> None:
    headers = signing.sign(EXAMPLE_SECRET, "POST", "/a", b"{}", now=EXAMPLE_TIMESTAMP)
    assert _verify(headers) == EXAMPLE_TIMESTAMP
    assert _verify({key.lower(): value for key, value in headers.items()}) == EXAMPLE_TIMESTAMP


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"secret": "another-secret-of-enough-length"}, "does not match"),
        ({"body": b'{"x":1}'}, "does not match"),
        ({"path": "/b"}, "does not match"),
        ({"method": "GET"}, "does not match"),
        ({"now": EXAMPLE_TIMESTAMP + 301}, "away from our clock"),
        ({"now": EXAMPLE_TIMESTAMP - 301}, "away from our clock"),
    ],
)
def test_a_signature_is_refused_when_anything_signed_changes(
    change: dict[str, Any], reason: str
) -> None:
    headers = signing.sign(EXAMPLE_SECRET, "POST", "/a", b"{}", now=EXAMPLE_TIMESTAMP)
    with pytest.raises(signing.SignatureError, match=reason):
        _verify(headers, **change)


def test_the_skew_window_is_inclusive() -> None:
    headers = signing.sign(EXAMPLE_SECRET, "POST", "/a", b"{}", now=EXAMPLE_TIMESTAMP)
    assert _verify(headers, now=EXAMPLE_TIMESTAMP + 300) == EXAMPLE_TIMESTAMP
    assert _verify(headers, now=EXAMPLE_TIMESTAMP - 300) == EXAMPLE_TIMESTAMP


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Asan-Timestamp": str(EXAMPLE_TIMESTAMP)},
        {"X-Asan-Signature": "v1=" + "0" * 64},
        {"X-Asan-Timestamp": "+1767225600", "X-Asan-Signature": "v1=" + "0" * 64},
        {"X-Asan-Timestamp": "1767225600.5", "X-Asan-Signature": "v1=" + "0" * 64},
        {"X-Asan-Timestamp": str(EXAMPLE_TIMESTAMP), "X-Asan-Signature": "sha256=" + "0" * 64},
        {"X-Asan-Timestamp": str(EXAMPLE_TIMESTAMP), "X-Asan-Signature": "v1=zz"},
    ],
)
def test_missing_or_malformed_signature_headers_are_refused(headers: dict[str, str]) -> None:
    with pytest.raises(signing.SignatureError):
        _verify(headers)


def test_any_one_of_several_signatures_may_match_for_a_secret_rotation() -> None:
    old = signing.sign("the-old-secret-0123456789", "POST", "/a", b"{}", now=EXAMPLE_TIMESTAMP)
    new = signing.sign(EXAMPLE_SECRET, "POST", "/a", b"{}", now=EXAMPLE_TIMESTAMP)
    both = f"{old['X-Asan-Signature']}, {new['X-Asan-Signature']}, v2=future"
    assert _verify({**new, "X-Asan-Signature": both}) == EXAMPLE_TIMESTAMP
    too_many = ",".join([old["X-Asan-Signature"]] * 4 + [new["X-Asan-Signature"]])
    with pytest.raises(signing.SignatureError, match="more than"):
        _verify({**new, "X-Asan-Signature": too_many})


@settings(max_examples=60, deadline=None)
@given(body=st.binary(min_size=1, max_size=200), data=st.data())
def test_flipping_any_bit_of_the_body_breaks_the_signature(
    body: bytes, data: st.DataObject
) -> None:
    headers = signing.sign(EXAMPLE_SECRET, "POST", "/a", body, now=EXAMPLE_TIMESTAMP)
    index = data.draw(st.integers(0, len(body) - 1))
    bit = data.draw(st.integers(0, 7))
    tampered = bytearray(body)
    tampered[index] ^= 1 << bit
    assert _verify(headers, body=body) == EXAMPLE_TIMESTAMP
    with pytest.raises(signing.SignatureError):
        _verify(headers, body=bytes(tampered))


# Plugin and settings ---------------------------------------------------------------------


def test_the_plugin_is_found_through_its_entry_point() -> None:
    installed = discover().installed["rest_webhook"]
    assert installed.spec is plugin
    assert installed.distribution == "asan-rest-webhook"


def test_settings_declare_the_secret_and_fill_defaults() -> None:
    values, problems = check_settings(
        SETTINGS,
        {"base_url": "https://agency.example/v1", "shared_secret": "env:MA_TAX_SECRET"},
        where="plugins.connectors.tax-service",
    )
    assert problems == []
    assert values["timeout_seconds"] == 10.0
    assert values["max_clock_skew_seconds"] == 300
    _, problems = check_settings(
        SETTINGS,
        {"base_url": "https://agency.example/v1", "shared_secret": "plain-value", "x": 1},
        where="w",
    )
    assert {str(problem).split(":")[0] for problem in problems} == {"w.shared_secret", "w.x"}
    _, problems = check_settings(SETTINGS, {"timeout_seconds": 0.1}, where="w")
    assert {problem.path for problem in problems} == {
        "w.base_url",
        "w.shared_secret",
        "w.timeout_seconds",
    }


def test_the_factory_refuses_a_weak_secret_without_repeating_it() -> None:
    with pytest.raises(ValueError, match="shared_secret") as refused:
        plugin.factory(
            PluginConfig(
                "ma", AGENCY, {"base_url": "https://a.example", "shared_secret": "hunter2"}
            )
        )
    assert "hunter2" not in str(refused.value)
    with pytest.raises(ValueError, match="agency"):
        plugin.factory(PluginConfig("ma", None, {}))


async def test_the_connector_is_an_agency_connector_and_a_callback_receiver(
    connector: RestWebhookConnector,
) -> None:
    assert isinstance(connector, AgencyConnector)
    assert isinstance(connector, CallbackReceiver)


# Against the fake agency -----------------------------------------------------------------


async def test_submit_sends_the_application_signed_with_its_idempotency_key(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    submission = sample_submission(agency=AGENCY)
    receipt = await connector.submit(submission)
    assert receipt.status == AgencyStatus.RECEIVED
    assert receipt.transport_id
    held = agency.application(receipt.agency_reference)
    assert held.idempotency_key == submission.idempotency_key
    assert held.document == submission.as_json()
    assert agency.refused_signatures == 0


async def test_a_repeated_submit_is_recorded_once(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    submission = sample_submission(agency=AGENCY)
    receipts = await asyncio.gather(*(connector.submit(submission) for _ in range(8)))
    again = await connector.submit(submission)
    assert {receipt.agency_reference for receipt in [*receipts, again]} == {
        receipts[0].agency_reference
    }
    assert agency.recorded(submission.idempotency_key) == 1
    assert agency.submit_calls == 9
    assert agency.received_keys() == {submission.idempotency_key}


async def test_many_applications_at_once_are_each_recorded_once(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    submissions = [sample_submission(agency=AGENCY) for _ in range(25)]
    receipts = await asyncio.gather(*(connector.submit(item) for item in submissions))
    assert len({receipt.agency_reference for receipt in receipts}) == 25
    assert agency.received_keys() == {item.idempotency_key for item in submissions}
    assert agency.submit_calls == 25


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("received", AgencyStatus.RECEIVED),
        ("processing", AgencyStatus.IN_PROGRESS),
        ("in_progress", AgencyStatus.IN_PROGRESS),
        ("ready", AgencyStatus.READY),
        ("issued", AgencyStatus.ISSUED),
        ("rejected", AgencyStatus.REJECTED),
        ("cancelled", AgencyStatus.CANCELLED),
    ],
)
async def test_status_maps_the_agency_words(
    agency: FakeAgency, connector: RestWebhookConnector, word: str, expected: AgencyStatus
) -> None:
    receipt = await connector.submit(sample_submission(agency=AGENCY))
    agency.set_status(receipt.agency_reference, word, note="window 4")
    report = await connector.status(receipt.agency_reference)
    assert (report.status, report.agency_status, report.note) == (expected, word, "window 4")
    assert report.agency_reference == receipt.agency_reference


async def test_a_status_word_outside_the_protocol_is_final(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    receipt = await connector.submit(sample_submission(agency=AGENCY))
    agency.set_status(receipt.agency_reference, "Approved")
    with pytest.raises(FinalError, match="not a word of this protocol"):
        await connector.status(receipt.agency_reference)


async def test_cancel_is_recorded_repeatable_and_refused_once_final(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    receipt = await connector.submit(sample_submission(agency=AGENCY))
    report = await connector.cancel(receipt.agency_reference, "withdrawn by the applicant")
    assert report.status == AgencyStatus.CANCELLED
    assert agency.application(receipt.agency_reference).cancel_reason == (
        "withdrawn by the applicant"
    )
    again = await connector.cancel(receipt.agency_reference, "withdrawn by the applicant")
    assert again.status == AgencyStatus.CANCELLED
    issued = await connector.submit(sample_submission(agency=AGENCY))
    agency.set_status(issued.agency_reference, "issued")
    with pytest.raises(FinalError, match="409: already_final"):
        await connector.cancel(issued.agency_reference, "too late")


async def test_unknown_and_impossible_references_are_final(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    with pytest.raises(FinalError, match="404: unknown_reference"):
        await connector.status("AG-DOES-NOT-EXIST")
    with pytest.raises(FinalError, match="not an agency reference"):
        await connector.status("../health")
    with pytest.raises(FinalError, match="not an agency reference"):
        await connector.cancel("", "reason")


async def test_health_follows_the_agency(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    healthy = await connector.health()
    assert healthy.ok
    assert healthy.checked["endpoint"] == agency.url
    agency.fail_with(Failure.UNAVAILABLE)
    down = await connector.health()
    assert not down.ok
    assert "503" in down.detail
    agency.fail_with(None)
    agency.stop()
    unreachable = await connector.health()
    assert not unreachable.ok
    assert "could not connect" in unreachable.detail


# Error classification --------------------------------------------------------------------


async def test_a_wrong_secret_is_refused_by_the_agency_as_final(agency: FakeAgency) -> None:
    wrong = make_connector({**agency.settings(), "shared_secret": "not-the-agency-secret-0000"})
    try:
        with pytest.raises(FinalError, match="refused our signature") as refused:
            await wrong.submit(sample_submission(agency=AGENCY))
        health = await wrong.health()
    finally:
        await wrong.aclose()
    assert "401" in str(refused.value)
    assert not health.ok
    assert agency.refused_signatures == 2
    assert agency.received_keys() == frozenset()


async def test_a_platform_clock_far_off_is_refused_as_final(agency: FakeAgency) -> None:
    late = make_connector(agency.settings(), clock=lambda: time.time() - 1000)
    try:
        with pytest.raises(FinalError, match="401"):
            await late.submit(sample_submission(agency=AGENCY))
    finally:
        await late.aclose()


async def test_an_agency_that_is_down_is_retryable(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    agency.fail_with(Failure.UNAVAILABLE)
    with pytest.raises(RetryableError, match="503"):
        await connector.submit(sample_submission(agency=AGENCY))
    agency.fail_with(Failure.REJECT)
    with pytest.raises(FinalError, match="422: invalid_application"):
        await connector.submit(sample_submission(agency=AGENCY))


async def test_connection_refused_is_retryable_and_a_restart_keeps_state(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    receipt = await connector.submit(sample_submission(agency=AGENCY))
    agency.stop()
    with pytest.raises(RetryableError, match=r"could not connect|connection closed"):
        await connector.status(receipt.agency_reference)
    agency.start()
    report = await connector.status(receipt.agency_reference)
    assert report.status == AgencyStatus.RECEIVED


async def test_connection_refused_on_a_fresh_port_is_retryable() -> None:
    nowhere = make_connector(
        {"base_url": f"http://127.0.0.1:{free_port()}/v1", "shared_secret": EXAMPLE_SECRET}
    )
    try:
        with pytest.raises(RetryableError, match="could not connect"):
            await nowhere.submit(sample_submission(agency=AGENCY))
    finally:
        await nowhere.aclose()


async def test_a_slow_agency_is_abandoned_in_time_and_the_retry_is_deduplicated(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    submission = sample_submission(agency=AGENCY)
    agency.fail_with(Failure.SLOW)
    started = time.monotonic()
    with pytest.raises(RetryableError, match=r"no answer within 1.5s"):
        await connector.submit(submission)
    assert time.monotonic() - started < 3.5  # 1.5 s timeout, well short of the 4 s hold
    agency.fail_with(None)
    await connector.submit(submission)
    assert agency.recorded(submission.idempotency_key) == 1


async def test_a_lost_answer_is_retryable_and_the_retry_gets_the_same_receipt(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    submission = sample_submission(agency=AGENCY)
    agency.lose_answers()
    with pytest.raises(RetryableError, match="connection closed"):
        await connector.submit(submission)
    assert agency.recorded(submission.idempotency_key) == 1
    agency.lose_answers(False)
    receipt = await connector.submit(submission)
    assert agency.application(receipt.agency_reference).idempotency_key == (
        submission.idempotency_key
    )
    assert agency.recorded(submission.idempotency_key) == 1


RECEIVED = {"agency_reference": "AG-1", "status": "received"}


@pytest.mark.parametrize(
    ("answer", "expected", "message"),
    [
        (Answer(503, {"error": "down"}), RetryableError, "503"),
        (Answer(500, {}), RetryableError, "500"),
        (Answer(502, raw_body=b"<html>Bad gateway</html>"), RetryableError, "502"),
        (Answer(429, {"error": "slow_down"}, {"Retry-After": "30"}), RetryableError, "after 30"),
        (Answer(408, {}), RetryableError, "408"),
        (Answer(422, {"error": "invalid_application", "message": "no"}), FinalError, "422"),
        (Answer(400, {"error": "bad_request"}), FinalError, "400"),
        (Answer(401, {"error": "bad_signature"}), FinalError, "signature"),
        (Answer(403, {}), FinalError, "signature"),
        (Answer(404, {}), FinalError, "404"),
        (Answer(409, {"error": "idempotency_conflict"}), FinalError, "idempotency_conflict"),
        (Answer(301, {}, {"Location": "https://elsewhere.example/"}), FinalError, "base_url"),
        (Answer(200, raw_body=b"<html>proxy login</html>"), RetryableError, "not JSON"),
        (Answer(201, raw_body=b""), RetryableError, "not JSON"),
        (Answer(200, RECEIVED, cut_short=True), RetryableError, "connection closed"),
        (Answer(drop=True), RetryableError, "connection closed"),
        (Answer(200, raw_body=b"[]"), FinalError, "breaks the protocol"),
        (Answer(200, {"status": "received"}), FinalError, "agency_reference"),
        (Answer(200, {"agency_reference": 7}), FinalError, "agency_reference"),
        (Answer(200, {"agency_reference": "AG-1", "status": "ok"}), FinalError, "status"),
        (Answer(200, {**RECEIVED, "note": 5}), FinalError, "note"),
    ],
)
async def test_answers_are_classified(
    scripted: tuple[Scripted, RestWebhookConnector],
    answer: Answer,
    expected: type[ConnectorError],
    message: str,
) -> None:
    script, connector = scripted
    script.answer = answer
    with pytest.raises(ConnectorError, match=message) as failed:
        await connector.submit(sample_submission(agency=AGENCY))
    assert type(failed.value) is expected
    assert failed.value.transport_id == script.requests[-1][2]["X-Request-Id"]


async def test_a_submit_answer_without_status_means_received_and_extra_fields_are_ignored(
    scripted: tuple[Scripted, RestWebhookConnector],
) -> None:
    script, connector = scripted
    script.answer = Answer(201, {"agency_reference": "AG-1", "queue": 3})
    receipt = await connector.submit(sample_submission(agency=AGENCY))
    assert (receipt.agency_reference, receipt.status) == ("AG-1", AgencyStatus.RECEIVED)
    method, target, headers, body = script.requests[-1]
    assert (method, target) == ("POST", "/api/applications")
    assert headers["Content-Type"].startswith("application/json")
    signing.verify(
        EXAMPLE_SECRET, headers, method, target, body, now=time.time(), max_skew_seconds=5
    )


async def test_an_answer_about_another_reference_is_final(
    scripted: tuple[Scripted, RestWebhookConnector],
) -> None:
    script, connector = scripted
    script.answer = Answer(200, {"agency_reference": "AG-OTHER", "status": "ready"})
    with pytest.raises(FinalError, match="AG-OTHER"):
        await connector.status("AG-1")
    assert script.requests[-1][:2] == ("GET", "/api/applications/AG-1")


# Callbacks -------------------------------------------------------------------------------


async def test_a_signed_callback_is_accepted(
    agency: FakeAgency, connector: RestWebhookConnector
) -> None:
    receipt = await connector.submit(sample_submission(agency=AGENCY))
    agency.set_status(receipt.agency_reference, "ready", note="collect at window 4")
    headers, body = agency.signed_callback(AGENCY, receipt.agency_reference)
    report = connector.parse_callback(headers, body, now=datetime.now(UTC))
    assert (report.agency_reference, report.status, report.agency_status, report.note) == (
        receipt.agency_reference,
        AgencyStatus.READY,
        "ready",
        "collect at window 4",
    )
    assert report.transport_id == headers["X-Request-Id"]
    lowercase = {key.lower(): value for key, value in headers.items()}
    naive_now = datetime.now(UTC).replace(tzinfo=None)
    assert connector.parse_callback(lowercase, body, now=naive_now).status == AgencyStatus.READY


def _callback(
    *, secret: str = EXAMPLE_SECRET, agency: str = AGENCY, body: bytes | None = None, at: int = 0
) -> tuple[dict[str, str], bytes]:
    body = body if body is not None else b'{"agency_reference":"AG-1","status":"issued"}'
    return callback_headers(secret, agency, body, now=EXAMPLE_TIMESTAMP + at), body


def test_callbacks_are_checked_against_the_skew_setting() -> None:
    strict = make_connector(
        {
            "base_url": "https://a.example",
            "shared_secret": EXAMPLE_SECRET,
            "max_clock_skew_seconds": 60,
        }
    )
    assert strict.parse_callback(*_callback(at=-60), now=EXAMPLE_NOW).status == AgencyStatus.ISSUED
    with pytest.raises(CallbackRejectedError, match="away from our clock"):
        strict.parse_callback(*_callback(at=-61), now=EXAMPLE_NOW)


@pytest.mark.parametrize(
    ("callback", "reason"),
    [
        (_callback(secret="not-the-shared-secret-000"), "does not match"),
        (_callback(agency="civil-registry"), "does not match"),
        (_callback(at=-301), "away from our clock"),
        (_callback(at=+301), "away from our clock"),
        (({}, b'{"agency_reference":"AG-1","status":"issued"}'), "missing"),
        (_callback(body=b'{"agency_reference":"AG-1","status":"approved"}'), "approved"),
        (_callback(body=b'{"status":"issued"}'), "agency_reference"),
        (_callback(body=b'{"agency_reference":"AG-1","status":"iss'), "not JSON"),
        (_callback(body=b'["AG-1","issued"]'), "not an object"),
        (_callback(body=b" " * (64 * 1024 + 1)), "larger than"),
    ],
)
def test_bad_callbacks_are_rejected(callback: tuple[dict[str, str], bytes], reason: str) -> None:
    receiver = make_connector({"base_url": "https://a.example", "shared_secret": EXAMPLE_SECRET})
    headers, body = callback
    with pytest.raises(CallbackRejectedError, match=reason):
        receiver.parse_callback(headers, body, now=EXAMPLE_NOW)


def test_a_tampered_callback_body_is_rejected() -> None:
    receiver = make_connector({"base_url": "https://a.example", "shared_secret": EXAMPLE_SECRET})
    headers, body = _callback()
    tampered = body.replace(b"issued", b"rejected")
    with pytest.raises(CallbackRejectedError, match="does not match"):
        receiver.parse_callback(headers, tampered, now=EXAMPLE_NOW)
    assert callback_path(AGENCY) == "/api/v1/connectors/tax-service/callback"


# Secrets and personal data ---------------------------------------------------------------


async def test_secrets_and_personal_data_stay_out_of_logs_and_errors(agency: FakeAgency) -> None:
    right = make_connector(agency.settings(timeout_seconds=1.5))
    wrong_secret = "a-wrong-secret-that-must-not-leak"
    wrong = make_connector({**agency.settings(), "shared_secret": wrong_secret})
    submission = sample_submission(agency=AGENCY)
    messages: list[str] = [repr(right), repr(wrong)]
    with structlog.testing.capture_logs() as logs:
        receipt = await right.submit(submission)
        await right.status(receipt.agency_reference)
        for failure in (Failure.UNAVAILABLE, Failure.REJECT, Failure.SLOW):
            agency.fail_with(failure)
            try:
                await right.submit(sample_submission(agency=AGENCY))
            except ConnectorError as exc:
                messages.append(str(exc))
        agency.fail_with(None)
        try:
            await wrong.submit(submission)
        except FinalError as exc:
            messages.append(str(exc))
        messages.append((await wrong.health()).detail)
        headers, body = agency.signed_callback(AGENCY, receipt.agency_reference)
        for receiver in (right, wrong):
            try:
                receiver.parse_callback(headers, body, now=datetime.now(UTC))
            except CallbackRejectedError as exc:
                messages.append(str(exc))
    await right.aclose()
    await wrong.aclose()
    assert len(messages) == 8
    assert logs
    assert all(entry.get("tenant") == "ma" and entry.get("agency") == AGENCY for entry in logs)
    text = json.dumps(logs, default=str) + "\n".join(messages)
    private = [submission.applicant["name"], submission.applicant["national_id"]]
    for leak in [agency.secret, wrong_secret, *private]:
        assert leak not in text


# The platform's contract -----------------------------------------------------------------


async def test_the_connector_contract_passes() -> None:
    await run_contract(plugin)
