"""The plugin host: how country connectors and notifiers join the platform.

Plugins are separate distributions that register a :class:`PluginSpec` under
the entry-point group ``asan.plugins``; first-party ones in ``plugins/`` use
the same door as a third party's. The core never imports a plugin by name.
"""

from asan.plugins._discovery import ENTRY_POINT_GROUP, InstalledPlugin, PluginCatalogue, discover
from asan.plugins._spec import Notification, Notifier, PluginKind, PluginSpec

__all__ = [
    "ENTRY_POINT_GROUP",
    "InstalledPlugin",
    "Notification",
    "Notifier",
    "PluginCatalogue",
    "PluginKind",
    "PluginSpec",
    "discover",
]
