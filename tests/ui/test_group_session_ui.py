"""Running a group session from the Groups page and the session window, as a facilitator does it
at the end of the morning group: attendance from the keyboard, the shared note, each attendee's
section, the warnings, and Sign all; every story ends by reading the clinic back.

The clinic (SQLite only; the services' backends are tested elsewhere) has a daily 09:00–12:00
process group led by Cleo Clinician with twelve enrolled, admitted clients and today's session.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

import iopdesk
from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_groups import give_plan
from tests.ui.attestations import answer_attestations
from ui.date_fields import TimeField
from ui.group_session import RosterTableModel
from ui.groups_page import GroupsPage

NAMES = [("Jordan", "Blackwood"), ("Priya", "Nandakumar"), ("Tomasz", "Wielgosz"), ("Aaliyah", "Okafor"),
         ("Dmitri", "Volkov"), ("Keiko", "Tanabe"), ("Rafael", "Ibarra"), ("Siobhan", "Gallagher"),
         ("Emeka", "Chukwu"), ("Ingrid", "Solberg"), ("Luca", "Benedetti"), ("Marisol", "Quintana")]
TODAY = clock.today()


def build_group_clinic(path: str) -> None:
    """Twelve admitted clients enrolled in a daily morning group, with today's session."""
    with iopdesk.open_clinic(path) as clinic:
        clinic.login("supervisor", ADMIN_PASSWORD)
        group, _ = clinic.groups.define_group(
            "Morning process group", "process", default_minutes=180, facilitators=["clinician"],
            schedule=[(day, "09:00") for day in range(7)])
        clinic.login("clinician", ADMIN_PASSWORD)
        start = TODAY - dt.timedelta(days=14)
        for i, (first, last) in enumerate(NAMES):
            client, _ = clinic.clients.register(legal_first=first, legal_last=last, dob="1988-06-01")
            episode, _ = clinic.episodes.admit(client.id, admitted_on=start, track_code="substance_use",
                                               primary_clinician="clinician")
            clinic.groups.enroll(group.id, client.id, start)
            if i < 3:
                give_plan(client.id, episode.id, ["Name three triggers", "Attend four days a week"])
        clinic.login("supervisor", ADMIN_PASSWORD)
        clinic.groups.generate_sessions(group.id, TODAY - dt.timedelta(days=1), TODAY + dt.timedelta(days=1))


def today_session(clinic) -> str:
    return next(s.session_id for s in clinic.caseload.today(on=TODAY).sessions)


def go_to_row(qtbot, window, row: int) -> None:
    rect = window.roster.visualRect(window.model.index(row, 0))
    qtbot.mouseClick(window.roster.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.roster.currentIndex().row() == row


def write_sections(qtbot, window, texts: dict[str, str]) -> None:
    for key, text in texts.items():
        qtbot.keyClicks(window.editor.editors[key], text)


def test_twelve_client_group_is_marked_written_and_signed_from_the_keyboard(qtbot, group_session_window, group_clinic,
                                                                           monkeypatch):
    """Nine present, two late (typed 0925 and 9:40), one no-show; shared note and five sections
    each; Sign all attests the eleven notes, lists the no-show apart, and signs the eleven."""
    attested = answer_attestations(monkeypatch)
    late, absent = {3: "0925", 7: "9:40"}, 10
    qtbot.keyClicks(group_session_window.topic_edit, "Coping with cravings")
    qtbot.keyClicks(group_session_window.modality_edit, "Process group")
    qtbot.keyClicks(group_session_window.shared_edit, "Members practised urge surfing and built a coping card.")
    group_session_window.roster.setFocus()
    go_to_row(qtbot, group_session_window, 0)
    for row in range(12):
        assert group_session_window.roster.currentIndex().row() == row
        if row in late:
            qtbot.keyClick(group_session_window.roster, Qt.Key.Key_L)
            arrived = group_session_window.arrived_edit.line_edit
            assert arrived.hasFocus() and arrived.selectedText() == "9:00 AM"
            qtbot.keyClicks(arrived, late[row])
            qtbot.keyClick(arrived, Qt.Key.Key_Return)
        else:
            qtbot.keyClick(group_session_window.roster, Qt.Key.Key_U if row == absent else Qt.Key.Key_P)
    assert group_session_window.isWindowModified()
    assert group_session_window.model.data(group_session_window.model.index(3, 4)) == "155"  # live minutes before saving
    rows = group_session_window.model.rows()
    for row in range(12):
        if row == absent:
            continue
        go_to_row(qtbot, group_session_window, row)
        i = rows[row].initials
        write_sections(qtbot, group_session_window, {
            "participation": f"{i} shared a craving from row {row} and listened.",
            "response": f"{i} practised urge surfing, {row} minutes of focus.",
            "progress": f"{i} named {row % 3 + 1} triggers toward the objective.",
            "risk": f"{i} denied thoughts of harm; relapse risk noted as {row}.",
            "plan": f"{i} returns tomorrow with homework number {row}."})
    qtbot.mouseClick(group_session_window.sign_button, Qt.MouseButton.LeftButton)

    [shown] = attested
    assert shown.statement.startswith("I attest that each group note listed below")
    assert "Cleo Clinician, LPC" in shown.signature
    assert len(shown.signing_lines) == 11 and rows[absent].display_name not in shown.signing
    assert len(shown.left_out_lines) == 1 and rows[absent].display_name in shown.left_out_lines[0]
    assert not group_session_window.isWindowModified()
    roster = group_clinic.groups.roster(group_session_window.session_id)
    assert [r.status for r in roster].count("present") == 9
    assert {r.display_name: r.minutes for r in roster if r.status == "late_arrival"} == {
        rows[3].display_name: 155, rows[7].display_name: 140}
    assert roster[absent].status == "absent_unexcused" and roster[absent].minutes == 0
    assert all(r.minutes == 180 for r in roster if r.status == "present")
    signed = [r for r in roster if r.note_status in ("signed", "awaiting_cosign")]
    assert len(signed) == 11 and roster[absent].note_status is None
    note = group_clinic.notes.get(roster[3].note_id)
    assert note.sections["plan"] == f"{rows[3].initials} returns tomorrow with homework number 3."
    assert note.minutes == 155
    assert "11 notes signed" in group_session_window.result_label.text()
    assert rows[absent].display_name in group_session_window.result_label.text()
    assert group_session_window.model.data(group_session_window.model.index(0, 5)) == "Signed"
    assert group_session_window.editor.editors["plan"].isReadOnly()


def test_another_clients_name_in_a_section_shows_a_warning_that_leads_to_the_client(qtbot, group_session_window):
    """Typing Okafor into Blackwood's section is flagged (as it is typed, and still after saving);
    choosing the warning selects Blackwood's row."""
    rows = group_session_window.model.rows()
    writer = next(i for i, r in enumerate(rows) if r.display_name.endswith("Blackwood"))
    go_to_row(qtbot, group_session_window, writer)
    qtbot.keyClick(group_session_window.roster, Qt.Key.Key_P)
    go_to_row(qtbot, group_session_window, writer)
    qtbot.keyClicks(group_session_window.editor.editors["participation"], "Supported Okafor during check-in.")
    qtbot.keyClick(group_session_window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: group_session_window.warnings.count() == 1)
    item = group_session_window.warnings.item(0)
    assert "Jordan Blackwood" in item.text() and "Okafor" in item.text()
    go_to_row(qtbot, group_session_window, 0 if writer else 1)
    rect = group_session_window.warnings.visualItemRect(item)
    qtbot.mouseClick(group_session_window.warnings.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert group_session_window.current_client() == rows[writer].client_id


def test_closing_with_unsaved_attendance_asks_and_cancel_keeps_the_window(qtbot, group_session_window, group_clinic,
                                                                         monkeypatch):
    """Cancel keeps the window open with the change; Save saves it and closes."""
    asked = []
    answer = [QMessageBox.StandardButton.Cancel]
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: asked.append(a) or answer[0])
    group_session_window.roster.setFocus()
    qtbot.keyClick(group_session_window.roster, Qt.Key.Key_X)
    assert group_session_window.isWindowModified()
    group_session_window.close()
    assert asked and group_session_window.isVisible()
    answer[0] = QMessageBox.StandardButton.Save
    group_session_window.close()
    assert not group_session_window.isVisible()
    assert group_clinic.groups.roster(group_session_window.session_id)[0].status == "absent_excused"


def test_undo_in_a_section_is_kept_per_client(qtbot, group_session_window):
    """Ctrl+Z undoes typing in one client's section without touching another's."""
    group_session_window.roster.setFocus()
    qtbot.keyClick(group_session_window.roster, Qt.Key.Key_P)
    qtbot.keyClick(group_session_window.roster, Qt.Key.Key_P)
    go_to_row(qtbot, group_session_window, 0)
    editor = group_session_window.editor.editors["risk"]
    qtbot.keyClicks(editor, "No risk noted")
    go_to_row(qtbot, group_session_window, 1)
    qtbot.keyClicks(editor, "Low risk")
    go_to_row(qtbot, group_session_window, 0)
    editor.setFocus()
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert editor.toPlainText() == ""
    qtbot.keyClick(editor, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    assert editor.toPlainText() == "No risk noted"
    go_to_row(qtbot, group_session_window, 1)
    assert editor.toPlainText() == "Low risk"


def test_groups_page_lists_todays_session_and_enter_opens_it(qtbot, group_clinic, ops):
    """Today's morning group is listed; Alt+Right shows tomorrow's; Enter opens its window."""
    page = GroupsPage(group_clinic, ops)
    qtbot.addWidget(page)
    page.show()
    page.activateWindow()
    qtbot.waitUntil(page.isActiveWindow)
    assert page.model.rowCount() == 1
    assert page.model.data(page.model.index(0, 1)) == "Morning process group"
    assert page.model.data(page.model.index(0, 5)) == "12 enrolled"
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert page.day() == TODAY + dt.timedelta(days=1) and page.model.rowCount() == 1
    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    opened = list(page.windows.values())
    assert len(opened) == 1 and opened[0].session.session_date == page.day()
    qtbot.addWidget(opened[0])
    assert page.open_session(opened[0].session_id) is opened[0]
    qtbot.waitUntil(lambda: not ops.busy)


def test_groups_page_shows_colleagues_groups_and_can_hide_them(qtbot, qtmodeltester, group_clinic, ops):
    """The supervisor's afternoon group is listed too, not bold; "Only my groups" hides it."""
    group_clinic.login("supervisor", ADMIN_PASSWORD)
    group, _ = group_clinic.groups.define_group(
        "Afternoon skills group", "cbt_dbt_skills", default_minutes=120, facilitators=["supervisor"],
        schedule=[(TODAY.weekday(), "13:00")])
    group_clinic.groups.generate_sessions(group.id, TODAY, TODAY)
    group_clinic.login("clinician", ADMIN_PASSWORD)
    page = GroupsPage(group_clinic, ops)
    qtbot.addWidget(page)
    model = page.model
    assert [model.data(model.index(r, 1)) for r in range(model.rowCount())] == [
        "Morning process group", "Afternoon skills group"]
    assert model.data(model.index(1, 0)) == "1:00 PM–3:00 PM" and model.data(model.index(1, 2)) == "CBT/DBT skills"
    assert model.data(model.index(0, 0), Qt.ItemDataRole.FontRole).bold()
    assert model.data(model.index(1, 0), Qt.ItemDataRole.FontRole) is None
    qtmodeltester.check(model)
    page.mine_check.setFocus()
    qtbot.keyClick(page.mine_check, Qt.Key.Key_Space)
    assert model.rowCount() == 1 and model.data(model.index(0, 1)) == "Morning process group"


def test_roster_model_passes_the_model_tester(qtmodeltester, group_clinic):
    """The roster model, with a pending late arrival, is a well-behaved table model."""
    model = RosterTableModel(dt.time(9), dt.time(12))
    model.set_rows(group_clinic.groups.roster(today_session(group_clinic)))
    model.set_attendance(2, "late_arrival", arrived=dt.time(9, 30))
    assert model.minutes(2) == 150
    qtmodeltester.check(model)


@pytest.mark.parametrize(("typed", "expected"), [
    ("0925", dt.time(9, 25)), ("925", dt.time(9, 25)), ("9:25", dt.time(9, 25)), ("9.25", dt.time(9, 25)),
    ("9", dt.time(9)), ("1:15", dt.time(13, 15)), ("25:00", None), ("soon", None)])
def test_times_are_read_as_facilitators_type_them(qtbot, typed, expected):
    """Arrival times typed at the roster: 0925, 9:25, and 1:15 meaning the afternoon session's 13:15;
    a time that is not one is refused under the field."""
    field = TimeField("Arrival time", optional=True, within=(dt.time(9), dt.time(14)))
    qtbot.addWidget(field)
    qtbot.keyClicks(field.line_edit, typed)
    assert (field.value() if field.problem() is None else None) == expected
    assert (field.problem() is None) == (expected is not None)


def _other_workstation_saves(clinic, session_id, topic):
    """The co-facilitator's workstation saves the shared part first."""
    clinic.groups.save_session(session_id, topic=topic, modality="DBT skills",
                               shared_note="Distress tolerance: TIPP.")


def test_a_topic_saved_at_another_workstation_is_not_overwritten(qtbot, group_session_window, group_clinic):
    """Cleo types a topic while her co-facilitator saves another: her save is refused, the dialog
    shows both topics, and Keep theirs puts theirs in her form."""
    session_id = today_session(group_clinic)
    group_session_window.topic_edit.clear()
    qtbot.keyClicks(group_session_window.topic_edit, "Urge surfing")
    _other_workstation_saves(group_clinic, session_id, "Radical acceptance")
    assert group_session_window.save() is False
    dialog = group_session_window.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    table_text = [dialog.table.item(r, c).text() for r in range(dialog.table.rowCount()) for c in range(3)
                  if dialog.table.item(r, c)]
    assert "Radical acceptance" in table_text and "Urge surfing" in table_text
    assert "changed by" in group_session_window.status_text.text()
    assert group_clinic.groups.session(session_id).topic == "Radical acceptance"
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert group_session_window.topic_edit.text() == "Radical acceptance"
    assert not group_session_window.autosave.isActive()


def test_copy_mine_keeps_the_form_and_the_next_save_replaces_theirs(qtbot, group_session_window, group_clinic):
    """After Copy mine the form keeps Cleo's topic and saving again stores it."""
    session_id = today_session(group_clinic)
    group_session_window.topic_edit.clear()
    qtbot.keyClicks(group_session_window.topic_edit, "Urge surfing")
    _other_workstation_saves(group_clinic, session_id, "Radical acceptance")
    assert group_session_window.save() is False
    qtbot.mouseClick(group_session_window.conflict_dialog.copy_button, Qt.MouseButton.LeftButton)
    assert group_session_window.topic_edit.text() == "Urge surfing"
    assert group_session_window.save() is True
    assert group_clinic.groups.session(session_id).topic == "Urge surfing"
