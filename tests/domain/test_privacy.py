"""Minimum necessary: each role reaches only what its work needs, refused in the service layer."""

from __future__ import annotations

import pytest

from iopdesk.errors import PermissionDenied
from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def client_with_note(staffed_clinic):
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = staffed_clinic.clients.register(legal_first="Noor", legal_last="Sample", dob="1985-07-14")
    note, _ = staffed_clinic.notes.create_draft(
        client.id, kind="individual", note_format="DAP", service_date=clock.today(), minutes=50,
        sections={"data": "Client described cravings after a family visit.", "assessment": "", "plan": ""},
    )
    return staffed_clinic, client, note


def test_biller_cannot_read_a_note_body(client_with_note):
    """A biller sees that a note exists, its date, type, minutes and status, but never its words."""
    clinic, client, note = client_with_note
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied, match="read therapy notes"):
        clinic.notes.get(note.id)
    listed = clinic.notes.list_for_client(client.id)
    assert [(n.id, n.minutes, n.status) for n in listed] == [(note.id, 50, "draft")]
    assert not hasattr(listed[0], "sections")


def test_clinician_reads_the_note_body(client_with_note):
    """The treating clinician reads the narrative."""
    clinic, _, note = client_with_note
    assert "cravings" in clinic.notes.get(note.id).sections["data"]


def test_biller_cannot_write_notes_or_register_clients(client_with_note):
    """A biller's account cannot create clinical records."""
    clinic, client, _ = client_with_note
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=clock.today())
    with pytest.raises(PermissionDenied):
        clinic.clients.register(legal_first="A", legal_last="B", dob="1990-01-01")


def test_biller_cannot_read_addenda_cosign_or_group_session_text(client_with_note):
    """Addenda, the co-sign queue and a group session's warnings are clinical text: a biller reaches none."""
    clinic, _, note = client_with_note
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.notes.add_addendum(note.id, "Late entry.")
    with pytest.raises(PermissionDenied):
        clinic.notes.cosign_queue()
    with pytest.raises(PermissionDenied):
        clinic.groups.warnings(note.id)
