"""The application lifecycle: which status may follow which, and who may move it.

::

    submitted -> forwarded -> in_progress -> ready -> issued
        \\------------\\-------------\\----> rejected     (the agency decides)
        \\------------\\-------------\\--------\\-> cancelled  (the applicant withdraws)

Agencies may skip steps (an agency that answers "ready" to an application we
still think "forwarded" is believed), but nothing moves backwards and a
closed application (issued, rejected, cancelled) never moves again.
"""

from __future__ import annotations

import enum

from asan.plugins import AgencyStatus


class Status(enum.StrEnum):
    SUBMITTED = "submitted"
    FORWARDED = "forwarded"
    IN_PROGRESS = "in_progress"
    READY = "ready"
    ISSUED = "issued"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def closed(self) -> bool:
        return self in CLOSED


CLOSED = frozenset({Status.ISSUED, Status.REJECTED, Status.CANCELLED})
_MAIN_LINE = (Status.SUBMITTED, Status.FORWARDED, Status.IN_PROGRESS, Status.READY, Status.ISSUED)


class Actor(enum.StrEnum):
    """Kinds of actor, for the rules below (the timeline names the actual one)."""

    CITIZEN = "citizen"
    FRONT_DESK = "front_desk"
    """Staff holding applications.create (operators: they register and hand over)."""
    AGENCY_STAFF = "agency_staff"
    """Staff holding applications.decide (agency officers)."""
    AGENCY = "agency"
    """The agency's own system, through its connector."""
    DELIVERY = "delivery"
    """The platform's delivery worker."""


_MAY_SET: dict[Actor, frozenset[Status]] = {
    Actor.CITIZEN: frozenset({Status.CANCELLED}),
    Actor.FRONT_DESK: frozenset({Status.ISSUED, Status.CANCELLED}),
    Actor.AGENCY_STAFF: frozenset({Status.IN_PROGRESS, Status.READY, Status.REJECTED}),
    Actor.AGENCY: frozenset(
        {Status.IN_PROGRESS, Status.READY, Status.ISSUED, Status.REJECTED, Status.CANCELLED}
    ),
    Actor.DELIVERY: frozenset({Status.FORWARDED}),
}

FROM_AGENCY: dict[AgencyStatus, Status] = {
    AgencyStatus.RECEIVED: Status.FORWARDED,
    AgencyStatus.IN_PROGRESS: Status.IN_PROGRESS,
    AgencyStatus.READY: Status.READY,
    AgencyStatus.ISSUED: Status.ISSUED,
    AgencyStatus.REJECTED: Status.REJECTED,
    AgencyStatus.CANCELLED: Status.CANCELLED,
}


def can_follow(current: Status, target: Status) -> bool:
    """Whether ``target`` may follow ``current``, whoever asks."""
    if current.closed or current == target:
        return False
    if target == Status.CANCELLED:
        return True
    if target == Status.REJECTED:
        return current in (Status.SUBMITTED, Status.FORWARDED, Status.IN_PROGRESS)
    return _MAIN_LINE.index(target) > _MAIN_LINE.index(current)


def may_set(actor: Actor, target: Status) -> bool:
    return target in _MAY_SET[actor]
