"""The Audit tab of the Admin page: what the checks found, who saw or changed what, and a
client's disclosures.

On top, the findings of the audit checks (`clinic.audit.findings`): one row per finding, naming
its area, the record it is about and the problem (docs/SECURITY.md says what to do). Opening the
tab runs the start-up's fast subset (the newest events and this workstation's anchor of the
trail); "Check whole trail" recomputes everything, as `iopdesk check` does. When the trail is
older than the workstation's anchor (a restore made outside IOP Desk), "Acknowledge rollback…"
asks the administrator why and records it in the audit trail (`clinic.audit.acknowledge_rollback`).

Filters (client MRN, user name, from/to dates, each optional) drive `clinic.audit.report`; the
`AuditTableModel` fetches it a page at a time as the view scrolls and sorts in SQL when a header
is clicked (never in a proxy over all rows). With an MRN, the client's accounting of disclosures
(`clinic.disclosures.log`) is listed below. Only users with "admin.audit" get the tab
(`add_audit_tab`); the domain refuses everyone else anyway.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from iopdesk.kernel import clock
from ui.admin_tabs import admin_tabs
from ui.chart import make_table_view
from ui.date_fields import DateField, entries_ready
from ui.dates import date_text, stamp_text, time_text
from ui.operations import Operations, user_message
from ui.rows_model import RowsTableModel

_Index = QModelIndex | QPersistentModelIndex
COLUMNS = (("when", "When"), ("user", "User"), ("action", "Action"), ("what", "What"),
           ("client", "Client MRN"), ("detail", "Detail"))
PAGE = 200


class AuditTableModel(QAbstractTableModel):
    """The audit report, a page at a time, sorted by the database."""

    def __init__(self, clinic, parent=None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.filters: dict = {}
        self.order_by = "when"
        self.descending = True
        self._rows: list = []
        self._total = 0

    def load(self, **filters) -> None:
        """Run the report with these filters from the first page (errors propagate)."""
        self.filters = filters
        rows = self.clinic.audit.report(**filters, order_by=self.order_by, descending=self.descending,
                                        limit=PAGE)
        total = max(len(rows), self.clinic.audit.report_count(**filters))
        self.beginResetModel()
        self._rows, self._total = rows, total
        self.endResetModel()

    def total(self) -> int:
        return self._total

    def row_value(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def canFetchMore(self, parent: _Index = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self._rows) < self._total

    def fetchMore(self, parent: _Index = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        more = self.clinic.audit.report(**self.filters, order_by=self.order_by, descending=self.descending,
                                        limit=PAGE, offset=len(self._rows))
        if not more:
            self._total = len(self._rows)
            return
        self.beginInsertRows(QModelIndex(), len(self._rows), len(self._rows) + len(more) - 1)
        self._rows.extend(more)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.order_by = COLUMNS[column][0]
        self.descending = order == Qt.SortOrder.DescendingOrder
        if self.filters is not None and (self._rows or self._total):
            self.load(**self.filters)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section][1]
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = self.row_value(index.row()) if index.isValid() else None
        if row is None or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return None
        values = (f"{date_text(row.when.date())} {time_text(row.when, seconds=True)}", row.user, row.action, row.what, row.client_mrn,
                  row.detail)
        return values[index.column()]


class AuditPage(QWidget):
    """Filters, the audit report, and (for one client) the accounting of disclosures."""

    def __init__(self, clinic, parent: QWidget | None = None, *, ops: Operations | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("auditPage")
        self.clinic = clinic
        self.ops = ops  # the whole-trail check runs on its worker: it reads every event and record
        layout = QVBoxLayout(self)
        layout.addWidget(self._findings_box())
        filters = QHBoxLayout()
        self.mrn_edit = QLineEdit(objectName="auditClient", placeholderText=self.tr("any client"))
        self.mrn_edit.setAccessibleName(self.tr("Client MRN"))
        self.user_edit = QLineEdit(objectName="auditUser", placeholderText=self.tr("any user"))
        self.user_edit.setAccessibleName(self.tr("User name"))
        today = clock.today()
        self.from_check = QCheckBox(self.tr("&From"), objectName="auditFromOn")
        self.from_edit = DateField(self.tr("From date"), today - dt.timedelta(days=30), parent=self)
        self.to_check = QCheckBox(self.tr("&To"), objectName="auditToOn")
        self.to_edit = DateField(self.tr("To date"), today, parent=self)
        self.show_button = QPushButton(self.tr("&Show"), objectName="auditShow")
        self.show_button.setDefault(True)
        for text, buddy in ((self.tr("&Client MRN"), self.mrn_edit), (self.tr("&User"), self.user_edit)):
            label = QLabel(text)
            label.setBuddy(buddy)
            filters.addWidget(label)
            filters.addWidget(buddy)
        for widget in (self.from_check, self.from_edit, self.to_check, self.to_edit, self.show_button):
            filters.addWidget(widget)
        layout.addLayout(filters)
        self.summary = QLabel(objectName="auditSummary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)

        self.model = AuditTableModel(clinic, self)
        self.view = make_table_view(self.model, self.tr("Audit report"))
        self.view.setObjectName("auditTable")
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
        self.disclosures_box = QGroupBox(self.tr("Accounting of disclosures"), objectName="disclosuresBox")
        box = QVBoxLayout(self.disclosures_box)
        self.disclosures = RowsTableModel((
            (self.tr("Date and time"), lambda d: stamp_text(d.disclosed_at)),
            (self.tr("Client"), lambda _d: self._client_mrn),
            (self.tr("User"), lambda d: d.disclosed_by),
            (self.tr("Recipient"), lambda d: d.recipient),
            (self.tr("Description"), lambda d: d.description),
        ), self)
        self.disclosures_view = make_table_view(self.disclosures, self.tr("Disclosures"))
        self.disclosures_view.setObjectName("disclosuresTable")
        box.addWidget(self.disclosures_view)
        splitter = QSplitter(Qt.Orientation.Vertical, objectName="auditSplitter")
        splitter.addWidget(self.view)
        splitter.addWidget(self.disclosures_box)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self._client_mrn = ""
        self.disclosures_box.hide()
        self.show_button.clicked.connect(self.reload)
        self.mrn_edit.returnPressed.connect(self.reload)
        self.user_edit.returnPressed.connect(self.reload)

    # -- findings of the checks ------------------------------------------------------------
    def _findings_box(self) -> QGroupBox:
        self.findings_box = QGroupBox(self.tr("Findings of the audit checks"), objectName="findingsBox")
        box = QVBoxLayout(self.findings_box)
        self.findings_status = QLabel(objectName="findingsStatus")
        self.findings_status.setWordWrap(True)
        self.findings = RowsTableModel((
            (self.tr("Area"), lambda f: f.area),
            (self.tr("Record"), lambda f: f.record or self.tr("the whole audit trail")),
            (self.tr("Problem"), lambda f: f.problem),
        ), self)
        self.findings_view = make_table_view(self.findings, self.tr("Findings of the audit checks"))
        self.findings_view.setObjectName("findingsTable")
        self.findings_view.setWordWrap(True)
        self.findings_view.horizontalHeader().setStretchLastSection(True)
        self.findings_view.setMaximumHeight(180)
        buttons = QHBoxLayout()
        self.check_button = QPushButton(self.tr("Check &whole trail"), objectName="findingsCheckAll")
        self.acknowledge_button = QPushButton(self.tr("Ac&knowledge rollback…"), objectName="findingsAcknowledge")
        self.acknowledge_button.setToolTip(self.tr(
            "The audit trail is older than this workstation's anchor: after a restore made outside IOP Desk, "
            "say why; the acknowledgement is kept in the audit trail."))
        buttons.addWidget(self.findings_status, 1)
        buttons.addWidget(self.check_button)
        buttons.addWidget(self.acknowledge_button)
        box.addLayout(buttons)
        box.addWidget(self.findings_view)
        self.check_button.clicked.connect(lambda: self.load_findings(recent=False))
        self.acknowledge_button.clicked.connect(lambda: self.acknowledge_rollback())
        self.load_findings(recent=True)
        return self.findings_box

    def load_findings(self, *, recent: bool) -> None:
        """List the findings: `recent`, the start-up's fast subset (tens of milliseconds); else the
        whole trail, which reads every event and signed record and so runs off the GUI thread
        when the page has an Operations."""
        if not recent and self.ops is not None:
            self.check_button.setEnabled(False)
            self.findings_status.setText(self.tr("Checking the whole trail…"))
            self.findings_status.setStyleSheet("")
            self.ops.run(lambda: self.clinic.audit.findings(recent=False),
                         on_success=lambda found: self._show_findings(found, recent=False),
                         on_failure=self._findings_refused)
            return
        try:
            found = self.clinic.audit.findings(recent=recent)
        except Exception as error:  # noqa: BLE001 - the domain's sentence, never a traceback
            self._findings_refused(error)
            return
        self._show_findings(found, recent=recent)

    def _findings_refused(self, error: BaseException) -> None:
        self.check_button.setEnabled(True)
        self.findings.set_rows([])
        self.findings_status.setText(user_message(error))
        self.acknowledge_button.setEnabled(False)

    def _show_findings(self, found: list, *, recent: bool) -> None:
        self.check_button.setEnabled(True)
        self.findings.set_rows(found)
        self.findings_view.resizeRowsToContents()
        self.findings_view.setVisible(bool(found))
        self.acknowledge_button.setEnabled(any(f.area == "anchor" for f in found))
        scope = self.tr("the newest events and this workstation's anchor") if recent else self.tr("the whole trail")
        if found:
            count = self.tr("1 finding") if len(found) == 1 else self.tr("{n} findings").format(n=len(found))
            self.findings_status.setText(self.tr(
                "{count} in {scope}. See docs/SECURITY.md, \"On a finding\", before anything else.").format(
                count=count, scope=scope))
            self.findings_status.setStyleSheet("color: #b00020; font-weight: bold;")
        else:
            self.findings_status.setText(self.tr("No findings: {scope} verified.").format(scope=scope))
            self.findings_status.setStyleSheet("")
        self.findings_box.setTitle(self.tr("Findings of the audit checks: {n}").format(n=len(found)))

    def acknowledge_rollback(self, reason: str | None = None) -> bool:
        """Ask why the trail is older than the anchor (unless `reason` is given), then record the
        acknowledgement; the domain's refusal is shown in the status line. True when recorded."""
        if reason is None:
            reason, accepted = QInputDialog.getMultiLineText(
                self, self.tr("Acknowledge rollback"),
                self.tr("The audit trail is older than this workstation's anchor. Say why (which backup was "
                        "restored, by whom, when); it is kept in the audit trail:"))
            if not accepted:
                return False
        try:
            self.clinic.audit.acknowledge_rollback(reason)
        except Exception as error:  # noqa: BLE001 - the domain's sentence, never a traceback
            self.findings_status.setText(user_message(error))
            return False
        self.load_findings(recent=True)
        return True

    def _filters(self) -> dict:
        def day(check, edit):
            return edit.value() if check.isChecked() else None

        return {"client_mrn": self.mrn_edit.text().strip() or None,
                "actor": self.user_edit.text().strip() or None,
                "date_from": day(self.from_check, self.from_edit), "date_to": day(self.to_check, self.to_edit)}

    def reload(self) -> None:
        """Run the report with the filters as they are; a refusal is shown above the table (a date
        that is not one, under its field)."""
        checked = [edit for check, edit in ((self.from_check, self.from_edit), (self.to_check, self.to_edit))
                   if check.isChecked()]
        if not entries_ready(checked):
            return
        filters = self._filters()
        try:
            self.model.load(**filters)
        except Exception as error:  # noqa: BLE001 - the domain's sentence, never a traceback
            self.summary.setText(user_message(error))
            return
        self.summary.setText(self.tr("{n} events; click a column heading to sort.").format(n=self.model.total()))
        self._client_mrn = (filters["client_mrn"] or "").upper()
        if not self._client_mrn:
            self.disclosures_box.hide()
            return
        client = self.clinic.clients.by_mrn(self._client_mrn)
        self.disclosures.set_rows(self.clinic.disclosures.log(client.id))
        self.disclosures_box.setTitle(self.tr("Accounting of disclosures for {mrn}: {n}").format(
            mrn=self._client_mrn, n=self.disclosures.rowCount()))
        self.disclosures_box.show()


def add_audit_tab(sync_widget: QWidget, clinic, ops: Operations | None = None) -> QWidget:
    """The Admin page's body: `sync_widget` alone, or tabs "Sync" and "Audit" for users who may
    read the audit report."""
    if not clinic.actor.can("admin.audit"):
        return sync_widget
    tabs = admin_tabs(sync_widget)
    tabs.page_audit = AuditPage(clinic, ops=ops)
    tabs.addTab(tabs.page_audit, tabs.tr("&Audit"))
    return tabs
