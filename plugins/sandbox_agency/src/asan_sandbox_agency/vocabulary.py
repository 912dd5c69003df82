"""The sandbox agency's own status words, as a real agency would have its own.

Keeping a vocabulary distinct from :class:`~asan.plugins.AgencyStatus` makes the
sandbox exercise the same mapping step every real connector has, and gives the
timeline an agency word to show.
"""

from __future__ import annotations

from asan.plugins import AgencyStatus

ACCEPTED = "accepted"
UNDER_REVIEW = "under_review"
APPROVED = "approved"
COLLECTED = "collected"
REFUSED = "refused"
WITHDRAWN = "withdrawn"

AGENCY_STATUSES: dict[str, AgencyStatus] = {
    ACCEPTED: AgencyStatus.RECEIVED,
    UNDER_REVIEW: AgencyStatus.IN_PROGRESS,
    APPROVED: AgencyStatus.READY,
    COLLECTED: AgencyStatus.ISSUED,
    REFUSED: AgencyStatus.REJECTED,
    WITHDRAWN: AgencyStatus.CANCELLED,
}

NOTES: dict[str, str] = {
    ACCEPTED: "the application was accepted for processing",
    UNDER_REVIEW: "the application is under review",
    APPROVED: "the application was approved; the document is ready",
    COLLECTED: "the document was collected",
    REFUSED: "the application was refused (simulated decision)",
    WITHDRAWN: "the application was withdrawn",
}
