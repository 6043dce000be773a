"""Group notes: each attendee's individualized part (GROUP format), the session's members and
shared part as the name checks read them, and signing a whole session at once.

Invariants: only a client who attended (present, late arrival, left early) gets a group note, with
the attendance minutes and times and the session's date; the name checks (`iopdesk.clinical.name_checks`)
never block a save, but they block signing: a section naming another member (in full, or by a
name theirs alone in the group) is not signed unless an override covers the words, and a shared
part naming any member (it is copied to every attendee's chart) signs nothing; near-identical text
across clients stays a warning. `sign_session` signs every complete, unblocked section by its
author in one transaction, through `note_rules.signing_values` like any note, and nothing when the
shared part is empty.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from iopdesk.clinical.attendance import STATUS_WORDS, gets_group_note
from iopdesk.clinical.name_rules import Finding, Person, blocking
from iopdesk.clinical.note_formats import lookup_format
from iopdesk.clinical.note_rules import (
    SIGNED_STATES,
    episodes_on,
    objective_ids_by_note,
    objectives_by_client,
    replace_objectives,
    signing_problem,
    signing_values,
)
from iopdesk.errors import RecordLocked, ValidationError
from iopdesk.kernel.clock import utcnow
from iopdesk.models import Client, GroupEnrollment, Note, Staff
from iopdesk.storage.records import bulk_update, insert_records

ClientNames = Person  # the names of one member of a session (kept under the name callers know)
SessionWarning = Finding  # what `GroupService.warnings` returns


@dataclass(frozen=True)
class BlockedSection:
    """A section that names another client (`client_id`; None: the shared part, which blocks the
    whole session), with the reason and the findings that block it."""

    client_id: str | None
    reason: str
    findings: tuple[Finding, ...]


@dataclass(frozen=True)
class SignAllResult:
    signed: list[str]
    incomplete: list[tuple[str, str]]
    blocked: list[BlockedSection] = field(default_factory=list)


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
        if not gets_group_note(status):
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


def blocked_reason(findings: list[Finding]) -> str:
    """Why a section (or the shared part) cannot be signed: the words and whom they name."""
    words = ", ".join(f"“{f.words}” ({', '.join(i for _, i in f.named)})" for f in findings)
    if findings and findings[0].client_id is None:
        return (f"Shared part: names a client ({words}); it is copied into every chart, so nothing in this "
                "session is signed until the name is taken out or overridden with a reason.")
    return (f"Names another client ({words}); write the initials instead, or override with a reason "
            "if the words mean someone else.")


def sign_session(
    session, clients: list[uuid.UUID], attendance: dict[uuid.UUID, tuple], signer: Staff, *, lock: bool,
    check: Callable[[dict[str, dict]], list[Finding]], write: bool = True,
) -> tuple[SignAllResult, list[Note], list[Finding]]:
    """Sign every complete group note of the session written by `signer` (in the caller's
    transaction) whose section names no other client; list every other client with the reason.
    `check(sections)` gives the findings (overrides applied) for client id → sections; a blocking
    finding in the shared part signs nothing. With `write` False nothing is written: what would be
    signed. Returns the result, the notes signed and the findings."""
    fmt = lookup_format("GROUP")
    query = Note.select().where(Note.group_session == session.id)
    notes = {n.client_id: n for n in (query.for_update() if lock and write else query)}
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
        elif not gets_group_note(status):
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
        return SignAllResult([], incomplete), [], []
    findings = check({str(n.client_id): n.sections for n in to_sign})
    to_sign, blocked = _unblocked(to_sign, findings, incomplete)
    result = SignAllResult([str(n.client_id) for n in to_sign], incomplete, blocked)
    if not write:
        return result, [], findings
    now = utcnow()
    objectives = objective_ids_by_note([n.id for n in to_sign])
    for note in to_sign:
        for key, value in signing_values(note, objectives.get(note.id, []), signer, now).items():
            setattr(note, key, value)
        note.version, note.updated_at = note.version + 1, now
    if to_sign:
        bulk_update(Note, to_sign, fields=[Note.status, Note.signed_at, Note.content_hash,
                                          Note.cosign_required, Note.version, Note.updated_at])
    return result, to_sign, findings


def _unblocked(to_sign: list[Note], findings: list[Finding],
               incomplete: list[tuple[str, str]]) -> tuple[list[Note], list[BlockedSection]]:
    """The notes no blocking finding holds back, and the blocked sections (the shared part first)."""
    shared = blocking(f for f in findings if f.client_id is None)
    if shared:
        reason = blocked_reason(shared)
        incomplete += [(str(n.client_id), "Shared part: it names a client; nothing in this session is signed "
                        "until that is fixed or overridden.") for n in to_sign]
        return [], [BlockedSection(None, reason, tuple(shared))]
    keep, blocked = [], []
    for note in to_sign:
        found = blocking(f for f in findings if f.client_id == str(note.client_id))
        if found:
            blocked.append(BlockedSection(str(note.client_id), blocked_reason(found), tuple(found)))
        else:
            keep.append(note)
    return keep, blocked


def session_people(session, also: set) -> list[Person]:
    """The session's members: clients enrolled on its date plus `also`, by last and first name."""
    enrolled = GroupEnrollment.select(GroupEnrollment.client).where(
        (GroupEnrollment.group == session.group_id) & (GroupEnrollment.enrolled_on <= session.session_date)
        & (GroupEnrollment.ended_on.is_null() | (GroupEnrollment.ended_on >= session.session_date)))
    where = Client.id.in_(enrolled)
    if also:
        where |= Client.id.in_(list(also))
    query = Client.select(Client.id, Client.legal_first, Client.legal_last, Client.preferred_name).where(
        where).order_by(Client.legal_last, Client.legal_first, Client.id).tuples()
    return [Person(str(i), first, last, preferred) for i, first, last, preferred in query]


def shared_fields(session) -> dict[str, str]:
    """The session's shared part, field by field, as the name checks read it."""
    return {"topic": session.topic or "", "modality": session.modality or "", "shared_note": session.shared_note or ""}


def session_participants(facilitators: list[str]) -> str:
    """The participants line of every group note: members are not named."""
    return "Group members (not named in this chart); facilitators: " + ", ".join(facilitators)

