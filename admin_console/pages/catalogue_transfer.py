"""The catalogue as a bundle file: download it, or upload one to check and import.

The same functions as ``asan catalogue export/import``: the file is checked
completely first and every problem is shown with its place in the file; with
any problem nothing is written. A valid file is either only checked (what
would change) or imported in the request's one transaction.
"""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_422_UNPROCESSABLE_ENTITY

from admin_console.pages.catalogue_common import page
from admin_console.rendering import render, tenant_page
from admin_console.security import UPLOAD_LIMIT_BYTES
from asan.catalogue.bundle import CatalogueError, dump_catalogue
from asan.catalogue.service import CatalogueService
from asan.i18n import current_locale, gettext

EXPORT_NAME = "catalogue.yaml"
KINDS = ("agencies", "categories", "services")


@get("/catalogue/export", **page("catalogue.read"))
async def export_file(
    request: Request[Any, Any, Any],
    catalogue: NamedDependency[CatalogueService],
) -> Response[str]:
    """The bundle's ``catalogue.yaml``, exactly as ``asan catalogue export`` writes it."""
    text = dump_catalogue(await catalogue.export_catalogue())
    return Response(
        text,
        media_type="application/yaml; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{EXPORT_NAME}"'},
    )


@get("/catalogue/import", opt=tenant_page("catalogue.publish"))
async def import_form(request: Request[Any, Any, Any]) -> Response[str]:
    return await render(request, "console/catalogue/import.html")


@post(
    "/catalogue/import",
    request_max_body_size=UPLOAD_LIMIT_BYTES,
    **page("catalogue.publish"),
)
async def import_file(
    request: Request[Any, Any, Any],
    catalogue: NamedDependency[CatalogueService],
) -> Response[str]:
    """Check the uploaded file; import it too unless only a check was asked for."""
    form = await request.form()
    upload = form.get("file")
    only_check = form.get("mode") == "check"
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await render(
            request,
            "console/catalogue/import.html",
            {"missing_file": gettext("Choose a catalogue file to upload.")},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    source = upload.filename
    try:
        checked = await catalogue.read_import(await upload.read(), source=source)
    except CatalogueError as exc:
        locale = current_locale()
        problems = [
            {"where": problem.path or "—", "reason": problem.reason_in(locale)}
            for problem in exc.problems
        ]
        return await render(
            request,
            "console/catalogue/import.html",
            {"file_name": source, "problems": problems},
            status_code=HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if only_check:
        report = await catalogue.plan_import(checked)
    else:
        report = await catalogue.import_catalogue(checked)
    return await render(
        request,
        "console/catalogue/import.html",
        {
            "file_name": source,
            "applied": not only_check,
            "report": [
                (
                    kind,
                    report.created[kind],
                    report.updated[kind],
                    report.unchanged[kind],
                )
                for kind in KINDS
            ],
            "changed": report.changed,
        },
    )


ROUTES = [export_file, import_form, import_file]
