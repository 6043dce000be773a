"""An imported client record keeps its source audit trail as provenance, without breaking this
clinic's keyed chain (issue 8, items 5 and 6)."""

from __future__ import annotations

import json
import shutil

import iopdesk
from iopdesk.audit import chain as audit
from iopdesk.interchange.client_export import export_client_record
from iopdesk.interchange.client_import import import_client_record
from iopdesk.models import AuditEvent


def test_the_import_is_one_event_in_this_clinics_chain_naming_the_source_trail(admitted_client, tmp_path,
                                                                                sqlite_template):
    """The source events are not inserted; one "import" event records the source clinic, how many
    events came, their file's hash and the newest event hash, and this clinic's chain still verifies."""
    clinic, client, _ = admitted_client
    clinic.login("supervisor", "correct horse battery")
    source_clinic = clinic.setting("clinic_id")
    exported = export_client_record(clinic, client.mrn, tmp_path / "record")
    events = json.loads((tmp_path / "record" / "tables" / "audit_event.json").read_text())
    manifest = json.loads((tmp_path / "record" / "manifest.json").read_text())
    audit_entry = next(f for f in manifest["files"] if f["table"] == "audit_event")
    newest = max(events, key=lambda e: e["seq"])
    target = tmp_path / "target.sqlite"
    shutil.copyfile(sqlite_template, target)
    with iopdesk.open_clinic(str(target)) as empty:
        before = AuditEvent.select().count()
        report = import_client_record(empty, tmp_path / "record", trust=exported.signer)
        # one event for the import, and one for trusting the exporter's key when it was new here
        assert AuditEvent.select().count() == before + 1 + report.newly_trusted
        event = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
        assert (event.action, event.entity, str(event.client_id)) == ("import", "client", str(client.id))
        assert event.detail["source_clinic"] == source_clinic
        assert event.detail["signer"] == exported.signer
        provenance = event.detail["source_audit"]
        assert provenance["events"] == len(events) >= 3
        assert provenance["file_sha256"] == audit_entry["sha256"]
        assert provenance["heads"][newest["origin_site"]] == {"seq": newest["seq"], "event_hash": newest["event_hash"]}
        assert audit.verify_chain().ok
