"""Helpers every service uses to write records the same way: versioned updates, content hashes.

An update names the version it read; if someone saved since, `ConcurrentEdit` says who and when
instead of silently overwriting their work.
"""

from __future__ import annotations

import hashlib
import json
import uuid

from .clock import utcnow
from .errors import ConcurrentEdit, NotFound
from .models import AuditEvent, Record


def update_versioned(record: Record, expected_version: int, **values) -> Record:
    """Write `values` to `record` if it is still at `expected_version`; bump its version.

    Raises ConcurrentEdit when another save came first; nothing is written then.
    """
    model = type(record)
    now = utcnow()
    updated = (
        model.update(version=model.version + 1, updated_at=now, **values)
        .where((model.id == record.id) & (model.version == expected_version))
        .execute()
    )
    if updated != 1:
        current = model.get_or_none(model.id == record.id)
        when = current.updated_at.strftime("%Y-%m-%d %H:%M") if current else "an unknown time"
        last = (
            AuditEvent.select(AuditEvent.actor)
            .where(AuditEvent.entity_id == str(record.id))
            .order_by(AuditEvent.seq.desc())
            .first()
        )
        who = last.actor if last else "someone else"
        raise ConcurrentEdit(
            f"This {model._meta.table_name.replace('_', ' ')} was changed by {who} at {when} UTC "
            "after you opened it. Reload to see their version; your changes were not saved."
        )
    for key, value in values.items():
        setattr(record, key, value)
    record.version = expected_version + 1
    record.updated_at = now
    return record


def content_hash(content: object) -> str:
    """SHA-256 of a canonical JSON rendering: what a signature covers."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def as_uuid(value: object, what: str) -> uuid.UUID:
    """An id from a caller (UUID or its text); NotFound naming `what` when it cannot be one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No {what} with id {value!r}.") from None
