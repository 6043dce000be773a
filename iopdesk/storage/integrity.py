"""Refusing a damaged clinic file when it is opened, and pointing at the backup to restore.

`check_at_open(db)` refuses a clinic file this process cannot write (a read-only file or
folder: better said at open than at the first save), then runs SQLite's `PRAGMA quick_check`
(every page and index structure, in one pass; a few hundred milliseconds for a large clinic)
before anything is written: `open_clinic` calls it right after connecting, before migrations,
so a damaged file is never written to. On failure it raises `DatabaseDamaged` naming the newest
backup that passed its own check. A PostgreSQL clinic is the server's business: nothing is checked here.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import peewee

from iopdesk.errors import DatabaseDamaged


def _driver_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [peewee.DatabaseError, sqlite3.DatabaseError]
    try:
        import sqlcipher3
    except ImportError:
        pass
    else:
        errors.append(sqlcipher3.DatabaseError)
    return tuple(errors)


def quick_check(db: peewee.Database) -> list[str]:
    """SQLite's quick_check lines: ["ok"] for a sound file (a page too damaged to read is
    reported as a line too)."""
    try:
        return [str(row[0]) for row in db.execute_sql("PRAGMA quick_check").fetchall()]
    except _driver_errors() as exc:
        return [" ".join(str(exc).split())]


def refuse_read_only(path: Path) -> None:
    """ReadOnlyDatabase when this process may not write the clinic file or create its journal
    next to it: better said at open than at the first save."""
    from iopdesk.storage.errors import ReadOnlyDatabase

    access = {"effective_ids": True} if os.access in os.supports_effective_ids else {}
    if not os.access(path, os.W_OK, **access):
        raise ReadOnlyDatabase(
            f"The clinic database {path} is read-only: IOP Desk cannot save anything to it. Ask your "
            "administrator to give IOP Desk write access to that file.", field="db")
    if not os.access(path.parent, os.W_OK | os.X_OK, **access):
        raise ReadOnlyDatabase(
            f"The folder {path.parent} is read-only: IOP Desk needs to write the clinic's journal "
            "next to the clinic file. Ask your administrator to give it write access to that folder.",
            field="db")


def damaged_error(path: Path, found: str, *, backups: Path | None = None) -> DatabaseDamaged:
    """The DatabaseDamaged to raise for the damaged clinic file at `path` (`found`: what is wrong),
    naming the latest good backup in `backups` (default: the user's backup folder)."""
    from iopdesk.paths import backup_dir
    from iopdesk.storage.backup_folder import latest_good_backup

    backup = latest_good_backup(backups if backups is not None else backup_dir())
    if backup is None:
        advice = ("No good backup was found in the backup folder: ask your administrator to restore "
                  "the clinic from a copy kept elsewhere.")
    else:
        advice = (f"The latest good backup is {backup}. To restore it into a new file, run: "
                  f"iopdesk restore \"{backup}\" --to NEWFILE, then open NEWFILE.")
    return DatabaseDamaged(
        f"The clinic database {path} is damaged ({found}). IOP Desk will not write to it. " + advice,
        backup=backup)


# quick_check reads every page: about 1.6 s per GB. Above this size the desktop app opens the
# clinic after a light check and runs the full one on a worker at once (`check_deferred`).
DEFER_OVER_BYTES = 256 * 1024 * 1024


def check_at_open(db: peewee.Database, *, backups: Path | None = None, defer_large: bool = False) -> bool:
    """Raise DatabaseDamaged (nothing written) when the SQLite clinic file fails quick_check;
    the message names the latest good backup in `backups` (default: the user's backup folder).
    ReadOnlyDatabase (a DatabaseUnavailable) when the file or its folder cannot be written.
    With `defer_large`, a file over DEFER_OVER_BYTES gets only a light check (its schema reads)
    and False is returned: the caller must run `check_deferred` before trusting it with writes
    for long (writes are refused from the moment that check finds damage). True otherwise."""
    if not isinstance(db, peewee.SqliteDatabase) or db.database in ("", ":memory:"):
        return True
    refuse_read_only(Path(db.database))
    if defer_large and Path(db.database).stat().st_size > DEFER_OVER_BYTES:
        try:
            db.execute_sql("SELECT count(*) FROM sqlite_master").fetchone()
            return False
        except _driver_errors() as exc:
            db.close()
            raise damaged_error(Path(db.database), " ".join(str(exc).split()), backups=backups) from None
    result = quick_check(db)
    if result == ["ok"]:
        return
    db.close()
    raise damaged_error(Path(db.database), "; ".join(result[:3]), backups=backups)


def check_deferred(db: peewee.Database, *, backups: Path | None = None) -> DatabaseDamaged | None:
    """The full check `check_at_open` deferred, run on a worker thread (its own connection):
    None when the file is sound; otherwise every later write to it is refused and the
    DatabaseDamaged naming the latest good backup is returned for the app to show."""
    from iopdesk.storage.errors import refuse_writes

    result = quick_check(db)
    if result == ["ok"]:
        return None
    error = damaged_error(Path(db.database), "; ".join(result[:3]), backups=backups)
    refuse_writes(str(db.database), str(error))
    return error
