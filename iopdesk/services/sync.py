"""Site sync as the app and the CLI use it: status, direct sync, sync files, conflicts, joining.

Every run needs the "sync.run" permission and leaves an audit event; resolving a conflict writes
the chosen value through the ordinary versioned update, so the resolution itself syncs.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass
from pathlib import Path

from iopdesk.audit import chain as audit
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.clock import utcnow
from iopdesk.models import (
    Site,
    Staff,
    SyncChange,
    SyncConflict,
    SyncPeer,
    set_current_site,
    writing_as_site,
)
from iopdesk.passwords import verify_password
from iopdesk.permissions import SYSTEM
from iopdesk.services.base import Service
from iopdesk.storage.db import describe_url, make_database
from iopdesk.storage.records import as_uuid, update_versioned
from iopdesk.storage.schema import upgrade
from iopdesk.sync import incarnation, session
from iopdesk.sync.rows import from_json, models_by_table
from iopdesk.sync.session import Progress, SyncReport


@dataclass(frozen=True)
class PeerStatus:
    site_code: str
    site_name: str
    last_sync_at: dt.datetime | None
    received_upto: int
    acked_upto: int


@dataclass(frozen=True)
class SyncStatus:
    is_main: bool
    last_sync_at: dt.datetime | None
    pending_changes: int
    conflicts: int
    peers: tuple[PeerStatus, ...]


@dataclass(frozen=True)
class ConflictView:
    id: str
    table: str
    row_id: str
    field: str
    kind: str
    kept_value: object
    other_value: object
    kept_site: str
    other_site: str
    detected_at: dt.datetime
    status: str
    resolution: str | None
    resolved_by: str | None

    @property
    def what(self) -> str:
        """The record in the clinic's words ("client", "treatment plan")."""
        return self.table.replace("_", " ")


def _site_label(site_id: str | None, names: dict[str, str]) -> str:
    return names.get(str(site_id), "another site") if site_id else "this site"


class SyncService(Service):
    # -- reading ------------------------------------------------------------------------------
    def status(self) -> SyncStatus:
        """Last sync, changes not yet confirmed by the peer (main for a satellite), conflicts."""
        sites = {str(s.id): s for s in Site.select()}
        writers = incarnation.sites_of_writers()
        current = {incarnation.writer_of_site(site_id) for site_id in sites}
        peers, live = [], []
        for peer in SyncPeer.select():
            site = sites.get(writers.get(peer.peer_site, peer.peer_site))
            name = site.name if site else "unknown site"
            if site is not None and peer.peer_site not in current:
                name += " (its copy before a restore: no longer syncs)"
            else:
                live.append(peer)
            peers.append(PeerStatus(site.code if site else "?", name,
                                    peer.last_sync_at, peer.received_upto, peer.acked_upto))
        here = self._clinic.site
        main = next((s for s in sites.values() if s.is_main), None)
        if here.is_main or main is None:
            acked = min((p.acked_upto for p in live), default=None)
        else:
            row = SyncPeer.get_or_none(SyncPeer.peer_site == incarnation.writer_of_site(main.id))
            acked = row.acked_upto if row else 0
        pending = 0
        if acked is not None:
            pending = (SyncChange.select().where((SyncChange.seq > acked) & SyncChange.via_peer.is_null())
                       .count())
        last = max((p.last_sync_at for p in peers if p.last_sync_at), default=None)
        conflicts = SyncConflict.select().where(SyncConflict.status == "pending").count()
        return SyncStatus(bool(here.is_main), last, pending, conflicts, tuple(peers))

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictView]:
        """Conflicts waiting for an admin (and, if asked, the resolved ones), oldest first."""
        self.actor.require("sync.run")
        names = {str(s.id): f"{s.name} ({s.code})" for s in Site.select()}
        names.update({writer: names[site] for writer, site in incarnation.sites_of_writers().items()
                      if site in names})
        query = SyncConflict.select().order_by(SyncConflict.detected_at, SyncConflict.id)
        if not include_resolved:
            query = query.where(SyncConflict.status == "pending")
        return [ConflictView(str(c.id), c.table_name, c.row_id, c.field, c.kind, c.kept_value,
                             c.other_value, _site_label(c.kept_site, names),
                             _site_label(c.other_site, names), c.detected_at, c.status, c.resolution,
                             c.resolved_by) for c in query]

    # -- running ------------------------------------------------------------------------------
    def sync_with(self, url: str, *, progress: Progress | None = None) -> SyncReport:
        """Exchange changes with the main clinic's database at `url` (both ways).

        Raises PermissionDenied, DatabaseUnavailable when it cannot be reached, ValidationError when
        it is another clinic's or another schema version's.
        """
        self.actor.require("sync.run")
        remote = session.open_peer(url)
        try:
            report = session.sync_databases(self.db, remote, progress=progress or session._no_progress)
            if report.changed:
                self._record("sync", {"with": describe_url(url), "result": report.summary()})
                session.sync_databases(self.db, remote)  # so the record of this sync is not left pending
        finally:
            session.close_peer(remote)
        return report

    def export_file(self, path: str | Path, *, for_site: str | None = None, passphrase: str | None = None,
                    plain: bool = False, progress: Progress | None = None) -> tuple[int, int]:
        """Write a sync file for `for_site` (a site code; a satellite's default is the main clinic),
        encrypted with `passphrase`. A file carries client names and note text on a USB stick, so
        it is written unencrypted only when `plain` is asked for (ValidationError naming the
        passphrase otherwise); the audit event says which. Returns (row changes, bytes)."""
        self.actor.require("sync.run")
        if plain and passphrase:
            raise ValidationError("Sync passphrase: a plain file has none; give a passphrase or ask for a "
                                  "plain file, not both.", field="passphrase")
        if not plain and not (passphrase or "").strip():
            raise ValidationError("Sync passphrase: a sync file is encrypted; enter the passphrase the other "
                                  "site will type to open it.", field="passphrase")
        peer = self._peer_site(for_site)
        count, size = session.export_file(Path(path), peer_site=incarnation.writer_of_site(peer.id), passphrase=passphrase,
                                          progress=progress or session._no_progress)
        self._record("sync_export", {"for": peer.code, "changes": count, "bytes": size, "encrypted": not plain})
        return count, size

    def import_file(self, path: str | Path, *, passphrase: str | None = None,
                    progress: Progress | None = None) -> SyncReport:
        """Apply a sync file written for this site (ValidationError names what is wrong with it)."""
        self.actor.require("sync.run")
        report = session.import_file(Path(path), passphrase=passphrase,
                                     progress=progress or session._no_progress)
        if report.changed:
            self._record("sync_import", {"file": Path(path).name, "result": report.summary()})
        return report

    def renew_identity(self, username: str, password: str) -> str:
        """Sign in and start a new incarnation of this database after it was restored outside
        the app (a PostgreSQL main clinic from pg_dump, a file copied back by hand): a new writer,
        audit chain and MRN tag, so nothing it writes repeats what the lost copy wrote, and every
        peer sends it what it lacks (iopdesk/sync/incarnation.py). A backup restored with
        `iopdesk restore` has had this done already. Returns the new MRN prefix.

        The copy must write nothing as its lost life, not even the sign-in event, so the password
        is checked first, the incarnation begins, and only then are the sign-in and the
        "reidentify" event recorded, in the new chain. A wrong password is refused (and audited)
        as any sign-in; PermissionDenied for a user who may not run sync (the new incarnation
        stays: it only means a new writer)."""
        staff = Staff.get_or_none(Staff.username == (username or "").strip().lower())
        if staff is None or not verify_password(staff.password_hash, password or ""):
            self._clinic.login(username, password)  # refuses it, audited like every failed sign-in
        with self.db.atomic():
            new = incarnation.begin("reidentify")
        self._clinic.writer_id = uuid.UUID(new.writer)
        set_current_site(self._clinic.writer_id)
        self._clinic.login(username, password)
        self.actor.require("sync.run")
        with self.db.atomic():
            self._audit("reidentify", "sync", None, detail={
                "database": new.database_id, "writer": new.writer, "previous_writer": new.previous_writer,
                "incarnation": new.number, "mrn_tag": new.mrn_tag})
        return f"{self._clinic.site.code}-{new.mrn_tag}-"

    def _peer_site(self, code: str | None) -> Site:
        if code:
            site = Site.get_or_none(Site.code == code.strip().upper())
            if site is None:
                raise NotFound(f"Site: there is no site with code {code!r}.", field="site")
            if site.id == self._clinic.site.id:
                raise ValidationError("Site: that is this site; choose the site the file is for.", field="site")
            return site
        if self._clinic.site.is_main:
            raise ValidationError("Site: the main clinic must name the satellite site the file is for.",
                                  field="site")
        return Site.get(Site.is_main == True)  # noqa: E712

    def _record(self, action: str, detail: dict) -> None:
        with self.db.atomic():
            self._audit(action, "sync", None, detail=detail)

    # -- conflicts ----------------------------------------------------------------------------
    def resolve(self, conflict_id: str, *, keep: str) -> ConflictView:
        """Settle a conflict: keep="kept" leaves the row as it is, keep="other" writes the other
        value into the row. Both ways the conflict is marked resolved and syncs to every site."""
        self.actor.require("sync.run")
        if keep not in ("kept", "other"):
            raise ValidationError("Keep: choose the value kept now or the other value.", field="keep")
        with self.db.atomic():
            conflict = SyncConflict.get_or_none(SyncConflict.id == as_uuid(conflict_id, "conflict"))
            if conflict is None:
                raise NotFound(f"No conflict with id {conflict_id}.")
            if conflict.status != "pending":
                raise ValidationError("Conflict: it was already resolved.", field="conflict")
            if keep == "other":
                self._write_other_value(conflict)
            update_versioned(conflict, conflict.version, status="resolved", resolution=keep,
                             resolved_by=self.actor.username, resolved_at=utcnow())
            self._audit("resolve", "sync_conflict", conflict.id,
                        detail={"table": conflict.table_name, "field": conflict.field, "keep": keep})
        return next(c for c in self.conflicts(include_resolved=True) if c.id == str(conflict.id))

    def _write_other_value(self, conflict: SyncConflict) -> None:
        model = models_by_table().get(conflict.table_name)
        if model is None or conflict.field in ("*",):
            if conflict.kind in ("deleted", "refused") and model is not None and conflict.other_value:
                raise ValidationError(
                    "Keep: a deleted or refused record cannot be restored from here; re-enter it "
                    "from the value shown.", field="keep")
            return
        if conflict.kind == "immutable":
            raise ValidationError("Keep: a signed record cannot change; add an addendum instead.", field="keep")
        row = model.get_or_none(model.id == uuid.UUID(conflict.row_id))
        if row is None:
            raise ValidationError("Keep: the record no longer exists.", field="keep")
        values = from_json(conflict.table_name, {conflict.field: conflict.other_value})
        update_versioned(row, row.version, **values)

    # -- sites --------------------------------------------------------------------------------
    @dataclass(frozen=True)
    class SiteView:
        code: str
        name: str
        is_main: bool
        is_this_site: bool

    def sites(self) -> list[SyncService.SiteView]:
        """Every site of the clinic (for choosing whom a sync file is for): the main clinic first,
        then by code."""
        self.actor.require("sync.run")
        here = str(self._clinic.site.id)
        rows = Site.select().order_by(Site.is_main.desc(), Site.code)
        return [SyncService.SiteView(s.code, s.name, bool(s.is_main), str(s.id) == here) for s in rows]


def join_as_satellite(main_url: str, satellite_path: str | Path, *, site_code: str, site_name: str,
                      progress: Progress | None = None, audit_key: str | Path | None = None) -> SyncReport:
    """Make a new satellite site: register it at the main clinic, create its database (a new
    SQLite file) and fill it with a first full sync.

    The satellite writes audit events at once: this computer must hold the clinic's audit key,
    either already (its config folder is the main clinic workstation's) or from the key file
    `audit_key` (`iopdesk audit key --export FILE` at the main clinic), installed here once it
    proves to be the main clinic's key. The satellite database records the key's fingerprint, so
    it can never start a key of its own. Raises ValidationError for a taken site code or an
    existing file, AuditKeyMissing (naming the commands) when the key is missing or wrong,
    DatabaseUnavailable when the main clinic cannot be reached. On failure nothing is written
    at the main clinic and the new file is removed.
    """
    from iopdesk.audit import keys as audit_keys
    from iopdesk.models import ClinicSetting

    code = (site_code or "").strip().upper()
    if not code or len(code) > 8 or not code.isalnum():
        raise ValidationError("Site code: use 1–8 letters or digits (it prefixes the site's MRNs).",
                              field="site_code")
    if not (site_name or "").strip():
        raise ValidationError("Site name: enter the satellite site's name.", field="site_name")
    path = Path(satellite_path)
    if path.exists():
        raise ValidationError(f"Satellite database: {path} already exists; choose a new file.", field="db")
    main_db = session.open_peer(main_url)
    satellite_db = None
    try:
        from iopdesk.storage.db import database

        with database.bound_to(main_db), main_db.atomic():
            settings = {row.key: row.value for row in ClinicSetting.select().where(
                ClinicSetting.key.in_(["clinic_id", audit_keys.FINGERPRINT_SETTING]))}
        key_fingerprint = settings.get(audit_keys.FINGERPRINT_SETTING)
        audit_keys.key_for_joining(str(settings.get("clinic_id")), key_fingerprint, audit_key)
        with database.bound_to(main_db), main_db.atomic():
            if Site.select().where(Site.code == code).exists():
                raise ValidationError(f"Site code: {code} is already used by another site.", field="site_code")
            with writing_as_site(incarnation.writer_id()):
                site = Site.create(name=site_name.strip(), code=code, is_main=False)
                audit.record(SYSTEM, "create", "site", site.id, detail={"code": code, "satellite": True})
            key_fingerprint = ClinicSetting.get(ClinicSetting.key == audit_keys.FINGERPRINT_SETTING).value
        satellite_db = make_database(str(path))
        satellite_db.connect()
        upgrade(satellite_db)
        session.prepare_satellite(satellite_db, main_db, site_id=site.id)
        with database.bound_to(satellite_db), satellite_db.atomic():
            ClinicSetting.create(key=audit_keys.FINGERPRINT_SETTING, value=key_fingerprint)
        return session.sync_databases(satellite_db, main_db, progress=progress or session._no_progress)
    except BaseException:
        if satellite_db is not None:
            satellite_db.close()
            for suffix in ("", "-wal", "-shm"):
                Path(str(path) + suffix).unlink(missing_ok=True)
        raise
    finally:
        if satellite_db is not None and not satellite_db.is_closed():
            satellite_db.close()
        session.close_peer(main_db)


__all__ = ["ConflictView", "PeerStatus", "SyncService", "SyncStatus", "join_as_satellite"]
