"""Signed notes that name another client: the administrator's list, and the notes kept out of
releases.

Notes signed before the name rule blocked signing (or signed elsewhere and synced) may carry another
client's name for good; a signed note never changes, so each needs an addendum, and no copy may
leave the program. `scan_signed_notes` finds them with the same rule as signing
(`iopdesk.clinical.name_checks`): a group note is checked against the members of its session (its section,
and the session's shared part, which every member's copy carries) and, like every other note,
against the full names of every client of the program (discharged ones too: their identity is as
protected). Only blocking findings are listed; words an override let stand at signing (a
"name_override" event of that note in the audit trail) are left out.

Speed: every client's names are read once and indexed; notes are read in chunks by id with their
sessions' members and shared parts, and a note's words are compared with the index as a set before
any finer look, so a note naming no one costs one tokenising pass (465,000 notes: see the report of
`make bench` or the test's figures). No permission check here: the service methods that call it
check theirs and audit the read.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from iopdesk.clinical.name_checks import note_findings, section_findings, shared_part_findings
from iopdesk.clinical.name_rules import WORD, Finding, NameIndex, Person, fold
from iopdesk.clinical.note_rules import SIGNED_STATES
from iopdesk.models import (
    Attendance,
    AuditEvent,
    Client,
    GroupEnrollment,
    GroupSession,
    Note,
    NoteAddendum,
    Staff,
)
from iopdesk.services.notes.names import OVERRIDE_ACTION

CHUNK = 2000


@dataclass(frozen=True)
class NamedNote:
    """A signed note that names another client: whose note it is, when, by whom, and the names
    found (words as written, the client they name, that client's initials, the field)."""

    note_id: str
    client_id: str
    mrn: str
    client_name: str
    service_date: dt.date
    kind: str
    author: str
    status: str
    names: tuple[tuple[str, str, str, str], ...]  # (words, named client id, initials, field)
    addenda: int = 0
    group_session_id: str | None = None

    @property
    def names_text(self) -> str:
        """"“Jordan Smith” (J.S.); “Okafor” (A.O.)"."""
        return "; ".join(f"“{words}” ({initials})" for words, _, initials, _ in self.names)


@dataclass(frozen=True)
class NameReview:
    notes: list[NamedNote]
    scanned: int
    total: int

    @property
    def complete(self) -> bool:
        return self.scanned >= self.total


class _Session:
    """One group session's members (indexed) and the blocking findings of its shared part: any
    member's name, and any client's full name."""

    def __init__(self, people: list[Person], shared: dict[str, str], everyone: NameIndex) -> None:
        self.index = NameIndex(people)
        self.shared = shared_part_findings(self.index, shared)
        seen = {(f.field, f.start) for f in self.shared}
        self.shared += [f for f in shared_part_findings(everyone, shared) if (f.field, f.start) not in seen]


_LETTERS = bytes(c if chr(c).isascii() and chr(c).isalpha() or c == ord("'") else 32 for c in range(128)).lower() \
    + bytes(range(128, 256))


def _words(text: str) -> set:
    """The words of `text` as compared with names: bytes for ASCII text (fast), folded text otherwise."""
    if text.isascii():
        return set(text.encode().translate(_LETTERS).split())
    return {fold(w) for w in WORD.findall(text)}


def _raw_words(sections, participants) -> set:
    """The words of a note as stored (its sections' JSON text), without decoding it when it is plain."""
    text = sections if isinstance(sections, str) else " ".join(str(v) for v in (sections or {}).values())
    if "\\u" in text:  # JSON escapes of accented letters
        text = " ".join(str(v) for v in json.loads(text).values())
    else:
        text = text.replace("\\n", " ").replace("\\t", " ").replace("\\r", " ")
    return _words(text + " " + (participants or ""))


def _keys_of(people: dict[str, Person]) -> set:
    keys = {k for p in people.values() for k in p.keys()}
    return keys | {k.encode() for k in keys if k.isascii()}


def scan_signed_notes(client_id: uuid.UUID | None = None, *,
                      progress: Callable[[int, int], None] | None = None,
                      cancelled: Callable[[], bool] | None = None) -> NameReview:
    """Every signed note (of `client_id` alone, when given) that names another client, oldest
    first. A first pass reads each note's stored text and keeps those holding any client's name
    word (and every note of a session whose shared part holds one); the second checks those with
    the rule. `progress(done, total)` follows the first pass; `cancelled()` True stops early (the
    review then says how many were scanned)."""
    signed = Note.status.in_(SIGNED_STATES)
    if client_id is not None:
        signed &= Note.client == client_id
    total = Note.select().where(signed).count()
    people: dict[str, Person] = {}
    mrns: dict[str, str] = {}
    for cid, first, last, preferred, mrn in Client.select(
            Client.id, Client.legal_first, Client.legal_last, Client.preferred_name, Client.mrn).tuples():
        people[str(cid)] = Person(str(cid), first, last, preferred)
        mrns[str(cid)] = mrn
    keys = _keys_of(people)
    candidates, sessions, done, last_id = [], set(), 0, None
    db = Note._meta.database
    while done < total and not (cancelled and cancelled()):
        query = Note.select(Note.id, Note.sections, Note.participants, Note.group_session).where(signed)
        if last_id is not None:
            query = query.where(Note.id > last_id)
        chunk = db.execute(query.order_by(Note.id).limit(CHUNK)).fetchall()
        if not chunk:
            break
        last_id = chunk[-1][0]
        for note_id, sections, participants, session_id in chunk:
            if session_id is not None:
                sessions.add(session_id)
            if not keys.isdisjoint(_raw_words(sections, participants if session_id is None else "")):
                candidates.append(note_id)
        done += len(chunk)
        if progress:
            progress(min(done, total), total)
    candidates += _notes_of_named_sessions(sessions, keys, signed)
    everyone = NameIndex(people.values(), full_only=True)
    found: list[tuple[tuple, list[Finding]]] = []
    for batch in _batches(sorted({_uuid(c) for c in candidates})):
        rows = Note.select(Note.id, Note.client, Note.kind, Note.service_date, Note.author, Note.status,
                           Note.sections, Note.participants, Note.group_session).where(
            Note.id.in_(batch)).tuples()
        found += _scan_chunk(list(rows), people, everyone)
    return NameReview(_rows(found, people, mrns), min(done, total), total)


def _uuid(value) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


def _batches(items: list, size: int = 500):
    return (items[i:i + size] for i in range(0, len(items), size))


def _notes_of_named_sessions(sessions: set, keys: set, signed) -> list:
    """Signed notes of the sessions whose shared part holds a client's name word."""
    named = []
    for batch in _batches(sorted({_uuid(s) for s in sessions})):
        query = GroupSession.select(GroupSession.id, GroupSession.topic, GroupSession.modality,
                                    GroupSession.shared_note).where(GroupSession.id.in_(batch)).tuples()
        named += [sid for sid, *texts in query if not keys.isdisjoint(_words(" ".join(t or "" for t in texts)))]
    out = []
    for batch in _batches(named):
        out += [i for (i,) in Note.select(Note.id).where(signed & Note.group_session.in_(batch)).tuples()]
    return out


def _scan_chunk(chunk: list[tuple], people: dict[str, Person], everyone: NameIndex) -> list[tuple]:
    sessions = _sessions({row[8] for row in chunk if row[8] is not None}, people, everyone)
    out = []
    for row in chunk:
        note_id, cid, _kind, _day, _author, _status, sections, participants, session_id = row
        fields = {k: v for k, v in (sections or {}).items() if isinstance(v, str)}
        if session_id is None and participants:
            fields["participants"] = participants
        session = sessions.get(session_id)
        own = people.get(str(cid))
        if own is None:
            continue
        findings = [f for f in session.shared if set(f.named_ids) - {own.client_id}] if session else []
        if session:
            findings += [f for f in section_findings(own, session.index, fields) if f.blocking]
        seen = {(f.field, f.start) for f in findings}
        findings += [f for f in note_findings(own, everyone, fields) if (f.field, f.start) not in seen]
        if findings:
            out.append((row, findings))
    return out


def _sessions(ids: set, people: dict[str, Person], everyone: NameIndex) -> dict:
    """Each session's members (enrolled that day, attending or with a note) and shared part."""
    if not ids:
        return {}
    rows = {sid: (group, day, {"topic": t or "", "modality": m or "", "shared_note": n or ""})
            for sid, group, day, t, m, n in GroupSession.select(
                GroupSession.id, GroupSession.group, GroupSession.session_date, GroupSession.topic,
                GroupSession.modality, GroupSession.shared_note).where(GroupSession.id.in_(list(ids))).tuples()}
    members: dict = {sid: set() for sid in rows}
    enrolled = GroupEnrollment.select(GroupEnrollment.group, GroupEnrollment.client, GroupEnrollment.enrolled_on,
                                      GroupEnrollment.ended_on).where(
        GroupEnrollment.group.in_(list({group for group, _, _ in rows.values()}))).tuples()
    by_group: dict = {}
    for group, cid, start, end in enrolled:
        by_group.setdefault(group, []).append((str(cid), start, end))
    for sid, (group, day, _) in rows.items():
        members[sid] |= {cid for cid, start, end in by_group.get(group, ()) if start <= day and (end is None or end >= day)}
    for model, session, client in ((Attendance, Attendance.session, Attendance.client),
                                   (Note, Note.group_session, Note.client)):
        for sid, cid in model.select(session, client).where(session.in_(list(rows))).tuples():
            members[sid].add(str(cid))
    return {sid: _Session([people[c] for c in sorted(members[sid]) if c in people], rows[sid][2], everyone)
            for sid in rows}


def _overridden(found: list[tuple]) -> set[tuple[str, tuple, str]]:
    """(note id, words folded, named client id) of every override kept at signing for these notes."""
    if not found:
        return set()
    clients = list({row[1] for row, _ in found})
    notes = {str(row[0]) for row, _ in found}
    out = set()
    for batch in _batches(clients):
        query = AuditEvent.select(AuditEvent.entity_id, AuditEvent.detail).where(
            (AuditEvent.action == OVERRIDE_ACTION) & (AuditEvent.entity == "note")
            & AuditEvent.client_id.in_(batch)).tuples()
        for entity_id, detail in query:
            if entity_id in notes:
                out.add((entity_id, _key(detail.get("words", "")), str(detail.get("named_client_id", ""))))
    return out


def _key(words: str) -> tuple:
    return tuple(fold(w) for w in WORD.findall(words or ""))


def _rows(found: list[tuple], people: dict[str, Person], mrns: dict[str, str]) -> list[NamedNote]:
    overridden = _overridden(found)
    authors = dict(Staff.select(Staff.id, Staff.display_name).tuples())
    kept = []
    for row, findings in found:
        note_id = str(row[0])
        names = []
        for f in findings:
            for named_id, initials in f.named:
                if named_id == str(row[1]):
                    continue
                entry = (f.words, named_id, initials, f.field)
                if (note_id, _key(f.words), named_id) not in overridden and entry not in names:
                    names.append(entry)
        if names:
            kept.append((row, tuple(names)))
    ids = [row[0] for row, _ in kept]
    addenda: dict = {}
    for batch in _batches(ids):
        for note_id in NoteAddendum.select(NoteAddendum.note).where(NoteAddendum.note.in_(batch)).tuples():
            addenda[note_id[0]] = addenda.get(note_id[0], 0) + 1
    out = []
    for (note_id, cid, kind, day, author, status, _s, _p, session_id), names in kept:
        person = people[str(cid)]
        out.append(NamedNote(str(note_id), str(cid), mrns[str(cid)], f"{person.first} {person.last}", day, kind,
                             authors.get(author, ""), status, names, addenda.get(note_id, 0),
                             str(session_id) if session_id else None))
    out.sort(key=lambda n: (n.service_date, n.mrn, n.note_id))
    return out
