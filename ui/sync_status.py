"""`SyncStatusLabel`: the main window's status bar note of where site sync stands.

It reads `clinic.sync.status()` (fast, no permission needed) and says e.g. "Synced 11/24/2026
14:02 · 3 pending · 1 conflict", or "Never synced". It is shown only where sync matters: on a
satellite, or on the main clinic once a satellite has synced with it. It reads the status again
after every change announced on the window's Operations and once a minute; clicking it (or
pressing Enter/Space when it has the focus) asks for the Admin section, where sync is run.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QLabel, QWidget

from ui.dates import stamp_text
from ui.operations import Operations

log = logging.getLogger(__name__)
REFRESH_MS = 60_000


class SyncStatusLabel(QLabel):
    """Last sync, pending changes and conflicts, in a few words; a click opens Admin."""

    admin_requested = Signal()

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.status = None
        self.setObjectName("syncStatusText")
        self.setAccessibleName(self.tr("Sync status"))
        self.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.timer = QTimer(self, interval=REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self.timer.start()
        ops.changes_applied.connect(lambda _changes: self.refresh())
        self.refresh()

    def refresh(self) -> None:
        """Read the sync status again and show it (or hide while this clinic does not sync)."""
        try:
            status = self.clinic.sync.status()
        except Exception:  # a status note must never break the window; the log has the cause
            log.exception("could not read the sync status")
            self.setText(self.tr("Sync status unavailable"))
            return
        self.status = status
        self.setVisible(bool(status.peers) or not status.is_main)
        self.setText(self.status_text(status))
        self.setToolTip(self.tr("{status}\nOpen Admin (Ctrl+5) to sync now or resolve conflicts.").format(
            status=self.text()))
        self.setProperty("conflicts", status.conflicts > 0)
        self.style().unpolish(self)
        self.style().polish(self)

    def status_text(self, status) -> str:
        parts = [self.tr("Synced {when}").format(when=stamp_text(status.last_sync_at))
                 if status.last_sync_at else self.tr("Never synced")]
        parts.append(self.tr("{n} pending").format(n=status.pending_changes))
        if status.conflicts == 1:
            parts.append(self.tr("1 conflict"))
        elif status.conflicts:
            parts.append(self.tr("{n} conflicts").format(n=status.conflicts))
        return " · ".join(parts)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        if event.button() == Qt.MouseButton.LeftButton:
            self.admin_requested.emit()
        super().mouseReleaseEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Space):
            self.admin_requested.emit()
            return
        super().keyPressEvent(event)
