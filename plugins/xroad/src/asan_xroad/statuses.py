"""The provider service's status words and what each means to the platform.

The words follow the uppercase style of Estonian state registries' X-Road
services. A word outside this table is not guessed at: the connector reports it
as a final error so that a person extends the table, instead of the platform
quietly showing a citizen a wrong status.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from asan.plugins import AgencyStatus

AGENCY_STATUSES: Mapping[str, AgencyStatus] = MappingProxyType(
    {
        "RECEIVED": AgencyStatus.RECEIVED,
        "IN_PROCESSING": AgencyStatus.IN_PROGRESS,
        "READY_FOR_PICKUP": AgencyStatus.READY,
        "HANDED_OVER": AgencyStatus.ISSUED,
        "REJECTED": AgencyStatus.REJECTED,
        "WITHDRAWN": AgencyStatus.CANCELLED,
    }
)

WITHDRAWN = "WITHDRAWN"
"""The word the provider answers a successful cancellation with."""


def platform_status(agency_status: str) -> AgencyStatus | None:
    """The platform's status for the agency's word, or None when the word is not in the table."""
    return AGENCY_STATUSES.get(agency_status.strip().upper())
