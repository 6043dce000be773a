"""Running a sync between this database and a peer: directly, or through a sync file.

Bookkeeping rules (each learned from other projects' data-loss bugs):
- The receiver owns its checkpoint: `received_upto` advances in the same transaction as the
  changes it covers, so an interrupted sync leaves both sides consistent and the next run picks
  up where the last committed batch ended; applying a change twice changes nothing.
- A side forgets nothing until the other side confirms: changes are re-sent from the peer's
  confirmed checkpoint (`acked_upto`), never from what was merely sent.
- A database restored from a backup has a new identity (`database_id`); a peer that sees a new
  identity re-sends everything since the beginning, and accepts everything again.
- Every sync file carries the sender's audit head as a sealed anchor (header `audit_anchor`,
  iopdesk/audit/anchor.py): where the sending site's trail stood when the file was written.
- Edits are ordered by row version, never by the wall clock; the device time of an edit
  (`updated_at`) and the time it was received here (`sync_change.recorded_at`) are both kept.
"""

from __future__ import annotations

import json
import secrets
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import peewee

from iopdesk.audit import anchor as audit_anchor
from iopdesk.audit import chain as audit_chain
from iopdesk.audit.sealing import LEFT_SCOPE_ACTION
from iopdesk.errors import DatabaseUnavailable, ValidationError
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.ids import new_id
from iopdesk.models import (
    ClinicSetting,
    Site,
    SiteIncarnation,
    SyncPeer,
    SyncSiteKey,
    writing_as_site,
)
from iopdesk.permissions import SYSTEM
from iopdesk.storage.db import database, describe_url, make_database
from iopdesk.storage.schema import schema_status
from iopdesk.storage.sync_triggers import synced_tables
from iopdesk.sync import incarnation, scope
from iopdesk.sync.apply import Applier, ApplyResult
from iopdesk.sync.files import read_sync_file, unverified_header, write_sync_file
from iopdesk.sync.outgoing import RowChange, horizon, next_batch
from iopdesk.sync.rows import from_json, models_by_table

Progress = Callable[[str, int, int], None]
FILE_FORMAT = 1


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Identity:
    clinic_id: str
    site_id: str  # the writer (a restored copy writes as a new incarnation of its site)
    database_id: str
    place: str | None = None  # its site, when known (the other side may not know the writer yet)


@dataclass
class SyncReport:
    received: ApplyResult = field(default_factory=ApplyResult)
    sent: ApplyResult = field(default_factory=ApplyResult)
    restarted: bool = False
    direct: bool = False
    rejoined: str = ""  # "here" or "there": which side is a restored copy syncing for the first time
    got_back: dict[str, int] = field(default_factory=dict)  # its new rows by table, when it rejoined
    removed: int = 0            # clients that left this satellite's scope and were removed here
    postponed: int = 0          # … and those kept until main confirms this site's changes to them

    @property
    def changed(self) -> bool:
        """Whether this run wrote anything (a repeat of a finished sync does not)."""
        return bool(self.received.applied or self.sent.applied or self.conflicts)

    @property
    def conflicts(self) -> int:
        return self.received.conflicts + self.sent.conflicts

    def summary(self) -> str:
        parts = [f"received {self.received.applied} change(s)"]
        if self.direct:
            parts.append(f"sent {self.sent.applied}")
        if self.conflicts:
            parts.append(f"{self.conflicts} new conflict(s) to resolve")
        if self.removed:
            parts.append(f"{self.removed} client(s) no longer shared with this site were removed from this file")
        if self.postponed:
            parts.append(f"{self.postponed} client(s) no longer shared with this site are kept until the "
                         "main clinic has this site's changes to them")
        if self.rejoined:
            who = "this site's database" if self.rejoined == "here" else "the other side's database"
            parts.append(f"{who} was restored from a backup and rejoined: it got back "
                         f"{sum(self.got_back.values())} record(s) it lacked{_by_kind(self.got_back)}")
        elif self.restarted:
            parts.append("a restored database was noticed, so everything was exchanged again")
        return "; ".join(parts)


def _by_kind(rows: dict[str, int], shown: int = 4) -> str:
    """" (12 audit event, 2 client, …)": rows by kind of record, most first."""
    kinds = sorted(((count, table) for table, count in rows.items() if count > 0), reverse=True)
    if not kinds:
        return ""
    words = [f"{count} {table.replace('_', ' ')}" for count, table in kinds[:shown]]
    return f" ({', '.join(words)}{', …' if len(kinds) > shown else ''})"


# -- identity and keys (call with the database bound) -------------------------------------------
def identity() -> Identity:
    """This database's clinic, writer (its site's id unless restored, iopdesk/sync/incarnation.py)
    and own identity (made on first use)."""
    database_id = incarnation.setting("database_id")
    if database_id is None:
        database_id = str(new_id())
        incarnation.put_setting("database_id", database_id)
    place = incarnation.setting("this_site")
    return Identity(str(incarnation.setting("clinic_id")), str(incarnation.writer_id()), str(database_id),
                    str(place) if place else None)


def new_database_identity() -> str:
    """Give this database a new copy identity (peers re-send everything to it and accept
    everything from it again) while it keeps writing as before: a copy of a database that never
    wrote since (a test, or a main clinic's server replaced by its own snapshot). A restored site
    that wrote before starts a new incarnation instead (`incarnation.begin`)."""
    value = str(new_id())
    incarnation.put_setting("database_id", value)
    return value


def sync_key(site_id: str) -> bytes:
    """The secret signing the sync files between the main clinic and satellite `site_id` (the
    main clinic holds every satellite's, a satellite only its own). ValidationError when this
    database holds none: the site was retired, or re-keyed and this satellite has not synced
    directly since."""
    row = SyncSiteKey.get_or_none(SyncSiteKey.site_id == str(uuid.UUID(str(site_id))))
    if row is None and _at_main_clinic():
        # a site set up at the main clinic without a satellite yet (the demo's EAST, a site made
        # before migration 0012 gave keys out): the main clinic gives it its key now; a retired
        # site never gets here (refuse_retired), a re-keyed one has its new key already
        new_sync_key(str(site_id))
        row = SyncSiteKey.get(SyncSiteKey.site_id == str(uuid.UUID(str(site_id))))
    if row is None:
        raise ValidationError(
            f"Sync file: this site holds no sync key for site {_site_code(site_id)}: the site was "
            "retired, or its key was renewed at the main clinic and this satellite has not synced "
            "directly with it since. Nothing was exchanged.", field="file")
    return bytes.fromhex(row.key)


def _at_main_clinic() -> bool:
    here = Site.get_or_none(Site.id == uuid.UUID(str(incarnation.setting("this_site"))))
    return here is not None and bool(here.is_main)


def new_sync_key(site_id: str) -> None:
    """Give satellite `site_id` a new sync key (at the main clinic), revoking the old one."""
    site_id = str(uuid.UUID(str(site_id)))
    SyncSiteKey.delete().where(SyncSiteKey.site_id == site_id).execute()
    SyncSiteKey.create(site_id=site_id, key=secrets.token_hex(32), created_at=utcnow())


def revoke_sync_key(site_id: str) -> None:
    """Forget satellite `site_id`'s key: files signed with it are refused from now on."""
    SyncSiteKey.delete().where(SyncSiteKey.site_id == str(uuid.UUID(str(site_id)))).execute()


def place_of(writer: str) -> str:
    """The site a writer id belongs to: a site restored from a backup writes as a new incarnation
    (iopdesk/sync/incarnation.py), but its sync key and its retirement are its site's."""
    return incarnation.sites_of_writers().get(str(writer), str(writer))


def _site_code(site_id: str) -> str:
    site = Site.get_or_none(Site.id == uuid.UUID(place_of(site_id)))
    return site.code if site else "(unknown)"


def file_key_site(from_site: str, to_site: str) -> str:
    """Whose key signs a file between two sites (writer or site ids): the satellite's site (the
    end that is not main)."""
    from_place, to_place = place_of(from_site), place_of(to_site)
    sender = Site.get_or_none(Site.id == uuid.UUID(from_place))
    return to_place if sender is not None and sender.is_main else from_place


def refuse_retired(*site_ids: str) -> None:
    """ValidationError naming the site when one of `site_ids` (writer or site ids) was retired
    (as this database knows)."""
    for site_id in site_ids:
        site = Site.get_or_none(Site.id == uuid.UUID(place_of(site_id)))
        if site is not None and site.retired_at is not None:
            raise ValidationError(
                f"Site {site.code} ({site.name}) was retired on {site.retired_at:%Y-%m-%d}: it can no "
                "longer sync or exchange sync files. Its records stay at the main clinic; nothing "
                "was exchanged.", field="site")


def _peer(site_id: str) -> SyncPeer:
    peer = SyncPeer.get_or_none(SyncPeer.peer_site == site_id)
    return peer if peer is not None else SyncPeer.create(peer_site=site_id)


# -- one direction ------------------------------------------------------------------------------
def _transfer(source_db: peewee.Database, target_db: peewee.Database, *, source: Identity,
              target: Identity, progress: Progress, stage: str) -> tuple[ApplyResult, bool]:
    """Send source's changes the target has not received, batch by batch; each batch commits
    together with the target's checkpoint. Returns (result, whether a restore was noticed)."""
    with database.bound_to(target_db), target_db.atomic():
        state = _peer(source.site_id)
        restarted = state.peer_database not in (None, source.database_id)
        position = 0 if restarted else state.received_upto
        joining = incarnation.setting(JOIN_UNFINISHED) is not None
    with database.bound_to(source_db):
        with source_db.atomic():
            their_view = _peer(target.site_id)
            resend_all = their_view.resend_all or their_view.peer_database not in (None, target.database_id)
            acked = 0 if resend_all else their_view.received_upto
        upto = horizon(source_db)
    if position > upto:
        restarted, position = True, 0
    if resend_all:
        position = 0
    with database.bound_to(source_db), source_db.atomic():
        # the target's site, as the target knows it: a restored satellite's new writer is not known
        # here before its first sync, yet it holds only its site's scope from the first batch
        reach = scope.plan(target.site_id, confirmed=position, upto=upto, place=target.place)
    applier = Applier(target_db, peer=source.site_id, this_site=target.site_id, acked_upto=acked,
                      catch_up=restarted or resend_all)
    if reach is not None and joining and position == 0 and not (restarted or resend_all):
        # a new satellite (its join not finished): a copy of what it holds, then the checkpoint
        # (interrupted, it starts over and skips the rows it has). Only then: a site that holds
        # rows already (one meeting a restored main's new writer) takes the change log, since a
        # copied row skipped as "held here already" at the same version would drop an edit
        with database.bound_to(source_db):
            tables = synced_tables(source_db)
        chunks = scope.first_copy(reach, tables, this_site=source.site_id, seq=upto)
        _apply_chunks(source_db, target_db, target, source, applier, chunks, 0, acked, upto)
        _apply_batch(target_db, target, source, applier, [], upto, acked, upto)
        return _transferred(source_db, target, upto, applier, False)
    start, total = position, max(upto - position, 0)
    # while a catch-up is still to come, the checkpoint stops one short of `upto`: a sync cut off
    # before the catch-up finished repeats it next time
    held = max(start, upto - 1) if reach is not None and reach.catch_up else upto
    while True:
        with database.bound_to(source_db):
            covered, changes = next_batch(position, upto, this_site=source.site_id,
                                          exclude_peer=None if resend_all else target.site_id,
                                          admits=reach.admits if reach else None)
        _apply_batch(target_db, target, source, applier, changes, min(covered, held), acked, upto)
        progress(stage, covered - start, total)
        position = covered
        if position >= upto:
            break
    if held < upto:
        chunks = scope.catch_up(reach, this_site=source.site_id, seq=upto)
        _apply_chunks(source_db, target_db, target, source, applier, chunks, held, acked, upto)
        _apply_batch(target_db, target, source, applier, [], upto, acked, upto)
    return _transferred(source_db, target, upto, applier, restarted or resend_all)


def _apply_chunks(source_db: peewee.Database, target_db: peewee.Database, target: Identity, source: Identity,
                  applier: Applier, chunks: Iterator[list[RowChange]], covered: int, acked: int,
                  announced: int) -> None:
    """Apply whole records read from the source chunk by chunk (each read with the source bound)."""
    while True:
        with database.bound_to(source_db):
            changes = next(chunks, None)
        if changes is None:
            return
        _apply_batch(target_db, target, source, applier, changes, covered, acked, announced)


def _transferred(source_db: peewee.Database, target: Identity, upto: int, applier: Applier,
                 restarted: bool) -> tuple[ApplyResult, bool]:
    with database.bound_to(source_db), source_db.atomic():
        SyncPeer.update(peer_database=target.database_id, acked_upto=upto, resend_all=False,
                        last_sync_at=utcnow()).where(SyncPeer.peer_site == target.site_id).execute()
    return applier.result, restarted


def _apply_batch(target_db: peewee.Database, target: Identity, source: Identity, applier: Applier,
                 changes: list[RowChange], covered: int, acked: int, announced: int) -> None:
    """One batch and the checkpoint covering it, in one transaction of the target; `announced`
    is how far the peer's change log went when this exchange began (what is still to receive
    from it, as of this contact, is the difference: `announced_upto`)."""
    with database.bound_to(target_db), writing_as_site(uuid.UUID(target.site_id)), target_db.atomic():
        _peer(source.site_id)
        applier.apply(changes)
        applier.finish()
        SyncPeer.update(peer_database=source.database_id, received_upto=covered, acked_upto=acked,
                        last_sync_at=utcnow(), last_result=json.dumps({"announced_upto": announced})
                        ).where(SyncPeer.peer_site == source.site_id).execute()


def announced_upto(peer: SyncPeer) -> int:
    """How far the peer's change log went at the last contact (0 when unknown)."""
    try:
        return int(json.loads(peer.last_result or "{}").get("announced_upto", 0))
    except (ValueError, TypeError, AttributeError):
        return 0


# -- direct sync --------------------------------------------------------------------------------
def open_peer(url: str) -> peewee.Database:
    """Connect to the other side's database (DatabaseUnavailable when it cannot be reached)."""
    db = make_database(url)
    try:
        db.connect(reuse_if_open=True)
    except peewee.OperationalError as exc:
        reason = " ".join(str(exc).split())
        raise DatabaseUnavailable(f"Cannot reach the main clinic database {describe_url(url)}: {reason}") from None
    return db


def close_peer(db: peewee.Database) -> None:
    db.close()
    if hasattr(db, "close_all"):
        db.close_all()


def _same_clinic(local: Identity, remote: Identity, local_db: peewee.Database,
                 remote_db: peewee.Database) -> None:
    if local.clinic_id != remote.clinic_id:
        raise ValidationError("Main clinic: that database belongs to another clinic; nothing was exchanged.",
                              field="url")
    if local.site_id == remote.site_id:
        raise ValidationError("Main clinic: that is this site's own database.", field="url")
    mine, theirs = schema_status(local_db).version, schema_status(remote_db).version
    if mine != theirs:
        raise ValidationError(
            f"Main clinic: its database is at schema version {theirs} and this site's at {mine}; "
            "update IOP Desk at both so they match, then sync.", field="url")


def sync_databases(local_db: peewee.Database, remote_db: peewee.Database, *,
                   progress: Progress = _no_progress) -> SyncReport:
    """Exchange changes between two open databases of one clinic: first receive, then send."""
    with database.bound_to(local_db), local_db.atomic():
        local = identity()
    with database.bound_to(remote_db), remote_db.atomic():
        remote = identity()
    _same_clinic(local, remote, local_db, remote_db)
    for db in (local_db, remote_db):
        with database.bound_to(db), db.atomic():
            refuse_retired(local.site_id, remote.site_id)
    report = SyncReport(direct=True)
    if _first_contact_of_incarnation(local_db, local.site_id, remote_db):
        report.rejoined = "here"
    elif _first_contact_of_incarnation(remote_db, remote.site_id, local_db):
        report.rejoined = "there"
    restored_db = local_db if report.rejoined == "here" else remote_db
    before = _row_counts(restored_db) if report.rejoined else {}
    report.received, restarted_in = _transfer(remote_db, local_db, source=remote, target=local,
                                              progress=progress, stage="receiving")
    report.sent, restarted_out = _transfer(local_db, remote_db, source=local, target=remote,
                                           progress=progress, stage="sending")
    report.restarted = restarted_in or restarted_out or bool(report.rejoined)
    if report.rejoined:
        after = _row_counts(restored_db)
        report.got_back = {table: after[table] - before.get(table, 0) for table in after}
    with database.bound_to(remote_db), remote_db.atomic():
        local_place = place_of(local.site_id)
        in_scope = scope.clients_in_scope(local_place) if scope.is_satellite(local_place) else None
    if in_scope is not None:
        report.removed, report.postponed = _leave_scope(local_db, in_scope, remote.site_id)
    if report.conflicts:
        # A conflict found while sending is recorded at the other side: bring it back now, and
        # settle two copies of one conflict found at both sides at once.
        for _ in range(2):
            back, _ = _transfer(remote_db, local_db, source=remote, target=local, progress=progress,
                                stage="receiving")
            forth, _ = _transfer(local_db, remote_db, source=local, target=remote, progress=progress,
                                 stage="sending")
            if not (back.applied or forth.applied):
                break
    return report


def _row_counts(db: peewee.Database) -> dict[str, int]:
    """Rows per synced table (what a restored copy holds before and after it rejoins)."""
    return {table: db.execute_sql(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in synced_tables(db)}


def _first_contact_of_incarnation(db: peewee.Database, writer: str, peer_db: peewee.Database) -> bool:
    """Whether `writer` is a restored copy's new incarnation that has not synced with the peer yet."""
    with database.bound_to(db), db.atomic():
        restored = SiteIncarnation.select().where(SiteIncarnation.writer == uuid.UUID(writer)).exists()
    if not restored:
        return False
    with database.bound_to(peer_db), peer_db.atomic():
        return not SyncPeer.select().where(SyncPeer.peer_site == writer).exists()


def _leave_scope(db: peewee.Database, in_scope: set[uuid.UUID], main_site: str) -> tuple[int, int]:
    """At a satellite: remove the clients that left its scope (iopdesk/sync/scope.py), each with
    an audit event naming how many of its rows this file no longer holds."""
    def record(client_id: uuid.UUID, rows: int) -> None:
        audit_chain.record(SYSTEM, LEFT_SCOPE_ACTION, "client", client_id, client_id=client_id,
                           detail={"rows": rows, "reason": "no longer in this site's scope"})

    with database.bound_to(db):
        confirmed = _peer(main_site).acked_upto
        return scope.remove_out_of_scope(db, in_scope, main_site=main_site, confirmed=confirmed, record=record)


# -- sync files ---------------------------------------------------------------------------------
def export_file(path: Path, *, peer_site: str, passphrase: str | None = None,
                progress: Progress = _no_progress) -> tuple[int, int]:
    """Write every change the peer has not confirmed to a sync file, with our confirmation of
    what we received from it. Call with this database bound. Returns (row changes, bytes)."""
    db = database.obj
    with db.atomic():
        me = identity()
        refuse_retired(me.site_id, peer_site)
        key = sync_key(file_key_site(me.site_id, peer_site))
        state = _peer(peer_site)
        since = 0 if state.resend_all else state.acked_upto
        header = {
            "format": FILE_FORMAT, "clinic_id": me.clinic_id, "from_site": me.site_id,
            "from_place": place_of(me.site_id),  # the site, for a receiver that does not know this writer yet
            "from_database": me.database_id, "to_site": peer_site, "since": since,
            "ack": state.received_upto, "ack_database": state.peer_database,
            "resend_all": bool(state.resend_all), "written_at": utcnow().isoformat(),
            "audit_anchor": audit_anchor.head_anchor(),
        }
    upto = horizon(db)
    header["upto"] = upto
    with db.atomic():
        reach = scope.plan(peer_site, confirmed=since, upto=upto)
    header["scope"] = sorted(str(c) for c in reach.clients) if reach else None
    batches, count, position = [], 0, since
    while position < upto:
        covered, changes = next_batch(position, upto, this_site=me.site_id,
                                      exclude_peer=None if state.resend_all else peer_site,
                                      admits=reach.admits if reach else None)
        batches.append({"covered": covered, "changes": [c.as_json() for c in changes]})
        count += len(changes)
        progress("writing", covered - since, upto - since)
        position = covered
    if reach is not None and reach.catch_up:
        for chunk in scope.catch_up(reach, this_site=me.site_id, seq=upto):
            batches.append({"covered": upto, "changes": [c.as_json() for c in chunk]})
            count += len(chunk)
    header["changes"] = count
    size = write_sync_file(Path(path), header, batches, sync_key=key, passphrase=passphrase)
    return count, size


def _refuse_unless_for(to_site: object, me: Identity) -> None:
    """ValidationError unless a file is addressed to this database's writer, saying so when it was
    written for this site's copy before a restore."""
    if to_site == me.site_id:
        return
    if to_site is not None and place_of(str(to_site)) == str(incarnation.setting("this_site")):
        raise ValidationError(
            "Sync file: it was written for this site's database as it was before it was restored "
            "from a backup. Export a file here and import it at the other site first; a file "
            "exported there after that is for this database. Nothing was imported.", field="file")
    raise ValidationError("Sync file: it was written for another site; nothing was imported.", field="file")


def import_file(path: Path, *, passphrase: str | None = None,
                progress: Progress = _no_progress) -> SyncReport:
    """Apply a verified sync file, batch by batch, each with the checkpoint it covers.

    Raises ValidationError naming the problem when the file is damaged, forged, for another
    clinic or site, or starts after what this site has received (a file is missing).
    """
    db = database.obj
    claimed = unverified_header(Path(path))  # only to refuse early and choose the key: verified next
    sender = claimed.get("from_site")
    with db.atomic():
        me = identity()
        _refuse_unless_for(claimed.get("to_site"), me)
        try:
            sender = str(uuid.UUID(str(sender)))
            sender_place = str(uuid.UUID(str(claimed.get("from_place") or sender)))
        except ValueError:
            raise ValidationError("Sync file: its header is damaged; nothing was imported.", field="file") from None
        refuse_retired(sender, sender_place, me.site_id)
        key = sync_key(file_key_site(sender_place, me.site_id))
    header, batches = read_sync_file(Path(path), sync_key=key, passphrase=passphrase)
    if header.get("format") != FILE_FORMAT:
        raise ValidationError("Sync file: it was written by another version of IOP Desk.", field="file")
    if header.get("clinic_id") != me.clinic_id:
        raise ValidationError("Sync file: it belongs to another clinic; nothing was imported.", field="file")
    with db.atomic():
        _refuse_unless_for(header.get("to_site"), me)
    source = Identity(me.clinic_id, header["from_site"], header["from_database"])
    batches = _checked_batches(batches)
    try:
        in_scope = None if header.get("scope") is None else {uuid.UUID(str(c)) for c in header["scope"]}
    except (TypeError, ValueError):
        raise ValidationError("Sync file: its list of this site's clients is malformed; nothing was imported.",
                              field="file") from None
    report = SyncReport()
    with db.atomic():
        state = _peer(source.site_id)
        restarted = state.peer_database not in (None, source.database_id)
        received = 0 if restarted else state.received_upto
        if header.get("ack_database") in (None, me.database_id):
            acked = 0 if restarted else max(state.acked_upto, int(header["ack"]))
            resend_all = state.resend_all and header.get("ack_database") is None
        else:
            acked, resend_all = 0, True  # it confirmed what an older copy of this database sent
        if int(header["since"]) > received and not header.get("resend_all"):
            raise ValidationError(
                f"Sync file: it starts after change {header['since']} but this site has received "
                f"only up to {received} from there; import the earlier file first, or export a new "
                "file there after importing this site's latest file. Nothing was imported.", field="file")
        SyncPeer.update(peer_database=source.database_id, acked_upto=acked, resend_all=resend_all,
                        received_upto=received).where(SyncPeer.peer_site == source.site_id).execute()
    report.restarted = restarted or bool(header.get("resend_all"))
    applier = Applier(db, peer=source.site_id, this_site=me.site_id, acked_upto=acked,
                      catch_up=report.restarted)
    total = len(batches)
    # a file older than what this site has received carries an old scope: neither its catch-up
    # nor its list of this site's clients may act
    current = int(header.get("upto", 0)) >= received
    # as in _transfer: while the file's catch-up is not all applied, the checkpoint stays one
    # short of the file's end, so an import cut off before it finishes repeats the catch-up
    catching_up = current and any(c.catch_up for _, changes in batches for c in changes)
    held = max(received, int(header.get("upto", 0)) - 1) if catching_up else None
    for number, (covered, changes) in enumerate(batches, 1):
        if covered > received or (current and any(c.catch_up for c in changes)):
            received = max(received, covered)
            _apply_batch(db, me, source, applier, changes, received if held is None else min(received, held), acked,
                         int(header["upto"]))
        progress("applying", number, total)
    if held is not None and received > held:
        _apply_batch(db, me, source, applier, [], received, acked, int(header["upto"]))
    report.received = applier.result
    if in_scope is not None and current:
        report.removed, report.postponed = _leave_scope(db, in_scope, source.site_id)
    return report


def _checked_batches(batches: list) -> list[tuple[int, list[RowChange]]]:
    """The file's batches as row changes, every value checked before anything is written.

    A correctly signed file can still be malformed (written by a faulty program): ValidationError
    naming the first bad change, and nothing is imported.
    """
    checked = []
    for number, batch in enumerate(batches, 1):
        try:
            covered = int(batch["covered"])
            changes = [_checked_change(RowChange.from_json(c)) for c in batch["changes"]]
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ValidationError(f"Sync file: batch {number} is malformed ({type(error).__name__}: "
                                  f"{str(error)[:80]}); nothing was imported.", field="file") from None
        checked.append((covered, changes))
    return checked


def _checked_change(change: RowChange) -> RowChange:
    if change.table not in models_by_table() or change.op not in ("I", "U", "D"):
        raise ValueError(f"unknown table or operation {change.table!r} {change.op!r}")
    uuid.UUID(change.row_id)
    uuid.UUID(change.origin)
    if not all(isinstance(f, str) for f in change.fields):
        raise ValueError("field names must be text")
    if change.op != "D":
        if not isinstance(change.row, dict) or str(change.row.get("id")) != change.row_id:
            raise ValueError(f"row {change.row_id} has no matching values")
        from_json(change.table, change.row)
        if not isinstance(change.row.get("version"), int):
            raise ValueError(f"row {change.row_id} has no version")
    return change


# -- joining ------------------------------------------------------------------------------------
JOIN_UNFINISHED = "join_unfinished"  # setting in a satellite file whose join has not finished


def prepare_satellite(satellite_db: peewee.Database, main_db: peewee.Database, *, site_id: uuid.UUID) -> None:
    """Give a new, empty satellite database the clinic's identity and the site's sync key from
    the main database, as site `site_id` (which must already exist at the main clinic, with its
    key), marked as a join not yet finished (`finish_join` clears the mark)."""
    with database.bound_to(main_db), main_db.atomic():
        clinic_id, clinic_name = incarnation.setting("clinic_id"), incarnation.setting("clinic_name")
        code, key = _site_code(str(site_id)), sync_key(str(site_id)).hex()
    with database.bound_to(satellite_db), satellite_db.atomic():
        for name, value in (("clinic_id", clinic_id), ("clinic_name", clinic_name), (JOIN_UNFINISHED, code),
                            ("this_site", str(site_id)), ("database_id", str(new_id()))):
            incarnation.put_setting(name, value)
        SyncSiteKey.create(site_id=str(site_id), key=key, created_at=utcnow())


def finish_join(satellite_db: peewee.Database) -> None:
    """Clear the unfinished-join mark: the file is a usable satellite from now on."""
    with database.bound_to(satellite_db), satellite_db.atomic():
        ClinicSetting.delete().where(ClinicSetting.key == JOIN_UNFINISHED).execute()


def partial_join_of(satellite_db: peewee.Database) -> tuple[str, str] | None:
    """(clinic id, site id) of a satellite file whose join has not finished, None for any other."""
    with database.bound_to(satellite_db), satellite_db.atomic():
        if incarnation.setting(JOIN_UNFINISHED) is None:
            return None
        return str(incarnation.setting("clinic_id")), str(uuid.UUID(str(incarnation.setting("this_site"))))


def take_site_key(local_db: peewee.Database, main_db: peewee.Database) -> None:
    """At a satellite syncing directly with the main clinic: hold the key the main clinic now has
    for this site (it changes when an administrator renews it, `iopdesk sync rekey`)."""
    with database.bound_to(local_db), local_db.atomic():
        site_id = place_of(identity().site_id)
        if Site.get(Site.id == uuid.UUID(site_id)).is_main:
            return
    with database.bound_to(main_db), main_db.atomic():
        row = SyncSiteKey.get_or_none(SyncSiteKey.site_id == site_id)
    if row is None:
        return
    with database.bound_to(local_db), local_db.atomic():
        mine = SyncSiteKey.get_or_none(SyncSiteKey.site_id == site_id)
        if mine is None or mine.key != row.key:
            SyncSiteKey.delete().where(SyncSiteKey.site_id == site_id).execute()
            SyncSiteKey.create(site_id=site_id, key=row.key, created_at=utcnow())
