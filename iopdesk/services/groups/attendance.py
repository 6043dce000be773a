"""Saving a whole group session's attendance at once (what each status means in times and minutes
is `iopdesk.clinical.attendance`).

Invariants: one attendance row per client per session (saving again updates it); nobody attends
a session that has not happened yet; a client's attendance cannot change once their group note is
signed (it is part of what was signed); a draft group note follows its client's attendance
minutes and times.
"""

from __future__ import annotations

import uuid

from iopdesk.clinical.attendance import attendance_times, gets_group_note
from iopdesk.clinical.note_rules import SIGNED_STATES
from iopdesk.errors import RecordLocked, ValidationError
from iopdesk.kernel.clock import today, utcnow
from iopdesk.models import Attendance, Note
from iopdesk.storage.records import bulk_update, insert_records


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
        if session.session_date > today() and gets_group_note(status):
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
