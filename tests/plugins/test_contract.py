"""The connector contract (``asan.testing.connector_contract``) over every installed connector.

A connector found through the entry point must ship a harness and pass every
check; adding a connector without one fails here, not in production.
"""

from __future__ import annotations

import pytest

from asan.plugins import PluginKind, discover
from asan.testing.connector_contract import CHECKS, run_check

CONNECTORS = sorted(
    name
    for name, plugin in discover().installed.items()
    if plugin.spec.kind is PluginKind.CONNECTOR
)


def test_the_first_party_connectors_are_installed() -> None:
    assert {"rest_webhook", "xroad", "sandbox_agency"} <= set(CONNECTORS)


@pytest.mark.parametrize("check", sorted(CHECKS))
@pytest.mark.parametrize("connector", CONNECTORS)
async def test_connector_passes_the_contract(connector: str, check: str) -> None:
    await run_check(discover().installed[connector].spec, check)


def test_no_plugin_is_broken() -> None:
    assert discover().broken == {}
