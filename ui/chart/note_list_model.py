"""The table model behind a client's list of notes: date, type, format, minutes, author, status.

It holds the rows the note service returns for one client (`NoteListItem`: never any narrative,
so a biller may see the list), newest first as the service orders them in SQL. `reload()` fetches
them again; `note_at(row)` gives the item behind a row, for opening or co-signing it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QObject, Qt

from iopdesk import Clinic
from iopdesk.services.notes.service import NoteListItem
from ui.dates import date_text

COLUMNS = ("date", "kind", "format", "minutes", "author", "status")
NOTE_ID_ROLE = Qt.ItemDataRole.UserRole + 1
_ROLES = frozenset((Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole,
                    Qt.ItemDataRole.TextAlignmentRole, NOTE_ID_ROLE))


def _tr(text: str) -> str:
    return QCoreApplication.translate("NoteListTableModel", text)


def kind_label(kind: str) -> str:
    """A note type as the clinic says it ("Medication management", not "med_management")."""
    return {
        "individual": _tr("Individual"),
        "group": _tr("Group"),
        "family": _tr("Family"),
        "med_management": _tr("Medication management"),
        "case_management": _tr("Case management"),
    }.get(kind, kind.replace("_", " ").capitalize())


def status_label(status: str) -> str:
    return {
        "draft": _tr("Draft"),
        "signed": _tr("Signed"),
        "awaiting_cosign": _tr("Awaiting co-signature"),
        "cosigned": _tr("Co-signed"),
    }.get(status, status.replace("_", " ").capitalize())


class NoteListTableModel(QAbstractTableModel):
    """One client's notes, newest first. Invariant: rows hold no narrative text."""

    def __init__(self, clinic: Clinic, client_id: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.client_id = client_id
        self._rows: list[NoteListItem] = []
        self._text: list[tuple[str, ...]] = []
        self.reload()

    def reload(self) -> None:
        """Fetch the client's notes again from the service."""
        rows = self.clinic.notes.list_for_client(self.client_id)
        self.beginResetModel()
        self._rows = rows
        # The view asks for every cell many times while it sizes columns: the words are made once.
        self._text = [(date_text(item.service_date), kind_label(item.kind), item.note_format, str(item.minutes),
                       item.author, status_label(item.status)) for item in rows]
        self.endResetModel()

    def column_texts(self, column: int) -> list[str]:
        """The words `column` shows on every row (for sizing it)."""
        return [text[column] for text in self._text]

    def note_at(self, row: int) -> NoteListItem | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, note_id: str) -> int:
        """The row showing `note_id`, or -1."""
        return next((i for i, item in enumerate(self._rows) if item.id == str(note_id)), -1)

    # -- Qt model interface ---------------------------------------------------------------
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Vertical:
            return section + 1
        titles = (_tr("Date"), _tr("Type"), _tr("Format"), _tr("Minutes"), _tr("Author"), _tr("Status"))
        return titles[section] if 0 <= section < len(titles) else None

    def data(self, index: QModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role not in _ROLES or not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if role == Qt.ItemDataRole.DisplayRole or role == Qt.ItemDataRole.AccessibleTextRole:
            return self._text[index.row()][index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if COLUMNS[index.column()] == "minutes":
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return None
        return self._rows[index.row()].id  # NOTE_ID_ROLE
