"""Request signatures, the same in both directions.

The platform signs every call it makes to the agency, and the agency signs
every status callback it makes to the platform, with one shared secret and one
rule, so that each side needs a single function to write and a single function
to check. The signature covers the timestamp, the method, the path and a hash
of the exact body bytes: a captured request cannot be replayed later (the
timestamp is checked against a clock-skew window), sent to another endpoint
(the path), or altered (the body).

The agency's developers implement this same rule; ``README.md`` spells it out
with a worked example, and the values here are the reference for it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

TIMESTAMP_HEADER = "X-Asan-Timestamp"
SIGNATURE_HEADER = "X-Asan-Signature"
SCHEME = "v1"

_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")
_SIGNATURE = re.compile(r"^[0-9a-f]{64}$")
_MAX_SIGNATURES = 4
"""A header may carry a few signatures (a secret rotation); more is not a rotation."""


class SignatureError(Exception):
    """A request's signature does not check out; the message says why, never with the secret."""


def canonical_string(timestamp: int, method: str, path: str, body: bytes) -> bytes:
    """What is signed: one field a line, so that no field can run into the next.

    ``path`` is the request target exactly as it is sent on the wire (the
    percent-encoded path, with the query string if there is one).
    """
    return "\n".join(
        (SCHEME, str(timestamp), method.upper(), path, hashlib.sha256(body).hexdigest())
    ).encode("utf-8")


def signature(secret: str, timestamp: int, method: str, path: str, body: bytes) -> str:
    """The lowercase hex HMAC-SHA256 of the canonical string under ``secret``."""
    return hmac.new(
        secret.encode("utf-8"), canonical_string(timestamp, method, path, body), hashlib.sha256
    ).hexdigest()


def sign(secret: str, method: str, path: str, body: bytes, *, now: float) -> dict[str, str]:
    """The two headers that make a request verifiable by the other side."""
    timestamp = int(now)
    return {
        TIMESTAMP_HEADER: str(timestamp),
        SIGNATURE_HEADER: f"{SCHEME}={signature(secret, timestamp, method, path, body)}",
    }


def header_value(headers: Mapping[str, str], name: str) -> str | None:
    """A header whatever the case of its name: frameworks and proxies differ on that."""
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _offered_signatures(header: str) -> list[str]:
    """The ``v1`` signatures in a header; unknown schemes are skipped for later versions."""
    offered: list[str] = []
    for part in header.split(","):
        scheme, _, value = part.strip().partition("=")
        if scheme == SCHEME:
            offered.append(value.strip())
    return offered


def verify(
    secret: str,
    headers: Mapping[str, str],
    method: str,
    path: str,
    body: bytes,
    *,
    now: float,
    max_skew_seconds: float,
) -> int:
    """Check a request's signature and age; the signed timestamp, or :class:`SignatureError`.

    Any one of several ``v1=`` signatures in the header may match: during a
    secret rotation the sender signs with the old and the new secret at once.
    """
    raw_timestamp = header_value(headers, TIMESTAMP_HEADER)
    raw_signature = header_value(headers, SIGNATURE_HEADER)
    if raw_timestamp is None or raw_signature is None:
        raise SignatureError(f"missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    raw_timestamp = raw_timestamp.strip()
    if not _TIMESTAMP.match(raw_timestamp):
        raise SignatureError(f"{TIMESTAMP_HEADER} is not unix seconds")
    timestamp = int(raw_timestamp)
    if abs(now - timestamp) > max_skew_seconds:
        raise SignatureError(
            f"{TIMESTAMP_HEADER} is {int(now - timestamp)}s away from our clock "
            f"(at most {max_skew_seconds:g}s allowed)"
        )
    offered = _offered_signatures(raw_signature)
    if not offered:
        raise SignatureError(f"{SIGNATURE_HEADER} has no {SCHEME}= signature")
    if len(offered) > _MAX_SIGNATURES:
        raise SignatureError(f"{SIGNATURE_HEADER} has more than {_MAX_SIGNATURES} signatures")
    expected = signature(secret, timestamp, method, path, body)
    # Compare every offered signature, not stopping at the first match, so that the
    # time taken says nothing about which one matched.
    matched = False
    for candidate in offered:
        well_formed = bool(_SIGNATURE.match(candidate))
        matched |= well_formed and hmac.compare_digest(candidate, expected)
    if not matched:
        raise SignatureError("signature does not match")
    return timestamp
