"""`PassphraseDialog`: the passphrase of an encrypted clinic file, asked at start.

A password field, and "Remember on this computer (OS keyring)" when this computer has a keyring
(see `iopdesk.storage.passphrase_store`). After a passphrase failed, when a plain (never encrypted) backup
exists, the dialog also says the file may be damaged and offers "Restore latest backup…": a plain
SQLite file whose header was damaged can look like an encrypted one. The dialog ends with
`Accepted` (open with `passphrase()`), `Rejected` (quit) or `RESTORE` (restore the backup).
"""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

RESTORE = 2


class PassphraseDialog(QDialog):
    """Ask for the clinic file's passphrase; `remember()` tells whether to keep it in the keyring."""

    def __init__(self, problem: str, *, keyring: bool, offer_restore: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("passphraseDialog")
        self.setWindowTitle(self.tr("Encrypted clinic"))
        self.setModal(True)
        heading = QLabel(self.tr("Enter the clinic file’s passphrase"), objectName="panelTitle")
        self.problem_label = QLabel(problem, objectName="problem")
        self.problem_label.setWordWrap(True)

        self.passphrase_edit = QLineEdit(objectName="passphrase")
        self.passphrase_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.passphrase_edit.setAccessibleName(self.tr("Passphrase"))
        label = QLabel(self.tr("&Passphrase:"))
        label.setBuddy(self.passphrase_edit)
        form = QFormLayout()
        form.addRow(label, self.passphrase_edit)

        self.remember_box = QCheckBox(self.tr("&Remember on this computer (OS keyring)"),
                                      objectName="rememberPassphrase")
        self.remember_box.setToolTip(self.tr(
            "The operating system's keyring keeps the passphrase for your account on this computer, "
            "so IOP Desk opens this clinic without asking. Leave it off on a shared computer."))
        self.remember_box.setVisible(keyring)

        self.damaged_hint = QLabel(self.tr(
            "If this clinic was never encrypted, its file may be damaged: IOP Desk can restore the "
            "latest good backup into a new file and leave this one untouched."), objectName="hint")
        self.damaged_hint.setWordWrap(True)
        self.damaged_hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.restore_button = QPushButton(self.tr("Restore latest &backup…"), objectName="restoreBackup")
        self.restore_button.setAutoDefault(False)
        self.restore_button.clicked.connect(lambda: self.done(RESTORE))
        restore_row = QHBoxLayout()
        restore_row.addWidget(self.damaged_hint, 1)
        restore_row.addWidget(self.restore_button)
        self.damaged_hint.setVisible(offer_restore)
        self.restore_button.setVisible(offer_restore)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.open_button = self.buttons.addButton(self.tr("Open clinic"),
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.open_button.setObjectName("openClinic")
        self.open_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(self.problem_label)
        layout.addLayout(form)
        layout.addWidget(self.remember_box)
        layout.addLayout(restore_row)
        layout.addStretch(1)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(self.fontMetrics().averageCharWidth() * 64)
        self.passphrase_edit.setFocus()

    def passphrase(self) -> str:
        return self.passphrase_edit.text()

    def remember(self) -> bool:
        """Whether to keep the passphrase in the OS keyring (never when none is available)."""
        return not self.remember_box.isHidden() and self.remember_box.isChecked()
