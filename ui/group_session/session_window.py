"""The window a facilitator runs one group session in: attendance, the shared part, each attendee's
individualized section, the warnings to check, and signing every note at once.

Left, the roster (single keys mark attendance: P present, L late arrival, E left early, X excused,
U no-show, C cancelled, Space present/absent; L and E put the cursor in the time field, where
"0925" + Enter sets the time; a time that is not one is refused under the field) with the warnings under it; top, the shared part copied to every
chart; right, the current client's sections. Edits autosave the whole session in one transaction
three seconds after the last keystroke (Ctrl+S saves now). The name check (`SessionNameCheck`)
runs on what is on screen while the facilitator types: another member's name in a section, any
member's name in the shared part, near-identical text; the words are highlighted and a blocked
section says why, with "Override…". Sign all (Ctrl+Shift+S) saves, then shows the attestation
listing the notes that will be signed and, apart, each blocked or incomplete one with the reason
(`signing.sign_all`); nothing is signed on Cancel. Closing with unsaved changes asks to save,
discard or cancel.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from iopdesk.clinical.attendance import gets_group_note
from iopdesk.clinical.note_rules import SIGNED_STATES
from iopdesk.errors import ConcurrentEdit, IopDeskError
from iopdesk.services.groups.service import AttendanceEntry, ClientSection
from iopdesk.storage.errors import DatabaseBusy
from reports.jobs import PrintRequest
from ui.date_fields import TimeField
from ui.dates import date_text, time_text
from ui.group_session.name_check import SessionNameCheck
from ui.group_session.roster_model import STATUS_LABELS, RosterTableModel, RosterTableView
from ui.group_session.section_editor import SectionEditorWidget
from ui.group_session.session_conflict import show_session_conflict
from ui.group_session.shared_part import SharedPartWidget
from ui.group_session.signing import sign_all
from ui.operations import user_message
from ui.print_preview import print_action
from ui.storage_retry import run_with_retry

AUTOSAVE_MS = 3000
class GroupSessionWindow(QMainWindow):
    """One group session, run from the keyboard; see the module docstring."""

    def __init__(self, clinic, ops, session_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic, self.ops, self.session_id = clinic, ops, str(session_id)
        self.session = clinic.groups.session(self.session_id)
        self._conflict_open = False
        self.setObjectName("groupSessionWindow")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setWindowTitle(self.tr("{group} · {date} · {time}[*] — IOP Desk").format(
            group=self.session.group_name,
            date=f"{self.session.session_date:%a} {date_text(self.session.session_date)}",
            time=time_text(self.session.starts_at)))
        self._reacting = False
        self._closed = False
        self.autosave = QTimer(self, singleShot=True, interval=AUTOSAVE_MS)
        self.autosave.timeout.connect(self._autosave)

        self.model = RosterTableModel(self.session.starts_at, self.session.ends_at, self)
        self.roster = RosterTableView(self.mark_current)
        self.roster.setObjectName("roster")
        self.roster.setModel(self.model)
        self.roster.setAccessibleName(self.tr("Roster"))
        self.roster.setAccessibleDescription(self.tr(
            "P present, L late, E left early, X excused, U no-show, C cancelled, Space present or absent"))
        self.roster.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.roster.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.roster.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.roster.setTabKeyNavigation(False)
        self.roster.setAlternatingRowColors(True)
        self.roster.verticalHeader().hide()
        self.roster.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header = self.roster.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)

        self.arrived_edit = self._time_edit("arrivedTime", self.tr("Arrival time"))
        self.left_edit = self._time_edit("leftTime", self.tr("Departure time"))
        times = QFormLayout()
        for text, edit in ((self.tr("&Arrived:"), self.arrived_edit), (self.tr("Le&ft:"), self.left_edit)):
            label = QLabel(text)
            label.setBuddy(edit)
            times.addRow(label, edit)
        keys = self._hint(self.tr("P present · L late · E left early · X excused · U no-show · "
                                  "C cancelled · Space present/absent"))
        self.warnings = QListWidget(objectName="warnings")
        self.warnings.setAccessibleName(self.tr("Warnings to check before signing"))
        self.warnings.setWordWrap(True)
        self.warnings.setMaximumHeight(self.warnings.fontMetrics().lineSpacing() * 6 + 12)
        self.warnings.currentItemChanged.connect(self._warning_chosen)
        self.warnings_label = QLabel(self.tr("&Warnings"))
        self.warnings_label.setBuddy(self.warnings)
        self.result_label = QLabel(objectName="signResult")
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName(self.tr("Result of signing"))
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.hide()

        left = QWidget()
        left_box = QVBoxLayout(left)
        left_box.setContentsMargins(0, 0, 0, 0)
        left_box.addWidget(self.roster, 3)
        left_box.addLayout(times)
        left_box.addWidget(keys)
        left_box.addWidget(self.warnings_label)
        left_box.addWidget(self.warnings, 1)
        left_box.addWidget(self.result_label)

        self.editor = SectionEditorWidget(clinic, ops)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.editor)
        self.splitter.setStretchFactor(0, 5)
        self.splitter.setStretchFactor(1, 4)

        central = QWidget(objectName="central")
        outer = QVBoxLayout(central)
        outer.setContentsMargins(12, 8, 12, 8)
        self.shared_part = SharedPartWidget(self.session.topic, self.session.modality, self.session.shared_note)
        self.shared_part.edited.connect(self._edited)
        self.topic_edit = self.shared_part.topic_edit
        self.modality_edit = self.shared_part.modality_edit
        self.shared_edit = self.shared_part.shared_edit
        self.name_check = SessionNameCheck(self)
        self.shared_part.edited.connect(self.name_check.schedule)
        self.editor.edited.connect(lambda _c: self.name_check.schedule())
        self.editor.findings_panel.override_requested.connect(
            lambda: self.name_check.override(self.editor.client_id))
        self.shared_part.findings_panel.override_requested.connect(lambda: self.name_check.override(None))
        outer.addWidget(self.shared_part)
        outer.addWidget(self.splitter, 1)
        outer.addLayout(self._build_buttons())
        self.setCentralWidget(central)
        self.setTabOrder(self.topic_edit, self.modality_edit)
        self.setTabOrder(self.modality_edit, self.shared_edit)
        self.setTabOrder(self.shared_edit, self.roster)

        self.model.attendance_edited.connect(lambda _c: self._edited())
        self.model.attendance_edited.connect(lambda _c: self.name_check.schedule())
        self.editor.edited.connect(lambda _c: self._edited())
        self.roster.selectionModel().currentRowChanged.connect(self._current_changed)
        ops.changes_applied.connect(self._changes_applied)
        self.reload()
        if self.model.rowCount():
            self.roster.setCurrentIndex(self.model.index(0, 0))
        self.roster.setFocus()
        self.resize(1300, 720)

    # -- building ----------------------------------------------------------------------------------
    def _hint(self, text: str) -> QLabel:
        label = QLabel(text, objectName="hint")
        label.setWordWrap(True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return label

    def _time_edit(self, name: str, accessible: str) -> TimeField:
        edit = TimeField(accessible, optional=True, within=(self.session.starts_at, self.session.ends_at))
        edit.setObjectName(name)
        edit.setEnabled(False)
        edit.line_edit.returnPressed.connect(lambda e=edit: self._time_entered(e))
        return edit

    def _build_buttons(self) -> QHBoxLayout:
        self.save_action = QAction(self.tr("&Save"), self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        self.save_action.triggered.connect(self.save)
        self.sign_action = QAction(self.tr("Sign &all"), self)
        self.sign_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.sign_action.triggered.connect(self.sign_all)
        close_action = QAction(self.tr("&Close"), self)
        close_action.setShortcut(QKeySequence.StandardKey.Close)
        close_action.triggered.connect(self.close)
        self.print_action = print_action(self, self.clinic, self.ops, lambda: (
            "sign-in", PrintRequest(None, self.session_id)), self.tr("&Print sign-in sheet…"))
        menu = self.menuBar().addMenu(self.tr("&Session"))
        for action in (self.save_action, self.sign_action, self.print_action, close_action):
            self.addAction(action)
            menu.addAction(action)
        self.status_text = QLabel(objectName="statusText")
        self.status_text.setAccessibleName(self.tr("Save status"))
        self.save_button = QPushButton(self.tr("Save (Ctrl+S)"))
        self.save_button.setAccessibleName(self.tr("Save"))
        self.save_button.clicked.connect(self.save)
        self.sign_button = QPushButton(self.tr("Sign all (Ctrl+Shift+S)"), objectName="signAll")
        self.sign_button.setAccessibleName(self.tr("Sign all"))
        self.sign_button.clicked.connect(self.sign_all)
        row = QHBoxLayout()
        row.addWidget(self.status_text, 1)
        row.addWidget(self.save_button)
        row.addWidget(self.sign_button)
        return row

    # -- reading --------------------------------------------------------------------------------------
    def reload(self) -> None:
        """Re-read the roster (keeping the current client and any unsaved attendance)."""
        current = self.current_client()
        self.model.set_rows(self.clinic.groups.roster(self.session_id))
        if current and (row := self.model.row_of(current)) >= 0:
            self.roster.setCurrentIndex(self.model.index(row, 0))
        self._show_current()
        self.refresh_warnings()

    def refresh_warnings(self) -> None:
        """Read the saved sections off the GUI thread and check the session again."""
        self.name_check.load_saved()

    def current_client(self) -> str | None:
        found = self.model.row_at(self.roster.currentIndex().row())
        return found.client_id if found else None

    def _current_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_current()

    def _show_current(self) -> None:
        row = self.roster.currentIndex().row()
        found = self.model.row_at(row)
        if found is None:
            return
        if not self.editor.has(found.client_id):
            sections, objectives = {}, ()
            if found.note_id:
                note = self.clinic.notes.get(found.note_id)
                sections, objectives = note.sections, note.objective_ids
            self.editor.load(found.client_id, sections, objectives)
        status, arrived, left = self.model.attendance(row)
        reason = ""
        if found.note_status in SIGNED_STATES:
            reason = self.tr("This note is signed; add an addendum from the client's chart to change it.")
        elif status is None:
            reason = self.tr("Mark attendance first (P, L or E) to write this client's section.")
        elif not gets_group_note(status):
            reason = self.tr("{word}: only attendees get a group note.").format(word=self.tr(STATUS_LABELS[status]))
        heading = f"{found.display_name} · {found.initials}"
        self.editor.show_client(found.client_id, heading, found.objectives, not reason, reason)
        self.name_check.show_current()
        self.arrived_edit.setEnabled(status == "late_arrival" and not self.model.is_signed(row))
        self.left_edit.setEnabled(status == "left_early" and not self.model.is_signed(row))
        self.arrived_edit.set_value(arrived if status == "late_arrival" else None)
        self.left_edit.set_value(left if status == "left_early" else None)

    # -- marking attendance ------------------------------------------------------------------------------
    def mark_current(self, status: str | None) -> None:
        """Mark the current client (None: toggle present/absent). Letter keys move on to the next
        client, except L and E, which put the cursor in the time box first."""
        row = self.roster.currentIndex().row()
        if row < 0:
            return
        if self.model.is_signed(row):
            self.status_text.setText(self.tr("This client's note is signed; attendance cannot change."))
            return
        toggle = status is None
        if toggle:
            status = "absent_unexcused" if self.model.attendance(row)[0] == "present" else "present"
        self.model.set_attendance(row, status)
        self._show_current()
        if status in ("late_arrival", "left_early"):
            edit = self.arrived_edit if status == "late_arrival" else self.left_edit
            edit.set_value(self.session.starts_at if status == "late_arrival" else self.session.ends_at)
            edit.focus_and_select()
        elif not toggle:
            self._move(1)

    def _move(self, step: int) -> None:
        row = self.roster.currentIndex().row() + step
        if 0 <= row < self.model.rowCount():
            self.roster.setCurrentIndex(self.model.index(row, 0))

    def _time_entered(self, edit: TimeField) -> None:
        which = "arrived" if edit is self.arrived_edit else "left"
        row = self.roster.currentIndex().row()
        if not edit.check():
            return
        value = edit.value()
        if value is None or not self.model.set_time(row, which, value):
            edit.show_problem(self.tr("{field}: type a time such as 0925 or 9:25.").format(field=edit.name()))
            return
        problem = self.model.problem(row)
        edit.show_problem(problem)
        self.status_text.setText(problem or "")
        if problem:
            return
        edit.set_value(value)
        self.roster.setFocus()
        self._move(1)

    def _warning_chosen(self, item: QListWidgetItem | None, _previous=None) -> None:
        client_id = item.data(Qt.ItemDataRole.UserRole) if item else None
        row = self.model.row_of(client_id) if client_id else -1
        if row >= 0:
            self.roster.setCurrentIndex(self.model.index(row, 0))

    # -- saving and signing ---------------------------------------------------------------------------
    def _edited(self) -> None:
        self.setWindowModified(True)
        if not self._conflict_open:
            self.autosave.start()

    def _shared_changed(self) -> bool:
        return (self.topic_edit.text().strip(), self.modality_edit.text().strip(),
                self.shared_edit.toPlainText().strip()) != (
            self.session.topic, self.session.modality, self.session.shared_note)

    def _autosave(self) -> None:
        self.save(ask=False)

    def _storage_refused(self, error: BaseException, *, autosave: bool) -> None:
        """The storage refused the save: say so, keep everything on screen (still unsaved), and let an
        autosave try a busy database again a little later."""
        self.status_text.setText(user_message(error))
        if autosave and isinstance(error, DatabaseBusy) and not self._closed:
            self.autosave.start()

    def save(self, *, ask: bool = True) -> bool:
        """Save the whole session in one transaction; False (with the reason shown) when refused.
        A busy database asks whether to retry (`ask`; an autosave just tries again later)."""
        self.autosave.stop()
        entries = self.model.ready_entries()
        statuses = {r.client_id: self.model.attendance(i)[0] for i, r in enumerate(self.model.rows())}
        ready = {cid for cid, *_ in entries}
        saved_ok = {r.client_id for r in self.model.rows() if r.client_id not in self.model.pending}
        sections = [ClientSection(cid, self.editor.sections(cid), self.editor.objective_ids(cid))
                    for cid in sorted(self.editor.dirty)
                    if gets_group_note(statuses.get(cid)) and (cid in ready or cid in saved_ok)]
        shared = {}
        if self._shared_changed() and not self.topic_edit.text().strip():
            self.status_text.setText(self.tr("Type the topic to save the shared part."))
        elif self._shared_changed():
            shared = {"topic": self.topic_edit.text(), "modality": self.modality_edit.text(),
                      "shared_note": self.shared_edit.toPlainText()}
        try:
            if entries or sections or shared:
                saved = run_with_retry(self, lambda: self.clinic.groups.save_session(
                    self.session_id, attendance=[AttendanceEntry(*e) for e in entries],
                    sections=sections, expected_version=self.session.version, **shared),
                    ask=ask, on_refused=lambda error: self._storage_refused(error, autosave=not ask))
                if saved is None:
                    return False
                self.session, changes = saved
            else:
                changes = None
        except ConcurrentEdit as error:
            show_session_conflict(self, error, unsaved_rows=bool(entries or sections))
            return False
        except IopDeskError as error:
            self.status_text.setText(user_message(error))
            return False
        for cid, *_ in entries:
            self.model.pending.pop(cid, None)
        self.editor.mark_saved(s.client_id for s in sections)
        unsaved = bool(self.model.pending or self.editor.dirty or self._shared_changed())
        self.setWindowModified(unsaved)
        self.status_text.setText(self.tr("Saved.") if not unsaved else self.tr(
            "Saved; some changes wait for a time or for attendance."))
        self.announce_and_reload(changes)
        return True

    def announce_and_reload(self, changes) -> None:
        """Tell the other screens what this window saved (without reacting to its own news), then
        read the roster again."""
        self._reacting = True
        try:
            self.ops.announce(changes)
        finally:
            self._reacting = False
        self.reload()

    def sign_all(self) -> None:
        """Save, check, show the attestation, then sign every note that may be signed."""
        sign_all(self)

    def _changes_applied(self, changes) -> None:
        if not self._reacting and not self.isWindowModified() and changes.touches("note", "attendance",
                                                                                  "group_session"):
            self.reload()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.isWindowModified():
            answer = QMessageBox.question(
                self, self.tr("Unsaved changes"),
                self.tr("This group session has changes that are not saved. Save them?"),
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save()):
                event.ignore()
                return
        self.autosave.stop()
        self._closed = True
        super().closeEvent(event)
