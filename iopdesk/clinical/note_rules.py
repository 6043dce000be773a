"""The rules every note obeys, shared by the note service and by group sessions: times and minutes,
the date of service against admission, the plan objectives addressed, which session a note
belongs to, what must be filled before signing, and the one way a note is signed (its content
hash and status).

Invariants: minutes never exceed the span from start to end nor 24 hours; a note's date is neither
in the future nor before the client's first admission; objectives addressed belong to the client's
own treatment plans; `signing_values` is the only place a note's content hash and signed status
are computed (SHA-256 over sections, date, times, minutes, objectives and author).
"""

from __future__ import annotations

import datetime as dt
import re
import uuid

from iopdesk.clinical.attendance import gets_group_note, span_minutes
from iopdesk.clinical.note_formats import NoteFormat
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.clock import today
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.validation import as_time
from iopdesk.models import (
    Attendance,
    Episode,
    FamilySession,
    GroupSession,
    Note,
    NoteObjective,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    Staff,
    TreatmentPlan,
)
from iopdesk.storage.records import as_uuid, content_hash, insert_records

POS_RE = re.compile(r"^\d{2}$")
SIGNED_STATES = ("signed", "awaiting_cosign", "cosigned")


class _Keep:
    """Marks an argument left out of a partial update ("keep what is saved")."""

    def __repr__(self) -> str:
        return "KEEP"


KEEP = _Keep()


def note_duration(starts_at, ends_at, minutes) -> tuple[dt.time | None, dt.time | None, int]:
    """(start, end, minutes) of a service: minutes default to the span when both times are given.

    Raises ValidationError: end not after start (ends_at), minutes negative, over 24 hours or
    over the span (minutes).
    """
    start = as_time(starts_at, "starts_at", "Start time")
    end = as_time(ends_at, "ends_at", "End time")
    if minutes is not None:
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            raise ValidationError("Minutes: must be a whole number.", field="minutes")
        if minutes < 0:
            raise ValidationError("Minutes: cannot be negative.", field="minutes")
        if minutes > 24 * 60:
            raise ValidationError("Minutes: at most 1440 (24 hours).", field="minutes")
    if start is not None and end is not None:
        span = span_minutes(start, end)
        if span <= 0:
            raise ValidationError("End time: must be after the start time.", field="ends_at")
        if minutes is None:
            minutes = span
        elif minutes > span:
            raise ValidationError(
                f"Minutes: {minutes} is more than the {span} minutes from start to end.", field="minutes")
    return start, end, minutes or 0


def check_service_date(client_id: uuid.UUID, when: dt.date) -> uuid.UUID | None:
    """The client's episode open on `when`, or None. Raises ValidationError (service_date) for a
    date in the future or before the client's first admission."""
    return episodes_on([client_id], when)[client_id]


def episodes_on(client_ids: list[uuid.UUID], when: dt.date) -> dict[uuid.UUID, uuid.UUID | None]:
    """Each client's episode open on `when` (or None), in one query. Raises ValidationError
    (service_date) for a date in the future or before a client's first admission."""
    if when > today():
        raise ValidationError("Date of service: cannot be in the future.", field="service_date")
    query = (
        Episode.select(Episode.client, Episode.id, Episode.admitted_on, Episode.discharged_on)
        .where(Episode.client.in_(list(client_ids)))
        .order_by(Episode.admitted_on)
        .tuples()
    )
    first: dict[uuid.UUID, dt.date] = {}
    found: dict[uuid.UUID, uuid.UUID | None] = dict.fromkeys(client_ids)
    for client, episode_id, admitted, discharged in query:
        first.setdefault(client, admitted)
        if admitted <= when and (discharged is None or when <= discharged):
            found[client] = episode_id
    for admitted in first.values():
        if when < admitted:
            raise ValidationError(
                f"Date of service: before the client's admission on {date_text(admitted)}.",
                field="service_date")
    return found


def objectives_by_client(wanted: dict[uuid.UUID, list]) -> dict[uuid.UUID, list[tuple[uuid.UUID, str]]]:
    """Each client's chosen objectives as (id, statement), in the order given, in one query.

    Raises ValidationError (objective_ids) for an id that is not an objective of that client's
    own treatment plans.
    """
    parsed: dict[uuid.UUID, list[uuid.UUID]] = {}
    for cid, ids in wanted.items():
        chosen: list[uuid.UUID] = []
        for value in ids or ():
            try:
                oid = as_uuid(value, "objective")
            except NotFound:
                raise ValidationError(f"Objectives addressed: {value!r} is not an objective.",
                                      field="objective_ids") from None
            if oid not in chosen:
                chosen.append(oid)
        parsed[cid] = chosen
    every = {oid for ids in parsed.values() for oid in ids}
    found: dict[uuid.UUID, tuple[uuid.UUID, str]] = {}
    if every:
        query = (
            PlanObjective.select(PlanObjective.id, TreatmentPlan.client, PlanObjective.statement)
            .join(PlanGoal).join(PlanProblem).join(TreatmentPlan)
            .where(PlanObjective.id.in_(list(every)))
            .tuples()
        )
        found = {oid: (client, statement) for oid, client, statement in query}
    result = {}
    for cid, ids in parsed.items():
        if any(oid not in found or found[oid][0] != cid for oid in ids):
            raise ValidationError(
                "Objectives addressed: choose objectives from this client's own treatment plan.",
                field="objective_ids")
        result[cid] = [(oid, found[oid][1]) for oid in ids]
    return result


def with_goal_filled(fmt: NoteFormat, sections: dict[str, str], objectives: list[tuple]) -> dict[str, str]:
    """GIRP's goal, when left blank, is the statement of the objectives addressed."""
    if fmt.code == "GIRP" and not sections.get("goal") and objectives:
        return {**sections, "goal": "; ".join(statement for _, statement in objectives)}
    return sections


def replace_objectives(by_note: dict[uuid.UUID, list[uuid.UUID]]) -> None:
    """Make each note's objectives addressed exactly the given ones (two queries in all)."""
    if not by_note:
        return
    NoteObjective.delete().where(NoteObjective.note.in_(list(by_note))).execute()
    insert_records(NoteObjective, [{"note": n, "objective": o} for n, ids in by_note.items() for o in ids])


def objective_ids_by_note(note_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """Objective ids addressed by each note, sorted (as the content hash takes them)."""
    out: dict[uuid.UUID, list[str]] = {}
    if not note_ids:
        return out
    query = NoteObjective.select(NoteObjective.note, NoteObjective.objective).where(
        NoteObjective.note.in_(list(note_ids))).tuples()
    for note_id, objective_id in query:
        out.setdefault(note_id, []).append(str(objective_id))
    return {k: sorted(v) for k, v in out.items()}


def place_of_service(value: str | None, default: str) -> str:
    """A CMS place-of-service code (two digits), or the site's default when blank."""
    code = (value or "").strip() or default or "57"
    if not POS_RE.match(code):
        raise ValidationError("Place of service: a two-digit code such as 57, 53, 02 or 10.",
                              field="place_of_service")
    return code


def missing_sections_problem(fmt: NoteFormat, sections: dict) -> ValidationError | None:
    """"Cannot sign yet: fill in …" for the empty sections of `sections`, or None (no database:
    screens re-check it as the clinician types)."""
    missing = fmt.missing(sections)
    if missing:
        return ValidationError(f"Cannot sign yet: fill in {', '.join(missing)}.", field="sections")
    return None


def signing_problem(note: Note, fmt: NoteFormat) -> ValidationError | None:
    """Why a draft cannot be signed yet (empty sections, no minutes), or None."""
    missing = missing_sections_problem(fmt, note.sections)
    if missing:
        return missing
    if not note.minutes:
        return ValidationError("Minutes: record how long the service lasted before signing.", field="minutes")
    return None


def note_content_hash(*, sections: dict, service_date: dt.date, starts_at: dt.time | None,
                      ends_at: dt.time | None, minutes: int, objective_ids: list[str], author_id) -> str:
    """SHA-256 of what a signature covers: sections, date, times, minutes, objectives, author."""
    return content_hash({
        "sections": sections, "service_date": service_date, "starts_at": starts_at,
        "ends_at": ends_at, "minutes": minutes, "objectives": sorted(str(o) for o in objective_ids),
        "author": str(author_id),
    })


def signing_values(note: Note, objective_ids: list[str], signer: Staff, signed_at: dt.datetime) -> dict:
    """The column values that sign `note` now: status (awaiting co-signature for staff who need
    it), time, content hash. The caller writes them in its transaction."""
    digest = note_content_hash(
        sections=note.sections, service_date=note.service_date, starts_at=note.starts_at,
        ends_at=note.ends_at, minutes=note.minutes, objective_ids=objective_ids, author_id=note.author_id)
    return {
        "status": "awaiting_cosign" if signer.needs_cosign else "signed",
        "signed_at": signed_at,
        "content_hash": digest,
        "cosign_required": bool(signer.needs_cosign),
    }


def check_links(kind: str, fmt: str, group_session_id, family_session_id) -> None:
    """GROUP is only a group note's format; sessions belong to notes of their own kind."""
    if fmt == "GROUP" and kind != "group":
        raise ValidationError("Note format: GROUP is the individualized part of a group note.",
                              field="note_format")
    if fmt == "GROUP" and group_session_id is None:
        raise ValidationError("Group session: a GROUP note belongs to a group session.", field="group_session")
    if group_session_id is not None and kind != "group":
        raise ValidationError("Group session: only a group note belongs to a group session.",
                              field="group_session")
    if family_session_id is not None and kind != "family":
        raise ValidationError("Family session: only a family note belongs to a family session.",
                              field="family_session")


def group_note_problem(note: Note) -> ValidationError | None:
    """Why a group note cannot be signed yet (no shared part, client not attending), or None."""
    if note.group_session_id is None:
        return None
    shared = GroupSession.select(GroupSession.shared_note).where(
        GroupSession.id == note.group_session_id).scalar()
    if not (shared or "").strip():
        return ValidationError("Shared note: write the session's shared part first.", field="shared_note")
    status = Attendance.select(Attendance.status).where(
        (Attendance.session == note.group_session_id) & (Attendance.client == note.client_id)).scalar()
    if not gets_group_note(status):
        return ValidationError("Attendance: record this client as attending before signing.",
                               field="attendance")
    return None


def group_session_link(cid: uuid.UUID, session_id) -> uuid.UUID | None:
    """The group session a new note belongs to; one note per client per session."""
    if session_id is None:
        return None
    sid = as_uuid(session_id, "group session")
    if not GroupSession.select().where(GroupSession.id == sid).exists():
        raise NotFound(f"No group session with id {session_id}.", field="group_session")
    if Note.select().where((Note.group_session == sid) & (Note.client == cid)).exists():
        raise ValidationError("Group session: this client already has a note for this session.",
                              field="group_session")
    return sid


def family_session_link(cid: uuid.UUID, session_id) -> uuid.UUID | None:
    """The family session a new note belongs to; it must be this client's."""
    if session_id is None:
        return None
    sid = as_uuid(session_id, "family session")
    owner = FamilySession.select(FamilySession.client).where(FamilySession.id == sid).scalar()
    if owner is None:
        raise NotFound(f"No family session with id {session_id}.", field="family_session")
    if owner != cid:
        raise ValidationError("Family session: it belongs to another client.", field="family_session")
    return sid
