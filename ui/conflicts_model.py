"""`ConflictsTableModel`: the sync conflicts an administrator settles, one row each.

It shows the `ConflictView` rows `clinic.sync.conflicts()` returned (oldest first, already
filtered in SQL), in the clinic's words the domain gave them (iopdesk.sync.words): the client,
the record ("progress note of 11/30/2026"), the field, "mine" (the value this site's record holds
now) and "theirs" (the other value, set aside), the sites each came from (codes; names, who and
when in the tooltip), when the conflict was found and whether it is still waiting. Long values
are cut to a cell; the full value is in the tooltip. Never a table name or a record id.
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


def _field_text(conflict) -> str:
    if conflict.kind == "edited":
        return conflict.field_label
    kind = {"deleted": _tr("deleted at one site"), "immutable": _tr("signed record"),
            "refused": _tr("entered at two sites")}.get(conflict.kind, conflict.kind)
    return kind if conflict.field in ("", "*") else f"{conflict.field_label} ({kind})"


def _status_text(conflict) -> str:
    if conflict.status == "pending":
        return _tr("waiting")
    kept = {"kept": _tr("kept mine"), "other": _tr("took theirs")}.get(conflict.resolution or "", conflict.resolution or "")
    return _tr("{kept} ({who})").format(kept=kept, who=conflict.resolved_by or "?") if kept else conflict.status


def _site_code(label: str) -> str:
    """ "North clinic (NORTH)" → "NORTH"; other labels ("this site") as they are."""
    match = re.search(r"\(([^()]+)\)$", label or "")
    return match.group(1) if match else label


def _side_tip(text: str, by: str, site: str, when) -> str:
    return _tr("{value}\n{by}, {site}, {when}").format(value=text, by=by, site=site, when=stamp_text(when))


COLUMNS = (
    ("Client", lambda c: c.client or _tr("(no client)")),
    ("Record", lambda c: c.what[:1].upper() + c.what[1:]),
    ("Field", _field_text),
    ("Mine (held here now)", lambda c: c.mine_text),
    ("Theirs (set aside)", lambda c: c.theirs_text),
    ("Sites (mine / theirs)", lambda c: f"{_site_code(c.kept_site)} / {_site_code(c.other_site)}"),
    ("Found", lambda c: stamp_text(c.detected_at)),
    ("Status", _status_text),
)
MINE, THEIRS, SITES = 3, 4, 5


class ConflictsTableModel(QAbstractTableModel):
    """Read-only rows of ConflictView; `conflict_at(row)` gives the conflict behind a row.

    Invariant: rows are exactly what the service last returned, in its order."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list = []

    def set_conflicts(self, conflicts: Sequence) -> None:
        """Show `conflicts` (ConflictViews, in the service's order)."""
        self.beginResetModel()
        self._rows = list(conflicts)
        self.endResetModel()

    def conflict_at(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, conflict_id: str) -> int:
        return next((i for i, c in enumerate(self._rows) if c.id == conflict_id), -1)

    def pending_count(self) -> int:
        return sum(1 for c in self._rows if c.status == "pending")

    def _cell(self, conflict, column: int) -> str:
        return COLUMNS[column][1](conflict)

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
            if index.column() == MINE:
                return _side_tip(conflict.mine_text, conflict.mine_by, conflict.kept_site,
                                 conflict.mine_at or conflict.detected_at)
            if index.column() == THEIRS:
                return _side_tip(conflict.theirs_text, conflict.theirs_by, conflict.other_site,
                                 conflict.theirs_at or conflict.detected_at)
            if index.column() == SITES:
                return _tr("Mine: {mine}\nTheirs: {theirs}").format(mine=conflict.kept_site, theirs=conflict.other_site)
            return self._cell(conflict, index.column())
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
