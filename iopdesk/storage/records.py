"""Helpers every service uses to write records the same way: versioned updates, content hashes.

An update names the version it read; if someone saved since, `ConcurrentEdit` says who and when
instead of silently overwriting their work.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Sequence

import peewee

from iopdesk.errors import ConcurrentEdit, NotFound
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.ids import new_id
from iopdesk.models import AuditEvent, Record, current_site


def update_versioned(record: Record, expected_version: int, **values) -> Record:
    """Write `values` to `record` if it is still at `expected_version`; bump its version.

    Raises ConcurrentEdit when another save came first; nothing is written then, and the error
    carries who saved and when, their stored values and these `values` (`theirs`, `mine`).
    """
    model = type(record)
    now = utcnow()
    updated = (
        model.update(version=model.version + 1, updated_at=now, **values)
        .where((model.id == record.id) & (model.version == expected_version))
        .execute()
    )
    if updated != 1:
        raise _concurrent_edit(record, values)
    for key, value in values.items():
        setattr(record, key, value)
    record.version = expected_version + 1
    record.updated_at = now
    return record


def _concurrent_edit(record: Record, values: dict) -> ConcurrentEdit:
    """The refusal for a save that lost the race, with both versions of the fields it touched."""
    model = type(record)
    current = model.get_or_none(model.id == record.id)
    when = current.updated_at if current else None
    last = (
        AuditEvent.select(AuditEvent.actor)
        .where(AuditEvent.entity_id == str(record.id))
        .order_by(AuditEvent.seq.desc())
        .first()
    )
    who = last.actor if last else "someone else"
    theirs: dict[str, object] = {}
    mine: dict[str, object] = {}
    for key, value in values.items():
        field = model._meta.combined.get(key)
        name = field.name if field is not None else key
        mine[key] = value.get_id() if isinstance(value, peewee.Model) else value
        theirs[key] = current.__data__.get(name) if current is not None else None
    stamp = when.strftime("%Y-%m-%d %H:%M") if when else "an unknown time"
    return ConcurrentEdit(
        f"This {model._meta.table_name.replace('_', ' ')} was changed by {who} at {stamp} UTC "
        "after you opened it. Reload to see their version; your changes were not saved.",
        changed_by=who, changed_at=when, theirs=theirs, mine=mine,
    )


def canonical_json(value: object) -> str:
    """The one JSON rendering used for hashing and comparing values: sorted keys, no spaces."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def content_hash(content: object) -> str:
    """SHA-256 of a canonical JSON rendering: what a signature covers."""
    return hashlib.sha256(canonical_json(content).encode("utf-8")).hexdigest()


def as_uuid(value: object, what: str) -> uuid.UUID:
    """An id from a caller (UUID or its text); NotFound naming `what` when it cannot be one."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No {what} with id {value!r}.") from None


def bulk_update(model: type[Record], rows: Sequence[Record], fields: Sequence[peewee.Field]) -> int:
    """Write `fields` of many rows in one UPDATE (peewee's CASE form).

    On PostgreSQL each value is cast to its column's type: a CASE whose values are all NULL is
    otherwise typed text, and the server refuses it for time, date or uuid columns.
    """
    if not rows:
        return 0
    db = model._meta.database
    db = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    if not isinstance(db, peewee.PostgresqlDatabase):
        return model.bulk_update(list(rows), fields=list(fields))
    pk = model._meta.primary_key
    update = {}
    for field in fields:
        sql_type = db._field_types.get(field.field_type, field.field_type)
        update[field] = peewee.Case(pk, [
            (pk.to_value(row._pk),
             peewee.Cast(peewee.Value(field.db_value(getattr(row, field.safe_name)), unpack=False), sql_type))
            for row in rows
        ])
    return model.update(update).where(pk.in_([row._pk for row in rows])).execute()

def insert_records(model: type[peewee.Model], rows: list[dict]) -> None:
    """Bulk-insert new rows of a clinic table, keyed and stamped with this site like `create()`."""
    site = current_site()
    for row in rows:
        row.setdefault("id", new_id())
        row.setdefault("origin_site", site)
    for batch in peewee.chunked(rows, 200):
        model.insert_many(batch).execute()


def fetch(model: type[Record], record_id: object, what: str) -> Record:
    """The row of `model` with this id, or NotFound naming `what` ("No medication with id …")."""
    row = model.get_or_none(model.id == as_uuid(record_id, what))
    if row is None:
        raise NotFound(f"No {what} with id {record_id}.")
    return row
