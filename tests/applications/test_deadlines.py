"""Deadlines from processing-time standards, counted in the tenant's time zone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from asan.applications.deadlines import deadline

BAKU = "Asia/Baku"  # UTC+4, no daylight saving


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_days_end_at_the_end_of_the_last_local_day() -> None:
    # 22:30 UTC on Monday is already Tuesday 02:30 in Baku: day one is Wednesday.
    submitted = at("2026-11-30T22:30:00+00:00")
    assert deadline(submitted, {"value": 1, "unit": "days"}, BAKU) == at(
        "2026-12-02T23:59:59+04:00"
    )


def test_working_days_skip_the_weekend() -> None:
    friday = at("2026-12-04T10:00:00+04:00")
    assert deadline(friday, {"value": 1, "unit": "working_days"}, BAKU) == at(
        "2026-12-07T23:59:59+04:00"
    )
    assert deadline(friday, {"value": 5, "unit": "working_days"}, BAKU) == at(
        "2026-12-11T23:59:59+04:00"
    )
    saturday = at("2026-12-05T10:00:00+04:00")
    assert deadline(saturday, {"value": 1, "unit": "working_days"}, BAKU) == at(
        "2026-12-07T23:59:59+04:00"
    )


@pytest.mark.parametrize(
    ("standard", "expected"),
    [
        ({"value": 90, "unit": "minutes"}, "2026-12-04T11:30:00+04:00"),
        ({"value": 3, "unit": "hours"}, "2026-12-04T13:00:00+04:00"),
    ],
)
def test_minutes_and_hours_count_from_the_moment(standard: dict, expected: str) -> None:
    assert deadline(at("2026-12-04T10:00:00+04:00"), standard, BAKU) == at(expected)


def test_daylight_saving_does_not_shift_a_day_deadline() -> None:
    # Tallinn moves its clocks on 2026-03-29: the deadline is still 23:59:59 local time.
    submitted = at("2026-03-27T12:00:00+02:00")
    due = deadline(submitted, {"value": 3, "unit": "days"}, "Europe/Tallinn")
    assert due == at("2026-03-30T23:59:59+03:00")


def test_an_unknown_unit_is_an_error() -> None:
    with pytest.raises(ValueError, match="fortnights"):
        deadline(at("2026-12-04T10:00:00+04:00"), {"value": 1, "unit": "fortnights"}, BAKU)
