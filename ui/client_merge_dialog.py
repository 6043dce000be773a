"""The Admin page's "Duplicate clients" tab and its "Merge duplicate client…" dialog.

Why: a client registered twice (offline at two sites, or in a restored copy) has two charts; an
administrator ("client.merge") merges them into one (iopdesk/services/client_merge.py). The tab
offers the pairs `clinic.client_merge.candidates()` finds (same legal name and date of birth) and
takes any two MRNs typed. The dialog shows both charts side by side — name, date of birth, MRN,
site, episodes, note count — and what will move; what a clinician must settle first is named in
red and the Merge button stays off. Merging asks once more, runs through `Operations`, and says
which MRN now finds which chart.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk.errors import IopDeskError
from ui.admin_tabs import admin_tabs
from ui.dates import date_text
from ui.operations import Operations, user_message


class MergeClientDialog(QDialog):
    """Both charts side by side, what will move, and Merge (off while anything must be settled)."""

    def __init__(self, clinic, ops: Operations, plan, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mergeClientDialog")
        self.setWindowTitle(self.tr("Merge duplicate client"))
        self.clinic, self.ops, self.plan = clinic, ops, plan
        layout = QVBoxLayout(self)
        intro = QLabel(self.tr("Every record of the chart on the right moves to the chart on the left. "
                               "{old} will still find the chart; the merge is audited and reaches every "
                               "site with the next sync.").format(old=plan.merge.mrn))
        intro.setWordWrap(True)
        layout.addWidget(intro)

        grid = QGridLayout()
        grid.addWidget(QLabel(self.tr("<b>Keep</b>")), 0, 1)
        grid.addWidget(QLabel(self.tr("<b>Merge into it</b>")), 0, 2)
        keep, merge = plan.keep, plan.merge
        rows = [(self.tr("Name"), keep.legal_name, merge.legal_name),
                (self.tr("Date of birth"), date_text(keep.dob), date_text(merge.dob)),
                (self.tr("MRN"), keep.mrn, merge.mrn),
                (self.tr("Site"), keep.site_code, merge.site_code),
                (self.tr("Episodes"), "\n".join(keep.episodes) or self.tr("none"),
                 "\n".join(merge.episodes) or self.tr("none")),
                (self.tr("Notes"), str(keep.note_count), str(merge.note_count))]
        for number, (label, left, right) in enumerate(rows, start=1):
            grid.addWidget(QLabel(label), number, 0, Qt.AlignmentFlag.AlignTop)
            for column, text in ((1, left), (2, right)):
                cell = QLabel(text)
                cell.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
                grid.addWidget(cell, number, column, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(2, 1)
        layout.addLayout(grid)

        layout.addWidget(QLabel(self.tr("<b>What will move</b>")))
        self.moves_label = QLabel("\n".join(plan.lines()[1:len(plan.lines()) - len(plan.problems)]),
                                  objectName="mergeMoves")
        self.moves_label.setWordWrap(True)
        layout.addWidget(self.moves_label)
        self.problems_label = QLabel("\n".join(f"• {p}" for p in plan.problems), objectName="mergeProblems")
        self.problems_label.setWordWrap(True)
        palette = self.problems_label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, Qt.GlobalColor.darkRed)
        self.problems_label.setPalette(palette)
        if plan.problems:
            layout.addWidget(QLabel(self.tr("<b>Settle these first</b>")))
            layout.addWidget(self.problems_label)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.merge_button = buttons.addButton(self.tr("&Merge"), QDialogButtonBox.ButtonRole.AcceptRole)
        self.merge_button.setObjectName("mergeButton")
        self.merge_button.setEnabled(plan.can_merge)
        self.merge_button.clicked.connect(self._merge)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.result_message = ""

    def _merge(self) -> None:
        keep, merge = self.plan.keep.mrn, self.plan.merge.mrn
        answer = QMessageBox.question(
            self, self.tr("Merge duplicate client"),
            self.tr("Merge {merge} into {keep}? This cannot be undone from IOP Desk.").format(merge=merge, keep=keep))
        if answer != QMessageBox.StandardButton.Yes:
            return
        self.merge_button.setEnabled(False)

        def done(_result) -> None:
            self.result_message = self.tr("{merge} was merged into {keep}; {merge} now finds {keep}.").format(
                merge=merge, keep=keep)
            self.accept()

        def failed(error: BaseException) -> None:
            self.merge_button.setEnabled(True)
            QMessageBox.warning(self, self.tr("Merge duplicate client"), user_message(error))

        self.ops.run(lambda: self.clinic.client_merge.merge(keep, merge), on_success=done, on_failure=failed,
                     parent=self)


class DuplicateClientsPage(QWidget):
    """Pairs registered twice, two MRN boxes, and "Merge duplicate client…"."""

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("duplicateClientsPage")
        self.clinic, self.ops = clinic, ops
        layout = QVBoxLayout(self)
        hint = QLabel(self.tr("Clients with the same legal name and date of birth, older chart first. Pick a "
                              "pair, or type two MRNs, then check both charts before merging."))
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout.addWidget(hint)
        self.message = QLabel(objectName="duplicatesMessage")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.pairs = QListWidget(objectName="duplicatePairs")
        self.pairs.setAccessibleName(self.tr("Clients registered twice"))
        self.pairs.currentItemChanged.connect(self._picked)
        layout.addWidget(self.pairs, 1)
        form = QFormLayout()
        self.keep_edit = QLineEdit(objectName="keepMrn")
        self.merge_edit = QLineEdit(objectName="mergeMrn")
        form.addRow(self.tr("&Keep MRN"), self.keep_edit)
        form.addRow(self.tr("M&erge MRN"), self.merge_edit)
        layout.addLayout(form)
        row = QHBoxLayout()
        self.open_button = QPushButton(self.tr("Merge &duplicate client…"), objectName="openMerge")
        self.open_button.clicked.connect(self.open_dialog)
        row.addWidget(self.open_button)
        row.addStretch(1)
        layout.addLayout(row)
        self.dialog: MergeClientDialog | None = None
        self.reload()

    def reload(self) -> None:
        self.pairs.clear()
        for keep, merge in self.clinic.client_merge.candidates():
            item = QListWidgetItem(self.tr("{keep}  and  {merge}").format(keep=keep, merge=merge))
            item.setData(Qt.ItemDataRole.UserRole, (keep, merge))
            self.pairs.addItem(item)
        if not self.pairs.count():
            self.message.setText(self.tr("No clients registered twice were found."))

    def _picked(self, item: QListWidgetItem | None) -> None:
        if item is None:
            return
        keep, merge = item.data(Qt.ItemDataRole.UserRole)
        self.keep_edit.setText(keep)
        self.merge_edit.setText(merge)

    def open_dialog(self) -> MergeClientDialog | None:
        """Show the side-by-side dialog for the two MRNs (non-modal in tests; `exec` is the app's)."""
        try:
            plan = self.clinic.client_merge.preview(self.keep_edit.text(), self.merge_edit.text())
        except IopDeskError as error:
            self.message.setText(user_message(error))
            return None
        self.dialog = MergeClientDialog(self.clinic, self.ops, plan, self)
        self.dialog.accepted.connect(self._merged)
        self.dialog.open()
        return self.dialog

    def _merged(self) -> None:
        self.keep_edit.clear()
        self.merge_edit.clear()
        self.reload()
        if self.dialog is not None:
            self.message.setText(self.dialog.result_message)


def add_duplicates_tab(body: QWidget | None, clinic, ops: Operations) -> QWidget | None:
    """The Admin page's body with a "Duplicate clients" tab for holders of "client.merge"."""
    if not clinic.actor.can("client.merge"):
        return body
    tabs = admin_tabs(body)
    tabs.page_duplicates = DuplicateClientsPage(clinic, ops)
    index = tabs.addTab(tabs.page_duplicates, tabs.tr("D&uplicate clients"))
    tabs.setTabToolTip(index, tabs.tr("Clients registered twice, to merge into one chart"))
    return tabs
