"""Central team: create or update a tenant from its bundle (``tenant.toml``, ``catalogue.yaml``,
``policy.csv``), checked and loaded exactly as ``asan tenant load`` does.

Every problem is listed with its file and place, and nothing is written; a
valid bundle is written in one transaction (``asan.tenancy.loading``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import anyio.to_thread
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from admin_console.pages.platform_tenants import TENANTS, actor_of, registry_of
from admin_console.rendering import redirect, render
from admin_console.security import UPLOAD_LIMIT_BYTES
from asan.access.loading import NOTE_SEPARATOR, POLICY_KEPT, POLICY_SEEDED
from asan.authz import PolicyError
from asan.catalogue.bundle import CatalogueError
from asan.catalogue.loading import CATALOGUE_KEPT, seeded_services
from asan.i18n import N_, current_locale, gettext, ngettext
from asan.tenancy import BundleError, LoadOutcome, LoadReport
from asan.tenancy.loading import (
    BUNDLE_FILES,
    CheckedBundles,
    check_bundle_files,
    load_checked_bundles,
)

FIELDS = {
    "tenant_toml": BUNDLE_FILES[0],
    "catalogue_yaml": BUNDLE_FILES[1],
    "policy_csv": BUNDLE_FILES[2],
}
"""Form field -> the bundle file it carries."""

_OUTCOMES = {
    LoadOutcome.CREATED: N_("Tenant {code} was created."),
    LoadOutcome.UPDATED: N_("Tenant {code} was updated."),
    LoadOutcome.UNCHANGED: N_(
        "Tenant {code} was already exactly as in this bundle: nothing changed."
    ),
}
_NOTES = {
    CATALOGUE_KEPT: N_(
        "Its catalogue was kept as it is: a bundle's catalogue is used only for a tenant "
        "that has none yet."
    ),
    POLICY_SEEDED: N_("Its roles were set from policy.csv."),
    POLICY_KEPT: N_(
        "Its roles were kept as they are: a bundle's policy.csv is used only for a tenant "
        "that has none yet."
    ),
}
"""The loaders' notes, by the constant each loader returns, in the reader's language."""


@dataclass(frozen=True, slots=True)
class Problem:
    file: str
    place: str
    reason: str


def _problems(exc: BundleError | CatalogueError | PolicyError) -> list[Problem]:
    """Every problem with the bare name of its file and where in it."""
    if isinstance(exc, BundleError):
        return [Problem(Path(p.file).name, p.key, p.reason) for p in exc.problems]
    if isinstance(exc, CatalogueError):
        locale = current_locale()
        return [Problem(Path(p.file).name, p.path, p.reason_in(locale)) for p in exc.problems]
    return [
        Problem(Path(p.source).name, gettext("line {line}", line=p.line), p.reason)
        for p in exc.problems
    ]


def _note(note: str) -> str:
    """A loader's note (English, for the CLI) in the reader's language."""
    count = seeded_services(note)
    if count is not None:
        return ngettext(
            "Its catalogue was loaded ({count} service).",
            "Its catalogue was loaded ({count} services).",
            count,
            count=count,
        )
    return gettext(_NOTES[note]) if note in _NOTES else note


def _outcome(report: LoadReport, code: str) -> str:
    sentences = [gettext(_OUTCOMES[report.outcomes[code]], code=code)]
    for note in filter(None, report.notes.get(code, "").split(NOTE_SEPARATOR)):
        sentences.append(_note(note))
    return " ".join(sentences)


async def _uploaded(request: Request[Any, Any, Any]) -> dict[str, bytes]:
    """The bundle files sent; a file input left empty sends nothing."""
    form = await request.form()
    files: dict[str, bytes] = {}
    for field, name in FIELDS.items():
        upload = form.get(field)
        if isinstance(upload, UploadFile) and upload.filename:
            files[name] = await upload.read()
    return files


async def _refused(request: Request[Any, Any, Any], problems: list[Problem]) -> Response[str]:
    return await render(
        request,
        "console/platform/tenant_new.html",
        {"problems": problems},
        status_code=HTTP_422_UNPROCESSABLE_ENTITY,
    )


@get("/tenants/new", opt=TENANTS)
async def new_tenant_form(request: Request[Any, Any, Any]) -> Response[str]:
    return await render(request, "console/platform/tenant_new.html", {"problems": []})


@post("/tenants/new", opt=TENANTS, request_max_body_size=UPLOAD_LIMIT_BYTES)
async def load_bundle(request: Request[Any, Any, Any]) -> Response[str]:
    """Check the uploaded bundle; when it is valid, create or update its tenant."""
    files = await _uploaded(request)
    if FIELDS["tenant_toml"] not in files:
        missing = gettext("Choose the bundle's tenant.toml file.")
        return await _refused(request, [Problem(FIELDS["tenant_toml"], "", missing)])
    try:
        # It writes the files to a temporary folder and parses them: not on the event loop.
        checked: CheckedBundles = await anyio.to_thread.run_sync(check_bundle_files, files)
        report = await load_checked_bundles(
            registry_of(request), checked, actor=await actor_of(request)
        )
    except (BundleError, CatalogueError, PolicyError) as exc:
        return await _refused(request, _problems(exc))
    code = checked.codes[0]
    return redirect(request, f"/console/tenants/{code}", notice=_outcome(report, code))


ROUTES = [new_tenant_form, load_bundle]
