"""The Admin page's tab widget: each part of the Admin page that a role may see adds its tab to it.

`admin_tabs(body)` gives the tabs to add to: `body` itself when it already is them, else new tabs
with `body` (the sync panel, when there is one) as their first, "Sync" tab.
"""

from __future__ import annotations

from PySide6.QtWidgets import QTabWidget, QWidget

OBJECT_NAME = "adminTabs"


def admin_tabs(body: QWidget | None) -> QTabWidget:
    """The Admin tabs holding `body` (which may already be them, another widget or None)."""
    if isinstance(body, QTabWidget) and body.objectName() == OBJECT_NAME:
        return body
    tabs = QTabWidget(objectName=OBJECT_NAME)
    if body is not None:
        tabs.addTab(body, tabs.tr("S&ync"))
    return tabs
