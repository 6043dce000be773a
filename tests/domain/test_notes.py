"""Writing, signing, co-signing and correcting notes, as a clinician's day goes."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.audit import chain as audit
from iopdesk.clinical.note_rules import note_content_hash
from iopdesk.errors import ConcurrentEdit, PermissionDenied, RecordLocked, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Note, NoteAddendum, NoteObjective, Staff
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_groups import give_plan

YESTERDAY = clock.today() - dt.timedelta(days=1)
DAP = {"data": "Client described cravings after a family visit.",
       "assessment": "Cravings are lower than at admission; coping plan used twice.",
       "plan": "Practise urge surfing; review trigger log next session."}


def _draft(clinic, client_id, **extra):
    values = {"kind": "individual", "note_format": "DAP", "service_date": YESTERDAY, "starts_at": "10:00",
              "ends_at": "10:50", "sections": DAP, **extra}
    return clinic.notes.create_draft(client_id, **values)[0]


def _signed_by(clinic, username, client_id, **extra):
    clinic.login(username, ADMIN_PASSWORD)
    note = _draft(clinic, client_id, **extra)
    return clinic.notes.sign(note.id, note.version)[0]


def test_note_minutes_come_from_its_start_and_end_times(admitted_client):
    """A 10:00–10:50 individual session is 50 minutes, in Marisol's open episode."""
    clinic, client, episode = admitted_client
    note, changes = clinic.notes.create_draft(client.id, kind="individual", note_format="SOAP",
                                              service_date=YESTERDAY, starts_at="10:00", ends_at="10:50",
                                              participants="Client")
    assert (note.minutes, note.starts_at, note.ends_at) == (50, dt.time(10), dt.time(10, 50))
    assert note.episode_id == episode.id and note.status == "draft" and note.place_of_service == "57"
    assert changes.touches("note") and changes.client_ids == {client.id}


@pytest.mark.parametrize("times, field", [
    ({"starts_at": "11:00", "ends_at": "10:00"}, "ends_at"),
    ({"starts_at": "10:00", "ends_at": "10:30", "minutes": 45}, "minutes"),
    ({"minutes": 1500}, "minutes"),
    ({"minutes": -5}, "minutes"),
    ({"starts_at": "ten o'clock"}, "starts_at"),
    ({"place_of_service": "5"}, "place_of_service"),
])
def test_impossible_times_are_refused_naming_the_field(admitted_client, times, field):
    """End before start, minutes beyond the span or a day, a time that is not one: refused, nothing saved."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=YESTERDAY, **times)
    assert err.value.field == field
    assert Note.select().count() == 0


def test_a_note_before_admission_or_in_the_future_is_refused(admitted_client):
    """Marisol was admitted two weeks ago: a note for three weeks ago, or for tomorrow, is refused."""
    clinic, client, episode = admitted_client
    for day in (episode.admitted_on - dt.timedelta(days=7), clock.today() + dt.timedelta(days=1)):
        with pytest.raises(ValidationError) as err:
            clinic.notes.create_draft(client.id, kind="case_management", note_format="DAP", service_date=day,
                                      minutes=15)
        assert err.value.field == "service_date"
    assert Note.select().count() == 0


def test_a_group_format_or_session_needs_a_group_note(admitted_client):
    """The GROUP format is only the individualized part of a group note."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.notes.create_draft(client.id, kind="individual", note_format="GROUP", service_date=YESTERDAY)
    assert err.value.field == "note_format"
    with pytest.raises(ValidationError) as err:
        clinic.notes.create_draft(client.id, kind="family", note_format="DAP", service_date=YESTERDAY,
                                  group_session_id="01a20ab5-d4cc-7000-921d-afcc7a170ffa")
    assert err.value.field == "group_session"


def test_objectives_addressed_are_linked_and_fill_a_blank_girp_goal(admitted_client):
    """A GIRP note addressing 'Identify three triggers' takes that as its goal and links the objective."""
    clinic, client, episode = admitted_client
    objectives = give_plan(client.id, episode.id, ["Identify three triggers", "Attend 3 groups a week"])
    note, _ = clinic.notes.create_draft(
        client.id, kind="individual", note_format="GIRP", service_date=YESTERDAY, minutes=45,
        sections={"intervention": "MI", "response": "Engaged", "plan": "Trigger log"},
        objective_ids=[objectives[0]])
    assert note.sections["goal"] == "Identify three triggers"
    assert note.objective_ids == (objectives[0],)
    assert NoteObjective.select().count() == 1


def test_another_clients_objective_is_refused(admitted_client):
    """An objective from someone else's plan cannot be addressed in Marisol's note."""
    clinic, client, _ = admitted_client
    other, _ = clinic.clients.register(legal_first="Jordan", legal_last="Blackwood", dob="1990-01-01")
    other_episode, _ = clinic.episodes.admit(other.id, admitted_on=YESTERDAY, track_code="substance_use",
                                             primary_clinician="clinician")
    theirs = give_plan(other.id, other_episode.id, ["Find a sponsor"])
    for bad in (theirs, ["not-an-id"]):
        with pytest.raises(ValidationError) as err:
            clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=YESTERDAY,
                                      objective_ids=bad)
        assert err.value.field == "objective_ids"
    assert Note.select().count() == 0


def test_autosave_replaces_sections_times_and_objectives(admitted_client):
    """The editor's autosave replaces the draft's text, times and objectives; a stale save is refused."""
    clinic, client, episode = admitted_client
    objectives = give_plan(client.id, episode.id, ["Identify three triggers", "Attend 3 groups a week"])
    note = _draft(clinic, client.id, objective_ids=[objectives[0]])
    saved, _ = clinic.notes.save_draft(note.id, note.version, {**DAP, "plan": "Call sponsor daily."},
                                       ends_at="10:40", objective_ids=[objectives[1]])
    assert saved.sections["plan"] == "Call sponsor daily." and saved.minutes == 40
    assert saved.objective_ids == (objectives[1],) and saved.version == note.version + 1
    with pytest.raises(ConcurrentEdit):
        clinic.notes.save_draft(note.id, note.version, DAP)
    with pytest.raises(ValidationError) as err:
        clinic.notes.save_draft(note.id, saved.version, DAP, minutes=90)
    assert err.value.field == "minutes"
    assert clinic.notes.get(note.id).sections["plan"] == "Call sponsor daily."


def test_only_the_author_edits_deletes_or_signs_a_draft(admitted_client):
    """The supervisor cannot change, delete or sign Cleo's draft; Cleo deletes it."""
    clinic, client, _ = admitted_client
    note = _draft(clinic, client.id)
    clinic.login("supervisor", ADMIN_PASSWORD)
    for call in (lambda: clinic.notes.save_draft(note.id, note.version, DAP),
                 lambda: clinic.notes.delete_draft(note.id, note.version),
                 lambda: clinic.notes.sign(note.id, note.version)):
        with pytest.raises(ValidationError) as err:
            call()
        assert err.value.field == "author"
    clinic.login("clinician", ADMIN_PASSWORD)
    assert clinic.notes.delete_draft(note.id, note.version).touches("note")
    assert Note.select().count() == 0


def test_signing_locks_the_note_with_a_hash_of_what_was_signed(admitted_client):
    """Signing records who and when, and a SHA-256 over sections, times, objectives, author and date."""
    clinic, client, episode = admitted_client
    objectives = give_plan(client.id, episode.id, ["Identify three triggers"])
    note = _draft(clinic, client.id, objective_ids=objectives)
    signed, changes = clinic.notes.sign(note.id, note.version)
    row = Note.get_by_id(note.id)
    assert signed.status == "signed" and signed.signed_at is not None and changes.touches("note")
    assert signed.content_hash == note_content_hash(
        sections=DAP, service_date=YESTERDAY, starts_at=dt.time(10), ends_at=dt.time(10, 50), minutes=50,
        objective_ids=objectives, author_id=row.author_id)
    assert clinic.notes.unsigned_for() == []


def test_a_note_with_an_empty_section_or_no_minutes_cannot_be_signed(admitted_client):
    """Every section of the format must be filled, and the note must say how long the service lasted."""
    clinic, client, _ = admitted_client
    note = _draft(clinic, client.id, sections={**DAP, "assessment": ""})
    with pytest.raises(ValidationError, match="Assessment") as err:
        clinic.notes.sign(note.id, note.version)
    assert err.value.field == "sections"
    timeless = _draft(clinic, client.id, starts_at=None, ends_at=None)
    with pytest.raises(ValidationError) as err:
        clinic.notes.sign(timeless.id, timeless.version)
    assert err.value.field == "minutes"
    assert Note.select().where(Note.status == "draft").count() == 2


def test_intern_note_waits_for_supervisor_cosign(admitted_client):
    """Ira's signed note waits in Sam's co-sign queue; Cleo cannot co-sign; Sam co-signs with a comment."""
    clinic, client, _ = admitted_client
    note = _signed_by(clinic, "intern", client.id)
    assert note.status == "awaiting_cosign" and note.cosign_required
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied, match="co-sign"):
        clinic.notes.cosign(note.id, note.version)
    clinic.login("supervisor", ADMIN_PASSWORD)
    assert [n.id for n in clinic.notes.cosign_queue()] == [note.id]
    cosigned, _ = clinic.notes.cosign(note.id, note.version, comment="Reviewed; agree with plan.")
    assert cosigned.status == "cosigned" and cosigned.cosigned_by == "Sam Supervisor"
    assert cosigned.cosigned_at is not None and cosigned.content_hash == note.content_hash
    assert clinic.notes.cosign_queue() == []
    event = AuditEvent.select().where(AuditEvent.action == "cosign").get()
    assert event.detail["comment"] == "Reviewed; agree with plan."
    assert event.detail["attestation"].startswith("I attest that I have reviewed this note as the author's supervisor")
    assert "— Sam Supervisor, LCSW · " in event.detail["attestation"]
    with pytest.raises(RecordLocked):
        clinic.notes.cosign(note.id, cosigned.version)


def test_only_the_authors_supervisor_cosigns(admitted_client):
    """Another supervisor cannot co-sign Ira's note; when Ira has no supervisor, any supervisor may."""
    clinic, client, _ = admitted_client
    clinic.login("admin", ADMIN_PASSWORD)
    clinic.users.add("other", ADMIN_PASSWORD, display_name="Olu Other", roles=["supervisor"])
    note = _signed_by(clinic, "intern", client.id)
    clinic.login("other", ADMIN_PASSWORD)
    assert clinic.notes.cosign_queue() == []
    with pytest.raises(ValidationError, match="Sam Supervisor") as err:
        clinic.notes.cosign(note.id, note.version)
    assert err.value.field == "cosigned_by"
    Staff.update(supervisor=None).where(Staff.username == "intern").execute()
    assert [n.id for n in clinic.notes.cosign_queue()] == [note.id]
    assert clinic.notes.cosign(note.id, note.version)[0].cosigned_by == "Olu Other"


def test_supervisor_cannot_cosign_own_note(admitted_client):
    """A supervisor still under supervision cannot co-sign the note they wrote themselves."""
    clinic, client, _ = admitted_client
    clinic.login("admin", ADMIN_PASSWORD)
    clinic.users.add("resident", ADMIN_PASSWORD, display_name="Rae Resident", roles=["supervisor", "clinician"],
                     needs_cosign=True, supervisor="supervisor")
    note = _signed_by(clinic, "resident", client.id)
    assert note.status == "awaiting_cosign"
    with pytest.raises(ValidationError, match="own note") as err:
        clinic.notes.cosign(note.id, note.version)
    assert err.value.field == "cosigned_by"
    assert Note.get_by_id(note.id).status == "awaiting_cosign"


def test_a_note_needing_no_cosign_cannot_be_cosigned(admitted_client):
    """Cleo is licensed: her signed note is complete and there is nothing to co-sign."""
    clinic, client, _ = admitted_client
    note = _signed_by(clinic, "clinician", client.id)
    clinic.login("supervisor", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.notes.cosign(note.id, note.version)
    assert err.value.field == "status"


def test_addendum_is_appended_and_original_unchanged(admitted_client):
    """The supervisor adds a labelled, dated, hashed addendum; the signed note stays as it was."""
    clinic, client, _ = admitted_client
    note = _signed_by(clinic, "clinician", client.id)
    with pytest.raises(ValidationError) as err:
        clinic.notes.add_addendum(note.id, "   ")
    assert err.value.field == "text"
    clinic.login("supervisor", ADMIN_PASSWORD)
    addendum, changes = clinic.notes.add_addendum(note.id, "Correction: the visit was with her sister.")
    second, _ = clinic.notes.add_addendum(note.id, "Sister confirmed the visit by phone.")
    after = clinic.notes.get(note.id)
    assert [a.label for a in after.addenda] == ["Addendum 1", "Addendum 2"]
    assert after.addenda[0] == addendum and second.label == "Addendum 2"
    assert addendum.author == "Sam Supervisor" and len(addendum.content_hash) == 64
    assert (after.sections, after.content_hash, after.version, after.status) == (
        note.sections, note.content_hash, note.version, note.status)
    assert AuditEvent.select().where(AuditEvent.action == "addendum").count() == 2
    assert changes.client_ids == {client.id}


def test_an_addendum_to_a_draft_is_refused(admitted_client):
    """A draft is edited, not amended."""
    clinic, client, _ = admitted_client
    note = _draft(clinic, client.id)
    with pytest.raises(ValidationError):
        clinic.notes.add_addendum(note.id, "More detail.")
    assert NoteAddendum.select().count() == 0


def test_no_service_call_changes_a_signed_note(admitted_client):
    """Every call that could change a signed note is refused with 'add an addendum'; the note,
    its hash and its objectives are exactly as signed."""
    clinic, client, episode = admitted_client
    objectives = give_plan(client.id, episode.id, ["Identify three triggers", "Attend 3 groups a week"])
    note = _signed_by(clinic, "clinician", client.id, objective_ids=[objectives[0]])
    before = Note.get_by_id(note.id).__data__.copy()
    attempts = [
        lambda: clinic.notes.save_draft(note.id, note.version, {"data": "x", "assessment": "y", "plan": "z"}),
        lambda: clinic.notes.save_draft(note.id, note.version, DAP, minutes=10, objective_ids=[objectives[1]]),
        lambda: clinic.notes.delete_draft(note.id, note.version),
        lambda: clinic.notes.delete_draft(note.id),
        lambda: clinic.notes.sign(note.id, note.version),
    ]
    for attempt in attempts:
        with pytest.raises(RecordLocked, match="add an addendum instead") as err:
            attempt()
        assert err.value.field
    clinic.login("supervisor", ADMIN_PASSWORD)
    with pytest.raises(ValidationError):
        clinic.notes.cosign(note.id, note.version)
    clinic.notes.add_addendum(note.id, "Late entry.")
    assert Note.get_by_id(note.id).__data__ == before
    assert [str(o) for (o,) in NoteObjective.select(NoteObjective.objective).tuples()] == [objectives[0]]
    assert clinic.notes.get(note.id).content_hash == note.content_hash


def test_a_failure_while_signing_leaves_the_note_a_draft(admitted_client, monkeypatch):
    """If the audit trail cannot be written, the signature is not kept either."""
    clinic, client, _ = admitted_client
    note = _draft(clinic, client.id)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        clinic.notes.sign(note.id, note.version)
    row = Note.get_by_id(note.id)
    assert (row.status, row.content_hash, row.version) == ("draft", None, note.version)


def test_unsigned_for_lists_my_drafts_oldest_first(admitted_client):
    """Cleo's caseload shows her two drafts, oldest first, but not her signed note nor Ira's draft."""
    clinic, client, _ = admitted_client
    older = _draft(clinic, client.id, service_date=YESTERDAY - dt.timedelta(days=2))
    newer = _draft(clinic, client.id)
    _signed_by(clinic, "clinician", client.id)
    clinic.login("intern", ADMIN_PASSWORD)
    _draft(clinic, client.id)
    clinic.login("clinician", ADMIN_PASSWORD)
    assert [n.id for n in clinic.notes.unsigned_for()] == [older.id, newer.id]
    assert len(clinic.notes.unsigned_for("intern")) == 1


def test_moving_a_draft_to_another_day_keeps_the_note(admitted_client):
    """A draft dated yesterday by mistake moves to the day before: same note, same id, new date."""
    clinic, client, episode = admitted_client
    note = _draft(clinic, client.id)
    earlier = YESTERDAY - dt.timedelta(days=1)
    moved, changes = clinic.notes.save_draft(note.id, note.version, DAP, service_date=earlier)
    assert (moved.id, moved.service_date, moved.episode_id) == (note.id, earlier, episode.id)
    assert Note.select().count() == 1 and changes.touches("note")


def test_a_draft_cannot_move_into_the_future(admitted_client):
    """Tomorrow is refused naming the date of service; the draft keeps its date."""
    clinic, client, _ = admitted_client
    note = _draft(clinic, client.id)
    with pytest.raises(ValidationError) as err:
        clinic.notes.save_draft(note.id, note.version, DAP, service_date=clock.today() + dt.timedelta(days=1))
    assert err.value.field == "service_date"
    assert Note.get_by_id(note.id).service_date == YESTERDAY
