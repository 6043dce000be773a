"""The Notes tab and the note editor, driven through the widgets over a real SQLite clinic.

Each test gets a copy of the staffed clinic with Marisol admitted two weeks ago and a signed
treatment plan, the clinician signed in; it types and clicks as a person would and ends by reading
the database back through the note service.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD
from tests.ui.attestations import answer_attestations
from ui.chart.note_editor import NoteEditorDialog
from ui.chart.note_list_model import NoteListTableModel
from ui.chart.notes_tab import NotesTab
from ui.operations import Operations

CTRL = Qt.KeyboardModifier.ControlModifier
DAP = {"data": "Reports two cravings this week; used urge surfing.",
       "assessment": "Cravings lower than at admission.",
       "plan": "Review the trigger log next session."}


def sign_in(clinic, username: str) -> None:
    clinic.logout()
    clinic.login(username, ADMIN_PASSWORD)


def make_tab(qtbot, clinic, client_id, **kwargs) -> NotesTab:
    tab = NotesTab(clinic, Operations(), client_id, **kwargs)
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    return tab


def signed_note(clinic, client_id) -> str:
    note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), starts_at="10:00", ends_at="10:50",
                                        sections=DAP)
    clinic.notes.sign(note.id, note.version)
    return note.id


def new_editor(qtbot, tab: NotesTab) -> NoteEditorDialog:
    """Ctrl+N in the tab, accept the default type and format (individual, DAP)."""
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_N, CTRL)
    dialog = tab.new_note_dialog
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.kind() == "individual" and dialog.note_format() == "DAP"
    qtbot.keyClick(dialog.format_box, Qt.Key.Key_Return)
    assert len(tab.editors) == 1
    editor = tab.editors[0]
    qtbot.addWidget(editor)
    qtbot.waitUntil(editor.isActiveWindow)
    return editor


def type_sections(qtbot, editor: NoteEditorDialog, texts: dict) -> None:
    for key, text in texts.items():
        qtbot.keyClicks(editor.section_edits[key], text)


def test_clinician_writes_and_signs_a_dap_note_from_the_keyboard(qtbot, chart_with_plan, monkeypatch):
    """Ctrl+N, type Data/Assessment/Plan, tick an objective, Ctrl+Enter: after the attestation the
    note is signed with that text."""
    clinic, client_id, objectives = chart_with_plan
    shown = answer_attestations(monkeypatch)
    tab = make_tab(qtbot, clinic, client_id)
    assert tab.model.rowCount() == 0 and tab.empty_label.isVisible()
    editor = new_editor(qtbot, tab)
    assert [editor.section_edits[k].placeholderText() != "" for k in DAP] == [True] * 3
    type_sections(qtbot, editor, DAP)
    editor.objectives_list.item(0).setCheckState(Qt.CheckState.Checked)
    assert editor.isWindowModified()
    qtbot.keyClick(editor.section_edits["plan"], Qt.Key.Key_Return, CTRL)

    [attested] = shown
    assert attested.statement.startswith("I attest that this note is a true")
    assert "Cleo Clinician, LPC" in attested.signature
    assert editor.signed and editor.section_edits["data"].isReadOnly()
    assert "Signed by Cleo Clinician" in editor.status_label.text()
    notes = clinic.notes.list_for_client(client_id)
    assert [n.status for n in notes] == ["signed"]
    note = clinic.notes.get(notes[0].id)
    assert note.sections == DAP and note.objective_ids == (objectives[0],)
    assert tab.model.rowCount() == 1 and tab.model.index(0, 5).data() == "Signed"


def test_addendum_is_appended_and_the_signed_note_is_unchanged(qtbot, chart_with_plan):
    """Opening a signed note with Enter shows it read-only; Add addendum… appends a dated addendum."""
    clinic, client_id, _ = chart_with_plan
    note_id = signed_note(clinic, client_id)
    tab = make_tab(qtbot, clinic, client_id)
    tab.table.setFocus()
    qtbot.keyClick(tab.table, Qt.Key.Key_Return)
    editor = tab.editors[0]
    assert editor.note_id == note_id and editor.section_edits["data"].isReadOnly()
    assert not editor.sign_button.isVisible() and editor.addendum_button.isVisible()
    qtbot.mouseClick(editor.addendum_button, Qt.MouseButton.LeftButton)
    dialog = editor.addendum_dialog
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.text_edit, "Client called after session; plan unchanged.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    note = clinic.notes.get(note_id)
    assert [a.text for a in note.addenda] == ["Client called after session; plan unchanged."]
    assert note.sections == DAP and note.status == "signed"
    captions = [w.text() for w in editor.findChildren(type(editor.status_label), "addendumCaption")]
    assert captions and captions[0].startswith("Addendum — Cleo Clinician, ")


def test_signing_with_an_empty_section_names_it_inline_and_signs_nothing(qtbot, chart_with_plan, monkeypatch):
    """Sign with Assessment blank: the message names Assessment, its field gets the focus, nothing is
    signed and no note is made by the refused sign (the typed text stays on screen for the autosave)."""
    clinic, client_id, _ = chart_with_plan
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    tab = make_tab(qtbot, clinic, client_id)
    editor = new_editor(qtbot, tab)
    editor.activateWindow()
    type_sections(qtbot, editor, {"data": DAP["data"], "plan": DAP["plan"]})
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)

    assert "Assessment" in editor.error_label.text() and editor.error_label.isVisibleTo(editor)
    assert editor.focusWidget() is editor.section_edits["assessment"]
    assert not editor.signed and not editor.section_edits["data"].isReadOnly()
    assert clinic.notes.list_for_client(client_id) == [] and editor.isWindowModified()


def test_intern_note_awaits_cosignature_then_supervisor_cosigns_from_the_tab(qtbot, chart_with_plan, monkeypatch):
    """An intern's signed note waits for co-signature; the supervisor's Co-sign action completes it."""
    clinic, client_id, _ = chart_with_plan
    answer_attestations(monkeypatch)
    sign_in(clinic, "intern")
    tab = make_tab(qtbot, clinic, client_id)
    assert not tab.cosign_button.isVisible()
    editor = new_editor(qtbot, tab)
    type_sections(qtbot, editor, DAP)
    qtbot.keyClick(editor.section_edits["plan"], Qt.Key.Key_Return, CTRL)
    assert "Awaiting co-signature by supervisor" in editor.status_label.text()
    editor.reject()

    sign_in(clinic, "supervisor")
    tab = make_tab(qtbot, clinic, client_id)
    assert tab.cosign_button.isVisible() and tab.cosign_button.isEnabled()
    shown = answer_attestations(monkeypatch)
    qtbot.mouseClick(tab.cosign_button, Qt.MouseButton.LeftButton)

    assert [a.title for a in shown] == ["Co-sign note"] and "Ira Intern" in shown[0].signing
    assert "as the author's supervisor" in shown[0].statement and "Sam Supervisor" in shown[0].signature
    [item] = clinic.notes.list_for_client(client_id)
    assert item.status == "cosigned" and clinic.notes.get(item.id).cosigned_by == "Sam Supervisor"
    assert tab.model.index(0, 5).data() == "Co-signed" and not tab.cosign_button.isEnabled()


def test_biller_sees_the_list_but_opening_a_note_shows_the_refusal(qtbot, chart_with_plan, monkeypatch):
    """A biller sees the note's date and status; opening it shows the domain's refusal, no editor."""
    clinic, client_id, _ = chart_with_plan
    signed_note(clinic, client_id)
    sign_in(clinic, "biller")
    tab = make_tab(qtbot, clinic, client_id)
    assert tab.model.rowCount() == 1 and tab.model.index(0, 4).data() == "Cleo Clinician"
    assert not tab.new_button.isEnabled() and not tab.cosign_button.isVisible()
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args, **kw: shown.append(args[2]))
    rect = tab.table.visualRect(tab.model.index(0, 0))
    qtbot.mouseClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(tab.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())

    assert shown == ["Bo Biller (biller) is not allowed to read therapy notes."]
    assert tab.editors == []


def test_note_list_model_passes_the_model_tester(qtmodeltester, chart_with_plan):
    """The note list is a well-behaved table model, with and without rows."""
    clinic, client_id, _ = chart_with_plan
    model = NoteListTableModel(clinic, client_id)
    qtmodeltester.check(model)
    signed_note(clinic, client_id)
    model.reload()
    assert model.rowCount() == 1
    qtmodeltester.check(model)


def test_autosaved_typing_survives_in_a_new_editor(qtbot, chart_with_plan):
    """After the autosave fires, a new editor on the same note id shows what was typed (crash safety)."""
    clinic, client_id, _ = chart_with_plan
    editor = NoteEditorDialog(clinic, Operations(), client_id, autosave_ms=50)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor.section_edits["data"], "Arrived on time, ")
    qtbot.waitUntil(lambda: not editor.isWindowModified(), timeout=2000)
    qtbot.keyClicks(editor.section_edits["data"], "calm.")
    qtbot.waitUntil(lambda: not editor.isWindowModified(), timeout=2000)
    assert editor.note_id is not None

    again = NoteEditorDialog(clinic, Operations(), client_id, editor.note_id)
    qtbot.addWidget(again)
    assert again.section_edits["data"].toPlainText() == "Arrived on time, calm."
    assert not again.signed and not again.isWindowModified()


def test_closing_with_unsaved_changes_asks_and_cancel_keeps_the_editor(qtbot, chart_with_plan, monkeypatch):
    """Esc with unsaved text asks; Cancel keeps the editor open, Save stores the draft and closes."""
    clinic, client_id, _ = chart_with_plan
    editor = NoteEditorDialog(clinic, Operations(), client_id)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor.section_edits["data"], "Half a thought")
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save]
    monkeypatch.setattr(QMessageBox, "question", lambda *args, **kw: answers.pop(0))
    qtbot.keyClick(editor.section_edits["data"], Qt.Key.Key_Escape)
    assert editor.isVisible() and editor.isWindowModified()
    qtbot.keyClick(editor.section_edits["data"], Qt.Key.Key_Escape)
    assert not editor.isVisible() and answers == []
    [item] = clinic.notes.list_for_client(client_id)
    assert clinic.notes.get(item.id).sections["data"] == "Half a thought"


def test_ctrl_s_saves_the_draft_with_its_times_and_minutes(qtbot, chart_with_plan):
    """Typing the start over (an hour earlier) and pressing Ctrl+S saves the draft with the longer span."""
    clinic, client_id, _ = chart_with_plan
    tab = make_tab(qtbot, clinic, client_id)
    editor = new_editor(qtbot, tab)
    qtbot.keyClicks(editor.section_edits["data"], "Brief check-in.")
    for field, typed in ((editor.start_edit, "10:00 am"), (editor.end_edit, "10:50 am")):
        qtbot.mouseDClick(field.line_edit, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(field.line_edit, typed)
    assert editor.minutes_label.text() == "50 minutes"
    qtbot.mouseDClick(editor.start_edit.line_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(editor.start_edit.line_edit, "9:00")  # an hour earlier
    assert editor.start_edit.value() == dt.time(9, 0)
    assert editor.minutes_label.text() == "110 minutes"
    qtbot.keyClick(editor.start_edit.line_edit, Qt.Key.Key_S, CTRL)

    assert not editor.isWindowModified()
    note = clinic.notes.get(editor.note_id)
    assert note.minutes == 110 and note.status == "draft" and note.sections["data"] == "Brief check-in."
    assert tab.model.rowCount() == 1 and tab.model.index(0, 3).data() == "110"


def test_client_without_a_plan_shows_no_treatment_plan_yet(qtbot, chart_with_plan):
    """For a client with no treatment plan the objectives list gives way to "No treatment plan yet"."""
    clinic, _, _ = chart_with_plan
    other, _ = clinic.clients.register(legal_first="Dana", legal_last="Okafor", dob="1985-02-03")
    editor = NoteEditorDialog(clinic, Operations(), other.id)
    qtbot.addWidget(editor)
    editor.show()
    assert editor.objectives_empty.isVisible() and editor.objectives_empty.text() == "No treatment plan yet"
    assert not editor.objectives_list.isVisible()


def test_a_section_pasted_over_its_limit_is_kept_as_typed_and_the_save_says_why(qtbot, chart_with_plan):
    """Cleo pastes 20,001 characters into Data and presses Ctrl+S: the message under the note names
    Data, the limit and the length; the text stays exactly as pasted, nothing is saved; one
    character fewer saves."""
    clinic, client_id, _ = chart_with_plan
    tab = make_tab(qtbot, clinic, client_id)
    editor = new_editor(qtbot, tab)
    pasted = ("Reports cravings after the family visit; used urge surfing twice. " * 400)[:20_001]
    editor.section_edits["data"].setPlainText(pasted)
    qtbot.keyClick(editor.section_edits["data"], Qt.Key.Key_S, CTRL)

    assert editor.error_label.isVisible()
    assert editor.error_label.text().startswith("Data: at most 20,000 characters; this has 20,001.")
    assert editor.section_edits["data"].toPlainText() == pasted and editor.isWindowModified()
    assert editor.note_id is None and clinic.notes.list_for_client(client_id) == []
    editor.section_edits["data"].setPlainText(pasted[:20_000])
    qtbot.keyClick(editor.section_edits["data"], Qt.Key.Key_S, CTRL)
    assert not editor.error_label.isVisible() and not editor.isWindowModified()
    assert clinic.notes.get(editor.note_id).sections["data"] == pasted[:20_000].strip()
