"""Running domain calls off the GUI thread, and telling every screen what changed.

`Operations.run(fn, ...)` executes `fn` on a QThreadPool worker (Peewee opens a connection per
thread), then calls `on_success(result)` or `on_failure(error)` back on the GUI thread. A result
that is a `Changes` (or a tuple ending in one) is broadcast once as `changes_applied(changes)`, so
each screen refreshes only when its kinds changed. Long work gets a QProgressDialog with Cancel;
the callable receives a `cancelled()` probe when it accepts one. Domain errors reach the user as
their own message; anything else is logged and shown as one plain sentence, never a traceback.
"""

from __future__ import annotations

import inspect
import logging
import threading
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, QRunnable, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QMessageBox, QProgressDialog, QWidget

from iopdesk.errors import IopDeskError
from iopdesk.kernel.changes import Changes
from iopdesk.storage.db import release_thread_connection
from iopdesk.storage.server_connection import ConnectionLost
from ui.server_connection import server_watch

log = logging.getLogger(__name__)


class _Relay(QObject):
    done = Signal(object, object)  # (result, error)


class _Job(QRunnable):
    def __init__(self, fn: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self._fn = fn
        self._relay = relay
        self.setAutoDelete(True)

    def run(self) -> None:
        try:
            result = self._fn()
        except BaseException as exc:  # handed to the GUI thread, never lost in a worker
            outcome = (None, exc)
        else:
            outcome = (result, None)
        finally:
            release_thread_connection()
        self._relay.done.emit(*outcome)


def changes_in(result: Any) -> Changes | None:
    """The Changes a service call returned, whether alone or as the last item of a tuple."""
    if isinstance(result, Changes):
        return result
    if isinstance(result, tuple) and result and isinstance(result[-1], Changes):
        return result[-1]
    return None


def user_message(error: BaseException) -> str:
    """What to show a person for an error: the domain's own words, or one plain sentence."""
    if isinstance(error, IopDeskError):
        return str(error)
    return ("Something went wrong and the action was not completed. Nothing already saved was lost. "
            "Details are in the log.")


class Operations(QObject):
    """The one way the UI runs domain work that may take over ~100 ms."""

    changes_applied = Signal(object)
    busy_changed = Signal(bool)

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self._pool = pool or QThreadPool.globalInstance()
        self._running = 0
        self._relays: set[_Relay] = set()

    @property
    def busy(self) -> bool:
        return self._running > 0

    def run(
        self,
        fn: Callable[..., Any],
        *,
        on_success: Callable[[Any], None] | None = None,
        on_failure: Callable[[BaseException], None] | None = None,
        progress: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """Run `fn` off the GUI thread. With `progress`, show a cancellable progress dialog;
        `fn` may take a keyword `cancelled` (a callable returning True once Cancel is pressed)."""
        cancel_flag = threading.Event()
        call = fn
        if "cancelled" in inspect.signature(fn).parameters:
            def call():
                return fn(cancelled=cancel_flag.is_set)
        dialog = None
        if progress:
            dialog = QProgressDialog(progress, self.tr("Cancel"), 0, 0, parent)
            dialog.setWindowModality(Qt.WindowModality.WindowModal)
            dialog.setMinimumDuration(300)
            dialog.canceled.connect(cancel_flag.set)
        # The relay is released on the next turn of the event loop, not inside its own slot:
        # dropping the last reference there deleted the sender mid-delivery ("Signal source has
        # been deleted", and now and then a worker crash in the test suite).
        relay = _Relay()
        self._relays.add(relay)

        def finished(result: Any, error: BaseException | None) -> None:
            if not shiboken6.isValid(self):  # the window that asked has closed meanwhile
                return
            QTimer.singleShot(0, self, lambda: self._relays.discard(relay))
            self._running -= 1
            if dialog is not None:
                dialog.reset()
                dialog.deleteLater()
            if not self._running:
                self.busy_changed.emit(False)
            if error is not None:
                if isinstance(error, ConnectionLost):
                    server_watch().report_lost()
                if not isinstance(error, IopDeskError):
                    log.error("operation failed", exc_info=(type(error), error, error.__traceback__))
                if on_failure is not None:
                    on_failure(error)
                else:
                    QMessageBox.warning(parent, self.tr("IOP Desk"), user_message(error))
                return
            changes = changes_in(result)
            if on_success is not None:
                on_success(result)
            if changes:
                self.changes_applied.emit(changes)

        relay.done.connect(finished, Qt.ConnectionType.QueuedConnection)
        self._running += 1
        if self._running == 1:
            self.busy_changed.emit(True)
        self._pool.start(_Job(call, relay))

    def announce(self, changes: Changes | None) -> None:
        """Broadcast changes made by a quick call run directly on the GUI thread."""
        if changes:
            self.changes_applied.emit(changes)
