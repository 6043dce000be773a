"""Migration 0009 (issue 19): an existing clinic's signed records are sealed when it is upgraded,
with provenance "migration 0009" and one audit event naming the migration, and from then on the
guards and the check hold them."""

from __future__ import annotations

import datetime as dt

from playhouse.migrations import Runner

import iopdesk
from iopdesk.audit.guards import guard_findings
from iopdesk.audit.sealing import seal_findings
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Consent, Staff
from iopdesk.storage.db import database, make_database
from iopdesk.storage.schema import HISTORY_TABLE, MIGRATIONS_DIR, schema_status
from tests.conftest import ADMIN_PASSWORD, admit_marisol


def test_a_clinic_signed_before_seals_existed_is_sealed_by_the_upgrade(clinic_file):
    """A consent an older release recorded (no seal) is sealed by 0009 and named once edited."""
    with iopdesk.open_clinic(str(clinic_file)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        client, _ = admit_marisol(clinic)
    db = make_database(str(clinic_file))
    database.initialize(db)
    Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE).down("0009_sealed_records")
    assert schema_status(db).version == 8
    older = Consent.create(client=client.id, discloser="Riverside IOP", recipient="Harbor County Drug Court",
                           information="Attendance", purpose="Drug court", signed_on=clock.today(),
                           signed_by="Marisol Quintana-Reyes", recorded_by=Staff.get(Staff.username == "clinician"),
                           expires_on=clock.today() + dt.timedelta(days=90))
    db.close()

    with iopdesk.open_clinic(str(clinic_file)) as clinic:
        assert "0009_sealed_records" in clinic.schema().applied and not clinic.schema().pending
        migrate = AuditEvent.get((AuditEvent.action == "migrate") & (AuditEvent.entity_id == "0009"))
        assert migrate.detail == {"sealed": {"consent": 1}}
        seal = AuditEvent.get((AuditEvent.action == "seal") & (AuditEvent.entity_id == str(older.id)))
        assert seal.detail["provenance"] == "migration 0009" and seal.seq == migrate.seq + 1
        assert clinic.check().ok and guard_findings(clinic.db) == []
        clinic.db.execute_sql('DROP TRIGGER "seal_guard_consent_upd"')
        Consent.update(recipient="A Reporter").where(Consent.id == older.id).execute()
        assert [f.record for f in seal_findings()] == [f"consent {older.id}"]
