"""Deadlines from a service's processing time standard, in the tenant's time zone.

``10 days`` ends at the end of the tenth calendar day after the day of
submission, as the citizen reads a calendar in the tenant's time zone;
``10 working_days`` skips Saturdays and Sundays the same way; minutes and
hours are counted from the moment of submission. Public holidays are not
known to the platform yet, so a working-day deadline over a holiday is a day
early (strict rather than late); a per-tenant holiday calendar would fix it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

WEEKEND = (5, 6)


def _end_of_day(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(23, 59, 59), tzinfo=zone).astimezone(UTC)


def _add_working_days(day: date, count: int) -> date:
    while count:
        day += timedelta(days=1)
        if day.weekday() not in WEEKEND:
            count -= 1
    return day


def deadline(submitted_at: datetime, standard: Mapping[str, Any], timezone: str) -> datetime:
    """When an application submitted at ``submitted_at`` (aware) is due, in UTC."""
    value = int(standard["value"])
    unit = standard["unit"]
    if unit == "minutes":
        return (submitted_at + timedelta(minutes=value)).astimezone(UTC)
    if unit == "hours":
        return (submitted_at + timedelta(hours=value)).astimezone(UTC)
    zone = ZoneInfo(timezone)
    local_day = submitted_at.astimezone(zone).date()
    if unit == "days":
        return _end_of_day(local_day + timedelta(days=value), zone)
    if unit == "working_days":
        return _end_of_day(_add_working_days(local_day, value), zone)
    raise ValueError(f"unknown processing time unit {unit!r}")
