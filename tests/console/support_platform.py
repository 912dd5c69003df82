"""The central team's console in tests: a signed-in operator, and bundles as files."""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable

import httpx
import yaml

from admin_console.pages.platform_bundles import FIELDS
from asan.access.staff import add_platform_operator
from asan.db import Database
from asan.tenancy import LoadReport, TenantRegistry
from asan.tenancy.loading import check_bundle_files, load_checked_bundles
from tests.catalogue.support import AGENCY, CATEGORY, service_entry
from tests.console.support import console_sign_in, csrf_of
from tests.support.staff import PASSWORD

OPERATOR = "ops@platform"


def new_code() -> str:
    return f"p{uuid.uuid4().hex[:8]}"


def tenant_toml(code: str, *, currency: str = "EUR", timezone: str = "Europe/Tallinn") -> str:
    return f"""
code = "{code}"
locales = ["en", "fr"]
timezone = "{timezone}"
currency = "{currency}"

[name]
en = "Testland {code}"
fr = "Testlande {code}"

[plugins.notifier]
plugin = "log_notifier"
"""


def catalogue_yaml() -> str:
    """One agency, one category, a published service and a draft written in English only."""
    draft = service_entry(
        code="name-change",
        status="draft",
        name={"en": "Change of name"},
        description={"en": "A new name."},
        eligibility={"en": "Adults."},
        required_documents=[{"en": "Identity card"}],
        channels=["service_centre"],
        form=[],
    )
    return yaml.safe_dump(
        {
            "agencies": [copy.deepcopy(AGENCY)],
            "categories": [copy.deepcopy(CATEGORY)],
            "services": [service_entry(), draft],
        },
        allow_unicode=True,
    )


POLICY_CSV = "sod, catalogue.draft, catalogue.publish\n"


def bundle(code: str) -> dict[str, bytes]:
    return {
        "tenant.toml": tenant_toml(code).encode(),
        "catalogue.yaml": catalogue_yaml().encode(),
        "policy.csv": POLICY_CSV.encode(),
    }


def as_upload(files: dict[str, bytes]) -> dict[str, tuple[str, bytes, str]]:
    """Bundle files as the console form's file fields."""
    fields = {name: field for field, name in FIELDS.items()}
    return {fields[name]: (name, content, "text/plain") for name, content in files.items()}


async def load_bundle(registry: TenantRegistry, code: str) -> LoadReport:
    """Load a bundle the way the CLI and the console do."""
    return await load_checked_bundles(registry, check_bundle_files(bundle(code)), actor="test")


async def operator_console(
    database: Database, client_for: Callable[[str], httpx.AsyncClient]
) -> httpx.AsyncClient:
    """A platform operator signed in to the console on the base domain."""
    assert await add_platform_operator(database, OPERATOR, PASSWORD)
    client = client_for("localhost")
    landed = await console_sign_in(client, OPERATOR)
    assert landed.status_code == 303  # the console's front page, for operators:
    assert landed.headers["location"] == "/console/tenants"
    return client


async def upload(client: httpx.AsyncClient, files: dict[str, bytes]) -> httpx.Response:
    form = await client.get("/console/tenants/new")
    assert form.status_code == 200, form.text
    return await client.post(
        "/console/tenants/new", data={"csrf_token": csrf_of(form.text)}, files=as_upload(files)
    )


def row_of(html: str, code: str) -> str:
    """The overview table's row of one tenant."""
    match = re.search(rf'<tr id="tenant-{code}">(.*?)</tr>', html, re.DOTALL)
    assert match is not None, f"no row for {code}"
    return match.group(1)


def numbers_in(row: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)</td>', row)
