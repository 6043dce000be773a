"""Date and time entry never changes what was typed: the date and time fields driven as a person does
(double-click the field or Tab into it, then type) over a real clinic.

Each test has its own copy of the staffed clinic with the clinician signed in. Dates compared with
"today" are built from the clinic clock.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from ui.chart.consents_tab import ConsentsTab
from ui.chart.note_editor import NoteEditorDialog
from ui.clinic_settings_panel import ClinicSettingsPanel
from ui.date_fields import DateField, TimeField
from ui.dates import time_format, use_time_format
from ui.operations import Operations
from ui.register_dialog import RegisterClientDialog

DAP = {"data": "Reports two cravings this week.", "assessment": "Cravings lower.", "plan": "Trigger log."}


def us(day: dt.date) -> str:
    return f"{day:%m/%d/%Y}"


@pytest.fixture(autouse=True)
def twelve_hour_screens():
    """Every test starts, and ends, with screens on the default 12-hour clock."""
    use_time_format("12h")
    yield
    use_time_format("12h")


def shown(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def retype(qtbot, field: DateField | TimeField, text: str) -> None:
    """Double-click the field, as a person selects what is in it, and type over it."""
    qtbot.mouseDClick(field.line_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field.line_edit, text)


@pytest.fixture
def register(qtbot, clinician_sqlite):
    """The register dialog with Rosa Delgado's name typed, the cursor in Preferred name."""
    dialog = shown(qtbot, RegisterClientDialog(clinician_sqlite, Operations()))
    qtbot.keyClicks(dialog.first_edit, "Rosa")
    qtbot.keyClicks(dialog.last_edit, "Delgado")
    dialog.preferred_edit.setFocus()
    return dialog


def tab_into_date_of_birth(qtbot, dialog) -> None:
    qtbot.keyClick(dialog.preferred_edit, Qt.Key.Key_Tab)
    assert dialog.dob_edit.line_edit.hasFocus()


def registered(clinic) -> list:
    return clinic.clients.search("rosa delgado")


def test_an_impossible_date_of_birth_is_refused_under_the_field_and_no_client_is_registered(qtbot, register):
    """13/45/2020 is not turned into another date: Save says "there is no month 13" under the date of
    birth, which keeps the text and the focus; the message goes once the date is fixed."""
    dialog, clinic = register, register.clinic
    tab_into_date_of_birth(qtbot, dialog)
    qtbot.keyClicks(dialog.dob_edit.line_edit, "13/45/2020")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and registered(clinic) == []
    assert dialog.dob_edit.problem_label.isVisible()
    assert dialog.dob_edit.problem_label.text() == "Date of birth: there is no month 13."
    assert dialog.dob_edit.text() == "13/45/2020"
    assert QApplication.focusWidget() is dialog.dob_edit.line_edit
    assert dialog.dob_edit.line_edit.selectedText() == "13/45/2020"
    qtbot.keyClicks(dialog.dob_edit.line_edit, "04/12/1991")
    assert not dialog.dob_edit.problem_label.isVisible()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    [client] = registered(clinic)
    assert client.dob == dt.date(1991, 4, 12)


def test_a_date_of_birth_retyped_over_a_double_click_is_saved_as_typed(qtbot, register):
    """A date already in the field, double-clicked and typed over with 04/12/1991, is April 12, 1991."""
    dialog, clinic = register, register.clinic
    tab_into_date_of_birth(qtbot, dialog)
    qtbot.keyClicks(dialog.dob_edit.line_edit, "01/01/1990")
    qtbot.keyClick(dialog.dob_edit.line_edit, Qt.Key.Key_Tab)
    retype(qtbot, dialog.dob_edit, "04/12/1991")
    assert dialog.dob_edit.text() == "04/12/1991"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    [client] = registered(clinic)
    assert client.dob == dt.date(1991, 4, 12)


@pytest.mark.parametrize(("typed", "reason"), [
    ("04/12", "type the year too (MM/DD/YYYY)."),
    ("04/12/91", "type the year in full (MM/DD/YYYY)."),
    ("2/30/1991", "February 1991 has 28 days."),
])
def test_a_partial_or_impossible_date_is_refused_not_completed(qtbot, register, typed, reason):
    """Nothing is guessed: no year is added, no day rolled into March; the text stays as typed."""
    dialog, clinic = register, register.clinic
    tab_into_date_of_birth(qtbot, dialog)
    qtbot.keyClicks(dialog.dob_edit.line_edit, typed)
    qtbot.keyClick(dialog.dob_edit.line_edit, Qt.Key.Key_Tab)
    assert dialog.dob_edit.problem_label.text() == f"Date of birth: {reason}"
    assert dialog.dob_edit.text() == typed
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert registered(clinic) == [] and dialog.dob_edit.problem_label.isVisible()


def test_the_calendar_fills_the_date_of_birth(qtbot, register):
    """Alt+Down opens the calendar at the date typed; a day picked there (Right, Enter) fills the field."""
    dialog, clinic = register, register.clinic
    tab_into_date_of_birth(qtbot, dialog)
    qtbot.keyClicks(dialog.dob_edit.line_edit, "04/12/1991")
    qtbot.keyClick(dialog.dob_edit.line_edit, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    popup = dialog.dob_edit.popup
    qtbot.waitUntil(popup.isVisible)
    assert popup.calendar.selectedDate().toPython() == dt.date(1991, 4, 12)
    days = popup.calendar.focusProxy() or popup.calendar
    qtbot.keyClick(days, Qt.Key.Key_Right)
    qtbot.keyClick(days, Qt.Key.Key_Return)
    assert not popup.isVisible()
    assert dialog.dob_edit.text() == "04/13/1991"
    qtbot.mouseClick(dialog.dob_edit.calendar_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(popup.isVisible)
    qtbot.keyClick(days, Qt.Key.Key_Escape)
    assert not popup.isVisible() and dialog.dob_edit.text() == "04/13/1991"
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    [client] = registered(clinic)
    assert client.dob == dt.date(1991, 4, 13)


def test_a_consent_date_typed_after_tab_is_saved_and_a_blank_expiry_is_no_expiry(qtbot, clinician_sqlite):
    """Tab into "Date signed" (today's date selected), type the day the client signed: that day is saved;
    "Expires on" may stay blank (an expiration event instead), but not hold text that is not a date."""
    clinic = clinician_sqlite
    client, _ = admit_marisol(clinic)
    tab = shown(qtbot, ConsentsTab(clinic, Operations(), client.id))
    dialog = tab.add_consent()
    qtbot.waitUntil(dialog.isActiveWindow)
    for key, text in (("recipient", "Dr. Lee, primary care"), ("purpose", "Coordination of care"),
                      ("information", "Attendance"), ("signed_by", "Marisol Quintana-Reyes"),
                      ("expiration_event", "Discharge")):
        qtbot.keyClicks(dialog.fields[key], text)
    qtbot.keyClick(dialog.fields["revocation_acknowledged"], Qt.Key.Key_Space)
    signed_on = dialog.fields["signed_on"]
    assert signed_on.text() == us(clock.today())
    dialog.fields["signed_by"].setFocus()
    qtbot.keyClick(dialog.fields["signed_by"], Qt.Key.Key_Tab)
    assert signed_on.line_edit.hasFocus() and signed_on.line_edit.selectedText() == us(clock.today())
    three_days_ago = clock.today() - dt.timedelta(days=3)
    qtbot.keyClicks(signed_on.line_edit, us(three_days_ago))
    qtbot.keyClick(signed_on.line_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.fields["expires_on"].line_edit, "someday")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and clinic.consents.list_for_client(client.id) == []
    assert dialog.fields["expires_on"].problem_label.text().startswith("Expires on: “someday” is not a date")
    retype(qtbot, dialog.fields["expires_on"], "")
    qtbot.keyClick(dialog.fields["expires_on"].line_edit, Qt.Key.Key_Backspace)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    [consent] = clinic.consents.list_for_client(client.id)
    assert (consent.signed_on, consent.expires_on, consent.expiration_event) == (three_days_ago, None, "Discharge")


@pytest.fixture
def discard_on_close(monkeypatch):
    """Closing a note editor with unsaved text at the end of a test discards it (no modal question)."""
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kwargs: QMessageBox.StandardButton.Discard)


@pytest.fixture
def editor(qtbot, clinician_sqlite, discard_on_close):
    clinic = clinician_sqlite
    client, _ = admit_marisol(clinic)
    return shown(qtbot, NoteEditorDialog(clinic, Operations(), client.id))


@pytest.mark.parametrize("typed", ["9:30 am", "09:30"])
def test_a_start_time_typed_either_way_is_half_past_nine_shown_as_the_clinic_writes_it(qtbot, editor, typed):
    """"9:30 am" and "09:30" are both 09:30; leaving the field shows 9:30 AM; the draft keeps 09:30."""
    qtbot.keyClicks(editor.section_edits["data"], DAP["data"])
    retype(qtbot, editor.start_edit, typed)
    retype(qtbot, editor.end_edit, "10:20 AM")
    assert editor.start_edit.value() == dt.time(9, 30)
    assert editor.start_edit.text() == "9:30 AM" and editor.end_edit.text() == "10:20 AM"
    assert editor.minutes_label.text() == "50 minutes"
    assert editor.save()
    note = editor.clinic.notes.get(editor.note_id)
    assert (note.starts_at, note.ends_at, note.minutes) == (dt.time(9, 30), dt.time(10, 20), 50)


def test_a_time_that_is_not_one_stops_the_save_and_keeps_the_saved_draft(qtbot, editor):
    """"13:00 pm" is refused under the start time, which gets the focus; the draft saved before
    keeps its times and text."""
    qtbot.keyClicks(editor.section_edits["data"], DAP["data"])
    retype(qtbot, editor.start_edit, "9:00 am")
    retype(qtbot, editor.end_edit, "9:50 am")
    assert editor.save()
    saved = editor.clinic.notes.get(editor.note_id)
    retype(qtbot, editor.start_edit, "13:00 pm")
    qtbot.keyClicks(editor.section_edits["data"], " More.")
    assert not editor.save()
    assert editor.start_edit.problem_label.text() == "Start time: with AM or PM the hour is 1 to 12."
    assert QApplication.focusWidget() is editor.start_edit.line_edit and editor.isWindowModified()
    assert editor.clinic.notes.get(editor.note_id) == saved
    assert editor.section_edits["data"].toPlainText() == DAP["data"] + " More."


def test_a_date_of_service_after_today_is_refused_not_clamped(qtbot, editor):
    """Tomorrow is refused with a message under the date of service; the text stays tomorrow."""
    qtbot.keyClicks(editor.section_edits["data"], DAP["data"])
    tomorrow = clock.today() + dt.timedelta(days=1)
    retype(qtbot, editor.date_edit, us(tomorrow))
    assert not editor.save()
    assert editor.date_edit.problem_label.text() == f"Date of service: {us(tomorrow)} is in the future."
    assert editor.date_edit.text() == us(tomorrow) and editor.note_id is None


def test_an_administrator_sets_24_hour_times_and_the_note_editor_shows_09_30(qtbot, clinician_sqlite,
                                                                            discard_on_close):
    """The Admin page's time format, set to 24-hour, is saved for the clinic (audited) and a time typed
    "9:30 am" then shows as 09:30."""
    clinic = clinician_sqlite
    client, _ = admit_marisol(clinic)
    clinic.logout()
    clinic.login("admin", ADMIN_PASSWORD)
    panel = shown(qtbot, ClinicSettingsPanel(clinic, Operations()))
    assert panel.time_format_box.currentData() == "12h"
    panel.time_format_box.setFocus()
    qtbot.keyClick(panel.time_format_box, Qt.Key.Key_Down)
    assert clinic.settings.time_format() == "24h" and time_format() == "24h"
    assert "09:30" in panel.message.text()
    clinic.logout()
    clinic.login("clinician", ADMIN_PASSWORD)
    note_editor = shown(qtbot, NoteEditorDialog(clinic, Operations(), client.id))
    retype(qtbot, note_editor.start_edit, "9:30 am")
    qtbot.keyClick(note_editor.start_edit.line_edit, Qt.Key.Key_Tab)
    assert note_editor.start_edit.text() == "09:30"
    assert note_editor.start_edit.line_edit.placeholderText() == "HH:MM"
