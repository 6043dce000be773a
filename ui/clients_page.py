"""The Clients section: find a client as you type, reopen recent charts, register a new client.

`ClientsPage(clinic, ops)` runs `clinic.clients.search(text)` directly on the GUI thread (it takes
a millisecond or two) from a zero-delay single-shot timer: keys typed faster than the screen
updates (a paste, a fast typist) are folded into one search, and nothing waits on a clock. Down
moves from the search box into the results; Enter or a double-click opens the client's chart in
its own `ClientChartWindow` (one per client: opening it again raises the existing window). The
"Recent clients" list keeps the last ten opened client ids in QSettings ("clients/recent"), ids
only; names are fetched through the service when the list is shown.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import IopDeskError
from ui.client_search_model import ClientSearchTableModel
from ui.operations import Operations, user_message
from ui.settings import ui_settings

RECENT_KEY = "clients/recent"
RECENT_LIMIT = 10
SEARCH_DELAY_MS = 0


class ClientsPage(QWidget):
    """Search, recent clients and registration; opens client charts."""

    chart_opened = Signal(str)

    def __init__(self, clinic: Clinic, ops: Operations, parent: QWidget | None = None,
                 settings: QSettings | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.settings = settings if settings is not None else ui_settings()
        self.chart_windows: dict[str, QWidget] = {}
        self.setObjectName("clientsPage")

        title = QLabel(self.tr("Clients"), objectName="pageTitle")
        self.search_edit = QLineEdit(objectName="clientSearch")
        self.search_edit.setPlaceholderText(self.tr("Name, MRN or date of birth"))
        self.search_edit.setAccessibleName(self.tr("Search clients"))
        self.search_edit.setAccessibleDescription(self.tr(
            "Type the start of a name, an MRN or a date of birth; Down moves to the results"))
        self.search_edit.setClearButtonEnabled(True)
        search_label = QLabel(self.tr("&Find client:"))
        search_label.setBuddy(self.search_edit)

        self.register_button = QPushButton(self.tr("&Register client…"), objectName="registerClient")
        self.register_button.setAccessibleName(self.tr("Register client"))
        self.register_button.setToolTip(self.tr("Register a new client (Ctrl+N)"))
        self.register_button.clicked.connect(self.register_client)
        QShortcut(QKeySequence.StandardKey.New, self, activated=self.register_client,
                  context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

        self.model = ClientSearchTableModel(self)
        self.results = QTableView(objectName="clientResults")
        self.results.setModel(self.model)
        self.results.setAccessibleName(self.tr("Matching clients"))
        self.results.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.results.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.results.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results.setTabKeyNavigation(False)
        self.results.verticalHeader().hide()
        self.results.setAlternatingRowColors(True)
        header = self.results.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.results.doubleClicked.connect(lambda index: self._open_row(index.row()))
        results_label = QLabel(self.tr("Matching clients"))
        results_label.setBuddy(self.results)
        self.status_label = QLabel(objectName="hint")
        self.status_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.status_label.setAccessibleName(self.tr("Search status"))

        self.recent_list = QListWidget(objectName="recentClients")
        self.recent_list.setAccessibleName(self.tr("Recent clients"))
        self.recent_list.itemActivated.connect(
            lambda item: self.open_chart(item.data(Qt.ItemDataRole.UserRole)))
        recent_label = QLabel(self.tr("R&ecent clients"))
        recent_label.setBuddy(self.recent_list)

        top = QHBoxLayout()
        top.addWidget(search_label)
        top.addWidget(self.search_edit, 1)
        top.addWidget(self.register_button)
        left = QVBoxLayout()
        left.addWidget(results_label)
        left.addWidget(self.results, 1)
        left.addWidget(self.status_label)
        right = QVBoxLayout()
        right.addWidget(recent_label)
        right.addWidget(self.recent_list, 1)
        body = QHBoxLayout()
        body.addLayout(left, 2)
        body.addLayout(right, 1)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(32, 28, 32, 24)
        outer.addWidget(title)
        outer.addLayout(top)
        outer.addLayout(body, 1)
        self.setTabOrder(self.search_edit, self.results)
        self.setTabOrder(self.results, self.recent_list)
        self.setTabOrder(self.recent_list, self.register_button)

        self.search_timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self.search_timer.timeout.connect(self.run_search)
        self.search_edit.textEdited.connect(lambda _text: self.search_timer.start())
        self.search_edit.returnPressed.connect(self._search_return)
        self.search_edit.installEventFilter(self)
        self.results.installEventFilter(self)
        self.ops.changes_applied.connect(self._changes_applied)
        self.refresh_recent()

    # -- public API -------------------------------------------------------------------------
    def focus_search(self) -> None:
        """Put the cursor in the search box with its text selected."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def open_chart(self, client_id: str, tab: str | None = None):
        """Open (or raise) the chart window of a client, optionally on a tab ("notes", "meds"…)."""
        from ui.chart.chart_window import ClientChartWindow

        client_id = str(client_id)
        window = self.chart_windows.get(client_id)
        if window is None:
            try:
                window = ClientChartWindow(self.clinic, self.ops, client_id)
            except IopDeskError as error:
                self.status_label.setText(user_message(error))
                return None
            window.chart_did_close.connect(lambda cid: self.chart_windows.pop(cid, None))
            self.chart_windows[client_id] = window
        if tab:
            window.show_tab(tab)
        window.show()
        window.raise_()
        window.activateWindow()
        self.remember(client_id)
        self.chart_opened.emit(client_id)
        return window

    def close_charts(self) -> bool:
        """Close every open chart window (e.g. when signing out); False if one refused to close."""
        for window in list(self.chart_windows.values()):
            if not window.close():
                return False
        return True

    def register_client(self) -> None:
        from ui.register_dialog import RegisterClientDialog

        dialog = RegisterClientDialog(self.clinic, self.ops, self)
        dialog.client_registered.connect(self.open_chart)
        dialog.open_existing.connect(self._open_mrn)
        dialog.open()
        self.register_dialog = dialog

    # -- search -----------------------------------------------------------------------------
    def run_search(self) -> None:
        self.search_timer.stop()
        text = self.search_edit.text()
        try:
            rows = self.clinic.clients.search(text)
        except IopDeskError as error:
            rows = []
            self.status_label.setText(user_message(error))
        else:
            if not text.strip():
                self.status_label.setText("")
            elif not rows:
                self.status_label.setText(self.tr("No client matches “{text}”.").format(text=text.strip()))
            else:
                self.status_label.setText(self.tr("1 client found.") if len(rows) == 1 else
                                          self.tr("{n} clients found.").format(n=len(rows)))
        self.model.set_rows(rows)
        if rows:
            self.results.selectRow(0)

    def _search_return(self) -> None:
        if self.search_timer.isActive():
            self.run_search()
        if self.model.rowCount() == 1:
            self._open_row(0)
        elif self.model.rowCount():
            self.results.setFocus()

    def _open_row(self, row: int) -> None:
        client_id = self.model.client_id(row)
        if client_id is not None:
            self.open_chart(client_id)

    def _open_mrn(self, mrn: str) -> None:
        try:
            row = self.clinic.clients.by_mrn(mrn)
        except IopDeskError as error:
            self.status_label.setText(user_message(error))
            return
        if row.merged_from:
            self.status_label.setText(self.tr("{old} was merged into {mrn}: opened {mrn}.").format(
                old=row.merged_from, mrn=row.mrn))
        self.open_chart(row.id)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if watched is self.search_edit and key == Qt.Key.Key_Down:
                if self.search_timer.isActive():
                    self.run_search()
                if self.model.rowCount():
                    self.results.setFocus(Qt.FocusReason.OtherFocusReason)
                    if not self.results.selectionModel().hasSelection():
                        self.results.selectRow(0)
                return True
            if watched is self.results and key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._open_row(self.results.currentIndex().row())
                return True
            if watched is self.results and key == Qt.Key.Key_Up and self.results.currentIndex().row() <= 0:
                self.focus_search()
                return True
        return super().eventFilter(watched, event)

    # -- recent clients ---------------------------------------------------------------------
    def recent_ids(self) -> list[str]:
        value = self.settings.value(RECENT_KEY, [])
        if isinstance(value, str):
            value = [value] if value else []
        return [str(v) for v in (value or [])]

    def remember(self, client_id: str) -> None:
        ids = [client_id] + [cid for cid in self.recent_ids() if cid != client_id]
        self.settings.setValue(RECENT_KEY, ids[:RECENT_LIMIT])
        self.settings.sync()
        self.refresh_recent()

    def refresh_recent(self) -> None:
        """Show the recent ids by name, fetched now; ids that no longer exist are skipped."""
        self.recent_list.clear()
        try:
            rows = self.clinic.clients.named(self.recent_ids())
        except IopDeskError:
            rows = []
        for row in rows:
            item = QListWidgetItem(self.tr("{name} · {mrn}").format(name=row.display_name, mrn=row.mrn))
            item.setData(Qt.ItemDataRole.UserRole, row.id)
            self.recent_list.addItem(item)

    def _changes_applied(self, changes) -> None:
        if changes.touches("client"):
            if self.search_edit.text().strip():
                self.run_search()
            self.refresh_recent()
