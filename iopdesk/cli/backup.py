"""`iopdesk backup` and `iopdesk restore`: checked backups of a SQLite clinic, restored into a new file.

    iopdesk backup                      a backup in the backup folder, then rotation
    iopdesk backup --out FILE           a backup at FILE (no rotation)
    iopdesk restore FILE --to NEWFILE   check FILE, restore it into NEWFILE (never over a file)

Backups go through SQLite's backup API, so they are safe while the app is in use. An encrypted
clinic needs its passphrase in IOPDESK_DB_PASSPHRASE; its backups stay encrypted. A clinic on
PostgreSQL is backed up with pg_dump: `iopdesk backup` prints the command and exits with status 2.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def add_parsers(sub, common: argparse.ArgumentParser) -> None:
    backup = sub.add_parser(
        "backup", parents=[common], help="write a checked backup of the clinic (safe while in use)",
        description="Write a backup of the clinic with SQLite's backup API, then check it (integrity "
                    "and row counts). Without --out it goes to the backup folder, named "
                    "clinic-YYYYMMDD-HHMMSS.sqlite (UTC), and old backups are rotated.")
    backup.add_argument("--out", metavar="FILE", help="write the backup to FILE (must not exist)")
    backup.add_argument("--folder", metavar="DIR", help="the backup folder (default: 'backups' in the user data folder)")
    backup.add_argument("--keep-daily", type=int, default=7, help="days kept by rotation (default 7)")
    backup.add_argument("--keep-weekly", type=int, default=4, help="weeks kept by rotation (default 4)")
    backup.add_argument("--keep-monthly", type=int, default=12, help="months kept by rotation (default 12)")
    restore = sub.add_parser(
        "restore", help="check a backup and restore it into a new clinic file",
        description="Check a backup (integrity, schema, audit trail) and restore it into a NEW file; "
                    "an existing file is never overwritten. The restored clinic gets a new identity "
                    "so sync peers send it what the backup lacks.")
    restore.add_argument("file", metavar="FILE", help="the backup file")
    restore.add_argument("--to", dest="target", required=True, metavar="NEWFILE", help="the new clinic file")


def _progress(stage: str, done: int, total: int) -> None:
    if total and sys.stderr.isatty():
        end = "\n" if done >= total else ""
        print(f"\r{stage}: {min(100, round(100 * done / total))}%", end=end, file=sys.stderr, flush=True)


def run_backup(args) -> int:
    from iopdesk.backup.copies import backup_clinic, backup_to_folder, rotate_backups
    from iopdesk.paths import backup_dir, default_db_url
    from iopdesk.storage.db import PASSPHRASE_ENV

    source = args.db or default_db_url()
    key = os.environ.get(PASSPHRASE_ENV) or None
    if args.out:
        report = backup_clinic(source, Path(args.out).expanduser(), progress=_progress, key=key)
    else:
        folder = Path(args.folder).expanduser() if args.folder else backup_dir()
        report = backup_to_folder(source, folder, progress=_progress, key=key, rotate=False)
        deleted = rotate_backups(folder, args.keep_daily, args.keep_weekly, args.keep_monthly)
        if deleted:
            print(f"Rotation removed {len(deleted)} older backup(s).")
    print(report.summary())
    return 0


def run_restore(args) -> int:
    from iopdesk.backup.copies import restore_backup

    report = restore_backup(Path(args.file).expanduser(), Path(args.target).expanduser())
    print(report.summary())
    return 0
