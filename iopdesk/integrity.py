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

from .errors import DatabaseDamaged


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
    from .storage_errors import ReadOnlyDatabase

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


def check_at_open(db: peewee.Database, *, backups: Path | None = None) -> None:
    """Raise DatabaseDamaged (nothing written) when the SQLite clinic file fails quick_check;
    the message names the latest good backup in `backups` (default: the user's backup folder).
    ReadOnlyDatabase (a DatabaseUnavailable) when the file or its folder cannot be written."""
    if not isinstance(db, peewee.SqliteDatabase) or db.database in ("", ":memory:"):
        return
    refuse_read_only(Path(db.database))
    result = quick_check(db)
    if result == ["ok"]:
        return
    from .backup import latest_good_backup
    from .paths import backup_dir

    db.close()
    backup = latest_good_backup(backups if backups is not None else backup_dir())
    found = "; ".join(result[:3])
    if backup is None:
        advice = ("No good backup was found in the backup folder: ask your administrator to restore "
                  "the clinic from a copy kept elsewhere.")
    else:
        advice = (f"The latest good backup is {backup}. To restore it into a new file, run: "
                  f"iopdesk restore \"{backup}\" --to NEWFILE, then open NEWFILE.")
    raise DatabaseDamaged(
        f"The clinic database {db.database} is damaged ({found}). IOP Desk will not write to it. "
        + advice, backup=backup)
