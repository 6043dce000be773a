"""The audit trail: who read or changed what, when, for which client, as a keyed hash chain.

Each event's hash covers its own fields and the previous event's hash, and the `AuditHead` row
holds the newest seq and hash, so editing, deleting, reordering or truncating events breaks the
chain. Events are written inside the caller's transaction: a write and its audit event commit
together or not at all.

Keyed chain. An event's hash is HMAC-SHA256 under the clinic's audit key, which lives outside the
database (iopdesk/audit/keys.py), so someone who edits an event and recomputes its hash with plain
SHA-256 is caught too. Backward compatibility is per event: `hash_kind` says "sha256" for events
written before the key existed (they keep verifying as plain SHA-256) and "hmac" for the others.
Within one site's chain the plain events can only come first: a plain event after a keyed one is
an alteration, and for this database's own chain the head records from which seq events must be
keyed (`keyed_from`, set by migration 0006 when an old clinic was upgraded, 1 for a new one). The
head's seq, hash and keyed_from are sealed by its own HMAC (`mac`), so truncating the trail,
rewriting it wholesale as plain SHA-256 or moving `keyed_from` is caught as well. Wherever the key
file exists, the head must carry a valid MAC. Chains synced from other sites are checked link by
link with the same clinic key (every site of a clinic shares it); their ends by their own site.

The head is also anchored outside the file, on each workstation, after every commit that moves it
(iopdesk/audit/anchor.py), which catches a trail wiped with its guard dropped or a file rolled back.

Checks. `verify_chain` recomputes every event (the `iopdesk check`); `verify_recent` (start-up)
recomputes only this site's events after a keyed checkpoint (seq + hash, HMACed, in the head)
that the last successful check left, then moves the checkpoint; both also check the head's MAC.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import peewee

from iopdesk.audit import anchor as audit_anchor
from iopdesk.audit import keys as audit_keys
from iopdesk.errors import IopDeskError
from iopdesk.kernel.clock import utcnow
from iopdesk.models import AuditEvent, AuditHead, current_site
from iopdesk.permissions import Actor

GENESIS = "0" * 64
KEYED = "hmac"
PLAIN = "sha256"


def _event_hash(prev_hash: str, fields: dict, key: bytes | None = None) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    data = (prev_hash + canonical).encode("utf-8")
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _mac(key: bytes, *parts: object) -> str:
    return hmac.new(key, "|".join(str(p) for p in parts).encode("utf-8"), hashlib.sha256).hexdigest()


def head_mac(key: bytes, seq: int, event_hash: str, keyed_from: int) -> str:
    """The seal over the chain head (used by migration 0006 too)."""
    return _mac(key, "head", int(seq), event_hash, int(keyed_from))


def _checkpoint_mac(key: bytes, seq: int, event_hash: str) -> str:
    return _mac(key, "checkpoint", int(seq), event_hash)


def _fields(seq, occurred_at, actor_id, actor, action, entity, entity_id, client_id, detail) -> dict:
    return {
        "seq": int(seq),
        "occurred_at": occurred_at.isoformat(timespec="microseconds"),
        "actor_id": str(actor_id) if actor_id else None,
        "actor": actor,
        "action": action,
        "entity": entity,
        "entity_id": str(entity_id) if entity_id is not None else None,
        "client_id": str(client_id) if client_id else None,
        "detail": detail or {},
    }


def _is_postgres(db) -> bool:
    return isinstance(db.obj if isinstance(db, peewee.DatabaseProxy) else db, peewee.PostgresqlDatabase)


def record(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object | None = None,
    *,
    client_id: uuid.UUID | str | None = None,
    detail: dict | None = None,
) -> None:
    """Append one event to the chain, inside the caller's transaction (or its own); inside
    `batched()` it is written with the block's other events when the block ends.

    Raises AuditKeyMissing (nothing written) when this computer lacks the clinic's audit key.
    """
    event = (actor, action, entity, entity_id, client_id, detail)
    pending = getattr(_batch, "events", None)
    if pending is not None:
        pending.append(event)
        return
    _append([event])


_batch = threading.local()


@contextlib.contextmanager
def batched() -> Iterator[None]:
    """One transaction whose audit events are chained and written together at its end: one lock
    of the chain's head and one insert instead of five statements per event (a group session
    saves some thirty events). Nested blocks join the outer one; an error writes nothing."""
    if getattr(_batch, "events", None) is not None:
        yield
        return
    db = AuditEvent._meta.database
    with db.atomic():
        _batch.events = []
        try:
            yield
            events = _batch.events
        finally:
            _batch.events = None
        if events:
            _append(events)


def _append(events: list[tuple]) -> None:
    """Chain `events` (actor, action, entity, entity_id, client_id, detail) after the head."""
    db = AuditEvent._meta.database
    with db.atomic():
        key = audit_keys.database_key(create=True)
        head_query = AuditHead.select().where(AuditHead.name == "main")
        if _is_postgres(db):
            head_query = head_query.for_update()
        head = head_query.first()
        if head is None:
            head = AuditHead.create(name="main", seq=0, event_hash=GENESIS, keyed_from=1,
                                    mac=head_mac(key, 0, GENESIS, 1))
        seq, previous, now, site = head.seq, head.event_hash, utcnow(), current_site()
        rows = []
        for actor, action, entity, entity_id, client_id, detail in events:
            seq += 1
            client = uuid.UUID(str(client_id)) if client_id else None
            fields = _fields(seq, now, actor.id, actor.username, action, entity, entity_id, client, detail)
            digest = _event_hash(previous, fields, key)
            rows.append({"origin_site": site, "seq": seq, "occurred_at": now, "actor_id": actor.id,
                         "actor": actor.username, "action": action, "entity": entity,
                         "entity_id": fields["entity_id"], "client_id": client, "detail": fields["detail"],
                         "prev_hash": previous, "event_hash": digest, "hash_kind": KEYED})
            previous = digest
        if len(rows) == 1:
            AuditEvent.create(**rows[0])
        else:
            AuditEvent.insert_many(rows).execute()
        AuditHead.update(seq=seq, event_hash=previous, updated_at=now,
                         mac=head_mac(key, seq, previous, head.keyed_from)).where(
            AuditHead.name == "main"
        ).execute()
        audit_anchor.after_head_moved(key, (head.seq, head.event_hash), seq, previous)


@dataclass(frozen=True)
class ChainReport:
    """The answer of a check: `problem` names the first broken event (blank when ok)."""

    ok: bool
    events: int
    problem: str = ""
    broken_seq: int | None = None


def _events(origin: uuid.UUID | None, after: int = 0) -> Iterator[tuple]:
    query = AuditEvent.select(
        AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_id, AuditEvent.actor,
        AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.client_id,
        AuditEvent.detail, AuditEvent.prev_hash, AuditEvent.event_hash, AuditEvent.hash_kind,
    ).where(
        (AuditEvent.origin_site.is_null() if origin is None else AuditEvent.origin_site == origin)
        & (AuditEvent.seq > after)
    ).order_by(AuditEvent.seq)
    yield from query.tuples().iterator()


def _verify_events(origin: uuid.UUID | None, key: bytes | None, *, keyed_from: int | None = None,
                   after: int = 0, after_hash: str = GENESIS) -> tuple[ChainReport, str]:
    """One site's chain from the event after `after` (whose hash is `after_hash`); the report and
    the hash it ends on."""
    expected_prev = after_hash
    expected_seq = after + 1
    count = 0
    keyed_seen = False

    def broken(seq: int, problem: str) -> tuple[ChainReport, str]:
        return ChainReport(False, count, problem, seq), ""

    for row in _events(origin, after):
        seq, occurred_at, actor_id, actor, action, entity, entity_id, client_id = row[:8]
        detail_raw, prev_hash, stored_hash, kind = row[8:]
        detail = json.loads(detail_raw) if isinstance(detail_raw, str) else (detail_raw or {})
        if seq != expected_seq:
            return broken(expected_seq, f"audit event {expected_seq} is missing (next is {seq})")
        if prev_hash != expected_prev:
            return broken(seq, f"audit event {seq} does not follow event {seq - 1}")
        if kind == KEYED:
            if key is None:
                return broken(seq, f"audit event {seq} is sealed with the clinic's audit key, which this "
                                   "computer does not have (iopdesk audit key --import FILE)")
            keyed_seen = True
        elif kind != PLAIN or keyed_seen or (keyed_from is not None and seq >= keyed_from):
            return broken(seq, f"audit event {seq} was altered after it was written")
        fields = _fields(seq, occurred_at, actor_id, actor, action, entity, entity_id, client_id, detail)
        computed = _event_hash(prev_hash, fields, key if kind == KEYED else None)
        if not hmac.compare_digest(computed, stored_hash):
            return broken(seq, f"audit event {seq} was altered after it was written")
        expected_prev = stored_hash
        expected_seq += 1
        count += 1
    return ChainReport(True, count), expected_prev


def _key_and_head(key: bytes | None) -> tuple[AuditHead | None, str]:
    """This database's chain head, and a problem if its seal does not hold."""
    head = AuditHead.get_or_none(AuditHead.name == "main")
    if head is None or key is None:
        return head, ""
    if not head.mac or not hmac.compare_digest(head.mac, head_mac(key, head.seq, head.event_hash,
                                                                  head.keyed_from)):
        return head, "the audit trail's head record was altered (its seal does not match)"
    return head, ""


def _load_key() -> tuple[bytes | None, str]:
    try:
        return audit_keys.database_key(create=False), ""
    except IopDeskError as exc:
        return None, str(exc)


def verify_chain() -> ChainReport:
    """Recompute every site's chain; report the first event that does not match.

    This database's own chain must also end where `AuditHead` says (so deleting the newest
    event is caught); chains synced from other sites are checked link by link, and their ends
    by their own site. Signed notes and addenda must still match what was signed
    (iopdesk/audit/seals.py). A successful check moves the start-up checkpoint to the head.
    """
    key, problem = _load_key()
    if problem:
        return ChainReport(False, 0, problem)
    head, problem = _key_and_head(key)
    if problem:
        return ChainReport(False, 0, problem)
    here = current_site()
    keyed_from = head.keyed_from if head is not None and key is not None else None
    origins = [row[0] for row in AuditEvent.select(AuditEvent.origin_site).distinct().tuples()]
    total = 0
    local_count, local_hash = 0, GENESIS
    for origin in sorted(origins, key=lambda o: (o is not None, str(o))):
        local = origin in (None, here)
        report, last_hash = _verify_events(origin, key, keyed_from=keyed_from if local else None)
        if not report.ok:
            where = "" if local else f" (in the trail synced from site {origin})"
            return ChainReport(False, total + report.events, report.problem + where, report.broken_seq)
        total += report.events
        if local:
            local_count, local_hash = report.events, last_hash
    head_seq, head_hash = (head.seq, head.event_hash) if head else (0, GENESIS)
    if head_seq != local_count or head_hash != local_hash:
        return ChainReport(
            False, total, f"the audit trail ends at event {local_count} but event {head_seq} was the last written",
            local_count + 1,
        )
    from iopdesk.audit.seals import signed_notes_problem

    problem = signed_notes_problem()
    if problem:
        return ChainReport(False, total, problem)
    if key is not None and head is not None:
        _move_checkpoint(key, head.seq, head.event_hash)
    return ChainReport(True, total)


def verify_recent() -> ChainReport:
    """The start-up check: this site's events after the last checkpoint, the head's seal and the
    link to the checkpoint; moves the checkpoint on success. Fast however long the trail is;
    `verify_chain` (the `iopdesk check`) still recomputes everything."""
    key, problem = _load_key()
    if problem:
        return ChainReport(False, 0, problem)
    head, problem = _key_and_head(key)
    if problem:
        return ChainReport(False, 0, problem)
    if head is None:
        if AuditEvent.select().where(AuditEvent.origin_site == current_site()).exists():
            return ChainReport(False, 0, "the audit trail's head record is missing")
        return ChainReport(True, 0)
    after, after_hash = 0, GENESIS
    if key is not None and head.checked_mac and hmac.compare_digest(
            head.checked_mac, _checkpoint_mac(key, head.checked_seq, head.checked_hash)):
        at = AuditEvent.get_or_none((AuditEvent.origin_site == current_site())
                                    & (AuditEvent.seq == head.checked_seq))
        if head.checked_seq and (at is None or at.event_hash != head.checked_hash):
            return ChainReport(False, 0, f"audit event {head.checked_seq} was altered or removed after "
                                         "it was checked", head.checked_seq)
        after, after_hash = head.checked_seq, head.checked_hash
    report, last_hash = _verify_events(current_site(), key, keyed_from=head.keyed_from if key else None,
                                       after=after, after_hash=after_hash)
    if not report.ok:
        return report
    if head.seq != after + report.events or head.event_hash != last_hash:
        return ChainReport(False, report.events, f"the audit trail ends at event {after + report.events} "
                                                 f"but event {head.seq} was the last written",
                           after + report.events + 1)
    if key is not None:
        _move_checkpoint(key, head.seq, head.event_hash)
    return report


def _move_checkpoint(key: bytes, seq: int, event_hash: str) -> None:
    """Remember (sealed) that the trail verified up to `seq`; a read-only database just skips it."""
    db = AuditHead._meta.database
    try:
        with db.atomic():
            AuditHead.update(checked_seq=seq, checked_hash=event_hash,
                             checked_mac=_checkpoint_mac(key, seq, event_hash)).where(
                (AuditHead.name == "main") & (AuditHead.seq >= seq)).execute()
    except peewee.DatabaseError:
        pass
