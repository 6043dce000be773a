"""The note editor: write, autosave and sign one note; read a signed note and add addenda.

`NoteEditorDialog` shows the date of service, start and end time (minutes follow), participants,
the plan objectives addressed, and one text field per section of the note's format (label as
buddy, hint as placeholder). A new note becomes a draft on its first edit; every edit (and every
focus change) restarts a short single-shot timer that saves the draft, so a crash loses at most
those few seconds. Ctrl+S saves now, Ctrl+Enter saves and signs; the domain's refusal (an empty
section, no minutes) appears inline and the field at fault gets the focus, and clears once fixed;
while typing, another client's name is highlighted and blocks signing unless overridden with a
reason (`NoteNameCheck`); signing shows the attestation first (`note_signing`); a draft saved
meanwhile on another workstation opens `ConcurrentEditDialog` with both versions. When the clinic
server is away the editor says so (a "reconnecting" banner), keeps the text and saves it once the
server answers again (`_server_back`); a save whose commit the server could not confirm is looked up
first, so it is never written twice. A signed note is read-only and shows who signed it, its addenda and an "Add addendum…" action.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QMessageBox,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.clinical.note_formats import lookup_format
from iopdesk.clinical.note_rules import SIGNED_STATES
from iopdesk.errors import ConcurrentEdit, IopDeskError, OtherClientNamed
from iopdesk.services.notes.service import NoteView
from iopdesk.storage.db import transaction_outcome
from iopdesk.storage.errors import DatabaseBusy
from iopdesk.storage.server_connection import (
    ABORTED,
    COMMITTED,
    CommitUncertain,
    ConnectionLost,
    SavedThenLost,
)
from ui.chart.note_addenda import AddendumDialog
from ui.chart.note_form import NoteFormMixin
from ui.chart.note_list_model import kind_label
from ui.chart.note_name_check import NoteNameCheck
from ui.chart.note_signing import recheck_message, sign_note
from ui.chart.note_text import fit_to_text
from ui.concurrent_edit_dialog import ConcurrentEditDialog, resolve_concurrent_edit
from ui.date_fields import entries_ready
from ui.dates import stamp_text
from ui.operations import Operations, user_message
from ui.print_preview import note_print_target, print_action
from ui.server_connection import ServerBanner, server_watch
from ui.storage_retry import run_with_retry

FIELD_OF_ERROR = {"starts_at": "start_edit", "ends_at": "end_edit", "minutes": "end_edit",
                  "service_date": "date_edit", "participants": "participants_edit"}


class NoteEditorDialog(NoteFormMixin, QDialog):
    """Edits one note (or a new one, created on first edit). Invariant: what is on screen and
    not yet saved is flagged with isWindowModified(); a signed note is never editable here."""

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, note_id: str | None = None, *,
                 kind: str = "individual", note_format: str = "DAP", view: NoteView | None = None,
                 autosave_ms: int = 3000, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.note_id = str(note_id) if note_id else None
        self.view = view if view is not None else (clinic.notes.get(note_id) if note_id else None)
        self.kind = self.view.kind if self.view else kind
        self.format = lookup_format(self.view.note_format if self.view else note_format)
        self.addendum_dialog: AddendumDialog | None = None
        self.concurrent_edit_dialog: ConcurrentEditDialog | None = None
        self._loading = True
        self.setObjectName("noteEditor")
        summary = clinic.clients.summary(self.client_id)
        self.setWindowTitle(self.tr("{name} ({mrn}) · {kind} note, {format}[*]").format(
            name=summary.legal_name, mrn=summary.mrn, kind=kind_label(self.kind), format=self.format.code))
        self.setAccessibleName(self.tr("Note editor"))
        self.setSizeGripEnabled(True)

        self.autosave_timer = QTimer(self, singleShot=True, interval=autosave_ms)
        self.autosave_timer.timeout.connect(self._autosave)

        self._build_form()
        self.server_banner = ServerBanner(parent=self)
        self.layout().insertWidget(0, self.server_banner)
        self._server_wait: CommitUncertain | ConnectionLost | None = None
        self.name_check = NoteNameCheck(self)
        self.layout().insertWidget(1, self.name_check.panel)
        self.name_check.checked.connect(self._recheck_message)
        self._message_field: str | None = None
        self._build_actions()
        self._load()
        self._loading = False
        if not self.signed:
            self.name_check.load()
        QApplication.instance().focusChanged.connect(self._focus_changed)
        self.finished.connect(self._stop_watching_focus)

    # -- building ----------------------------------------------------------------------
    def _build_actions(self) -> None:
        save = QAction(self.tr("Save"), self)
        save.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        save.triggered.connect(self.save)
        sign = QAction(self.tr("Sign"), self)
        sign.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        sign.triggered.connect(self.sign)
        self.addActions([save, sign])
        self.print_action = print_action(self, self.clinic, self.ops, lambda: (
            not self.isWindowModified() or self.save()) and note_print_target(self.view))  # saved text only
        self.save_action, self.sign_action = save, sign
        self.save_button.setToolTip(save.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
        self.sign_button.setToolTip(self.tr("Ctrl+Enter"))
        self.save_button.clicked.connect(self.save)
        self.sign_button.clicked.connect(self.sign)
        self.addendum_button.clicked.connect(self.add_addendum)
        self.close_button.clicked.connect(self.reject)

    # -- loading -----------------------------------------------------------------------
    def _load(self) -> None:
        self._fill(self.view)
        self.date_edit.edited.connect(self._edited)
        for widget in (self.start_edit, self.end_edit):
            widget.edited.connect(self._times_edited)
        self.participants_edit.textEdited.connect(self._edited)
        self.objectives_list.itemChanged.connect(self._edited)
        for edit in self.section_edits.values():
            edit.textChanged.connect(self._edited)
        self._show_state()

    # -- state -------------------------------------------------------------------------
    @property
    def signed(self) -> bool:
        return self.view is not None and self.view.status in SIGNED_STATES

    def _show_state(self) -> None:
        signed = self.signed
        for edit in self.section_edits.values():
            edit.setReadOnly(signed)
        for widget in (self.date_edit, self.start_edit, self.end_edit):
            widget.setReadOnly(signed)
        # A session's note keeps the session's date (a new date would make a new, unlinked draft).
        if self.view is not None and (self.view.group_session_id or self.view.family_session_id):
            self.date_edit.setReadOnly(True)
        self.participants_edit.setReadOnly(signed)
        for row in range(self.objectives_list.count()):
            item = self.objectives_list.item(row)
            flags = item.flags()
            item.setFlags(flags & ~Qt.ItemFlag.ItemIsUserCheckable if signed
                          else flags | Qt.ItemFlag.ItemIsUserCheckable)
            item.setHidden(signed and item.checkState() != Qt.CheckState.Checked)
        if signed:
            shown = [r for r in range(self.objectives_list.count()) if not self.objectives_list.item(r).isHidden()]
            self.objectives_list.setVisible(bool(shown))
            self.objectives_empty.setText(self.tr("None recorded"))
            self.objectives_empty.setVisible(not shown)
            self._fit_objectives(len(shown))
            for edit in self.section_edits.values():
                fit_to_text(edit)
        self.body_stretch.setVisible(signed)
        self.save_button.setVisible(not signed)
        self.sign_button.setVisible(not signed)
        self.save_action.setEnabled(not signed)
        self.sign_action.setEnabled(not signed)
        self.addendum_button.setVisible(signed)
        self.status_label.setText(self._status_text())
        self.addenda_view.show_addenda(self.view.addenda if self.view else ())

    def _status_text(self) -> str:
        view = self.view
        if view is None:
            return self.tr("New note — saved as a draft as soon as you start typing.")
        if view.status == "draft":
            return self.tr("Draft by {author} — saved automatically.").format(author=view.author)
        signed = self.tr("Signed by {author} at {when}.").format(author=view.author,
                                                                 when=stamp_text(view.signed_at))
        if view.status == "awaiting_cosign":
            return signed + " " + self.tr("Awaiting co-signature by supervisor.")
        if view.status == "cosigned":
            return signed + " " + self.tr("Co-signed by {who} at {when}.").format(
                who=view.cosigned_by or "", when=stamp_text(view.cosigned_at))
        return signed

    def _show_minutes(self) -> None:
        start, end = self._times()
        if start is None or end is None:
            self.minutes_label.clear()
            return
        minutes = (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)
        self.minutes_label.setText(self.tr("{n} minutes").format(n=minutes) if minutes > 0
                                   else self.tr("end must be after start"))

    def _edited(self, *_args) -> None:
        if self._loading or self.signed:
            return
        self._show_minutes()
        self.setWindowModified(True)
        self.autosave_timer.start()
        self.name_check.schedule()
        self._recheck_message(self.sender())

    def _times_edited(self, *_args) -> None:
        if not self._loading:
            self.times_touched = True
        self._edited()

    def _focus_changed(self, _old, new) -> None:
        if new is not None and self.isAncestorOf(new) and self.isWindowModified():
            self.autosave_timer.start()

    def _stop_watching_focus(self, *_args) -> None:
        try:
            QApplication.instance().focusChanged.disconnect(self._focus_changed)
        except (RuntimeError, TypeError):  # already disconnected
            pass

    def show_error(self, error: BaseException | str | None, field: str | None = None) -> None:
        """Show the domain's message under the note (or clear it) and focus the field at fault;
        the message clears as soon as its cause is fixed (`_recheck_message`)."""
        text = error if isinstance(error, str) or error is None else user_message(error)
        self.error_label.setText(text or "")
        self.error_label.setVisible(bool(text))
        self._message_field = "names" if isinstance(error, OtherClientNamed) else field if text else None
        if field == "sections":
            missing = self.format.missing(self.sections())
            if missing:
                label = missing[0]
                key = next(s.key for s in self.format.sections if s.label == label)
                self.section_edits[key].setFocus()
        elif field in FIELD_OF_ERROR:
            getattr(self, FIELD_OF_ERROR[field]).setFocus()
        elif field and field.removeprefix("sections.") in self.section_edits:
            # a section over its length limit: the message says by how much; the text stays as typed
            self.section_edits[field.removeprefix("sections.")].setFocus()

    def _recheck_message(self, source=None) -> None:
        """Clear the message under the note once its cause is fixed (`note_signing.recheck_message`)."""
        recheck_message(self, source)

    # -- values ------------------------------------------------------------------------
    def sections(self) -> dict[str, str]:
        return {key: edit.toPlainText() for key, edit in self.section_edits.items()}

    def objective_ids(self) -> list[str]:
        items = (self.objectives_list.item(r) for r in range(self.objectives_list.count()))
        return [i.data(Qt.ItemDataRole.UserRole) for i in items if i.checkState() == Qt.CheckState.Checked]

    def _times(self) -> tuple[dt.time | None, dt.time | None]:
        """The start and end typed (None when blank or not a time)."""
        return tuple(None if edit.problem() else edit.value() for edit in (self.start_edit, self.end_edit))

    # -- saving and signing ------------------------------------------------------------
    def _autosave(self) -> None:
        self.save(ask=False)

    def _storage_refused(self, error: BaseException, *, autosave: bool) -> None:
        """The storage refused a save: say so under the note, keep the text (still unsaved), and
        let an autosave try a busy database again a little later."""
        self.show_error(error)
        if autosave and isinstance(error, DatabaseBusy):
            self.autosave_timer.start()
        if isinstance(error, ConnectionLost):
            self._save_when_server_back(error)

    def _save_when_server_back(self, error: ConnectionLost) -> None:
        """Wait for the server (the watch probes it with backoff), then save what is on screen."""
        if self._server_wait is None:
            server_watch().reconnected.connect(self._server_back)
        if not isinstance(self._server_wait, (CommitUncertain, SavedThenLost)):  # a save made counts first
            self._server_wait = error

    def _server_back(self) -> None:
        """The server answers again. A save it stored (or could not confirm, then did) is looked up
        first: the stored note is read back (saved once, not twice); otherwise what is on screen is saved now,
        with the usual version check (someone else's save meanwhile shows both versions)."""
        waited, self._server_wait = self._server_wait, None
        server_watch().reconnected.disconnect(self._server_back)
        if self.signed or not self.isVisible():
            return
        if isinstance(waited, CommitUncertain):
            outcome = transaction_outcome(waited.transaction_id)
            if outcome not in (COMMITTED, ABORTED):
                self._save_when_server_back(waited)
                server_watch().report_lost()
                return
            if outcome == COMMITTED and self._adopt_saved_draft():
                return
        if isinstance(waited, SavedThenLost) and self._adopt_saved_draft():
            return
        self.save(ask=False)

    def _adopt_saved_draft(self) -> bool:
        """After a confirmed commit: take the stored draft as this editor's; True when what is on
        screen is exactly what was saved (nothing more to save)."""
        if self.note_id is None:
            drafts = (self.clinic.notes.get(item.id) for item in self.clinic.notes.list_for_client(self.client_id)
                      if item.status not in SIGNED_STATES)
            found = next((view for view in drafts if view.sections == self.sections()), None)
            if found is None:
                return False
            self.view, self.note_id = found, found.id
        else:
            self.view = self.clinic.notes.get(self.note_id)
        if self.view.sections != self.sections():
            return False
        self.setWindowModified(False)
        self.show_error(None)
        self.status_label.setText(self._status_text())
        return True

    def _write_draft(self):
        start, end = self._times() if self.times_touched else (None, None)
        date = self.date_edit.value()
        if self.note_id is None:
            return self.clinic.notes.create_draft(
                self.client_id, kind=self.kind, note_format=self.format.code, service_date=date,
                starts_at=start, ends_at=end, sections=self.sections(),
                participants=self.participants_edit.text(), objective_ids=self.objective_ids())
        # A session's note saved without times keeps its minutes until the times are set here.
        times = dict(starts_at=start, ends_at=end, minutes=None) if self.times_touched else {}
        return self.clinic.notes.save_draft(
            self.note_id, self.view.version, self.sections(), service_date=date,
            objective_ids=self.objective_ids(), participants=self.participants_edit.text(), **times)

    def save(self, *, ask: bool = True) -> bool:
        """Save what is on screen as the draft (creating it the first time); True when saved. A
        busy database asks whether to retry (`ask`; an autosave just tries again later)."""
        self.autosave_timer.stop()
        if self.signed:
            return True
        if not self.isWindowModified() and self.note_id is not None:
            return True
        if not entries_ready([self.date_edit, self.start_edit, self.end_edit], focus=ask):
            return False
        try:
            saved = run_with_retry(self, self._write_draft, ask=ask,
                                   on_refused=lambda error: self._storage_refused(error, autosave=not ask))
        except ConcurrentEdit as error:
            self._show_both_versions(error)
            return False
        except IopDeskError as error:
            self.show_error(error, error.field)
            return False
        if saved is None:
            return False
        view, changes = saved
        self.view, self.note_id = view, view.id
        self.setWindowModified(False)
        self.show_error(None)
        self.status_label.setText(self._status_text())
        self.ops.announce(changes)
        return True

    def _show_both_versions(self, error: ConcurrentEdit) -> None:
        """Another workstation saved this draft first: show both versions; "Keep theirs" reloads,
        "Copy mine" keeps the form as typed (still marked unsaved) for the next save."""
        self.show_error(error)
        if self.concurrent_edit_dialog is not None and self.concurrent_edit_dialog.isVisible():
            return
        labels: dict[str, str | None] = {s.key: s.label for s in self.format.sections}
        labels.update(starts_at=self.tr("Start time"), ends_at=self.tr("End time"), episode=None,
                      service_date=self.tr("Date of service"), minutes=self.tr("Minutes"))
        self.concurrent_edit_dialog = resolve_concurrent_edit(self, error, labels, keep_theirs=self._keep_theirs,
                                                              keep_mine=self._keep_mine)

    def _keep_mine(self) -> None:
        """Keep what is typed here; read the stored version so the next save replaces theirs."""
        self.view = self.clinic.notes.get(self.note_id)
        self.show_error(None)
        self.status_label.setText(self._status_text())

    def _keep_theirs(self) -> None:
        self.view = self.clinic.notes.get(self.note_id)
        self._loading = True
        self._fill(self.view)
        self._loading = False
        self.autosave_timer.stop()
        self.setWindowModified(False)
        self.show_error(None)
        self._show_minutes()
        self._show_state()

    def sign(self) -> bool:
        """Check, show the attestation, then save and sign (`note_signing.sign_note`); True when signed."""
        return sign_note(self)

    def add_addendum(self) -> AddendumDialog | None:
        """Open the addendum dialog (signed notes only); the note reloads when one is added."""
        if not self.signed:
            return None
        dialog = AddendumDialog(self.clinic, self.ops, self.note_id, self)
        self.addendum_dialog = dialog
        dialog.accepted.connect(self._reload_view)
        dialog.open()
        return dialog

    def _reload_view(self) -> None:
        self.view = self.clinic.notes.get(self.note_id)
        self._show_state()

    # -- closing -----------------------------------------------------------------------
    def reject(self) -> None:
        """Close (Esc, Close, the window's X), asking first about unsaved changes."""
        if self.isWindowModified() and not self.signed:
            answer = QMessageBox.question(
                self, self.tr("Unsaved changes"), self.tr("Save your changes to this note?"),
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save()):
                return
        self.autosave_timer.stop()
        self.setWindowModified(False)
        super().reject()
