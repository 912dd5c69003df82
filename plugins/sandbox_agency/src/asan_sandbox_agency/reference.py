"""Agency references that carry everything a decision needs.

The sandbox runs in the web process under ``make run`` and in one or more
``asan worker`` processes in production-like runs; a status call may reach a
process that never saw the submit. So the reference itself encodes the key's
hash and the submission time, and the decision is a pure function of the
reference, the settings and the clock: every process gives the same answer.

The time is the application's ``submitted_at``, not the moment this process
received it, so that a retry from another worker (after a timeout or a killed
worker) derives the very same reference.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from asan_sandbox_agency.vocabulary import ACCEPTED, APPROVED, REFUSED, UNDER_REVIEW

PREFIX = "SBX"
_HASH_CHARS = 16
_PATTERN = re.compile(rf"^{PREFIX}-([0-9a-f]{{{_HASH_CHARS}}})-([0-9]{{1,12}})$")


@dataclass(frozen=True, slots=True)
class ParsedReference:
    key_hash: str
    submitted_unix: int


def key_hash(idempotency_key: str) -> str:
    """A short stable digest: the key itself may be long and is no business of the agency."""
    return hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:_HASH_CHARS]


def make_reference(idempotency_key: str, submitted_at: datetime) -> str:
    if submitted_at.tzinfo is None:
        submitted_at = submitted_at.replace(tzinfo=UTC)
    return f"{PREFIX}-{key_hash(idempotency_key)}-{int(submitted_at.timestamp())}"


def parse_reference(agency_reference: str) -> ParsedReference | None:
    """None when the string is not a reference this agency could have issued."""
    match = _PATTERN.match(agency_reference)
    if match is None:
        return None
    return ParsedReference(key_hash=match.group(1), submitted_unix=int(match.group(2)))


def refused(parsed: ParsedReference, reject_rate: float) -> bool:
    """Whether the decision is a refusal: the hash, read as a fraction, falls under the rate.

    A hash rather than a random draw, so that every process decides alike.
    """
    fraction = int(parsed.key_hash, 16) / float(16**_HASH_CHARS)
    return fraction < reject_rate


def derived_status(
    parsed: ParsedReference, *, now: float, decide_after_seconds: float, reject_rate: float
) -> str:
    """The agency's word for the application at ``now``, with nobody having intervened.

    The first third of the wait reads as ``accepted``, the rest as ``under_review``,
    then the decision stands.
    """
    elapsed = now - parsed.submitted_unix
    if elapsed >= decide_after_seconds:
        return REFUSED if refused(parsed, reject_rate) else APPROVED
    if elapsed < decide_after_seconds / 3:
        return ACCEPTED
    return UNDER_REVIEW
