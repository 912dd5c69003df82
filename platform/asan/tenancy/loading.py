"""A whole bundle (tenant, catalogue, policy, plugins): checked, then loaded.

Shared by ``asan tenant load``, ``asan demo`` and the central team's console.
Everything is checked before anything is written: the tenant files, then
their catalogues, their policies, and their plugin settings against the
plugins installed here and the agencies of their own catalogues; the first
part with problems raises with every problem of that part (``BundleError``,
``CatalogueError`` or ``PolicyError``, each problem with its file and place).
The checked bundles are then written in one transaction by
``TenantRegistry.load``, which seeds each tenant's catalogue and policy.

A bundle sent as files (an upload) is written to a temporary folder named
after its code, so that it is read exactly like a folder, then removed.
"""

from __future__ import annotations

import re
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path

from asan.access.loading import POLICY_FILE, chain, policy_seeder, read_bundle_policies
from asan.authz import PolicyError, TenantPolicy
from asan.catalogue.bundle import CatalogueError, CatalogueFile
from asan.catalogue.loading import CATALOGUE_FILE, catalogue_loader, read_bundle_catalogues
from asan.plugins.loading import check_bundle_plugins
from asan.tenancy.bundle import BUNDLE_FILE, BundleError, TenantBundle, read_bundles
from asan.tenancy.service import LoadReport, ProgressCallback, TenantRegistry

BUNDLE_FILES = (BUNDLE_FILE, CATALOGUE_FILE, POLICY_FILE)
"""The files of a bundle; only the first is required."""

_FOLDER_NAME = re.compile(r"^[a-z][a-z0-9]{1,31}$")


@dataclass(frozen=True, slots=True)
class CheckedBundles:
    """Bundles that passed every check, with their catalogues and policies read."""

    bundles: list[TenantBundle]
    catalogues: dict[str, CatalogueFile]
    policies: dict[str, TenantPolicy]

    @property
    def codes(self) -> list[str]:
        return [bundle.code for bundle in self.bundles]


def check_bundles(directories: Iterable[Path]) -> CheckedBundles:
    """Read and check bundle folders; raise with every problem of the first part that has any."""
    bundles = read_bundles(directories)  # raises with every problem; nothing written yet
    catalogues = read_bundle_catalogues(bundles)  # likewise
    policies = read_bundle_policies(bundles)  # likewise
    check_bundle_plugins(
        bundles,
        {code: {a["code"] for a in catalogue.agencies} for code, catalogue in catalogues.items()},
    )  # likewise
    return CheckedBundles(bundles, catalogues, policies)


def check_bundle_files(files: Mapping[str, bytes]) -> CheckedBundles:
    """Check one bundle given as file contents (``tenant.toml`` and optionally
    ``catalogue.yaml``, ``policy.csv``) exactly as a bundle folder is checked.

    Problems name the files by their bare names (``tenant.toml``), not the
    temporary folder they were read from.
    """
    unknown = sorted(set(files) - set(BUNDLE_FILES))
    if unknown:
        raise ValueError(f"not files of a bundle: {', '.join(unknown)}")
    with tempfile.TemporaryDirectory(prefix="asan-bundle-") as temporary:
        folder = Path(temporary) / _folder_name(files.get(BUNDLE_FILE, b""))
        folder.mkdir()
        for name, content in files.items():
            (folder / name).write_bytes(content)
        try:
            return check_bundles([folder])
        except (BundleError, CatalogueError, PolicyError) as exc:
            raise _by_file_name(exc) from None


def _folder_name(tenant_file: bytes) -> str:
    """The code the file gives, when it is one, so that the reader's check that the code
    and the folder agree holds; any other value is reported by the reader itself."""
    try:
        code = tomllib.loads(tenant_file.decode("utf-8")).get("code")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "bundle"
    return code if isinstance(code, str) and _FOLDER_NAME.match(code) else "bundle"


def _by_file_name(
    exc: BundleError | CatalogueError | PolicyError,
) -> BundleError | CatalogueError | PolicyError:
    """The same problems, each naming its file without the temporary folder."""
    if isinstance(exc, BundleError):
        return BundleError([replace(p, file=Path(p.file.name)) for p in exc.problems])
    if isinstance(exc, CatalogueError):
        return CatalogueError([replace(p, file=Path(p.file).name) for p in exc.problems])
    return PolicyError([replace(p, source=Path(p.source).name) for p in exc.problems])


async def load_checked_bundles(
    registry: TenantRegistry,
    checked: CheckedBundles,
    *,
    actor: str,
    progress: ProgressCallback | None = None,
) -> LoadReport:
    """Write checked bundles in one transaction: tenants, then each one's catalogue and
    policy when it has none yet (they belong to its admins after that)."""
    return await registry.load(
        checked.bundles,
        actor=actor,
        progress=progress,
        with_each=chain(
            catalogue_loader(checked.catalogues, actor=actor),
            policy_seeder(checked.policies, actor=actor),
        ),
    )
