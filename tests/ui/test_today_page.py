"""The Today page over a small demo clinic: the clinician's lists, safety alerts first, and
activating an item to open where its work is done.

The demo is generated once per session for a fixed day (the clinic clock is pinned to it)
and copied per test, so every test sees the same clients and lists.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication

from iopdesk.kernel.changes import Changes
from ui.main_window import MainWindow
from ui.operations import Operations
from ui.today_page import TodayItemTableModel, TodayPage

AS_OF = dt.date(2026, 3, 18)
DEMO_PASSWORD = "demo-pass-2026"


@pytest.fixture
def today_page(qtbot, small_demo):
    ops = Operations()
    page = TodayPage(small_demo, ops)
    qtbot.addWidget(page)
    page.resize(1000, 900)
    page.show()
    qtbot.waitUntil(lambda: page.caseload is not None and not page.is_loading(), timeout=5000)
    return page


def test_today_lists_the_clinicians_work_with_safety_alerts_first(today_page, small_demo, qtmodeltester):
    """Each list with work is a titled table; safety alerts lead, in bold with a warning icon."""
    caseload = small_demo.caseload.today()
    assert caseload.safety_alerts and caseload.unsigned_notes
    shown = [today_page.sections_layout.itemAt(i).widget() for i in range(len(today_page.sections))]
    assert shown[0].key == "safety_alerts" and shown[0].view.isVisible()
    alerts = shown[0].model
    assert alerts.rowCount() == len(caseload.safety_alerts)
    first = alerts.index(0, 0)
    assert first.data() == caseload.safety_alerts[0].client_name
    assert first.data(Qt.ItemDataRole.FontRole).bold()
    assert not first.data(Qt.ItemDataRole.DecorationRole).isNull()
    notes = today_page.sections["unsigned_notes"]
    assert notes.title_label.text() == f"Notes to sign ({len(caseload.unsigned_notes)})"
    assert [notes.model.index(r, 1).data() for r in range(notes.model.rowCount())] == [
        item.mrn for item in caseload.unsigned_notes]
    qtmodeltester.check(notes.model)
    qtmodeltester.check(today_page.sections["sessions"].model)


def test_empty_lists_collapse_to_one_line(today_page):
    """A list with nothing to do says so in one line and shows no table."""
    cosign = today_page.sections["cosign_queue"]
    assert cosign.is_empty()
    assert cosign.empty_label.isVisible() and cosign.empty_label.text() == "No notes to co-sign"
    assert not cosign.view.isVisible() and not cosign.title_label.isVisible()


def test_enter_on_an_unsigned_note_emits_its_target(qtbot, today_page, small_demo):
    """Choosing a note to sign with the keyboard asks to open that note."""
    view = today_page.sections["unsigned_notes"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    expected = small_demo.caseload.today().unsigned_notes[0]
    with qtbot.waitSignal(today_page.open_target, timeout=1000) as opened:
        qtbot.keyClick(view, Qt.Key.Key_Return)
    assert opened.args == [expected.target]
    assert today_page.client_for(expected.target) == expected.client_id


def test_double_click_on_a_session_emits_its_target(qtbot, today_page, small_demo):
    """Double-clicking today's group session asks to open that session."""
    view = today_page.sections["sessions"].view
    rect = view.visualRect(view.model().index(0, 0))
    session = small_demo.caseload.today().sessions[0]
    with qtbot.waitSignal(today_page.open_target, timeout=1000) as opened:
        qtbot.mouseClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        qtbot.mouseDClick(view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert opened.args == [session.target]
    assert view.model().data(view.model().index(0, 0), TodayItemTableModel.TARGET_ROLE) == session.target


def test_today_reloads_when_a_note_changes(qtbot, today_page):
    """A saved note anywhere re-reads the caseload; an unrelated change does not."""
    with qtbot.waitSignal(today_page.loaded, timeout=5000):
        today_page.ops.announce(Changes.of("note"))
    today_page.ops.announce(Changes.of("staff"))
    assert not today_page.is_loading()


def test_main_window_opens_the_chart_of_an_activated_note(qtbot, small_demo, tmp_path):
    """Enter on a note to sign opens that client's chart on its Notes tab."""
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(small_demo, settings=settings)
    qtbot.addWidget(window)
    window.show()
    today = window.today_page
    qtbot.waitUntil(lambda: today.caseload is not None and not today.is_loading(), timeout=5000)
    item = today.caseload.unsigned_notes[0]
    view = today.sections["unsigned_notes"].view
    view.setFocus()
    view.setCurrentIndex(view.model().index(0, 0))
    qtbot.keyClick(view, Qt.Key.Key_Return)
    clients = window.page("clients")
    if not hasattr(clients, "chart_windows"):
        pytest.skip("the Clients page is not built yet")
    chart = clients.chart_windows.get(item.client_id)
    try:
        assert chart is not None and chart.isVisible()
        assert item.mrn in chart.windowTitle()
    finally:
        for opened in list(clients.chart_windows.values()):
            opened.close()
        QApplication.processEvents()
