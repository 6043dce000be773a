"""Checking that signed notes and their addenda are still what was signed (part of `iopdesk check`),
and reading a guard trigger's refusal as RecordLocked.

A signed note stores the content hash of what its signature covers; signing wrote that hash into
the keyed audit chain too (a "sign" event's `detail.hash`), as adding an addendum did for the
addendum. `signed_notes_problem` recomputes each signed note's hash from its columns and compares
it with the stored one and with the one its sign event recorded. Every signed record (notes
included) is also sealed, and checked against its seal, by iopdesk/audit/sealing.py; the guard
triggers that refuse changes to sealed records are iopdesk/audit/guards.py (migration 0009).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import peewee

from iopdesk.clinical.note_rules import SIGNED_STATES
from iopdesk.errors import RecordLocked
from iopdesk.models import AuditEvent, Note, NoteAddendum, NoteObjective
from iopdesk.storage.records import content_hash

REFUSAL_MARK = "sealed record:"


@contextmanager
def refusals_as_record_locked() -> Iterator[None]:
    """Within the block, the guard triggers' refusal (migration 0006) becomes RecordLocked with
    a sentence a clinician can read; other database errors pass unchanged."""
    try:
        yield
    except peewee.DatabaseError as exc:
        if REFUSAL_MARK not in str(exc):
            raise
        what = str(exc).split(REFUSAL_MARK, 1)[1].strip().splitlines()[0]
        raise RecordLocked(f"Signed record: {what}. Nothing was changed.") from None


def _recorded_hashes(action: str, key: str) -> dict[str, str]:
    """entity/addendum id → the hash its newest audit event of `action` recorded."""
    out: dict[str, str] = {}
    query = (AuditEvent.select(AuditEvent.entity_id, AuditEvent.detail)
             .where((AuditEvent.action == action) & (AuditEvent.entity == "note"))
             .order_by(AuditEvent.occurred_at).tuples())
    for entity_id, detail in query.iterator():
        detail = json.loads(detail) if isinstance(detail, str) else (detail or {})
        if "hash" in detail:
            out[str(detail.get(key) or entity_id)] = detail["hash"]
    return out


def signed_notes_problem() -> str:
    """A sentence naming the first signed note or addendum that was altered, or "" if none."""
    from iopdesk.clinical.note_rules import note_content_hash

    objectives: dict[str, list[str]] = {}
    for note_id, objective_id in NoteObjective.select(NoteObjective.note, NoteObjective.objective).tuples():
        objectives.setdefault(str(note_id), []).append(str(objective_id))
    signed = _recorded_hashes("sign", "note")
    query = (Note.select(Note.id, Note.sections, Note.service_date, Note.starts_at, Note.ends_at, Note.minutes,
                         Note.author, Note.content_hash, Note.signed_at)
             .where(Note.status.in_(SIGNED_STATES)).order_by(Note.signed_at, Note.id).tuples())
    hashes: dict[str, str] = {}
    for row in query.iterator():
        note_id, sections, service_date, starts_at, ends_at, minutes, author, stored, signed_at = row
        sections = json.loads(sections) if isinstance(sections, str) else sections
        digest = note_content_hash(sections=sections or {}, service_date=service_date, starts_at=starts_at,
                                   ends_at=ends_at, minutes=minutes,
                                   objective_ids=sorted(objectives.get(str(note_id), [])), author_id=author)
        recorded = signed.get(str(note_id))
        if digest != stored or (recorded is not None and recorded != stored):
            return f"signed note {note_id} (signed {signed_at:%Y-%m-%d}) was changed after it was signed"
        hashes[str(note_id)] = stored
    added = _recorded_hashes("addendum", "addendum")
    query = (NoteAddendum.select(NoteAddendum.id, NoteAddendum.note, NoteAddendum.author, NoteAddendum.text,
                                 NoteAddendum.signed_at, NoteAddendum.content_hash).tuples())
    for addendum_id, note_id, author, text, signed_at, stored in query.iterator():
        digest = content_hash({"note": note_id, "note_hash": hashes.get(str(note_id)), "text": text,
                               "author": author, "signed_at": signed_at})
        recorded = added.get(str(addendum_id))
        if digest != stored or (recorded is not None and recorded != stored):
            return f"an addendum to note {note_id} was changed after it was signed"
    return ""
