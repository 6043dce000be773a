"""Signing a note from the note editor is deliberate and clean: the attestation first (Cancel
leaves the note as it was), another client's name highlighted and blocking until overridden with a
reason, a refused sign leaving no draft behind, and messages that clear once their cause is fixed.
Marisol's chart, with Jordan Blackwood also in care; Cleo Clinician writes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from iopdesk.models import AuditEvent
from tests.domain.test_groups import admit
from tests.ui.attestations import answer_attestations
from tests.ui.test_name_check_ui import on_next_modal
from tests.ui.test_notes_ui import DAP, make_tab, new_editor, type_sections
from ui.chart.note_editor import NoteEditorDialog
from ui.operations import Operations


@pytest.fixture
def marisol_and_jordan_ids(chart_with_plan, monkeypatch):
    """(clinic, Marisol's id, Jordan Blackwood's id); closing an unsaved editor discards."""
    clinic, client_id, _ = chart_with_plan
    other, _ = admit(clinic, "Jordan", "Blackwood")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    return clinic, client_id, other.id


def editor_for(qtbot, clinic, client_id, note_id=None) -> NoteEditorDialog:
    editor = NoteEditorDialog(clinic, Operations(), client_id, note_id)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.waitUntil(lambda: editor.name_check.ready, timeout=3000)
    return editor


def test_a_new_blank_note_refused_at_signing_leaves_no_draft(qtbot, marisol_and_jordan_ids):
    """Ctrl+N then Sign at once: “Cannot sign yet: fill in Data, Assessment, Plan”, no attestation,
    and the chart's list stays empty."""
    clinic, client_id, _ = marisol_and_jordan_ids
    tab = make_tab(qtbot, clinic, client_id)
    editor = new_editor(qtbot, tab)
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert editor.error_label.text() == "Cannot sign yet: fill in Data, Assessment, Plan."
    assert clinic.notes.list_for_client(client_id) == [] and tab.model.rowCount() == 0
    assert not editor.isWindowModified() and not editor.autosave_timer.isActive()


def test_a_sign_the_domain_refuses_after_the_attestation_leaves_no_draft(qtbot, marisol_and_jordan_ids, monkeypatch):
    """A client admitted after the editor opened is named: the screen could not know, the domain
    refuses at signing, and the new note is not kept."""
    clinic, client_id, _ = marisol_and_jordan_ids
    answer_attestations(monkeypatch)
    editor = editor_for(qtbot, clinic, client_id)
    admit(clinic, "Keiko", "Tanabe")
    type_sections(qtbot, editor, {**DAP, "plan": "Meet Keiko Tanabe at the bus stop."})
    assert editor.sign() is False
    assert "Keiko Tanabe" in editor.error_label.text() and editor.error_label.isVisibleTo(editor)
    assert clinic.notes.list_for_client(client_id) == []


def test_cancel_at_the_attestation_leaves_the_note_as_it_was(qtbot, marisol_and_jordan_ids):
    """The attestation names Cleo with her credentials; Cancel signs nothing and creates nothing."""
    clinic, client_id, _ = marisol_and_jordan_ids
    editor = editor_for(qtbot, clinic, client_id)
    type_sections(qtbot, editor, DAP)

    def read_and_cancel(dialog):
        shown = (dialog.windowTitle(), dialog.statement.text(), dialog.signature.text(), dialog.signing_label.text())
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        return shown
    seen = on_next_modal(qtbot, read_and_cancel)
    qtbot.keyClick(editor.section_edits["plan"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    [(title, statement, signature, signing)] = seen
    assert title == "Sign note" and statement.startswith("I attest that this note is a true, accurate")
    assert signature.startswith("— Cleo Clinician, LPC · ") and "Quintana-Reyes" in signing
    assert not editor.signed and editor.isWindowModified() and "Not signed." in editor.status_label.text()
    assert clinic.notes.list_for_client(client_id) == []


def test_cannot_sign_yet_clears_as_the_sections_are_filled(qtbot, marisol_and_jordan_ids):
    """The message names the two empty sections, then only the one left, then disappears."""
    clinic, client_id, _ = marisol_and_jordan_ids
    editor = editor_for(qtbot, clinic, client_id)
    type_sections(qtbot, editor, {"data": DAP["data"]})
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert editor.error_label.text() == "Cannot sign yet: fill in Assessment, Plan."
    assert editor.focusWidget() is editor.section_edits["assessment"]
    qtbot.keyClicks(editor.section_edits["assessment"], "Calmer")
    assert editor.error_label.text() == "Cannot sign yet: fill in Plan."
    qtbot.keyClicks(editor.section_edits["plan"], "Next week")
    assert not editor.error_label.isVisibleTo(editor) and editor.error_label.text() == ""


def test_another_clients_name_is_highlighted_blocks_signing_and_signs_after_an_override(qtbot, marisol_and_jordan_ids,
                                                                                      monkeypatch):
    """“Jordan Blackwood” is highlighted as it is typed; Sign says why it cannot sign (no
    attestation); Override… with the reason lets it sign, and the reason is in the audit trail."""
    clinic, client_id, jordan = marisol_and_jordan_ids
    shown = answer_attestations(monkeypatch)
    editor = editor_for(qtbot, clinic, client_id)
    type_sections(qtbot, editor, {**DAP, "data": "Rode in with her cousin Jordan Blackwood."})
    panel = editor.name_check.panel
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    marked = [s.cursor.selectedText() for s in editor.section_edits["data"].extraSelections()]
    assert marked == ["Jordan Blackwood"] and "“Jordan Blackwood” (J.B.)" in panel.label.text()
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert shown == [] and "names another client (“Jordan Blackwood” (J.B.))" in editor.error_label.text()
    assert clinic.notes.list_for_client(client_id) == []

    reason = "Her cousin, who shares the name of a client."

    def give_reason(dialog):
        dialog.reason_edit.setFocus()
        qtbot.keyClicks(dialog.reason_edit, reason)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    on_next_modal(qtbot, give_reason)
    qtbot.mouseClick(panel.override_button, Qt.MouseButton.LeftButton)
    assert not panel.override_button.isVisible() and editor.error_label.text() == ""
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert editor.signed and len(shown) == 1
    kept = AuditEvent.get(AuditEvent.action == "name_override")
    assert (kept.detail["words"], kept.detail["reason"], kept.detail["named_client_id"]) == (
        "Jordan Blackwood", reason, jordan)
    assert [s.cursor.selectedText() for s in editor.section_edits["data"].extraSelections()] == []


def test_the_name_message_clears_when_the_name_is_taken_out(qtbot, marisol_and_jordan_ids):
    """Sign refused for the name; deleting the surname clears the message once the check runs."""
    clinic, client_id, _ = marisol_and_jordan_ids
    editor = editor_for(qtbot, clinic, client_id)
    type_sections(qtbot, editor, {**DAP, "plan": "Call Jordan Blackwood"})
    qtbot.mouseClick(editor.sign_button, Qt.MouseButton.LeftButton)
    assert "Jordan Blackwood" in editor.error_label.text()
    for _ in " Blackwood":
        qtbot.keyClick(editor.section_edits["plan"], Qt.Key.Key_Backspace)
    qtbot.waitUntil(lambda: editor.error_label.text() == "", timeout=2000)
    assert not editor.name_check.panel.isVisible()


def test_signing_a_new_note_with_an_impossible_date_stops_at_the_date(qtbot, marisol_and_jordan_ids, monkeypatch):
    """The date of service retyped as 13/45/2026 and Ctrl+Enter: the message is under the date, the
    attestation never shows, and no note exists."""
    clinic, client_id, _ = marisol_and_jordan_ids
    shown = answer_attestations(monkeypatch)
    editor = editor_for(qtbot, clinic, client_id)
    type_sections(qtbot, editor, DAP)
    qtbot.mouseDClick(editor.date_edit.line_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(editor.date_edit.line_edit, "13/45/2026")
    qtbot.keyClick(editor.section_edits["plan"], Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    assert editor.date_edit.problem() == "Date of service: there is no month 13."
    assert shown == [] and not editor.signed and editor.date_edit.line_edit.text() == "13/45/2026"
    assert clinic.notes.list_for_client(client_id) == []
