"""The agency's status words and what each means to the platform.

The vocabulary is fixed by this protocol rather than configured per tenant:
an agency that adopts the protocol adopts its words, so a misspelt status is
caught as a protocol error instead of silently mapping to nothing. The
platform's own words are accepted as well, for agencies that prefer them.
"""

from __future__ import annotations

from types import MappingProxyType

from asan.plugins import AgencyStatus

AGENCY_STATUSES: MappingProxyType[str, AgencyStatus] = MappingProxyType(
    {
        "received": AgencyStatus.RECEIVED,
        "processing": AgencyStatus.IN_PROGRESS,
        "ready": AgencyStatus.READY,
        "issued": AgencyStatus.ISSUED,
        "rejected": AgencyStatus.REJECTED,
        "cancelled": AgencyStatus.CANCELLED,
        # The platform's own word where it differs from the protocol's.
        AgencyStatus.IN_PROGRESS.value: AgencyStatus.IN_PROGRESS,
    }
)
"""Every word an agency may send, exactly as spelt (lowercase), and its platform status."""


def platform_status(agency_status: str) -> AgencyStatus | None:
    """The platform status for an agency's word, or None when the protocol has no such word."""
    return AGENCY_STATUSES.get(agency_status)
