"""What a reader sees of a note: the list row any chart reader may see (no narrative), the note
with its text, objectives and addenda, and the addendum — plain frozen data for screens and
documents, built from the note rows by `note_view` and `list_items`.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import peewee

from iopdesk.models import Note, NoteAddendum, NoteObjective, PlanObjective, Staff


@dataclass(frozen=True)
class NoteListItem:
    """What any chart reader may see of a note: no narrative."""

    id: str
    client_id: str
    kind: str
    note_format: str
    service_date: dt.date
    minutes: int
    author: str
    status: str


@dataclass(frozen=True)
class AddendumView:
    id: str
    label: str
    author: str
    text: str
    signed_at: dt.datetime
    content_hash: str


@dataclass(frozen=True)
class NoteView:
    id: str
    client_id: str
    kind: str
    note_format: str
    service_date: dt.date
    minutes: int
    author: str
    status: str
    sections: dict
    version: int
    signed_at: dt.datetime | None
    content_hash: str | None
    episode_id: str | None
    starts_at: dt.time | None
    ends_at: dt.time | None
    participants: str
    place_of_service: str
    objective_ids: tuple[str, ...]
    group_session_id: str | None
    family_session_id: str | None
    cosign_required: bool
    cosigned_by: str | None
    cosigned_at: dt.datetime | None
    addenda: tuple[AddendumView, ...]
    objectives: tuple[tuple[str, str], ...] = ()  # (id, statement) of the objectives addressed, as objective_ids
    author_credentials: str = ""
    cosigner_credentials: str = ""


def note_view(note: Note) -> NoteView:
    """The read model of a note row (callers check `chart.read_narrative` first)."""
    staff = {i: (name, cred) for i, name, cred in Staff.select(Staff.id, Staff.display_name, Staff.credentials).where(
        Staff.id.in_([note.author_id, note.cosigned_by_id])).tuples()}
    names = {i: name for i, (name, _) in staff.items()}
    statements = dict(PlanObjective.select(PlanObjective.id, PlanObjective.statement).join(
        NoteObjective, on=(NoteObjective.objective == PlanObjective.id)).where(NoteObjective.note == note.id).tuples())
    objective_ids = sorted(str(o) for o in statements)
    addenda = (
        NoteAddendum.select(NoteAddendum.id, Staff.display_name, NoteAddendum.text,
                            NoteAddendum.signed_at, NoteAddendum.content_hash)
        .join(Staff, on=(NoteAddendum.author == Staff.id))
        .where(NoteAddendum.note == note.id)
        .order_by(NoteAddendum.signed_at, NoteAddendum.id)
        .tuples()
    )
    return NoteView(
        id=str(note.id), client_id=str(note.client_id), kind=note.kind,
        note_format=note.note_format, service_date=note.service_date, minutes=note.minutes,
        author=names.get(note.author_id, ""), status=note.status, sections=dict(note.sections),
        version=note.version, signed_at=note.signed_at, content_hash=note.content_hash,
        episode_id=str(note.episode_id) if note.episode_id else None,
        starts_at=note.starts_at, ends_at=note.ends_at, participants=note.participants,
        place_of_service=note.place_of_service,
        objective_ids=tuple(objective_ids),
        group_session_id=str(note.group_session_id) if note.group_session_id else None,
        family_session_id=str(note.family_session_id) if note.family_session_id else None,
        cosign_required=note.cosign_required,
        cosigned_by=names.get(note.cosigned_by_id) if note.cosigned_by_id else None,
        cosigned_at=note.cosigned_at,
        addenda=tuple(AddendumView(str(i), f"Addendum {n}", who, text, when, digest)
                      for n, (i, who, text, when, digest) in enumerate(addenda, start=1)),
        objectives=tuple((o, statements[uuid.UUID(o)]) for o in objective_ids),
        author_credentials=staff.get(note.author_id, ("", ""))[1],
        cosigner_credentials=staff[note.cosigned_by_id][1] if note.cosigned_by_id in staff else "",
    )


def list_query() -> peewee.ModelSelect:
    return Note.select(
        Note.id, Note.client, Note.kind, Note.note_format, Note.service_date, Note.minutes,
        Staff.display_name, Note.status,
    ).join(Staff, on=(Note.author == Staff.id))


def list_items(query: peewee.ModelSelect) -> list[NoteListItem]:
    return [NoteListItem(str(i), str(c), k, f, d, m, a, s) for i, c, k, f, d, m, a, s in query.tuples()]
