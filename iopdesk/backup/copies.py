"""Backups of a SQLite clinic that restore: written with SQLite's online backup API, checked, kept
with rotation, and restored into a new file after a check.

Invariants:
- An open clinic file is never copied as bytes (closing any descriptor on a SQLite file drops
  this process's locks on it): a backup goes through `sqlite3.Connection.backup`, page by page,
  while the app keeps working; an encrypted clinic goes through SQLCipher's export
  (`iopdesk.storage.encryption.encrypted_copy`), so its backups stay encrypted.
- A backup is consistent: the copy and the row counts it is checked against come from ONE read
  transaction on the source (WAL keeps that snapshot still while other connections write), so
  the counts are exactly those of the copied state. Counting the source before or after the copy
  instead would race with the clinic's own writes.
- A backup file appears under its name only once it passed `PRAGMA integrity_check` and matched
  the source's row counts for every table: it is written as NAME.part, then renamed.
- Every backup written is recorded in the clinic's own audit chain once it is checked, by the
  system (iopdesk/backup/audit_event.py); when that event cannot be written the file is removed.
- A restore never overwrites: it writes a new file, checks it (storage, schema, audit trail),
  starts a new incarnation of it (a new writer, audit chain, MRN tag and identity, so it never
  reuses an audit number or MRN its lost life issued, and sync peers send it what the backup
  lacks: iopdesk/sync/incarnation.py), and only then moves it to the name asked for.
- Every backup carries its own audit head, sealed (setting `audit_anchor`, iopdesk/audit/anchor.py);
  a restore refuses a backup whose trail no longer reaches it, and its "restore" event names the
  backup's anchor and the workstation anchor it supersedes, so the restored copy, with its new
  identity, is recognised as a restore and gets an anchor of its own.
Backup files are named clinic-YYYYMMDD-HHMMSS.sqlite (UTC); iopdesk/storage/backup_folder.py
reads the folder (storage names the latest good backup when it refuses a damaged file). A PostgreSQL clinic is backed up
with `pg_dump` (see `pg_dump_command`).
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import peewee

from iopdesk.backup.audit_event import recorded
from iopdesk.errors import (
    DatabaseDamaged,
    DatabaseUnavailable,
    PassphraseRequired,
    SchemaTooNew,
    ValidationError,
)
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.files import replacing
from iopdesk.storage.backup_folder import backup_name, backup_time, backups_in, is_good_backup

Progress = Callable[[str, int, int], None]
STEP_PAGES = 1024


@dataclass(frozen=True)
class BackupReport:
    path: Path
    counts: Mapping[str, int]
    pages: int
    seconds: float
    unaudited: str = ""  # why the backup's audit event could not be written, if it could not

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        text = (f"Backup written and checked: {self.path} ({len(self.counts)} tables, {self.rows} rows, "
                f"{self.seconds:.1f} s)")
        if self.unaudited:
            text += f". Warning: it is not in the audit trail: {self.unaudited}"
        return text


@dataclass(frozen=True)
class RestoreReport:
    path: Path
    source: Path
    database_id: str
    audit_events: int
    schema_version: int
    mrn_prefix: str = ""

    def summary(self) -> str:
        return (f"Restored {self.source} into {self.path} (schema version {self.schema_version}, "
                f"{self.audit_events} audit events verified). It writes as a new writer of its site, so "
                "nothing it writes can repeat what the lost copy wrote after the backup: its new "
                f"clients get MRNs {self.mrn_prefix}000001 onwards, and its first sync gets back "
                "everything the other sites hold that this backup lacks.")


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def _source_path(db_or_path) -> Path:
    """The clinic file behind a Clinic, a peewee database, a URL or a path."""
    from iopdesk.storage.db import is_postgres, normalise_url, sqlite_path

    db = getattr(db_or_path, "db", db_or_path)
    if isinstance(db, peewee.Database):
        if isinstance(db, peewee.PostgresqlDatabase):
            raise ValidationError(pg_dump_advice(getattr(db_or_path, "url", None)), field="db")
        path = Path(db.database) if db.database not in ("", ":memory:") else None
    else:
        url = normalise_url(db)
        if is_postgres(url):
            raise ValidationError(pg_dump_advice(url), field="db")
        path = sqlite_path(url)
    if path is None:
        raise ValidationError("Clinic database: an in-memory database cannot be backed up.", field="db")
    if not path.is_file():
        raise DatabaseUnavailable(f"No clinic database at {path}.")
    return path


def _open_passphrase(db_or_path) -> str | None:
    """The passphrase an open encrypted clinic was opened with (peewee's SqlCipherDatabase keeps
    it in its connection parameters), so the app's scheduled backups need not ask again."""
    db = getattr(db_or_path, "db", db_or_path)
    params = getattr(db, "connect_params", None) or {}
    return params.get("passphrase") or None


def pg_dump_command(url: str | None) -> str:
    """The pg_dump command line that backs up the PostgreSQL clinic at `url` (password left out)."""
    import shlex
    import urllib.parse

    parts = urllib.parse.urlsplit(url or "postgresql://HOST/DBNAME")
    user = f" --username={shlex.quote(urllib.parse.unquote(parts.username))}" if parts.username else ""
    port = f" --port={parts.port}" if parts.port else ""
    host = f" --host={shlex.quote(parts.hostname)}" if parts.hostname else ""
    name = shlex.quote(urllib.parse.unquote(parts.path.lstrip("/")) or "DBNAME")
    return f"pg_dump --format=custom{host}{port}{user} --file=clinic-$(date -u +%Y%m%d-%H%M%S).dump {name}"


def pg_dump_advice(url: str | None) -> str:
    return ("This clinic lives on a PostgreSQL server: back it up on the server with pg_dump, e.g. "
            f"{pg_dump_command(url)} (restore with pg_restore into a new, empty database).")


def _table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}


def _check_copy(path: Path, counts: Mapping[str, int]) -> None:
    """Integrity check and row counts of a fresh copy; DatabaseUnavailable when it falls short."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        result = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise DatabaseUnavailable(f"The backup copy failed its integrity check ({result[0]}); "
                                      "it was not kept. Try again, and check the disk.")
        copied = _table_counts(connection)
    finally:
        connection.close()
    if copied != dict(counts):
        short = sorted(name for name in set(counts) | set(copied) if counts.get(name) != copied.get(name))
        raise DatabaseUnavailable("The backup copy does not hold the same rows as the clinic "
                                  f"(tables {', '.join(short[:5])}); it was not kept. Try again.")


def backup_clinic(db_or_path, out: Path, *, progress: Progress | None = None,
                  key: str | None = None) -> BackupReport:
    """Write a checked backup of the SQLite clinic (a Clinic, peewee database, URL or path) to `out`.

    Consistent while the app writes (one read snapshot). `key`: the passphrase of an encrypted
    clinic (default: the one an open encrypted clinic was opened with; ignored for a plain
    file); its backup is encrypted with the same passphrase. Raises ValidationError when `out`
    exists or the clinic is on PostgreSQL (the message gives the pg_dump command),
    PassphraseRequired for an encrypted clinic without `key`, DatabaseUnavailable when the copy
    cannot be written or fails its check, AuditKeyMissing or DatabaseBusy when its audit event
    cannot be written (nothing is left at `out` in each case). The backup is recorded by a
    "backup" audit event (system actor) in the clinic's chain once the copy is checked.
    """
    from iopdesk.storage.db import encrypted_or_not_a_clinic, refuse_unless_clinic_file
    from iopdesk.storage.file_kind import is_encrypted_file

    report = progress or _no_progress
    source = _source_path(db_or_path)
    if source.exists():
        refuse_unless_clinic_file(source)  # an empty file or a picture is not backed up as a clinic
    key = key or _open_passphrase(db_or_path)
    out = Path(out)
    if out.exists():
        raise ValidationError(f"Backup file: {out} already exists; choose a new name.", field="out")
    if not out.parent.is_dir():
        raise ValidationError(f"Backup file: the folder {out.parent} does not exist.", field="out")
    started = time.monotonic()
    if is_encrypted_file(source):
        if not key:
            raise PassphraseRequired(encrypted_or_not_a_clinic(source), field="passphrase")
        from iopdesk.storage.encryption import encrypted_copy

        report("copying", 0, 1)
        counts = _carry_anchor(out, key, encrypted_copy(source, key, out))
        report("copying", 1, 1)
        return recorded(source, key, BackupReport(out, counts, 0, time.monotonic() - started), encrypted=True)
    try:
        with replacing(out, durable=True) as temporary:  # the copy must survive a power cut
            pages = _copy(source, temporary, report)
            report("checking", 0, 1)
            _check_copy(temporary, pages[1])
            counts = _carry_anchor(temporary, None, pages[1])
        report("checking", 1, 1)
    except (sqlite3.Error, OSError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise DatabaseUnavailable(f"The backup could not be written to {out}: {reason}. Nothing was kept.") from None
    return recorded(source, None, BackupReport(out, counts, pages[0], time.monotonic() - started),
                    encrypted=False)


def _copy(source: Path, target: Path, report: Progress) -> tuple[int, dict[str, int]]:
    """Copy `source` into the new file `target` with the backup API inside one read transaction;
    returns the page count and the row counts of the copied snapshot."""
    reader = sqlite3.connect(source, timeout=5.0, isolation_level=None)
    writer = sqlite3.connect(target, isolation_level=None)
    try:
        reader.execute("PRAGMA busy_timeout = 5000")
        reader.execute("BEGIN")  # the snapshot starts at the first read and holds to COMMIT
        counts = _table_counts(reader)
        total = reader.execute("PRAGMA page_count").fetchone()[0]

        def step(status: int, remaining: int, pages: int) -> None:
            report("copying", pages - remaining, pages)

        reader.backup(writer, pages=STEP_PAGES, progress=step)
        reader.execute("COMMIT")
    finally:
        writer.close()
        reader.close()
    return total, counts


# -- the backup folder ------------------------------------------------------------------------
def backup_to_folder(db_or_path, folder: Path, *, progress: Progress | None = None,
                     key: str | None = None, rotate: bool = True) -> BackupReport:
    """A new checked backup in `folder` (made if missing) named by the time, then rotation."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ValidationError(f"Backup folder: {folder} cannot be used ({exc.strerror or exc}).",
                              field="folder") from None
    when = utcnow().replace(microsecond=0)
    while (folder / backup_name(when)).exists():
        when += dt.timedelta(seconds=1)
    result = backup_clinic(db_or_path, folder / backup_name(when), progress=progress, key=key)
    if rotate:
        rotate_backups(folder)
    return result


def rotate_backups(folder: Path, keep_daily: int = 7, keep_weekly: int = 4, keep_monthly: int = 12) -> list[Path]:
    """Delete rotated backups no rule keeps; returns what was deleted.

    Kept: the newest backup of each of the last `keep_daily` days that have backups, of each of
    the last `keep_weekly` ISO weeks and of each of the last `keep_monthly` months, and always the
    newest of all. Files not named clinic-YYYYMMDD-HHMMSS.sqlite are never touched.
    """
    backups = backups_in(folder)
    keep: set[Path] = set(backups[:1])
    rules: list[tuple[int, Callable[[dt.datetime], tuple]]] = [
        (keep_daily, lambda t: (t.date(),)),
        (keep_weekly, lambda t: tuple(t.isocalendar())[:2]),
        (keep_monthly, lambda t: (t.year, t.month)),
    ]
    for count, period in rules:
        seen: set[tuple] = set()
        for path in backups:
            key = period(backup_time(path))
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(key)
            keep.add(path)
    deleted = [path for path in backups if path not in keep]
    for path in deleted:
        path.unlink(missing_ok=True)
    return deleted


# -- restore ----------------------------------------------------------------------------------
def restore_backup(file: Path, target: Path, *, key: str | None = None) -> RestoreReport:
    """Restore the backup `file` into the NEW clinic file `target`, after checking it.

    Checks: SQLite integrity, a clinic schema this program knows (older is fine: it is upgraded
    when opened), and the audit trail. The restored clinic gets a new identity and an audit event
    saying where it came from. Raises ValidationError when `target` exists or `file` is missing,
    DatabaseDamaged when the backup fails a check, SchemaTooNew for a backup from a newer IOP
    Desk; nothing is left at `target` then. An encrypted backup needs `key` (or
    $IOPDESK_DB_PASSPHRASE): it is restored into an encrypted file with the same passphrase
    (PassphraseRequired without one, or when it does not open the backup).
    """
    file, target = Path(file), Path(target)
    if not file.is_file():
        raise ValidationError(f"Backup file: there is no file {file}.", field="file")
    if target.exists():
        raise ValidationError(f"Restore to: {target} already exists; restore into a new file.", field="to")
    if not target.parent.is_dir():
        raise ValidationError(f"Restore to: the folder {target.parent} does not exist.", field="to")
    from iopdesk.storage.db import PASSPHRASE_ENV
    from iopdesk.storage.file_kind import is_encrypted_file

    encrypted = is_encrypted_file(file)
    if encrypted:
        key = key or os.environ.get(PASSPHRASE_ENV)
        if not key:
            raise PassphraseRequired(f"Passphrase: the backup {file} is encrypted; give its passphrase.",
                                     field="passphrase")
    elif not is_good_backup(file):
        raise DatabaseDamaged(f"The backup {file} is damaged (it fails SQLite's integrity check); "
                              "choose an older backup.")
    with replacing(target, durable=True) as temporary:
        if encrypted:
            _copy_encrypted(file, key, temporary)
        else:
            _copy(file, temporary, _no_progress)
        result = _adopt(temporary, source=file, key=key if encrypted else None)
    return RestoreReport(target, file, *result)


def _copy_encrypted(file: Path, key: str, target: Path) -> None:
    """An encrypted backup copied into a new encrypted file (same passphrase) with SQLCipher's
    export; a passphrase that does not open the backup is PassphraseRequired."""
    from iopdesk.storage.encryption import _export

    try:
        _export(file, key, target, key)
    except Exception as exc:
        if "not a database" in str(exc) or "encrypted" in str(exc):
            raise PassphraseRequired(f"Passphrase: it does not open the backup {file}.", field="passphrase") from None
        raise DatabaseDamaged(f"The backup {file} cannot be read ({' '.join(str(exc).split())}); "
                              "choose an older backup.") from None


def _open_copy(path: Path, key: str | None) -> peewee.Database:
    """A connection to the copy at `path` (a backup being written or restored), kept one file."""
    pragmas = {"foreign_keys": 1, "journal_mode": "delete"}
    if key is None:
        db = peewee.SqliteDatabase(str(path), pragmas=pragmas, lock_type="IMMEDIATE")
    else:
        from playhouse.sqlcipher_ext import SqlCipherDatabase

        db = SqlCipherDatabase(str(path), passphrase=key, pragmas=pragmas, lock_type="IMMEDIATE")
    db.connect()
    return db


def _carry_anchor(path: Path, key: str | None, counts: Mapping[str, int]) -> dict[str, int]:
    """Seal the copy's own audit head into it (setting `audit_anchor`, iopdesk/audit/anchor.py), so
    a restore can tell its trail is whole; returns the copy's row `counts` with that row. A file
    that is not a current clinic, or a clinic without an audit key here, carries none (a restore
    then checks the trail alone)."""
    counts = dict(counts)
    import uuid

    from iopdesk.audit import anchor as audit_anchor
    from iopdesk.errors import IopDeskError
    from iopdesk.models import ClinicSetting, writing_as_site
    from iopdesk.storage.db import database
    from iopdesk.sync import incarnation

    db = _open_copy(path, key)
    try:
        if "clinic_setting" not in db.get_tables() or "audit_head" not in db.get_tables():
            return counts
        with database.bound_to(db):
            site = ClinicSetting.get_or_none(ClinicSetting.key == "this_site")
            if site is None:
                return counts
            if "site_incarnation" in db.get_tables():
                with db.atomic():
                    writer = incarnation.writer_id()
            else:
                writer = uuid.UUID(str(site.value))
            with writing_as_site(writer), db.atomic():
                try:
                    carried = audit_anchor.head_anchor()
                except (IopDeskError, peewee.DatabaseError):
                    return counts
                if carried is not None:
                    ClinicSetting.delete().where(ClinicSetting.key == audit_anchor.BACKUP_SETTING).execute()
                    ClinicSetting.create(key=audit_anchor.BACKUP_SETTING, value=carried)
            counts["clinic_setting"] = ClinicSetting.select().count()
    finally:
        db.close()
    return counts


def _adopt(path: Path, *, source: Path, key: str | None = None) -> tuple[str, int, int, str]:
    """Check the restored copy at `path` (upgrading an older schema) and start a new incarnation
    of it (iopdesk/sync/incarnation.py: new writer, audit chain, MRN tag and identity); returns
    (database id, audit events verified, schema version, the prefix of its new MRNs). `key`
    opens an encrypted copy."""
    import uuid

    from iopdesk.audit import anchor as audit_anchor
    from iopdesk.audit import chain as audit
    from iopdesk.models import ClinicSetting, Site, writing_as_site
    from iopdesk.permissions import SYSTEM
    from iopdesk.storage.db import database
    from iopdesk.storage.schema import schema_status, upgrade
    from iopdesk.sync import incarnation

    db = _open_copy(path, key)
    try:
        integrity = [row[0] for row in db.execute_sql("PRAGMA integrity_check").fetchall()]
        if integrity != ["ok"]:
            raise DatabaseDamaged(f"The backup {source} is damaged ({integrity[0]}); choose an older backup.")
        if "schema_migration" not in db.get_tables():
            raise DatabaseDamaged(f"The file {source} is not an IOP Desk clinic backup.")
        status = schema_status(db)
        if status.unknown:
            raise SchemaTooNew(f"The backup {source} was written by a newer IOP Desk; install it to restore "
                               "this backup.")
        with database.bound_to(db):
            site = ClinicSetting.get_or_none(ClinicSetting.key == "this_site")
            if site is None:
                raise DatabaseDamaged(f"The backup {source} has no clinic identity; choose another backup.")
            if status.pending:  # the new incarnation needs the current schema
                with writing_as_site(uuid.UUID(str(site.value))):
                    upgrade(db)
            with db.atomic():
                previous = incarnation.writer_id()
            with writing_as_site(previous):
                chain = audit.verify_chain()
                if not chain.ok:
                    raise DatabaseDamaged(f"The backup {source} has a broken audit trail ({chain.problem}); "
                                          "choose an older backup.")
                carried = ClinicSetting.get_or_none(ClinicSetting.key == audit_anchor.BACKUP_SETTING)
                problem = audit_anchor.carried_anchor_problem(carried.value) if carried else ""
                if problem:
                    raise DatabaseDamaged(f"The backup {source} was changed after it was written ({problem}); "
                                          "choose an older backup.")
                audit_anchor.write_pending()
                replaced = audit_anchor.entries_here()
            with db.atomic():
                code = Site.get_by_id(uuid.UUID(str(site.value))).code
                new = incarnation.begin("restore")
                detail = {"backup": source.name, "database": new.database_id, "writer": new.writer,
                          "previous_writer": new.previous_writer, "incarnation": new.number,
                          "mrn_tag": new.mrn_tag}
                if carried is not None:
                    detail["backup_anchor"] = {"seq": carried.value.get("seq"), "hash": carried.value.get("hash")}
                    ClinicSetting.delete().where(ClinicSetting.key == audit_anchor.BACKUP_SETTING).execute()
                if replaced:
                    detail["anchor_before"] = {"seq": replaced[-1].seq, "hash": replaced[-1].hash,
                                               "at": replaced[-1].at}
                with writing_as_site(uuid.UUID(new.writer)):
                    audit.record(SYSTEM, "restore", "clinic", None, detail=detail)
            schema_version = schema_status(db).version
    finally:
        db.close()
    return new.database_id, chain.events, schema_version, f"{code}-{new.mrn_tag}-"
