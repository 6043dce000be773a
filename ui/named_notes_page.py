"""The "Notes naming clients" tab of the Admin page: signed notes that name another client.

A signed note never changes, so a note signed with another client's name in it (before signing
checked names, or synced from another site) needs an addendum, and it must not leave the program
(the release paths already leave it out and say so). "Find notes" (Alt+F) runs
`clinic.notes.naming_other_clients` off the GUI thread with a progress dialog (Cancel stops it and
keeps what was found); the table lists whose note it is (MRN and name), the date of service, the
type, the author, the name found with the initials of the client it names, where in the note, the
addenda already written and the note id. "Add addendum…" (for accounts that write notes:
supervisors) opens the addendum dialog for the selected note; "Copy note id" gives the id to
pass on to the author. The tab is added for holders of "note.review_names" (administrators and
supervisors) by `add_named_notes_tab`; reading is audited by the domain.
"""

from __future__ import annotations

import threading

import shiboken6
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.admin_tabs import admin_tabs
from ui.chart import make_table_view
from ui.chart.note_list_model import kind_label
from ui.dates import date_text
from ui.operations import Operations, user_message
from ui.rows_model import RowsTableModel

FIELD_WORDS = {"shared_note": "Shared note", "topic": "Topic", "modality": "Modality",
               "participants": "Participants"}
NAME_COLUMN = 4


def _where(note) -> str:
    return ", ".join(dict.fromkeys(FIELD_WORDS.get(f, f.replace("_", " ").capitalize()) for *_, f in note.names))


def named_notes_model(parent=None) -> RowsTableModel:
    return RowsTableModel((
        ("Client", lambda n: f"{n.mrn} · {n.client_name}"),
        ("Date of service", lambda n: date_text(n.service_date)),
        ("Type", lambda n: kind_label(n.kind)),
        ("Author", lambda n: n.author),
        ("Name found", lambda n: n.names_text),
        ("Where", _where),
        ("Addenda", lambda n: str(n.addenda) if n.addenda else "none"),
        ("Note id", lambda n: n.note_id),
    ), parent)


class _Progress(QObject):
    moved = Signal(int, int)


class NamedNotesPage(QWidget):
    """Find signed notes naming another client; add an addendum to one; copy its id."""

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("namedNotesPage")
        self.clinic, self.ops = clinic, ops
        self.review = None
        self.addendum_dialog = None
        self._cancel = threading.Event()
        hint = QLabel(self.tr(
            "Signed notes whose text names another client of the program: another member of a group "
            "session, any member in a session's shared part, or any client in full. A signed note "
            "cannot change: add an addendum saying the name should not be there. These notes are "
            "left out of every release outside the program. Words overridden with a reason at "
            "signing are not listed. Only the name found is shown here, not the note."),
            objectName="namedNotesHint")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.find_button = QPushButton(self.tr("&Find notes"), objectName="findNamedNotes")
        self.find_button.setAccessibleName(self.tr("Find notes naming another client"))
        self.summary = QLabel(self.tr("Not searched yet."), objectName="namedNotesSummary")
        self.summary.setWordWrap(True)
        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.find_button)

        self.model = named_notes_model(self)
        self.view = make_table_view(self.model, self.tr("Notes naming another client"))
        self.view.setObjectName("namedNotes")
        self.view.horizontalHeader().setSectionResizeMode(NAME_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.view.horizontalHeader().setStretchLastSection(False)
        self.summary.setBuddy(self.view)

        self.message = QLabel(objectName="namedNotesMessage")
        self.message.setWordWrap(True)
        self.addendum_button = QPushButton(self.tr("Add &addendum…"), objectName="namedNoteAddendum")
        self.addendum_button.setAccessibleName(self.tr("Add addendum"))
        self.addendum_button.setVisible(clinic.actor.can("note.write"))
        self.copy_button = QPushButton(self.tr("&Copy note id"), objectName="copyNoteId")
        self.copy_button.setAccessibleName(self.tr("Copy note id"))
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.copy_button)
        buttons.addWidget(self.addendum_button)

        layout = QVBoxLayout(self)
        layout.addWidget(hint)
        layout.addLayout(top)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.find_button.clicked.connect(self.find)
        self.addendum_button.clicked.connect(self.add_addendum)
        self.copy_button.clicked.connect(self.copy_id)
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self._update_buttons()

    def selected(self):
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_value(rows[0].row()) if rows else None

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.addendum_button.setEnabled(chosen)
        self.copy_button.setEnabled(chosen)

    # -- finding ---------------------------------------------------------------------------------
    def find(self) -> None:
        """Scan the signed notes off the GUI thread, with a progress dialog and Cancel."""
        self._cancel = threading.Event()
        cancel, notes = self._cancel, self.clinic.notes
        dialog = QProgressDialog(self.tr("Reading signed notes for other clients' names…"), self.tr("Cancel"),
                                 0, 0, self)
        dialog.setObjectName("namedNotesProgress")
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(300)
        dialog.canceled.connect(cancel.set)
        relay = _Progress(self)
        relay.moved.connect(lambda done, total: (dialog.setMaximum(total), dialog.setValue(done)))
        self.progress_dialog = dialog
        self.find_button.setEnabled(False)
        self.summary.setText(self.tr("Reading signed notes…"))

        def done(result=None, error=None) -> None:
            dialog.reset()
            dialog.deleteLater()
            relay.deleteLater()
            if not shiboken6.isValid(self):
                return
            if error is None:
                self._found(result)
            else:
                self._failed(error)

        self.ops.run(lambda: notes.naming_other_clients(progress=relay.moved.emit, cancelled=cancel.is_set),
                     on_success=lambda result: done(result), on_failure=lambda error: done(error=error))

    def _found(self, review) -> None:
        self.review = review
        self.find_button.setEnabled(True)
        self.model.set_rows(review.notes)
        n = len(review.notes)
        text = (self.tr("Signed notes naming another client: {n}").format(n=n) if n
                else self.tr("No signed note names another client"))
        scanned = self.tr("read {done:,} of {total:,} signed notes").format(done=review.scanned, total=review.total)
        if not review.complete:
            scanned += self.tr("; stopped, so the list is incomplete")
        self.summary.setText(f"{text} ({scanned}).")
        if n:
            self.view.selectRow(0)
        self._update_buttons()

    def _failed(self, error: BaseException) -> None:
        self.find_button.setEnabled(True)
        self.summary.setText(user_message(error))

    # -- acting on one ---------------------------------------------------------------------------
    def copy_id(self) -> None:
        note = self.selected()
        if note is not None:
            QGuiApplication.clipboard().setText(note.note_id)
            self.message.setText(self.tr("Copied the note id of {mrn}'s note of {day}.").format(
                mrn=note.mrn, day=date_text(note.service_date)))

    def add_addendum(self):
        """Open the addendum dialog for the selected note; its count goes up once it is added."""
        note = self.selected()
        if note is None or not self.clinic.actor.can("note.write"):
            return None
        from ui.chart.note_addenda import AddendumDialog

        dialog = AddendumDialog(self.clinic, self.ops, note.note_id, self)
        self.addendum_dialog = dialog
        dialog.accepted.connect(lambda: self._addendum_added(note))
        dialog.open()
        return dialog

    def _addendum_added(self, note) -> None:
        import dataclasses

        rows = [dataclasses.replace(n, addenda=n.addenda + 1) if n.note_id == note.note_id else n
                for n in self.model.rows()]
        self.model.set_rows(rows)
        self.message.setText(self.tr("Addendum added to {mrn}'s note of {day}.").format(
            mrn=note.mrn, day=date_text(note.service_date)))


def add_named_notes_tab(body: QWidget | None, clinic, ops: Operations) -> QWidget | None:
    """The Admin page's body with a "Notes naming clients" tab for holders of "note.review_names";
    `body` (the Admin tabs, another widget or None) unchanged for everyone else."""
    if not clinic.actor.can("note.review_names"):
        return body
    tabs = admin_tabs(body)
    tabs.page_named_notes = NamedNotesPage(clinic, ops)
    index = tabs.addTab(tabs.page_named_notes, tabs.tr("&Notes naming clients"))
    tabs.setTabToolTip(index, tabs.tr("Signed notes that name another client"))
    return tabs
