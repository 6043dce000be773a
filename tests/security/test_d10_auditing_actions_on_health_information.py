"""ONC 170.315(d)(10) Auditing actions on health information: always on, nothing can switch it off.

Reading, adding, changing, deleting and disclosing client information are recorded by default
with who, what, when and which client; IOP Desk has no setting that disables auditing; the
record of actions cannot be deleted (the database refuses; see test_d2 for detection).
"""

from __future__ import annotations

import peewee
import pytest

from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, ClinicSetting
from tests.domain.test_consents import consent_fields
from tests.security.tampering import sql


def test_reading_writing_deleting_and_disclosing_a_chart_are_all_recorded(admitted_client):
    """A clinician's day with Marisol's chart leaves a trail entry for every kind of action."""
    clinic, client, _episode = admitted_client
    before = AuditEvent.select().count()
    clinic.clients.summary(client.id)
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), minutes=30)
    clinic.notes.get(note.id)
    note = clinic.notes.save_draft(note.id, note.version, sections={"data": "Arrived on time."})[0]
    clinic.notes.delete_draft(note.id, note.version)
    clinic.consents.record(client.id, **consent_fields())
    clinic.disclosures.record_release(client.id, "Harbor County Drug Court", "Attendance letter")
    events = list(AuditEvent.select().where(AuditEvent.seq > before).order_by(AuditEvent.seq))
    actions = {(e.action, e.entity) for e in events}
    assert {("read", "client"), ("create", "note"), ("read", "note"), ("update", "note"), ("delete", "note"),
            ("disclose", "disclosure")} <= actions
    assert all(e.actor == "clinician" and e.client_id is not None for e in events)
    assert all(e.occurred_at is not None for e in events)


def test_no_setting_turns_auditing_off(admitted_client):
    """There is no audit setting to change: nothing in the clinic's settings names auditing."""
    clinic, _client, _episode = admitted_client
    keys = {row.key for row in ClinicSetting.select(ClinicSetting.key)}
    assert not {k for k in keys if "audit" in k} - {"audit_key_id"}
    assert not hasattr(clinic.audit, "set_enabled")


def test_the_record_of_actions_cannot_be_deleted(admitted_client):
    """Deleting the trail outright is refused by the database."""
    clinic, _client, _episode = admitted_client
    count = AuditEvent.select().count()
    with pytest.raises(peewee.DatabaseError, match="sealed record"):
        sql(clinic.db, "DELETE FROM audit_event")
    if clinic.db.in_transaction():
        clinic.db.rollback()
    assert AuditEvent.select().count() == count
