"""A damaged clinic file at start: offer to restore the latest good backup into a new file.

`offer_restore(damage, damaged_path)` shows what is wrong and offers "Restore latest backup…" or
"Quit". Restoring writes the backup into a NEW file next to the damaged one
(`<name>-restored-YYYYMMDD-HHMM.sqlite`, via `iopdesk.backup.copies.restore_backup`: checked, a new
incarnation of its site), never touching the damaged file; a modal progress dialog shows while it works (on a
worker thread), then the person is told where the restored clinic is and it is opened. A failed
restore raises `RestoreFailed` with the reason in words.
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import logging
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QEventLoop, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QMessageBox,
    QProgressDialog,
    QWidget,
)

from iopdesk import Clinic, open_clinic
from iopdesk.backup.copies import RestoreReport, restore_backup
from iopdesk.errors import DatabaseDamaged, IopDeskError
from iopdesk.kernel import clock
from iopdesk.storage.backup_folder import backup_time
from ui.dates import stamp_text

log = logging.getLogger(__name__)


class RestoreChosen(DatabaseDamaged):
    """The person already chose to restore the backup (from the passphrase dialog): no question."""


class RestoreFailed(IopDeskError):
    """The backup could not be restored; the message says why and what to do."""


def _tr(text: str) -> str:
    return QCoreApplication.translate("restore", text)


def restored_name(damaged: Path, when: dt.datetime | None = None) -> Path:
    """A new file next to `damaged`: `<name>-restored-YYYYMMDD-HHMM.sqlite` (-2, -3… if taken)."""
    when = when or clock.now()
    base = f"{damaged.stem}-restored-{when:%Y%m%d-%H%M}"
    target = damaged.with_name(base + ".sqlite")
    number = 2
    while any(Path(f"{target}{suffix}").exists() for suffix in ("", ".part", "-wal", "-journal")):
        target = damaged.with_name(f"{base}-{number}.sqlite")
        number += 1
    return target


def _backup_when(backup: Path) -> str:
    taken = backup_time(backup)
    if taken is None:
        return str(backup.name)
    return stamp_text(taken)


def ask_restore(damage: DatabaseDamaged, damaged_path: Path, parent: QWidget | None = None) -> bool:
    """The damaged-file message with "Restore latest backup…" and "Quit"; True to restore."""
    box = offer_box(damage, damaged_path, parent)
    box.exec()
    return box.clickedButton() is box.findChild(QAbstractButton, "restoreBackup")


def offer_box(damage: DatabaseDamaged, damaged_path: Path, parent: QWidget | None = None) -> QMessageBox:
    """The message box that offers the latest good backup (not yet shown)."""
    backup = Path(damage.backup)
    box = QMessageBox(parent)
    box.setObjectName("damagedClinicBox")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(_tr("Clinic file damaged"))
    box.setText(_tr("The clinic file {path} is damaged. IOP Desk will not write to it.").format(
        path=damaged_path))
    box.setInformativeText(_tr(
        "The latest good backup was taken {when}. IOP Desk can restore it into a new file next to the "
        "damaged one and open it; the damaged file is left untouched for your administrator. Anything "
        "saved after the backup is not in it.").format(when=_backup_when(backup)))
    box.setDetailedText(str(damage))
    restore = box.addButton(_tr("Restore latest backup…"), QMessageBox.ButtonRole.AcceptRole)
    restore.setObjectName("restoreBackup")
    quit_button = box.addButton(_tr("Quit"), QMessageBox.ButtonRole.RejectRole)
    quit_button.setObjectName("quit")
    box.setDefaultButton(restore)
    box.setEscapeButton(quit_button)
    return box


def _run_with_progress(work, label: str):
    """Run `work()` on a worker thread behind a modal busy progress dialog; its result (or error)."""
    dialog = QProgressDialog(label, "", 0, 0)
    dialog.setObjectName("restoreProgress")
    dialog.setWindowTitle(_tr("Restoring backup"))
    dialog.setCancelButton(None)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.setMinimumDuration(0)
    text = dialog.findChild(QLabel)
    text.ensurePolished()  # the style sheet sets its font
    dialog.setMinimumWidth(int(text.fontMetrics().horizontalAdvance(label.splitlines()[-1]) * 1.25) + 64)
    dialog.show()
    QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
    loop = QEventLoop()
    timer = QTimer(interval=50)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        future = pool.submit(work)
        timer.timeout.connect(lambda: future.done() and loop.quit())
        timer.start()
        if not future.done():
            loop.exec()
        timer.stop()
    QApplication.restoreOverrideCursor()
    dialog.close()
    dialog.deleteLater()
    return future.result()


def restore_into_new_file(backup: Path, damaged_path: Path) -> RestoreReport:
    """Restore `backup` into a new file next to `damaged_path`; RestoreFailed with the reason."""
    target = restored_name(damaged_path)
    try:
        report = _run_with_progress(lambda: restore_backup(backup, target),
                                    _tr("Restoring the latest good backup into a new file…\n{path}").format(path=target))
    except IopDeskError as exc:
        raise RestoreFailed(_tr("The backup could not be restored: {reason} The damaged clinic file was "
                                "left untouched.").format(reason=exc)) from None
    except Exception as exc:  # a disk or driver error (OSError, sqlite3.Error…): words, not a traceback
        log.warning("restore at start failed: %s", type(exc).__name__)
        raise RestoreFailed(_tr("The backup could not be restored ({reason}). The damaged clinic file was "
                                "left untouched; ask your administrator.").format(
                                    reason=getattr(exc, "strerror", None) or type(exc).__name__)) from None
    return report


def offer_restore(damage: DatabaseDamaged, damaged_path: Path, parent: QWidget | None = None) -> Clinic | None:
    """Offer the latest good backup of the damaged clinic; the restored clinic, opened, or None
    when the person quits (or there is no backup). RestoreFailed when restoring fails."""
    if damage.backup is None:
        return None
    if not isinstance(damage, RestoreChosen) and not ask_restore(damage, damaged_path, parent):
        return None
    report = restore_into_new_file(Path(damage.backup), damaged_path)
    restored = report.path
    log.info("clinic restored from a backup at start into a new file")
    QMessageBox.information(parent, _tr("Backup restored"), _tr(
        "The latest good backup was restored into:\n{restored}\n\nThe damaged file {damaged} was left "
        "untouched. IOP Desk opens the restored clinic now. From now on, start IOP Desk with "
        "--db \"{restored}\" (or ask your administrator to move the damaged file aside and give the "
        "restored one its name).\n\nThe restored clinic lacks what was entered after the backup. If this "
        "is a satellite site, sync it now (Admin, Sync): it gets back everything the main clinic holds, "
        "and the sync says how much. Clients registered from now on get MRNs {prefix}000001 onwards, "
        "so they never repeat one issued before.").format(restored=restored, damaged=damaged_path,
                                                          prefix=report.mrn_prefix))
    try:
        return open_clinic(str(restored), create=False)
    except IopDeskError as exc:
        raise RestoreFailed(_tr("The restored clinic {path} could not be opened: {reason}").format(
            path=restored, reason=exc)) from None


def restore_or_quit(damage: DatabaseDamaged, db: str | None) -> Clinic | None:
    """At start, for the clinic `db` (None: the default) refused as damaged: the restored clinic,
    opened, or None after saying why (no backup, the person quit, the restore failed)."""
    from iopdesk.paths import default_db_url
    from iopdesk.storage.db import normalise_url, sqlite_path

    path = sqlite_path(normalise_url(db or default_db_url()))
    if damage.backup is None or path is None:
        QMessageBox.critical(None, _tr("IOP Desk cannot start"), str(damage))
        return None
    try:
        return offer_restore(damage, path)
    except IopDeskError as exc:
        QMessageBox.critical(None, _tr("Restore failed"), str(exc))
        return None


def check_in_background(window: QWidget, clinic: Clinic) -> None:
    """Run the full storage check that opening a large clinic deferred (see
    iopdesk.storage.integrity.check_deferred) on a worker, apart from the window's own operations (it
    takes seconds and must not look like a pending save); if the file is damaged, writes are
    already refused when this says so, naming the latest good backup to restore."""
    from iopdesk.storage.integrity import check_deferred
    from ui.operations import Operations

    ops = Operations(window)

    def done(damage: DatabaseDamaged | None) -> None:
        if damage is not None:
            QMessageBox.critical(window, _tr("The clinic database is damaged"),
                                 str(damage) + "\n\n" + _tr("Nothing more is saved to it. Close IOP Desk, then "
                                                             "restore the backup named above."))

    ops.run(lambda: check_deferred(clinic.db), on_success=done,
            on_failure=lambda error: log.warning("deferred storage check failed: %s", type(error).__name__))
