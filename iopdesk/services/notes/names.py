"""Where the name rule meets the database: whose names a note is checked against, the check made
when a note or a group session is signed, and the audit events that keep each override.

A group note is checked against the members of its session (its section) and the session's shared
part; any other note against the full names of the clients in care (an open episode). Signing
with overrides writes one "name_override" event per override used — the words, the reason, the
client they name, the field — in the signing transaction, so the trail says who let which words
stand and why, and the administrator's list of signed notes naming another client can leave them
out. The rule itself is `iopdesk.clinical.name_rules` / `iopdesk.clinical.name_checks`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from iopdesk.audit import chain as audit
from iopdesk.clinical.name_checks import note_findings, session_findings
from iopdesk.clinical.name_rules import (
    OVERRIDE_ACTION,
    Finding,
    NameIndex,
    NameOverride,
    Person,
    apply_overrides,
    blocking,
    used_overrides,
)
from iopdesk.errors import OtherClientNamed
from iopdesk.models import Client, Episode, GroupSession, Note
from iopdesk.permissions import Actor
from iopdesk.services.episodes import OPEN_STATUSES
from iopdesk.services.groups.attendance import session_attendance
from iopdesk.services.groups.notes import session_people, shared_fields


def person(client_id) -> Person:
    """One client's names."""
    first, last, preferred = Client.select(Client.legal_first, Client.legal_last, Client.preferred_name).where(
        Client.id == client_id).tuples().get()
    return Person(str(client_id), first, last, preferred)


def people_in_care() -> list[Person]:
    """Every client with an open episode (one query; ~1,000 rows in a large program)."""
    query = (Client.select(Client.id, Client.legal_first, Client.legal_last, Client.preferred_name)
             .where(Client.id.in_(Episode.select(Episode.client).where(Episode.status.in_(OPEN_STATUSES))))
             .tuples())
    return [Person(str(i), first, last, preferred) for i, first, last, preferred in query]


def note_fields(note: Note) -> dict[str, str]:
    """The text of a note that is checked: its sections and, outside a group, who took part."""
    fields = {k: v for k, v in (note.sections or {}).items() if isinstance(v, str)}
    if note.group_session_id is None and note.participants:
        fields["participants"] = note.participants
    return fields


def findings_for(note: Note, overrides: Iterable[NameOverride] = ()) -> list[Finding]:
    """The name findings of a draft as it is saved, overrides applied."""
    overrides = list(overrides)
    if note.group_session_id is not None:
        session = GroupSession.get_by_id(note.group_session_id)
        people = session_people(session, set(session_attendance(session.id)) | {note.client_id})
        own = str(note.client_id)
        found = session_findings(people, {own: note_fields(note)}, shared_fields(session))
        return apply_overrides([f for f in found if f.client_id in (own, None)], overrides, any_note=True)
    fields = note_fields(note)
    index = NameIndex.full_names_in(people_in_care(), fields.values())
    return note_findings(person(note.client_id), index, fields, overrides)


def refuse_if_named(findings: list[Finding]) -> None:
    """Raise OtherClientNamed (naming the first field at fault) when a finding still blocks."""
    found = blocking(findings)
    if not found:
        return
    words = ", ".join(f"“{f.words}” ({', '.join(i for _, i in f.named)})" for f in found)
    where = "The shared part names a client" if found[0].client_id is None else "This note names another client"
    raise OtherClientNamed(
        f"{where} ({words}). Take the name out (initials are enough) or override it with the reason "
        "the words may stay; nothing was signed.", field=found[0].field, findings=tuple(findings))


def record_overrides(actor: Actor, note_id: uuid.UUID, client_id, findings: list[Finding],
                     overrides: Iterable[NameOverride], *, any_note: bool = False) -> int:
    """Audit each override that let a finding of this note stand (in the caller's transaction)."""
    used = used_overrides(findings, overrides, any_note=any_note)
    for override, finding in used:
        initials = dict(finding.named).get(override.named_client_id, "")
        audit.record(actor, OVERRIDE_ACTION, "note", note_id, client_id=client_id, detail={
            "words": finding.words, "reason": override.reason, "named_client_id": override.named_client_id,
            "named_initials": initials, "field": finding.field,
            "where": "shared part" if finding.client_id is None else "note"})
    return len(used)
