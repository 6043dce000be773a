"""The Notes tab of a client's chart: the list of the client's notes and the actions on them.

A table (date, type, format, minutes, author, status; never narrative, so a biller may see it)
over `NoteListTableModel`, newest first. New note (Ctrl+N) asks the type and format and opens a
`NoteEditorDialog`; Enter or a double-click opens the selected note (drafts editable, signed
notes read-only with their addenda); Co-sign is offered to supervisors on notes awaiting their
co-signature and co-signs only once the attestation is confirmed (Cancel writes nothing). When
the domain refuses (a biller opening a note, a co-signature by the wrong supervisor) its own
message is shown in a warning box. The tab reloads when notes change.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.clinical.note_formats import NOTE_KINDS, note_formats
from iopdesk.errors import IopDeskError
from iopdesk.kernel.changes import Changes
from ui.attestation_dialog import confirm_signature
from ui.chart.note_editor import NoteEditorDialog
from ui.chart.note_list_model import NoteListTableModel, kind_label
from ui.column_fit import fit_columns
from ui.dates import date_text
from ui.operations import Operations, user_message
from ui.storage_retry import run_with_retry


class NewNoteDialog(QDialog):
    """Asks the type and format of a new note (defaults: individual, DAP)."""

    def __init__(self, parent: QWidget | None = None, kind: str = "individual",
                 note_format: str = "DAP") -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("New note"))
        self.kind_box = QComboBox()
        self.kind_box.setAccessibleName(self.tr("Note type"))
        for code in NOTE_KINDS:
            self.kind_box.addItem(kind_label(code), code)
        self.kind_box.setCurrentIndex(max(0, self.kind_box.findData(kind)))
        self.format_box = QComboBox()
        self.format_box.setAccessibleName(self.tr("Note format"))
        for code, fmt in note_formats().items():
            if code != "GROUP":  # the individualized part of a group note is written from the session
                self.format_box.addItem(fmt.label, code)
        self.format_box.setCurrentIndex(max(0, self.format_box.findData(note_format)))
        form = QFormLayout()
        kind_label_widget = QLabel(self.tr("&Type:"))
        kind_label_widget.setBuddy(self.kind_box)
        format_label = QLabel(self.tr("&Format:"))
        format_label.setBuddy(self.format_box)
        form.addRow(kind_label_widget, self.kind_box)
        form.addRow(format_label, self.format_box)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("Write note"))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(buttons)

    def kind(self) -> str:
        return self.kind_box.currentData()

    def note_format(self) -> str:
        return self.format_box.currentData()


class NotesTab(QWidget):
    """A client's notes: list, new, open, co-sign. Refreshes on note changes for this client."""

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None,
                 *, autosave_ms: int = 3000) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.autosave_ms = autosave_ms
        self.editors: list[NoteEditorDialog] = []
        self.new_note_dialog: NewNoteDialog | None = None
        self.setObjectName("notesTab")
        self.setAccessibleName(self.tr("Notes"))

        self.model = NoteListTableModel(clinic, self.client_id, self)
        self.table = QTableView(objectName="noteTable")
        self.table.setAccessibleName(self.tr("Notes of this client"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(self._open_index)
        self.table.selectionModel().currentRowChanged.connect(self._update_actions)

        self.empty_label = QLabel(self.tr("No notes yet. Press Ctrl+N to write the first one."),
                                  objectName="emptyState")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.new_action = QAction(self.tr("&New note…"), self)
        self.new_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.new_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.new_action.triggered.connect(self.new_note)
        self.open_action = QAction(self.tr("&Open"), self)
        self.open_action.setShortcut(QKeySequence(QKeySequence.StandardKey.Open))
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.open_action.triggered.connect(self.open_selected)
        # Enter on the list opens the note too (the view's own "activated" also fires on double-click).
        self.enter_action = QAction(self.tr("Open"), self.table)
        self.enter_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.enter_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.enter_action.triggered.connect(self.open_selected)
        self.table.addAction(self.enter_action)
        self.cosign_action = QAction(self.tr("&Co-sign"), self)
        self.cosign_action.setShortcut(QKeySequence(self.tr("Ctrl+Shift+K")))
        self.cosign_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.cosign_action.triggered.connect(self.cosign_selected)
        for action in (self.new_action, self.open_action, self.cosign_action):
            self.addAction(action)

        self.new_button = self._button(self.new_action, "newNoteButton")
        self.open_button = self._button(self.open_action, "openNoteButton")
        self.cosign_button = self._button(self.cosign_action, "cosignButton")
        self.cosign_button.setVisible(clinic.actor.can("note.cosign"))

        buttons = QHBoxLayout()
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.cosign_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        self.setTabOrder(self.new_button, self.open_button)
        self.setTabOrder(self.open_button, self.cosign_button)
        self.setTabOrder(self.cosign_button, self.table)

        ops.changes_applied.connect(self._changes_applied)
        self._after_reload()

    def _button(self, action: QAction, name: str) -> QPushButton:
        button = QPushButton(action.text(), objectName=name)
        button.setAccessibleName(action.text().replace("&", "").rstrip("…"))
        button.setToolTip(action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
        button.clicked.connect(action.trigger)
        action.changed.connect(lambda: button.setEnabled(action.isEnabled()))
        return button

    # -- list --------------------------------------------------------------------------
    def reload(self, select_id: str | None = None) -> None:
        """Fetch the notes again, keeping (or moving to) the selected note."""
        current = select_id or (self.selected_note().id if self.selected_note() else None)
        self.model.reload()
        self._after_reload(current)

    def _after_reload(self, select_id: str | None = None) -> None:
        fit_columns(self.table, self.table.horizontalHeader(),
                    {column: self.model.column_texts(column) for column in range(self.model.columnCount() - 1)})
        empty = self.model.rowCount() == 0
        self.empty_label.setVisible(empty)
        row = self.model.row_of(select_id) if select_id else -1
        if row < 0 and not empty:
            row = 0
        if row >= 0:
            self.table.selectRow(row)
        self._update_actions()

    def _changes_applied(self, changes: Changes) -> None:
        if changes.touches("note") and (not changes.client_ids or self.client_id in changes.client_ids):
            self.reload()

    def selected_note(self):
        index = self.table.currentIndex()
        return self.model.note_at(index.row()) if index.isValid() else None

    def _update_actions(self, *_args) -> None:
        item = self.selected_note()
        self.open_action.setEnabled(item is not None)
        self.cosign_action.setEnabled(
            item is not None and item.status == "awaiting_cosign" and self.clinic.actor.can("note.cosign"))
        self.new_action.setEnabled(self.clinic.actor.can("note.write"))

    # -- actions -----------------------------------------------------------------------
    def new_note(self) -> NewNoteDialog:
        """Ask the type and format, then open an editor on a new note (created on first edit)."""
        dialog = NewNoteDialog(self)
        self.new_note_dialog = dialog

        def chosen() -> None:
            self.open_editor(None, kind=dialog.kind(), note_format=dialog.note_format())

        dialog.accepted.connect(chosen)
        dialog.finished.connect(dialog.deleteLater)
        dialog.open()
        return dialog

    def open_selected(self) -> NoteEditorDialog | None:
        item = self.selected_note()
        return self.open_editor(item.id) if item else None

    def _open_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self.table.selectRow(index.row())
            self.open_selected()

    def open_editor(self, note_id: str | None, *, kind: str = "individual",
                    note_format: str = "DAP") -> NoteEditorDialog | None:
        """Open a note (or a new one) in its editor; the domain's refusal is shown, not raised."""
        for editor in self.editors:
            if note_id is not None and editor.note_id == str(note_id):
                editor.raise_()
                editor.activateWindow()
                return editor
        view = None
        try:
            if note_id is not None:
                view = self.clinic.notes.get(note_id)
        except IopDeskError as error:
            QMessageBox.warning(self, self.tr("Open note"), user_message(error))
            return None
        editor = NoteEditorDialog(self.clinic, self.ops, self.client_id, note_id, kind=kind,
                                  note_format=note_format, view=view, autosave_ms=self.autosave_ms,
                                  parent=self)
        self.editors.append(editor)
        editor.finished.connect(lambda _result: self._editor_closed(editor))
        editor.show()
        return editor

    def _editor_closed(self, editor: NoteEditorDialog) -> None:
        if editor in self.editors:
            self.editors.remove(editor)
        editor.deleteLater()
        self.reload(editor.note_id)

    def cosign_selected(self) -> bool:
        """Co-sign the selected note after the supervisor confirms the attestation
        (`clinic.notes.attestation("cosign")`); True when it was co-signed, False (nothing
        written) on Cancel or a refusal."""
        item = self.selected_note()
        if item is None or item.status != "awaiting_cosign":
            return False
        signing = [self.tr("{kind} note by {author} of {date}; it cannot be changed afterwards.").format(
            kind=kind_label(item.kind), author=html.escape(item.author), date=date_text(item.service_date))]
        if not confirm_signature(self, self.tr("Co-sign note"), self.clinic.notes.attestation("cosign"),
                                 signing=signing):
            return False
        try:
            cosigned = run_with_retry(self, lambda: self.clinic.notes.cosign(
                item.id, self.clinic.notes.get(item.id).version))
        except IopDeskError as error:
            QMessageBox.warning(self, self.tr("Co-sign note"), user_message(error))
            return False
        if cosigned is None:
            return False
        _view, changes = cosigned
        self.ops.announce(changes)
        self.reload(item.id)
        return True
