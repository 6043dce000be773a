"""`Clinic`: the one object through which the UI, reports, CLI and tests reach the domain.

`open_clinic(url)` binds the models to the database, brings its schema up to date (or refuses a
newer one), makes sure the clinic has an identity and a site, and hands out the services, one per
attribute (each in `iopdesk/services/`): `users`, `clients`, `episodes`, `intake`, `plans`,
`attendance`, `discharge`, `caseload`, `groups`, `consents`, `disclosures`, `family`, `meds`,
`alerts`, `measures`, `notes`, `audit`, `billing`, `sync`, `emergency`, `settings`,
`client_merge`. Until someone signs in, the actor is the system (used by setup, the demo
generator and the admin CLI).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import peewee
from playhouse.schema_diff import diff_models

from iopdesk.audit import anchor as audit_anchor
from iopdesk.audit import chain as audit
from iopdesk.audit.checks import beside_chain
from iopdesk.backup.before_upgrade import backup_before_upgrade
from iopdesk.errors import DatabaseDamaged, DatabaseUnavailable, PassphraseRequired, UnfinishedJoin
from iopdesk.kernel.ids import new_id
from iopdesk.models import ALL_MODELS, ClinicSetting, Site, set_current_site
from iopdesk.permissions import SYSTEM, Actor
from iopdesk.services.alerts import AlertService
from iopdesk.services.attendance_rules import AttendanceRuleService
from iopdesk.services.audit_trail import AuditService
from iopdesk.services.billing.service import BillingService
from iopdesk.services.caseload import CaseloadService
from iopdesk.services.client_merge import ClientMergeService
from iopdesk.services.clients import ClientService
from iopdesk.services.consents import ConsentService
from iopdesk.services.discharge.service import DischargeService
from iopdesk.services.disclosures import DisclosureService
from iopdesk.services.emergency_access import EmergencyAccessService
from iopdesk.services.episodes import EpisodeService
from iopdesk.services.family import FamilyService
from iopdesk.services.groups.service import GroupService
from iopdesk.services.intake import IntakeService
from iopdesk.services.measures import MeasureService
from iopdesk.services.meds import MedicationService
from iopdesk.services.notes.service import NoteService
from iopdesk.services.plans.service import PlanService
from iopdesk.services.settings import SettingsService
from iopdesk.services.sync import SyncService
from iopdesk.services.users import UserService
from iopdesk.storage.db import (
    HISTORY_TABLE,
    database,
    describe_url,
    is_postgres,
    make_database,
    normalise_url,
    not_a_clinic,
    refuse_unless_clinic_file,
    sqlite_path,
)
from iopdesk.storage.file_kind import is_encrypted_file
from iopdesk.storage.integrity import check_at_open
from iopdesk.storage.schema import SchemaStatus, schema_status, upgrade
from iopdesk.sync import incarnation


@dataclass(frozen=True)
class ClinicInfo:
    clinic_id: str
    clinic_name: str
    site_name: str
    site_code: str
    database: str
    schema_version: int


@dataclass(frozen=True)
class CheckReport:
    ok: bool
    lines: tuple[str, ...]


class Clinic:
    def __init__(self, db: peewee.Database, url: str) -> None:
        self.db = db
        self.integrity_deferred = False  # True: the full storage check still runs on a worker (ui starts it)
        self.url = url
        self.actor: Actor = SYSTEM
        self.users = UserService(self)
        self.clients = ClientService(self)
        self.client_merge = ClientMergeService(self)
        self.episodes = EpisodeService(self)
        self.intake = IntakeService(self)
        self.plans = PlanService(self)
        self.attendance = AttendanceRuleService(self)
        self.discharge = DischargeService(self)
        self.caseload = CaseloadService(self)
        self.groups = GroupService(self)
        self.consents = ConsentService(self)
        self.disclosures = DisclosureService(self)
        self.family = FamilyService(self)
        self.meds = MedicationService(self)
        self.alerts = AlertService(self)
        self.measures = MeasureService(self)
        self.notes = NoteService(self)
        self.audit = AuditService(self)
        self.billing = BillingService(self)
        self.sync = SyncService(self)
        self.emergency = EmergencyAccessService(self)
        self.settings = SettingsService(self)
        self.site = self._ensure_identity()
        with self.db.atomic():
            self.writer_id = incarnation.writer_id()  # the site's id unless restored
        set_current_site(self.writer_id)

    # -- session ---------------------------------------------------------------------------
    def login(self, username: str, password: str) -> Actor:
        """Sign a user in; every later service call acts as them (see UserService.login)."""
        self.actor = self.users.login(username, password)
        return self.actor

    def logout(self) -> None:
        if self.actor is not SYSTEM:
            with self.db.atomic():
                audit.record(self.actor, "logout", "staff", self.actor.id)
        self.actor = SYSTEM

    def close(self) -> None:
        audit_anchor.write_pending()  # the anchor held back by its half-second limit
        if not self.db.is_closed():
            self.db.close()
        if isinstance(self.db, peewee.PostgresqlDatabase) and hasattr(self.db, "close_all"):
            self.db.close_all()

    def __enter__(self) -> Clinic:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- identity and settings -------------------------------------------------------------
    def setting(self, key: str, default=None):
        row = ClinicSetting.get_or_none(ClinicSetting.key == key)
        return row.value if row else default

    def _ensure_identity(self) -> Site:
        with self.db.atomic():
            site_id = self.setting("this_site")
            site = Site.get_or_none(Site.id == uuid.UUID(site_id)) if site_id else None
            if site is not None:
                return site
            site = Site.select().where(Site.is_main == True).first()  # noqa: E712
            if site is None:
                site_id = new_id()
                site = Site.create(id=site_id, origin_site=site_id, name="Main clinic", code="MAIN",
                                   is_main=True)
            set_current_site(site.id)
            ClinicSetting.create(key="this_site", value=str(site.id))
            if self.setting("clinic_id") is None:
                ClinicSetting.create(key="clinic_id", value=str(new_id()))
                ClinicSetting.create(key="clinic_name", value="IOP Desk clinic")
            audit.record(SYSTEM, "initialise", "clinic", site.id, detail={"site": site.code})
        return site

    def info(self) -> ClinicInfo:
        return ClinicInfo(
            clinic_id=self.setting("clinic_id", ""),
            clinic_name=self.setting("clinic_name", ""),
            site_name=self.site.name,
            site_code=self.site.code,
            database=describe_url(self.url),
            schema_version=self.schema().version,
        )

    def schema(self) -> SchemaStatus:
        return schema_status(self.db)

    # -- health ----------------------------------------------------------------------------
    def check(self) -> CheckReport:
        """Schema, storage integrity (SQLite), the audit chain and every finding beside it (the
        trail's anchor on this workstation, the guard triggers, the seal of every signed record),
        as readable lines, one per finding, each naming its record."""
        lines: list[str] = []
        ok = True
        status = self.schema()
        diff = diff_models(self.db, ALL_MODELS)
        # Extra indexes are fine (expression indexes live only in migrations); missing ones are not.
        drift = diff.create_tables or diff.add_columns or diff.drop_columns or diff.add_indexes
        if status.pending or status.unknown or drift:
            ok = False
            lines.append(f"schema: version {status.version}, does not match this program")
        else:
            lines.append(f"schema: ok (version {status.version})")
        if not is_postgres(self.url):
            result = self.db.execute_sql("PRAGMA integrity_check").fetchall()
            if [r[0] for r in result] == ["ok"]:
                lines.append("storage: ok (integrity_check)")
            else:
                ok = False
                lines.append("storage: DAMAGED: " + "; ".join(str(r[0]) for r in result[:5]))
        chain = audit.verify_chain()
        if chain.ok:
            lines.append(f"audit trail: ok ({chain.events} events)")
        else:
            ok = False
            lines.append(f"audit trail: BROKEN: {chain.problem}")
        findings = beside_chain(recent=False)
        lines.extend(finding.line() for finding in findings)
        if findings:
            ok = False
        else:
            lines.append("seals: ok (every signed record matches its seal; every guard trigger in place; "
                         "the trail holds this workstation's anchor)")
        return CheckReport(ok, tuple(lines))


def _refuse_unfinished_join(db: peewee.Database, url: str) -> None:
    """A satellite file whose join was cut short holds part of the clinic: never open it as one."""
    if "clinic_setting" not in db.get_tables():
        return
    row = db.execute_sql("SELECT value FROM clinic_setting WHERE key = 'join_unfinished'").fetchone()
    if row is None:
        return
    db.close()
    name = describe_url(url)
    final = name[: -len(".joining")] if name.endswith(".joining") else name
    raise UnfinishedJoin(
        f"{name} is a satellite database whose join did not finish, so it holds only part of the "
        f"clinic. Run `iopdesk sync join --main URL --db {final} --site-code {json.loads(row[0])} "
        "--site-name NAME` again to finish it; nothing was changed.")


def open_clinic(url: str | None = None, *, create: bool = True, passphrase: str | None = None,
                defer_large_check: bool = False) -> Clinic:
    """Open (and if needed create or upgrade) the clinic database at `url`.

    Raises DatabaseUnavailable if it cannot be reached, SchemaTooNew if a newer IOP Desk wrote it.
    With create=False a missing SQLite file is an error instead of a new clinic. An existing file
    or database that is not a clinic (empty, another kind of file, another program's tables) is
    refused with NotAClinicDatabase and never written to, whatever `create` says. An encrypted
    clinic file needs `passphrase` (or $IOPDESK_DB_PASSPHRASE, or one remembered in the OS
    keyring): PassphraseRequired without it; a remembered one that no longer opens the file is
    forgotten. A damaged SQLite file (header included) raises DatabaseDamaged naming the latest
    good backup, before anything is written to it. An existing SQLite clinic file that needs
    schema migrations is backed up into the backup folder first (DatabaseUnavailable, nothing
    changed, when that backup fails).
    """
    import os

    from iopdesk.paths import default_db_url
    from iopdesk.storage.db import PASSPHRASE_ENV
    from iopdesk.storage.integrity import damaged_error

    url = normalise_url(url or default_db_url())
    path = sqlite_path(url)
    if path is not None and not create and not path.exists():
        raise DatabaseUnavailable(f"No clinic database at {path}.")
    if path is not None and path.exists():
        refuse_unless_clinic_file(path)  # empty, another kind of file, another program's database
    encrypted = path is not None and is_encrypted_file(path)
    remembered = None
    if encrypted and not passphrase and not os.environ.get(PASSPHRASE_ENV):
        from iopdesk.storage.passphrase_store import stored_passphrase

        passphrase = remembered = stored_passphrase(path)
    db = make_database(url, passphrase=passphrase)
    database.initialize(db)
    try:
        db.connect(reuse_if_open=True)
        if encrypted:
            db.execute_sql("SELECT count(*) FROM sqlite_master")
    except peewee.DatabaseError as exc:
        if encrypted:
            db.close()
            if remembered:
                from iopdesk.storage.passphrase_store import forget_passphrase

                forget_passphrase(path)
                raise PassphraseRequired(
                    f"The passphrase remembered on this computer no longer opens the clinic database "
                    f"{path}, so it was forgotten: enter the clinic's passphrase.", field="passphrase") from None
            raise PassphraseRequired(f"Passphrase: it does not open {path} (or the file is not a "
                                     "clinic database).", field="passphrase") from None
        if path is not None and isinstance(exc, DatabaseDamaged):
            raise damaged_error(path, "it cannot be read as a SQLite database: its first page is damaged") from None
        reason = " ".join(str(exc).split())
        raise DatabaseUnavailable(f"Cannot open the clinic database {describe_url(url)}: {reason}") from None
    if path is None or encrypted:  # a plain file's tables were read before it was opened
        tables = db.get_tables()
        if (tables or encrypted) and HISTORY_TABLE not in tables:
            db.close()
            if hasattr(db, "close_all"):
                db.close_all()
            raise not_a_clinic(describe_url(url), tables)
    # a damaged file is refused before anything is written to it; the desktop app may defer
    # the full check of a large file to a worker (clinic.integrity_deferred, see integrity.py)
    checked = check_at_open(db, defer_large=defer_large_check)
    if not checked and (schema_status(db).pending or schema_status(db).unknown):
        checked = check_at_open(db)  # a migration writes: never to an unchecked file
    _refuse_unfinished_join(db, url)
    backup_before_upgrade(db)  # an existing clinic file is backed up before its schema changes
    upgrade(db)
    clinic = Clinic(db, url)
    clinic.integrity_deferred = not checked
    return clinic
