"""Preparing an empty database as a clinic server: `iopdesk server init`.

A clinic server is one PostgreSQL database that every workstation opens with `--db postgresql://…`
(a SQLite file works too, for a single machine). Setting one up creates the schema, names the
clinic and its main site, creates the first administrator and runs `check`. Invariants: a database
that already holds a clinic (or any other tables) is refused before anything is written; every
input is validated before the schema is created; naming the clinic and creating the administrator
are one transaction with their audit events; and `run` is all-or-nothing: if any step after the
schema was created fails, what it created is removed (the tables it made are dropped, a SQLite
file it made is deleted) so the database is as empty as before and init can simply be run again.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peewee

from iopdesk.audit import chain as audit
from iopdesk.clinic import CheckReport, open_clinic
from iopdesk.errors import DatabaseUnavailable, ValidationError
from iopdesk.kernel.validation import required_text
from iopdesk.models import ClinicSetting, Site, Staff
from iopdesk.passwords import check_policy
from iopdesk.permissions import SYSTEM
from iopdesk.storage.db import database, describe_url, make_database, normalise_url, sqlite_path
from iopdesk.storage.records import update_versioned

_SITE_CODE = re.compile(r"^[A-Z][A-Z0-9]{0,7}$")


def existing_clinic(url: str) -> str | None:
    """What the database at `url` already holds, in words ("the clinic 'Harbor Light'", "12
    tables: …"), or None when it is empty (or a SQLite file that does not exist yet).

    Raises DatabaseUnavailable when it cannot be reached.
    """
    url = normalise_url(url)
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    db = make_database(url)
    try:
        db.connect()
    except peewee.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise DatabaseUnavailable(f"Cannot open the database {describe_url(url)}: {reason}") from None
    try:
        tables = db.get_tables()
        if ClinicSetting._meta.table_name in tables:
            database.initialize(db)
            name = ClinicSetting.select(ClinicSetting.value).where(
                ClinicSetting.key == "clinic_name").scalar()
            staff = Staff.select().count() if Staff._meta.table_name in tables else 0
            accounts = "1 staff account" if staff == 1 else f"{staff} staff accounts"
            return f"the clinic {name or 'without a name'!r} ({accounts})"
        if tables:
            shown = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
            return f"{len(tables)} tables of another program ({shown})"
        return None
    finally:
        db.close()
        if hasattr(db, "close_all"):
            db.close_all()


def refuse_unless_empty(url: str) -> None:
    """Raise ValidationError naming what the database holds unless it is empty."""
    found = existing_clinic(url)
    if found is not None:
        raise ValidationError(
            f"Database: {describe_url(normalise_url(url))} already holds {found}; server init only "
            "prepares an empty database (open this one with --db, or create a new database).",
            field="db",
        )


@dataclass(frozen=True)
class ServerSetup:
    """Validated answers for a new clinic server; `run` writes them."""

    url: str
    clinic_name: str | None
    site_code: str | None
    site_name: str | None
    admin: str
    admin_name: str

    @classmethod
    def checked(cls, url: str | None, *, clinic_name: str | None, site_code: str | None,
                site_name: str | None, admin: str, admin_name: str) -> ServerSetup:
        """Validate everything before anything is written; ValidationError names the field."""
        if not url:
            raise ValidationError("Database: give --db postgresql://user@host/dbname (or a file).",
                                  field="db")
        if clinic_name is not None:
            clinic_name = required_text(clinic_name, "clinic_name", "Clinic name", max_length=120)
        if site_code is not None:
            site_code = site_code.strip().upper()
            if not _SITE_CODE.match(site_code):
                raise ValidationError(
                    "Site code: 1 to 8 letters or digits, starting with a letter (e.g. MAIN).",
                    field="site_code")
        if site_name is not None:
            site_name = required_text(site_name, "site_name", "Site name", max_length=120)
        admin = required_text(admin, "admin", "User name", max_length=60).lower()
        admin_name = required_text(admin_name, "admin_name", "Full name")
        return cls(normalise_url(url), clinic_name, site_code, site_name, admin, admin_name)

    def run(self, password: str, *, progress: Callable[[str], None] = lambda line: None) -> CheckReport:
        """Create the schema, name the clinic and site, create the first admin and check.

        Calls `progress` with one line per step. Raises ValidationError for a password that does
        not meet the policy (before anything is written), DatabaseUnavailable, SchemaTooNew.
        """
        check_policy(password)
        before = _tables(self.url)
        try:
            return self._run(password, progress)
        except BaseException:
            _remove_created(self.url, before)
            raise

    def _run(self, password: str, progress: Callable[[str], None]) -> CheckReport:
        with open_clinic(self.url, create=True) as clinic:
            progress(f"schema: created (version {clinic.schema().version}) in {describe_url(self.url)}")
            with clinic.db.atomic():
                self._name_clinic(clinic.site)
                summary, _ = clinic.users.add(self.admin, password, display_name=self.admin_name,
                                              roles=["admin"], site_code=clinic.site.code)
            info = clinic.info()
            progress(f"clinic: {info.clinic_name}")
            progress(f"site: {info.site_code} ({info.site_name})")
            progress(f"admin: created {summary.username} ({summary.display_name})")
            report = clinic.check()
            for line in report.lines:
                progress(f"check: {line}")
            progress("ready: point each workstation at this database with --db or IOPDESK_DB"
                     if report.ok else "not ready: `iopdesk check` found a problem (see above)")
            return report

    def _name_clinic(self, site: Site) -> None:
        changes: dict[str, object] = {}
        if self.site_code is not None and self.site_code != site.code:
            changes["code"] = self.site_code
        if self.site_name is not None:
            changes["name"] = self.site_name
        if changes:
            update_versioned(site, site.version, **changes)
        if self.clinic_name is not None:
            row = ClinicSetting.get(ClinicSetting.key == "clinic_name")
            update_versioned(row, row.version, value=self.clinic_name)
            changes["clinic_name"] = self.clinic_name
        if changes:
            audit.record(SYSTEM, "update", "clinic", site.id, detail=changes)


def _tables(url: str) -> set[str] | None:
    """The tables in the database at `url` now; None for a SQLite file that does not exist yet."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    db = make_database(url)
    try:
        db.connect()
        return set(db.get_tables())
    except peewee.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise DatabaseUnavailable(f"Cannot open the database {describe_url(url)}: {reason}") from None
    finally:
        db.close()
        if hasattr(db, "close_all"):
            db.close_all()


def _remove_created(url: str, before: set[str] | None) -> None:
    """Undo a failed init: delete the SQLite file it made, else drop the tables that were not
    there `before` (with what depends on them) in one transaction."""
    path = sqlite_path(url)
    if path is not None and before is None:
        for name in (path, *(Path(f"{path}{suffix}") for suffix in ("-wal", "-shm", "-journal"))):
            name.unlink(missing_ok=True)
        return
    db = make_database(url)
    try:
        db.connect()
        created = [t for t in db.get_tables() if t not in (before or set())]
        if path is not None:
            db.execute_sql("PRAGMA foreign_keys = OFF")
        with db.atomic():
            for table in created:
                cascade = "" if path is not None else " CASCADE"
                db.execute_sql(f'DROP TABLE IF EXISTS "{table}"{cascade}')
    finally:
        db.close()
        if hasattr(db, "close_all"):
            db.close_all()
