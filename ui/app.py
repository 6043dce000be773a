"""Start the desktop app: `run_app(["--db", URL])` opens the clinic, asks the person to sign in
and shows the main window.

Called by `ui.launcher` when `iopdesk` runs without an admin command. A clinic that cannot be
opened (unreachable server, newer schema, missing folder) is reported in one message box with the
domain's own words, never a traceback, and the program exits with status 2. A damaged clinic
file is refused and its latest good backup offered (`ui.restore_offer`): restored into a new
file and opened, or status 2. Cancelling the passphrase or the sign-in exits with status 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QMessageBox

import resources
from iopdesk import open_clinic
from iopdesk.errors import DatabaseDamaged, IopDeskError
from iopdesk.paths import data_dir
from iopdesk.storage.db import set_interactive_thread
from ui.icons import app_icon
from ui.login_dialog import LoginDialog
from ui.main_window import MainWindow
from ui.restore_offer import check_in_background, restore_or_quit
from ui.settings import APPLICATION, ORGANIZATION

EXIT_ERROR = 2


def parse_args(args: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    """`--db URL` or `--db=URL`; anything else is left for Qt (e.g. `-platform offscreen`)."""
    parser = argparse.ArgumentParser(prog="iopdesk", add_help=False)
    parser.add_argument("--db", metavar="URL", default=None)
    return parser.parse_known_args(list(args))


def load_style_sheet(app: QApplication) -> None:
    style = resources.path("style.qss")
    if style.is_file():
        app.setStyleSheet(style.read_text(encoding="utf-8"))


def _plain_backup():
    """The latest good backup when it is a plain (never encrypted) one, else None."""
    from iopdesk.paths import backup_dir
    from iopdesk.storage.backup_folder import latest_good_backup
    from iopdesk.storage.file_kind import is_encrypted_file

    backup = latest_good_backup(backup_dir())
    return backup if backup is not None and not is_encrypted_file(backup) else None


def open_with_passphrase(db: str | None):
    """Open the clinic; for an encrypted clinic file the OS keyring's passphrase, else ask for it
    (three tries; "Remember on this computer" keeps it in the keyring once it opened the clinic).
    None when the user cancels. After a wrong passphrase, when a plain backup exists, the dialog
    offers to restore it: RestoreChosen (a DatabaseDamaged) then."""
    from iopdesk.errors import PassphraseRequired
    from iopdesk.storage.passphrase_store import keyring_available, remember_passphrase
    from ui.passphrase_dialog import RESTORE, PassphraseDialog
    from ui.restore_offer import RestoreChosen

    passphrase, problem, remember, failed = None, "", False, False
    for _ in range(4):
        try:
            clinic = open_clinic(db, passphrase=passphrase, defer_large_check=True)
        except PassphraseRequired as exc:
            problem, failed = str(exc), passphrase is not None
        else:
            if remember and passphrase:
                remember_passphrase(clinic.db.database, passphrase)
            return clinic
        backup = _plain_backup() if failed else None
        dialog = PassphraseDialog(problem, keyring=keyring_available(), offer_restore=backup is not None)
        result = dialog.exec()
        passphrase, remember = dialog.passphrase(), dialog.remember()
        dialog.deleteLater()
        if result == RESTORE:
            raise RestoreChosen(problem, backup=backup)
        if result != PassphraseDialog.DialogCode.Accepted:
            return None
    raise PassphraseRequired(problem)


def run_app(args: Sequence[str]) -> int:
    """Run the desktop app until its window closes; returns the exit status."""
    options, qt_args = parse_args(args)
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "iopdesk", *qt_args])
    app.setWindowIcon(app_icon())
    load_style_sheet(app)

    if options.db is None and not os.environ.get("IOPDESK_DB"):
        data_dir().mkdir(parents=True, exist_ok=True)
    try:
        clinic = open_with_passphrase(options.db)
    except DatabaseDamaged as exc:  # offer the latest good backup, restored into a new file
        clinic = restore_or_quit(exc, options.db)
        if clinic is None:
            return EXIT_ERROR
    except IopDeskError as exc:
        QMessageBox.critical(None, QCoreApplication.translate("app", "IOP Desk cannot start"), str(exc))
        return EXIT_ERROR
    if clinic is None:
        return 0
    set_interactive_thread()  # a save on this (GUI) thread never waits long for a lock

    with clinic:
        login = LoginDialog(clinic)
        if login.exec() != LoginDialog.DialogCode.Accepted:
            return 0
        window = MainWindow(clinic, previous_login=login.previous_login)
        login.deleteLater()
        window.show()
        if clinic.integrity_deferred:
            check_in_background(window, clinic)
        return app.exec()
