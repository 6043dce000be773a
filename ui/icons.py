"""The program's icon, for the main window, the application, the About box and the self-test: one
place that loads it, below the windows that show it (the About box must not import the main window)."""

from __future__ import annotations

from PySide6.QtGui import QIcon

import resources


def app_icon() -> QIcon:
    """IOP Desk's icon (resources/icons/iopdesk.svg)."""
    return QIcon(str(resources.path("icons", "iopdesk.svg")))
