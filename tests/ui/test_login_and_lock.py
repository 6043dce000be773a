"""Signing in through the dialog, and the idle lock that hides every client's data.

The lock tests run the small demo clinic (tests.ui.test_today_page) so client names are on the
Today page and in an open chart window before the workstation locks; the idle time is shortened.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

import iopdesk
from iopdesk.models import Staff
from iopdesk.services.users import SIGN_IN_REFUSED
from tests.conftest import ADMIN_PASSWORD
from tests.ui.test_today_page import DEMO_PASSWORD
from ui.login_dialog import LoginDialog
from ui.main_window import MainWindow


@pytest.fixture
def staffed(tmp_path, clinic_file):
    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    yield clinic
    clinic.close()


def _failed_logins(username: str) -> int:
    return Staff.get(Staff.username == username).failed_logins


def _type_and_submit(qtbot, dialog: LoginDialog, username: str, password: str) -> None:
    dialog.username_edit.clear()
    qtbot.keyClicks(dialog.username_edit, username)
    qtbot.keyClick(dialog.username_edit, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.password_edit, password)
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)


def test_wrong_password_is_counted_then_the_right_one_signs_in(qtbot, staffed):
    """A wrong password keeps the dialog open with the reason; the right one signs Cleo in."""
    dialog = LoginDialog(staffed)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.password_edit.echoMode() == QLineEdit.EchoMode.Password
    assert dialog.sign_in_button.isDefault()

    _type_and_submit(qtbot, dialog, "clinician", "not my password")
    assert dialog.isVisible() and dialog.result() == 0
    assert dialog.error_label.isVisible()
    assert dialog.error_label.text() == SIGN_IN_REFUSED
    assert dialog.password_edit.text() == ""
    assert _failed_logins("clinician") == 1

    qtbot.keyClicks(dialog.password_edit, ADMIN_PASSWORD)
    qtbot.keyClick(dialog.password_edit, Qt.Key.Key_Return)
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert staffed.actor.username == "clinician"
    assert _failed_logins("clinician") == 0
    assert Staff.get(Staff.username == "clinician").last_login_at is not None
    assert dialog.previous_login is None  # her first sign-in


def test_locked_account_is_told_under_the_field(qtbot, staffed):
    """Five wrong passwords lock the account; the dialog stays open with the one sentence every
    refused sign-in gets (which mentions a lock, without telling a guesser that this name has one)."""
    dialog = LoginDialog(staffed)
    qtbot.addWidget(dialog)
    dialog.show()
    for _ in range(5):
        _type_and_submit(qtbot, dialog, "intern", "guess")
    assert dialog.error_label.text() == SIGN_IN_REFUSED
    _type_and_submit(qtbot, dialog, "intern", ADMIN_PASSWORD)
    assert dialog.isVisible() and dialog.error_label.text() == SIGN_IN_REFUSED
    _type_and_submit(qtbot, dialog, "nobody", ADMIN_PASSWORD)
    assert dialog.error_label.text() == SIGN_IN_REFUSED
    assert staffed.actor.is_system
    assert Staff.get(Staff.username == "intern").locked_until is not None


def test_status_bar_names_the_user_and_previous_sign_in(qtbot, staffed, tmp_path):
    """After a second sign-in the status bar shows who, their roles and when they last signed in."""
    staffed.login("supervisor", ADMIN_PASSWORD)
    dialog = LoginDialog(staffed)
    qtbot.addWidget(dialog)
    dialog.show()
    _type_and_submit(qtbot, dialog, "supervisor", ADMIN_PASSWORD)
    assert dialog.result() == LoginDialog.DialogCode.Accepted
    assert dialog.previous_login is not None
    window = MainWindow(staffed, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
                        previous_login=dialog.previous_login)
    qtbot.addWidget(window)
    assert window.user_label.text() == "Sam Supervisor (clinician, supervisor)"
    assert window.last_login_label.text().startswith("Last sign-in: ")
    assert "never" not in window.last_login_label.text()


# -- the idle lock ---------------------------------------------------------------------------
def _model_texts(view: QAbstractItemView) -> list[str]:
    model = view.model()
    if model is None:
        return []
    texts: list[str] = []

    def walk(parent: QModelIndex) -> None:
        try:
            columns = model.columnCount(parent)
        except TypeError:  # list models keep columnCount private: one column
            columns = 1
        for row in range(model.rowCount(parent)):
            for column in range(columns):
                index = model.index(row, column, parent)
                value = index.data(Qt.ItemDataRole.DisplayRole)
                if value is not None:
                    texts.append(str(value))
                if column == 0 and model.rowCount(index) > 0:
                    walk(index)

    walk(QModelIndex())
    return texts


def visible_texts() -> str:
    """Every text a person could read on screen: titles, labels, fields, buttons, view cells."""
    texts: list[str] = []
    for top in QApplication.topLevelWidgets():
        if not top.isVisible():
            continue
        for widget in [top, *top.findChildren(QWidget)]:
            if not widget.isVisible():
                continue
            texts.append(widget.windowTitle())
            if isinstance(widget, (QLabel, QLineEdit, QAbstractButton)):
                texts.append(widget.text())
            elif isinstance(widget, (QTextEdit, QPlainTextEdit)):
                texts.append(widget.toPlainText())
            elif isinstance(widget, QComboBox):
                texts.append(widget.currentText())
            if isinstance(widget, QAbstractItemView):
                texts.extend(_model_texts(widget))
    return "\n".join(texts)


@pytest.fixture
def demo_window(qtbot, small_demo, tmp_path):
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    window = MainWindow(small_demo, settings=settings, idle_ms=60_000)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    today = window.today_page
    qtbot.waitUntil(lambda: today.caseload is not None and not today.is_loading(), timeout=5000)
    yield window
    clients = window.page("clients")
    for chart in list(getattr(clients, "chart_windows", {}).values()):
        chart.close()


def _names(window: MainWindow) -> set[str]:
    caseload = window.today_page.caseload
    return {item.client_name for name in ("unsigned_notes", "safety_alerts", "measures_due")
            for item in getattr(caseload, name)}


def test_idle_time_hides_every_client_name_and_unlock_restores_the_screen(qtbot, demo_window):
    """After the idle time no client name is readable anywhere; the right password brings back
    the same page and the open chart window."""
    window = demo_window
    names = _names(window)
    assert names and any(name in visible_texts() for name in names)
    item = window.today_page.caseload.unsigned_notes[0]
    window.open_target(item.target)
    chart = getattr(window.page("clients"), "chart_windows", {}).get(item.client_id)
    if hasattr(window.page("clients"), "chart_windows"):
        assert chart is not None and chart.isVisible() and item.mrn in chart.windowTitle()
    focused = window.today_page.sections["unsigned_notes"].view
    window.activateWindow()
    focused.setFocus()

    window.idle_lock.timer.setInterval(150)
    window.idle_lock.timer.start()
    qtbot.waitUntil(window.is_locked, timeout=3000)
    readable = visible_texts()
    assert not [name for name in names if name in readable]
    assert item.mrn not in readable
    assert chart is None or not chart.isVisible()
    assert "IOP Desk is locked" in readable

    screen = window.idle_lock.screen
    qtbot.keyClicks(screen.password_edit, "wrong")
    qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    assert window.is_locked()
    assert screen.error_label.text() == SIGN_IN_REFUSED

    qtbot.keyClicks(screen.password_edit, DEMO_PASSWORD)
    qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    assert not window.is_locked()
    assert window.current_section() == "today"
    assert window.today_page.isVisible()
    assert any(name in visible_texts() for name in names)
    assert chart is None or chart.isVisible()


def test_ctrl_l_locks_and_typing_keeps_the_idle_timer_from_firing(qtbot, demo_window):
    """Ctrl+L locks at once; section shortcuts do nothing while locked."""
    window = demo_window
    window.show_section("groups")
    window.navigation.setFocus()
    qtbot.keyClick(window.navigation, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked()
    assert not window.pages.isVisible()
    assert not window.lock_action.isEnabled()
    qtbot.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.current_section() == "groups"

    screen = window.idle_lock.screen
    qtbot.keyClicks(screen.password_edit, DEMO_PASSWORD)
    qtbot.mouseClick(screen.unlock_button, Qt.MouseButton.LeftButton)
    assert not window.is_locked() and window.current_section() == "groups"
    assert window.lock_action.isEnabled()


def test_ctrl_l_in_a_chart_window_locks_too(qtbot, demo_window):
    """Ctrl+L typed in an open chart window hides it and locks the workstation."""
    window = demo_window
    item = window.today_page.caseload.unsigned_notes[0]
    window.open_target(item.target)
    chart = getattr(window.page("clients"), "chart_windows", {}).get(item.client_id)
    if chart is None:
        pytest.skip("the Clients page does not open chart windows yet")
    qtbot.keyClick(chart, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.is_locked() and not chart.isVisible()
    qtbot.keyClicks(window.idle_lock.screen.password_edit, DEMO_PASSWORD)
    qtbot.keyClick(window.idle_lock.screen.password_edit, Qt.Key.Key_Enter)
    assert not window.is_locked() and chart.isVisible()


def test_input_restarts_the_idle_timer(qtbot, demo_window):
    """A key press counts as activity: the lock waits for a full idle period after it."""
    lock = demo_window.idle_lock
    lock.timer.setInterval(400)
    lock.timer.start()
    qtbot.wait(250)
    lock._last_restart = 0.0
    qtbot.keyClick(demo_window.navigation, Qt.Key.Key_Down)
    assert lock.timer.remainingTime() > 300
    assert not demo_window.is_locked()


def test_sign_in_as_someone_else_from_the_lock_screen(qtbot, demo_window, small_demo, monkeypatch):  # noqa: F811
    """The first user is signed out; the next one signs in and gets their own Today page."""
    window = demo_window
    window.lock()
    first_page = window.today_page

    def sign_in_supervisor(dialog: LoginDialog) -> int:
        dialog.username_edit.setText("supervisor")
        dialog.password_edit.setText(DEMO_PASSWORD)
        dialog.sign_in()
        return dialog.result()

    monkeypatch.setattr(LoginDialog, "exec", sign_in_supervisor)
    qtbot.mouseClick(window.idle_lock.screen.switch_button, Qt.MouseButton.LeftButton)
    assert small_demo.actor.username == "supervisor"
    assert not window.is_locked()
    assert window.today_page is not first_page
    assert window.user_label.text().startswith(small_demo.users.get("supervisor").display_name)
    qtbot.waitUntil(lambda: window.today_page.caseload is not None, timeout=5000)
    assert window.today_page.caseload.clinician_id == small_demo.users.get("supervisor").id


def test_the_lock_starts_with_the_clinics_minutes_not_the_users_file(qtbot, staffed, tmp_path):
    """A year left in the user's own settings file by an older version is ignored and removed;
    the lock starts with the clinic's ten minutes, and with five once the administrator sets it."""
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    settings.setValue("lock/idle_minutes", 525_600)
    window = MainWindow(staffed, settings=settings)
    qtbot.addWidget(window)
    assert window.idle_lock.timeout_ms == 10 * 60_000 == window.idle_lock.timer.interval()
    assert window.idle_lock.timer.isActive() and not settings.contains("lock/idle_minutes")
    window.idle_lock.stop()
    staffed.login("admin", ADMIN_PASSWORD)
    staffed.settings.set_rule("workstation.idle_lock_minutes", 5)
    second = MainWindow(staffed, settings=settings)
    qtbot.addWidget(second)
    assert second.idle_lock.timer.interval() == 5 * 60_000 and second.idle_lock.timer.isActive()
    assert second.idle_lock.timer.remainingTime() > 4 * 60_000
    second.idle_lock.stop()


def test_the_administrators_new_minutes_reach_the_open_window_and_lock_it(qtbot, staffed, tmp_path):
    """The administrator chooses 1 minute in Clinic settings: the open window's lock now waits one
    minute (and, with that minute shortened as the other lock tests do, locks)."""
    from ui.clinic_settings_panel import ClinicSettingsPanel

    staffed.login("admin", ADMIN_PASSWORD)
    window = MainWindow(staffed, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    panel = ClinicSettingsPanel(staffed, window.ops)
    qtbot.addWidget(panel)
    assert panel.idle_lock_box.value() == 10
    assert (panel.idle_lock_box.minimum(), panel.idle_lock_box.maximum()) == (1, 30)
    panel.idle_lock_box.setValue(1)
    assert staffed.settings.idle_lock_minutes() == 1
    assert panel.message.text() == "Saved: workstations lock after 1 minute without input."
    assert window.idle_lock.timer.interval() == 60_000 and window.idle_lock.timer.isActive()
    window.idle_lock.timer.setInterval(100)
    window.idle_lock.timer.start()
    qtbot.waitUntil(window.is_locked, timeout=3000)
    window.idle_lock.stop()
