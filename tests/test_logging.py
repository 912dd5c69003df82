"""Every log line carries its tenant and request id."""

from __future__ import annotations

import dataclasses
import io
import json
from collections.abc import Callable, Iterator

import httpx
import pytest
import structlog

from asan.config import Settings
from asan.db import Database
from asan.logging import configure_logging
from tests.support.factories import create_tenant


@pytest.fixture
def json_log(settings: Settings) -> Iterator[io.StringIO]:
    stream = io.StringIO()
    configure_logging(dataclasses.replace(settings, log_format="json"), level="INFO", stream=stream)
    yield stream
    configure_logging(settings)


async def test_request_log_lines_name_tenant_and_request(
    database: Database,
    client_for: Callable[[str], httpx.AsyncClient],
    json_log: io.StringIO,
) -> None:
    tenant = await create_tenant(database, "zl")
    response = await client_for(f"{tenant.code}.localhost").get(
        "/api/v1/tenant", headers={"X-Request-ID": "log-test-0001"}
    )
    assert response.status_code == 200
    await client_for("missing.localhost").get(
        "/api/v1/tenant", headers={"X-Request-ID": "log-test-0002"}
    )
    structlog.get_logger("outside").info("outside any request")

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert all({"tenant", "request_id", "timestamp", "level"} <= set(line) for line in lines), lines
    served = next(line for line in lines if line["request_id"] == "log-test-0001")
    assert (served["event"], served["tenant"], served["status"]) == ("request", "zl", 200)
    refused = next(line for line in lines if line["request_id"] == "log-test-0002")
    assert (refused["tenant"], refused["status"]) == ("-", 404)
    outside = next(line for line in lines if line["event"] == "outside any request")
    assert (outside["tenant"], outside["request_id"]) == ("-", "-")
