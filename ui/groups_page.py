"""The Groups page: the clinic's group sessions on one day, and the way into each.

A date selector (today by default; Alt+Left and Alt+Right step a day) above a table of that day's
sessions (time, group, type, facilitators, status, attendance count) from one call to
`clinic.groups.day_sessions`; the signed-in clinician's own sessions are bold, and "Only my groups"
hides the others.
Enter or a double-click opens the session's window (`GroupSessionWindow`); `open_session(id)` does
the same from elsewhere (the Today page's session links). One window per session stays open and is
raised again when asked for twice. The list refreshes when group sessions or attendance change.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont, QKeySequence, QPalette, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from iopdesk.errors import IopDeskError
from iopdesk.kernel import clock
from iopdesk.services.groups.day import DaySession
from iopdesk.services.groups.setup import GROUP_TYPE_LABELS
from ui.date_fields import DateField
from ui.dates import time_text
from ui.group_session import GroupSessionWindow
from ui.operations import Operations, user_message


class DaySessionTableModel(QAbstractTableModel):
    """One day's sessions; rows are read-only `DaySession`s replaced as a whole by `set_rows`."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list[DaySession] = []
        self._headers = (self.tr("Time"), self.tr("Group"), self.tr("Type"), self.tr("Facilitators"),
                         self.tr("Status"), self.tr("Attendance"))

    def set_rows(self, rows: list[DaySession]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> DaySession | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(self._headers):
            return self._headers[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (row := self.row_at(index.row())):
            return None
        if role == Qt.ItemDataRole.UserRole:
            return row.session.id
        if role == Qt.ItemDataRole.FontRole and row.mine:
            font = QFont()
            font.setBold(True)
            return font
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        column, session = index.column(), row.session
        if column == 0:
            return f"{time_text(session.starts_at)}–{time_text(session.ends_at)}"
        if column == 1:
            return session.group_name
        if column == 2:
            return self.tr(GROUP_TYPE_LABELS.get(row.group_type, row.group_type))
        if column == 3:
            return ", ".join(session.facilitators)
        if column == 4:
            return session.status.capitalize()
        if not row.recorded:
            return self.tr("{n} enrolled").format(n=row.enrolled)
        return self.tr("{a} of {n} attended").format(a=row.attended, n=row.enrolled)


class GroupsPage(QWidget):
    """The clinic's group sessions of one day, the clinician's own in bold; opens a session's window."""

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.windows: dict[str, GroupSessionWindow] = {}
        self.setObjectName("groupsPage")

        title = QLabel(self.tr("Groups"), objectName="pageTitle")
        self._day = clock.today()
        self.date_edit = DateField(self.tr("Session date"), self._day)
        self.date_edit.setObjectName("sessionDate")
        self.weekday_label = QLabel(f"{self._day:%A}", objectName="weekday")
        date_label = QLabel(self.tr("&Date:"))
        date_label.setBuddy(self.date_edit)
        self.previous_button = QPushButton(self.tr("◀ Previous"))
        self.previous_button.setAccessibleName(self.tr("Previous day"))
        self.previous_button.setToolTip(self.tr("Previous day (Alt+Left)"))
        self.today_button = QPushButton(self.tr("&Today"))
        self.today_button.setAccessibleName(self.tr("Today"))
        self.next_button = QPushButton(self.tr("Next ▶"))
        self.next_button.setAccessibleName(self.tr("Next day"))
        self.next_button.setToolTip(self.tr("Next day (Alt+Right)"))
        self.mine_check = QCheckBox(self.tr("Only &my groups"), objectName="onlyMine")
        self.mine_check.setAccessibleName(self.tr("Only my groups"))
        self.open_button = QPushButton(self.tr("&Open session"))
        self.open_button.setAccessibleName(self.tr("Open session"))

        bar = QHBoxLayout()
        bar.addWidget(date_label)
        self.date_edit.add_beside(self.weekday_label)
        bar.addWidget(self.date_edit, 0, Qt.AlignmentFlag.AlignTop)
        bar.addWidget(self.previous_button)
        bar.addWidget(self.today_button)
        bar.addWidget(self.next_button)
        bar.addWidget(self.mine_check)
        bar.addStretch(1)
        bar.addWidget(self.open_button)

        self.model = DaySessionTableModel(self)
        self.table = QTableView(objectName="daySessions")
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Group sessions on the chosen day"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().hide()
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.message = QLabel(objectName="hint")
        self.message.setWordWrap(True)
        self.message.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(title)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.message)
        self.setTabOrder(self.date_edit, self.mine_check)
        self.setTabOrder(self.mine_check, self.table)

        self.date_edit.valueChanged.connect(self._day_typed)
        self.mine_check.toggled.connect(lambda _on: self.refresh())
        self.previous_button.clicked.connect(lambda: self.step_day(-1))
        self.next_button.clicked.connect(lambda: self.step_day(1))
        self.today_button.clicked.connect(lambda: self.set_day(clock.today()))
        self.open_button.clicked.connect(self.open_current)
        self.table.activated.connect(lambda index: self.open_row(index.row()))
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        for keys, step in (("Alt+Left", -1), ("Alt+Right", 1)):
            shortcut = QShortcut(QKeySequence(keys), self)
            shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            shortcut.activated.connect(lambda s=step: self.step_day(s))
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            shortcut = QShortcut(QKeySequence(key), self.table)
            shortcut.setContext(Qt.ShortcutContext.WidgetShortcut)
            shortcut.activated.connect(self.open_current)
        ops.changes_applied.connect(self._changes_applied)
        self.refresh()

    def day(self) -> dt.date:
        """The day shown: the last whole date typed or chosen."""
        return self._day

    def set_day(self, day: dt.date) -> None:
        self.date_edit.set_value(day)

    def step_day(self, days: int) -> None:
        self.set_day(self._day + dt.timedelta(days=days))

    def _day_typed(self, day: dt.date | None) -> None:
        if day is not None and day != self._day:
            self._day = day
            self.weekday_label.setText(f"{day:%A}")
            self.refresh()

    def refresh(self) -> None:
        """Re-read the chosen day's sessions (a handful of quick reads)."""
        current = self.model.row_at(self.table.currentIndex().row())
        try:
            rows = self.clinic.groups.day_sessions(self.day())
        except IopDeskError as error:
            self.model.set_rows([])
            self.message.setText(user_message(error))
            return
        if self.mine_check.isChecked():
            rows = [r for r in rows if r.mine]
        self.model.set_rows(rows)
        self.message.setText("" if rows else self.tr("No group sessions of yours on this day.")
                             if self.mine_check.isChecked() else self.tr("No group sessions on this day."))
        ids = [r.session.id for r in rows]
        if rows:
            keep = ids.index(current.session.id) if current and current.session.id in ids else 0
            self.table.setCurrentIndex(self.model.index(keep, 0))

    def _changes_applied(self, changes) -> None:
        if changes.touches("group_session", "attendance", "group"):
            self.refresh()

    def open_current(self) -> None:
        self.open_row(self.table.currentIndex().row())

    def open_row(self, row: int) -> None:
        found = self.model.row_at(row)
        if found:
            self.open_session(found.session.id)

    def open_session(self, session_id: str) -> GroupSessionWindow | None:
        """Show the session's window (opening it, or raising the one already open)."""
        session_id = str(session_id)
        window = self.windows.get(session_id)
        if window is None:
            try:
                window = GroupSessionWindow(self.clinic, self.ops, session_id)
            except IopDeskError as error:
                self.message.setText(user_message(error))
                return None
            self.windows[session_id] = window
            window.destroyed.connect(lambda _o=None, s=session_id: self.windows.pop(s, None))
        window.show()
        window.raise_()
        window.activateWindow()
        return window
