"""`TodayPage`: the signed-in clinician's day, one titled section per list of `clinic.caseload`.

Safety alerts (with unexpected positive drug screens, and titled so: the chart counts them as two
kinds) come first and carry a warning icon and bold text (not colour alone); then today's
group sessions, notes to sign and co-sign, plans, measures, consents, attendance and discharge
summaries; for administrators ("sync.run") also Site sync: open sync conflicts and sites that have
not synced for the program rule `sync.warn_after_days` (their targets "admin:…" open Admin). A list with work shows as a table over one `TodayItemTableModel`; an empty list
collapses to one line ("No unsigned notes") below the others. The caseload is read off the GUI
thread through `ops.run` and re-read when the kinds it shows change. Activating a row (Enter or
double-click) emits `open_target(target)` with the item's target ("note:<id>", "session:<id>",
"client:<id>/measures" …); `client_for(target)` gives the client the item is about.
"""

from __future__ import annotations

from dataclasses import dataclass

import shiboken6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QAction, QFont, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QScrollArea,
    QStyle,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.kernel import clock
from iopdesk.services.caseload import Caseload
from ui.dates import long_date_text, time_text
from ui.operations import Operations, user_message

_Index = QModelIndex | QPersistentModelIndex

WATCHED_KINDS = ("note", "plan", "review", "measure", "alert", "attendance", "consent", "episode",
                 "discharge", "group_session", "enrollment", "drug_screen")


@dataclass(frozen=True)
class TodayRow:
    """One line of a Today section: its cells, where the work is done and whether it is urgent."""

    cells: tuple[str, ...]
    target: str
    client_id: str | None = None
    urgent: bool = False


class TodayItemTableModel(QAbstractTableModel):
    """Rows of one Today section (work items or group sessions) with the given column headers."""

    TARGET_ROLE = Qt.ItemDataRole.UserRole + 1
    CLIENT_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, headers: tuple[str, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = headers
        self._rows: list[TodayRow] = []

    def set_rows(self, rows: list[TodayRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> TodayRow:
        return self._rows[row]

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        item = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return item.cells[column] if column < len(item.cells) else ""
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return " · ".join(cell for cell in item.cells if cell)
        if role == Qt.ItemDataRole.FontRole and item.urgent:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.DecorationRole and item.urgent and column == 0:
            return QApplication.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
        if role == self.TARGET_ROLE:
            return item.target
        if role == self.CLIENT_ROLE:
            return item.client_id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self._headers)):
            return self._headers[section]
        return None

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable


class TodaySectionWidget(QWidget):
    """A titled table of one caseload list, or one line saying the list is empty."""

    activated_target = Signal(str)

    def __init__(self, key: str, title: str, empty_text: str, headers: tuple[str, ...],
                 urgent: bool = False, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.title = title
        self.empty_text = empty_text
        self.setObjectName(f"{key}Section")
        self.title_label = QLabel(objectName="urgentSectionTitle" if urgent else "sectionTitle")
        if urgent:
            icon = self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxWarning)
            self.icon_label = QLabel()
            size = self.fontMetrics().height()
            self.icon_label.setPixmap(icon.pixmap(size, size))
        self.empty_label = QLabel(empty_text, objectName="emptySection")
        self.empty_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.model = TodayItemTableModel(headers, self)
        self.view = QTableView(objectName=f"{key}View")
        self.view.setModel(self.model)
        self.view.setAccessibleName(title)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setWordWrap(False)
        self.view.setShowGrid(False)
        self.view.setAlternatingRowColors(True)
        self.view.verticalHeader().hide()
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The last column (why, or status) takes the rest and elides; its tooltip has it all.
        header.setSectionResizeMode(len(headers) - 1, QHeaderView.ResizeMode.Stretch)
        header.setHighlightSections(False)
        self.view.activated.connect(self._activated)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        if urgent:
            row = QHBoxLayout()
            row.setSpacing(6)
            row.addWidget(self.icon_label)
            row.addWidget(self.title_label, 1)
            layout.addLayout(row)
        else:
            layout.addWidget(self.title_label)
        layout.addWidget(self.view)
        layout.addWidget(self.empty_label)

    def set_rows(self, rows: list[TodayRow]) -> None:
        self.model.set_rows(rows)
        filled = bool(rows)
        self.title_label.setText(self.tr("{title} ({count})").format(title=self.title, count=len(rows)))
        self.title_label.setVisible(filled)
        if hasattr(self, "icon_label"):
            self.icon_label.setVisible(filled)
        self.view.setVisible(filled)
        self.empty_label.setVisible(not filled)
        if filled:
            self._fit_height()

    def is_empty(self) -> bool:
        return self.model.rowCount() == 0

    def _fit_height(self) -> None:
        """Show every row: the page scrolls, not each little table."""
        self.view.resizeRowsToContents()
        rows = self.view.verticalHeader().length()
        header = self.view.horizontalHeader().sizeHint().height()
        self.view.setFixedHeight(rows + header + 2 * self.view.frameWidth())

    def _activated(self, index: QModelIndex) -> None:
        target = self.model.data(index, TodayItemTableModel.TARGET_ROLE)
        if target:
            self.activated_target.emit(target)


class TodayPage(QWidget):
    """The clinician's day: sessions and work lists from `clinic.caseload.today()`."""

    open_target = Signal(str)
    loaded = Signal()

    def __init__(self, clinic: Clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.caseload: Caseload | None = None
        self._clients: dict[str, str] = {}
        self._loading = False
        self._again = False

        title = QLabel(self.tr("Today"), objectName="pageTitle")
        title.setAccessibleName(self.tr("Today"))
        self.date_label = QLabel(objectName="hint")
        self.date_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.summary_label = QLabel(objectName="todaySummary")
        self.summary_label.setWordWrap(True)
        self.error_label = QLabel(objectName="fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.hide()

        client, mrn, what, why = self.tr("Client"), self.tr("MRN"), self.tr("What"), self.tr("Why")
        work = (client, mrn, what, why)
        specs = [
            ("safety_alerts", self.tr("Safety alerts and unexpected drug screens"),
             self.tr("No safety alerts or unexpected drug screens"), work, True),
            ("sessions", self.tr("Group sessions today"), self.tr("No group sessions today"),
             (self.tr("Group"), self.tr("Time"), self.tr("Role"), self.tr("Status")), False),
            ("unsigned_notes", self.tr("Notes to sign"), self.tr("No unsigned notes"), work, False),
            ("cosign_queue", self.tr("Notes to co-sign"), self.tr("No notes to co-sign"), work, False),
            ("plans_due", self.tr("Treatment plans due"), self.tr("No treatment plans due"), work, False),
            ("measures_due", self.tr("Measures due"), self.tr("No measures due"), work, False),
            ("expiring_consents", self.tr("Consents expiring"), self.tr("No consents expiring"),
             work, False),
            ("under_minimum", self.tr("Under the attendance minimum"),
             self.tr("No clients under the attendance minimum"), work, False),
            ("discharges_due", self.tr("Discharge summaries due"),
             self.tr("No discharge summaries due"), work, False),
            ("sync_attention", self.tr("Site sync"), self.tr("No sync conflicts; every site in contact"),
             (self.tr("What"), self.tr("Why")), False),
        ]
        self.sections: dict[str, TodaySectionWidget] = {}
        for key, section_title, empty, headers, urgent in specs:
            section = TodaySectionWidget(key, section_title, empty, headers, urgent)
            section.activated_target.connect(self.open_target)
            section.hide()
            self.sections[key] = section

        body = QWidget(objectName="todayBody")
        self.sections_layout = QVBoxLayout(body)
        self.sections_layout.setContentsMargins(0, 0, 0, 0)
        self.sections_layout.setSpacing(18)
        for section in self.sections.values():
            self.sections_layout.addWidget(section)
        self.sections_layout.addStretch(1)
        scroll = QScrollArea(objectName="todayScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        scroll.setWidget(body)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 28, 32, 16)
        layout.setSpacing(10)
        layout.addWidget(title)
        layout.addWidget(self.date_label)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.error_label)
        layout.addWidget(scroll, 1)

        refresh = QAction(self.tr("Refresh"), self)
        refresh.setShortcut(QKeySequence.StandardKey.Refresh)
        refresh.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        refresh.triggered.connect(self.refresh)
        self.addAction(refresh)
        ops.changes_applied.connect(self._changes_applied)
        self.refresh()

    # -- loading ---------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the caseload off the GUI thread (a second call while loading queues one more)."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        clinic = self.clinic
        self.ops.run(lambda: clinic.caseload.today(), on_success=self._loaded,
                     on_failure=self._failed, parent=self)

    def is_loading(self) -> bool:
        return self._loading

    def _changes_applied(self, changes) -> None:
        if shiboken6.isValid(self) and changes.touches(*WATCHED_KINDS):
            self.refresh()

    def _finish(self) -> bool:
        if not shiboken6.isValid(self):
            return False
        self._loading = False
        if self._again:
            self._again = False
            self.refresh()
            return False
        return True

    def _failed(self, error: BaseException) -> None:
        if not self._finish():
            return
        self.error_label.setText(user_message(error))
        self.error_label.show()
        self.show_caseload(None)
        self.loaded.emit()

    def _loaded(self, caseload: Caseload) -> None:
        if not self._finish():
            return
        self.error_label.hide()
        self.show_caseload(caseload)
        self.loaded.emit()

    # -- showing ---------------------------------------------------------------------------
    def show_caseload(self, caseload: Caseload | None) -> None:
        """Fill the sections from `caseload` (None: show nothing but the empty lines)."""
        self.caseload = caseload
        self._clients = {}
        if caseload is None:
            self.date_label.setText(long_date_text(clock.today()))
            self.summary_label.clear()
            for section in self.sections.values():
                section.hide()
            return
        self.date_label.setText(long_date_text(caseload.on))
        count = caseload.work_count
        self.summary_label.setText(self.tr("Caseload of {clinician} · {count} to do · {sessions} group "
                                           "sessions").format(clinician=caseload.clinician, count=count,
                                                              sessions=len(caseload.sessions)))
        roles = {"lead": self.tr("Lead"), "co-facilitator": self.tr("Co-facilitator")}
        for key, section in self.sections.items():
            if key == "sessions":
                rows = [TodayRow((s.group, self.tr("{start}–{end}").format(
                    start=time_text(s.starts_at), end=time_text(s.ends_at)),
                    roles.get(s.role, s.role), s.status.replace("_", " ").capitalize()), s.target)
                    for s in caseload.sessions]
            elif key == "sync_attention":
                rows = [TodayRow((i.what, i.why), i.target) for i in caseload.sync_attention]
            else:
                rows = [TodayRow((i.client_name, i.mrn, i.what, i.why), i.target, i.client_id,
                                 urgent=key == "safety_alerts")
                        for i in getattr(caseload, key)]
                self._clients.update({i.target: i.client_id for i in getattr(caseload, key)})
            section.set_rows(rows)
        self._order_sections()

    def _order_sections(self) -> None:
        """Lists with work first (in their fixed order), then the one-line empty ones."""
        ordered = [s for s in self.sections.values() if not s.is_empty()]
        ordered += [s for s in self.sections.values() if s.is_empty()]
        for position, section in enumerate(ordered):
            self.sections_layout.removeWidget(section)
            self.sections_layout.insertWidget(position, section)
            section.setVisible(section is not self.sections["sync_attention"] or self.clinic.actor.can("sync.run"))

    def client_for(self, target: str) -> str | None:
        """The client a shown item's target is about (None for a group session)."""
        if target.startswith("client:"):
            return target.removeprefix("client:").split("/", 1)[0]
        return self._clients.get(target)

    def first_view(self) -> QTableView | None:
        """The first table with rows (for keyboard focus)."""
        for section in self.sections.values():
            if not section.is_empty() and section.isVisible():
                return section.view
        return None

