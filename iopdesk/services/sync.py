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

import peewee

from iopdesk.audit import chain as audit
from iopdesk.clinical.program_rules import rule
from iopdesk.clinical.staff import signed_in_staff
from iopdesk.errors import DatabaseUnavailable, NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.models import (
    AuditEvent,
    Client,
    ClientShare,
    Site,
    Staff,
    StaffRole,
    SyncConflict,
    SyncPeer,
    SyncSiteKey,
    set_current_site,
    writing_as_site,
)
from iopdesk.passwords import verify_password
from iopdesk.permissions import SYSTEM, Actor
from iopdesk.services.base import Service
from iopdesk.services.work_items import WorkItem
from iopdesk.storage.db import describe_url, make_database
from iopdesk.storage.encryption import check_passphrase, encrypt_clinic
from iopdesk.storage.records import update_versioned
from iopdesk.storage.schema import upgrade
from iopdesk.sync import incarnation, session
from iopdesk.sync.outgoing import pending_count
from iopdesk.sync.rows import from_json, models_by_table
from iopdesk.sync.session import Progress, SyncReport
from iopdesk.sync.words import describe_record, field_word, record_word, value_words

SYNC_WARN_RULE = "sync.warn_after_days"
SHORT_ID = 8  # hex digits of a conflict's id printed in lists; `resolve` takes any unique prefix of 6 or more
KEEP_WORDS = {"mine": "kept", "theirs": "other", "kept": "kept", "other": "other"}


@dataclass(frozen=True)
class PeerStatus:
    """Another site as this database knows it. `pending_out`: clinical changes made or received
    here that it has not confirmed; `pending_in`: its changes announced at the last contact but
    not received (a sync cut short); `days_since_contact`: None when it never synced with us;
    `stale`: out of contact longer than the program rule `sync.warn_after_days`."""

    site_code: str
    site_name: str
    last_sync_at: dt.datetime | None
    received_upto: int
    acked_upto: int
    is_main: bool = False
    pending_out: int = 0
    pending_in: int = 0
    open_conflicts: int = 0
    days_since_contact: int | None = None
    stale: bool = False
    retired_at: dt.datetime | None = None
    joining: bool = False


@dataclass(frozen=True)
class SyncStatus:
    is_main: bool
    last_sync_at: dt.datetime | None
    pending_changes: int
    conflicts: int
    peers: tuple[PeerStatus, ...]
    warn_after_days: int = 3

    @property
    def idle(self) -> bool:
        """Nothing clinical waits to travel either way (audit and sign-in bookkeeping aside)."""
        return self.pending_changes == 0 and all(p.pending_in == 0 for p in self.peers)

    @property
    def stale_peers(self) -> tuple[PeerStatus, ...]:
        return tuple(p for p in self.peers if p.stale)


@dataclass(frozen=True)
class ConflictView:
    """A conflict as an administrator reads it. "Mine" is the value this site's record holds now
    (sync kept it, at every site); "theirs" is the other value, set aside in the conflict.
    `keep="mine"` leaves the record as it is, `keep="theirs"` writes the other value into it."""

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
    client: str | None = None
    client_id: str | None = None
    record: str = ""
    field_label: str = ""
    mine_text: str = ""
    theirs_text: str = ""
    mine_by: str = ""
    theirs_by: str = ""
    mine_at: dt.datetime | None = None
    theirs_at: dt.datetime | None = None

    @property
    def what(self) -> str:
        """The record in the clinic's words ("progress note of 11/30/2026")."""
        return self.record or record_word(self.table)

    @property
    def short_id(self) -> str:
        return self.id.replace("-", "")[:SHORT_ID]

    @property
    def about(self) -> str:
        """Client and record in one line: "Noor Haddad (MAIN-000001), client record"."""
        return f"{self.client}, {self.what}" if self.client else self.what.capitalize()

    @property
    def settled_as(self) -> str:
        return {"kept": "kept mine", "other": "took theirs"}.get(self.resolution or "", self.resolution or "")


def _site_label(site_id: str | None, names: dict[str, str]) -> str:
    return names.get(str(site_id), "another site") if site_id else "this site"


def _author(table: str, row_id: str, site_id: str | None, before: dt.datetime):
    """(who, when): the staff member whose audited action at `site_id` last touched the record
    before the conflict was found ("someone", None when the trail does not say)."""
    if not site_id:
        return "someone", None
    try:
        site = uuid.UUID(str(site_id))
    except ValueError:
        return "someone", None
    event = (AuditEvent.select(AuditEvent.actor, AuditEvent.actor_id, AuditEvent.occurred_at)
             .where((AuditEvent.entity == table) & (AuditEvent.entity_id == row_id)
                    & (AuditEvent.origin_site == site) & (AuditEvent.occurred_at <= before))
             .order_by(AuditEvent.occurred_at.desc(), AuditEvent.seq.desc()).first())
    if event is None:
        return "someone", None
    staff = Staff.get_or_none(Staff.id == event.actor_id) if event.actor_id else None
    return (staff.display_name if staff else event.actor), event.occurred_at


def _days_between(earlier: dt.datetime | None, now: dt.datetime) -> int | None:
    if earlier is None:
        return None
    return max(0, (now.replace(tzinfo=None) - earlier.replace(tzinfo=None)).days)


class SyncService(Service):
    # -- reading ------------------------------------------------------------------------------
    def status(self) -> SyncStatus:
        """Per other site: last sync, clinical changes pending both ways, open conflicts and days
        since last contact (stale past the program rule `sync.warn_after_days`); and for this
        site the changes not yet confirmed by the peer (the main clinic, for a satellite). Audit
        events and sign-in bookkeeping travel with every sync but are never counted as pending."""
        sites = {str(s.id): s for s in Site.select()}
        here = self._clinic.site
        warn_after = int(rule("sync", "warn_after_days"))
        now = utcnow()
        open_conflicts = list(SyncConflict.select(SyncConflict.kept_site, SyncConflict.other_site)
                              .where(SyncConflict.status == "pending").tuples())
        writers = incarnation.sites_of_writers()
        current = {incarnation.writer_of_site(site_id) for site_id in sites}
        peers, live = [], []
        for peer in SyncPeer.select():
            site = sites.get(writers.get(peer.peer_site, peer.peer_site))
            name = site.name if site else "unknown site"
            retired = site.retired_at if site else None
            superseded = site is not None and peer.peer_site not in current
            if superseded:
                name += " (its copy before a restore: no longer syncs)"
            elif retired is None:
                live.append(peer)  # a retired site or a copy before a restore never confirms again
            days = _days_between(peer.last_sync_at, now)
            peers.append(PeerStatus(
                site.code if site else "?", name, peer.last_sync_at,
                peer.received_upto, peer.acked_upto, bool(site and site.is_main),
                0 if superseded or retired else  # nothing will ever be sent to it
                pending_count(0 if peer.resend_all else peer.acked_upto, exclude_peer=peer.peer_site),
                max(0, session.announced_upto(peer) - peer.received_upto),
                sum(1 for kept, other in open_conflicts if peer.peer_site in (kept, other)),
                days, not superseded and retired is None and days is not None and days >= warn_after,
                retired_at=retired, joining=bool(site and site.joining)))
        main = next((s for s in sites.values() if s.is_main), None)
        if here.is_main or main is None:
            acked = min((p.acked_upto for p in live), default=None)
        else:
            row = SyncPeer.get_or_none(SyncPeer.peer_site == incarnation.writer_of_site(main.id))
            acked = row.acked_upto if row else 0
        pending = 0 if acked is None else pending_count(acked)
        last = max((p.last_sync_at for p in peers if p.last_sync_at), default=None)
        peers.sort(key=lambda p: (not p.is_main, p.site_code))
        return SyncStatus(bool(here.is_main), last, pending, len(open_conflicts), tuple(peers), warn_after)

    def attention(self) -> list[WorkItem]:
        """Today's items for an administrator ("sync.run"; nobody else gets any): the open
        conflicts, and each site out of contact for `sync.warn_after_days` days or more."""
        if not self.actor.can("sync.run"):
            return []
        status = self.status()
        items = []
        if status.conflicts:
            many = "s" if status.conflicts != 1 else ""
            items.append(WorkItem(
                kind="sync_conflicts", client_id="", mrn="", client_name="",
                what=f"{status.conflicts} sync conflict{many} to resolve",
                why="two sites changed the same record differently; choose the value to keep in Admin",
                target="admin:conflicts"))
        for peer in status.stale_peers:
            items.append(WorkItem(
                kind="site_out_of_contact", client_id="", mrn="", client_name="",
                what=f"{peer.site_name} ({peer.site_code}) has not synced for {peer.days_since_contact} days",
                why=f"its new records are at that site only until it syncs (warning after "
                    f"{status.warn_after_days} days)", target="admin:sync", overdue=True))
        return items

    def conflicts(self, *, include_resolved: bool = False) -> list[ConflictView]:
        """Conflicts waiting for an admin (and, if asked, the resolved ones), oldest first, in
        the clinic's words: client, record, field, both values, who made each, when, which site."""
        self.actor.require("sync.run")
        names = {str(s.id): f"{s.name} ({s.code})" for s in Site.select()}
        names.update({writer: names[site] for writer, site in incarnation.sites_of_writers().items()
                      if site in names})
        query = SyncConflict.select().order_by(SyncConflict.detected_at, SyncConflict.id)
        if not include_resolved:
            query = query.where(SyncConflict.status == "pending")
        return [self._view(c, names) for c in query]

    def _view(self, c: SyncConflict, names: dict[str, str]) -> ConflictView:
        fallback = next((v for v in (c.other_value, c.kept_value) if isinstance(v, dict) and "id" in v), None)
        words = describe_record(c.table_name, c.row_id, fallback)
        mine_by, mine_at = _author(c.table_name, c.row_id, c.kept_site, c.detected_at)
        theirs_by, theirs_at = _author(c.table_name, c.row_id, c.other_site, c.detected_at)
        return ConflictView(
            str(c.id), c.table_name, c.row_id, c.field, c.kind, c.kept_value, c.other_value,
            _site_label(c.kept_site, names), _site_label(c.other_site, names), c.detected_at, c.status,
            c.resolution, c.resolved_by, words.client, words.client_id, words.record, field_word(c.field),
            value_words(c.table_name, c.field, c.kept_value), value_words(c.table_name, c.field, c.other_value),
            mine_by, theirs_by, mine_at, theirs_at)

    # -- running ------------------------------------------------------------------------------
    def sync_with(self, url: str, *, progress: Progress | None = None) -> SyncReport:
        """Exchange changes with the main clinic's database at `url` (both ways).

        Raises PermissionDenied, DatabaseUnavailable when it cannot be reached, ValidationError when
        it is another clinic's or another schema version's.
        """
        self.actor.require("sync.run")
        remote = session.open_peer(url)
        try:
            session.take_site_key(self.db, remote)
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
        as any sign-in; a user who may not run sync is refused (PermissionDenied) before anything
        changes."""
        staff = Staff.get_or_none(Staff.username == (username or "").strip().lower())
        if staff is None or not staff.active or not verify_password(staff.password_hash, password or ""):
            self._clinic.login(username, password)  # refuses it, audited like every failed sign-in
        roles = frozenset(r.role for r in StaffRole.select(StaffRole.role).where(StaffRole.staff == staff.id))
        Actor(staff.id, staff.username, staff.display_name, roles).require("sync.run")
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
            if not (site.is_main or self._clinic.site.is_main):
                raise ValidationError("Site: sync files go between a satellite and the main clinic; write "
                                      "this one for the main clinic.", field="site")
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
        """Settle a conflict: keep="mine" (or "kept") leaves the record as this site holds it,
        keep="theirs" (or "other") writes the other value into it. Both ways the conflict is
        marked resolved, audited, and the resolution syncs to every site. `conflict_id` is the
        id or the short id a list printed (any unique prefix of 6 or more digits)."""
        self.actor.require("sync.run")
        if keep not in KEEP_WORDS:
            raise ValidationError("Keep: choose mine (the value this site holds now) or theirs (the "
                                  "other value).", field="keep")
        keep = KEEP_WORDS[keep]
        with self.db.atomic():
            conflict = self._conflict_by_id(conflict_id)
            if conflict.status != "pending":
                raise ValidationError("Conflict: it was already resolved.", field="conflict")
            if keep == "other":
                self._write_other_value(conflict)
            update_versioned(conflict, conflict.version, status="resolved", resolution=keep,
                             resolved_by=self.actor.username, resolved_at=utcnow())
            self._audit("resolve", "sync_conflict", conflict.id,
                        detail={"table": conflict.table_name, "field": conflict.field, "keep": keep})
        names = {str(s.id): f"{s.name} ({s.code})" for s in Site.select()}
        return self._view(SyncConflict.get_by_id(conflict.id), names)

    def _conflict_by_id(self, conflict_id: str) -> SyncConflict:
        text = (conflict_id or "").strip().lower().replace("-", "")
        if len(text) < 6 or not all(ch in "0123456789abcdef" for ch in text):
            raise ValidationError("Conflict: give the id shown in the list (at least 6 letters and digits).",
                                  field="conflict")
        if len(text) == 32:
            found = [SyncConflict.get_or_none(SyncConflict.id == uuid.UUID(text))]
        else:
            found = [c for c in SyncConflict.select() if c.id.hex.startswith(text)]
        found = [c for c in found if c is not None]
        if not found:
            raise NotFound(f"Conflict: there is no conflict {conflict_id}.", field="conflict")
        if len(found) > 1:
            raise ValidationError(f"Conflict: {conflict_id} matches {len(found)} conflicts; give more of its id.",
                                  field="conflict")
        return found[0]

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
        retired_at: dt.datetime | None = None

    def sites(self) -> list[SyncService.SiteView]:
        """Every site of the clinic (for choosing whom a sync file is for): the main clinic first,
        then by code."""
        self.actor.require("sync.run")
        here = str(self._clinic.site.id)
        rows = Site.select().order_by(Site.is_main.desc(), Site.code)
        return [SyncService.SiteView(s.code, s.name, bool(s.is_main), str(s.id) == here, s.retired_at)
                for s in rows]

    def retire_site(self, code: str) -> SiteView:
        """Retire satellite `code` at the main clinic (a closed site, a lost laptop): its records
        stay, its sync key is revoked, it no longer holds changes back in the pending count, and
        every later sync or sync file from it is refused. Audited; the site row syncs, so every
        site learns it. The code is never given out again."""
        self.actor.require("sync.run")
        site = self._satellite_here_at_main(code, "retire")
        if site.retired_at is not None:
            raise ValidationError(f"Site: {site.code} was already retired on {site.retired_at:%Y-%m-%d}.",
                                  field="site")
        with self.db.atomic():
            update_versioned(site, site.version, retired_at=utcnow(), joining=False)
            session.revoke_sync_key(str(site.id))
            self._audit("retire", "site", site.id, detail={"code": site.code, "name": site.name})
        return next(v for v in self.sites() if v.code == site.code)

    def renew_site_key(self, code: str) -> None:
        """Give satellite `code` a new sync key at the main clinic (its old one may be known to
        someone else): files signed with the old key are refused from now on; the other sites keep
        theirs. The satellite takes the new key at its next direct sync (`iopdesk sync --with`)."""
        self.actor.require("sync.run")
        site = self._satellite_here_at_main(code, "renew the sync key of")
        if site.retired_at is not None:
            raise ValidationError(f"Site: {site.code} is retired; it has no sync key.", field="site")
        with self.db.atomic():
            session.new_sync_key(str(site.id))
            self._audit("rekey", "site", site.id, detail={"code": site.code})

    def _satellite_here_at_main(self, code: str, verb: str) -> Site:
        if not self._clinic.site.is_main:
            raise ValidationError(f"Site: {verb} a site at the main clinic, not at a satellite.", field="site")
        site = Site.get_or_none(Site.code == (code or "").strip().upper())
        if site is None:
            raise NotFound(f"Site: there is no site with code {code!r}.", field="site")
        if site.is_main:
            raise ValidationError(f"Site: {site.code} is the main clinic; only a satellite can be chosen.",
                                  field="site")
        return site


def joining_path(satellite_path: str | Path) -> Path:
    """Where a satellite file is built until its join has finished (then renamed into place)."""
    path = Path(satellite_path)
    return path.with_name(path.name + ".joining")


def _private_file(path: Path) -> None:
    """Create an empty file only this computer account can read or write (0600); SQLite gives its
    -wal and -shm files the same mode. Where the OS has no such modes (Windows) the file's folder
    decides, which the README's satellite section says to keep in the user's own profile."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def join_as_satellite(main_url: str, satellite_path: str | Path, *, site_code: str, site_name: str,
                      progress: Progress | None = None, audit_key: str | Path | None = None,
                      passphrase: str | None = None) -> SyncReport:
    """Make a satellite site: register it at the main clinic, build its database (a new SQLite
    file) and fill it with a first full sync.

    The file is built as `<file>.joining` and renamed to `satellite_path` only once the first full
    sync has committed; the site stays marked `joining` at the main clinic until then. So a join
    that was interrupted (killed, the network gone) is simply run again with the same code: it
    resumes the partial file when it is intact, or starts it afresh, and the code is never burnt.

    The satellite writes audit events at once: this computer must hold the clinic's audit key,
    either already (its config folder is the main clinic workstation's) or from the key file
    `audit_key` (`iopdesk audit key --export FILE` at the main clinic), installed here once it
    proves to be the main clinic's key. The satellite database records the key's fingerprint, so
    it can never start a key of its own. Raises ValidationError for a code used by a joined or
    retired site or an existing file, AuditKeyMissing (naming the commands) when the key is
    missing or wrong, DatabaseUnavailable when the main clinic cannot be reached.

    `site_code` may name a new site or a site of the clinic that has no satellite database yet
    (its clients were registered at the main clinic for it): the satellite becomes that site and
    receives its clients. The file is created readable by this computer account only (0600, its
    -wal and -shm too) and holds only this site's clients (iopdesk/sync/scope.py). With
    `passphrase` it is encrypted (SQLCipher, as `iopdesk encrypt` does) once the join has
    finished; `iopdesk sync join` asks for one unless told `--plain`. A weak passphrase is refused
    (ValidationError) before anything starts.
    """
    from iopdesk.audit import keys as audit_keys
    from iopdesk.models import ClinicSetting
    from iopdesk.storage.db import database

    code = (site_code or "").strip().upper()
    if not code or len(code) > 8 or not code.isalnum():
        raise ValidationError("Site code: use 1–8 letters or digits (it prefixes the site's MRNs).",
                              field="site_code")
    if not (site_name or "").strip():
        raise ValidationError("Site name: enter the satellite site's name.", field="site_name")
    path, partial = Path(satellite_path), joining_path(satellite_path)
    if passphrase is not None:
        check_passphrase(passphrase)
    main_db = session.open_peer(main_url)
    try:
        with database.bound_to(main_db), main_db.atomic():
            settings = {row.key: row.value for row in ClinicSetting.select().where(
                ClinicSetting.key.in_(["clinic_id", audit_keys.FINGERPRINT_SETTING]))}
        clinic_id = str(settings.get("clinic_id"))
        audit_keys.key_for_joining(clinic_id, settings.get(audit_keys.FINGERPRINT_SETTING), audit_key)
        if path.exists() and not _finished_but_unconfirmed(path, clinic_id, code, main_db):
            raise ValidationError(f"Satellite database: {path} already exists; choose a new file.", field="db")
        site, key_fingerprint = _register_site(main_db, code, site_name.strip())
        report = SyncReport()
        if not path.exists():
            try:
                report = _build_satellite(main_db, partial, site.id, clinic_id, key_fingerprint, progress)
            except (peewee.OperationalError, peewee.InterfaceError) as error:
                reason = " ".join(str(error).split())
                raise DatabaseUnavailable(
                    f"The join of site {code} broke off ({reason}). What it received so far is kept in "
                    f"{partial}: run the same `iopdesk sync join` (same --db and --site-code) again to "
                    "finish it.") from None
            partial.replace(path)
        _confirm_join(main_db, site.id)
        satellite_db = make_database(str(path))
        try:
            satellite_db.connect()
            session.sync_databases(satellite_db, main_db)  # so it learns its join is finished
        finally:
            satellite_db.close()
        if passphrase is not None:
            encrypt_clinic(path, passphrase)
            os.chmod(path, 0o600)
        return report
    finally:
        session.close_peer(main_db)


def _private_file(path: Path) -> None:
    """Create an empty file only this computer account can read or write (0600); SQLite gives its
    -wal and -shm files the same mode. Where the OS has no such modes (Windows) the file's folder
    decides, which the README's satellite section says to keep in the user's own profile."""
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
    os.chmod(path, 0o600)


def _register_site(main_db, code: str, name: str) -> tuple[Site, str]:
    """The site `code` at the main clinic, registered now (marked joining, with its own sync key)
    or already registered by a join that never finished; and the clinic's audit key fingerprint."""
    from iopdesk.audit import keys as audit_keys
    from iopdesk.models import ClinicSetting
    from iopdesk.storage.db import database

    with database.bound_to(main_db), main_db.atomic():
        site = Site.get_or_none(Site.code == code)
        if site is not None and site.retired_at is not None:
            raise ValidationError(f"Site code: {code} belonged to a site retired on {site.retired_at:%Y-%m-%d}; "
                                  "a code is never given out again (it prefixes MRNs). Choose a new code.",
                                  field="site_code")
        # a site of the clinic without a database of its own yet (its clients were registered at
        # the main clinic for it) may join: the satellite becomes that site and receives its clients
        waiting = (site is not None and not site.joining and not site.is_main
                   and not SyncPeer.select().where(SyncPeer.peer_site == incarnation.writer_of_site(site.id)).exists())
        if site is not None and not site.joining and not waiting:
            raise ValidationError(f"Site code: {code} is already used by another site.", field="site_code")
        with writing_as_site(incarnation.writer_id()):  # main's writer: a restored main writes as its new life
            if site is None:
                site = Site.create(name=name, code=code, is_main=False, joining=True)
                audit.record(SYSTEM, "create", "site", site.id, detail={"code": code, "satellite": True})
                session.new_sync_key(str(site.id))
            elif waiting:
                update_versioned(site, site.version, joining=True)
                audit.record(SYSTEM, "join", "site", site.id, detail={"code": code, "satellite": True})
                if not SyncSiteKey.select().where(SyncSiteKey.site_id == str(site.id)).exists():
                    session.new_sync_key(str(site.id))
            else:
                audit.record(SYSTEM, "join_again", "site", site.id, detail={"code": code})
        key_fingerprint = ClinicSetting.get(ClinicSetting.key == audit_keys.FINGERPRINT_SETTING).value
    return site, key_fingerprint


def _build_satellite(main_db, partial: Path, site_id: uuid.UUID, clinic_id: str, key_fingerprint: str,
                     progress: Progress | None) -> SyncReport:
    """Fill `partial` with a first full sync: resume it when it is an intact partial file of this
    site, else start it afresh. Each batch commits with its checkpoint, so a run cut short
    leaves a file the next run resumes."""
    from iopdesk.audit import keys as audit_keys
    from iopdesk.models import ClinicSetting
    from iopdesk.storage.db import database

    satellite_db = _resumable(partial, clinic_id, str(site_id))
    try:
        if satellite_db is None:
            _private_file(partial)
            satellite_db = make_database(str(partial))
            satellite_db.connect()
            upgrade(satellite_db)
            session.prepare_satellite(satellite_db, main_db, site_id=site_id)
            with database.bound_to(satellite_db), satellite_db.atomic():
                ClinicSetting.create(key=audit_keys.FINGERPRINT_SETTING, value=key_fingerprint)
        report = session.sync_databases(satellite_db, main_db, progress=progress or session._no_progress)
        session.finish_join(satellite_db)
        return report
    finally:
        if satellite_db is not None:
            satellite_db.close()


def _resumable(partial: Path, clinic_id: str, site_id: str):
    """The open partial file when it is an unfinished join of this site in this clinic; otherwise
    None, with whatever was at `partial` removed (a partial file holds nothing not at main)."""
    if partial.exists():
        db = make_database(str(partial))
        try:
            db.connect()
            upgrade(db)
            if session.partial_join_of(db) == (clinic_id, site_id):
                return db
        except Exception:  # noqa: BLE001 - a damaged partial file is started afresh, never trusted
            pass
        db.close()
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(partial) + suffix).unlink(missing_ok=True)
    return None


def _finished_but_unconfirmed(path: Path, clinic_id: str, code: str, main_db) -> bool:
    """Whether `path` is this site's finished satellite file while the main clinic still marks the
    site joining (the join was cut between renaming the file and telling the main clinic)."""
    from iopdesk.storage.db import database

    with database.bound_to(main_db), main_db.atomic():
        site = Site.get_or_none(Site.code == code)
        if site is None or not site.joining:
            return False
    db = make_database(str(path))
    try:
        db.connect()
        with database.bound_to(db), db.atomic():
            me = session.identity()
        return (me.clinic_id, me.site_id) == (clinic_id, str(site.id)) and session.partial_join_of(db) is None
    except Exception:  # noqa: BLE001 - not a satellite file of this site: the caller refuses it
        return False
    finally:
        db.close()


def _confirm_join(main_db, site_id: uuid.UUID) -> None:
    """At the main clinic: the site's join has finished (the code is now taken for good)."""
    from iopdesk.storage.db import database

    with database.bound_to(main_db), main_db.atomic():
        site = Site.get(Site.id == site_id)
        if site.joining:
            with writing_as_site(incarnation.writer_id()):
                update_versioned(site, site.version, joining=False)
                audit.record(SYSTEM, "join", "site", site.id, detail={"code": site.code})


__all__ = ["ConflictView", "PeerStatus", "SyncService", "SyncStatus", "join_as_satellite"]
