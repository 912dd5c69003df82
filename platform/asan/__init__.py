"""ASAN Platform core: tenancy, database, API, CLI and the plugin host.

Everything country-specific (catalogues, policies, connectors) lives outside
this package, in tenant bundles under ``tenants/`` and in plugins found by
entry point; the core never imports either by name.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asan-platform")
except PackageNotFoundError:  # running from a checkout that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
