"""Attendance at a group session: what each status means in times and minutes, and saving a whole
session's attendance at once.

Invariants: one attendance row per client per session (saving again updates it); "present" is the
whole session; a late arrival or early departure counts the minutes from arrival to departure,
never outside the session nor over its length; absent and cancelled have no times and 0 minutes;
nobody attends a session that has not happened yet; a client's attendance cannot change once
their group note is signed (it is part of what was signed); a draft group note follows its
client's attendance minutes and times.
"""

from __future__ import annotations

import datetime as dt
import uuid

from iopdesk.clinical.note_rules import ATTENDED, SIGNED_STATES, span_minutes
from iopdesk.clinical.program_rules import rule
from iopdesk.errors import RecordLocked, ValidationError
from iopdesk.kernel.clock import today, utcnow
from iopdesk.kernel.formats import time_text
from iopdesk.kernel.validation import as_time
from iopdesk.models import Attendance, Note
from iopdesk.services.groups.notes import STATUS_WORDS
from iopdesk.storage.records import bulk_update, insert_records

ATTENDANCE_STATUSES = tuple(STATUS_WORDS)


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
    if status not in ATTENDED:
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
    length, attended = span_minutes(session_start, session_end), span_minutes(arrived, left)
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


def session_attendance(session_id: uuid.UUID) -> dict[uuid.UUID, tuple]:
    """client → (status, arrived, left, minutes) for one session, in one query."""
    query = Attendance.select(Attendance.client, Attendance.status, Attendance.arrived_at,
                              Attendance.left_at, Attendance.minutes).where(Attendance.session == session_id)
    return {cid: (status, arrived, left, minutes) for cid, status, arrived, left, minutes in query.tuples()}


def save_attendance(session, entries: dict[uuid.UUID, tuple], allowed: set[uuid.UUID]) -> list[uuid.UUID]:
    """Upsert attendance for the session (in the caller's transaction); returns the clients whose
    row changed. `entries` maps client → (status, arrived, left, minutes).

    Raises ValidationError naming the field (a client not enrolled that day, see also
    `attendance_times`) and RecordLocked when a client's group note is already signed.
    """
    computed = {}
    for cid, (status, arrived, left, minutes) in entries.items():
        if cid not in allowed:
            raise ValidationError("Client: not enrolled in this group on the session's date.", field="client_id")
        computed[cid] = (status, *attendance_times(status, session.starts_at, session.ends_at, arrived, left,
                                                   minutes))
        if session.session_date > today() and status in ATTENDED:
            raise ValidationError("Status: the session has not happened yet.", field="status")
    rows = {r.client_id: r for r in Attendance.select().where(
        (Attendance.session == session.id) & Attendance.client.in_(list(computed)))}
    notes = {n.client_id: n for n in Note.select().where(
        (Note.group_session == session.id) & Note.client.in_(list(computed)))}
    now = utcnow()
    new_rows, changed_rows, changed_notes, changed = [], [], [], []
    for cid, values in computed.items():
        row = rows.get(cid)
        if row is not None and (row.status, row.arrived_at, row.left_at, row.minutes) == values:
            continue
        note = notes.get(cid)
        if note is not None and note.status in SIGNED_STATES:
            raise RecordLocked("Attendance: this client's group note is signed, and the attendance is part "
                               "of it; add an addendum instead.", field="status")
        status, arrived, left, minutes = values
        changed.append(cid)
        if row is None:
            new_rows.append({"session": session.id, "client": cid, "status": status, "arrived_at": arrived,
                             "left_at": left, "minutes": minutes})
        else:
            row.status, row.arrived_at, row.left_at, row.minutes = values
            row.version, row.updated_at = row.version + 1, now
            changed_rows.append(row)
        if note is not None:
            note.starts_at, note.ends_at, note.minutes = arrived, left, minutes
            note.version, note.updated_at = note.version + 1, now
            changed_notes.append(note)
    insert_records(Attendance, new_rows)
    if changed_rows:
        bulk_update(Attendance, changed_rows, fields=[Attendance.status, Attendance.arrived_at, Attendance.left_at,
                                                     Attendance.minutes, Attendance.version, Attendance.updated_at])
    if changed_notes:
        bulk_update(Note, changed_notes, fields=[Note.starts_at, Note.ends_at, Note.minutes, Note.version,
                                                Note.updated_at])
    return changed
