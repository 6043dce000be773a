"""Site sync as the app and the CLI use it: status, direct sync, sync files, conflicts, joining.

Every run needs the "sync.run" permission and leaves an audit event; resolving a conflict writes
the chosen value through the ordinary versioned update, so the resolution itself syncs.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

from iopdesk.audit import chain as audit
from iopdesk.clinical.staff import signed_in_staff
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.models import (
    Client,
    ClientShare,
    Site,
    SyncChange,
    SyncConflict,
    SyncPeer,
    writing_as_site,
)
from iopdesk.permissions import SYSTEM
from iopdesk.services.base import Service
from iopdesk.storage.db import describe_url, make_database
from iopdesk.storage.encryption import check_passphrase, encrypt_clinic
from iopdesk.storage.records import as_uuid, update_versioned
from iopdesk.storage.schema import upgrade
from iopdesk.sync import session
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
        peers = []
        for peer in SyncPeer.select():
            site = sites.get(peer.peer_site)
            peers.append(PeerStatus(site.code if site else "?", site.name if site else "unknown site",
                                    peer.last_sync_at, peer.received_upto, peer.acked_upto))
        here = self._clinic.site
        main = next((s for s in sites.values() if s.is_main), None)
        if here.is_main or main is None:
            acked = min((p.acked_upto for p in SyncPeer.select()), default=None)
        else:
            row = SyncPeer.get_or_none(SyncPeer.peer_site == str(main.id))
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
        count, size = session.export_file(Path(path), peer_site=str(peer.id), passphrase=passphrase,
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

    def renew_identity(self) -> str:
        """Give this database a new identity after it was restored from a backup, so that every
        peer re-sends what the backup lacks and accepts everything from it again."""
        self.actor.require("sync.run")
        with self.db.atomic():
            identity = session.new_database_identity()
            self._audit("reidentify", "sync", None, detail={"database": identity})
        return identity

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

    # -- scope: which clients a satellite holds -------------------------------------------------
    def share(self, mrn: str, site_code: str, *, reason: str = "") -> Changes:
        """Share a client's chart with a satellite site, so the site receives the whole record at
        its next sync (iopdesk/sync/scope.py). Administrators only; audited; the share syncs.
        Raises NotFound for an unknown MRN or site code, ValidationError for the main clinic (it
        holds every client) or a client already shared with that site."""
        self.actor.require("sync.run")
        client, site = self._client_by_mrn(mrn), self._site_by_code(site_code)
        if site.is_main:
            raise ValidationError("Site: the main clinic holds every client; choose a satellite site.", field="site")
        with self.db.atomic():
            if self._open_shares(client, site).exists():
                raise ValidationError(f"Site: {client.mrn} is already shared with {site.code}.", field="site")
            staff = signed_in_staff(self.actor)
            share = ClientShare.create(client=client.id, site=site.id, shared_by=staff.id if staff else None,
                                       shared_at=utcnow(), reason=(reason or "").strip())
            self._audit("share", "client_share", share.id, client_id=client.id,
                        detail={"site": site.code, "reason": share.reason})
        return Changes.of("client", client_id=client.id)

    def unshare(self, mrn: str, site_code: str, *, reason: str = "") -> Changes:
        """End a client's share with a satellite site: at its next sync the site removes the
        client's records from its file, once the main clinic has every change the site made to
        them (nothing is deleted at the main clinic). Raises NotFound, ValidationError when the
        client is not shared with that site."""
        self.actor.require("sync.run")
        client, site = self._client_by_mrn(mrn), self._site_by_code(site_code)
        with self.db.atomic():
            shares = list(self._open_shares(client, site))
            if not shares:
                raise ValidationError(f"Site: {client.mrn} is not shared with {site.code}.", field="site")
            staff = signed_in_staff(self.actor)
            for share in shares:
                update_versioned(share, share.version, ended_at=utcnow(), ended_by=staff.id if staff else None)
            self._audit("unshare", "client_share", shares[0].id, client_id=client.id,
                        detail={"site": site.code, "reason": (reason or "").strip()})
        return Changes.of("client", client_id=client.id)

    def shared_sites(self, mrn: str) -> list[str]:
        """The codes of the satellite sites a client is shared with now."""
        self.actor.require("sync.run")
        client = self._client_by_mrn(mrn)
        rows = (Site.select(Site.code).join(ClientShare, on=(ClientShare.site == Site.id))
                .where((ClientShare.client == client.id) & ClientShare.ended_at.is_null()).distinct())
        return sorted(row.code for row in rows)

    @staticmethod
    def _open_shares(client: Client, site: Site):
        return ClientShare.select().where((ClientShare.client == client.id) & (ClientShare.site == site.id)
                                          & ClientShare.ended_at.is_null())

    @staticmethod
    def _client_by_mrn(mrn: str) -> Client:
        client = Client.get_or_none(Client.mrn == (mrn or "").strip().upper())
        if client is None:
            raise NotFound(f"Client: no client here has MRN {mrn!r}.", field="client")
        return client

    @staticmethod
    def _site_by_code(code: str) -> Site:
        site = Site.get_or_none(Site.code == (code or "").strip().upper())
        if site is None:
            raise NotFound(f"Site: there is no site with code {code!r}.", field="site")
        return site

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


def _private_file(path: Path) -> None:
    """Create an empty file only this computer account can read or write (0600); SQLite gives its
    -wal and -shm files the same mode. Where the OS has no such modes (Windows) the file's folder
    decides, which the README's satellite section says to keep in the user's own profile."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def join_as_satellite(main_url: str, satellite_path: str | Path, *, site_code: str, site_name: str,
                      progress: Progress | None = None, audit_key: str | Path | None = None,
                      passphrase: str | None = None) -> SyncReport:
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

    `site_code` may name a new site or a site of the clinic that has no satellite database yet
    (its clients were registered at the main clinic for it): the satellite becomes that site and
    receives its clients. The file is created readable by this computer account only (0600, its -wal and -shm too) and
    holds only this site's clients (iopdesk/sync/scope.py). With `passphrase` it is encrypted
    (SQLCipher, as `iopdesk encrypt` does) before this returns; `iopdesk sync join` asks for one
    unless told `--plain`. A weak passphrase is refused (ValidationError) before anything starts.
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
    if passphrase is not None:
        check_passphrase(passphrase)
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
            site = Site.get_or_none(Site.code == code)
            if site is not None and (site.is_main or SyncPeer.get_or_none(SyncPeer.peer_site == str(site.id))):
                raise ValidationError(f"Site code: {code} is already used by another site.", field="site_code")
            main_site = Site.get(Site.is_main == True)  # noqa: E712
            with writing_as_site(main_site.id):
                if site is None:
                    site = Site.create(name=site_name.strip(), code=code, is_main=False)
                    audit.record(SYSTEM, "create", "site", site.id, detail={"code": code, "satellite": True})
                else:  # a site of the clinic without a database of its own yet: its clients are waiting
                    audit.record(SYSTEM, "join", "site", site.id, detail={"code": code, "satellite": True})
            key_fingerprint = ClinicSetting.get(ClinicSetting.key == audit_keys.FINGERPRINT_SETTING).value
        _private_file(path)
        satellite_db = make_database(str(path))
        satellite_db.connect()
        upgrade(satellite_db)
        session.prepare_satellite(satellite_db, main_db, site_id=site.id)
        with database.bound_to(satellite_db), satellite_db.atomic():
            ClinicSetting.create(key=audit_keys.FINGERPRINT_SETTING, value=key_fingerprint)
        report = session.sync_databases(satellite_db, main_db, progress=progress or session._no_progress)
        if passphrase is not None:
            satellite_db.close()
            encrypt_clinic(path, passphrase)
            os.chmod(path, 0o600)
        return report
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
