"""A signed note that names another client never leaves the program: printing it for a recipient
is refused, and an export for a recipient leaves it out and says so; inside the program both still
work. Marisol's chart, with Jordan Blackwood also in care and a consent for the drug court."""

from __future__ import annotations

import io
import json

import pytest

from iopdesk.errors import ValidationError
from iopdesk.interchange.client_export import export_client_record
from iopdesk.models import Disclosure
from reports.jobs import PrintRequest, print_document
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_consents import consent_fields
from tests.domain.test_groups import admit
from tests.domain.test_name_signing import DAP, draft, legacy_note

COURT = "Harbor County Drug Court"


@pytest.fixture
def chart_naming_jordan(admitted_client, monkeypatch):
    """(clinic, Marisol, the note naming Jordan Blackwood, a clean signed note)."""
    clinic, client, _ = admitted_client
    admit(clinic, "Jordan", "Blackwood")
    clinic.consents.record(client.id, **consent_fields())
    named = legacy_note(clinic, client.id, "Rode in with Jordan Blackwood.", monkeypatch)
    clean = draft(clinic, client.id, DAP)
    clinic.notes.sign(clean.id, clean.version)
    return clinic, client, named, clean.id


def test_a_note_naming_another_client_is_not_printed_for_a_recipient(chart_naming_jordan):
    """Releasing the note to the court is refused naming the document; the clean note goes; a copy
    for the chart is still printed."""
    clinic, client, named, clean = chart_naming_jordan
    out = io.BytesIO()
    with pytest.raises(ValidationError) as refused:
        print_document(clinic, "progress-note", PrintRequest(client.id, named), out, recipient=COURT)
    assert refused.value.field == "document" and "“Jordan Blackwood” (J.B.)" in str(refused.value)
    assert out.getvalue() == b"" and Disclosure.select().count() == 0
    released = print_document(clinic, "progress-note", PrintRequest(client.id, clean), io.BytesIO(), recipient=COURT)
    assert released.disclosure is not None
    assert print_document(clinic, "progress-note", PrintRequest(client.id, named), io.BytesIO()).disclosure is None


def test_an_export_for_a_recipient_withholds_the_note_and_says_so(chart_naming_jordan, tmp_path):
    """The court's export lacks the note, its objectives and its audit events, and lists it as
    withheld in the manifest and in the disclosure log; an export kept in the program has it."""
    clinic, client, named, clean = chart_naming_jordan
    clinic.login("supervisor", ADMIN_PASSWORD)
    released = export_client_record(clinic, client.mrn, tmp_path / "court", recipient=COURT)
    notes = released.record_hashes()["note"]
    assert clean in notes and named not in notes
    assert released.notes_withheld == 1
    manifest = json.loads((tmp_path / "court" / "manifest.json").read_text())
    [entry] = [w for w in manifest["withheld"] if w["table"] == "note"]
    assert entry["id"] == named and "names another client" in entry["reason"] and "J.B." in entry["reason"]
    audit_rows = json.loads((tmp_path / "court" / "tables" / "audit_event.json").read_text())
    assert not [e for e in audit_rows if e["entity_id"] == named]
    assert "1 note(s) withheld because they name another client" in Disclosure.get().description
    kept = export_client_record(clinic, client.mrn, tmp_path / "chart")
    assert named in kept.record_hashes()["note"] and kept.withheld == ()
