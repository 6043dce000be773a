"""Scheduled backups of the workstation's clinic file: every few hours, and at sign-out when the
last one is more than a day old.

`BackupSchedule(window, clinic)` runs `iopdesk.backup.copies.backup_to_folder` (SQLite's backup API,
checked, rotated) on its own worker through `ui.operations`, so the screens never wait for it;
it watches the window for its close (sign-out and quit both close it) and then waits for that
last backup to finish. Results go to the window's status bar; a failure is logged and shown
there too (never a modal box in the middle of the day). A clinic on PostgreSQL is backed up on
the server (pg_dump), so the schedule does nothing there.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QMainWindow

from iopdesk import Clinic
from iopdesk.backup.copies import backup_to_folder
from iopdesk.kernel.clock import utcnow
from iopdesk.paths import backup_dir
from iopdesk.storage.backup_folder import backup_time, backups_in
from iopdesk.storage.db import is_postgres
from ui.operations import Operations, user_message

log = logging.getLogger(__name__)
STALE_AFTER = dt.timedelta(days=1)
SIGN_OUT_WAIT_MS = 120_000


class BackupSchedule(QObject):
    """Backs up `clinic` into `folder` every `interval_hours`, and at sign-out when stale."""

    backup_done = Signal(object)  # iopdesk.backup.copies.BackupReport
    backup_failed = Signal(str)

    def __init__(self, window: QObject, clinic: Clinic, *, folder: Path | None = None,
                 interval_hours: float = 24.0, interval_ms: int | None = None) -> None:
        super().__init__(window)
        self.clinic = clinic
        self.folder = Path(folder) if folder is not None else backup_dir()
        self.enabled = not is_postgres(clinic.url)
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(1)
        self.ops = Operations(self, pool=self._pool)
        self.running = False
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms if interval_ms is not None else int(interval_hours * 3_600_000))
        self.timer.timeout.connect(self.run_now)
        if self.enabled:
            self.timer.start()
            window.installEventFilter(self)

    def last_backup_at(self) -> dt.datetime | None:
        """When the newest backup in the folder was taken (UTC), or None."""
        newest = backups_in(self.folder)
        return backup_time(newest[0]) if newest else None

    def is_stale(self) -> bool:
        last = self.last_backup_at()
        return last is None or utcnow() - last > STALE_AFTER

    def run_now(self) -> None:
        """Start a backup on the worker unless one is running."""
        if not self.enabled or self.running:
            return
        self.running = True
        clinic, folder = self.clinic, self.folder
        self.ops.run(lambda: backup_to_folder(clinic, folder), on_success=self._done, on_failure=self._failed)

    def at_sign_out(self) -> None:
        """When the last backup is over a day old, take one now and wait for it."""
        self.timer.stop()
        if self.enabled and self.is_stale():
            self.run_now()
        self._pool.waitForDone(SIGN_OUT_WAIT_MS)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Close:
            self.at_sign_out()
        return False

    def _done(self, report) -> None:
        self.running = False
        self._say(self.tr("Backup saved: {path}").format(path=report.path))
        self.backup_done.emit(report)

    def _failed(self, error: BaseException) -> None:
        self.running = False
        message = user_message(error)
        log.error("scheduled backup failed: %s", type(error).__name__)
        self._say(self.tr("The backup failed: {reason}").format(reason=message))
        self.backup_failed.emit(message)

    def _say(self, text: str) -> None:
        window = self.parent()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 15_000)
