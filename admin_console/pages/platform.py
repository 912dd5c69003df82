"""Console pages of the central team, on the base domain: tenants, bundles, the platform.

Split by what the page is about: ``platform_tenants`` (overview, one tenant,
suspend and resume), ``platform_bundles`` (create or update a tenant from its
bundle), ``platform_plugins`` (release, schema, plugins).
"""

from __future__ import annotations

from admin_console.pages import platform_bundles, platform_plugins, platform_tenants

# ``/tenants/new`` (the bundle form) wins over ``/tenants/{code}``: a fixed segment always does.
ROUTES = [*platform_bundles.ROUTES, *platform_tenants.ROUTES, *platform_plugins.ROUTES]
