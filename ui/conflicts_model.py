"""`ConflictsTableModel`: the sync conflicts an administrator settles, one row each.

It shows the `ConflictView` rows `clinic.sync.conflicts()` returned (oldest first, already
filtered in SQL): the record, the field, the value kept now, the other site's value, which sites
they came from (site codes; the names are in the tooltip), when the conflict was detected and whether it is still waiting. Values are shown
as short text (blank values as "(blank)"); the full value is in the tooltip. Stamps go through
`ui.dates`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)

from ui.dates import stamp_text

_Index = QModelIndex | QPersistentModelIndex
MAX_CELL = 80


def _tr(text: str) -> str:
    return QCoreApplication.translate("ConflictsTableModel", text)


def value_text(value: object) -> str:
    """A stored value as a person reads it: blank and missing values say so."""
    if value is None or value == "":
        return _tr("(blank)")
    if isinstance(value, bool):
        return _tr("yes") if value else _tr("no")
    return " ".join(str(value).split())


def _field_text(conflict) -> str:
    field = "" if conflict.field in ("", "*") else conflict.field.replace("_", " ")
    if conflict.kind == "edited":
        return field
    kind = {"deleted": _tr("deleted"), "immutable": _tr("signed record"),
            "refused": _tr("refused")}.get(conflict.kind, conflict.kind)
    return f"{field} ({kind})" if field else kind


def _status_text(conflict) -> str:
    if conflict.status == "pending":
        return _tr("waiting")
    kept = {"kept": _tr("kept current value"), "other": _tr("used other value")}.get(
        conflict.resolution or "", conflict.resolution or "")
    return _tr("{kept} ({who})").format(kept=kept, who=conflict.resolved_by or "?") if kept else conflict.status


def _site_code(label: str) -> str:
    """ "North clinic (NORTH)" → "NORTH"; other labels ("this site") as they are."""
    match = re.search(r"\(([^()]+)\)$", label or "")
    return match.group(1) if match else label


COLUMNS = (
    ("Record", lambda c: c.what.capitalize()),
    ("Field", _field_text),
    ("Value kept", lambda c: value_text(c.kept_value)),
    ("Other value", lambda c: value_text(c.other_value)),
    ("Sites (kept / other)", lambda c: f"{_site_code(c.kept_site)} / {_site_code(c.other_site)}"),
    ("Detected", lambda c: stamp_text(c.detected_at)),
    ("Status", _status_text),
)


class ConflictsTableModel(QAbstractTableModel):
    """Read-only rows of ConflictView; `conflict_at(row)` gives the conflict behind a row.

    Invariant: rows are exactly what the service last returned, in its order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list = []
        self._labels: dict[str, str] = {}

    def set_conflicts(self, conflicts: Sequence, labels: dict[str, str] | None = None) -> None:
        """Show `conflicts`; `labels` may name records by row id ("Ann Lee (MAIN-000001)")."""
        self.beginResetModel()
        self._rows = list(conflicts)
        self._labels = dict(labels or {})
        self.endResetModel()

    def conflict_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, conflict_id: str) -> int:
        return next((i for i, c in enumerate(self._rows) if c.id == conflict_id), -1)

    def pending_count(self) -> int:
        return sum(1 for c in self._rows if c.status == "pending")

    def _cell(self, conflict, column: int) -> str:
        text = COLUMNS[column][1](conflict)
        label = self._labels.get(conflict.row_id) if column == 0 else None
        return f"{text}: {label}" if label else text

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)) or index.column() >= len(COLUMNS):
            return None
        conflict = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            text = self._cell(conflict, index.column())
            return text if len(text) <= MAX_CELL else text[:MAX_CELL - 1] + "…"
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self._cell(conflict, index.column())
            if index.column() == 0:
                text += "\n" + _tr("Record id: {id}").format(id=conflict.row_id)
            elif index.column() == 4:
                text = _tr("Kept: {kept}\nOther: {other}").format(kept=conflict.kept_site, other=conflict.other_site)
            return text
        if role == Qt.ItemDataRole.UserRole:
            return conflict.id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _tr(COLUMNS[section][0]) if 0 <= section < len(COLUMNS) else None
        return section + 1

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
