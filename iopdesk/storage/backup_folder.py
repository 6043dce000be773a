"""The backup folder as storage reads it: which files are rotated backups (named
clinic-YYYYMMDD-HHMMSS.sqlite, UTC), when each was taken, and the newest one that passes its check.

It sits in storage, below iopdesk/backup/, because refusing a damaged clinic file
(storage/integrity.py) names the backup to restore; writing, rotating and restoring backups stay
in iopdesk/backup/copies.py.
"""

from __future__ import annotations

import datetime as dt
import re
import sqlite3
from pathlib import Path

from iopdesk.storage.file_kind import is_encrypted_file

NAME_PATTERN = re.compile(r"^clinic-(\d{8})-(\d{6})\.sqlite$")


def backup_name(when: dt.datetime) -> str:
    """The file name of a backup taken at `when` (UTC)."""
    return f"clinic-{when:%Y%m%d-%H%M%S}.sqlite"


def backup_time(path: Path) -> dt.datetime | None:
    """When a rotated backup was taken (UTC), from its name; None for other files."""
    match = NAME_PATTERN.match(Path(path).name)
    if not match:
        return None
    try:
        return dt.datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S")
    except ValueError:
        return None


def backups_in(folder: Path) -> list[Path]:
    """The rotated backups in `folder`, newest first."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    found = [(when, path) for path in folder.iterdir() if (when := backup_time(path)) is not None]
    return [path for _, path in sorted(found, reverse=True)]


def is_good_backup(path: Path) -> bool:
    """Whether a backup file opens and passes quick_check (an encrypted one cannot be checked
    without its passphrase and counts as good if it is not empty)."""
    path = Path(path)
    if is_encrypted_file(path):
        return path.stat().st_size > 0
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            return [row[0] for row in connection.execute("PRAGMA quick_check")] == ["ok"]
        finally:
            connection.close()
    except sqlite3.Error:
        return False


def latest_good_backup(folder: Path) -> Path | None:
    """The newest rotated backup in `folder` that passes its check, or None."""
    return next((path for path in backups_in(folder) if is_good_backup(path)), None)
