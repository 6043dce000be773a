"""`ClientSearchTableModel`: the rows of a client search (name, MRN, date of birth) for a QTableView.

The model holds the frozen `ClientSearchRow`s that `clinic.clients.search(text)` returned (at most
50: the search sorts and limits in SQL) and never queries per row. `client_id(row)` gives the id a
view needs to open a chart; names are only ever shown, never stored elsewhere. It is the shared
`RowsTableModel` with a legal-name tooltip and an id role.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Qt

from ui.dates import date_text
from ui.rows_model import RowsTableModel, _Index

NAME, MRN, DOB = range(3)


class ClientSearchTableModel(RowsTableModel):
    """Search results over ClientSearchRow values; columns Name, MRN, Date of birth."""

    ID_ROLE = Qt.ItemDataRole.UserRole + 1

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__((
            (self.tr("Name"), lambda r: r.display_name),
            (self.tr("MRN"), lambda r: self.tr("{mrn} (merged from {old})").format(mrn=r.mrn, old=r.merged_from)
             if r.merged_from else r.mrn),
            (self.tr("Date of birth"), lambda r: date_text(r.dob)),
        ), parent)

    def client_id(self, row: int) -> str | None:
        value = self.row_value(row)
        return value.id if value else None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        row = self.row_value(index.row()) if index.isValid() else None
        if row is None:
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == NAME and row.preferred_name:
                return self.tr("Legal name: {name}").format(name=row.legal_name)
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            role = Qt.ItemDataRole.DisplayRole
        if role == self.ID_ROLE:
            return row.id
        return super().data(index, role)
