"""The plugin host: how country connectors and notifiers join the platform.

Plugins are separate distributions that register a :class:`PluginSpec` under
the entry-point group ``asan.plugins``; first-party ones in ``plugins/`` use
the same door as a third party's. The core never imports a plugin by name.
"""

from asan.plugins._connector import (
    AgencyConnector,
    AgencyStatus,
    CallbackReceiver,
    CallbackRejectedError,
    ConnectorError,
    FinalError,
    HealthReport,
    Receipt,
    RetryableError,
    StatusReport,
    Submission,
)
from asan.plugins._discovery import ENTRY_POINT_GROUP, InstalledPlugin, PluginCatalogue, discover
from asan.plugins._settings import (
    SecretUnavailableError,
    Setting,
    SettingsProblem,
    check_settings,
    describe_settings,
    resolve_settings,
)
from asan.plugins._spec import (
    PLUGIN_API_VERSION,
    Notification,
    Notifier,
    PluginConfig,
    PluginKind,
    PluginSpec,
)
from asan.plugins._tenant import (
    ANY_AGENCY,
    PluginChoice,
    PluginHost,
    PluginUnavailableError,
    TenantPlugins,
    named_plugins,
    read_tenant_plugins,
)

__all__ = [
    "ANY_AGENCY",
    "ENTRY_POINT_GROUP",
    "PLUGIN_API_VERSION",
    "AgencyConnector",
    "AgencyStatus",
    "CallbackReceiver",
    "CallbackRejectedError",
    "ConnectorError",
    "FinalError",
    "HealthReport",
    "InstalledPlugin",
    "Notification",
    "Notifier",
    "PluginCatalogue",
    "PluginChoice",
    "PluginConfig",
    "PluginHost",
    "PluginKind",
    "PluginSpec",
    "PluginUnavailableError",
    "Receipt",
    "RetryableError",
    "SecretUnavailableError",
    "Setting",
    "SettingsProblem",
    "StatusReport",
    "Submission",
    "TenantPlugins",
    "check_settings",
    "describe_settings",
    "discover",
    "named_plugins",
    "read_tenant_plugins",
    "resolve_settings",
]
