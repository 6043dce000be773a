"""Per-user UI state (window geometry, later splitters and recent client ids, never names).

Everything the UI remembers about one person's workstation goes through `ui_settings()`, a
QSettings in the user scope of the "IOP Desk" organisation; clinic-wide settings live in the
database instead. Widgets take an optional QSettings so tests can hand them an isolated file.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "IOP Desk"
APPLICATION = "IOP Desk"


def ui_settings() -> QSettings:
    """The signed-in person's UI settings (registry on Windows, an .ini/.conf file elsewhere)."""
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)
