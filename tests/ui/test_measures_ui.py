"""The Measures tab, its entry dialog and trend chart, driven through the widgets over a real SQLite clinic.

Each test gets a copy of the staffed clinic with Marisol admitted four weeks ago and the clinician
signed in; it presses keys and clicks as a clinician would and ends by reading the result back
through `clinic.measures` (or the alerts it raised).
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from iopdesk.errors import PermissionDenied
from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from ui.chart.chart_window import ClientChartWindow
from ui.chart.measure_chart import CHARTS_AVAILABLE
from ui.chart.measure_entry import MeasureEntryDialog
from ui.chart.measures_tab import MeasuresTab
from ui.operations import Operations

TODAY = clock.today()
CTRL = Qt.KeyboardModifier.ControlModifier
PHQ9_MODERATE = [2, 2, 1, 2, 1, 1, 1, 1, 0]  # total 11, item 9 not endorsed


@pytest.fixture
def chart_four_weeks_in(clinician_sqlite):
    """(clinic, client id): Marisol admitted four weeks ago, the clinician signed in."""
    client, _episode = admit_marisol(clinician_sqlite, days_ago=28, last="Quintana")
    return clinician_sqlite, client.id


def make_tab(qtbot, clinic, client_id) -> MeasuresTab:
    tab = MeasuresTab(clinic, Operations(), client_id)
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    return tab


def open_entry(qtbot, tab: MeasuresTab) -> MeasureEntryDialog:
    """Ctrl+N in the tab opens the entry dialog on the selected measure, focus on item 1."""
    tab.measures_view.setFocus()
    qtbot.keyClick(tab.measures_view, Qt.Key.Key_N, CTRL)
    dialog = tab.entry_dialog
    assert dialog is not None and dialog.isVisible()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def answer_by_keys(qtbot, dialog: MeasureEntryDialog, digits) -> None:
    """Press one digit per item; each answers the item with the focus and moves to the next."""
    for digit in digits:
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key(Qt.Key.Key_0 + digit))


def test_clinician_enters_a_phq9_and_sees_its_band(qtbot, chart_four_weeks_in):
    """From the chart, Alt+6 then Ctrl+N, nine digit keys: the live line reads 11 Moderate; Enter on
    Save records it and the tab, chart and database show it."""
    clinic, client_id = chart_four_weeks_in
    window = ClientChartWindow(clinic, Operations(), client_id)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(window, Qt.Key.Key_6, Qt.KeyboardModifier.AltModifier)
    assert window.current_tab() == "measures"
    tab = window.tab_widgets["measures"]
    qtbot.waitUntil(tab.isVisible)  # a lazily built tab is shown on the next event loop turn
    assert tab.selected_code() == "PHQ-9"
    dialog = open_entry(qtbot, tab)
    assert dialog.code == "PHQ-9"
    answer_by_keys(qtbot, dialog, PHQ9_MODERATE[:4])
    assert "Total so far 7" in dialog.score_label.text() and "4 of 9 items answered" in dialog.score_label.text()
    answer_by_keys(qtbot, dialog, PHQ9_MODERATE[4:])
    assert dialog.score_label.text() == "Total 11 · Moderate · 9 of 9 items answered"
    assert not dialog.safety_label.isVisible()
    assert QApplication.focusWidget() is dialog.save_button
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Return)
    assert not dialog.isVisible()
    [point] = clinic.measures.history(client_id, "PHQ-9")
    assert (point.administered_on, point.total, point.band) == (TODAY, 11, "Moderate")
    phq = tab.measures_model.row_value(0)
    assert (phq.code, phq.last_total, phq.last_band) == ("PHQ-9", 11, "Moderate")
    assert tab.history_model.rowCount() == 1
    if CHARTS_AVAILABLE:
        assert tab.chart.points_series.count() == 1


def test_item_9_endorsed_shows_the_safety_flag_and_raises_an_alert(qtbot, chart_four_weeks_in):
    """Answering item 9 with 'several days' shows the same-day safety banner at once; saving raises the alert."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    dialog = open_entry(qtbot, tab)
    answer_by_keys(qtbot, dialog, [0] * 8)
    assert not dialog.safety_label.isVisible()
    answer_by_keys(qtbot, dialog, [1])
    assert dialog.safety_label.isVisible() and "same-day" in dialog.safety_label.text()
    assert dialog.score_label.text() == "Total 1 · Minimal · 9 of 9 items answered"
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert not dialog.isVisible()
    [alert] = clinic.alerts.active_for(client_id)
    assert alert.kind == "safety" and "item 9" in alert.message


def test_item_9_flag_shows_before_the_other_items_are_answered(qtbot, chart_four_weeks_in):
    """A clinician who clicks item 9 first sees the safety banner straight away."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    dialog = open_entry(qtbot, tab)
    qtbot.mouseClick(dialog.rows[8].buttons[2], Qt.MouseButton.LeftButton)
    assert dialog.safety_label.isVisible()
    assert "1 of 9 items answered" in dialog.score_label.text()


def test_an_incomplete_phq9_is_refused_naming_the_missing_item(qtbot, chart_four_weeks_in):
    """Five answers and Ctrl+S: the domain's "item 6: an answer is required" shows under item 6; nothing saved."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    dialog = open_entry(qtbot, tab)
    answer_by_keys(qtbot, dialog, [1, 1, 1, 1, 1])
    qtbot.keyClick(dialog, Qt.Key.Key_S, CTRL)
    assert dialog.isVisible()
    error = dialog.rows[5].error
    assert error.isVisible() and error.text() == "PHQ-9 item 6: an answer is required."
    assert QApplication.focusWidget() in dialog.rows[5].buttons
    assert clinic.measures.history(client_id, "PHQ-9") == []


def test_closing_an_entry_with_answers_asks_and_can_discard(qtbot, chart_four_weeks_in, monkeypatch):
    """Esc after three answers asks; Discard closes without saving; Cancel would have kept it open."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    dialog = open_entry(qtbot, tab)
    answer_by_keys(qtbot, dialog, [2, 2, 2])
    asked = []
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Cancel)
    assert not tab.may_close()
    assert dialog.isVisible() and len(asked) == 1
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *a, **k: asked.append(a) or QMessageBox.StandardButton.Discard)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Escape)
    assert not dialog.isVisible() and len(asked) == 2
    assert clinic.measures.history(client_id, "PHQ-9") == []


def test_cssrs_follow_up_items_are_asked_only_after_a_yes(qtbot, chart_four_weeks_in):
    """On the C-SSRS, items 3–5 open once item 2 is "yes"; a no-risk screen saves as "No risk identified"."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    tab.select_measure("C-SSRS")
    dialog = open_entry(qtbot, tab)
    assert dialog.code == "C-SSRS"
    assert [r.item.number for r in dialog.asked_rows()] == [1, 2, 6]
    answer_by_keys(qtbot, dialog, [0, 1])
    assert [r.item.number for r in dialog.asked_rows()] == [1, 2, 3, 4, 5, 6]
    qtbot.mouseClick(dialog.rows[1].buttons[0], Qt.MouseButton.LeftButton)
    dialog.rows[1].focus()
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_0)
    answer_by_keys(qtbot, dialog, [0])  # item 6 follows item 2 while 3-5 are not asked
    assert dialog.score_label.text().startswith("Total 0 · No risk identified · 3 of 3")
    qtbot.keyClick(dialog.save_button, Qt.Key.Key_Return)
    [point] = clinic.measures.history(client_id, "C-SSRS")
    assert point.band == "No risk identified"


def test_chart_has_one_point_per_administration_over_the_bands(qtbot, chart_four_weeks_in, qtmodeltester):
    """Three PHQ-9s give three points over five band areas, listed in the chart's text alternative."""
    clinic, client_id = chart_four_weeks_in
    for days_ago, answers in ((21, [3, 3, 2, 2, 2, 2, 1, 1, 0]), (14, PHQ9_MODERATE), (0, [1, 1, 1, 0, 0, 0, 1, 0, 0])):
        clinic.measures.record(client_id, "PHQ-9", administered_on=TODAY - dt.timedelta(days=days_ago),
                               answers=answers)
    clinic.measures.set_schedule(client_id, "GAD-7", every_days=14, starting_on=TODAY - dt.timedelta(days=1))
    tab = make_tab(qtbot, clinic, client_id)
    qtmodeltester.check(tab.measures_model)
    qtmodeltester.check(tab.history_model)
    assert tab.selected_code() == "PHQ-9"
    assert [tab.history_model.index(r, 1).data() for r in range(3)] == ["4", "11", "16"]
    gad = next(r for r in tab.measures_model.rows() if r.code == "GAD-7")
    assert gad.due_on == TODAY - dt.timedelta(days=1)
    assert tab.measures_model.index(tab.measures_model.rows().index(gad), 4).data().startswith("overdue")
    description = tab.chart.view.accessibleDescription()
    assert description.count("\n") == 3 and "16 (Moderately severe)" in description
    if CHARTS_AVAILABLE:
        assert tab.chart.points_series.count() == 3
        assert [s.name() for s in tab.chart.band_series] == [
            "Minimal (0–4)", "Mild (5–9)", "Moderate (10–14)", "Moderately severe (15–19)", "Severe (20–27)"]
        y_axis = tab.chart.chart.axes(Qt.Orientation.Vertical)[0]
        assert (y_axis.min(), y_axis.max()) == (0, 27)
    tab.select_measure("GAD-7")
    assert tab.history_model.rowCount() == 0 and "not given yet" in tab.chart.view.accessibleDescription()


def test_up_down_and_delete_move_between_items_and_clear_one(qtbot, chart_four_weeks_in):
    """Down skips to the next item unanswered, Up goes back, Delete clears the item with the focus."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    dialog = open_entry(qtbot, tab)
    answer_by_keys(qtbot, dialog, [3])
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Down)
    assert QApplication.focusWidget() in dialog.rows[2].buttons
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Up)
    assert QApplication.focusWidget() is dialog.rows[0].buttons[3]
    assert dialog.answers() == {"q1": 3}
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Delete)
    assert dialog.answers() == {} and dialog.score_label.text() == "0 of 9 items answered"


def test_switching_measure_with_answers_asks_before_discarding(qtbot, chart_four_weeks_in, monkeypatch):
    """Choosing GAD-7 after two PHQ-9 answers asks; Cancel keeps the PHQ-9 answers, Discard shows seven items."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    dialog = open_entry(qtbot, tab)
    answer_by_keys(qtbot, dialog, [1, 1])
    gad = dialog.measure_box.findData("GAD-7")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    dialog.measure_box.setCurrentIndex(gad)
    assert dialog.code == "PHQ-9" and dialog.answers() == {"q1": 1, "q2": 1}
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    dialog.measure_box.setCurrentIndex(gad)
    assert dialog.code == "GAD-7" and len(dialog.rows) == 7 and dialog.answers() == {}


def test_tab_refreshes_when_a_measure_is_recorded_elsewhere(qtbot, chart_four_weeks_in):
    """A GAD-7 recorded on another screen (announced through ops) appears in the list without reopening."""
    clinic, client_id = chart_four_weeks_in
    tab = make_tab(qtbot, clinic, client_id)
    _result, changes = clinic.measures.record(client_id, "GAD-7", administered_on=TODAY, answers=[2] * 7)
    tab.ops.announce(changes)
    gad = next(r for r in tab.measures_model.rows() if r.code == "GAD-7")
    assert (gad.last_total, gad.last_band) == (14, "Moderate")
    tab.select_measure("GAD-7")
    assert "further evaluation" in tab.history_model.index(0, 3).data()


def test_chart_falls_back_to_a_label_without_qt_charts(qtbot, monkeypatch):
    """Without QtCharts the trend area says so and still carries the text alternative."""
    from iopdesk.clinical.measures import measure
    from iopdesk.services.measures import MeasurePoint
    from ui.chart import measure_chart

    monkeypatch.setattr(measure_chart, "CHARTS_AVAILABLE", False)
    widget = measure_chart.MeasureChartWidget()
    qtbot.addWidget(widget)
    widget.show_points(measure("PHQ-9"), [MeasurePoint(TODAY, 12, "Moderate")])
    assert "unavailable" in widget.view.text()
    assert "12 (Moderate)" in widget.view.accessibleDescription()


def test_measures_tab_refuses_a_biller_with_the_domains_message(qtbot, chart_four_weeks_in):
    """A biller (no therapy narrative) gets the domain's refusal, which the chart window shows in the tab."""
    clinic, client_id = chart_four_weeks_in
    clinic.logout()
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied, match="not allowed"):
        MeasuresTab(clinic, Operations(), client_id)
