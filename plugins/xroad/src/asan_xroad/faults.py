"""What a failed X-Road exchange means for the delivery worker: try again, or stop.

Two kinds of failure come back through a security server, and the protocol
tells them apart by the ``X-Road-Error`` header:

* with it, X-Road itself failed (our security server, the provider's, or the
  path between them). The body is ``{"type", "message", "detail"}`` and the
  type is a dotted code, ``Server.ServerProxy.NetworkError`` or
  ``Client.InternalError.InvalidMessage``: its origin (``Client``,
  ``Server.ClientProxy``, ``Server.ServerProxy``, ``Signer``) and one or more
  codes, the last the most specific. The HTTP status says little (X-Road
  answers 500 for an access refusal as for a network fault), so the codes
  decide: the most specific code this module knows wins, and a type with no
  known code falls back on its origin.
* without it, the provider service answered and the HTTP status is its own.

The table is in the README; keep the two in step.
"""

from __future__ import annotations

import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass

from asan.plugins import ConnectorError, FinalError, RetryableError

XROAD_ERROR_HEADER = "X-Road-Error"

RETRYABLE_CODES = frozenset(
    {
        "NetworkError",  # a security server could not reach the next hop
        "IOError",  # a connection broke mid-message
        "ServiceFailed",  # the provider's security server got no answer from the provider service
        "DatabaseError",  # a security server's own database failed
        "OutdatedGlobalConf",  # global configuration not refreshed yet; it is re-downloaded
        "MalformedGlobalConf",
        "TimestampingFailed",  # the message log could not be time-stamped (TSA down)
        "TimestamperFailed",
        "LoggingFailed",
        "HSMNonOperational",  # the signing token is down or logged out
        "TokenNotActive",
        "TokenNotAvailable",
        "KeyNotAvailable",
        "ServiceDisabled",  # disabled by its provider, typically for maintenance, with a notice
    }
)
"""Codes of faults in the X-Road infrastructure that pass without anyone touching the request."""

FINAL_CODES = frozenset(
    {
        "AccessDenied",  # the provider has not granted our subsystem this service
        "UnknownService",
        "UnknownMember",
        "InvalidClientIdentifier",
        "ServiceType",
        "InvalidMessage",
        "InvalidRequest",
        "BadRequest",
        "NotFound",
        "InvalidProtocolVersion",
        "InvalidHttpMethod",
        "InvalidContentType",
        "MissingHeader",
        "MissingHeaderField",
        "DuplicateHeaderField",
        "InconsistentHeaders",
        "MissingRest",
        "InvalidRest",
        "MissingBody",
        "InvalidBody",
        "ServiceMissingUrl",  # the provider's configuration is wrong: a person must fix it
        "ServiceMalformedUrl",
        "SslAuthenticationFailed",  # our TLS client certificate is not the one registered
        "InvalidSecurityServer",
        "ClientProxyVersionNotSupported",
        "CertValidation",
        "IncorrectCertificate",
        "CertValidityTime",
        "InvalidCertPath",
        "MissingSignature",
        "InvalidSignatureValue",
        "MalformedSignature",
        "SignatureVerification",
    }
)
"""Codes saying the request, our identity or a configuration is wrong: the same call fails again."""

RETRYABLE_ORIGINS = ("Server", "Signer")
"""A type with no known code: a fault inside a security server passes, one of ours does not."""

FINAL_ORIGINS = ("Client",)

RETRYABLE_STATUSES = frozenset({408, 425, 429})
"""Besides every 5xx: the provider service asks us to come back later."""

TLS_REFUSALS = frozenset(
    {
        "TLSV13_ALERT_CERTIFICATE_REQUIRED",
        "SSLV3_ALERT_BAD_CERTIFICATE",
        "SSLV3_ALERT_CERTIFICATE_UNKNOWN",
        "SSLV3_ALERT_CERTIFICATE_REVOKED",
        "SSLV3_ALERT_CERTIFICATE_EXPIRED",
        "TLSV1_ALERT_UNKNOWN_CA",
        "TLSV1_ALERT_ACCESS_DENIED",
    }
)
"""TLS alerts by which the security server refuses our client certificate (or its absence)."""

_MAX_TEXT = 200


@dataclass(frozen=True, slots=True)
class XRoadFault:
    type: str
    message: str
    detail: str


def xroad_fault_is_retryable(fault_type: str, *, status: int = 500) -> bool:
    """Whether an X-Road fault of this type may pass if the same call is made later."""
    parts = [part for part in fault_type.strip().split(".") if part]
    for code in reversed(parts):
        if code in RETRYABLE_CODES:
            return True
        if code in FINAL_CODES:
            return False
    if parts and parts[0] in RETRYABLE_ORIGINS:
        return True
    if parts and parts[0] in FINAL_ORIGINS:
        return False
    return status >= 500


def parse_xroad_fault(headers: Mapping[str, str], body: bytes) -> XRoadFault | None:
    """The X-Road fault an answer carries, or None when the provider service answered."""
    header = _header(headers, XROAD_ERROR_HEADER)
    if header is None:
        return None
    document = _json_object(body)
    fault_type = document.get("type") if document else None
    return XRoadFault(
        type=_short(fault_type if isinstance(fault_type, str) and fault_type else header),
        message=_short(_text(document, "message")),
        detail=_short(_text(document, "detail")),
    )


def failure(
    operation: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes,
    *,
    transport_id: str | None,
) -> ConnectorError:
    """The error for an answer that is not a success, classified for the delivery worker."""
    fault = parse_xroad_fault(headers, body)
    if fault is not None:
        message = f"{operation}: X-Road fault {fault.type} (HTTP {status})"
        if fault.message:
            message += f": {fault.message}"
        if fault.detail:
            message += f" [detail {fault.detail}]"
        retryable = xroad_fault_is_retryable(fault.type, status=status)
    else:
        message = f"{operation}: the provider service answered HTTP {status}"
        problem = _problem_title(body)
        if problem:
            message += f": {problem}"
        retryable = status >= 500 or status in RETRYABLE_STATUSES
    kind: type[ConnectorError] = RetryableError if retryable else FinalError
    return kind(message, transport_id=transport_id)


def tls_refusal(exc: BaseException) -> str | None:
    """Why TLS with the security server cannot work until someone changes a certificate, or
    None when ``exc`` is not such a failure (a dropped handshake is retried like any network
    fault). Looks down the chain: httpx wraps httpcore, which wraps ssl."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ssl.SSLCertVerificationError):
            return (
                f"the security server's TLS certificate is not trusted "
                f"({current.verify_message}): check tls_trusted_cert"
            )
        if isinstance(current, ssl.SSLError) and current.reason in TLS_REFUSALS:
            return (
                f"the security server refused our TLS client certificate ({current.reason}): "
                "check tls_client_cert and its registration on the security server"
            )
        current = current.__cause__ or current.__context__
    return None


def _problem_title(body: bytes) -> str:
    """The provider's short title of its refusal (RFC 9457 problem details), never its detail:
    a detail may quote the application back, and an error message ends up in logs."""
    document = _json_object(body)
    if not document:
        return ""
    parts = [_text(document, "code") or _text(document, "type"), _text(document, "title")]
    return _short(" ".join(part for part in parts if part))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value.strip()
    return None


def _json_object(body: bytes) -> dict[str, object] | None:
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return document if isinstance(document, dict) else None


def _text(document: Mapping[str, object] | None, key: str) -> str:
    value = document.get(key) if document else None
    return value if isinstance(value, str) else ""


def _short(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _MAX_TEXT else text[: _MAX_TEXT - 1] + "…"
