"""The audit trail: who read or changed what, when, for which client, as a hash chain.

Each event's hash covers its own fields and the previous event's hash, and the `AuditHead` row
holds the newest seq and hash, so editing, deleting, reordering or truncating events breaks the
chain. Events are written inside the caller's transaction: a write and its audit event commit
together or not at all.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import peewee

from .clock import utcnow
from .models import AuditEvent, AuditHead
from .permissions import Actor

GENESIS = "0" * 64


def _event_hash(prev_hash: str, fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


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


def record(
    actor: Actor,
    action: str,
    entity: str,
    entity_id: object | None = None,
    *,
    client_id: uuid.UUID | str | None = None,
    detail: dict | None = None,
) -> AuditEvent:
    """Append one event to the chain, inside the caller's transaction (or its own)."""
    db = AuditEvent._meta.database
    with db.atomic():
        head_query = AuditHead.select().where(AuditHead.name == "main")
        if isinstance(db.obj if isinstance(db, peewee.DatabaseProxy) else db, peewee.PostgresqlDatabase):
            head_query = head_query.for_update()
        head = head_query.first()
        if head is None:
            head = AuditHead.create(name="main", seq=0, event_hash=GENESIS)
        seq = head.seq + 1
        now = utcnow()
        client = uuid.UUID(str(client_id)) if client_id else None
        fields = _fields(
            seq, now, actor.id, actor.username, action, entity,
            entity_id, client, detail,
        )
        digest = _event_hash(head.event_hash, fields)
        event = AuditEvent.create(
            seq=seq, occurred_at=now, actor_id=actor.id, actor=actor.username, action=action,
            entity=entity, entity_id=fields["entity_id"], client_id=client,
            detail=fields["detail"], prev_hash=head.event_hash, event_hash=digest,
        )
        AuditHead.update(seq=seq, event_hash=digest, updated_at=now).where(
            AuditHead.name == "main"
        ).execute()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    problem: str = ""


def _events() -> Iterator[tuple]:
    query = AuditEvent.select(
        AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_id, AuditEvent.actor,
        AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.client_id,
        AuditEvent.detail, AuditEvent.prev_hash, AuditEvent.event_hash,
    ).order_by(AuditEvent.seq)
    yield from query.tuples().iterator()


def verify_chain() -> ChainReport:
    """Recompute the whole chain; report the first event that does not match."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for row in _events():
        seq, occurred_at, actor_id, actor, action, entity, entity_id, client_id = row[:8]
        detail_raw, prev_hash, stored_hash = row[8:]
        detail = json.loads(detail_raw) if isinstance(detail_raw, str) else (detail_raw or {})
        if seq != expected_seq:
            return ChainReport(False, count, f"audit event {expected_seq} is missing (next is {seq})")
        if prev_hash != expected_prev:
            return ChainReport(False, count, f"audit event {seq} does not follow event {seq - 1}")
        fields = _fields(seq, occurred_at, actor_id, actor, action, entity, entity_id, client_id, detail)
        if _event_hash(prev_hash, fields) != stored_hash:
            return ChainReport(False, count, f"audit event {seq} was altered after it was written")
        expected_prev = stored_hash
        expected_seq += 1
        count += 1
    head = AuditHead.get_or_none(AuditHead.name == "main")
    head_seq, head_hash = (head.seq, head.event_hash) if head else (0, GENESIS)
    if head_seq != count or head_hash != expected_prev:
        return ChainReport(
            False, count, f"the audit trail ends at event {count} but event {head_seq} was the last written"
        )
    return ChainReport(True, count)
