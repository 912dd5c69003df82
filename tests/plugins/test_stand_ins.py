"""The demo stand-ins: each plugin's real connector, configured as a demo tenant is, against the
stand-in the same settings start on this machine."""

from __future__ import annotations

import functools
import socket
import threading
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import AbstractContextManager, asynccontextmanager
from dataclasses import dataclass, replace
from typing import Any

import pytest
import structlog

from asan.plugins import (
    AgencyConnector,
    AgencyStatus,
    FinalError,
    PluginConfig,
    PluginSpec,
    RetryableError,
    Submission,
    discover,
)
from asan.testing.connector_contract import sample_submission
from asan.testing.stand_ins import (
    IN_PROGRESS_NOTE,
    READY_NOTE,
    REJECTED_NOTE,
    DemoTimeline,
    StatusWords,
    loopback_address,
)
from asan_rest_webhook.stand_in import stand_in as rest_webhook_stand_in
from asan_xroad.stand_in import stand_in as xroad_stand_in

SECRET = "a-demo-secret-for-the-stand-in-0123456789"


class FakeClock:
    """The stand-in's clock, moved on by the test instead of waited for."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class Case:
    plugin: str
    settings: Callable[[str, int], dict[str, Any]]
    """``(host, port) -> settings`` as a demo tenant declares them, secret resolved."""
    url_setting: str
    stand_in: Callable[..., AbstractContextManager[object]]
    """The module's function, which takes the ``clock=`` the spec's one-argument form hides."""
    impostor: Mapping[str, Any]
    """Settings a caller the stand-in must refuse differs by."""


CASES = [
    Case(
        plugin="rest_webhook",
        settings=lambda host, port: {
            "base_url": f"http://{host}:{port}/asan",
            "shared_secret": SECRET,
            "timeout_seconds": 2,
        },
        url_setting="base_url",
        stand_in=rest_webhook_stand_in,
        impostor={"shared_secret": "another-secret-of-some-other-caller"},
    ),
    Case(
        plugin="xroad",
        settings=lambda host, port: {
            "security_server_url": f"http://{host}:{port}",
            "client": "EE/GOV/70000000/asan-platform",
            "service": "EE/GOV/70000001/asan-agencies",
            "timeout_seconds": 2,
        },
        url_setting="security_server_url",
        stand_in=xroad_stand_in,
        impostor={"client": "EE/GOV/70000099/someone-else"},
    ),
]


@pytest.fixture(params=CASES, ids=lambda case: case.plugin)
def case(request: pytest.FixtureRequest) -> Case:
    result: Case = request.param
    return result


@functools.cache
def spec(plugin: str) -> PluginSpec:
    """As the platform finds it: through the entry point (looked up once, it takes a while)."""
    return discover().installed[plugin].spec


def free_port(address: str = "127.0.0.1") -> int:
    """A port nothing listens on (bound, then released)."""
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((address, 0))
        port: int = probe.getsockname()[1]
    return port


def has_ipv6_loopback() -> bool:
    try:
        free_port("::1")
    except OSError:
        return False
    return True


@asynccontextmanager
async def connector(
    case: Case, settings: Mapping[str, Any], agency: str = "tax-service"
) -> AsyncIterator[AgencyConnector]:
    built = spec(case.plugin).factory(PluginConfig(tenant="demo", agency=agency, settings=settings))
    assert isinstance(built, AgencyConnector)
    try:
        yield built
    finally:
        await built.aclose()


def applicant_named(name: str) -> Submission:
    submission = sample_submission(agency="tax-service")
    return replace(submission, applicant={**submission.applicant, "name": name})


async def test_applications_are_received_then_in_progress_then_ready(case: Case) -> None:
    settings = case.settings("127.0.0.1", free_port())
    clock = FakeClock()
    with case.stand_in(settings, clock=clock):
        async with connector(case, settings) as agency:
            receipt = await agency.submit(sample_submission(agency="tax-service"))
            assert receipt.status == AgencyStatus.RECEIVED
            clock.advance(9.5)
            assert (await agency.status(receipt.agency_reference)).status == AgencyStatus.RECEIVED
            clock.advance(0.5)
            report = await agency.status(receipt.agency_reference)
            assert report.status == AgencyStatus.IN_PROGRESS
            clock.advance(29.5)
            report = await agency.status(receipt.agency_reference)
            assert report.status == AgencyStatus.IN_PROGRESS
            clock.advance(0.5)
            report = await agency.status(receipt.agency_reference)
            assert report.status == AgencyStatus.READY
            assert report.note
            clock.advance(200)  # not more: the clock also dates signatures (rest_webhook)
            assert (await agency.status(receipt.agency_reference)).status == AgencyStatus.READY


async def test_one_stand_in_serves_every_agency_of_the_tenant(case: Case) -> None:
    settings = case.settings("127.0.0.1", free_port())
    with case.stand_in(settings, clock=FakeClock()):
        async with (
            connector(case, settings, "tax-service") as tax,
            connector(case, settings, "civil-registry") as registry,
        ):
            taxed = await tax.submit(sample_submission(agency="tax-service"))
            registered = await registry.submit(sample_submission(agency="civil-registry"))
            assert taxed.agency_reference != registered.agency_reference
            report = await registry.status(registered.agency_reference)
            assert report.status == AgencyStatus.RECEIVED
            assert (await registry.health()).ok


async def test_an_applicant_whose_name_asks_for_it_is_rejected(case: Case) -> None:
    settings = case.settings("127.0.0.1", free_port())
    clock = FakeClock()
    with case.stand_in(settings, clock=clock):
        async with connector(case, settings) as agency:
            refused = await agency.submit(applicant_named("Rita REJECTED-Demo"))
            served = await agency.submit(applicant_named("Rita Demo"))
            clock.advance(40)
            assert (await agency.status(refused.agency_reference)).status == AgencyStatus.REJECTED
            assert (await agency.status(served.agency_reference)).status == AgencyStatus.READY


async def test_a_cancelled_application_is_not_decided_later(case: Case) -> None:
    settings = case.settings("127.0.0.1", free_port())
    clock = FakeClock()
    with case.stand_in(settings, clock=clock):
        async with connector(case, settings) as agency:
            receipt = await agency.submit(sample_submission(agency="tax-service"))
            clock.advance(12)
            cancelled = await agency.cancel(receipt.agency_reference, "withdrawn")
            assert cancelled.status == AgencyStatus.CANCELLED
            clock.advance(60)
            report = await agency.status(receipt.agency_reference)
            assert report.status == AgencyStatus.CANCELLED


async def test_the_spec_runs_the_stand_in_with_the_demo_delays(case: Case) -> None:
    """What ``asan demo`` does: the spec's one-argument form, on the real clock."""
    settings = case.settings("127.0.0.1", free_port())
    stand_in = spec(case.plugin).stand_in
    assert stand_in is not None
    with stand_in(settings):
        async with connector(case, settings) as agency:
            assert (await agency.health()).ok
            receipt = await agency.submit(sample_submission(agency="tax-service"))
            # Far from the ~10 s the demo waits before "in progress".
            assert (await agency.status(receipt.agency_reference)).status == AgencyStatus.RECEIVED


async def test_a_caller_with_other_credentials_is_refused(case: Case) -> None:
    settings = case.settings("127.0.0.1", free_port())
    with case.stand_in(settings, clock=FakeClock()):
        async with connector(case, {**settings, **case.impostor}) as impostor:
            with pytest.raises(FinalError):
                await impostor.submit(sample_submission(agency="tax-service"))
            assert not (await impostor.health()).ok
        async with connector(case, settings) as agency:
            assert (await agency.health()).ok


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("localhost", "127.0.0.1"),
        pytest.param(
            "[::1]",
            "::1",
            marks=pytest.mark.skipif(not has_ipv6_loopback(), reason="no IPv6 loopback here"),
        ),
    ],
)
async def test_a_stand_in_answers_on_localhost_and_under_its_path(
    case: Case, host: str, address: str
) -> None:
    settings = case.settings(host, free_port(address))
    with case.stand_in(settings, clock=FakeClock()):
        async with connector(case, settings) as agency:
            assert (await agency.health()).ok
        # The same host and port under another path is not where the connector was sent.
        elsewhere = {**settings, case.url_setting: settings[case.url_setting] + "/elsewhere"}
        async with connector(case, elsewhere) as lost:
            with pytest.raises(FinalError):
                await lost.submit(sample_submission(agency="tax-service"))


NOT_LOOPBACK = (
    "10.1.2.3",
    "0.0.0.0",  # noqa: S104 -- every interface: exactly what must be refused
    "192.168.1.20",
    "agency.example",
    "localhost.example",
    "[::]",
)


@pytest.mark.parametrize("host", NOT_LOOPBACK)
def test_a_stand_in_never_listens_beyond_loopback(case: Case, host: str) -> None:
    settings = case.settings(host, free_port())
    with pytest.raises(ValueError, match="not a loopback address"), case.stand_in(settings):
        pytest.fail("a stand-in started on a non-loopback address")


def test_a_stand_in_serves_plain_http_with_sensible_delays(case: Case) -> None:
    settings = case.settings("127.0.0.1", free_port())
    https = {**settings, case.url_setting: settings[case.url_setting].replace("http:", "https:")}
    with pytest.raises(ValueError, match="plain http"), case.stand_in(https):
        pytest.fail("a stand-in started for an https:// URL")
    with (
        pytest.raises(ValueError, match="in_progress_after <= ready_after"),
        case.stand_in(settings, in_progress_after=50, ready_after=40),
    ):
        pytest.fail("a stand-in started with its delays the wrong way round")


async def test_leaving_the_stand_in_frees_its_port_and_threads(case: Case) -> None:
    port = free_port()
    settings = case.settings("127.0.0.1", port)
    before = server_threads()
    async with connector(case, settings) as agency:
        with case.stand_in(settings, clock=FakeClock()):
            await agency.submit(sample_submission(agency="tax-service"))
            assert server_threads() - before, "no thread serves the stand-in"
            started = time.monotonic()
        # The connector still holds a keep-alive connection: leaving did not wait for it.
        assert time.monotonic() - started < 1.0
        assert server_threads() - before == set()
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
            pass
        with pytest.raises(RetryableError):
            await agency.submit(sample_submission(agency="tax-service"))
    # Free for the next demo run at once, as for any server that binds as servers do.
    with socket.socket() as again:
        again.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        again.bind(("127.0.0.1", port))
    with case.stand_in(settings, clock=FakeClock()):
        async with connector(case, settings) as agency:
            assert (await agency.health()).ok


def server_threads() -> set[threading.Thread]:
    """The threads of the fakes' servers: their loops, and one per connection (the standard
    library names those after ``process_request_thread``)."""
    return {
        thread
        for thread in threading.enumerate()
        if thread.name.startswith("fake-") or "process_request_thread" in thread.name
    }


# The shared rules of the platform's kit, directly: what every plugin's stand-in relies on.

WORDS = StatusWords("new", "busy", "done", "refused")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://localhost/", ("127.0.0.1", 80, "")),
        ("http://127.5.6.7:8701/asan/", ("127.5.6.7", 8701, "/asan")),
        ("http://[::1]:8702/a/b", ("::1", 8702, "/a/b")),
    ],
)
def test_loopback_address_gives_where_to_listen(url: str, expected: tuple[str, int, str]) -> None:
    assert loopback_address(url, setting="base_url") == expected


def test_loopback_address_names_the_setting_and_what_the_stand_in_fakes() -> None:
    with pytest.raises(ValueError, match=r"^url: '10\.0\.0\.1' is not .* for the gateway$"):
        loopback_address("http://10.0.0.1:80", setting="url", posing_as="the gateway")
    with pytest.raises(ValueError, match=r"^url: .* plain http://, not https://$"):
        loopback_address("https://localhost", setting="url")


def document(name: object = "Rita Demo") -> dict[str, Any]:
    return {
        "tenant": "demo",
        "agency": "tax-service",
        "reference": "REF-1",
        "idempotency_key": "key-1",
        "applicant": {"name": name, "national_id": "AZ1234567"},
    }


def test_the_timeline_moves_on_in_the_plugins_words_at_its_delays() -> None:
    timeline = DemoTimeline(WORDS, in_progress_after=1.0, ready_after=3.0)
    assert timeline("new", document(), 0.99) is None
    assert timeline("new", document(), 1.0) == ("busy", IN_PROGRESS_NOTE)
    assert timeline("busy", document(), 2.0) == ("busy", IN_PROGRESS_NOTE)
    assert timeline("new", document(), 3.0) == ("done", READY_NOTE)
    assert timeline("busy", document(), 99.0) == ("done", READY_NOTE)
    for settled in ("done", "refused", "cancelled", "something set by hand"):
        assert timeline(settled, document(), 99.0) is None


@pytest.mark.parametrize(
    ("name", "refused"),
    [
        ("Rita REJECTED-Demo", True),
        ("rEjEcT", True),
        ("Rita Demo", False),
        (None, False),
        (7, False),
    ],
)
def test_the_timeline_refuses_whom_the_name_asks_for_only(name: object, refused: bool) -> None:
    expected = ("refused", REJECTED_NOTE) if refused else ("done", READY_NOTE)
    assert DemoTimeline(WORDS)("new", document(name), 40.0) == expected


def test_the_timeline_logs_a_move_with_references_only() -> None:
    timeline = DemoTimeline(WORDS)
    with structlog.testing.capture_logs() as logs:
        timeline("new", document("Rita Reject"), 40.0)
        timeline("busy", document(), 20.0)  # no move: nothing to say
    assert logs == [
        {
            "event": "stand-in agency moved an application on",
            "log_level": "info",
            "tenant": "demo",
            "agency": "tax-service",
            "reference": "REF-1",
            "idempotency_key": "key-1",
            "agency_status": "refused",
        }
    ]
