"""A bundle's ``[plugins]`` table, checked when the bundle is loaded.

Checked against the plugins installed here and the agencies of the bundle's
own catalogue, with every problem named by file and key, before anything is
written: a misspelt plugin or agency is found by the person loading the
bundle, not by the first citizen whose application waits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from asan.plugins._discovery import PluginCatalogue, discover
from asan.plugins._tenant import read_tenant_plugins
from asan.tenancy.bundle import BUNDLE_FILE, BundleError, BundleProblem, TenantBundle


def check_bundle_plugins(
    bundles: Sequence[TenantBundle],
    agencies: Mapping[str, set[str]],
    catalogue: PluginCatalogue | None = None,
) -> None:
    """Raise :class:`BundleError` with every plugin problem of every bundle; ``agencies``
    maps a tenant code to the agency codes its catalogue defines (absent: not checked)."""
    catalogue = catalogue or discover()
    problems: list[BundleProblem] = []
    for bundle in bundles:
        _, found = read_tenant_plugins(
            bundle.plugins, catalogue, agencies=agencies.get(bundle.code), tenant=bundle.code
        )
        problems += [
            BundleProblem(bundle.directory / BUNDLE_FILE, problem.path, problem.reason)
            for problem in found
        ]
    if problems:
        raise BundleError(problems)
