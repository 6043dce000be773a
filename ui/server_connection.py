"""Telling the person at a workstation that the clinic server is away, and when it is back.

A save or a screen that meets `ConnectionLost` (iopdesk/storage/server_connection.py) reports it to
the one `ServerWatch` of the process (`server_watch()`): it says "connection lost, reconnecting"
(every `ServerBanner` shows), then asks the server whether it answers again, off the GUI thread
(a server that is away may take seconds to refuse), after 1 s, 2 s, 4 s … at most 15 s apart.
When it answers, the banners hide and `reconnected` is emitted: a screen that kept unsaved text
(the note editor) saves it then, with the usual version check. SQLite clinics never report a
lost connection, so nothing here shows for them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtWidgets import QLabel, QWidget

from iopdesk.storage.db import server_reachable

FIRST_PROBE_MS = 1000
LONGEST_PROBE_MS = 15000


def _tr(text: str) -> str:
    return QCoreApplication.translate("server_connection", text)


class ServerWatch(QObject):
    """Whether this workstation has lost the clinic server; probes it with backoff until it answers."""

    lost_changed = Signal(bool)
    reconnected = Signal()
    _probed = Signal(bool)

    def __init__(self, probe: Callable[[], bool] = server_reachable, *, first_ms: int = FIRST_PROBE_MS,
                 longest_ms: int = LONGEST_PROBE_MS, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._probe = probe
        self.first_ms = first_ms
        self.longest_ms = longest_ms
        self.lost = False
        self.wait_ms = first_ms
        self._probing = False
        self._timer = QTimer(self, singleShot=True)
        self._timer.timeout.connect(self._ask_server)
        self._probed.connect(self._answered)

    def report_lost(self) -> None:
        """A call met a lost connection: say so (once) and start asking the server with backoff."""
        if self.lost:
            return
        self.lost = True
        self.wait_ms = self.first_ms
        self.lost_changed.emit(True)
        self._timer.start(self.wait_ms)

    def _ask_server(self) -> None:
        if self._probing:
            return
        self._probing = True
        threading.Thread(target=lambda: self._probed.emit(bool(self._probe())), daemon=True,
                         name="server-probe").start()

    def _answered(self, reachable: bool) -> None:
        self._probing = False
        if not self.lost:
            return
        if not reachable:
            self.wait_ms = min(self.longest_ms, self.wait_ms * 2)
            self._timer.start(self.wait_ms)
            return
        self.lost = False
        self.lost_changed.emit(False)
        self.reconnected.emit()


_watch: list[ServerWatch] = []


def server_watch() -> ServerWatch:
    """The process's one ServerWatch (made on first use, owned by the application)."""
    if not _watch:
        _watch.append(ServerWatch(parent=QCoreApplication.instance()))
    return _watch[0]


class ServerBanner(QLabel):
    """A strip shown while the clinic server is away: what happened, and that the text is kept."""

    def __init__(self, watch: ServerWatch | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("serverConnectionBanner")
        self.setWordWrap(True)
        self.setMargin(6)
        self.setStyleSheet("#serverConnectionBanner { background: #fff4ce; color: #3b2f00;"
                           " border: 1px solid #d8b600; }")
        self.setText(_tr("Connection to the clinic server lost — reconnecting… What you typed is kept, "
                         "and saved when the server is back."))
        self.setAccessibleName(_tr("Clinic server connection"))
        watch = watch if watch is not None else server_watch()
        watch.lost_changed.connect(self.setVisible)
        self.setVisible(watch.lost)
