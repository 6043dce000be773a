"""Writing a peer's row changes into this database by the rules in `iopdesk.sync.rules`.

Runs inside the caller's transaction (one per batch, together with the checkpoint it advances).
While it writes, the `sync_applying` row names the edit's origin site and the peer it came
through, so the change log records them and the change is not echoed back to that peer.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import peewee

from iopdesk.audit.registry import SIGNED_TABLES, covered_children
from iopdesk.audit.sealing import seal_arrived
from iopdesk.kernel.clock import utcnow
from iopdesk.models import SyncApplying, SyncChange, SyncConflict
from iopdesk.storage.records import canonical_json
from iopdesk.sync.outgoing import RowChange
from iopdesk.sync.rows import columns, from_json, log_row_id, models_by_table, to_json
from iopdesk.sync.rules import LARGEST_WINS, is_sealed, largest, sealed_columns, winner_is_incoming

# Bookkeeping and creation metadata: never edited after insert, or not data at all.
_NEVER_MERGED = ("id", "version", "updated_at", "created_at", "origin_site")
_CONFLICT_NAMESPACE = uuid.UUID("6f1d1c9e-2b7a-4c55-9f43-51a1c0de5e11")
# Signed tables and the child tables their seals cover: rows arriving in them are sealed here.
SEALED_TABLES = frozenset({spec.table for spec in SIGNED_TABLES}
                          | {child.table for spec in SIGNED_TABLES for child, _ in covered_children(spec)})


@dataclass
class ApplyResult:
    applied: int = 0
    unchanged: int = 0
    conflicts: int = 0
    tables: dict[str, int] = field(default_factory=dict)



def conflict_id(table: str, row_id: str, column: str, kept: object, other: object) -> uuid.UUID:
    """The same conflict detected at two sites gets the same id, so it syncs as one record."""
    return uuid.uuid5(_CONFLICT_NAMESPACE, "|".join([table, row_id, column, canonical_json(kept), canonical_json(other)]))


class Applier:
    """Applies one peer's batches; keeps the context row and pending-edit lookups cheap."""

    def __init__(self, db: peewee.Database, *, peer: str, this_site: str, acked_upto: int,
                 catch_up: bool = False) -> None:
        self.db = db
        self.peer = peer
        self.this_site = this_site
        self.acked_upto = acked_upto
        self.catch_up = catch_up
        self._context: tuple[str | None, str | None] = (None, None)
        self.result = ApplyResult()
        self._arrived: dict[str, set[str]] = {}

    # -- context -------------------------------------------------------------------------------
    def _set_context(self, origin: str | None, via: str | None) -> None:
        if self._context != (origin, via):
            SyncApplying.update(origin_site=origin, via_peer=via).where(SyncApplying.id == 1).execute()
            self._context = (origin, via)

    def finish(self) -> None:
        """Clear the context before the caller commits (a crash rolls it back anyway), then seal
        the signed records this batch wrote under this clinic's key ("sync from site …"): each
        site's check relies on seals of its own chain only."""
        self._set_context(None, None)
        if self._arrived:
            seal_arrived(f"sync from site {self.peer}", self._arrived)
            self._arrived = {}

    # -- pending local edits ----------------------------------------------------------------
    def _pending(self, changes: list[RowChange]) -> dict[tuple[str, str], tuple[set[str], str]]:
        """For the rows in this batch: the columns changed here that the peer has not confirmed,
        and the site whose edit the row's newest change is (its editor, for the winner rule)."""
        ids = {log_row_id(self.db, uuid.UUID(c.row_id)): c.row_id for c in changes}
        pending: dict[tuple[str, str], tuple[set[str], str]] = {}
        for chunk in peewee.chunked(list(ids), 500):
            query = (SyncChange.select(SyncChange.seq, SyncChange.table_name, SyncChange.row_id,
                                       SyncChange.op, SyncChange.fields, SyncChange.origin_site,
                                       SyncChange.via_peer)
                     .where(SyncChange.row_id.in_(chunk))
                     .order_by(SyncChange.seq)
                     .tuples())
            for seq, table, row_id, op, fields, origin, via in query:
                key = (table, ids[row_id])
                columns_changed = pending[key][0] if key in pending else set()
                pending[key] = (columns_changed, origin or self.this_site)
                if seq <= self.acked_upto or via == self.peer:
                    continue
                if op == "I":
                    columns_changed.add("*")
                elif op == "D":
                    columns_changed.add("-")
                else:
                    columns_changed.update(filter(None, fields.split(",")))
        return pending

    def _tombstoned(self, table: str, row_id: str) -> bool:
        return (SyncChange.select().where((SyncChange.table_name == table) & (SyncChange.op == "D")
                                          & (SyncChange.row_id == log_row_id(self.db, uuid.UUID(row_id))))
                .exists())

    # -- applying ---------------------------------------------------------------------------
    def apply(self, changes: list[RowChange]) -> None:
        """Apply one batch in order. Runs of new rows of one table from one site are inserted
        together (one statement, falling back to one by one if the database refuses one)."""
        changes = [c for c in changes if c.table in models_by_table()]
        pending = self._pending(changes)
        stored = self._stored_rows(changes)
        run: list[RowChange] = []
        for change in changes:
            self.result.tables[change.table] = self.result.tables.get(change.table, 0) + 1
            if change.op != "D" and change.table in SEALED_TABLES:
                self._arrived.setdefault(change.table, set()).add(change.row_id)
            local = stored.get((change.table, change.row_id))
            if change.catch_up and local is not None and int(change.row["version"]) <= int(local["version"]):
                self.result.unchanged += 1  # held here already; its edits travel in the change log
                continue
            if change.op != "D" and local is None and not self._keeps_tombstone(change):
                if run and (run[0].table, run[0].origin) != (change.table, change.origin):
                    self._insert_run(run)
                    run = []
                run.append(change)
                continue
            self._insert_run(run)
            run = []
            columns_changed, editor = pending.get((change.table, change.row_id), (set(), self.this_site))
            model = models_by_table()[change.table]
            if change.op == "D":
                self._apply_delete(model, change, local, columns_changed)
            elif local is None:
                self._conflict(change.table, change.row_id, "*", "deleted", None, change.row,
                               0, self.this_site, change.origin)
            else:
                self._apply_update(model, change, local, columns_changed, editor)
        self._insert_run(run)

    def _stored_rows(self, changes: list[RowChange]) -> dict[tuple[str, str], dict]:
        """This database's current rows for the batch, one query per table and 500 ids."""
        by_table: dict[str, list[uuid.UUID]] = {}
        for change in changes:
            by_table.setdefault(change.table, []).append(uuid.UUID(change.row_id))
        stored = {}
        for table, ids in by_table.items():
            model = models_by_table()[table]
            for chunk in peewee.chunked(ids, 500):
                for row in model.select().where(model.id.in_(chunk)).dicts():
                    stored[(table, str(row["id"]))] = to_json(table, row)
        return stored

    def _keeps_tombstone(self, change: RowChange) -> bool:
        """An edit of a row deleted here stays deleted (rule 3), unless it is sealed."""
        return (change.op == "U" and not is_sealed(change.table, change.row)
                and self._tombstoned(change.table, change.row_id))

    def _insert_run(self, run: list[RowChange]) -> None:
        if not run:
            return
        self._set_context(run[0].origin, self.peer)
        model = models_by_table()[run[0].table]
        statement, _ = self._insert_sql(model)
        rows = [self._insert_params(model, change.row) for change in run]
        try:
            with self.db.atomic(), peewee.__exception_wrapper__:
                self.db.cursor().executemany(statement, rows)
            self.result.applied += len(run)
            return
        except peewee.IntegrityError:
            pass
        for change, params in zip(run, rows, strict=True):
            try:
                with self.db.atomic():
                    self.db.execute_sql(statement, params)
            except peewee.IntegrityError as error:
                reason = " ".join(str(error).split())[:200]
                self._conflict(change.table, change.row_id, "*", "refused", {"reason": reason},
                               change.row, 0, self.this_site, change.origin)
                self._set_context(change.origin, self.peer)
                continue
            self.result.applied += 1

    def _insert_sql(self, model) -> tuple[str, list[peewee.Field]]:
        fields = list(model._meta.sorted_fields)
        names = ", ".join(f'"{f.column_name}"' for f in fields)
        marks = ", ".join([self.db.param] * len(fields))
        return f'INSERT INTO "{model._meta.table_name}" ({names}) VALUES ({marks})', fields

    def _insert_params(self, model, row: dict) -> tuple:
        values = from_json(model._meta.table_name, row)
        return tuple(f.db_value(values.get(f.name)) for f in model._meta.sorted_fields)

    def _write(self, model, row_id: str, values: dict) -> None:
        """UPDATE one row with field name → Python value, as plain SQL (building a peewee query
        per row costs more than the write)."""
        fields = model._meta.fields
        assignments = ", ".join(f'"{fields[name].column_name}" = {self.db.param}' for name in values)
        params = [fields[name].db_value(value) for name, value in values.items()]
        params.append(model.id.db_value(uuid.UUID(row_id)))
        self.db.execute_sql(
            f'UPDATE "{model._meta.table_name}" SET {assignments} WHERE "id" = {self.db.param}', params)

    def _apply_delete(self, model, change: RowChange, local: dict | None, pending: set[str]) -> None:
        if local is None:
            self.result.unchanged += 1
            return
        if is_sealed(change.table, local):
            self._conflict(change.table, change.row_id, "*", "deleted", local, None,
                           int(local["version"]), self.this_site, change.origin)
            self.result.unchanged += 1
            return
        if pending - {"-"}:
            self._conflict(change.table, change.row_id, "*", "deleted", None, local,
                           int(local["version"]), change.origin, self.this_site)
        self._set_context(change.origin, self.peer)
        with self.db.atomic():
            model.delete().where(model.id == uuid.UUID(change.row_id)).execute()
        self.result.applied += 1

    def _apply_update(self, model, change: RowChange, local: dict, pending: set[str], editor: str) -> None:
        incoming = change.row
        table = change.table
        all_columns = [c for c in columns(table) if c not in _NEVER_MERGED]
        if table == "sync_conflict":
            self._apply_resolution(model, change, local)
            return
        sent = all_columns if change.fields == ["*"] else [c for c in change.fields if c in incoming]
        local_pending = set(all_columns) if "*" in pending else pending
        local_version, incoming_version = int(local["version"]), int(incoming["version"])
        local_site = editor
        sealed_here, sealed_there = is_sealed(table, local), is_sealed(table, incoming)
        sealed = sealed_columns(table, all_columns)
        sealed_incoming_wins = winner_is_incoming(
            local_version, {c: local.get(c) for c in sorted(sealed)},
            incoming_version, {c: incoming.get(c) for c in sorted(sealed)})
        updates: dict[str, object] = {}
        for column in all_columns:
            mine, theirs = local.get(column), incoming.get(column)
            if mine == theirs:
                continue
            if column in sealed and (sealed_here or sealed_there):
                take = sealed_there and (not sealed_here or sealed_incoming_wins)
                if take:
                    updates[column] = theirs
                    if sealed_here or column in local_pending:
                        self._conflict(table, change.row_id, column, "immutable", theirs, mine,
                                       incoming_version, change.origin, local_site)
                elif column in sent:
                    self._conflict(table, change.row_id, column, "immutable", mine, theirs,
                                   local_version, local_site, change.origin)
                continue
            if column not in sent:
                continue
            if (table, column) in LARGEST_WINS:
                if largest(mine, theirs) != mine:
                    updates[column] = theirs
                continue
            if self.catch_up and incoming_version < local_version:
                continue
            if column in local_pending:
                incoming_wins = winner_is_incoming(local_version, mine, incoming_version, theirs)
                kept, other = (theirs, mine) if incoming_wins else (mine, theirs)
                self._conflict(table, change.row_id, column, "edited", kept, other,
                               max(local_version, incoming_version), change.origin if incoming_wins else local_site,
                               local_site if incoming_wins else change.origin)
                if incoming_wins:
                    updates[column] = theirs
                continue
            updates[column] = theirs
        if not updates and local_version >= incoming_version:
            self.result.unchanged += 1
            return
        values = from_json(table, updates)
        values["version"] = max(local_version, incoming_version)
        if incoming_version >= local_version:
            values["updated_at"] = from_json(table, {"updated_at": incoming["updated_at"]})["updated_at"]
        self._set_context(change.origin, self.peer)
        self._write(model, change.row_id, values)
        self.result.applied += 1

    def _apply_resolution(self, model, change: RowChange, local: dict) -> None:
        """A conflict record changes only by being resolved, and a resolution is never undone.
        Two copies of one conflict (found at two sites at once, or resolved at two sites) settle
        on the same copy everywhere: the resolved one, then the one the winner rule picks."""
        incoming = change.row
        compared = [c for c in incoming if c not in ("version", "updated_at")]
        if all(incoming.get(c) == local.get(c) for c in compared):
            self.result.unchanged += 1
            return
        mine = (local["status"] == "resolved", {c: local.get(c) for c in compared})
        theirs = (incoming["status"] == "resolved", {c: incoming.get(c) for c in compared})
        if mine[0] != theirs[0]:
            take = theirs[0]
        else:
            take = winner_is_incoming(0, mine[1], 0, theirs[1])
        if not take:
            self.result.unchanged += 1
            return
        values = from_json("sync_conflict", {c: incoming[c] for c in compared if c != "id"})
        values["version"] = max(int(local["version"]), int(incoming["version"]))
        self._set_context(change.origin, self.peer)
        self._write(model, change.row_id, values)
        self.result.applied += 1

    # -- conflicts ----------------------------------------------------------------------------
    def _conflict(self, table: str, row_id: str, column: str, kind: str, kept: object,
                  other: object, kept_version: int, kept_site: str | None, other_site: str | None) -> None:
        """Keep both values in a conflict record (once, whichever site sees it first)."""
        key = conflict_id(table, row_id, column, kept, other)
        if SyncConflict.select().where(SyncConflict.id == key).exists():
            return
        self._set_context(None, None)
        now = utcnow()
        SyncConflict.insert(
            id=key, created_at=now, updated_at=now, origin_site=uuid.UUID(self.this_site), version=1,
            table_name=table, row_id=row_id, field=column, kind=kind, kept_value=kept,
            other_value=other, kept_version=kept_version, other_version=0,
            kept_site=kept_site, other_site=other_site, detected_at=now,
        ).execute()
        self.result.conflicts += 1
