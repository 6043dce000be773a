"""Per-user UI state: window geometry, later splitters and recent client ids.

Everything the UI remembers about one person's workstation goes through `ui_settings()`, a
QSettings in the user scope of the "IOP Desk" organisation, never holding client names;
clinic-wide settings live in the database instead (the idle-lock minutes among them). Widgets
take an optional QSettings so tests can hand them an isolated file.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QSettings

_log = logging.getLogger(__name__)

ORGANIZATION = "IOP Desk"
APPLICATION = "IOP Desk"


def ui_settings() -> QSettings:
    """The signed-in person's UI settings (registry on Windows, an .ini/.conf file elsewhere)."""
    return QSettings(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, ORGANIZATION, APPLICATION)


# Where idle-lock minutes were kept before they became the clinic's program rule
# `workstation.idle_lock_minutes` (iopdesk.services.settings): a value left there is not read.
IDLE_MINUTES_KEY = "lock/idle_minutes"


def forget_idle_minutes(settings: QSettings) -> None:
    """Remove a per-user idle-lock value left by an older version, saying so in the log once: the
    lock now follows the clinic's setting, which any user could otherwise believe they had changed."""
    if settings.contains(IDLE_MINUTES_KEY):
        _log.info("Ignoring and removing %s=%r from the user's settings file; the idle lock follows the "
                  "clinic's setting", IDLE_MINUTES_KEY, settings.value(IDLE_MINUTES_KEY))
        settings.remove(IDLE_MINUTES_KEY)
