"""The group-session composer keeps other members' names out of the charts while the facilitator
types, and Sign all attests what it signs: the morning process group (twelve members, Cleo
Clinician facilitating), driven through the window as a facilitator does it."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication

from iopdesk.models import AuditEvent
from tests.ui.attestations import answer_attestations
from tests.ui.test_group_session_ui import go_to_row, write_sections

CLEAN = {"participation": "{i} shared a craving and listened.", "response": "{i} practised urge surfing.",
         "progress": "{i} named two triggers.", "risk": "{i} denied thoughts of harm.",
         "plan": "{i} returns tomorrow with the log."}


def on_next_modal(qtbot, act) -> list:
    """Call `act(dialog)` on the next modal dialog once it is shown; returns what act returned."""
    seen = []

    def handle():
        dialog = QApplication.activeModalWidget()
        if dialog is None or not dialog.isVisible():
            QTimer.singleShot(20, handle)
            return
        seen.append(act(dialog))
    QTimer.singleShot(0, handle)
    return seen


def row_of(session_window, last: str) -> int:
    return next(i for i, r in enumerate(session_window.model.rows()) if r.display_name.endswith(last))


def attend_and_write(qtbot, session_window, last: str, texts: dict[str, str]) -> None:
    """Mark the member present and type their five sections."""
    go_to_row(qtbot, session_window, row_of(session_window, last))
    qtbot.keyClick(session_window.roster, Qt.Key.Key_P)
    go_to_row(qtbot, session_window, row_of(session_window, last))
    initials = session_window.model.rows()[row_of(session_window, last)].initials
    write_sections(qtbot, session_window, {k: v.format(i=initials) for k, v in texts.items()})


def write_shared_part(qtbot, session_window, note: str = "Members practised urge surfing.") -> None:
    qtbot.keyClicks(session_window.topic_edit, "Coping with cravings")
    qtbot.keyClicks(session_window.shared_edit, note)


def highlighted(edit) -> list[str]:
    return [s.cursor.selectedText() for s in edit.extraSelections()]


def test_a_section_naming_another_member_is_highlighted_and_blocked_as_it_is_typed(qtbot, group_session_window):  # noqa: F811 (fixtures)
    """“Okafor” typed in Blackwood's section: within half a second, without saving, the word is
    highlighted, the section says it cannot be signed and offers Override…, and the warnings list it."""
    attend_and_write(qtbot, group_session_window, "Blackwood", {"participation": "Sat by Okafor during check-in."})
    assert group_session_window.isWindowModified()
    panel = group_session_window.editor.findings_panel
    qtbot.waitUntil(lambda: panel.isVisible(), timeout=2000)
    assert group_session_window.isWindowModified()  # nothing saved to get there
    assert highlighted(group_session_window.editor.editors["participation"]) == ["Okafor"]
    assert "cannot be signed" in panel.label.text() and "“Okafor” (A.O.)" in panel.label.text()
    assert panel.override_button.isVisible()
    assert group_session_window.warnings.count() == 1 and group_session_window.warnings.item(0).text().startswith("Blocked · Jordan Blackwood")
    group_session_window.editor.editors["participation"].setFocus()
    for _ in "Okafor during check-in.":
        qtbot.keyClick(group_session_window.editor.editors["participation"], Qt.Key.Key_Backspace)
    qtbot.keyClicks(group_session_window.editor.editors["participation"], "A.O. during check-in.")
    qtbot.waitUntil(lambda: not panel.isVisible(), timeout=2000)
    assert highlighted(group_session_window.editor.editors["participation"]) == [] and group_session_window.warnings.count() == 0


def test_sign_all_attests_the_clean_sections_and_lists_the_blocked_one_apart(qtbot, group_session_window, group_clinic):  # noqa: F811
    """Blackwood's section names Okafor, Chukwu's is clean: the attestation lists Chukwu to sign
    and Blackwood apart, with the reason and “Okafor” highlighted; Cancel signs nothing; Sign
    signs Chukwu's note only."""
    write_shared_part(qtbot, group_session_window)
    attend_and_write(qtbot, group_session_window, "Blackwood", {**CLEAN, "response": "Helped Okafor with the worksheet."})
    attend_and_write(qtbot, group_session_window, "Chukwu", CLEAN)

    def read_and_cancel(dialog):
        shown = (dialog.statement.text(), dialog.signing_label.text(), dialog.left_out_label.text())
        qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
        return shown
    seen = on_next_modal(qtbot, read_and_cancel)
    qtbot.keyClick(group_session_window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    [(statement, to_sign, left_out)] = seen
    assert statement.startswith("I attest that each group note listed below")
    assert "Emeka Chukwu" in to_sign and "Blackwood" not in to_sign
    assert "Jordan Blackwood" in left_out and "“Okafor” (A.O.)" in left_out
    assert 'background-color:#ffc9c9; font-weight:600">Okafor</span>' in left_out
    assert group_session_window.status_text.text() == "Nothing was signed."
    statuses = {r.display_name: r.note_status for r in group_clinic.groups.roster(group_session_window.session_id)}
    assert statuses["Emeka Chukwu"] == statuses["Jordan Blackwood"] == "draft"

    on_next_modal(qtbot, lambda dialog: qtbot.mouseClick(dialog.sign_button, Qt.MouseButton.LeftButton))
    qtbot.mouseClick(group_session_window.sign_button, Qt.MouseButton.LeftButton)
    statuses = {r.display_name: r.note_status for r in group_clinic.groups.roster(group_session_window.session_id)}
    assert statuses["Emeka Chukwu"] == "signed" and statuses["Jordan Blackwood"] == "draft"
    assert "1 notes signed." in group_session_window.result_label.text() and "Okafor" in group_session_window.result_label.text()


def test_an_override_with_its_reason_lets_the_section_be_signed_and_is_audited(qtbot, group_session_window, group_clinic,  # noqa: F811
                                                                              monkeypatch):
    """Override… on Blackwood's section asks the reason; once given the word is no longer blocking,
    Sign all signs the note and the reason is in the audit trail."""
    answer_attestations(monkeypatch)
    write_shared_part(qtbot, group_session_window)
    attend_and_write(qtbot, group_session_window, "Blackwood", {**CLEAN, "plan": "Walk past Okafor Street to the clinic."})
    panel = group_session_window.editor.findings_panel
    qtbot.waitUntil(lambda: panel.override_button.isVisible(), timeout=2000)
    reason = "Okafor Street, where the clinic is."

    def give_reason(dialog):
        assert not dialog.ok_button.isEnabled()
        dialog.reason_edit.setFocus()
        qtbot.keyClicks(dialog.reason_edit, reason)
        qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    on_next_modal(qtbot, give_reason)
    qtbot.mouseClick(panel.override_button, Qt.MouseButton.LeftButton)
    assert not panel.override_button.isVisible() and "Overridden" in panel.label.text()
    assert group_session_window.warnings.item(0).text().startswith("Overridden · Jordan Blackwood")

    qtbot.mouseClick(group_session_window.sign_button, Qt.MouseButton.LeftButton)
    statuses = {r.display_name: r.note_status for r in group_clinic.groups.roster(group_session_window.session_id)}
    assert statuses["Jordan Blackwood"] == "signed"
    kept = AuditEvent.get(AuditEvent.action == "name_override")
    assert (kept.detail["words"], kept.detail["reason"], kept.detail["named_initials"]) == ("Okafor", reason, "A.O.")


def test_a_shared_part_naming_a_member_holds_back_the_whole_session(qtbot, group_session_window, group_clinic, monkeypatch):  # noqa: F811
    """“Tomasz” in the shared note is highlighted there; Sign all signs nothing and says why."""
    asked = answer_attestations(monkeypatch)
    write_shared_part(qtbot, group_session_window, "Tomasz led the breathing exercise.")
    attend_and_write(qtbot, group_session_window, "Chukwu", CLEAN)
    panel = group_session_window.shared_part.findings_panel
    qtbot.waitUntil(panel.isVisible, timeout=2000)
    assert highlighted(group_session_window.shared_edit) == ["Tomasz"] and panel.override_button.isVisible()
    qtbot.mouseClick(group_session_window.sign_button, Qt.MouseButton.LeftButton)
    assert asked == [] and group_session_window.result_label.text().startswith("Nothing can be signed yet.")
    assert "Shared part" in group_session_window.result_label.text()
    assert {r.note_status for r in group_clinic.groups.roster(group_session_window.session_id)} == {None, "draft"}


def test_near_identical_sections_are_a_warning_that_does_not_block(qtbot, group_session_window):  # noqa: F811
    """Chukwu's and Blackwood's sections differ only by their initials: both are warned (the
    comparison runs off the GUI thread), neither is blocked."""
    attend_and_write(qtbot, group_session_window, "Chukwu", CLEAN)
    attend_and_write(qtbot, group_session_window, "Blackwood", CLEAN)
    qtbot.waitUntil(lambda: group_session_window.warnings.count() == 2, timeout=3000)
    texts = [group_session_window.warnings.item(i).text() for i in range(2)]
    assert all(t.startswith("Check · ") and "individualized text is" in t for t in texts)
    panel = group_session_window.editor.findings_panel
    assert panel.isVisible() and "Check:" in panel.label.text() and not panel.override_button.isVisible()
