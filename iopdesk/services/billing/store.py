"""Keeping derived claim lines in `BillableService` with stable ids, and marking exports.

Each derived line is upserted by its natural key (`line_key`: client, date and what it comes
from), so deriving the same range twice finds the same rows and the same line ids; a row whose
content changed is rewritten under the same id (keeping its export batch and exported hash, so the
change is flagged); a row no longer derived is deleted unless it was exported, in which case it
stays and is reported so the biller can void or correct the claim. Writes are bulk statements in
chunks, never one statement per line.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from dataclasses import dataclass, fields

import peewee

from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.ids import new_id
from iopdesk.models import BillableService, Client, ExportBatch, Payer, Site, current_site
from iopdesk.services.billing.derive import Candidate
from iopdesk.services.billing.record import canonical_id, raw_rows
from iopdesk.services.billing.views import BillingLine

CHUNK = 400
UNHASHED = ("line_id", "export_batch", "changed_since_export")
HASHED_FIELDS = tuple(f.name for f in fields(BillingLine) if f.name not in UNHASHED)
VANISHED = "no longer derived from the record"


def values_hash(values: list) -> str:
    """SHA-256 of a claim line's values in HASHED_FIELDS order."""
    text = json.dumps(values, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def line_hash(line: BillingLine) -> str:
    """SHA-256 of everything a claim line says (not its id or export state)."""
    return values_hash([getattr(line, name) for name in HASHED_FIELDS])


@dataclass(frozen=True)
class StoredLine:
    line_id: str
    export_batch: str
    exported_hash: str


@dataclass(frozen=True)
class VanishedLine:
    """An exported line the record no longer supports."""

    client_id: str
    mrn: str
    client_name: str
    payer_code: str
    site_code: str
    service_date: dt.date
    code: str
    export_batch: str
    note_id: str


def _chunks(items: list, size: int = CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def batch_ids(batch, _cache: dict = {}) -> str:  # noqa: B006 - a deliberate memo of printed ids
    if batch is None:
        return ""
    if batch not in _cache:
        _cache[batch] = canonical_id(batch)
    return _cache[batch]


def _row(candidate: Candidate, digest: str, row_id, *, created=None, version=1, batch=None, exported=None) -> dict:
    now = utcnow()
    return {
        "id": row_id, "created_at": created or now, "updated_at": now, "origin_site": current_site(),
        "version": version, "client": candidate.client.id, "episode": candidate.episode.id if candidate.episode else None,
        "service_date": candidate.service_date, "code": candidate.code, "modifiers": " ".join(candidate.modifiers),
        "units": candidate.units, "minutes": candidate.minutes, "place_of_service": candidate.place_of_service,
        "rendering": candidate.rendering.id, "supervising": candidate.supervising.id if candidate.supervising else None,
        "charge_cents": candidate.charge_cents, "note": candidate.note.id if candidate.note else None,
        "attendance": candidate.attendance_id, "hold_reason": None, "export_batch": batch,
        "exported_hash": exported, "line_key": candidate.key, "line_hash": digest,
    }


def store_lines(derived: list[tuple[Candidate, str]], range_from: dt.date, range_to: dt.date
                ) -> tuple[dict[str, StoredLine], list[VanishedLine]]:
    """Upsert the derived lines of the range (each with its content hash); return each key's
    stored id and export state, and the exported lines the record no longer supports.
    Call inside a transaction."""
    B = BillableService
    columns = (B.id, B.line_key, B.line_hash, B.export_batch, B.exported_hash, B.created_at, B.version,
               B.hold_reason)
    existing = {row[1]: row for row in raw_rows(B.select(*columns).where(
        B.service_date.between(range_from, range_to)))}
    wanted = {c.key for c, _ in derived}
    unknown = [c.key for c, _ in derived if c.key not in existing]
    for chunk in _chunks(unknown):
        existing.update({row[1]: row for row in raw_rows(B.select(*columns).where(B.line_key.in_(chunk)))})
    inserts, replaced, out = [], [], {}
    for candidate, digest in derived:
        row = existing.get(candidate.key)
        if row is None:
            row_id = new_id()
            inserts.append(_row(candidate, digest, row_id))
            out[candidate.key] = StoredLine(str(row_id), "", "")
            continue
        row_id, _key, old_hash, batch, exported, created, version, held = row
        out[candidate.key] = StoredLine(canonical_id(row_id), batch_ids(batch), exported or "")
        if old_hash != digest or held is not None:
            replaced.append(row_id)
            inserts.append(_row(candidate, digest, row_id, created=created, version=version + 1,
                                batch=batch, exported=exported))
    gone = [row for key, row in existing.items() if key not in wanted]
    drop = [row[0] for row in gone if row[3] is None] + replaced
    for chunk in _chunks(drop):
        B.delete().where(B.id.in_(chunk)).execute()
    _insert_rows(inserts)
    kept = [row[0] for row in gone if row[3] is not None]
    for chunk in _chunks(kept):
        B.update(hold_reason=VANISHED).where(B.id.in_(chunk) & B.hold_reason.is_null()).execute()
    return out, _vanished(kept)


def _insert_rows(rows: list[dict]) -> None:
    """Multi-row INSERTs with the values converted once by each field (peewee's insert_many
    builds its SQL node by node, about 0.3 ms a row: too slow for a month of lines)."""
    if not rows:
        return
    B = BillableService
    names = list(rows[0])
    columns = [B._meta.fields[name] for name in names]
    db = B._meta.database
    head = 'INSERT INTO "{}" ({}) VALUES '.format(
        B._meta.table_name, ", ".join(f'"{f.column_name}"' for f in columns))
    one = "(" + ", ".join([db.param] * len(columns)) + ")"
    for chunk in _chunks(rows, 200):
        params = [f.db_value(row[f.name]) for row in chunk for f in columns]
        db.execute_sql(head + ", ".join([one] * len(chunk)), params)


def _vanished(ids: list) -> list[VanishedLine]:
    out = []
    B = BillableService
    for chunk in _chunks(ids):
        query = (B.select(Client.id, Client.mrn, Client.legal_last, Client.legal_first, Payer.code, Site.code,
                          B.service_date, B.code, B.export_batch, B.note)
                 .join(Client).join(Payer, on=(Client.payer == Payer.id), join_type=peewee.JOIN.LEFT_OUTER)
                 .switch(Client).join(Site).where(B.id.in_(chunk)).tuples())
        for cid, mrn, last, first, payer, site, day, code, batch, note in query:
            out.append(VanishedLine(str(cid), mrn, f"{last}, {first}", payer or "", site, day, code, str(batch),
                                    str(note) if note else ""))
    return out


def mark_exported(batch_id, lines: list[BillingLine]) -> None:
    """Mark the lines with the batch and the hash of what was exported (bulk where the stored
    content is what was exported; one update per line only where the record moved meanwhile).
    Call inside a transaction."""
    B = BillableService
    wanted = {line.line_id: line_hash(line) for line in lines}
    same, moved = [], []
    for chunk in _chunks([uuid.UUID(x) for x in wanted]):
        for row_id, stored in raw_rows(B.select(B.id, B.line_hash).where(B.id.in_(chunk))):
            (same if stored == wanted[canonical_id(row_id)] else moved).append(row_id)
    for chunk in _chunks(same):
        B.update(export_batch=batch_id, exported_hash=B.line_hash).where(B.id.in_(chunk)).execute()
    for row_id in moved:
        B.update(export_batch=batch_id, exported_hash=wanted[canonical_id(row_id)]).where(B.id == row_id).execute()


def batch_rows(limit: int) -> list[tuple]:
    from iopdesk.models import Staff

    return list(ExportBatch.select(ExportBatch.id, ExportBatch.exported_at, Staff.display_name,
                                   ExportBatch.range_from, ExportBatch.range_to, ExportBatch.filters,
                                   ExportBatch.line_count)
                .join(Staff).order_by(ExportBatch.exported_at.desc(), ExportBatch.id.desc())
                .limit(limit).tuples())
