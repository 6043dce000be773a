"""Attendance as the clinic counts it (`iopdesk.clinical.attendance`): who gets a group note and
how many minutes a status means, the same for the stored attendance and the roster on screen."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.clinical.attendance import (
    ATTENDANCE_STATUSES,
    ATTENDED,
    attendance_times,
    gets_group_note,
    minutes_attended,
)
from iopdesk.errors import ValidationError

START, END = dt.time(9, 0), dt.time(12, 0)


def test_only_attendees_get_a_group_note() -> None:
    """Present, a late arrival and an early departure attended; absences and a cancellation did not."""
    assert [s for s in ATTENDANCE_STATUSES if gets_group_note(s)] == list(ATTENDED)
    assert not gets_group_note(None)


@pytest.mark.parametrize(("status", "arrived", "left", "minutes"), [
    ("present", None, None, 180),
    ("late_arrival", dt.time(9, 25), None, 155),
    ("left_early", None, dt.time(11, 0), 120),
    ("absent_excused", None, None, 0),
    ("cancelled", None, None, 0),
])
def test_minutes_attended_match_the_stored_minutes(status, arrived, left, minutes) -> None:
    """The minutes a roster shows are the minutes the service stores for the same attendance."""
    assert minutes_attended(status, START, END, arrived, left) == minutes
    assert attendance_times(status, START, END, arrived, left)[2] == minutes


def test_minutes_attended_while_a_time_is_being_typed_are_never_negative() -> None:
    """A late arrival typed after the end shows 0 minutes, not a negative count (saving refuses it)."""
    assert minutes_attended("late_arrival", START, END, dt.time(12, 30)) == 0
    with pytest.raises(ValidationError):
        attendance_times("late_arrival", START, END, dt.time(12, 0))
