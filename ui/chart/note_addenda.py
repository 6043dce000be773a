"""Addenda of a signed note: the dialog that writes one (the note itself never changes) and the
list under the note that shows each with its author and time.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import IopDeskError
from ui.chart.note_text import bold
from ui.dates import stamp_text
from ui.operations import Operations, user_message
from ui.storage_retry import run_with_retry


def addendum_caption(addendum) -> str:
    return QApplication.translate("NoteEditorDialog", "Addendum — {author}, {when}").format(
        author=addendum.author, when=stamp_text(addendum.signed_at))


class AddendaWidget(QWidget):
    """The addenda of a note, oldest first, each a bold caption over its selectable text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.box = QVBoxLayout(self)
        self.box.setContentsMargins(0, 0, 0, 0)

    def show_addenda(self, addenda: Iterable) -> None:
        while self.box.count():
            widget = self.box.takeAt(0).widget()
            if widget is not None:
                widget.deleteLater()
        for addendum in addenda:
            caption = QLabel(addendum_caption(addendum), objectName="addendumCaption")
            caption.setFont(bold(caption.font()))
            text = QLabel(addendum.text, objectName="addendumText")
            text.setWordWrap(True)
            text.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            text.setAccessibleName(caption.text())
            self.box.addWidget(caption)
            self.box.addWidget(text)


class AddendumDialog(QDialog):
    """Writes one addendum to a signed note; the text is required. Accepted once it is saved."""

    def __init__(self, clinic: Clinic, ops: Operations, note_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic, self.ops, self.note_id = clinic, ops, note_id
        self.setWindowTitle(self.tr("Add addendum"))
        label = QLabel(self.tr("&Addendum (appended to the signed note, which does not change):"))
        label.setWordWrap(True)
        self.text_edit = QPlainTextEdit(objectName="addendumEdit")
        self.text_edit.setAccessibleName(self.tr("Addendum"))
        self.text_edit.setTabChangesFocus(True)
        label.setBuddy(self.text_edit)
        self.error_label = QLabel(objectName="fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Sign addendum"))
        self.ok_button.setEnabled(False)
        self.text_edit.textChanged.connect(
            lambda: self.ok_button.setEnabled(bool(self.text_edit.toPlainText().strip())))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.text_edit, 1)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _show_refusal(self, error: BaseException) -> None:
        self.error_label.setText(user_message(error))
        self.error_label.show()

    def accept(self) -> None:
        try:
            saved = run_with_retry(self, lambda: self.clinic.notes.add_addendum(
                self.note_id, self.text_edit.toPlainText()), on_refused=self._show_refusal)
        except IopDeskError as error:
            self._show_refusal(error)
            return
        if saved is None:
            return
        _view, changes = saved
        self.ops.announce(changes)
        super().accept()
