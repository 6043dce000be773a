"""The checked backup taken before an existing clinic file's schema is upgraded, so an update
never runs without a way back. Here, not in storage/schema.py, because it writes a backup
(iopdesk/backup/copies.py) and storage sits below backup; `open_clinic` and `iopdesk migrate`
call it right before `schema.upgrade`.
"""

from __future__ import annotations

import logging
from pathlib import Path

import peewee

from iopdesk.backup.copies import backup_to_folder
from iopdesk.errors import DatabaseUnavailable, IopDeskError
from iopdesk.paths import backup_dir
from iopdesk.storage.schema import schema_status


def backup_before_upgrade(db: peewee.Database, folder: Path | None = None) -> Path | None:
    """Back up an existing SQLite clinic file that has pending migrations, before they run.

    Returns the checked backup's path, or None when nothing is pending, the file is a new clinic
    (no migration applied yet), the database is PostgreSQL, or a newer IOP Desk wrote it (upgrade
    refuses that untouched). `folder` defaults to the backup folder in the user data folder.
    Raises DatabaseUnavailable naming the reason when the backup cannot be made: the schema is
    then not changed, so an update never runs without a way back.
    """
    if not isinstance(db, peewee.SqliteDatabase) or db.database in ("", ":memory:"):
        return None
    status = schema_status(db)
    if not status.applied or not status.pending or status.unknown:
        return None
    target = Path(folder) if folder is not None else backup_dir()
    try:
        report = backup_to_folder(db, target, rotate=False)
    except IopDeskError as exc:
        raise DatabaseUnavailable(
            f"This version of IOP Desk updates the clinic database {db.database} (schema version "
            f"{status.version} to {status.latest}) and backs it up first, but the backup failed: {exc} "
            "The clinic was not changed.") from None
    logging.getLogger(__name__).info("backed up before migrating schema %s to %s: %s",
                                     status.version, status.latest, report.path.name)
    return report.path
