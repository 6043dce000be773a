"""Per-user UI state: window geometry, idle-lock minutes, later splitters and recent client ids.

Everything the UI remembers about one person's workstation goes through `ui_settings()`, a
QSettings in the user scope of the "IOP Desk" organisation, never holding client names;
clinic-wide settings live in the database instead. Widgets take an optional QSettings so
tests can hand them an isolated file.
"""

from __future__ import annotations

from PySide6.QtCore import QSettings

ORGANIZATION = "IOP Desk"
APPLICATION = "IOP Desk"


def ui_settings() -> QSettings:
    """The signed-in person's UI settings (registry on Windows, an .ini/.conf file elsewhere)."""
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


IDLE_MINUTES_KEY = "lock/idle_minutes"
DEFAULT_IDLE_MINUTES = 10


def idle_minutes(settings: QSettings) -> int:
    """Minutes without keyboard or mouse input before the workstation locks (default 10)."""
    try:
        minutes = int(settings.value(IDLE_MINUTES_KEY, DEFAULT_IDLE_MINUTES))
    except (TypeError, ValueError):
        return DEFAULT_IDLE_MINUTES
    return minutes if minutes > 0 else DEFAULT_IDLE_MINUTES
