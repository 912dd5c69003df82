"""The X-Road connector against its fake security server: what goes on the wire, which X-Road-Id
is kept, how each failure is classified, what a bad setting does, and what reaches the log."""

from __future__ import annotations

import json
import shutil
import socket
import ssl
import subprocess
import tomllib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import structlog.testing

from asan.plugins import (
    AgencyStatus,
    ConnectorError,
    FinalError,
    PluginConfig,
    RetryableError,
    check_settings,
    describe_settings,
    discover,
    resolve_settings,
)
from asan.testing.connector_contract import Failure, run_contract, sample_submission
from asan_xroad import XRoadConnector, plugin
from asan_xroad.contract import CLIENT, SERVICE, USER_ID, XRoadFake, xroad_harness
from asan_xroad.faults import (
    FINAL_CODES,
    RETRYABLE_CODES,
    failure,
    tls_refusal,
    xroad_fault_is_retryable,
)
from asan_xroad.identifiers import SubsystemId
from asan_xroad.statuses import AGENCY_STATUSES

README = Path(__file__).resolve().parents[2] / "plugins" / "xroad" / "README.md"
SERVICE_PATH = "/r1/AZ/GOV/1700767721/tax-applications/applications"


@pytest.fixture
async def harness() -> AsyncIterator[XRoadFake]:
    async with xroad_harness() as fake:
        yield fake


def build(settings: dict[str, Any]) -> XRoadConnector:
    connector = plugin.factory(PluginConfig(tenant="az", agency="tax-service", settings=settings))
    assert isinstance(connector, XRoadConnector)
    return connector


@pytest.fixture
async def connector(harness: XRoadFake) -> AsyncIterator[XRoadConnector]:
    connector = build(dict(harness.settings))
    yield connector
    await connector.aclose()


# What goes on the wire.


async def test_submit_sends_the_service_path_and_the_x_road_headers(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    submission = sample_submission()
    receipt = await connector.submit(submission)

    assert harness.violations == []
    (sent,) = harness.exchanges
    assert (sent.method, sent.path, sent.status) == ("POST", SERVICE_PATH, 201)
    assert sent.headers["x-road-client"] == CLIENT
    assert sent.headers["x-road-userid"] == USER_ID
    assert sent.headers["idempotency-key"] == submission.idempotency_key
    assert sent.headers["x-road-issue"] == submission.reference
    assert sent.headers["content-type"].startswith("application/json")
    assert sent.headers["accept"] == "application/json"
    assert json.loads(sent.body) == submission.as_json()
    assert receipt.agency_reference == "XR-000001"
    assert receipt.status == AgencyStatus.RECEIVED


async def test_status_and_cancel_address_the_application_under_the_service(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    receipt = await connector.submit(sample_submission())
    await harness.set_agency_status(receipt.agency_reference, "READY_FOR_PICKUP")

    report = await connector.status(receipt.agency_reference)
    cancelled = await connector.cancel(receipt.agency_reference, "moved abroad")

    assert harness.violations == []
    _, polled, cancel = harness.exchanges
    assert (polled.method, polled.path) == ("GET", f"{SERVICE_PATH}/XR-000001")
    assert (cancel.method, cancel.path) == ("POST", f"{SERVICE_PATH}/XR-000001/cancel")
    assert json.loads(cancel.body) == {"reason": "moved abroad"}
    assert all(e.headers["x-road-client"] == CLIENT for e in harness.exchanges)
    assert (report.status, report.agency_status) == (AgencyStatus.READY, "READY_FOR_PICKUP")
    assert (cancelled.status, cancelled.agency_status) == (AgencyStatus.CANCELLED, "WITHDRAWN")


async def test_a_reference_is_one_path_segment_however_it_is_spelt(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    with pytest.raises(FinalError, match="404"):
        await connector.status("../applications/XR 1")

    (sent,) = harness.exchanges
    assert sent.path == f"{SERVICE_PATH}/..%2Fapplications%2FXR%201"
    assert harness.violations == []


def test_identifier_parts_are_percent_encoded_one_by_one() -> None:
    identifier = SubsystemId.parse("EE/GOV/70000310/kõnekeskus", setting="client")
    assert identifier.encoded() == "EE/GOV/70000310/k%C3%B5nekeskus"
    assert SubsystemId.from_encoded(identifier.encoded()) == identifier


async def test_health_asks_the_allowed_methods_metaservice(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    healthy = await connector.health()
    harness.access_granted = False
    refused = await connector.health()

    assert healthy.ok, healthy.detail
    assert not refused.ok
    assert "does not grant" in refused.detail
    paths = {exchange.path for exchange in harness.exchanges}
    assert paths == {"/r1/AZ/GOV/1700767721/tax-applications/allowedMethods"}
    assert healthy.checked["transport_id"] == harness.exchanges[0].x_road_id


# The fake checks what a security server checks.


async def test_the_security_server_refuses_a_client_it_does_not_serve(
    harness: XRoadFake,
) -> None:
    stranger = build({**harness.settings, "client": "AZ/GOV/1400057421/someone-else"})
    try:
        with pytest.raises(FinalError, match=r"Server\.ClientProxy\.UnknownMember"):
            await stranger.submit(sample_submission())
        assert not (await stranger.health()).ok
    finally:
        await stranger.aclose()
    assert len(harness.violations) == 2


async def test_the_security_server_refuses_a_request_without_x_road_client(
    harness: XRoadFake,
) -> None:
    async with httpx.AsyncClient() as raw:
        response = await raw.get(
            f"{harness.settings['security_server_url']}{SERVICE_PATH}/XR-000001"
        )
    assert response.status_code == 400
    assert response.headers["X-Road-Error"] == "Client.BadRequest"
    assert response.json()["type"] == "Client.BadRequest"
    assert "X-Road-Client" in harness.violations[0]


async def test_an_unknown_service_code_is_final(harness: XRoadFake) -> None:
    wrong = build({**harness.settings, "service_code": "applicationz"})
    try:
        with pytest.raises(FinalError, match=r"Server\.ServerProxy\.UnknownService"):
            await wrong.submit(sample_submission())
    finally:
        await wrong.aclose()


async def test_a_repeated_key_is_recorded_once_and_answers_the_same_reference(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    submission = sample_submission()
    first = await connector.submit(submission)
    again = await connector.submit(submission)

    assert first.agency_reference == again.agency_reference
    assert [e.status for e in harness.exchanges] == [201, 200]
    assert harness.recorded(submission.idempotency_key) == 1


# X-Road-Id for the audit.


async def test_the_answered_x_road_id_is_kept_in_receipts_and_reports() -> None:
    async with xroad_harness(honour_client_message_ids=False) as harness:
        connector = build(dict(harness.settings))
        try:
            receipt = await connector.submit(sample_submission())
            report = await connector.status(receipt.agency_reference)
            cancelled = await connector.cancel(receipt.agency_reference, "no longer needed")
        finally:
            await connector.aclose()

    answered = [exchange.x_road_id for exchange in harness.exchanges]
    sent = [exchange.headers["x-road-id"] for exchange in harness.exchanges]
    assert [receipt.transport_id, report.transport_id, cancelled.transport_id] == answered
    assert len(set(answered)) == 3
    assert not set(answered) & set(sent)


async def test_each_call_sends_its_own_x_road_id_and_keeps_it(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    submission = sample_submission()
    first = await connector.submit(submission)
    second = await connector.submit(submission)

    sent = [exchange.headers["x-road-id"] for exchange in harness.exchanges]
    assert [first.transport_id, second.transport_id] == sent
    assert sent[0] != sent[1]


async def test_errors_carry_the_answered_x_road_id_or_else_the_sent_one(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    harness.answer_as_provider(422, b'{"code": "VALIDATION_FAILED", "title": "no"}')
    with pytest.raises(FinalError) as refused:
        await connector.submit(sample_submission())
    harness.answer_as_security_server("Server.ServerProxy.NetworkError")
    with pytest.raises(RetryableError) as down:
        await connector.submit(sample_submission())
    harness.answer_normally()
    harness.fail_with(Failure.SLOW)
    with pytest.raises(RetryableError) as slow:
        await connector.submit(sample_submission())

    by_provider, by_security_server, unanswered = harness.exchanges
    assert by_provider.x_road_id is not None
    assert refused.value.transport_id == by_provider.x_road_id
    assert by_security_server.x_road_id is None
    assert down.value.transport_id == by_security_server.headers["x-road-id"]
    assert slow.value.transport_id == unanswered.headers["x-road-id"]


# Classification.

RETRYABLE_FAULTS = [
    "Server.ServerProxy.NetworkError",
    "Server.ServerProxy.ServiceFailed",
    "Server.ServerProxy.ServiceFailed.HttpError",
    "Server.ClientProxy.NetworkError",
    "Server.ClientProxy.IOError",
    "Client.NetworkError",
    "Server.ServerProxy.DatabaseError",
    "Server.ClientProxy.OutdatedGlobalConf",
    "Server.ClientProxy.TimestampingFailed",
    "Signer.TokenNotActive",
    "Server.ServerProxy.ServiceDisabled",
    "Server.ClientProxy.InternalError",
    "Server.ServerProxy.SomethingNew",
]
FINAL_FAULTS = [
    "Server.ServerProxy.AccessDenied",
    "Client.InternalError.InvalidMessage",
    "Server.ServerProxy.UnknownService",
    "Server.ClientProxy.UnknownMember",
    "Client.BadRequest",
    "Client.InvalidClientIdentifier",
    "Server.ClientProxy.SslAuthenticationFailed",
    "Server.ServerProxy.ServiceFailed.InvalidContentType",
    "Server.ClientProxy.CertValidation",
    "Server.ServerProxy.InvalidSignatureValue",
    "Client.InternalError",
]


@pytest.mark.parametrize("fault_type", RETRYABLE_FAULTS)
def test_x_road_infrastructure_faults_are_retryable(fault_type: str) -> None:
    assert xroad_fault_is_retryable(fault_type, status=500)


@pytest.mark.parametrize("fault_type", FINAL_FAULTS)
def test_x_road_refusals_are_final_even_on_500(fault_type: str) -> None:
    assert not xroad_fault_is_retryable(fault_type, status=500)


def test_a_fault_of_unknown_origin_falls_back_on_the_status() -> None:
    assert xroad_fault_is_retryable("Mystery.Code", status=503)
    assert not xroad_fault_is_retryable("Mystery.Code", status=400)


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b"{}"
    headers: tuple[tuple[str, str], ...] = ()


XROAD_NETWORK = (
    b'{"type": "Server.ServerProxy.NetworkError", "message": "Connect timed out", "detail": "d1"}'
)

CLASSIFIED = [
    (Answer(500, XROAD_NETWORK, (("X-Road-Error", "Server.ServerProxy.NetworkError"),)), True),
    (Answer(503, b"down", (("X-Road-Error", "Server.ServerProxy.NetworkError"),)), True),
    (Answer(500, b"{}", (("X-Road-Error", "Server.ServerProxy.AccessDenied"),)), False),
    (Answer(400, b"", (("X-Road-Error", "Client.InternalError.InvalidMessage"),)), False),
    (Answer(500), True),
    (Answer(502), True),
    (Answer(503), True),
    (Answer(504), True),
    (Answer(429), True),
    (Answer(408), True),
    (Answer(400), False),
    (Answer(401), False),
    (Answer(403), False),
    (Answer(404), False),
    (Answer(409), False),
    (Answer(422), False),
    (Answer(302), False),
]


@pytest.mark.parametrize(("answer", "retryable"), CLASSIFIED)
def test_failed_answers_are_classified(answer: Answer, retryable: bool) -> None:
    error = failure("submit", answer.status, dict(answer.headers), answer.body, transport_id="id")
    assert error.retryable is retryable
    assert isinstance(error, RetryableError if retryable else FinalError)
    assert error.transport_id == "id"


def test_the_x_road_fault_is_named_in_the_error_and_the_body_type_wins() -> None:
    error = failure(
        "status",
        500,
        {"x-road-error": "Server.ServerProxy.NetworkError"},
        XROAD_NETWORK,
        transport_id=None,
    )
    assert str(error) == (
        "status: X-Road fault Server.ServerProxy.NetworkError (HTTP 500): Connect timed out "
        "[detail d1]"
    )


def test_a_provider_refusal_quotes_its_title_never_its_detail() -> None:
    body = json.dumps(
        {"code": "VALIDATION_FAILED", "title": "bad form", "detail": "national_id TEST0001"}
    ).encode()
    error = failure("submit", 422, {}, body, transport_id=None)
    assert "VALIDATION_FAILED bad form" in str(error)
    assert "TEST0001" not in str(error)


def test_every_classified_code_is_in_the_readme_table() -> None:
    readme = README.read_text(encoding="utf-8")
    missing = [code for code in RETRYABLE_CODES | FINAL_CODES if f"`{code}`" not in readme]
    assert missing == []
    assert not RETRYABLE_CODES & FINAL_CODES


OVER_THE_WIRE = [
    ("security server NetworkError", "fault", "Server.ServerProxy.NetworkError", RetryableError),
    ("security server ServiceFailed", "fault", "Server.ServerProxy.ServiceFailed", RetryableError),
    ("access denied", "fault", "Server.ServerProxy.AccessDenied", FinalError),
    ("invalid message", "fault", "Client.InternalError.InvalidMessage", FinalError),
    ("provider 503", "provider", (503, b'{"title": "maintenance"}'), RetryableError),
    ("provider 422", "provider", (422, b'{"code": "VALIDATION_FAILED"}'), FinalError),
    ("2xx not JSON", "provider", (200, b"<html>gateway</html>"), RetryableError),
    ("2xx JSON list", "provider", (200, b"[]"), FinalError),
    ("2xx without reference", "provider", (201, b'{"status": "RECEIVED"}'), FinalError),
    (
        "2xx unknown status",
        "provider",
        (201, b'{"agency_reference": "A1", "status": "ARCHIVED"}'),
        FinalError,
    ),
]


@pytest.mark.parametrize(
    ("kind", "answer", "expected"),
    [case[1:] for case in OVER_THE_WIRE],
    ids=[case[0] for case in OVER_THE_WIRE],
)
async def test_answers_through_the_security_server_are_classified(
    harness: XRoadFake,
    connector: XRoadConnector,
    kind: str,
    answer: Any,
    expected: type[ConnectorError],
) -> None:
    if kind == "fault":
        harness.answer_as_security_server(answer)
    else:
        harness.answer_as_provider(*answer)
    with pytest.raises(ConnectorError) as raised:
        await connector.submit(sample_submission())
    assert type(raised.value) is expected


async def test_an_answer_cut_short_is_retryable(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    harness.answer_as_provider(201, b'{"agency_reference": "XR-1", "sta', truncate=True)
    with pytest.raises(RetryableError):
        await connector.submit(sample_submission())


async def test_a_security_server_that_is_not_there_is_retryable_and_unhealthy() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    async with xroad_harness() as harness:
        settings = {**harness.settings, "security_server_url": f"http://127.0.0.1:{port}"}
    connector = build(settings)
    try:
        with pytest.raises(RetryableError, match="could not be reached") as raised:
            await connector.status("XR-000001")
        assert raised.value.transport_id
        assert not (await connector.health()).ok
    finally:
        await connector.aclose()


async def test_an_unknown_reference_and_a_closed_application_are_final(
    harness: XRoadFake, connector: XRoadConnector
) -> None:
    with pytest.raises(FinalError, match="404"):
        await connector.status("XR-999999")
    receipt = await connector.submit(sample_submission())
    await harness.set_agency_status(receipt.agency_reference, "HANDED_OVER")
    with pytest.raises(FinalError, match="409"):
        await connector.cancel(receipt.agency_reference, "too late")


def test_the_status_table_covers_every_platform_status() -> None:
    assert set(AGENCY_STATUSES.values()) == set(AgencyStatus)


# Settings refused when the connector is built.

GOOD = {
    "security_server_url": "http://127.0.0.1:8080",
    "client": CLIENT,
    "service": SERVICE,
}


@pytest.mark.parametrize(
    "client",
    [
        "AZ/GOV/1400057421",
        "AZ/GOV/1400057421/asan-platform/extra",
        "AZ//1400057421/asan-platform",
        "AZ/GOV/1400057421/",
        "AZ/GOV/14000 57421/asan-platform",
        "AZ/GOV/1400057421/asan:platform",
        "AZ;GOV/GOV/1400057421/asan-platform",
        "AZ/GOV/1400057421/asan%20platform",
        "AZ/GOV/1400057421/asan\\platform",
        "",
        42,
    ],
)
def test_a_malformed_client_identifier_is_refused_at_build_time(client: object) -> None:
    with pytest.raises(ValueError, match=r"^client: "):
        build({**GOOD, "client": client})


def test_a_malformed_service_identifier_is_refused_at_build_time() -> None:
    with pytest.raises(ValueError, match=r"^service: .*four"):
        build({**GOOD, "service": "AZ/GOV/1700767721"})


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"service_code": "allowedMethods"}, r"^service_code: .*metaservice"),
        ({"service_code": "apps/v1"}, r"^service_code: "),
        ({"timeout_seconds": 0.1}, r"^timeout_seconds: "),
        ({"timeout_seconds": "15"}, r"^timeout_seconds: "),
        ({"security_server_url": "ss1.example.gov"}, r"^security_server_url: "),
        ({"user_id": "AZ kullanıcı"}, r"^user_id: "),
        (
            {"security_server_url": "https://ss1.example.gov", "tls_client_cert": "/etc/c.pem"},
            r"go together",
        ),
        ({"tls_client_cert": "/etc/c.pem", "tls_client_key": "/etc/k.pem"}, r"needs an https"),
        (
            {"security_server_url": "https://ss1.example.gov", "tls_trusted_cert": "/nowhere.pem"},
            r"^tls_trusted_cert: neither PEM text nor the path of an existing file",
        ),
        (
            {
                "security_server_url": "https://ss1.example.gov",
                "tls_trusted_cert": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydA==\n-----END",
            },
            r"^tls_trusted_cert: no certificate could be loaded",
        ),
    ],
)
def test_other_bad_settings_are_refused_at_build_time(change: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        build({**GOOD, **change})


def test_defaults_apply_when_settings_leave_them_out() -> None:
    connector = build(GOOD)
    assert connector._settings.service_code == "applications"
    assert connector._settings.timeout_seconds == 15.0
    assert connector._settings.user_id is None


# The contract kit.


async def test_the_contract_passes() -> None:
    await run_contract(plugin)


# TLS and secrets.


@dataclass(frozen=True)
class Pki:
    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.server_cert, self.server_key)
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(self.ca)
        return context


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed")
    directory = tmp_path_factory.mktemp("xroad-pki")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"]
    leaf = ["-CA", "ca.pem", "-CAkey", "ca.key", "-addext", "basicConstraints=critical,CA:FALSE"]

    def run(*args: str) -> None:
        subprocess.run([openssl, *args], cwd=directory, check=True, capture_output=True)

    run("req", "-x509", *ec, "-keyout", "ca.key", "-out", "ca.pem", "-subj", "/CN=test-ca")
    run(
        "req", "-x509", *ec, *leaf, "-keyout", "server.key", "-out", "server.pem",
        "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
    )  # fmt: skip
    run(
        "req", "-x509", *ec, *leaf, "-keyout", "client.key", "-out", "client.pem",
        "-subj", "/CN=asan-platform",
    )  # fmt: skip
    return Pki(
        ca=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server.key",
        client_cert=directory / "client.pem",
        client_key=directory / "client.key",
    )


async def test_mutual_tls_with_pem_text_or_paths(pki: Pki) -> None:
    async with xroad_harness(server_tls=pki.server_context()) as harness:
        as_text = {
            "tls_client_cert": pki.client_cert.read_text(),
            "tls_client_key": pki.client_key.read_text(),
            "tls_trusted_cert": str(pki.ca),
        }
        as_paths = {
            "tls_client_cert": str(pki.client_cert),
            "tls_client_key": str(pki.client_key),
            "tls_trusted_cert": pki.ca.read_text(),
        }
        for tls in (as_text, as_paths):
            connector = build({**harness.settings, **tls})
            try:
                receipt = await connector.submit(sample_submission())
                assert receipt.transport_id
                assert (await connector.health()).ok
            finally:
                await connector.aclose()
        assert harness.violations == []
        assert harness.settings["security_server_url"].startswith("https://")


async def test_tls_that_cannot_work_fails_the_call(pki: Pki) -> None:
    async with xroad_harness(server_tls=pki.server_context()) as harness:
        untrusting = build({**harness.settings})
        anonymous = build({**harness.settings, "tls_trusted_cert": str(pki.ca)})
        try:
            with pytest.raises(FinalError, match="not trusted"):
                await untrusting.submit(sample_submission())
            # TLS 1.3 refuses a missing client certificate after the handshake: an alert
            # (final) or a bare reset (retryable), as the timing falls.
            with pytest.raises(ConnectorError):
                await anonymous.submit(sample_submission())
        finally:
            await untrusting.aclose()
            await anonymous.aclose()
        assert harness.exchanges == []


def test_a_tls_alert_refusing_our_certificate_is_recognised() -> None:
    alert = ssl.SSLError(1, "[SSL: TLSV13_ALERT_CERTIFICATE_REQUIRED] tlsv13 alert")
    alert.reason = "TLSV13_ALERT_CERTIFICATE_REQUIRED"
    wrapped = httpx.ReadError("")
    wrapped.__cause__ = alert
    assert tls_refusal(wrapped) is not None
    assert tls_refusal(httpx.ReadError("reset")) is None


def test_a_key_that_does_not_load_is_refused_without_repeating_it(pki: Pki) -> None:
    secret = "-----BEGIN PRIVATE KEY-----\nU0VDUkVUS0VZTUFURVJJQUw=\n-----END PRIVATE KEY-----\n"
    with pytest.raises(ValueError, match="tls_client_cert / tls_client_key") as refused:
        build(
            {
                **GOOD,
                "security_server_url": "https://127.0.0.1:8443",
                "tls_client_cert": pki.client_cert.read_text(),
                "tls_client_key": secret,
            }
        )
    assert "U0VDUkVUS0VZTUFURVJJQUw" not in str(refused.value)


async def test_logs_carry_tenant_and_agency_but_no_secret_or_personal_data(pki: Pki) -> None:
    key = pki.client_key.read_text()
    cert = pki.client_cert.read_text()
    submission = sample_submission()
    applicant = dict(submission.applicant)
    async with xroad_harness(server_tls=pki.server_context()) as harness:
        connector = build(
            {
                **harness.settings,
                "tls_client_cert": cert,
                "tls_client_key": key,
                "tls_trusted_cert": str(pki.ca),
            }
        )
        try:
            with structlog.testing.capture_logs() as logs:
                receipt = await connector.submit(submission)
                await connector.status(receipt.agency_reference)
                await connector.cancel(receipt.agency_reference, "private reason: illness")
                await connector.health()
                harness.answer_as_provider(422, b'{"code": "X", "detail": "TEST0001 invalid"}')
                with pytest.raises(FinalError):
                    await connector.submit(sample_submission())
                harness.answer_as_security_server("Server.ServerProxy.NetworkError")
                with pytest.raises(RetryableError):
                    await connector.submit(sample_submission())
        finally:
            await connector.aclose()

    assert len(logs) == 6
    assert all(line["tenant"] == "az" and line["agency"] == "tax-service" for line in logs)
    assert {line["idempotency_key"] for line in logs if line["operation"] == "submit"} >= {
        submission.idempotency_key
    }
    text = json.dumps(logs, default=str)
    forbidden = [
        key.strip(),
        *key.strip().splitlines()[1:-1],
        *cert.strip().splitlines()[1:-1],
        USER_ID,
        "private reason",
        "TEST0001",
        *(str(value) for value in applicant.values()),
        *(str(value) for value in submission.form.values()),
    ]
    leaked = [value for value in forbidden if value in text]
    assert leaked == []


def test_the_plugin_is_found_through_its_entry_point() -> None:
    installed = discover().installed["xroad"]
    assert installed.spec is plugin
    assert installed.distribution == "asan-xroad"


def test_the_readme_example_is_a_valid_tenant_configuration() -> None:
    readme = README.read_text(encoding="utf-8")
    example = readme.split("```toml\n", 1)[1].split("```", 1)[0]
    connectors = tomllib.loads(example)["plugins"]["connectors"]
    assert set(connectors) == {"*", "tax-service"}
    for agency, entry in connectors.items():
        raw = {key: value for key, value in entry.items() if key != "plugin"}
        assert entry["plugin"] == plugin.name
        values, problems = check_settings(plugin.settings, raw, where=f"connectors.{agency}")
        assert problems == []
        described = describe_settings(plugin.settings, values)
        assert described["tls_client_key"] == "set"


async def test_secret_references_resolve_into_a_working_connector(pki: Pki) -> None:
    async with xroad_harness(server_tls=pki.server_context()) as harness:
        raw = {
            **harness.settings,
            "tls_client_cert": "env:ASAN_SECRET_EE_XROAD_TLS_CERT",
            "tls_client_key": "secret:xroad-client/tls.key",
            "tls_trusted_cert": str(pki.ca),
        }
        values, problems = check_settings(plugin.settings, raw, where="connectors.tax-service")
        assert problems == []
        secrets_dir = pki.ca.parent / "secrets"
        (secrets_dir / "ee" / "xroad-client").mkdir(parents=True, exist_ok=True)
        (secrets_dir / "ee" / "xroad-client" / "tls.key").write_text(pki.client_key.read_text())
        resolved = resolve_settings(
            plugin.settings,
            values,
            tenant="ee",
            secrets_dir=secrets_dir,
            environ={"ASAN_SECRET_EE_XROAD_TLS_CERT": str(pki.client_cert)},
        )
        connector = build(resolved)
        try:
            assert (await connector.health()).ok
        finally:
            await connector.aclose()
