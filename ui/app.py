"""Start the desktop app: `run_app(["--db", URL])` opens the clinic, asks the person to sign in
and shows the main window.

Called by `ui.launcher` when `iopdesk` runs without an admin command. A clinic that cannot be
opened (unreachable server, newer schema, missing folder) is reported in one message box with the
domain's own words, never a traceback, and the program exits with status 2. Cancelling the
sign-in exits with status 0.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QApplication, QInputDialog, QLineEdit, QMessageBox

import resources
from iopdesk import open_clinic
from iopdesk.errors import IopDeskError
from iopdesk.paths import data_dir

from .login_dialog import LoginDialog
from .main_window import MainWindow, app_icon
from .settings import APPLICATION, ORGANIZATION

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


def open_with_passphrase(db: str | None):
    """Open the clinic; for an encrypted clinic file ask for its passphrase (three tries).
    None when the user cancels."""
    from iopdesk.errors import PassphraseRequired

    passphrase, problem = None, ""
    for _ in range(4):
        try:
            return open_clinic(db, passphrase=passphrase)
        except PassphraseRequired as exc:
            problem = str(exc)
        text, ok = QInputDialog.getText(
            None, QCoreApplication.translate("app", "Encrypted clinic"),
            problem + "\n\n" + QCoreApplication.translate("app", "Passphrase:"),
            QLineEdit.EchoMode.Password)
        if not ok:
            return None
        passphrase = text
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
    except IopDeskError as exc:
        QMessageBox.critical(None, QCoreApplication.translate("app", "IOP Desk cannot start"), str(exc))
        return EXIT_ERROR
    if clinic is None:
        return 0

    with clinic:
        login = LoginDialog(clinic)
        if login.exec() != LoginDialog.DialogCode.Accepted:
            return 0
        window = MainWindow(clinic, previous_login=login.previous_login)
        login.deleteLater()
        window.show()
        return app.exec()
