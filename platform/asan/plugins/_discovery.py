"""Finding installed plugins through entry points.

A catalogue is built on demand by :func:`discover` (never at import time),
so tests and processes each get their own. A plugin that fails to load is
reported in ``broken`` and the others keep working.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib.metadata import EntryPoint, entry_points

import structlog

from asan.plugins._spec import PLUGIN_API_VERSION, PluginSpec

ENTRY_POINT_GROUP = "asan.plugins"

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class InstalledPlugin:
    spec: PluginSpec
    distribution: str
    version: str


@dataclass(slots=True)
class PluginCatalogue:
    installed: dict[str, InstalledPlugin] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)


def _load(entry_point: EntryPoint) -> InstalledPlugin:
    spec = entry_point.load()
    if not isinstance(spec, PluginSpec):
        raise TypeError(f"entry point {entry_point.value} is not an asan.plugins.PluginSpec")
    if spec.api_version != PLUGIN_API_VERSION:
        raise ValueError(
            f"plugin {spec.name!r} is written for plugin API {spec.api_version}, "
            f"this platform has {PLUGIN_API_VERSION}"
        )
    if spec.name != entry_point.name:
        raise ValueError(f"entry point {entry_point.name!r} declares plugin name {spec.name!r}")
    dist = entry_point.dist
    return InstalledPlugin(
        spec=spec,
        distribution=dist.name if dist else "?",
        version=dist.version if dist else "?",
    )


def discover() -> PluginCatalogue:
    catalogue = PluginCatalogue()
    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        try:
            catalogue.installed[entry_point.name] = _load(entry_point)
        except Exception as exc:  # a broken plugin must not take the platform down
            catalogue.broken[entry_point.name] = f"{type(exc).__name__}: {exc}"
            log.warning("plugin failed to load", plugin=entry_point.name, error=str(exc))
    return catalogue
