"""An agency connector over X-Road: the platform as a client of its own security server.

Registered through the ``asan.plugins`` entry point as ``xroad``. It speaks the
X-Road Message Protocol for REST (r1) to the tenant's security server, which
carries each call to the agency's provider subsystem; see the README for the
service contract the agency offers behind X-Road and how failures are
classified.
"""

from __future__ import annotations

from asan.plugins import PluginConfig, PluginKind, PluginSpec
from asan_xroad.connector import XRoadConnector
from asan_xroad.contract import xroad_harness
from asan_xroad.settings import SETTINGS
from asan_xroad.stand_in import stand_in as _stand_in


def build(config: PluginConfig) -> XRoadConnector:
    return XRoadConnector(config)


plugin = PluginSpec(
    name="xroad",
    kind=PluginKind.CONNECTOR,
    summary="Reaches an agency's applications service over X-Road (Message Protocol for REST).",
    factory=build,
    settings=SETTINGS,
    contract=xroad_harness,
    stand_in=_stand_in,
)

__all__ = ["XRoadConnector", "plugin"]
