"""`ClientSearchTableModel`: the rows of a client search (name, MRN, date of birth) for a QTableView.

The model holds the frozen `ClientSearchRow`s that `clinic.clients.search(text)` returned (at most
50: the search sorts and limits in SQL) and never queries per row. `client_id(row)` gives the id a
view needs to open a chart; names are only ever shown, never stored elsewhere.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from iopdesk.services.clients import ClientSearchRow

_Index = QModelIndex | QPersistentModelIndex

NAME, MRN, DOB = range(3)


class ClientSearchTableModel(QAbstractTableModel):
    """Search results over ClientSearchRow values; columns Name, MRN, Date of birth."""

    ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[ClientSearchRow] = []
        self._headers = (self.tr("Name"), self.tr("MRN"), self.tr("Date of birth"))

    def set_rows(self, rows: list[ClientSearchRow]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def client_id(self, row: int) -> str | None:
        return self._rows[row].id if 0 <= row < len(self._rows) else None

    def row_value(self, row: int) -> ClientSearchRow | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- Qt overrides -----------------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if column == NAME:
                return row.display_name
            if column == MRN:
                return row.mrn
            if column == DOB:
                return row.dob.strftime("%m/%d/%Y") if row.dob else ""
            return None
        if role == Qt.ItemDataRole.ToolTipRole and column == NAME and row.preferred_name:
            return self.tr("Legal name: {name}").format(name=row.legal_name)
        if role == self.ID_ROLE:
            return row.id
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return section + 1

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
