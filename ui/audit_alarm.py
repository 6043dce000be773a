"""The red banner a workstation shows when its audit trail does not verify at start-up.

`install_audit_alarm(window)` runs `clinic.audit.startup_check()` (fast: only this site's events
since the last check, and the trail against this workstation's anchor) and, if the trail is broken or the audit key is missing, adds a red,
unmovable bar across the top of the main window naming the problem and what to do. It holds no
client information. Nothing is shown when the trail verifies.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMainWindow, QSizePolicy, QToolBar

ALARM_STYLE = "background: #b00020; color: white; font-weight: bold; padding: 6px;"


def alarm_text(problem: str) -> str:
    return ("Audit trail alarm: " + problem.rstrip(".") + ". Tell the clinic's administrator now; "
            "Admin ▸ Audit lists what was found, and `iopdesk check` checks the whole trail.")


def install_audit_alarm(window: QMainWindow) -> QToolBar | None:
    """Check the trail; on a problem add and return the banner (also `window.audit_alarm`)."""
    try:
        report = window.clinic.audit.startup_check()
        problem = "" if report.ok else report.problem
    except Exception as error:  # noqa: BLE001 - an unreadable trail is an alarm too
        problem = str(error) or type(error).__name__
    window.audit_alarm = None
    if not problem:
        return None
    bar = QToolBar(window.tr("Audit alarm"), window, objectName="auditAlarm")
    bar.setMovable(False)
    bar.setFloatable(False)
    label = QLabel(alarm_text(problem), objectName="auditAlarmText")
    label.setWordWrap(True)
    label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
    bar.setStyleSheet("QToolBar { background: #b00020; border: 0; }")
    label.setStyleSheet(ALARM_STYLE)
    label.setAccessibleName(window.tr("Audit trail alarm"))
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    bar.addWidget(label)
    window.addToolBar(Qt.ToolBarArea.TopToolBarArea, bar)
    window.audit_alarm = bar
    return bar
