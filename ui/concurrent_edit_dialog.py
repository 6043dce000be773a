"""Both versions of a record when a save lost the race to another workstation.

`ConcurrentEditDialog` shows the domain's "changed by X at T" message and a table field | theirs |
mine built from `ConcurrentEdit.theirs` and `.mine` (nested values such as a note's sections get
one row each; rows that differ are bold). "Keep theirs (reload)" accepts the dialog: the screen
that opened it reloads the record as stored. "Copy mine, keep editing" puts this workstation's
values on the clipboard as "Field:" paragraphs and emits `mine_kept`: the screen keeps them in
its form and re-reads the record's version, so saving again (knowingly) replaces theirs.
`resolve_concurrent_edit` is the one way a screen opens it; `with_versions` fills in both versions
for saves whose refusal carries none (an edit under a treatment plan bumps only the plan's
version). Invariant: the dialog never writes to the clinic; the screen decides what each choice
means, and until one is made the screen keeps the version it read, so a second save is refused
again rather than overwriting.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from iopdesk.errors import ConcurrentEdit
from ui.dates import date_text, stamp_text, time_text


def value_text(value: object) -> str:
    """A stored value as a person reads it: dates MM/DD/YYYY, times HH:MM, nothing for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime | dt.date):
        return date_text(value)
    if isinstance(value, dt.time):
        return time_text(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(value_text(v) for v in value)
    return str(value)


def version_rows(error: ConcurrentEdit, labels: dict[str, str | None] | None = None
                 ) -> list[tuple[str, str, str]]:
    """(field label, theirs, mine) for each field the save touched; a nested dict gives one row
    per key. `labels` names fields and keys (a None label hides the field, e.g. an internal id)."""
    labels = labels or {}

    def label(key: str) -> str | None:
        return labels[key] if key in labels else key.replace("_", " ").capitalize()

    rows: list[tuple[str, str, str]] = []
    for key in dict.fromkeys([*error.mine, *error.theirs]):
        name = label(key)
        if name is None:
            continue
        theirs, mine = error.theirs.get(key), error.mine.get(key)
        if isinstance(theirs, dict) or isinstance(mine, dict):
            theirs, mine = theirs or {}, mine or {}
            for sub in dict.fromkeys([*mine, *theirs]):
                sub_name = label(sub)
                if sub_name is not None:
                    rows.append((sub_name, value_text(theirs.get(sub)), value_text(mine.get(sub))))
        else:
            rows.append((name, value_text(theirs), value_text(mine)))
    return rows


THEIRS, MINE = "theirs", "mine"


def with_versions(error: ConcurrentEdit, theirs: dict[str, object], mine: dict[str, object]) -> ConcurrentEdit:
    """The same refusal (message, who, when) with both versions as the screen shows them."""
    return ConcurrentEdit(str(error), changed_by=error.changed_by, changed_at=error.changed_at,
                          theirs=theirs, mine=mine)


class ConcurrentEditDialog(QDialog):
    """Shows the other workstation's version next to this one's; accepted means keep theirs,
    `mine_kept` means keep mine. `choice` is THEIRS, MINE or None (closed without choosing)."""

    mine_kept = Signal()

    def __init__(self, error: ConcurrentEdit, *, labels: dict[str, str | None] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("concurrentEditDialog")
        self.setWindowTitle(self.tr("Changed on another workstation"))
        self.setAccessibleName(self.tr("Both versions"))
        self.setSizeGripEnabled(True)
        self.rows = version_rows(error, labels)
        self.choice: str | None = None

        self.message_label = QLabel(str(error), objectName="concurrentEditMessage")
        self.message_label.setWordWrap(True)
        when = stamp_text(error.changed_at) if error.changed_at else ""
        theirs_header = self.tr("Theirs ({who}, {when})").format(who=error.changed_by, when=when) if when \
            else self.tr("Theirs ({who})").format(who=error.changed_by)
        self.table = QTableWidget(len(self.rows), 3, objectName="versionsTable")
        self.table.setHorizontalHeaderLabels([self.tr("Field"), theirs_header, self.tr("Mine (not saved)")])
        self.table.setAccessibleName(self.tr("Their version and mine"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        for row, cells in enumerate(self.rows):
            differs = cells[1] != cells[2]
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                if differs:
                    font = QFont(item.font())
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        self.table.resizeRowsToContents()

        self.keep_button = QPushButton(self.tr("&Keep theirs (reload)"), objectName="keepTheirsButton")
        self.copy_button = QPushButton(self.tr("&Copy mine, keep editing"), objectName="copyMineButton")
        self.copy_button.setToolTip(self.tr("Puts your values on the clipboard and leaves them in your form; "
                                            "saving again replaces their version."))
        self.close_button = QPushButton(self.tr("Close"), objectName="closeButton")
        self.keep_button.clicked.connect(self.keep_theirs)
        self.copy_button.clicked.connect(self.copy_mine)
        self.close_button.clicked.connect(self.reject)
        for button in (self.keep_button, self.copy_button, self.close_button):
            button.setAutoDefault(False)
            button.setAccessibleName(button.text().replace("&", ""))
        self.keep_button.setDefault(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.keep_button)
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.message_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(720, 420)

    def mine_text(self) -> str:
        """This workstation's unsaved values as "Field:" paragraphs."""
        return "\n\n".join(f"{name}:\n{mine}" for name, _theirs, mine in self.rows)

    def keep_theirs(self) -> None:
        self.choice = THEIRS
        self.accept()

    def copy_mine(self) -> None:
        """Copy this workstation's values; the first time, tell the screen to keep them."""
        QGuiApplication.clipboard().setText(self.mine_text())
        self.copy_button.setText(self.tr("Copied: yours stay in the form"))
        if self.choice != MINE:
            self.choice = MINE
            self.mine_kept.emit()


def resolve_concurrent_edit(parent: QWidget, error: ConcurrentEdit, labels: dict[str, str | None] | None = None,
                            *, keep_theirs: Callable[[], None],
                            keep_mine: Callable[[], None] | None = None) -> ConcurrentEditDialog:
    """Open (window-modal, without blocking) both versions over `parent`. "Keep theirs" calls
    `keep_theirs()` (reload the stored record, drop what was typed); "Copy mine" calls
    `keep_mine()` (leave the form as typed, re-read the version). Returns the open dialog."""
    dialog = ConcurrentEditDialog(error, labels=labels, parent=parent)
    dialog.accepted.connect(keep_theirs)
    if keep_mine is not None:
        dialog.mine_kept.connect(keep_mine)
    dialog.open()
    return dialog
