"""The individualized part of one attendee's group note: the GROUP format's sections and the plan
objectives addressed, for whichever client is current on the roster.

Each client gets its own text documents (one per section), swapped into the same editors when the
roster's current client changes, so every client keeps their own undo and redo history (Ctrl+Z,
Ctrl+Shift+Z) for the life of the window. Above the sections, `findings_panel` says when the
section names another member (and offers "Override…"); the window's live name check fills it and
highlights the words. The sections come from `resources/note_templates.json`
through `iopdesk.clinical.note_formats` (no Qt there); the editor is read-only for a client who did not
attend or whose note is signed, and says why.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontMetrics, QPalette, QTextDocument
from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextDocumentLayout,
    QPlainTextEdit,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from iopdesk.clinical.note_formats import lookup_format
from ui.name_findings import FindingsPanel


class SectionEditorWidget(QWidget):
    """Invariant: `documents[client][key]` exists for every client ever shown; `dirty` names the
    clients edited since `mark_saved`."""

    edited = Signal(str)  # client id

    def __init__(self, clinic, ops, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic, self.ops = clinic, ops
        self.format = lookup_format("GROUP")
        self.documents: dict[str, dict[str, QTextDocument]] = {}
        self.objectives: dict[str, set[str]] = {}
        self.dirty: set[str] = set()
        self.client_id: str | None = None
        self._loading = False

        self.heading = QLabel(objectName="panelTitle")
        self.heading.setAccessibleName(self.tr("Client whose section is shown"))
        self.reason = QLabel(objectName="hint")
        self.reason.setWordWrap(True)
        self.reason.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.setVerticalSpacing(4)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        self.editors: dict[str, QPlainTextEdit] = {}
        lines = QFontMetrics(self.font()).lineSpacing()
        for section in self.format.sections:
            editor = QPlainTextEdit(objectName=f"section_{section.key}")
            editor.setTabChangesFocus(True)
            editor.setPlaceholderText(self.tr(section.hint))
            editor.setAccessibleName(self.tr(section.label))
            editor.setAccessibleDescription(self.tr(section.hint))
            editor.setMinimumHeight(lines * 2 + 12)
            editor.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
            label = QLabel(self.tr("&{label}").format(label=self.tr(section.label)))
            label.setBuddy(editor)
            form.addRow(label, editor)
            self.editors[section.key] = editor
        self.objective_list = QListWidget(objectName="objectivesAddressed")
        self.objective_list.setAccessibleName(self.tr("Plan objectives addressed"))
        self.objective_list.setMaximumHeight(lines * 4 + 12)
        self.objective_list.itemChanged.connect(self._objective_changed)
        objectives_label = QLabel(self.tr("O&bjectives addressed"))
        objectives_label.setBuddy(self.objective_list)
        form.addRow(objectives_label, self.objective_list)

        self.findings_panel = FindingsPanel("sectionFindings")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.reason)
        layout.addWidget(self.findings_panel)
        layout.addLayout(form, 1)
        self._blank = self._new_documents({})
        self._show_documents(self._blank)
        self.set_editable(False, self.tr("Choose a client on the roster."))

    # -- documents -----------------------------------------------------------------------------
    def _new_documents(self, sections: dict) -> dict[str, QTextDocument]:
        out = {}
        for section in self.format.sections:
            document = QTextDocument(self)
            document.setDocumentLayout(QPlainTextDocumentLayout(document))
            document.setPlainText(sections.get(section.key) or "")
            document.setUndoRedoEnabled(True)
            document.clearUndoRedoStacks()
            out[section.key] = document
        return out

    def _show_documents(self, documents: dict[str, QTextDocument]) -> None:
        for key, editor in self.editors.items():
            editor.setDocument(documents[key])

    def has(self, client_id: str) -> bool:
        return client_id in self.documents

    def load(self, client_id: str, sections: dict, objective_ids) -> None:
        """Give a client their documents, filled from their saved note (if any)."""
        documents = self._new_documents(sections)
        for document in documents.values():
            document.contentsChanged.connect(lambda c=client_id: self._changed(c))
        self.documents[client_id] = documents
        self.objectives[client_id] = set(objective_ids)

    def show_client(self, client_id: str, heading: str, objectives_offered, editable: bool, reason: str = "") -> None:
        """Show a loaded client's sections and the objectives their plan offers."""
        self.client_id = client_id
        self.heading.setText(heading)
        self._show_documents(self.documents[client_id])
        self._loading = True
        self.objective_list.clear()
        chosen = self.objectives[client_id]
        for objective_id, statement in objectives_offered:
            item = QListWidgetItem(statement, self.objective_list)
            item.setData(Qt.ItemDataRole.UserRole, objective_id)
            item.setFlags(Qt.ItemFlag.ItemIsUserCheckable | Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
            item.setCheckState(Qt.CheckState.Checked if objective_id in chosen else Qt.CheckState.Unchecked)
            item.setToolTip(statement)
        if not objectives_offered:
            QListWidgetItem(self.tr("No active plan objectives."), self.objective_list).setFlags(Qt.ItemFlag.NoItemFlags)
        self._loading = False
        self.set_editable(editable, reason)

    def set_editable(self, editable: bool, reason: str = "") -> None:
        for editor in self.editors.values():
            editor.setReadOnly(not editable)
        self.objective_list.setEnabled(editable)
        self.reason.setText(reason)
        self.reason.setVisible(bool(reason))

    def clear_history(self, client_id: str) -> None:
        """Forget a client's undo history (their note was signed)."""
        for document in self.documents.get(client_id, {}).values():
            document.clearUndoRedoStacks()

    # -- drafts ----------------------------------------------------------------------------------
    def sections(self, client_id: str) -> dict[str, str]:
        return {key: document.toPlainText() for key, document in self.documents[client_id].items()}

    def objective_ids(self, client_id: str) -> tuple[str, ...]:
        return tuple(sorted(self.objectives.get(client_id, ())))

    def mark_saved(self, client_ids) -> None:
        self.dirty -= set(client_ids)

    def _changed(self, client_id: str) -> None:
        if not self._loading:
            self.dirty.add(client_id)
            self.edited.emit(client_id)

    def _objective_changed(self, item: QListWidgetItem) -> None:
        if self._loading or self.client_id is None:
            return
        objective_id = item.data(Qt.ItemDataRole.UserRole)
        chosen = self.objectives[self.client_id]
        if item.checkState() == Qt.CheckState.Checked:
            chosen.add(objective_id)
        else:
            chosen.discard(objective_id)
        self._changed(self.client_id)
