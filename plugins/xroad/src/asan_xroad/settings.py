"""The connector's settings: what a tenant declares, and the checked form the connector uses.

The platform checks types, bounds and required settings against
:data:`SETTINGS` before a bundle is accepted. What it cannot check (the shape
of an X-Road identifier, whether a certificate loads) is checked here, when the
connector is built, with a ValueError that names the setting.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from asan.plugins import Setting
from asan_xroad.identifiers import SubsystemId, check_service_code
from asan_xroad.tls import ssl_context

DEFAULT_SERVICE_CODE = "applications"
DEFAULT_TIMEOUT_SECONDS = 15.0
MIN_TIMEOUT_SECONDS = 0.5
MAX_TIMEOUT_SECONDS = 120.0

_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "security_server_url",
        "url",
        "base URL of the tenant's own security server (its client side), "
        "e.g. https://ss1.example.gov",
        required=True,
    ),
    Setting(
        "client",
        "text",
        "the tenant's client subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM (sent as X-Road-Client)",
        required=True,
    ),
    Setting(
        "service",
        "text",
        "the agency's provider subsystem, INSTANCE/CLASS/MEMBER/SUBSYSTEM",
        required=True,
    ),
    Setting(
        "service_code",
        "text",
        "the code of the agency's applications service on that subsystem",
        default=DEFAULT_SERVICE_CODE,
    ),
    Setting(
        "user_id",
        "text",
        "sent as X-Road-UserId: who acts, prefixed with a two-letter country code "
        "(e.g. AZasan-delivery)",
    ),
    Setting(
        "timeout_seconds",
        "number",
        "how long to wait for an answer before treating the agency as unavailable",
        default=DEFAULT_TIMEOUT_SECONDS,
        minimum=MIN_TIMEOUT_SECONDS,
        maximum=MAX_TIMEOUT_SECONDS,
    ),
    Setting(
        "tls_client_cert",
        "text",
        "the information system's TLS certificate registered on the security server: "
        "PEM text or the path of a PEM file",
        secret=True,
    ),
    Setting(
        "tls_client_key",
        "text",
        "the private key of tls_client_cert: PEM text or the path of a PEM file",
        secret=True,
    ),
    Setting(
        "tls_trusted_cert",
        "text",
        "the security server's internal TLS certificate (or its CA) to trust instead of the "
        "system's CAs: the path of a PEM file, or PEM text",
    ),
)


@dataclass(frozen=True, slots=True)
class XRoadSettings:
    security_server_url: str
    """Without a trailing slash."""
    client: SubsystemId
    service: SubsystemId
    service_code: str
    user_id: str | None
    timeout_seconds: float
    tls: ssl.SSLContext

    @classmethod
    def from_mapping(cls, settings: Mapping[str, Any]) -> XRoadSettings:
        """Checked settings, defaults filled in; ValueError names the first setting at fault."""
        url = settings.get("security_server_url")
        if not isinstance(url, str) or not _URL.match(url):
            raise ValueError("security_server_url: required, an http(s) URL")
        timeout = settings.get("timeout_seconds", DEFAULT_TIMEOUT_SECONDS)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float):
            raise ValueError("timeout_seconds: must be a number")
        if not MIN_TIMEOUT_SECONDS <= timeout <= MAX_TIMEOUT_SECONDS:
            raise ValueError(
                f"timeout_seconds: must be between {MIN_TIMEOUT_SECONDS:g} "
                f"and {MAX_TIMEOUT_SECONDS:g}"
            )
        client = SubsystemId.parse(settings.get("client"), setting="client")
        service = SubsystemId.parse(settings.get("service"), setting="service")
        service_code = check_service_code(
            settings.get("service_code", DEFAULT_SERVICE_CODE), setting="service_code"
        )
        user_id = settings.get("user_id")
        if user_id is not None and (
            not isinstance(user_id, str)
            or not user_id.strip()
            or not (user_id.isascii() and user_id.isprintable())
        ):
            raise ValueError("user_id: must be non-empty printable ASCII text when given")
        client_cert = _optional_text(settings, "tls_client_cert")
        if client_cert and not url.startswith("https://"):
            raise ValueError("tls_client_cert: a client certificate needs an https:// URL")
        tls = ssl_context(
            https=url.startswith("https://"),
            client_cert=client_cert,
            client_key=_optional_text(settings, "tls_client_key"),
            trusted=_optional_text(settings, "tls_trusted_cert"),
        )
        return cls(
            security_server_url=url.rstrip("/"),
            client=client,
            service=service,
            service_code=service_code,
            user_id=user_id.strip() if user_id else None,
            timeout_seconds=float(timeout),
            tls=tls,
        )


def _optional_text(settings: Mapping[str, Any], name: str) -> str | None:
    value = settings.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{name}: must be text")
    return value
