"""The text pieces of the note editor: a section edit that asks for about six lines, a read-only
section sized to its text so a signed note reads like a page, and the default times of a new note.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QPlainTextEdit

from iopdesk.kernel import clock


def bold(font: QFont) -> QFont:
    font.setBold(True)
    return font


class SectionEdit(QPlainTextEdit):
    """One section's text: asks for about six lines, grows with the window."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), self.fontMetrics().lineSpacing() * 6 + 2 * self.frameWidth())


def fit_to_text(edit: QPlainTextEdit) -> None:
    """A read-only section as tall as its text (wrapped lines), so the note reads like a page."""
    edit.setMinimumHeight(0)
    width = max(edit.viewport().width(), 400)
    lines = sum(max(1, edit.fontMetrics().boundingRect(0, 0, width, 10**6, Qt.TextFlag.TextWordWrap,
                                                       block).height() // edit.fontMetrics().lineSpacing())
                for block in edit.toPlainText().split("\n"))
    margins = edit.contentsMargins()
    edit.setFixedHeight(edit.fontMetrics().lineSpacing() * (lines + 1) + margins.top() + margins.bottom()
                        + 2 * edit.frameWidth())


def default_times() -> tuple[dt.time, dt.time]:
    """A 50-minute session ending now (rounded down to 5 minutes); 9:00–9:50 for a note written
    before 7:00 in the morning, when no session has just ended."""
    now = clock.now()
    end = now.replace(minute=now.minute - now.minute % 5, second=0, microsecond=0)
    if end.hour < 7:
        return dt.time(9, 0), dt.time(9, 50)
    return (end - dt.timedelta(minutes=50)).time(), end.time()
