"""Group notes: each attendee's individualized part (GROUP format), the checks a facilitator sees
before signing, and signing a whole session at once.

Invariants: only a client who attended (present, late arrival, left early) gets a group note, with
the attendance minutes and times and the session's date; warnings never block a save, they are
returned for the facilitator to read (another client's name in a section, near-identical text
across clients — a payer audit trigger —, any client's name in the shared part, which is copied to
every attendee's chart); `sign_session` signs every complete section by its author in one
transaction, through `note_rules.signing_values` like any note, and nothing when the shared part
is empty.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import combinations

from ..clock import utcnow
from ..errors import RecordLocked, ValidationError
from ..models import Note, Staff
from ..note_formats import lookup_format
from ..records import bulk_update, insert_records
from .note_rules import (
    ATTENDED,
    SIGNED_STATES,
    episodes_on,
    objective_ids_by_note,
    objectives_by_client,
    replace_objectives,
    signing_problem,
    signing_values,
)

STATUS_WORDS = {
    "present": "present", "late_arrival": "a late arrival", "left_early": "left early",
    "absent_excused": "absent (excused)", "absent_unexcused": "absent (no-show)", "cancelled": "cancelled",
}


@dataclass(frozen=True)
class ClientNames:
    """The names a facilitator might type for one client, and the initials to use instead."""

    client_id: str
    first: str
    last: str
    preferred: str

    @property
    def display_name(self) -> str:
        """"Preferred (Legal) Last", or "Legal Last" without a different preferred name."""
        if self.preferred and self.preferred.lower() != self.first.lower():
            return f"{self.preferred} ({self.first}) {self.last}"
        return f"{self.first} {self.last}"

    @property
    def addressed_as(self) -> str:
        """How the clinic addresses the client in the room: preferred (or legal) first name and last name."""
        return f"{self.preferred or self.first} {self.last}"

    @property
    def initials(self) -> str:
        given = self.preferred or self.first
        return f"{given[:1].upper()}.{self.last[:1].upper()}."

    def words(self) -> set[str]:
        return {w.strip().lower() for w in (self.first, self.last, self.preferred) if len(w.strip()) > 1}


@dataclass(frozen=True)
class SessionWarning:
    kind: str  # "other_client_named", "similar_text", "client_named_in_shared_note"
    client_id: str | None
    message: str


@dataclass(frozen=True)
class SignAllResult:
    signed: list[str]
    incomplete: list[tuple[str, str]]


def _pattern(words: set[str]) -> re.Pattern | None:
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def names_as_initials(text: str, others: list[tuple[set[str], str]], own: set[str] = frozenset()) -> str:
    """`text` with every mention of another client's names (`others`: (name words, initials)) —
    a whole word, or several in a row such as "Priya Nandakumar" — replaced by their initials,
    except words that are also the reader's own names."""
    for words, initials in others:
        names = {w.lower() for w in words} - {w.lower() for w in own}
        if not names or not text:
            continue
        one = "|".join(re.escape(w) for w in sorted(names, key=len, reverse=True))
        text = re.sub(rf"(?<!\w)(?:{one})(?:\s+(?:{one}))*(?!\w)", initials, text, flags=re.IGNORECASE)
    return text


def joined_text(sections: dict[str, str]) -> str:
    return "\n".join(v.strip() for v in sections.values() if (v or "").strip())


def find_warnings(
    people: list[ClientNames], sections: dict[str, dict[str, str]], shared_text: str, threshold: float
) -> list[SessionWarning]:
    """Warnings for a session's notes: `sections` maps client id → that client's GROUP sections."""
    out: list[SessionWarning] = []
    by_id = {p.client_id: p for p in people}
    for cid, parts in sections.items():
        me = by_id.get(cid)
        text = joined_text(parts)
        if me is None or not text:
            continue
        for other in people:
            pattern = _pattern(other.words() - me.words()) if other.client_id != cid else None
            hit = pattern.search(text) if pattern else None
            if hit:
                out.append(SessionWarning(
                    "other_client_named", cid,
                    f"{me.initials}'s section names another client (“{hit.group(0)}”, {other.initials}); "
                    "refer to other members by initials only."))
    texts = {cid: joined_text(parts) for cid, parts in sections.items() if joined_text(parts)}
    for (a, ta), (b, tb) in combinations(sorted(texts.items()), 2):
        matcher = SequenceMatcher(None, ta.lower(), tb.lower(), autojunk=False)
        if matcher.real_quick_ratio() < threshold or matcher.quick_ratio() < threshold:
            continue
        ratio = matcher.ratio()
        if ratio >= threshold:
            ia, ib = by_id[a].initials if a in by_id else "?", by_id[b].initials if b in by_id else "?"
            for cid, mine, theirs in ((a, ia, ib), (b, ib, ia)):
                out.append(SessionWarning(
                    "similar_text", cid,
                    f"{mine}'s individualized text is {ratio:.0%} like {theirs}'s; payers flag "
                    "near-identical group notes, so describe this client's own participation."))
    for person in people:
        pattern = _pattern(person.words())
        hit = pattern.search(shared_text or "") if pattern else None
        if hit:
            out.append(SessionWarning(
                "client_named_in_shared_note", person.client_id,
                f"The shared note names a client (“{hit.group(0)}”, {person.initials}); it is copied "
                "into every attendee's chart, so keep it free of anything that identifies a client."))
    return out


def save_sections(
    session, attendance: dict[uuid.UUID, tuple], entries: dict[uuid.UUID, tuple[dict, list]],
    author: Staff, participants: str, place_of_service: str,
) -> dict[uuid.UUID, tuple[uuid.UUID, str]]:
    """Create or update each attendee's group note draft (in the caller's transaction).

    `attendance` maps client → (status, arrived, left, minutes); `entries` maps client →
    (sections, objective ids). Returns client → (note id, "create" or "update"). Raises
    ValidationError naming the field (no attendance, absent, a section or objective refused, a
    draft by another author) and RecordLocked for a signed note.
    """
    fmt = lookup_format("GROUP")
    for cid in entries:
        status = attendance.get(cid, (None,))[0]
        if status is None:
            raise ValidationError("Attendance: record this client's attendance before their section.",
                                  field="attendance")
        if status not in ATTENDED:
            raise ValidationError(f"Attendance: the client was {STATUS_WORDS[status]}; only attendees "
                                  "get a group note.", field="attendance")
    cleaned = {cid: fmt.clean(sections) for cid, (sections, _) in entries.items()}
    objectives = objectives_by_client({cid: list(ids) for cid, (_, ids) in entries.items()})
    episodes = episodes_on(list(entries), session.session_date)
    existing = {n.client_id: n for n in Note.select().where(
        (Note.group_session == session.id) & Note.client.in_(list(entries)))}
    for note in existing.values():
        if note.status in SIGNED_STATES:
            raise RecordLocked("This client's group note is signed and cannot be changed; add an "
                               "addendum instead.", field="sections")
        if note.author_id != author.id:
            raise ValidationError("Only the author can change this draft.", field="author")
    now = utcnow()
    new_rows, changed, result = [], [], {}
    for cid in entries:
        _, arrived, left, minutes = attendance[cid]
        note = existing.get(cid)
        if note is None:
            row = {"client": cid, "episode": episodes[cid], "kind": "group", "note_format": "GROUP",
                   "service_date": session.session_date, "starts_at": arrived, "ends_at": left,
                   "minutes": minutes, "place_of_service": place_of_service, "participants": participants,
                   "author": author.id, "sections": cleaned[cid], "cosign_required": author.needs_cosign,
                   "group_session": session.id}
            new_rows.append(row)
            continue
        note.sections, note.starts_at, note.ends_at, note.minutes = cleaned[cid], arrived, left, minutes
        note.participants = participants
        note.version, note.updated_at = note.version + 1, now
        changed.append(note)
        result[cid] = (note.id, "update")
    insert_records(Note, new_rows)
    for row in new_rows:
        result[row["client"]] = (row["id"], "create")
    if changed:
        bulk_update(Note, changed, fields=[Note.sections, Note.starts_at, Note.ends_at, Note.minutes,
                                          Note.participants, Note.version, Note.updated_at])
    replace_objectives({note_id: [o for o, _ in objectives[cid]] for cid, (note_id, _) in result.items()})
    return result


def sign_session(
    session, clients: list[uuid.UUID], attendance: dict[uuid.UUID, tuple], signer: Staff, *, lock: bool
) -> tuple[SignAllResult, list[Note]]:
    """Sign every complete group note of the session written by `signer` (in the caller's
    transaction); list every other client with the reason. Returns the result and the notes signed."""
    fmt = lookup_format("GROUP")
    query = Note.select().where(Note.group_session == session.id)
    notes = {n.client_id: n for n in (query.for_update() if lock else query)}
    names = dict(Staff.select(Staff.id, Staff.display_name).where(
        Staff.id.in_({n.author_id for n in notes.values()} or {signer.id})).tuples())
    shared_empty = not (session.shared_note or "").strip()
    order = list(dict.fromkeys([*clients, *attendance, *notes]))
    to_sign: list[Note] = []
    incomplete: list[tuple[str, str]] = []
    for cid in order:
        note, status = notes.get(cid), attendance.get(cid, (None,))[0]
        if note is not None and note.status in SIGNED_STATES:
            continue
        reason = None
        if status is None:
            reason = "No attendance recorded."
        elif status not in ATTENDED:
            reason = f"Attendance: {STATUS_WORDS[status]}; no group note to sign."
        elif note is None:
            reason = "No individualized section written yet."
        elif note.author_id != signer.id:
            reason = f"Written by {names.get(note.author_id, 'another clinician')}; only the author signs."
        elif problem := signing_problem(note, fmt):
            reason = problem.message
        elif shared_empty:
            reason = "Shared note: the session's shared part is empty; nothing is signed until it is written."
        if reason:
            incomplete.append((str(cid), reason))
        else:
            to_sign.append(note)
    if shared_empty:
        return SignAllResult([], incomplete), []
    now = utcnow()
    objectives = objective_ids_by_note([n.id for n in to_sign])
    for note in to_sign:
        for key, value in signing_values(note, objectives.get(note.id, []), signer, now).items():
            setattr(note, key, value)
        note.version, note.updated_at = note.version + 1, now
    if to_sign:
        bulk_update(Note, to_sign, fields=[Note.status, Note.signed_at, Note.content_hash,
                                          Note.cosign_required, Note.version, Note.updated_at])
    return SignAllResult([str(n.client_id) for n in to_sign], incomplete), to_sign


def session_participants(facilitators: list[str]) -> str:
    """The participants line of every group note: members are not named."""
    return "Group members (not named in this chart); facilitators: " + ", ".join(facilitators)

