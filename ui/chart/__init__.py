"""The client chart: one top-level `ClientChartWindow` per client and its tabs (overview, notes,
treatment plan, family, medications, measures, consents, discharge), each a small widget module.

This package module also holds `RowsTableModel`, the read-only table model the chart tabs share:
it shows a list of frozen view rows (what a service returned, already sorted in SQL) through
a tuple of (header, cell function) columns, so no tab builds a widget per row.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

_Index = QModelIndex | QPersistentModelIndex
Column = tuple[str, Callable[[Any], Any]]


def date_text(value) -> str:
    """A date (or datetime) as the clinic writes it: MM/DD/YYYY; blank for None."""
    if value is None:
        return ""
    return value.strftime("%m/%d/%Y %H:%M") if hasattr(value, "hour") else value.strftime("%m/%d/%Y")


class RowsTableModel(QAbstractTableModel):
    """Read-only rows of frozen view objects; `row_value(i)` gives the object behind a row."""

    def __init__(self, columns: Sequence[Column], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns = tuple(columns)
        self._rows: list[Any] = []

    def set_rows(self, rows: Sequence[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_value(self, row: int):
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def rows(self) -> list[Any]:
        return list(self._rows)

    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self._columns[index.column()][1](self._rows[index.row()])
            return "" if value is None else str(value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section][0] if 0 <= section < len(self._columns) else None
        return section + 1

    def flags(self, index: _Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren


def make_table_view(model: QAbstractTableModel, name: str, parent=None):
    """A row-selecting, read-only QTableView over `model` with an accessible name."""
    from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView

    view = QTableView(parent)
    view.setModel(model)
    view.setAccessibleName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setTabKeyNavigation(False)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    view.horizontalHeader().setStretchLastSection(True)
    return view


class ChartFormDialog:
    """Builds the small record dialogs of the chart tabs (add consent, add contact, change dose…).

    `ChartFormDialog.build(parent, title, fields, submit)` returns a QDialog with a form of
    (key, label, widget) rows, a hidden error label under each, and Save/Cancel. Save calls
    `submit()`; a domain error is shown under the field it names (or above the buttons) and that
    field gets the focus; success closes the dialog. The dialog has `.fields`, `.errors`,
    `.message_label` and `.save_button` for tests and callers.
    """

    @staticmethod
    def build(parent, title: str, fields, submit):
        from PySide6.QtWidgets import (
            QDialog,
            QDialogButtonBox,
            QFormLayout,
            QLabel,
            QVBoxLayout,
        )

        from iopdesk.errors import IopDeskError

        from ..operations import user_message

        dialog = QDialog(parent)
        dialog.setWindowTitle(title)
        dialog.fields = {}
        dialog.errors = {}
        form = QFormLayout()
        for key, label_text, widget in fields:
            label = QLabel(label_text)
            label.setBuddy(widget)
            if not widget.accessibleName():
                widget.setAccessibleName(label_text.replace("&", "").rstrip(":"))
            error = QLabel()
            error.setObjectName(f"{key}Error")
            error.setWordWrap(True)
            error.setProperty("fieldError", True)
            font = error.font()
            font.setBold(True)
            error.setFont(font)
            error.hide()
            form.addRow(label, widget)
            form.addRow("", error)
            dialog.fields[key] = widget
            dialog.errors[key] = error
        dialog.message_label = QLabel()
        dialog.message_label.setWordWrap(True)
        dialog.message_label.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel)
        dialog.save_button = buttons.button(QDialogButtonBox.StandardButton.Save)
        layout = QVBoxLayout(dialog)
        layout.addLayout(form)
        layout.addWidget(dialog.message_label)
        layout.addWidget(buttons)

        def save() -> None:
            for error_label in dialog.errors.values():
                error_label.hide()
            dialog.message_label.hide()
            try:
                submit()
            except IopDeskError as error:
                label = dialog.errors.get(error.field or "")
                target = label if label is not None else dialog.message_label
                target.setText(user_message(error))
                target.show()
                if label is not None:
                    dialog.fields[error.field].setFocus()
                return
            dialog.accept()

        buttons.accepted.connect(save)
        buttons.rejected.connect(dialog.reject)
        if fields:
            fields[0][2].setFocus()
        return dialog
