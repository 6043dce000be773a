"""The audit trail's head anchored OUTSIDE the clinic file, so a wiped, cut or rolled-back trail shows.

The chain (iopdesk/audit/chain.py) catches an edited or reordered event, and its head's MAC a
truncation by someone without the key; but everything it checks lives in the clinic file, so
replacing the whole file with an older copy, or dropping the guard triggers and deleting every
event and the head, leaves a trail that verifies. The anchor is what the file cannot rewrite: each
workstation remembers the last event it saw committed, per clinic and site, in a file beside the
audit key (`<key folder>/<clinic_id>.<site_id>.anchor`), sealed with HMAC-SHA256 under the audit
key. `anchor_findings()` reports a trail that no longer holds that event.

Invariants:
- Written after the commit of a transaction that moved the head (peewee's `after_commit`), so an
  anchor never names an event that was rolled back; at most once every half second per process
  (a clinician signing notes commits several times a second), the commits in between held back
  and written at the next commit after the half second, at `Clinic.close`, before a restore and
  at the process's normal exit. The window: a process killed (or a machine losing power) leaves
  the anchor behind by the commits of its last half second, so rolling the file back by only
  those is not seen. The file has two sealed slots written in turn, in place and not fsynced (about 20 µs; an atomic rename costs some 4 ms a transaction on ext4): a
  write torn or lost by a crash leaves the other slot, one write older, so the anchor only ever
  gets older, never wrong. (The same holds for someone who damages the newest slot by hand.)
- An anchor only moves forward along the trail it names: when the trail no longer holds it (a
  rollback), later events do not move it, so the finding stays until an administrator
  acknowledges the rollback (`acknowledge_rollback`, audited), which moves it to the head.
- One entry per copy of the clinic (setting `database_id`, "original" before the first sync or
  restore). A restore made with the app gives the restored file a new identity and a keyed
  "restore" event naming it; its entry starts there, and the file it replaced keeps its own. A copy
  this workstation has no entry for is accepted if its trail holds the newest entry (the same
  clinic that took an identity since; its first anchor then replaces the entries its trail holds)
  or a keyed "restore"/"reidentify" event names it; otherwise it is a copy made outside the app
  (or one whose identity was edited) and reported against the newest entry.
- A workstation that never saw the clinic (no anchor file) has nothing to contradict: every
  workstation of a PostgreSQL clinic keeps its own anchor.
- Every backup the app writes carries its snapshot's anchor (setting `audit_anchor` in the copy)
  and every sync file its sender's (header `audit_anchor`), sealed the same way.
What the anchor cannot stop: someone who can also write the workstation's config folder can
delete the anchor file (the workstation then looks new), and someone with the audit key can forge
one (docs/SECURITY.md).
"""

from __future__ import annotations

import atexit
import datetime as dt
import hashlib
import hmac
import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import peewee

from iopdesk.audit import keys as audit_keys
from iopdesk.audit.findings import Finding
from iopdesk.errors import IopDeskError
from iopdesk.kernel.clock import utcnow
from iopdesk.models import AuditEvent, AuditHead, ClinicSetting, current_site

log = logging.getLogger(__name__)

ANCHOR_DIR_ENV = "IOPDESK_AUDIT_ANCHOR_DIR"
FORMAT = 1
SLOT_BYTES = 4096  # two slots per anchor file, written in turn
MAX_COPIES = 16  # entries kept per file (copies of the clinic this workstation saw), newest kept
ORIGINAL_COPY = "original"
BACKUP_SETTING = "audit_anchor"
RESTORE_ACTIONS = ("restore", "reidentify")


@dataclass(frozen=True)
class Anchor:
    """The last event of one copy's trail seen at `at` (UTC, naive)."""

    copy: str
    seq: int
    hash: str
    at: str

    def when(self) -> str:
        """`at` as local time, e.g. 2026-12-07 14:02."""
        moment = dt.datetime.fromisoformat(self.at).replace(tzinfo=dt.UTC).astimezone()
        return moment.strftime("%Y-%m-%d %H:%M")

    def saw(self) -> str:
        return f"event {self.seq} (hash {self.hash[:16]}…) on {self.when()}"


def _seal(key: bytes, body: dict) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
    return hmac.new(key, ("anchor|" + canonical).encode("utf-8"), hashlib.sha256).hexdigest()


def anchor_file(clinic_id: str, site_id: str) -> Path:
    """Where this workstation keeps the anchor of clinic `clinic_id`, site `site_id`: beside the
    audit key, or in `$IOPDESK_AUDIT_ANCHOR_DIR` (the tests give each test its own workstation)."""
    folder = os.environ.get(ANCHOR_DIR_ENV)
    base = Path(folder).expanduser() if folder else audit_keys.key_file(clinic_id).parent
    return base / f"{clinic_id}.{site_id}.anchor"


# -- which clinic, site and copy -----------------------------------------------------------
@dataclass(frozen=True)
class _Where:
    clinic_id: str
    site_id: str
    copy: str


def _db() -> peewee.Database:
    db = AuditEvent._meta.database
    return db.obj if isinstance(db, peewee.DatabaseProxy) else db


def _where() -> _Where | None:
    """This database's clinic, site and copy. Plain SQL: it runs in every transaction that writes
    an audit event, where peewee's query building would cost more than the query."""
    db, param = _db(), _db().param
    rows = db.execute_sql(f"SELECT key, value FROM {ClinicSetting._meta.table_name} WHERE key IN ({param}, {param})",
                          ("clinic_id", "database_id")).fetchall()
    values = {name: ClinicSetting.value.python_value(value) for name, value in rows}
    if values.get("clinic_id") is None:
        return None
    return _Where(str(values["clinic_id"]), str(current_site()), str(values.get("database_id") or ORIGINAL_COPY))


# -- the anchor file -----------------------------------------------------------------------
class AnchorAltered(IopDeskError):
    """The anchor file does not carry a valid seal under this clinic's audit key."""


def _slots(path: Path, key: bytes) -> list[dict]:
    """The slots of the anchor file at `path` whose seal holds, newest first; [] when there is
    no file. AnchorAltered when the file exists but no slot's seal holds."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AnchorAltered(f"the anchor file {path} cannot be read ({exc.strerror or exc})") from None
    sealed = []
    for start in range(0, max(len(raw), 1), SLOT_BYTES):
        try:
            data = json.loads(raw[start:start + SLOT_BYTES].decode("utf-8").strip())
        except (UnicodeDecodeError, ValueError):
            continue  # a slot torn by a crash, or never written
        mac = data.pop("mac", "") if isinstance(data, dict) else ""
        if isinstance(mac, str) and hmac.compare_digest(mac, _seal(key, data)):
            sealed.append(data)
    if not sealed:
        raise AnchorAltered(f"the anchor file {path} was altered (its seal does not match)")
    return sorted(sealed, key=lambda data: int(data.get("n", 0)), reverse=True)


def _read(path: Path, key: bytes) -> dict[str, Anchor]:
    """The entries of the anchor file at `path` ({} when there is none), from its newest sealed
    slot; AnchorAltered when no slot's seal holds."""
    slots = _slots(path, key)
    return _entries(slots[0]) if slots else {}


def _entries(slot: dict) -> dict[str, Anchor]:
    return {copy: Anchor(copy, int(e["seq"]), str(e["hash"]), str(e["at"]))
            for copy, e in (slot.get("copies") or {}).items()}


def _write(path: Path, key: bytes, where: _Where, entries: dict[str, Anchor], number: int) -> None:
    """Write `entries` as write `number` into slot `number % 2`, in place (no rename: on ext4
    replacing a file by rename flushes it, some 4 ms a transaction); a write torn by a crash
    leaves the other slot, one write older, to read."""
    kept = sorted(entries.values(), key=lambda a: (a.at, a.seq))[-MAX_COPIES:]
    body = {"format": FORMAT, "clinic_id": where.clinic_id, "site_id": where.site_id, "n": number,
            "copies": {a.copy: {"seq": a.seq, "hash": a.hash, "at": a.at} for a in kept}}
    body["mac"] = _seal(key, body)
    text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode("utf-8")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.pwrite(handle, text.ljust(SLOT_BYTES), (number % 2) * SLOT_BYTES)
    finally:
        os.close(handle)


def _holds(db: peewee.Database, site: str, anchor: Anchor) -> bool:
    """Whether this site's trail in `db` holds the anchor's event with the anchor's hash."""
    if anchor.seq == 0:
        return True
    param = db.param
    row = db.execute_sql(f"SELECT event_hash FROM {AuditEvent._meta.table_name} "
                         f"WHERE origin_site = {param} AND seq = {param}",
                         (AuditEvent.origin_site.db_value(uuid.UUID(site)), int(anchor.seq))).fetchone()
    return row is not None and hmac.compare_digest(str(row[0]), anchor.hash)


# -- moving the anchor ---------------------------------------------------------------------
_pending = threading.local()


def after_head_moved(key: bytes, previous: tuple[int, str], seq: int, event_hash: str) -> None:
    """Called by the chain inside the transaction that moved this database's head from
    `previous` (seq, hash) to `seq`: the anchor follows once that transaction commits (never if
    it rolls back), in one write however many events the transaction appended."""
    db = _db()
    outer = db._state.transactions[0] if db._state.transactions else None
    pending = getattr(_pending, "by_db", {}).get(id(db))
    if pending is not None and outer is not None and pending["transaction"] is outer:
        pending.update(seq=seq, hash=event_hash)
        return
    where = _where()
    if where is None:
        return
    pending = {"transaction": outer, "seq": seq, "hash": event_hash}
    _pending.by_db = {**getattr(_pending, "by_db", {}), id(db): pending}

    def write() -> None:
        _follow(db, key, where, pending["seq"], pending["hash"], previous=previous)

    def committed() -> None:
        _pending.by_db.pop(id(db), None)
        path = str(anchor_file(where.clinic_id, where.site_id))
        now = time.monotonic()
        with _lock:
            if now - _last_write.get(path, -EVERY_SECONDS) < EVERY_SECONDS:
                _unwritten[path] = write
                return
            _last_write[path] = now
            _unwritten.pop(path, None)
        write()

    db.after_commit(committed)


EVERY_SECONDS = 0.5  # at most one anchor write per half second, process and file; the rest later
_lock = threading.Lock()
_last_write: dict[str, float] = {}
_unwritten: dict[str, Callable[[], None]] = {}


def write_pending() -> None:
    """Write the anchors held back by the half-second limit (Clinic.close, a restore, and the
    process's normal exit call this)."""
    with _lock:
        todo = list(_unwritten.values())
        _unwritten.clear()
    for write in todo:
        write()


atexit.register(write_pending)


def _follow(db: peewee.Database, key: bytes, where: _Where, seq: int, event_hash: str, *,
            previous: tuple[int, str] | None = None, force: bool = False) -> None:
    """Move this copy's anchor to (seq, event_hash): forward only along the trail it names (the
    trail certainly holds the anchor when it is the `previous` head the commit extended),
    unless `force` (an acknowledged rollback). Never raises: the commit stands."""
    path = anchor_file(where.clinic_id, where.site_id)
    try:
        try:
            slots = _slots(path, key)
        except AnchorAltered:
            if not force:
                return  # an altered anchor stays as evidence until acknowledged
            slots = []
        entries = _entries(slots[0]) if slots else {}
        current = entries.get(where.copy)
        if current is None and entries and not force:
            newest = max(entries.values(), key=lambda a: (a.at, a.seq))
            if not (_holds(db, where.site_id, newest) or _restored_here(db, where)):
                return  # a copy made outside the app: reported until acknowledged
        if current is None:  # the clinic took a new identity: the entries its trail holds were it
            entries = {copy: a for copy, a in entries.items() if not _holds(db, where.site_id, a)}
        elif not force:
            extended = previous is not None and (current.seq, current.hash) == tuple(previous)
            if seq < current.seq or not (extended or _holds(db, where.site_id, current)):
                return
        entries[where.copy] = Anchor(where.copy, int(seq), event_hash, utcnow().isoformat(timespec="seconds"))
        _write(path, key, where, entries, int(slots[0].get("n", 0)) + 1 if slots else 1)
    except Exception as exc:  # noqa: BLE001 - runs after the commit: the saved work must stand
        log.warning("audit anchor not written: %s", type(exc).__name__)


def move_to_head(key: bytes) -> None:
    """After the current transaction commits, set this copy's anchor to the head whatever it was
    (an acknowledged rollback; the caller audits it in that transaction)."""
    where = _where()
    head = AuditHead.get_or_none(AuditHead.name == "main")
    if where is None or head is None:
        return
    db = _db()
    seq, event_hash = head.seq, head.event_hash
    db.after_commit(lambda: _follow(db, key, where, seq, event_hash, force=True))


# -- checking --------------------------------------------------------------------------------
def head() -> tuple[int, str]:
    """This database's head: (seq, hash); (0, genesis) when it has none."""
    head = AuditHead.get_or_none(AuditHead.name == "main")
    return (head.seq, head.event_hash) if head else (0, "0" * 64)


def contradicted() -> Anchor | None:
    """The anchor this database's trail contradicts, or None (also when there is no key or no
    anchor here). AnchorAltered when the anchor file's seal does not hold."""
    key = _key()
    where = _where()
    if key is None or where is None:
        return None
    entries = _read(anchor_file(where.clinic_id, where.site_id), key)
    if not entries:
        return None
    db = _db()
    head_seq, _ = head()
    mine = entries.get(where.copy)
    if mine is not None:
        return None if head_seq >= mine.seq and _holds(db, where.site_id, mine) else mine
    newest = max(entries.values(), key=lambda a: (a.at, a.seq))
    if head_seq >= newest.seq and _holds(db, where.site_id, newest):
        return None
    if _restored_here(db, where):
        return None
    return newest


def _restored_here(db: peewee.Database, where: _Where) -> bool:
    """Whether a keyed event of this site's trail gave this copy its identity (an app restore)."""
    if where.copy == ORIGINAL_COPY:
        return False
    param = db.param
    rows = db.execute_sql(f"SELECT detail FROM {AuditEvent._meta.table_name} WHERE origin_site = {param} "
                          f"AND action IN ({param}, {param}) AND hash_kind = {param}",
                          (AuditEvent.origin_site.db_value(uuid.UUID(where.site_id)), *RESTORE_ACTIONS, "hmac"))
    for (detail,) in rows.fetchall():
        value = json.loads(detail) if isinstance(detail, str) else (detail or {})
        if str(value.get("database")) == where.copy:
            return True
    return False


def _key() -> bytes | None:
    try:
        return audit_keys.database_key(create=False)
    except IopDeskError:
        return None  # the chain's own finding names the missing key


def anchor_findings() -> list[Finding]:
    """What the workstation's anchor says about this database's trail: one finding naming the
    last anchor it contradicts ("the audit trail ends at event 120 but this workstation saw event
    482 (hash …) on 2026-12-07 14:02"), or an altered anchor file; [] when all is well."""
    try:
        anchor = contradicted()
    except AnchorAltered as exc:
        return [Finding("anchor", "this workstation's anchor", str(exc))]
    if anchor is None:
        return []
    head_seq, _ = head()
    if head_seq < anchor.seq:
        problem = (f"the audit trail ends at event {head_seq} but this workstation saw {anchor.saw()}: "
                   "it was wiped, cut or rolled back (a restore made outside IOP Desk needs an administrator's "
                   "acknowledgement)")
    else:
        problem = (f"the audit trail does not hold {anchor.saw()}, which this workstation saw: it was replaced "
                   f"or rolled back and written on since (it ends at event {head_seq})")
    return [Finding("anchor", f"workstation anchor at event {anchor.seq}", problem)]


# -- what backups and sync files carry ---------------------------------------------------------
def head_anchor() -> dict | None:
    """This database's head as a sealed anchor ({clinic_id, site_id, copy, seq, hash, at, mac}),
    for a backup or sync file to carry; None when there is no key or no identity yet."""
    key = _key()
    where = _where()
    if key is None or where is None:
        return None
    seq, event_hash = head()
    body = {"clinic_id": where.clinic_id, "site_id": where.site_id, "copy": where.copy, "seq": seq,
            "hash": event_hash, "at": utcnow().isoformat(timespec="seconds")}
    return {**body, "mac": _seal(key, body)}


def carried_anchor_problem(carried: object) -> str:
    """Why a carried anchor (from head_anchor) does not hold for the database bound now: its
    seal, or a trail that does not reach it; "" when it holds."""
    key = _key()
    if not isinstance(carried, dict) or key is None:
        return "" if key is None else "its anchor is not an anchor"
    body = {k: v for k, v in carried.items() if k != "mac"}
    if not hmac.compare_digest(str(carried.get("mac", "")), _seal(key, body)):
        return "its anchor was altered (its seal does not match)"
    anchor = Anchor(str(body.get("copy")), int(body.get("seq", 0)), str(body.get("hash")), str(body.get("at")))
    db = _db()
    if not _holds(db, str(body.get("site_id")), anchor):
        return f"its audit trail does not hold the {anchor.saw()} it was written with"
    return ""


def entries_here() -> list[Anchor]:
    """This workstation's anchors of the clinic and site bound now (for Admin ▸ Audit)."""
    key = _key()
    where = _where()
    if key is None or where is None:
        return []
    try:
        entries = _read(anchor_file(where.clinic_id, where.site_id), key)
    except AnchorAltered:
        return []  # anchor_findings names it
    return sorted(entries.values(), key=lambda a: (a.at, a.seq))

