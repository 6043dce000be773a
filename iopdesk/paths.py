"""Where a workstation keeps its clinic: the user data folder, never the install folder."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "IOPDesk"


def data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def log_dir() -> Path:
    return Path(platformdirs.user_log_dir(APP_NAME, appauthor=False))


def backup_dir() -> Path:
    """Where scheduled and on-demand backups go unless told otherwise."""
    return data_dir() / "backups"


def default_db_url() -> str:
    """`IOPDESK_DB` if set, else the demo/default clinic file in the user data folder."""
    env = os.environ.get("IOPDESK_DB")
    if env:
        return env
    return "sqlite:///" + str(data_dir() / "clinic.sqlite")
