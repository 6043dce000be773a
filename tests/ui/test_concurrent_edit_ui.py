"""Two note editors on the same draft: the later save shows both versions instead of overwriting."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from iopdesk.errors import ConcurrentEdit
from iopdesk.kernel import clock
from tests.conftest import admit_marisol
from ui.chart.note_editor import NoteEditorDialog
from ui.concurrent_edit_dialog import ConcurrentEditDialog, version_rows
from ui.operations import Operations

DAP = {"data": "Reports two cravings this week.", "assessment": "Cravings lower than at admission.",
       "plan": "Review the trigger log next session."}


@pytest.fixture
def note_draft(clinician_sqlite):
    """(clinic, client id, note id): Marisol admitted, a DAP draft by the signed-in clinician."""
    clinic = clinician_sqlite
    client, _episode = admit_marisol(clinic)
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), starts_at="10:00", ends_at="10:50",
                                        sections=DAP)
    return clinic, client.id, note.id


def open_editor(qtbot, clinic, client_id, note_id) -> NoteEditorDialog:
    editor = NoteEditorDialog(clinic, Operations(), client_id, note_id, autosave_ms=60_000)
    qtbot.addWidget(editor)
    editor.show()
    return editor


def type_plan(qtbot, editor: NoteEditorDialog, text: str) -> None:
    edit = editor.section_edits["plan"]
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def test_second_editor_save_shows_both_versions_and_keep_theirs_reloads(qtbot, note_draft):
    """The clinician edits the same draft in two windows; the second save opens the dialog with the
    first window's plan next to her own, copies hers on request, and "Keep theirs" reloads the note."""
    clinic, client_id, note_id = note_draft
    first = open_editor(qtbot, clinic, client_id, note_id)
    second = open_editor(qtbot, clinic, client_id, note_id)
    type_plan(qtbot, first, "Call sponsor daily.")
    assert first.save()
    type_plan(qtbot, second, "Start a gratitude list.")

    assert second.save() is False
    dialog = second.concurrent_edit_dialog
    assert isinstance(dialog, ConcurrentEditDialog)
    qtbot.waitUntil(dialog.isVisible)
    assert "changed by clinician" in dialog.message_label.text()
    cells = {dialog.table.item(r, 0).text(): (dialog.table.item(r, 1).text(), dialog.table.item(r, 2).text())
             for r in range(dialog.table.rowCount())}
    assert cells["Plan"] == ("Call sponsor daily.", "Start a gratitude list.")
    assert cells["Data"] == (DAP["data"], DAP["data"])
    assert cells["Start time"] == ("10:00 AM", "10:00 AM")
    assert "Episode" not in cells
    assert "clinician" in dialog.table.horizontalHeaderItem(1).text()
    assert clinic.notes.get(note_id).sections["plan"] == "Call sponsor daily."

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert "Plan:\nStart a gratitude list." in QGuiApplication.clipboard().text()

    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert second.section_edits["plan"].toPlainText() == "Call sponsor daily."
    assert not second.isWindowModified() and not second.error_label.isVisible()
    assert second.view.version == first.view.version

    type_plan(qtbot, second, "Call sponsor daily; gratitude list.")
    assert second.save()
    assert clinic.notes.get(note_id).sections["plan"] == "Call sponsor daily; gratitude list."


def test_dialog_rows_show_dates_and_times_as_the_clinic_writes_them():
    """Dates read MM/DD/YYYY, times as the clinic writes them (9:05 AM), nothing for an empty value,
    and hidden fields stay out."""
    error = ConcurrentEdit("changed", changed_by="frontdesk", changed_at=dt.datetime(2025, 3, 4, 15, 30),
                           theirs={"service_date": dt.date(2025, 3, 3), "starts_at": dt.time(9, 5),
                                   "ends_at": None, "episode": "x"},
                           mine={"service_date": dt.date(2025, 3, 4), "starts_at": dt.time(10, 0),
                                 "ends_at": dt.time(10, 50), "episode": "y"})
    rows = version_rows(error, {"service_date": "Date of service", "episode": None})
    assert rows == [("Date of service", "03/03/2025", "03/04/2025"), ("Starts at", "9:05 AM", "10:00 AM"),
                    ("Ends at", "", "10:50 AM")]
