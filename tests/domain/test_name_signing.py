"""Signing notes and group sessions that name another client, through the services: the morning
process group's sections and shared part, Marisol's individual notes, the override with its reason
in the audit trail, and a note refused at signing leaving nothing behind."""

from __future__ import annotations

import pytest

from iopdesk.errors import OtherClientNamed, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Note
from iopdesk.services.groups import service as groups_service
from iopdesk.services.groups.service import NameOverride
from iopdesk.services.notes import service as notes_service
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_group_session import SHARED, group_day, sections_for
from tests.domain.test_groups import admit

DAP = {"data": "Reports two cravings this week; used urge surfing.",
       "assessment": "Cravings lower than at admission.",
       "plan": "Review the trigger log next session."}


@pytest.fixture
def yesterdays_group(staffed_clinic):
    """Yesterday's session: Jordan Blackwood, Priya Nandakumar, Tomasz Wielgosz, Aaliyah Okafor
    enrolled; Jordan and Priya attended; the shared part is written."""
    session, members = group_day(staffed_clinic, 4)
    clients = [c for c, _ in members]
    clinic = staffed_clinic
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation", SHARED)
    for client in clients[:2]:
        clinic.groups.record_attendance(session.id, client.id, "present")
    return clinic, session, clients


def overrides_kept() -> list[dict]:
    return [e.detail | {"entity_id": e.entity_id, "client_id": str(e.client_id)}
            for e in AuditEvent.select().where(AuditEvent.action == "name_override").order_by(AuditEvent.seq)]


def test_a_section_naming_another_member_is_blocked_then_signed_after_an_override(yesterdays_group):
    """Priya's section names Okafor (Aaliyah's name, hers alone in the group): Sign all signs
    Jordan's note and lists Priya's as blocked with the words; with an override and its reason
    Priya's note is signed and the override is in the audit trail."""
    clinic, session, clients = yesterdays_group
    jordan, priya, _, aaliyah = clients
    clinic.groups.save_client_section(session.id, jordan.id, sections_for(0))
    clinic.groups.save_client_section(session.id, priya.id, {**sections_for(1), "response": "Sat by Okafor."})

    result, changes = clinic.groups.sign_all(session.id)
    assert result.signed == [jordan.id] and changes.client_ids == {jordan.id}
    [blocked] = result.blocked
    assert blocked.client_id == priya.id and "“Okafor” (A.O.)" in blocked.reason
    assert [(f.field, f.words, f.named_ids) for f in blocked.findings] == [("response", "Okafor", (aaliyah.id,))]
    assert Note.get(Note.client == priya.id).status == "draft"

    reason = "Okafor is the street where the client works."
    result, _ = clinic.groups.sign_all(session.id, overrides=[
        NameOverride("okafor", aaliyah.id, reason, note_of=priya.id)])
    assert result.signed == [priya.id] and result.blocked == []
    note = Note.get(Note.client == priya.id)
    assert note.status == "signed"
    [kept] = overrides_kept()
    assert kept == {"words": "Okafor", "reason": reason, "named_client_id": aaliyah.id, "named_initials": "A.O.",
                    "field": "response", "where": "note", "entity_id": str(note.id), "client_id": priya.id}
    assert clinic.audit.verify().ok


def test_an_override_covers_only_its_words(yesterdays_group):
    """The override for “Okafor” does not let “Jordan Blackwood” through after an edit."""
    clinic, session, clients = yesterdays_group
    _, priya, _, aaliyah = clients
    override = NameOverride("Okafor", aaliyah.id, "A street name.", note_of=priya.id)
    clinic.groups.save_client_section(session.id, priya.id, {
        **sections_for(1), "response": "Sat by Okafor, then by Jordan Blackwood."})
    result, _ = clinic.groups.sign_all(session.id, overrides=[override])
    [blocked] = result.blocked
    assert [f.words for f in blocked.findings] == ["Jordan Blackwood"] and result.signed == []
    assert overrides_kept() == []


def test_a_shared_part_naming_a_member_signs_nothing_until_overridden(yesterdays_group):
    """“Tomasz” in the shared note holds back every section; the override (note_of None) lets the
    session be signed and is kept with each note signed."""
    clinic, session, clients = yesterdays_group
    jordan, priya, tomasz, _ = clients
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation",
                                   SHARED + " Tomasz brought the handouts.")
    for i, client in enumerate(clients[:2]):
        clinic.groups.save_client_section(session.id, client.id, sections_for(i))
    result, _ = clinic.groups.sign_all(session.id)
    assert result.signed == [] and [b.client_id for b in result.blocked] == [None]
    assert result.blocked[0].reason.startswith("Shared part: names a client (“Tomasz” (T.W.))")
    assert {cid for cid, why in result.incomplete if why.startswith("Shared part")} == {jordan.id, priya.id}
    result, _ = clinic.groups.sign_all(session.id, overrides=[
        {"words": "Tomasz", "named_client_id": tomasz.id, "reason": "The handouts' author, Dr. Tomasz Lee."}])
    assert sorted(result.signed) == sorted([jordan.id, priya.id])
    assert [k["where"] for k in overrides_kept()] == ["shared part", "shared part"]


def test_the_preview_says_what_sign_all_would_do_and_writes_nothing(yesterdays_group):
    """The attestation lists what the preview returns; nothing is signed or audited by it."""
    clinic, session, clients = yesterdays_group
    clinic.groups.save_client_section(session.id, clients[0].id, sections_for(0))
    clinic.groups.save_client_section(session.id, clients[1].id, {**sections_for(1), "plan": "Call Priya's sponsor."})
    events = AuditEvent.select().count()
    preview = clinic.groups.sign_preview(session.id)
    assert sorted(preview.signed) == sorted(c.id for c in clients[:2])  # Priya may write her own name
    assert preview.blocked == []
    assert AuditEvent.select().count() == events and {n.status for n in Note.select()} == {"draft"}


@pytest.fixture
def marisol_and_jordan(admitted_client):
    """Marisol's chart with Jordan Blackwood also in care; the clinician signed in."""
    clinic, client, _ = admitted_client
    other, _ = admit(clinic, "Jordan", "Blackwood")
    return clinic, client, other


def draft(clinic, client_id, sections):
    note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), starts_at="10:00", ends_at="10:50",
                                        sections=sections)
    return note


def test_a_note_naming_another_client_in_care_is_refused_naming_the_field(marisol_and_jordan):
    """“Jordan Blackwood” in Marisol's note: refused, field data, the findings carried; with an
    override for his name and the reason, it is signed and the override kept."""
    clinic, client, other = marisol_and_jordan
    note = draft(clinic, client.id, {**DAP, "data": DAP["data"] + " Rode in with Jordan Blackwood."})
    with pytest.raises(OtherClientNamed) as refused:
        clinic.notes.sign(note.id, note.version)
    assert refused.value.field == "data" and "“Jordan Blackwood” (J.B.)" in str(refused.value)
    assert [(f.words, f.named_ids) for f in refused.value.findings] == [("Jordan Blackwood", (other.id,))]
    assert clinic.notes.get(note.id).status == "draft"
    signed, _ = clinic.notes.sign(note.id, note.version, overrides=[
        NameOverride("Jordan Blackwood", other.id, "Her cousin, who shares the name.")])
    assert signed.status == "signed"
    assert [(k["words"], k["reason"], k["named_client_id"]) for k in overrides_kept()] == [
        ("Jordan Blackwood", "Her cousin, who shares the name.", other.id)]


def test_a_first_name_alone_does_not_hold_back_an_individual_note(marisol_and_jordan):
    """“Jordan” alone names no one among a program's clients: the note is signed."""
    clinic, client, _ = marisol_and_jordan
    note = draft(clinic, client.id, {**DAP, "data": "Jordan, her roommate, drove her."})
    assert clinic.notes.sign(note.id, note.version)[0].status == "signed"


@pytest.mark.parametrize("sections", [{}, {**DAP, "plan": "Meet Jordan Blackwood."}])
def test_a_new_note_refused_at_signing_leaves_no_note_behind(marisol_and_jordan, sections):
    """Signing a new, blank note, or one naming another client, refuses and keeps no draft."""
    clinic, client, _ = marisol_and_jordan
    with pytest.raises(ValidationError):
        clinic.notes.sign_new(lambda: clinic.notes.create_draft(
            client.id, kind="individual", note_format="DAP", service_date=clock.today(),
            starts_at="10:00", ends_at="10:50", sections=sections))
    assert clinic.notes.list_for_client(client.id) == []
    assert AuditEvent.select().where(AuditEvent.entity == "note").count() == 0


def legacy_note(clinic, client_id, text: str, monkeypatch) -> str:
    """A note signed before signing checked names (as an older IOP Desk did)."""
    note = draft(clinic, client_id, {**DAP, "data": text})
    with monkeypatch.context() as older:
        older.setattr(notes_service, "refuse_if_named", lambda findings: None)
        clinic.notes.sign(note.id, note.version)
    return note.id


def test_the_admin_lists_signed_notes_naming_another_client_except_overridden_words(marisol_and_jordan, monkeypatch):
    """Two signed notes name Jordan Blackwood: the one signed before the rule is listed with
    client, date, author, the name found and its id; the one signed with an override is not.
    The read is audited; a clinician may not run it."""
    clinic, client, other = marisol_and_jordan
    listed = legacy_note(clinic, client.id, "Sat with Jordan Blackwood at lunch.", monkeypatch)
    overridden = draft(clinic, client.id, {**DAP, "plan": "Jordan Blackwood, her cousin, drives."})
    clinic.notes.sign(overridden.id, overridden.version,
                      overrides=[NameOverride("Jordan Blackwood", other.id, "Her cousin.")])
    with pytest.raises(Exception, match="not allowed"):
        clinic.notes.naming_other_clients()
    clinic.login("admin", ADMIN_PASSWORD)
    seen = []
    review = clinic.notes.naming_other_clients(progress=lambda done, total: seen.append((done, total)))
    [row] = review.notes
    assert (row.note_id, row.mrn, row.service_date, row.author, row.kind) == (
        listed, client.mrn, clock.today(), "Cleo Clinician", "individual")
    assert row.names_text == "“Jordan Blackwood” (J.B.)" and row.names[0][1] == other.id
    assert review.complete and seen[-1] == (2, 2)
    read = AuditEvent.select().where((AuditEvent.action == "read") & (AuditEvent.entity_id == listed)).get()
    assert read.detail == {"purpose": "names of other clients", "named_client_ids": [other.id]}
    assert AuditEvent.select().where(AuditEvent.action == "name_review").get().detail["listed"] == 1


def test_a_group_session_signed_with_a_member_named_is_listed_for_every_copy(yesterdays_group, monkeypatch):
    """A shared part that named Tomasz, absent that day (signed as an older version allowed), is on
    both attendees' copies: both notes are listed, each naming T.W."""
    clinic, session, clients = yesterdays_group
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation",
                                   SHARED + " Tomasz led the check-in.")
    for i, c in enumerate(clients[:2]):
        clinic.groups.save_client_section(session.id, c.id, sections_for(i))
    monkeypatch.setattr(groups_service, "session_findings", lambda *a, **k: [])
    assert len(clinic.groups.sign_all(session.id)[0].signed) == 2
    clinic.login("supervisor", ADMIN_PASSWORD)
    review = clinic.notes.naming_other_clients()
    assert sorted(n.client_id for n in review.notes) == sorted(c.id for c in clients[:2])
    assert {n.names for n in review.notes} == {(("Tomasz", clients[2].id, "T.W.", "shared_note"),)}
