"""TLS towards the security server: whom we trust, and the certificate we show.

A security server's client side usually demands HTTPS with a client
certificate registered for the information system (the "internal TLS
certificate"), and presents its own, self-signed one. The settings holding
them arrive either as PEM text (a Kubernetes Secret key read by
``secret:NAME/KEY``) or as the path of a PEM file (an ``env:`` variable naming a
mounted file). Python's ssl loads a certificate chain from files only, so PEM
text is written to a private temporary directory for the load and removed at
once; the key then lives in the SSL context's memory alone. No message here
repeats a setting's value: it may be the key itself.
"""

from __future__ import annotations

import ssl
import tempfile
from pathlib import Path

_PEM_MARK = "-----BEGIN "


def _is_pem(value: str) -> bool:
    return _PEM_MARK in value


def _existing_file(value: str, *, setting: str) -> str:
    if "\n" in value or not Path(value).is_file():
        raise ValueError(f"{setting}: neither PEM text nor the path of an existing file")
    return value


def ssl_context(
    *, https: bool, client_cert: str | None, client_key: str | None, trusted: str | None
) -> ssl.SSLContext:
    """The context for httpx. Without ``trusted``, the system's trust store (where an operator
    installs an internal CA), not certifi's public bundle."""
    if bool(client_cert) != bool(client_key):
        raise ValueError("tls_client_cert and tls_client_key go together: set both, or neither")
    if not https:
        # Plain HTTP never uses it; it trusts nothing, so it could only ever fail closed.
        return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context = _trusting(trusted) if trusted else ssl.create_default_context()
    if client_cert and client_key:
        _load_client_certificate(context, client_cert, client_key)
    return context


def _trusting(trusted: str) -> ssl.SSLContext:
    try:
        if _is_pem(trusted):
            return ssl.create_default_context(cadata=trusted)
        return ssl.create_default_context(
            cafile=_existing_file(trusted, setting="tls_trusted_cert")
        )
    except ssl.SSLError as exc:
        raise ValueError(
            f"tls_trusted_cert: no certificate could be loaded from it ({exc.reason or exc})"
        ) from None


def _load_client_certificate(context: ssl.SSLContext, cert: str, key: str) -> None:
    try:
        if not _is_pem(cert) and not _is_pem(key):
            context.load_cert_chain(
                _existing_file(cert, setting="tls_client_cert"),
                _existing_file(key, setting="tls_client_key"),
            )
            return
        with tempfile.TemporaryDirectory(prefix="asan-xroad-") as directory:
            cert_file = _materialise(cert, Path(directory) / "cert.pem", setting="tls_client_cert")
            key_file = _materialise(key, Path(directory) / "key.pem", setting="tls_client_key")
            context.load_cert_chain(cert_file, key_file)
    except ssl.SSLError as exc:
        raise ValueError(
            "tls_client_cert / tls_client_key: the certificate and key could not be loaded "
            f"together ({exc.reason or 'invalid PEM, or the key does not match'})"
        ) from None


def _materialise(value: str, path: Path, *, setting: str) -> str:
    if not _is_pem(value):
        return _existing_file(value, setting=setting)
    path.touch(mode=0o600)
    path.write_text(value if value.endswith("\n") else value + "\n", encoding="utf-8")
    return str(path)
