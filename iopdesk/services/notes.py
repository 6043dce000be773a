"""Clinical notes: drafts, reading (narrative only for clinical roles), signing.

Invariants: reading a note's text needs `chart.read_narrative` (a biller sees that a note exists,
its date, type and status, never its words); every read of a note body is audited; a signed note
never changes; signing needs every section of its format filled.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from ..changes import Changes
from ..clock import utcnow
from ..errors import NotFound, RecordLocked, ValidationError
from ..models import Client, Note, Staff
from ..note_formats import lookup_format, note_kind
from ..records import as_uuid, content_hash, update_versioned
from ..validation import as_date
from .base import Service
from .clients import client_uuid

SIGNED_STATES = ("signed", "awaiting_cosign", "cosigned")


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


def _note_uuid(note_id) -> uuid.UUID:
    return as_uuid(note_id, "note")


class NoteService(Service):
    def create_draft(
        self,
        client_id,
        *,
        kind: str,
        note_format: str,
        service_date: dt.date | str,
        minutes: int = 0,
        sections: dict | None = None,
    ) -> tuple[NoteView, Changes]:
        """Start a draft note for a client; raises ValidationError naming the field."""
        self.actor.require("note.write")
        fmt = lookup_format(note_format)
        kind = note_kind(kind)
        when = as_date(service_date, "service_date", "Date of service")
        if minutes < 0 or minutes > 24 * 60:
            raise ValidationError("Minutes: must be between 0 and 1440.", field="minutes")
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            author = Staff.get_by_id(self.actor.id)
            note = Note.create(
                client=cid, kind=kind, note_format=fmt.code, service_date=when, minutes=minutes,
                author=author, sections=fmt.clean(sections),
                cosign_required=author.needs_cosign,
            )
            self._audit("create", "note", note.id, client_id=cid)
        return self._view(note), Changes.of("note", client_id=cid)

    def list_for_client(self, client_id) -> list[NoteListItem]:
        """Every note of a client, newest first, without narrative (any chart reader)."""
        self.actor.require("chart.read")
        cid = client_uuid(client_id)
        query = (
            Note.select(
                Note.id, Note.client, Note.kind, Note.note_format, Note.service_date, Note.minutes,
                Staff.display_name, Note.status,
            )
            .join(Staff, on=(Note.author == Staff.id))
            .where(Note.client == cid)
            .order_by(Note.service_date.desc(), Note.created_at.desc())
            .tuples()
        )
        return [
            NoteListItem(str(i), str(c), k, f, d, m, a, s) for i, c, k, f, d, m, a, s in query
        ]

    def get(self, note_id) -> NoteView:
        """A note with its text; needs `chart.read_narrative`. The read is audited."""
        self.actor.require("chart.read_narrative")
        note = Note.get_or_none(Note.id == _note_uuid(note_id))
        if note is None:
            raise NotFound(f"No note with id {note_id}.")
        with self.db.atomic():
            self._audit("read", "note", note.id, client_id=note.client_id)
        return self._view(note)

    def save_draft(self, note_id, expected_version: int, sections: dict) -> tuple[NoteView, Changes]:
        """Replace a draft's sections. Raises RecordLocked for a signed note."""
        self.actor.require("note.write")
        with self.db.atomic():
            note = self._draft_for_edit(note_id)
            cleaned = lookup_format(note.note_format).clean(sections)
            update_versioned(note, expected_version, sections=cleaned)
            self._audit("update", "note", note.id, client_id=note.client_id)
        return self._view(note), Changes.of("note", client_id=note.client_id)

    def sign(self, note_id, expected_version: int) -> tuple[NoteView, Changes]:
        """Sign and lock a note. Raises ValidationError listing empty sections."""
        self.actor.require("note.sign")
        with self.db.atomic():
            note = self._draft_for_edit(note_id)
            if note.author_id != self.actor.id:
                raise ValidationError("Only the author can sign this note.", field="author")
            missing = lookup_format(note.note_format).missing(note.sections)
            if missing:
                raise ValidationError(
                    f"Cannot sign yet: fill in {', '.join(missing)}.", field="sections"
                )
            status = "awaiting_cosign" if note.cosign_required else "signed"
            signed_at = utcnow()
            digest = content_hash(
                {"sections": note.sections, "service_date": note.service_date, "minutes": note.minutes,
                 "author": note.author_id, "signed_at": signed_at}
            )
            update_versioned(note, expected_version, status=status, signed_at=signed_at, content_hash=digest)
            self._audit("sign", "note", note.id, client_id=note.client_id, detail={"hash": digest})
        return self._view(note), Changes.of("note", client_id=note.client_id)

    def _draft_for_edit(self, note_id) -> Note:
        note = Note.get_or_none(Note.id == _note_uuid(note_id))
        if note is None:
            raise NotFound(f"No note with id {note_id}.")
        if note.status in SIGNED_STATES:
            raise RecordLocked(
                "This note is signed and cannot be changed; add an addendum instead.", field="sections"
            )
        return note

    @staticmethod
    def _view(note: Note) -> NoteView:
        author = Staff.select(Staff.display_name).where(Staff.id == note.author_id).scalar()
        return NoteView(
            id=str(note.id), client_id=str(note.client_id), kind=note.kind,
            note_format=note.note_format, service_date=note.service_date, minutes=note.minutes,
            author=author or "", status=note.status, sections=dict(note.sections),
            version=note.version, signed_at=note.signed_at, content_hash=note.content_hash,
        )
