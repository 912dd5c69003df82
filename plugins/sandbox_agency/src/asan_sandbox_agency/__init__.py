"""A simulated agency for demos and tests: it accepts, decides after a delay, and fails.

The demo tenant uses it for every agency, so the whole delivery path (worker,
retries, status polling, withdrawals) can be shown without any real agency.
Registered through the ``asan.plugins`` entry point like any country's plugin.
"""

from __future__ import annotations

from asan.plugins import PluginKind, PluginSpec
from asan_sandbox_agency.connector import SandboxAgencyConnector, build_connector
from asan_sandbox_agency.contract import harness
from asan_sandbox_agency.settings import SETTINGS
from asan_sandbox_agency.vocabulary import AGENCY_STATUSES

__all__ = ["AGENCY_STATUSES", "SandboxAgencyConnector", "plugin"]

plugin = PluginSpec(
    name="sandbox_agency",
    kind=PluginKind.CONNECTOR,
    summary="A simulated agency that decides applications after a delay (demos and tests).",
    factory=build_connector,
    settings=SETTINGS,
    contract=harness,
)
