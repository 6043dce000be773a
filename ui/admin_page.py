"""The Admin page: site sync (run it, exchange sync files) and the sync conflicts to settle.

The top section is the `SyncPanel` (ui.sync_panel). Below it the Conflicts section lists what
two sites changed differently (`clinic.sync.conflicts()`, oldest first, in the clinic's words;
"Show resolved" adds the settled ones) in a `ConflictsTableModel`. "Keep mine" (Alt+K: the value
this site's record holds now) and "Take theirs" (Alt+T: the other site's value, set aside) ask
for confirmation, naming the client, record, field and both values, then settle the selected one
through `clinic.sync.resolve`, a single quick write done on the GUI thread; a conflict the domain
cannot settle (a signed or deleted record) says why under the table. Both sections read again whenever a change is announced (a sync or a resolution
announces one that touches everything), or when next shown if the page was hidden. Without the
"sync.run" permission (administrators) the page says so politely and offers no sync controls.
Administrators ("admin.settings") find the clinic's settings at the top (ui.clinic_settings_panel:
the time format and how the sign-in sheet names its members).
Reviewers of emergency access (permission "emergency.review": supervisors and administrators)
also get the Emergency access tab (ui.emergency_review_page), titled with the count awaiting review,
and holders of "note.review_names" (administrators, supervisors) the Notes naming clients tab
(ui.named_notes_page): signed notes that name another client, each to get an addendum.
Holders of "client.merge" (administrators) get the Duplicate clients tab
(ui.client_merge_dialog): clients registered twice, merged into one chart.
"""

from __future__ import annotations

from PySide6.QtCore import QItemSelectionModel, QSettings, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from ui.chart import make_table_view
from ui.client_share_panel import ClientSharePanel
from ui.conflicts_model import ConflictsTableModel
from ui.operations import Operations, user_message
from ui.sync_panel import SyncPanel, sync_changes


class ConflictsPanel(QGroupBox):
    """The conflicts waiting for an administrator, with the two ways to settle one."""

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTitle(self.tr("Conflicts"))
        self.setObjectName("conflictsPanel")
        self.clinic = clinic
        self.ops = ops
        layout = QVBoxLayout(self)
        hint = QLabel(self.tr(
            "When two sites changed the same field before syncing, one value was kept and the other "
            "set aside. \"Mine\" is the value this site's record holds now; \"theirs\" is the other "
            "site's. Keep mine, or take theirs instead; either choice reaches every site with the "
            "next sync."), objectName="conflictsHint")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(hint)

        top = QHBoxLayout()
        self.table_title = QLabel(objectName="conflictsTitle")
        self.show_resolved_check = QCheckBox(self.tr("Show &resolved"), objectName="showResolved")
        self.show_resolved_check.setAccessibleName(self.tr("Show resolved conflicts"))
        top.addWidget(self.table_title, 1)
        top.addWidget(self.show_resolved_check)
        layout.addLayout(top)

        self.model = ConflictsTableModel(self)
        self.view = make_table_view(self.model, self.tr("Conflicts"))
        self.view.setObjectName("conflicts")
        self.table_title.setBuddy(self.view)
        layout.addWidget(self.view, 1)

        buttons = QHBoxLayout()
        self.message = QLabel(objectName="conflictMessage")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Conflict message"))
        self.keep_button = QPushButton(self.tr("&Keep mine"), objectName="keepCurrent")
        self.keep_button.setAccessibleName(self.tr("Keep mine"))
        self.keep_button.setToolTip(self.tr("Settle the selected conflict with the value this site's record holds now"))
        self.other_button = QPushButton(self.tr("Take &theirs"), objectName="useOther")
        self.other_button.setAccessibleName(self.tr("Take theirs"))
        self.other_button.setToolTip(self.tr("Settle the selected conflict by writing the other site's value"))
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.other_button)
        layout.addLayout(buttons)

        for first, second in ((self.show_resolved_check, self.view), (self.view, self.keep_button),
                              (self.keep_button, self.other_button)):
            self.setTabOrder(first, second)
        self.show_resolved_check.toggled.connect(lambda _on: self.reload())
        self.keep_button.clicked.connect(lambda: self.resolve("kept"))
        self.other_button.clicked.connect(lambda: self.resolve("other"))
        self.view.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.view.activated.connect(lambda _index: self.keep_button.setFocus())
        self.reload()

    def selected(self):
        rows = self.view.selectionModel().selectedRows()
        return self.model.conflict_at(rows[0].row()) if rows else None

    def reload(self, select_id: str | None = None) -> None:
        """Read the conflicts again, keeping the selection where it can."""
        current = self.selected()
        keep_id = select_id or (current.id if current else None)
        try:
            conflicts = self.clinic.sync.conflicts(include_resolved=self.show_resolved_check.isChecked())
        except Exception as error:  # noqa: BLE001 - shown to the person, never a traceback
            self.message.setText(user_message(error))
            conflicts = []
        self.model.set_conflicts(conflicts)
        pending = self.model.pending_count()
        self.table_title.setText(self.tr("&Conflicts waiting: {n}").format(n=pending) if pending
                                 else self.tr("&Conflicts: none waiting"))
        row = self.model.row_of(keep_id) if keep_id else -1
        if row < 0:
            row = next((r for r in range(self.model.rowCount())
                        if self.model.conflict_at(r).status == "pending"), -1)
        if row >= 0:
            self.view.selectionModel().select(
                self.model.index(row, 0), QItemSelectionModel.SelectionFlag.ClearAndSelect
                | QItemSelectionModel.SelectionFlag.Rows)
            self.view.setCurrentIndex(self.model.index(row, 0))
        self._update_buttons()

    def _update_buttons(self) -> None:
        conflict = self.selected()
        pending = conflict is not None and conflict.status == "pending"
        self.keep_button.setEnabled(pending)
        self.other_button.setEnabled(pending)

    def resolve(self, keep: str) -> None:
        """Settle the selected conflict: keep="kept" or keep="other"."""
        conflict = self.selected()
        if conflict is None or conflict.status != "pending" or not self._confirmed(conflict, keep):
            return
        try:
            settled = self.clinic.sync.resolve(conflict.id, keep=keep)
        except Exception as error:  # noqa: BLE001 - the domain's words, or one plain sentence
            self.message.setText(user_message(error))
            return
        done = self.tr("kept mine") if keep == "kept" else self.tr("took theirs")
        self.message.setText(self.tr("{about}, {field}: {done}.").format(
            about=settled.about, field=settled.field_label, done=done))
        self.reload(select_id=None)
        self.ops.announce(sync_changes())
        self.view.setFocus()


    def _confirmed(self, conflict, keep: str) -> bool:
        """Ask before settling: the record, the field, what the record will hold and what is dropped."""
        chosen, dropped = ((conflict.mine_text, conflict.theirs_text) if keep == "kept"
                           else (conflict.theirs_text, conflict.mine_text))
        text = self.tr("{about}\n{field}\n\nThe record will hold: {chosen}\nSet aside for good: {dropped}\n\n"
                       "Every site gets this choice with the next sync.").format(
            about=conflict.about, field=conflict.field_label, chosen=chosen, dropped=dropped)
        title = self.tr("Keep mine?") if keep == "kept" else self.tr("Take theirs?")
        answer = QMessageBox.question(self, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                                      QMessageBox.StandardButton.Cancel)
        return answer == QMessageBox.StandardButton.Yes


class AdminPage(QWidget):
    """Sync and conflicts for administrators; a polite refusal for everyone else."""

    def __init__(self, clinic, ops: Operations, settings: QSettings, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self._stale = False
        self.setObjectName("adminPage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(QLabel(self.tr("Admin"), objectName="pageTitle"))
        from ui.emergency_review_page import add_emergency_tab
        from ui.named_notes_page import add_named_notes_tab

        self.refused = not clinic.actor.can("sync.run")
        if self.refused:
            self.refusal_label = QLabel(self.tr(
                "Site sync and its conflicts are for administrators. Your account does not include "
                "them; if your work needs them, please ask an administrator."), objectName="refusal")
            self.refusal_label.setWordWrap(True)
            self.refusal_label.setAccessibleName(self.tr("No admin access"))
            self.refusal_label.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            layout.addWidget(self.refusal_label)
            layout.addWidget(add_named_notes_tab(add_emergency_tab(None, clinic, ops), clinic, ops) or QWidget(), 1)
            return
        if clinic.actor.can("admin.settings"):
            from ui.clinic_settings_panel import ClinicSettingsPanel

            self.settings_panel = ClinicSettingsPanel(clinic, ops)
            layout.addWidget(self.settings_panel)
        self.sync_panel = SyncPanel(clinic, ops, settings)
        self.conflicts_panel = ConflictsPanel(clinic, ops)
        self.splitter = QSplitter(Qt.Orientation.Vertical, objectName="adminSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.share_panel = ClientSharePanel(clinic, ops)
        self.splitter.addWidget(self.sync_panel)
        self.splitter.addWidget(self.share_panel)
        self.splitter.addWidget(self.conflicts_panel)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 0)
        self.splitter.setStretchFactor(2, 1)
        from ui.audit_page import add_audit_tab
        from ui.client_merge_dialog import add_duplicates_tab

        tabs = add_named_notes_tab(add_emergency_tab(add_audit_tab(self.splitter, clinic, ops), clinic, ops), clinic, ops)
        layout.addWidget(add_duplicates_tab(tabs, clinic, ops), 1)
        ops.changes_applied.connect(self._changes_applied)

    def _changes_applied(self, _changes) -> None:
        if not self.isVisible():
            self._stale = True
            return
        self.refresh()

    def refresh(self) -> None:
        self._stale = False
        self.sync_panel.refresh()
        self.conflicts_panel.reload()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.refused and self._stale:
            self.refresh()
