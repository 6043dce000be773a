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
from .models import AuditEvent, AuditHead, current_site
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


def _events(origin: uuid.UUID | None) -> Iterator[tuple]:
    query = AuditEvent.select(
        AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor_id, AuditEvent.actor,
        AuditEvent.action, AuditEvent.entity, AuditEvent.entity_id, AuditEvent.client_id,
        AuditEvent.detail, AuditEvent.prev_hash, AuditEvent.event_hash,
    ).where(
        AuditEvent.origin_site.is_null() if origin is None else AuditEvent.origin_site == origin
    ).order_by(AuditEvent.seq)
    yield from query.tuples().iterator()


def _verify_events(origin: uuid.UUID | None) -> tuple[ChainReport, str]:
    """One site's chain from its first event; the report and the hash it ends on."""
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    for row in _events(origin):
        seq, occurred_at, actor_id, actor, action, entity, entity_id, client_id = row[:8]
        detail_raw, prev_hash, stored_hash = row[8:]
        detail = json.loads(detail_raw) if isinstance(detail_raw, str) else (detail_raw or {})
        if seq != expected_seq:
            return ChainReport(False, count, f"audit event {expected_seq} is missing (next is {seq})"), ""
        if prev_hash != expected_prev:
            return ChainReport(False, count, f"audit event {seq} does not follow event {seq - 1}"), ""
        fields = _fields(seq, occurred_at, actor_id, actor, action, entity, entity_id, client_id, detail)
        if _event_hash(prev_hash, fields) != stored_hash:
            return ChainReport(False, count, f"audit event {seq} was altered after it was written"), ""
        expected_prev = stored_hash
        expected_seq += 1
        count += 1
    return ChainReport(True, count), expected_prev


def verify_chain() -> ChainReport:
    """Recompute every site's chain; report the first event that does not match.

    This database's own chain must also end where `AuditHead` says (so deleting the newest
    event is caught); chains synced from other sites are checked link by link, and their ends
    by their own site.
    """
    here = current_site()
    origins = [row[0] for row in AuditEvent.select(AuditEvent.origin_site).distinct().tuples()]
    total = 0
    for origin in sorted(origins, key=lambda o: (o is not None, str(o))):
        report, last_hash = _verify_events(origin)
        if not report.ok:
            if origin not in (None, here):
                return ChainReport(False, total + report.events,
                                   f"{report.problem} (in the trail synced from site {origin})")
            return ChainReport(False, total + report.events, report.problem)
        total += report.events
        if origin in (None, here):
            local_count, local_hash = report.events, last_hash
    head = AuditHead.get_or_none(AuditHead.name == "main")
    head_seq, head_hash = (head.seq, head.event_hash) if head else (0, GENESIS)
    if here not in origins and None not in origins:
        local_count, local_hash = 0, GENESIS
    if head_seq != local_count or head_hash != local_hash:
        return ChainReport(
            False, total, f"the audit trail ends at event {local_count} but event {head_seq} was the last written"
        )
    return ChainReport(True, total)
