"""Attendance at a group session as the clinic counts it: the statuses, which of them are
attending, and the times and minutes each one means. The group service stores them, the roster
screen shows them while the facilitator marks, the documents print them; all ask here.

Invariants: "present" is the whole session; a late arrival or early departure counts the minutes
from arrival to departure, never outside the session nor over its length; absent and cancelled
have no times and 0 minutes; only a client who attended (present, late arrival, left early) gets
a group note.
"""

from __future__ import annotations

import datetime as dt

from iopdesk.clinical.program_rules import rule
from iopdesk.errors import ValidationError
from iopdesk.kernel.formats import time_text
from iopdesk.kernel.validation import as_time

STATUS_WORDS = {
    "present": "present", "late_arrival": "a late arrival", "left_early": "left early",
    "absent_excused": "absent (excused)", "absent_unexcused": "absent (no-show)", "cancelled": "cancelled",
}
ATTENDANCE_STATUSES = tuple(STATUS_WORDS)
ATTENDED = ("present", "late_arrival", "left_early")  # attendance statuses that earn a group note


def gets_group_note(status: str | None) -> bool:
    """Whether a client marked `status` attended, and so gets a group note for the session."""
    return status in ATTENDED


def span_minutes(start: dt.time, end: dt.time) -> int:
    """Whole minutes from `start` to `end` on the same day (negative if end is earlier)."""
    day = dt.date(2000, 1, 1)
    return int((dt.datetime.combine(day, end) - dt.datetime.combine(day, start)).total_seconds() // 60)


def minutes_attended(status: str | None, session_start: dt.time, session_end: dt.time,
                     arrived: dt.time | None = None, left: dt.time | None = None) -> int:
    """Minutes a client marked `status` attended: 0 when not attending, else from arrival (the
    session's start when not given) to departure (its end when not given), never below 0. No
    checks, so a screen can show it while times are still being typed; `attendance_times` checks."""
    if not gets_group_note(status):
        return 0
    return max(0, span_minutes(arrived or session_start, left or session_end))


def _refuse_times(status: str, arrived, left, minutes) -> None:
    if arrived is not None or left is not None:
        field, label = ("arrived_at", "Arrival") if arrived is not None else ("left_at", "Departure")
        raise ValidationError(f"{label}: a client who was {STATUS_WORDS[status]} has no arrival or "
                              "departure time.", field=field)
    if minutes:
        raise ValidationError(f"Minutes: a client who was {STATUS_WORDS[status]} attended 0 minutes.",
                              field="minutes")


def attendance_times(
    status: str, session_start: dt.time, session_end: dt.time, arrived_at=None, left_at=None,
    minutes: int | None = None,
) -> tuple[dt.time | None, dt.time | None, int]:
    """(arrival, departure, minutes) for one client; arrival defaults to the session's start and
    departure to its end. Raises ValidationError naming the field: unknown status, times outside
    the session, arrival not before departure, a late arrival without its time (or an early
    departure without its time), minutes over the session's length or the time attended."""
    if status not in STATUS_WORDS:
        raise ValidationError(f"Status: {status!r} is not one of {', '.join(STATUS_WORDS)}.", field="status")
    arrived = as_time(arrived_at, "arrived_at", "Arrival")
    left = as_time(left_at, "left_at", "Departure")
    if not gets_group_note(status):
        _refuse_times(status, arrived, left, minutes)
        return None, None, 0
    for value, field, label in ((arrived, "arrived_at", "Arrival"), (left, "left_at", "Departure")):
        if value is not None and not session_start <= value <= session_end:
            style = rule("display", "time_format")
            raise ValidationError(f"{label}: {time_text(value, style)} is outside the session "
                                  f"({time_text(session_start, style)}–{time_text(session_end, style)}).",
                                  field=field)
    if status == "late_arrival" and (arrived is None or arrived == session_start):
        raise ValidationError("Arrival: a late arrival needs the time the client arrived, after the start.",
                              field="arrived_at")
    if status == "left_early" and (left is None or left == session_end):
        raise ValidationError("Departure: an early departure needs the time the client left, before the end.",
                              field="left_at")
    if status == "present" and (arrived not in (None, session_start) or left not in (None, session_end)):
        raise ValidationError("Status: the client missed part of the session; record a late arrival or an "
                              "early departure.", field="status")
    arrived, left = arrived or session_start, left or session_end
    if arrived >= left:
        raise ValidationError("Arrival: must be before the departure time.", field="arrived_at")
    length = span_minutes(session_start, session_end)
    attended = minutes_attended(status, session_start, session_end, arrived, left)
    if minutes is None:
        return arrived, left, attended
    if isinstance(minutes, bool) or not isinstance(minutes, int) or minutes < 0:
        raise ValidationError("Minutes: must be a whole number of minutes.", field="minutes")
    if minutes > length:
        raise ValidationError(f"Minutes: {minutes} is more than the session's {length} minutes.", field="minutes")
    if minutes > attended:
        raise ValidationError(f"Minutes: {minutes} is more than the {attended} minutes from arrival to "
                              "departure.", field="minutes")
    return arrived, left, minutes
