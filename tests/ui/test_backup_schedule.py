"""Scheduled backups on the workstation: on a timer, and at sign-out when the last is over a day old."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMainWindow

from iopdesk.kernel.clock import utcnow
from iopdesk.storage.backup_folder import backup_name, backups_in
from ui.backup_schedule import BackupSchedule
from ui.main_window import MainWindow


@pytest.fixture
def host(qtbot):
    window = QMainWindow()
    qtbot.addWidget(window)
    return window


def test_the_schedule_backs_up_on_its_timer_without_freezing_the_window(qtbot, host, sqlite_clinic, tmp_path):
    """With a short interval, backups arrive from the worker and are announced in the status bar."""
    schedule = BackupSchedule(host, sqlite_clinic, folder=tmp_path / "backups", interval_ms=50)
    with qtbot.waitSignal(schedule.backup_done, timeout=10_000) as done:
        pass
    assert done.args[0].path.parent == tmp_path / "backups" and done.args[0].path.exists()
    assert "Backup saved" in host.statusBar().currentMessage()
    schedule.timer.stop()
    schedule._pool.waitForDone(10_000)


def test_sign_out_backs_up_when_the_last_backup_is_over_a_day_old(qtbot, host, sqlite_clinic, tmp_path):
    """Closing the window (signing out) takes a backup when the newest is two days old, and waits for it."""
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / backup_name(utcnow() - dt.timedelta(days=2))).write_bytes(b"")
    schedule = BackupSchedule(host, sqlite_clinic, folder=folder)
    assert schedule.is_stale()
    host.close()
    assert len(backups_in(folder)) >= 1 and backups_in(folder)[0].stat().st_size > 0
    assert not schedule.is_stale()


def test_sign_out_skips_the_backup_when_one_is_recent(qtbot, host, sqlite_clinic, tmp_path):
    """A backup from an hour ago is enough: signing out does not take another."""
    folder = tmp_path / "backups"
    folder.mkdir()
    recent = folder / backup_name(utcnow() - dt.timedelta(hours=1))
    recent.write_bytes(b"")
    BackupSchedule(host, sqlite_clinic, folder=folder)
    host.close()
    assert backups_in(folder) == [recent]


def test_a_failed_backup_is_said_in_the_status_bar(qtbot, host, sqlite_clinic, tmp_path):
    """A backup folder that cannot be made is reported in the status bar, not in a modal box."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    schedule = BackupSchedule(host, sqlite_clinic, folder=blocker / "backups", interval_ms=3_600_000)
    with qtbot.waitSignal(schedule.backup_failed, timeout=10_000):
        schedule.run_now()
    assert "The backup failed: Backup folder:" in host.statusBar().currentMessage()


def test_the_main_window_has_a_daily_backup_schedule(qtbot, sqlite_clinic, tmp_path):
    """The main window backs up its clinic every 24 hours into the user's backup folder."""
    window = MainWindow(sqlite_clinic, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    assert window.backup_schedule.timer.interval() == 24 * 3_600_000 and window.backup_schedule.enabled
    assert window.backup_schedule.folder.name == "backups"
