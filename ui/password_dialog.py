"""`ChangePasswordDialog`: the signed-in user changes their own password (File ▸ Change Password…).

Current password, new password and its confirmation; the clinic's policy is stated above the
fields. The domain (`clinic.users.change_password`) checks the current password and the policy
and audits the change; its refusal is shown under the field it names and the dialog stays open.
"""

from __future__ import annotations

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
from iopdesk.errors import IopDeskError
from iopdesk.passwords import policy
from ui.operations import user_message


class ChangePasswordDialog(QDialog):
    """Ask for the current password and a new one (twice); accept once the domain has saved it."""

    def __init__(self, clinic: Clinic, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.setObjectName("changePasswordDialog")
        self.setWindowTitle(self.tr("Change Password"))
        self.setModal(True)
        rules = policy()["password"]
        heading = QLabel(self.tr("Change the password of {name}").format(
            name=clinic.actor.display_name), objectName="panelTitle")
        hint = QLabel(self.tr(
            "Use at least {n} characters; a few unrelated words make a good password. It must not "
            "contain your user name, be a commonly used password, or repeat a character more than "
            "{r} times in a row.").format(n=rules["min_length"], r=rules["max_repeated"]),
            objectName="hint")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        self.old_edit = self._password_field("oldPassword", self.tr("Current password"))
        self.new_edit = self._password_field("newPassword", self.tr("New password"))
        self.confirm_edit = self._password_field("confirmPassword", self.tr("New password again"))
        self.error_label = QLabel(objectName="fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Password problem"))
        self.error_label.hide()

        form = QFormLayout()
        for text, edit in ((self.tr("&Current password:"), self.old_edit),
                           (self.tr("&New password:"), self.new_edit),
                           (self.tr("New password &again:"), self.confirm_edit)):
            label = QLabel(text)
            label.setBuddy(edit)
            form.addRow(label, edit)
        form.addRow("", self.error_label)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.change_button = self.buttons.addButton(self.tr("Change password"),
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.change_button.setObjectName("changePassword")
        self.change_button.setDefault(True)
        self.buttons.accepted.connect(self.change)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(hint)
        layout.addLayout(form)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        self.old_edit.setFocus()

    def _password_field(self, name: str, accessible: str) -> QLineEdit:
        edit = QLineEdit(objectName=name)
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setAccessibleName(accessible)
        return edit

    def change(self) -> None:
        """Save the new password, or say why not under the field at fault and stay open."""
        if self.new_edit.text() != self.confirm_edit.text():
            self.show_error(self.tr("New password again: the two new passwords differ."), self.confirm_edit)
            return
        try:
            self.clinic.users.change_password(self.old_edit.text(), self.new_edit.text())
        except IopDeskError as error:
            field = self.old_edit if error.field == "old_password" else self.new_edit
            self.show_error(user_message(error), field)
            return
        self.accept()

    def show_error(self, text: str, field: QLineEdit) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        field.selectAll()
        field.setFocus()
