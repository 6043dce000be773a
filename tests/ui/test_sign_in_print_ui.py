"""Printing a sign-in sheet from the print preview: the members' copy, passed around the room,
names members by first name and last initial; the staff copy, chosen where the sheet is printed,
adds their MRNs. The previewed PDF is read back with pypdf."""

from __future__ import annotations

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPoint, Qt

from reports.jobs import PrintRequest
from tests.reports.test_sign_in_pdf import session_with
from ui.operations import Operations
from ui.print_preview import PrintPreviewDialog

SHOTS = "/tmp/shots"


@pytest.fixture
def session(clinician_sqlite):
    """(clinic, session, clients): yesterday's group with Maria Garcia and Maria Gonzalez enrolled."""
    session, clients = session_with(clinician_sqlite, [("Maria", "Garcia", ""), ("Maria", "Gonzalez", "")])
    return clinician_sqlite, session, clients


def click_label(qtbot, radio) -> None:
    """Click a radio button on its indicator and words, where a person clicks (not the empty row)."""
    qtbot.mouseClick(radio, Qt.MouseButton.LeftButton, pos=QPoint(8, radio.height() // 2))


def shown_text(dialog) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(dialog.shown_file).pages)


def test_the_staff_copy_is_chosen_where_the_sheet_is_printed(qtbot, session):
    """The preview opens on the members' copy ("Maria Gar.", "Maria Gon.", no MRN); choosing the
    staff copy shows the same names with their MRNs, titled as the staff copy, and it cannot be
    released outside the program."""
    clinic, group_session, clients = session
    dialog = PrintPreviewDialog(clinic, Operations(), "sign-in", PrintRequest(None, group_session.id))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.pending and dialog.shown_file is not None, timeout=10000)
    audience = dialog.audience
    assert audience.internal_radio.isChecked() and audience.internal_radio.text().startswith("&Members' copy")
    assert audience.staff_radio.isVisible() and "with MRNs" in audience.staff_radio.text()
    assert not audience.release_radio.isEnabled()
    members = shown_text(dialog)
    assert "Maria Gar." in members and "Maria Gon." in members
    assert not any(c.mrn in members for c in clients) and "Garcia" not in members

    click_label(qtbot, audience.staff_radio)
    qtbot.waitUntil(lambda: not dialog.pending and "staff copy" in dialog.description_label.text(), timeout=10000)
    staff = shown_text(dialog)
    assert "Group sign-in sheet — staff copy" in staff and all(c.mrn in staff for c in clients)
    assert "Maria Gar." in staff and "Garcia" not in staff
    assert dialog.chosen_request() == PrintRequest(None, group_session.id, staff_copy=True)
    assert dialog.print_button.isEnabled()
    dialog.resize(900, 760)
    qtbot.wait(200)
    dialog.grab().save(f"{SHOTS}/d-signin-preview-staff.png")

    click_label(qtbot, audience.internal_radio)
    qtbot.waitUntil(lambda: not dialog.pending and "staff copy" not in dialog.description_label.text(),
                    timeout=10000)
    assert not any(c.mrn in shown_text(dialog) for c in clients)
    dialog.reject()
