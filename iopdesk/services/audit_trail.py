"""Reading the audit trail: chain verification and the events about one client."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from .. import audit
from ..models import AuditEvent
from .base import Service
from .clients import client_uuid


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    occurred_at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None


class AuditService(Service):
    def verify(self) -> audit.ChainReport:
        """Recompute the hash chain (anyone may check; the answer holds no PHI)."""
        return audit.verify_chain()

    def for_client(self, client_id) -> list[AuditEntry]:
        """Who saw or changed what in one client's chart (admin only)."""
        self.actor.require("admin.audit")
        query = (
            AuditEvent.select(
                AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.action,
                AuditEvent.entity, AuditEvent.entity_id,
            )
            .where(AuditEvent.client_id == client_uuid(client_id))
            .order_by(AuditEvent.seq)
            .tuples()
        )
        return [AuditEntry(*row) for row in query]
