"""The roster of a group session as a table model (and the table view that marks attendance from
single keys), with the attendance the facilitator is marking.

Rows are the service's `RosterRow`s (read through `clinic.groups.roster`); attendance typed in the
window is held as a pending overlay per client until the window saves the session, so the table
shows what the facilitator sees now while the database keeps what was last saved. Minutes shown
are the domain's (`iopdesk.clinical.attendance.minutes_attended`) for what is on screen. Times show in the clinic's
format (`ui.dates.time_text`); the window's time fields read them as a roster does ("0925", "925",
"9:25", "9", and "1:25" as 13:25 in an afternoon session: `iopdesk.kernel.formats.parse_time(within=…)`).
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import QTableView, QWidget

from iopdesk.clinical.attendance import minutes_attended
from iopdesk.clinical.note_rules import SIGNED_STATES
from ui.dates import time_text

STATUS_LABELS = {
    "present": "Present", "late_arrival": "Late", "left_early": "Left early",
    "absent_excused": "Excused", "absent_unexcused": "No-show", "cancelled": "Cancelled",
}
NOTE_LABELS = {"draft": "Draft", "signed": "Signed", "awaiting_cosign": "Awaiting co-sign",
               "cosigned": "Co-signed"}
COLUMNS = ("client", "status", "arrived", "left", "minutes", "note")


class RosterTableModel(QAbstractTableModel):
    """Invariant: one row per client of `clinic.groups.roster(session)`, in the service's order;
    `pending` holds (status, arrived, left) only for clients whose attendance was changed here and
    not saved yet; a row whose note is signed never takes a pending change."""

    attendance_edited = Signal(str)  # client id

    def __init__(self, starts_at: dt.time, ends_at: dt.time, parent=None) -> None:
        super().__init__(parent)
        self.starts_at, self.ends_at = starts_at, ends_at
        self._rows: list = []
        self.pending: dict[str, tuple[str, dt.time | None, dt.time | None]] = {}
        self._headers = (self.tr("Client"), self.tr("Status"), self.tr("Arrived"), self.tr("Left"),
                         self.tr("Min"), self.tr("Note"))

    # -- rows --------------------------------------------------------------------------------
    def set_rows(self, rows: list) -> None:
        """Replace the saved rows (after a read); pending changes of signed rows are dropped."""
        self.beginResetModel()
        self._rows = list(rows)
        signed = {r.client_id for r in self._rows if r.note_status in SIGNED_STATES}
        self.pending = {c: v for c, v in self.pending.items() if c not in signed}
        self.endResetModel()

    def row_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list:
        return list(self._rows)

    def row_of(self, client_id: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.client_id == client_id), -1)

    def is_signed(self, row: int) -> bool:
        found = self.row_at(row)
        return bool(found and found.note_status in SIGNED_STATES)

    # -- attendance being marked ---------------------------------------------------------------
    def attendance(self, row: int) -> tuple[str | None, dt.time | None, dt.time | None]:
        """(status, arrived, left) as shown now: the pending change, else what was saved."""
        found = self.row_at(row)
        if found is None:
            return None, None, None
        if found.client_id in self.pending:
            return self.pending[found.client_id]
        return found.status, found.arrived_at, found.left_at

    def minutes(self, row: int) -> int | None:
        status, arrived, left = self.attendance(row)
        if status is None:
            return None
        return minutes_attended(status, self.starts_at, self.ends_at, arrived, left)

    def set_attendance(self, row: int, status: str, arrived: dt.time | None = None,
                       left: dt.time | None = None) -> bool:
        """Mark a row (refused, returning False, when its note is signed)."""
        found = self.row_at(row)
        if found is None or self.is_signed(row):
            return False
        if status == "late_arrival":
            left = None
            arrived = arrived or self.starts_at
        elif status == "left_early":
            arrived = None
            left = left or self.ends_at
        else:
            arrived = left = None
        self.pending[found.client_id] = (status, arrived, left)
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))
        self.attendance_edited.emit(found.client_id)
        return True

    def set_time(self, row: int, which: str, value: dt.time) -> bool:
        """Set the arrival ("arrived") or departure ("left") of a late or early row."""
        status, arrived, left = self.attendance(row)
        if status == "late_arrival" and which == "arrived":
            return self.set_attendance(row, status, arrived=value)
        if status == "left_early" and which == "left":
            return self.set_attendance(row, status, left=value)
        return False

    def problem(self, row: int) -> str | None:
        """Why a pending change cannot be saved yet, or None."""
        status, arrived, left = self.attendance(row)
        if status == "late_arrival" and (arrived is None or arrived <= self.starts_at or arrived >= self.ends_at):
            return self.tr("Type the arrival time (after {start}).").format(start=time_text(self.starts_at))
        if status == "left_early" and (left is None or left >= self.ends_at or left <= self.starts_at):
            return self.tr("Type the departure time (before {end}).").format(end=time_text(self.ends_at))
        return None

    def ready_entries(self) -> list[tuple[str, str, dt.time | None, dt.time | None]]:
        """Pending changes that can be saved: (client id, status, arrived, left)."""
        out = []
        for row, found in enumerate(self._rows):
            if found.client_id in self.pending and self.problem(row) is None:
                out.append((found.client_id, *self.pending[found.client_id]))
        return out

    # -- Qt ------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(COLUMNS):
            if role == Qt.ItemDataRole.DisplayRole:
                return self._headers[section]
            if role == Qt.ItemDataRole.ToolTipRole and COLUMNS[section] == "minutes":
                return self.tr("Minutes attended")
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or (found := self.row_at(index.row())) is None:
            return None
        row, column = index.row(), COLUMNS[index.column()]
        if role == Qt.ItemDataRole.UserRole:
            return found.client_id
        status, arrived, left = self.attendance(row)
        if role == Qt.ItemDataRole.DisplayRole:
            if column == "client":
                return found.display_name
            if column == "status":
                return self.tr(STATUS_LABELS[status]) if status else ""
            if column == "arrived":
                return time_text(arrived) if status == "late_arrival" and arrived else ""
            if column == "left":
                return time_text(left) if status == "left_early" and left else ""
            if column == "minutes":
                minutes = self.minutes(row)
                return "" if minutes is None else str(minutes)
            return self.tr(NOTE_LABELS.get(found.note_status, found.note_status)) if found.note_status else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            problem = self.problem(row) if found.client_id in self.pending else None
            return problem or f"{found.display_name} · MRN {found.mrn}"
        if role == Qt.ItemDataRole.FontRole and found.client_id in self.pending and column in (
                "status", "arrived", "left", "minutes"):
            font = QFont()
            font.setItalic(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column == "minutes":
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == "client":
            return found.display_name
        return None


STATUS_KEYS = {Qt.Key.Key_P: "present", Qt.Key.Key_L: "late_arrival", Qt.Key.Key_E: "left_early",
               Qt.Key.Key_X: "absent_excused", Qt.Key.Key_U: "absent_unexcused", Qt.Key.Key_C: "cancelled"}


class RosterTableView(QTableView):
    """The roster table; single letter keys mark the current client's attendance."""

    def __init__(self, on_status, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._on_status = on_status

    def keyPressEvent(self, event: QKeyEvent) -> None:
        modifiers = event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        if modifiers in (Qt.KeyboardModifier.NoModifier, Qt.KeyboardModifier.ShiftModifier):
            if event.key() in STATUS_KEYS:
                self._on_status(STATUS_KEYS[Qt.Key(event.key())])
                return
            if event.key() == Qt.Key.Key_Space:
                self._on_status(None)
                return
        super().keyPressEvent(event)
