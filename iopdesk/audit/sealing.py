"""Seals of signed records, and the checks that recompute them (part of `iopdesk check`).

Sealing. At every signing act the service calls `seal(record, provenance=...)` in the same
transaction: a "seal" audit event (entity = table, entity_id = the record) whose detail holds the
SHA-256 of the record's canonical content — every column but bookkeeping (updated_at, version and
the registry's `free` columns), and every row of the child tables the registry says its seal
covers, ordered by id — the hash of its signing facts (status, signer, co-signer, times), its
status, its stored content hash and its provenance. The event is chained under the clinic's audit
key (iopdesk/audit/chain.py), so a seal cannot be rewritten without the key. Records that arrive
already signed (demo, client import, sync, a migration) are sealed on arrival with their
provenance. Which tables, states and children: iopdesk/audit/registry.py.

Checking. `seal_findings` recomputes every record against its newest seal in this site's own
chain and names each one edited, re-hashed, downgraded, deleted, re-signed, or signed with no
seal; `recent_seal_findings` does so only for seals since the start-up checkpoint. The older
`signed_notes_problem` (iopdesk/audit/seals.py, part of the chain check) still compares signed
notes and addenda with their own stored hashes and "sign"/"addendum" events. Database triggers
refuse changes to sealed records (migration 0009, iopdesk/audit/guards.py); their refusal reads as
RecordLocked through `seals.refusals_as_record_locked`.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Iterator

import peewee

from iopdesk.audit import chain as audit_chain
from iopdesk.audit.findings import Finding
from iopdesk.audit.registry import (
    BOOKKEEPING,
    BY_TABLE,
    SIGNED_TABLES,
    Child,
    SignedTable,
    covered_children,
)
from iopdesk.models import (
    ALL_MODELS,
    AuditEvent,
    AuditHead,
    ClinicSetting,
    SiteIncarnation,
    current_site,
)
from iopdesk.permissions import SYSTEM, Actor
from iopdesk.storage.records import content_hash

SEAL_ACTION = "seal"
LEFT_SCOPE_ACTION = "scope_out"  # a satellite removed a client that left its scope (iopdesk/sync/scope.py)


def _models() -> dict[str, type[peewee.Model]]:
    return {m._meta.table_name: m for m in ALL_MODELS}


def _rows(table: str, column: str | None, values: list | None) -> list[dict]:
    """Rows of `table` (column name → stored value, read back as the database holds it), all of
    them or those whose `column` is one of `values`."""
    model = _models()[table]
    fields = model._meta.sorted_fields
    out: list[dict] = []

    def read(query) -> None:
        for row in query.tuples().iterator():
            out.append({f.column_name: v for f, v in zip(fields, row, strict=True)})

    if values is None:
        read(model.select(*fields))
        return out
    field = next(f for f in fields if f.column_name == column)
    for chunk in peewee.chunked(list(values), 500):
        read(model.select(*fields).where(field.in_(chunk)))
    return out


def _key(value: object) -> str:
    return str(uuid.UUID(str(value)))


def _contents(spec: SignedTable, ids: list[str] | None) -> dict[str, dict]:
    """id → the canonical content of each record (`ids`, or every row): its columns except
    bookkeeping, and the rows of every child table its seal covers, ordered by id."""
    leave_out = BOOKKEEPING | spec.free
    roots = _rows(spec.table, "id", [uuid.UUID(i) for i in ids] if ids is not None else None)
    contents: dict[str, dict] = {}
    for row in roots:
        contents[_key(row["id"])] = {"table": spec.table,
                                     "row": {c: v for c, v in row.items() if c not in leave_out},
                                     "children": {}}

    def walk(children: tuple[Child, ...], owner: dict[str, str]) -> None:
        for child in children:
            rows = _rows(child.table, child.parent_column, [uuid.UUID(p) for p in owner]) if owner else []
            below: dict[str, str] = {}
            for row in sorted(rows, key=lambda r: _key(r["id"])):
                root = owner.get(_key(row[child.parent_column])) if row[child.parent_column] else None
                if root is None:
                    continue
                below[_key(row["id"])] = root
                contents[root]["children"].setdefault(child.table, []).append(
                    {c: v for c, v in row.items() if c not in BOOKKEEPING})
            walk(child.children, below)

    walk(spec.children, {i: i for i in contents})
    return contents


def _seal_detail(spec: SignedTable, content: dict) -> dict:
    """What a seal records: the hash of the canonical content (signing facts included), the hash
    of the signing facts alone, the status and the stored (unkeyed) content hash, if any."""
    row = content["row"]
    detail = {"hash": content_hash(content), "facts": content_hash({c: row.get(c) for c in spec.facts})}
    if spec.status:
        detail["status"] = row.get(spec.status)
    if "content_hash" in row:
        detail["stored_hash"] = row["content_hash"]
    return detail


def seal_rows(table: str, ids: Iterable[object], *, provenance: str, actor: Actor = SYSTEM) -> int:
    """Seal records of a signed `table` as they are now: one "seal" event per record in the keyed
    audit chain, inside the caller's transaction. Returns how many were sealed."""
    spec = BY_TABLE[table]
    wanted = sorted({_key(i) for i in ids})
    if not wanted:
        return 0
    contents = _contents(spec, wanted)
    with audit_chain.batched():
        for record_id in wanted:
            content = contents.get(record_id)
            if content is None:
                continue
            client = content["row"].get(spec.client_column) if spec.client_column else None
            audit_chain.record(actor, SEAL_ACTION, table, record_id, client_id=client,
                               detail=_seal_detail(spec, content) | {"provenance": provenance})
    return len(contents)


def seal(record: peewee.Model, *, provenance: str, actor: Actor = SYSTEM) -> None:
    """Bind a signed record's canonical content and signing facts into the keyed audit chain, in
    the caller's transaction: call it at every signing act, after the record (and its children)
    are written. `provenance` says how it came to be signed here ("sign", "co-sign", "demo",
    "import from clinic …", "sync from site …", "migration 0009")."""
    seal_rows(record._meta.table_name, [record.get_id()], provenance=provenance, actor=actor)


def seal_unsealed(table: str, ids: Iterable[object], *, provenance: str, actor: Actor = SYSTEM) -> int:
    """Seal those of `ids` that are sealed-state rows whose content differs from their newest
    seal here (or have none): records arriving by sync or import. Returns how many."""
    spec = BY_TABLE[table]
    wanted = {_key(i) for i in ids}
    if not wanted:
        return 0
    sealed = _sealed_ids(spec, wanted)
    seals = _local_seals({(table, i) for i in sealed})
    contents = _contents(spec, sorted(sealed))
    stale = [i for i, content in contents.items()
             if seals.get((table, i), {}).get("hash") != content_hash(content)]
    return seal_rows(table, stale, provenance=provenance, actor=actor)


def _records_of(table: str, ids: Iterable[object]) -> dict[str, set[str]]:
    """Signed table → ids of the records that rows `ids` of `table` are (a signed table) or belong
    to (a child table its seal covers), found by following parent columns up."""
    ids = {_key(i) for i in ids}
    out: dict[str, set[str]] = {table: set(ids)} if table in BY_TABLE else {}
    for spec in SIGNED_TABLES:
        if spec.sealed_through and spec.sealed_through[0] == table:
            column = spec.sealed_through[1]
            rows = _rows(table, "id", [uuid.UUID(i) for i in ids])
            out.setdefault(spec.table, set()).update(_key(r[column]) for r in rows if r[column])
    for spec in SIGNED_TABLES:
        for child, path in covered_children(spec):
            if child.table != table:
                continue
            current = set(ids)
            for level in [child, *reversed(path)]:
                rows = _rows(level.table, "id", [uuid.UUID(i) for i in current]) if current else []
                current = {_key(r[level.parent_column]) for r in rows if r[level.parent_column]}
            out.setdefault(spec.table, set()).update(current)
    return out


def seal_arrived(provenance: str, arrived: dict[str, Iterable[object]] | None = None, *,
                 actor: Actor = SYSTEM) -> int:
    """Seal, under this clinic's key, the signed records that arrived without a seal of this
    clinic — demo data ("demo"), a client import ("import from clinic …"), a sync ("sync from
    site …") — in the caller's transaction. `arrived`: table → ids of the rows written (rows of
    child tables count for their record); None: every signed record of the clinic. Only records
    in a sealed state whose content differs from their newest seal here (or that have none) are
    sealed. Returns how many."""
    if arrived is None:
        wanted = {spec.table: _sealed_ids(spec) for spec in SIGNED_TABLES}
    else:
        wanted = {}
        for table, ids in arrived.items():
            for signed, records in _records_of(table, ids).items():
                wanted.setdefault(signed, set()).update(records)
    return sum(seal_unsealed(table, ids, provenance=provenance, actor=actor) for table, ids in wanted.items())


def seal_after_migration(migration: str, rewritten: dict[str, Iterable[object]] | None = None) -> int:
    """For a migration that rewrites sealed records: seal again, in the migration's transaction,
    the records it rewrote (`rewritten`: table → ids), with provenance "migration NNNN" and one
    "migrate" audit event naming the migration and how many it sealed. Without `rewritten`, seal
    the sealed-state records that have no seal here yet (migration 0009, for what was signed
    before seals existed); a record with a seal is never re-sealed that way, so an edit made
    before the upgrade stays visible. Returns how many records were sealed."""
    provenance = f"migration {migration}"
    if rewritten is None:
        seals = _local_seals()
        rewritten = {spec.table: [i for i in _sealed_ids(spec) if (spec.table, i) not in seals]
                     for spec in SIGNED_TABLES}
    counts = {table: len(set(ids)) for table, ids in rewritten.items() if ids}
    if not counts:
        return 0
    audit_chain.record(SYSTEM, "migrate", "schema", migration, detail={"sealed": counts})
    return sum(seal_rows(table, ids, provenance=provenance) for table, ids in rewritten.items())


def _sealed_ids(spec: SignedTable, among: set[str] | None = None) -> set[str]:
    """Ids of the records of `spec` in a sealed state (all of them, or those `among` these)."""
    db = AuditEvent._meta.database
    sql = f'SELECT t."id" FROM "{spec.table}" AS t WHERE {spec.sealed_condition("t")}'
    if among is None:
        return {_key(row[0]) for row in db.execute_sql(sql).fetchall()}
    field = _models()[spec.table]._meta.primary_key
    found: set[str] = set()
    for chunk in peewee.chunked(sorted(among), 500):
        marks = ", ".join([db.param] * len(chunk))
        params = [field.db_value(uuid.UUID(i)) for i in chunk]
        found |= {_key(row[0]) for row in db.execute_sql(f'{sql} AND t."id" IN ({marks})', params).fetchall()}
    return found


def _own_writers() -> dict[uuid.UUID, int]:
    """The writers whose chains are this site's own, oldest first (writer → rank): the site's id,
    then each incarnation a restore started (iopdesk/sync/incarnation.py), so a restored copy
    still finds the seals its earlier life wrote."""
    here = current_site()
    row = ClinicSetting.get_or_none(ClinicSetting.key == "this_site")
    site = uuid.UUID(str(row.value)) if row is not None else here
    ranks: dict[uuid.UUID, int] = {site: 1} if site is not None else {}
    if site is not None and "site_incarnation" in AuditEvent._meta.database.get_tables():
        ranks |= {r.writer: r.number for r in SiteIncarnation.select().where(SiteIncarnation.site == site)}
    if here is not None:
        ranks.setdefault(here, max(ranks.values(), default=0) + 1)
    return ranks


def _local_seals(only: set[tuple[str, str]] | None = None, after_seq: int = 0) -> dict[tuple[str, str], dict]:
    """(table, id) → the newest seal this site's own chains hold (its detail, plus seq and when).
    Seals in chains synced from other sites are left out: every record that reaches this site is
    sealed here on arrival, so a satellite never expects what was not sent to it. `after_seq`
    (a checkpoint of the current writer's chain) limits it to that chain's newer events."""
    here = current_site()
    writers = _own_writers()
    if after_seq and here is not None:
        local = (AuditEvent.origin_site == here) & (AuditEvent.seq > after_seq)
    else:
        local = AuditEvent.origin_site.is_null() | AuditEvent.origin_site.in_(list(writers))
    query = (AuditEvent.select(AuditEvent.origin_site, AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.entity,
                               AuditEvent.entity_id, AuditEvent.client_id, AuditEvent.detail)
             .where((AuditEvent.action == SEAL_ACTION) & local).tuples())
    if only is None:
        rows = list(query.iterator())
    else:
        ids = sorted({record_id for _, record_id in only})
        rows = [row for chunk in peewee.chunked(ids, 500)
                for row in query.where(AuditEvent.entity_id.in_(chunk)).iterator()]
    rows.sort(key=lambda row: (writers.get(row[0], 0), row[1]))  # oldest writer first, then seq
    out: dict[tuple[str, str], dict] = {}
    for _, seq, occurred_at, entity, entity_id, client_id, detail in rows:
        key = (entity, entity_id)
        if only is not None and key not in only:
            continue
        detail = json.loads(detail) if isinstance(detail, str) else (detail or {})
        out[key] = detail | {"seq": seq, "sealed_at": occurred_at,
                             "client_id": str(client_id) if client_id else None}
    left = _left_scope(local)
    return {key: seal for key, seal in out.items() if left.get(seal["client_id"] or "", 0) < seal["seq"]}


def _left_scope(local) -> dict[str, int]:
    """Client id → the seq of this site's newest LEFT_SCOPE_ACTION event: a satellite removed that
    client's records from its file (iopdesk/sync/scope.py), so the records sealed here before
    then are expected to be gone; a record that comes back is sealed again on arrival."""
    query = (AuditEvent.select(AuditEvent.client_id, peewee.fn.MAX(AuditEvent.seq))
             .where((AuditEvent.action == LEFT_SCOPE_ACTION) & local & AuditEvent.client_id.is_null(False))
             .group_by(AuditEvent.client_id).tuples())
    return {str(client_id): int(seq) for client_id, seq in query}


def _record_words(spec: SignedTable, record_id: str) -> str:
    return f"{spec.words} {record_id}"


def _check(spec: SignedTable, seals: dict[tuple[str, str], dict], sealed_now: set[str],
           ids: set[str] | None) -> Iterator[Finding]:
    expected = {i for (table, i) in seals if table == spec.table}
    wanted = expected | sealed_now if ids is None else ids
    contents = _contents(spec, sorted(wanted))
    for record_id in sorted(wanted):
        seal_detail = seals.get((spec.table, record_id))
        content = contents.get(record_id)
        client = (str(content["row"].get(spec.client_column)) if content and spec.client_column
                  and content["row"].get(spec.client_column) else (seal_detail or {}).get("client_id"))
        name = _record_words(spec, record_id)
        if seal_detail is None:
            if content is not None and record_id in sealed_now:
                yield Finding("seal", name, "it is signed but has no seal in the audit trail (signed outside "
                                            "IOP Desk, or its seal was removed)", client)
            continue
        when = f"{seal_detail['sealed_at']:%Y-%m-%d}" if seal_detail.get("sealed_at") else "?"
        if content is None:
            yield Finding("seal", name, f"it was deleted after it was sealed on {when}", client)
            continue
        if record_id not in sealed_now:
            was = seal_detail.get("status")
            now = content["row"].get(spec.status) if spec.status else None
            what = (f"its status is now {now!r} but it was sealed as {was!r} on {when}" if spec.status
                    else f"it is no longer signed but was sealed on {when}")
            yield Finding("seal", name, what, client)
            continue
        detail = _seal_detail(spec, content)
        if detail["hash"] == seal_detail.get("hash"):
            continue
        if detail["facts"] != seal_detail.get("facts"):
            problem = (f"its signing facts (status, signer, co-signer or signing time) differ from what was "
                       f"sealed on {when}")
        elif "stored_hash" in detail and detail["stored_hash"] != seal_detail.get("stored_hash"):
            problem = (f"its content differs from what was sealed on {when}, and its stored content hash "
                       "was rewritten to match (re-hashed)")
        else:
            problem = f"its content differs from what was sealed on {when}"
        yield Finding("seal", name, problem, client)


def seal_findings() -> list[Finding]:
    """Every signed record recomputed against its newest seal in this site's chain: one finding
    per record that was edited, re-hashed, downgraded, deleted, whose signer changed, or that is
    signed with no seal at all. Read-only."""
    seals = _local_seals()
    findings: list[Finding] = []
    for spec in SIGNED_TABLES:
        findings.extend(_check(spec, seals, _sealed_ids(spec), None))
    return findings


def recent_seal_findings(after_seq: int | None = None) -> list[Finding]:
    """The start-up check's part: only the records sealed in this site's chain after event
    `after_seq` (default: the checkpoint the last successful check left, AuditHead.checked_seq),
    each recomputed against its newest seal. Call it before `chain.verify_recent()`, which moves
    the checkpoint. Fast: it reads only those records; `seal_findings` (iopdesk check) reads all."""
    if after_seq is None:
        head = AuditHead.get_or_none(AuditHead.name == "main")
        after_seq = head.checked_seq if head is not None else 0
    seals = _local_seals(after_seq=after_seq)  # a record's newest seal is among them
    findings: list[Finding] = []
    for spec in SIGNED_TABLES:
        ids = {i for (table, i) in seals if table == spec.table}
        if ids:
            findings.extend(_check(spec, seals, _sealed_ids(spec, ids), ids))
    return findings
