"""Quick writes on the GUI thread when the storage refuses them: a busy database, a full disk, a
read-only folder, a damaged file.

The GUI thread's SQLite connection waits only a moment for a lock (`iopdesk.storage.db.set_interactive_thread`),
so a save made while another workstation or program holds the database returns at once with
`DatabaseBusy` instead of freezing the window. `run_with_retry(parent, fn)` runs such a save and,
when the database is busy, asks the person (the domain's own words: another workstation or program
is saving, nothing was saved, what they typed is kept) with "Retry" and "Cancel"; Retry runs the
same `fn` again. A full disk, a read-only file or a damaged file is said once (no retry loop) and
the window stays open. A lost connection to the clinic server is reported to the server watch
(ui/server_connection.py: a "reconnecting" banner, then `reconnected`), not asked about. Invariants: nothing on screen is touched here, so the draft stays exactly as
typed; the storage's refusal never escapes as an exception (the caller gets None); every other
error (a ValidationError, a ConcurrentEdit…) is raised to the caller as before.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QMessageBox, QWidget

from iopdesk.storage.errors import DamagedOnWrite, DatabaseBusy, DiskFull, ReadOnlyDatabase
from iopdesk.storage.server_connection import ConnectionLost, start_of_action
from ui.server_connection import server_watch

T = TypeVar("T")

STORAGE_REFUSALS = (DatabaseBusy, DiskFull, ReadOnlyDatabase, DamagedOnWrite)

_asking: set[int] = set()  # id() of the windows showing the busy question now (no second one on top)


def _tr(text: str) -> str:
    return QCoreApplication.translate("storage_retry", text)


def busy_message_box(parent: QWidget | None, text: str) -> QMessageBox:
    """The question shown when the database is busy: the message, then Retry (default) and Cancel."""
    box = QMessageBox(QMessageBox.Icon.Warning, _tr("Clinic database busy"), text,
                      QMessageBox.StandardButton.Retry | QMessageBox.StandardButton.Cancel, parent)
    box.setObjectName("databaseBusyMessage")
    box.setInformativeText(_tr("Retry saves again now; Cancel keeps your text on screen, unsaved, "
                               "so you can save it later."))
    box.setDefaultButton(QMessageBox.StandardButton.Retry)
    box.setEscapeButton(QMessageBox.StandardButton.Cancel)
    return box


def ask_retry(parent: QWidget | None, text: str) -> bool:
    """Ask whether to try a busy save again; True for Retry."""
    return busy_message_box(parent, text).exec() == QMessageBox.StandardButton.Retry


def show_storage_problem(parent: QWidget | None, text: str) -> None:
    """Say once that the disk is full, the folder read-only or the file damaged."""
    QMessageBox.warning(parent, _tr("Not saved"), text)


def run_with_retry(parent: QWidget | None, fn: Callable[[], T], *, ask: bool = True,
                   on_refused: Callable[[BaseException], None] | None = None) -> T | None:
    """`fn()`'s result, or None when the storage refused it and the person gave up (or `ask` is
    False: an autosave says nothing in a dialog and tries again later). `on_refused(error)` is then
    called, e.g. to show the message inline. Errors other than STORAGE_REFUSALS propagate."""
    key = id(parent)
    while True:
        start_of_action()
        try:
            return fn()
        except DatabaseBusy as error:
            if ask and key not in _asking:
                _asking.add(key)
                try:
                    again = ask_retry(parent, str(error))
                finally:
                    _asking.discard(key)
                if again:
                    continue
            refused: BaseException = error
        except ConnectionLost as error:
            server_watch().report_lost()
            refused = error
        except STORAGE_REFUSALS as error:
            if ask:
                show_storage_problem(parent, str(error))
            refused = error
        if on_refused is not None:
            on_refused(refused)
        return None
