"""The audit trail records reads and writes and detects any edit or deletion of its events."""

from __future__ import annotations

from iopdesk.kernel import clock
from iopdesk.models import AuditEvent
from tests.conftest import ADMIN_PASSWORD
from tests.security.tampering import drop_guards


def _busy_day(clinic) -> str:
    """A clinician registers a client, opens the chart and writes a note: several audit events."""
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Marisol", legal_last="Testcase", dob="1990-02-03")
    clinic.clients.summary(client.id)
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), minutes=45)
    clinic.notes.get(note.id)
    drop_guards(clinic.db)  # what follows tampers as someone holding the database file would
    return client.id


def test_opening_a_chart_and_writing_a_note_are_audited(staffed_clinic):
    """Who opened which chart and who created which note is in the trail, tied to the client."""
    client_id = _busy_day(staffed_clinic)
    staffed_clinic.login("admin", ADMIN_PASSWORD)
    entries = staffed_clinic.audit.for_client(client_id)
    actions = [(e.actor, e.action, e.entity) for e in entries]
    assert ("clinician", "create", "client") in actions
    assert ("clinician", "read", "client") in actions
    assert ("clinician", "create", "note") in actions
    assert ("clinician", "read", "note") in actions
    assert staffed_clinic.audit.verify().ok


def test_editing_an_audit_event_is_detected(staffed_clinic):
    """Someone changes who did something, straight in the database: the check fails at that event."""
    _busy_day(staffed_clinic)
    victim = AuditEvent.select().where(AuditEvent.action == "read").order_by(AuditEvent.seq).first()
    AuditEvent.update(actor="someone-else").where(AuditEvent.id == victim.id).execute()
    report = staffed_clinic.check()
    assert not report.ok
    assert f"audit event {victim.seq} was altered" in " ".join(report.lines)


def test_deleting_an_audit_event_is_detected(staffed_clinic):
    """An event removed from the middle of the trail leaves a gap the check names."""
    _busy_day(staffed_clinic)
    middle = AuditEvent.select().order_by(AuditEvent.seq).offset(3).first()
    AuditEvent.delete().where(AuditEvent.id == middle.id).execute()
    report = staffed_clinic.audit.verify()
    assert not report.ok and f"audit event {middle.seq} is missing" in report.problem


def test_deleting_the_newest_audit_event_is_detected(staffed_clinic):
    """Cutting the last events off the end is caught by the chain head."""
    _busy_day(staffed_clinic)
    newest = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    AuditEvent.delete().where(AuditEvent.id == newest.id).execute()
    report = staffed_clinic.audit.verify()
    assert not report.ok and "ends at event" in report.problem


def test_reordering_audit_events_is_detected(staffed_clinic):
    """Swapping the sequence numbers of two events breaks the chain."""
    _busy_day(staffed_clinic)
    first, second = list(AuditEvent.select().order_by(AuditEvent.seq).offset(2).limit(2))
    AuditEvent.update(seq=-1).where(AuditEvent.id == first.id).execute()
    AuditEvent.update(seq=first.seq).where(AuditEvent.id == second.id).execute()
    AuditEvent.update(seq=second.seq).where(AuditEvent.id == first.id).execute()
    assert not staffed_clinic.audit.verify().ok


def test_a_refusal_by_the_database_reads_as_a_locked_record(admitted_client):
    """Should any write path reach a signed note's text, the trigger's refusal is RecordLocked."""
    import peewee
    import pytest

    from iopdesk.audit.seals import refusals_as_record_locked
    from iopdesk.errors import RecordLocked
    from iopdesk.models import Note

    clinic, client, _episode = admitted_client
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), starts_at="10:00", ends_at="10:50",
                                        sections={"data": "d", "assessment": "a", "plan": "p"})
    clinic.notes.sign(note.id, note.version)
    with pytest.raises(RecordLocked, match="never changed"), refusals_as_record_locked(), clinic.db.atomic():
        Note.update(minutes=5).where(Note.id == note.id).execute()
    with pytest.raises(peewee.DatabaseError), refusals_as_record_locked(), clinic.db.atomic():
        clinic.db.execute_sql("SELECT * FROM no_such_table")
    assert Note.get_by_id(note.id).minutes == 50
