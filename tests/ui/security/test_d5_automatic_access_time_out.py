"""ONC 170.315(d)(5) automatic access time-out: after a period of inactivity the workstation locks,
hiding every client's data (main window and chart windows) until the signed-in user types their
password again; wrong passwords at the lock screen count towards the account lockout. The period
is the clinic's program rule `workstation.idle_lock_minutes`, 1 to 30 minutes."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QWidget

import iopdesk
from iopdesk.models import AuditEvent, Staff
from tests.conftest import ADMIN_PASSWORD
from ui.main_window import MainWindow


@pytest.fixture
def workstation(qtbot, tmp_path, clinic_file):
    """Cleo signed in at a workstation with Zora's chart open and a 60-second idle time."""
    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Zora", legal_last="Vantongeren", dob="1990-05-05")
    window = MainWindow(clinic, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat),
                        idle_ms=60_000)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    chart = window.page("clients").open_chart(client.id)
    yield clinic, window, chart
    if chart is not None and chart.isVisible():
        chart.close()
    window.idle_lock.stop()
    clinic.close()


def _readable() -> str:
    texts = []
    for top in QApplication.topLevelWidgets():
        if top.isVisible():
            for widget in [top, *top.findChildren(QWidget)]:
                if widget.isVisible():
                    texts.append(widget.windowTitle())
                    if isinstance(widget, (QLabel, QLineEdit)):
                        texts.append(widget.text())
    return "\n".join(texts)


def _lock_by_idling(qtbot, window) -> None:
    window.idle_lock.timer.setInterval(100)
    window.idle_lock.timer.start()
    qtbot.waitUntil(window.is_locked, timeout=3000)


def test_idle_time_locks_and_hides_the_open_chart(qtbot, workstation):
    """With no input for the idle time the lock screen replaces the workspace and the chart window
    is hidden; the client's name is nowhere on screen; her password brings it back."""
    _, window, chart = workstation
    assert "Vantongeren" in _readable()
    _lock_by_idling(qtbot, window)
    assert not chart.isVisible()
    assert "Vantongeren" not in _readable()
    assert "IOP Desk is locked" in _readable()
    screen = window.idle_lock.screen
    qtbot.keyClicks(screen.password_edit, ADMIN_PASSWORD)
    qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    assert not window.is_locked() and chart.isVisible()


def test_wrong_passwords_at_the_lock_screen_lead_to_lockout(qtbot, workstation):
    """The lock screen is no way around the lockout: five wrong passwords lock the account
    (each audited) and then even the right one is refused."""
    _, window, _ = workstation
    _lock_by_idling(qtbot, window)
    screen = window.idle_lock.screen
    for attempt in range(5):
        qtbot.keyClicks(screen.password_edit, f"guess number {attempt}")
        qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    assert Staff.get(Staff.username == "clinician").locked_until is not None
    assert AuditEvent.select().where(AuditEvent.action == "login_failed").count() == 5
    qtbot.keyClicks(screen.password_edit, ADMIN_PASSWORD)
    qtbot.keyClick(screen.password_edit, Qt.Key.Key_Return)
    assert window.is_locked()
    assert "locked" in screen.error_label.text()


def test_the_idle_time_is_the_clinics_and_a_users_own_file_cannot_lengthen_it(qtbot, workstation, tmp_path):
    """A workstation locks after the clinic's ten minutes even when the user's own settings file
    asks for a year (once honoured; from 35,792 minutes Qt's timer overflowed and never locked)."""
    clinic, _, _ = workstation
    own = QSettings(str(tmp_path / "other.ini"), QSettings.Format.IniFormat)
    own.setValue("lock/idle_minutes", 525_600)
    window = MainWindow(clinic, settings=own)
    qtbot.addWidget(window)
    assert window.idle_lock.timeout_ms == 10 * 60_000 and window.idle_lock.timer.isActive()
    window.idle_lock.stop()
