"""`LoginDialog`: the sign-in form shown before the main window (user name, password, Sign in).

A refused sign-in is told under the password field in the domain's one sentence for every
refusal (wrong name or password, locked or disabled account: it must not reveal which accounts
exist) and the dialog stays open; Enter submits. The user's previous sign-in time is read before the
sign-in (which overwrites it) so the main window can show "Last sign-in: …".
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import IopDeskError, NotFound
from iopdesk.permissions import Actor
from ui.operations import user_message


class LoginDialog(QDialog):
    """Ask for a user name and password and sign the person in to `clinic`."""

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.actor: Actor | None = None
        self.previous_login: dt.datetime | None = None
        self.setObjectName("loginDialog")
        self.setWindowTitle(self.tr("Sign in to IOP Desk"))
        self.setModal(True)

        info = clinic.info()
        heading = QLabel(self.tr("Sign in to {clinic}").format(clinic=info.clinic_name),
                         objectName="panelTitle")
        heading.setWordWrap(True)
        where = QLabel(self.tr("Site: {site} · Database: {database}").format(
            site=info.site_name, database=info.database), objectName="hint")
        where.setWordWrap(True)
        where.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.username_edit = QLineEdit(objectName="username")
        self.username_edit.setAccessibleName(self.tr("User name"))
        self.password_edit = QLineEdit(objectName="password")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Password"))
        self.error_label = QLabel(objectName="fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Sign-in problem"))
        self.error_label.hide()

        form = QFormLayout()
        user_label = QLabel(self.tr("&User name:"))
        user_label.setBuddy(self.username_edit)
        password_label = QLabel(self.tr("&Password:"))
        password_label.setBuddy(self.password_edit)
        form.addRow(user_label, self.username_edit)
        form.addRow(password_label, self.password_edit)
        form.addRow("", self.error_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.sign_in_button = self.buttons.addButton(self.tr("Sign in"),
                                                     QDialogButtonBox.ButtonRole.AcceptRole)
        self.sign_in_button.setObjectName("signIn")
        self.sign_in_button.setDefault(True)
        self.sign_in_button.setAccessibleName(self.tr("Sign in"))
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(where)
        if clinic.users.count() == 0:
            layout.addWidget(QLabel(self.tr(
                "This clinic has no staff accounts yet. Create the first administrator with "
                "“iopdesk user add”."), wordWrap=True))
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setTabOrder(self.username_edit, self.password_edit)
        self.setTabOrder(self.password_edit, self.sign_in_button)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 56)
        self.username_edit.setFocus()

    def sign_in(self) -> None:
        """Try the typed name and password; accept on success, else say why and stay open."""
        username = self.username_edit.text().strip()
        previous = self._previous_login(username)
        try:
            self.actor = self.clinic.login(username, self.password_edit.text())
        except IopDeskError as error:
            self.show_error(user_message(error))
            self.password_edit.clear()
            self.password_edit.setFocus()
            return
        self.previous_login = previous
        self.accept()

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.adjustSize()  # room for the wrapped sentence

    def _previous_login(self, username: str) -> dt.datetime | None:
        if not username:
            return None
        try:
            return self.clinic.users.get(username).last_login_at
        except NotFound:
            return None
