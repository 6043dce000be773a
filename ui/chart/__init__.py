"""The client chart: one top-level `ClientChartWindow` per client and its tabs (overview, notes,
treatment plan, family, medications, measures, consents, discharge), each a small widget module.

The tabs share `ChartFormDialog` and `make_table_view` from here, and `RowsTableModel` from
`ui.rows_model` (re-exported).
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel

from ui.dates import date_text
from ui.rows_model import Column, RowsTableModel

__all__ = ["ChartFormDialog", "Column", "RowsTableModel", "date_text", "make_table_view"]



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

    `ChartFormDialog.build(parent, title, fields, submit, check=None)` returns a QDialog with a
    form of (key, label, widget) rows, a hidden error label under each, and Save/Cancel. Save first
    checks the date and time fields (`ui.date_fields.entries_ready`: text that is not a date stops
    it, with the message under that field), then calls `submit()`; a domain error is shown under
    the field it names (or above the buttons) and that field gets the focus; success closes the
    dialog, and `submit()` returning False (e.g. the attestation cancelled) leaves it open as it
    is. A message goes when its cause is fixed: editing a field asks `check()` (the domain's check,
    writing nothing) again when given, else hides that field's own message. The dialog has
    `.fields`, `.errors`, `.message_label` and `.save_button` for tests and callers.
    """

    @staticmethod
    def build(parent, title: str, fields, submit, check=None):
        from PySide6.QtWidgets import (
            QDialog,
            QDialogButtonBox,
            QFormLayout,
            QLabel,
            QVBoxLayout,
        )

        from iopdesk.errors import IopDeskError
        from ui.date_fields import EntryField, entries_ready
        from ui.field_messages import grow_to_fit, recheck, when_changed
        from ui.operations import user_message

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
            if not entries_ready(w for w in dialog.fields.values() if isinstance(w, EntryField)):
                return
            try:
                done = submit()
            except IopDeskError as error:
                label = dialog.errors.get(error.field or "")
                target = label if label is not None else dialog.message_label
                target.setText(user_message(error))
                target.show()
                grow_to_fit(dialog)
                if label is not None:
                    dialog.fields[error.field].setFocus()
                return
            if done is not False:
                dialog.accept()

        def edited(key: str) -> None:
            entries = (w for w in dialog.fields.values() if isinstance(w, EntryField))
            if check is not None and all(w.problem() is None for w in entries):
                recheck(check, dialog.errors, dialog.message_label)
            else:  # no check, or a date/time that the domain cannot be asked about yet
                dialog.errors[key].hide()

        for key, widget in dialog.fields.items():
            when_changed(widget, lambda k=key: edited(k))
        buttons.accepted.connect(save)
        buttons.rejected.connect(dialog.reject)
        if fields:
            fields[0][2].setFocus()
        return dialog
