"""The "Emergency access" tab of the Admin page: break-the-glass grants waiting for review.

Each grant (`clinic.emergency.grants(show)`) is listed with who asked, for which client (MRN and
name), when, why, and until when it lasts; "Show" switches between those awaiting review (the
default, oldest first), the reviewed ones and all. A reviewer (permission "emergency.review":
supervisors, administrators) selects one, writes an optional note and presses "Mark reviewed"
(Alt+M); the requester may not review their own grant (the button says why, and the domain
refuses it anyway). Reads and the review run through `Operations` off the GUI thread; the list
reads again whenever a change to emergency access (or a sync) is announced, shown or not, so the
tab's title carries the number awaiting review: "Emergency access (2)". `add_emergency_tab`
adds the tab for users who may review and leaves the Admin page as it was for everyone else.
"""

from __future__ import annotations

import shiboken6
from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui.admin_tabs import admin_tabs
from ui.chart import make_table_view
from ui.dates import stamp_text
from ui.operations import Operations, user_message
from ui.rows_model import RowsTableModel

REASON_COLUMN, REVIEW_COLUMN, NOTE_COLUMN = 4, 5, 6
SHOW_CHOICES = (("pending", "Awaiting review"), ("reviewed", "Reviewed"), ("all", "All"))


def _expires(grant) -> str:
    return stamp_text(grant.expires_at) + ("" if grant.active else " (ended)")


def _reviewed(grant) -> str:
    if grant.reviewed_at is None:
        return "Awaiting review"
    return f"{stamp_text(grant.reviewed_at)} by {grant.reviewed_by or 'unknown'}"


def grants_model(parent=None) -> RowsTableModel:
    """The grants table: one row per grant, in the order the domain returned them."""
    return RowsTableModel((
        ("Requested by", lambda g: g.staff_name),
        ("Client", lambda g: f"{g.client_mrn} · {g.client_name}"),
        ("Requested", lambda g: stamp_text(g.granted_at)),
        ("Expires", _expires),
        ("Reason", lambda g: " ".join(g.reason.split())),
        ("Review", _reviewed),
        ("Review note", lambda g: " ".join(g.review_note.split())),
    ), parent)


class EmergencyReviewPage(QWidget):
    """Grants awaiting review, the reviewed ones on request, and "Mark reviewed"."""

    pending_changed = Signal(int)

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("emergencyReviewPage")
        self.clinic = clinic
        self.ops = ops
        self.pending = 0
        self._loading = False
        self._select_id: str | None = None
        layout = QVBoxLayout(self)
        hint = QLabel(self.tr(
            "Each use of emergency access (\"break the glass\") is reviewed by a supervisor or an "
            "administrator other than the person who used it. Check that the reason fits the "
            "chart access, then mark it reviewed with a note."), objectName="emergencyHint")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(hint)

        top = QHBoxLayout()
        self.table_title = QLabel(objectName="emergencyTitle")
        show_label = QLabel(self.tr("&Show:"))
        self.show_combo = QComboBox(objectName="emergencyShow")
        for key, label in SHOW_CHOICES:
            self.show_combo.addItem(self.tr(label), key)
        self.show_combo.setAccessibleName(self.tr("Show emergency access"))
        show_label.setBuddy(self.show_combo)
        top.addWidget(self.table_title, 1)
        top.addWidget(show_label)
        top.addWidget(self.show_combo)
        layout.addLayout(top)

        self.model = grants_model(self)
        self.view = make_table_view(self.model, self.tr("Emergency access"))
        self.view.setObjectName("emergencyGrants")
        header = self.view.horizontalHeader()
        header.setStretchLastSection(False)
        for column in (REASON_COLUMN, NOTE_COLUMN):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table_title.setBuddy(self.view)

        details = QWidget(objectName="emergencyDetails")
        detail_layout = QVBoxLayout(details)
        detail_layout.setContentsMargins(0, 0, 0, 0)
        self.detail_label = QLabel(objectName="emergencyDetail")
        self.detail_label.setWordWrap(True)
        self.detail_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail_label.setAccessibleName(self.tr("Selected emergency access"))
        detail_layout.addWidget(self.detail_label)
        self.note_label = note_label = QLabel(self.tr("Review &note:"))
        self.note_edit = QPlainTextEdit(objectName="emergencyNote")
        self.note_edit.setTabChangesFocus(True)
        self.note_edit.setPlaceholderText(self.tr("e.g. Appropriate: client in crisis, on-call clinician unreachable."))
        self.note_edit.setAccessibleName(self.tr("Review note"))
        self.note_edit.setMaximumHeight(self.fontMetrics().lineSpacing() * 4 + 12)
        note_label.setBuddy(self.note_edit)
        detail_layout.addWidget(note_label)
        detail_layout.addWidget(self.note_edit)
        buttons = QHBoxLayout()
        self.message = QLabel(objectName="emergencyMessage")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Emergency access message"))
        self.review_button = QPushButton(self.tr("&Mark reviewed"), objectName="markReviewed")
        self.review_button.setAccessibleName(self.tr("Mark reviewed"))
        self.review_button.setToolTip(self.tr("Record that you reviewed the selected emergency access"))
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.review_button)
        detail_layout.addLayout(buttons)

        layout.addWidget(self.view, 1)
        layout.addWidget(details)

        for first, second in ((self.show_combo, self.view), (self.view, self.note_edit),
                              (self.note_edit, self.review_button)):
            self.setTabOrder(first, second)
        self.show_combo.currentIndexChanged.connect(lambda _i: self.reload())
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.view.activated.connect(lambda _index: self.note_edit.setFocus())
        self.review_button.clicked.connect(self.mark_reviewed)
        ops.changes_applied.connect(self._changes_applied)
        self._show_selected()
        self.reload()

    # -- reading ------------------------------------------------------------------------------
    @property
    def show(self) -> str:
        return self.show_combo.currentData()

    def selected(self):
        rows = self.view.selectionModel().selectedRows()
        return self.model.row_value(rows[0].row()) if rows else None

    def reload(self, select_id: str | None = None) -> None:
        """Read the grants (and the number awaiting review) again, off the GUI thread."""
        current = self.selected()
        self._select_id = select_id or (current.id if current else None)
        self._loading = True
        emergency, show = self.clinic.emergency, self.show
        self.ops.run(lambda: (emergency.grants(show), emergency.pending_count()),
                     on_success=self._loaded, on_failure=self._failed, parent=self)

    def _loaded(self, result) -> None:
        if not shiboken6.isValid(self):
            return
        self._loading = False
        grants, pending = result
        self.model.set_rows(grants)
        for column in (REVIEW_COLUMN, NOTE_COLUMN):
            self.view.setColumnHidden(column, self.show == "pending")
        self._set_pending(pending)
        shown = len(grants)
        if self.show == "pending":
            text = (self.tr("Awaiting &review: {n}").format(n=shown) if shown
                    else self.tr("Awaiting &review: none"))
        elif self.show == "reviewed":
            text = self.tr("&Reviewed: {n}").format(n=shown)
        else:
            text = self.tr("All emergency access: {n}").format(n=shown)
        self.table_title.setText(text)
        row = next((r for r in range(self.model.rowCount())
                    if self._select_id and self.model.row_value(r).id == self._select_id), -1)
        if row < 0:
            row = next((r for r in range(self.model.rowCount()) if not self.model.row_value(r).reviewed),
                       0 if self.model.rowCount() else -1)
        if row >= 0:
            self.view.selectionModel().select(
                self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            self.view.setCurrentIndex(self.model.index(row, 0))
        self._show_selected()

    def _failed(self, error: BaseException) -> None:
        if not shiboken6.isValid(self):
            return
        self._loading = False
        self.message.setText(user_message(error))
        self._show_selected()

    def _set_pending(self, count: int) -> None:
        self.pending = count
        self.pending_changed.emit(count)

    # -- the selected grant -------------------------------------------------------------------
    def _selection_changed(self) -> None:
        self.note_edit.clear()
        self._show_selected()

    def _show_selected(self) -> None:
        grant = self.selected()
        own = grant is not None and str(grant.staff_id) == str(self.clinic.actor.id)
        can_review = grant is not None and not grant.reviewed and not own and not self._loading
        self.review_button.setEnabled(can_review)
        self.note_edit.setEnabled(grant is not None and not grant.reviewed and not own)
        for widget in (self.note_label, self.note_edit):
            widget.setHidden(grant is not None and grant.reviewed)
        if grant is None:
            self.detail_label.setText(self.tr("Nothing to show here.") if not self.model.rowCount()
                                      else self.tr("Select an emergency access above to review it."))
            return
        lines = [self.tr("{who} opened the chart of {mrn} · {name} on {when}, until {until}.").format(
            who=grant.staff_name, mrn=grant.client_mrn, name=grant.client_name,
            when=stamp_text(grant.granted_at), until=_expires(grant)),
            self.tr("Reason: {reason}").format(reason=grant.reason)]
        if grant.reviewed:
            lines.append(self.tr("Reviewed {review}.").format(review=_reviewed(grant)))
            if grant.review_note:
                lines.append(self.tr("Review note: {note}").format(note=grant.review_note))
        elif own:
            lines.append(self.tr("You requested this emergency access; another reviewer must review it."))
        self.detail_label.setText("\n".join(lines))

    def mark_reviewed(self) -> None:
        """Mark the selected grant reviewed with the note typed (through the domain)."""
        grant = self.selected()
        if grant is None or grant.reviewed or not self.review_button.isEnabled():
            return
        note = self.note_edit.toPlainText()
        self.review_button.setEnabled(False)
        emergency = self.clinic.emergency

        def done(_changes) -> None:
            if not shiboken6.isValid(self):
                return
            self.message.setText(self.tr("Marked reviewed: {who}'s emergency access to {mrn}.").format(
                who=grant.staff_name, mrn=grant.client_mrn))
            self.note_edit.clear()
            self.view.setFocus()  # the list reads again as the change is announced

        def failed(error: BaseException) -> None:
            if not shiboken6.isValid(self):
                return
            self.message.setText(user_message(error))
            self._show_selected()

        self.ops.run(lambda: emergency.mark_reviewed(grant.id, note), on_success=done, on_failure=failed,
                     parent=self)

    # -- staying current ----------------------------------------------------------------------
    def _changes_applied(self, changes) -> None:
        """Read again even while hidden: the tab title's count is seen from the other tabs."""
        if shiboken6.isValid(self) and changes.touches("emergency_access", "sync"):
            self.reload()


def tab_title(count: int) -> str:
    return f"&Emergency access ({count})" if count else "&Emergency access"


def add_emergency_tab(body: QWidget | None, clinic, ops: Operations) -> QWidget | None:
    """The Admin page's body with an "Emergency access" tab for users holding "emergency.review".

    `body` is the Admin tabs (the tab is added to them), another widget (it becomes the "Sync"
    tab beside the new one), or None (a user without the rest of the Admin page: the tab alone).
    Without "emergency.review" `body` is returned unchanged."""
    if not clinic.actor.can("emergency.review"):
        return body
    tabs = admin_tabs(body)
    page = EmergencyReviewPage(clinic, ops)
    tabs.page_emergency = page
    index = tabs.addTab(page, tab_title(0))
    tabs.setTabToolTip(index, tabs.tr("Emergency access awaiting review"))

    def retitle(count: int) -> None:
        if shiboken6.isValid(tabs):
            tabs.setTabText(tabs.indexOf(page), tab_title(count))

    page.pending_changed.connect(retitle)
    return tabs
