"""The "Who the copy is for" box of the print preview: for use in the program (the default), or
released outside the program to a recipient typed or chosen from the client's valid consents. A
document with a staff copy (the sign-in sheet) offers it too: the default is then the members'
copy, the one passed around the room, and the staff copy (with MRNs) is kept by the program.

`PrintAudienceWidget.chosen` fires when the audience is settled (a choice clicked, a recipient
picked from the list, Enter, or a pause in typing) and `typing` on each keystroke before that, so
the dialog can stop offering a preview that no longer matches. `show_refusal(text)` puts the
domain's refusal under the recipient.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QCompleter,
    QGridLayout,
    QGroupBox,
    QLabel,
    QRadioButton,
)

TYPING_PAUSE_MS = 700


class PrintAudienceWidget(QGroupBox):
    """Radio buttons for the audience and the recipient field; see the module docstring."""

    chosen = Signal()
    typing = Signal()

    def __init__(self, recipients: list[str], *, can_release: bool, staff_copy: str = "", parent=None) -> None:
        """`staff_copy`: what the document's staff copy adds ("with MRNs"); "" when it has none."""
        super().__init__(parent)
        self.setTitle(self.tr("Who the copy is for"))
        self.setAccessibleName(self.tr("Who the copy is for"))
        self.internal_radio = QRadioButton(self.tr("For &use in the program") if not staff_copy else
                                           self.tr("&Members' copy, to pass around the room"), objectName="forProgram")
        self.staff_radio = QRadioButton(self.tr("S&taff copy, {adds}, kept by the program").format(
            adds=self.tr(staff_copy)), objectName="forStaff")
        if not staff_copy:
            self.staff_radio.hide()
        self.release_radio = QRadioButton(self.tr("&Release outside the program to:"), objectName="forRelease")
        group = QButtonGroup(self)
        for radio in (self.internal_radio, self.staff_radio, self.release_radio):
            group.addButton(radio)
        self.internal_radio.setChecked(True)
        self.release_radio.setEnabled(can_release)
        if not can_release:
            self.release_radio.setToolTip(self.tr("Only a client's own document is released outside the program."))

        box = self.recipient_box = QComboBox(objectName="recipient")
        box.setEditable(True)
        box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        box.addItems(recipients)
        box.setCurrentIndex(-1)
        box.setAccessibleName(self.tr("Recipient"))
        box.setAccessibleDescription(self.tr("Recipients named on the client's valid consents are offered."))
        box.setMinimumContentsLength(30)
        box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        box.lineEdit().setPlaceholderText(self.tr("Recipient, as named on the client's consent"))
        box.completer().setFilterMode(Qt.MatchFlag.MatchContains)
        box.completer().setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        box.setEnabled(False)
        self.recipient_error = QLabel(objectName="fieldError")
        self.recipient_error.setWordWrap(True)
        self.recipient_error.setAccessibleName(self.tr("Release problem"))
        self.recipient_error.hide()

        grid = QGridLayout(self)
        grid.addWidget(self.internal_radio, 0, 0, 1, 2)
        if staff_copy:
            grid.addWidget(self.staff_radio, 1, 0, 1, 2)
        grid.addWidget(self.release_radio, 2, 0)
        grid.addWidget(box, 2, 1)
        grid.addWidget(self.recipient_error, 3, 1)
        grid.setColumnStretch(1, 1)

        self.typing_timer = QTimer(self, singleShot=True, interval=TYPING_PAUSE_MS)
        self.typing_timer.timeout.connect(self.chosen)
        self.release_radio.toggled.connect(self._release_toggled)
        self.staff_radio.toggled.connect(lambda _on: self._settle())
        box.activated.connect(lambda _index: self._settle())
        box.lineEdit().returnPressed.connect(self._settle)
        box.lineEdit().textEdited.connect(lambda _text: self._typed())

    def recipient(self) -> str | None:
        """Who the copy is released to; None for use in the program ("" when not yet named)."""
        if not self.release_radio.isChecked():
            return None
        return self.recipient_box.currentText().strip()

    def staff_copy(self) -> bool:
        """True when the staff copy is chosen."""
        return self.staff_radio.isChecked()

    def show_refusal(self, text: str | None) -> None:
        """The domain's message about the recipient under the field (None clears it)."""
        self.recipient_error.setText(text or "")
        self.recipient_error.setVisible(bool(text))

    def _release_toggled(self, release: bool) -> None:
        self.recipient_box.setEnabled(release)
        if release:
            if not self.recipient_box.currentText().strip() and self.recipient_box.count():
                self.recipient_box.setCurrentIndex(0)
            self.recipient_box.setFocus()
        self._settle()

    def _typed(self) -> None:
        self.typing.emit()
        self.typing_timer.start()

    def _settle(self) -> None:
        self.typing_timer.stop()
        self.chosen.emit()
