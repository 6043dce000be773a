"""Two workstations in one group session: the second save is refused and both versions shown."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.test_group_session_ui import group_clinic, group_template, ops, today_session, window  # noqa: F401


def _other_workstation_saves(clinic, session_id, topic):
    """The co-facilitator's workstation saves the shared part first."""
    clinic.groups.save_session(session_id, topic=topic, modality="DBT skills",
                               shared_note="Distress tolerance: TIPP.")


def test_a_topic_saved_at_another_workstation_is_not_overwritten(qtbot, window, group_clinic):
    """Cleo types a topic while her co-facilitator saves another: her save is refused, the dialog
    shows both topics, and Keep theirs puts theirs in her form."""
    session_id = today_session(group_clinic)
    window.topic_edit.clear()
    qtbot.keyClicks(window.topic_edit, "Urge surfing")
    _other_workstation_saves(group_clinic, session_id, "Radical acceptance")
    assert window.save() is False
    dialog = window.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    table_text = [dialog.table.item(r, c).text() for r in range(dialog.table.rowCount()) for c in range(3)
                  if dialog.table.item(r, c)]
    assert "Radical acceptance" in table_text and "Urge surfing" in table_text
    assert "changed by" in window.status_text.text()
    assert group_clinic.groups.session(session_id).topic == "Radical acceptance"
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert window.topic_edit.text() == "Radical acceptance"
    assert not window.autosave.isActive()


def test_copy_mine_keeps_the_form_and_the_next_save_replaces_theirs(qtbot, window, group_clinic):
    """After Copy mine the form keeps Cleo's topic and saving again stores it."""
    session_id = today_session(group_clinic)
    window.topic_edit.clear()
    qtbot.keyClicks(window.topic_edit, "Urge surfing")
    _other_workstation_saves(group_clinic, session_id, "Radical acceptance")
    assert window.save() is False
    qtbot.mouseClick(window.conflict_dialog.copy_button, Qt.MouseButton.LeftButton)
    assert window.topic_edit.text() == "Urge surfing"
    assert window.save() is True
    assert group_clinic.groups.session(session_id).topic == "Urge surfing"
