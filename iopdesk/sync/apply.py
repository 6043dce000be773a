"""Writing a peer's row changes into this database by the rules in `iopdesk.sync.rules`.

Runs inside the caller's transaction (one per batch, together with the checkpoint it advances).
While it writes, the `sync_applying` row names the edit's origin site and the peer it came
through, so the change log records them and the change is not echoed back to that peer.

A client merged into another chart (iopdesk/services/client_merge.py): a record's client moving
from the merged-away client to the chart it was merged into is taken without a conflict, even on
a signed record, and never moved back; after each batch the records still on a merged-away client
are moved as this site's own edits (`follow_merges`), so they reach every site.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import peewee

from iopdesk.audit.registry import SIGNED_TABLES, covered_children
from iopdesk.audit.sealing import seal_arrived
from iopdesk.kernel.clock import utcnow
from iopdesk.models import Client, SyncApplying, SyncChange, SyncConflict
from iopdesk.storage.records import canonical_json
from iopdesk.sync.merges import follow_merges
from iopdesk.sync.outgoing import RowChange
from iopdesk.sync.rows import (
    columns,
    from_json,
    log_row_id,
    models_by_table,
    read_rows,
    references_to,
    to_json,
    unique_keys,
)
from iopdesk.sync.rules import (
    KEPT_APART,
    LARGEST_WINS,
    is_bookkeeping,
    is_sealed,
    largest,
    merges_by_key,
    sealed_columns,
    winner_is_incoming,
)

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
    bookkeeping: int = 0        # audit events and sign-in bookkeeping applied (rule 4: not counted)
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
        self._aliases: dict[str, dict[str, str]] | None = None

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
        follow_merges()
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
            self._note_alias(change)
            local = stored.get((change.table, change.row_id))
            if change.catch_up and local is not None and int(change.row["version"]) <= int(local["version"]):
                self.result.unchanged += 1  # held here already; its edits travel in the change log
                self._take_larger(change, local)
                continue
            if local is None and change.op == "U" and self._survivor(change.table, change.row_id):
                self._insert_run(run)
                run = []
                self._apply_to_survivor(change)
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

    def _take_larger(self, change: RowChange, local: dict) -> None:
        """Sign-in bookkeeping of a copied row held here already (largest wins, rule 4): it changes
        no version, so a first copy repeated after a cut-off join would otherwise keep it stale."""
        updates = {column: value for column, value in change.row.items()
                   if (change.table, column) in LARGEST_WINS and largest(local.get(column), value) != local.get(column)}
        if updates:
            self._set_context(change.origin, self.peer)
            self._write(models_by_table()[change.table], change.row_id, from_json(change.table, updates))

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
        for change in run:
            self._follow_aliases(change)
        rows = [self._insert_params(model, change.row) for change in run]
        try:
            with self.db.atomic(), peewee.__exception_wrapper__:
                self.db.cursor().executemany(statement, rows)
            self._applied(*run)
            return
        except peewee.IntegrityError:
            pass
        for change, params in zip(run, rows, strict=True):
            try:
                with self.db.atomic():
                    self.db.execute_sql(statement, params)
            except peewee.IntegrityError as error:
                if self._present(change.table, change.row_id):
                    self._arrived_again(model, change)
                    self._set_context(change.origin, self.peer)
                    continue
                if self._same_key(model, change):
                    self._set_context(change.origin, self.peer)
                    continue
                reason = " ".join(str(error).split())[:200]
                self._conflict(change.table, change.row_id, "*", "refused", {"reason": reason},
                               change.row, 0, self.this_site, change.origin)
                self._set_context(change.origin, self.peer)
                continue
            self._applied(change)

    def _applied(self, *changes: RowChange) -> None:
        """Count written changes: clinical ones as applied, audit and sign-in bookkeeping apart."""
        for change in changes:
            if is_bookkeeping(change.table, change.fields):
                self.result.bookkeeping += 1
            else:
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
        if local is None or self._survivor(change.table, change.row_id):
            # A record merged into another elsewhere stays until its survivor arrives here and
            # takes its place (rule 5): deleting it now would lose what points at it.
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
        self._applied(change)

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
            if column == "client_id" and table != "client" and mine and theirs:
                merged = self._merged_into(mine, theirs)
                if merged is not None:
                    if merged == theirs:
                        updates[column] = theirs
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
        self._applied(change)

    def _merged_into(self, mine: str, theirs: str) -> str | None:
        """When one of two client ids was merged into the other: the chart kept, else None."""
        ids = [uuid.UUID(str(mine)), uuid.UUID(str(theirs))]
        links = {str(a): str(b) for a, b in Client.select(Client.id, Client.merged_into)
                 .where(Client.id.in_(ids) & Client.merged_into.is_null(False)).tuples()}
        if links.get(str(uuid.UUID(str(mine)))) == str(uuid.UUID(str(theirs))):
            return str(theirs)
        if links.get(str(uuid.UUID(str(theirs)))) == str(uuid.UUID(str(mine))):
            return str(mine)
        return None

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

    # -- rule 5: one record per natural key ------------------------------------------------------
    def _load_aliases(self) -> dict[str, dict[str, str]]:
        """Removed id → surviving id per table, from the "merged" records (they sync)."""
        if self._aliases is None:
            self._aliases = {}
            query = (SyncConflict.select(SyncConflict.table_name, SyncConflict.row_id, SyncConflict.kept_value)
                     .where(SyncConflict.kind == "merged").tuples())
            for table, loser, survivor in query:
                self._aliases.setdefault(table, {})[loser] = survivor
        return self._aliases

    def _note_alias(self, change: RowChange) -> None:
        row = change.row
        if change.table == "sync_conflict" and row is not None and row.get("kind") == "merged":
            self._load_aliases().setdefault(row["table_name"], {})[row["row_id"]] = row["kept_value"]

    def _survivor(self, table: str, row_id: str) -> str | None:
        """The record a removed one was merged into, if it was."""
        return self._load_aliases().get(table, {}).get(row_id)

    def _present(self, table: str, row_id: str) -> bool:
        model = models_by_table()[table]
        return model.select().where(model.id == uuid.UUID(row_id)).exists()

    def _follow_aliases(self, change: RowChange) -> None:
        """A new row that points at a record merged away here points at its survivor instead."""
        for column, field_ in columns(change.table).items():
            if not isinstance(field_, peewee.ForeignKeyField):
                continue
            target = field_.rel_model._meta.table_name
            value = change.row.get(column)
            survivor = self._load_aliases().get(target, {}).get(value) if value else None
            if survivor and not self._present(target, value):
                change.row = {**change.row, column: survivor}

    def _arrived_again(self, model, change: RowChange) -> None:
        """A new row whose id this batch already wrote here (the same conflict record found by a
        merge at both sites): it is an update of that row."""
        local = read_rows(change.table, [uuid.UUID(change.row_id)])[uuid.UUID(change.row_id)]
        columns_changed, editor = self._pending([change]).get((change.table, change.row_id), (set(), self.this_site))
        self._apply_update(model, change, local, columns_changed, editor)

    def _apply_to_survivor(self, change: RowChange) -> None:
        """An edit of a record merged away here is an edit of its survivor (rule 5)."""
        survivor = self._survivor(change.table, change.row_id)
        local = read_rows(change.table, [uuid.UUID(survivor)]).get(uuid.UUID(survivor))
        if local is None:
            self.result.unchanged += 1
            return
        moved = RowChange(change.table, survivor, "U", change.fields, change.origin, change.seq,
                          {**change.row, "id": survivor})
        columns_changed, editor = self._pending([moved]).get((change.table, survivor), (set(), self.this_site))
        self._apply_update(models_by_table()[change.table], moved, local, columns_changed, editor)

    def _clash(self, model, table: str, row: dict) -> tuple[tuple[str, ...], dict] | None:
        """The natural key an incoming row shares with a row stored here, and that row."""
        values = from_json(table, row)
        fields = columns(table)
        for key in unique_keys(table):
            names = [fields[c].name for c in key]
            if any(values.get(name) is None for name in names):
                continue
            query = model.select().where(model.id != uuid.UUID(row["id"]))
            for name in names:
                query = query.where(model._meta.fields[name] == values[name])
            found = query.dicts().first()
            if found is not None:
                return key, to_json(table, found)
        return None

    def _same_key(self, model, change: RowChange) -> bool:
        """Rule 5 for a new row the database refused: merge it with the stored row that has its
        natural key, or keep it whole in a conflict record that says why. False when no natural
        key clashes (the refusal has another reason)."""
        table, incoming = change.table, change.row
        clash = self._clash(model, table, incoming)
        if clash is None:
            return False
        key, local = clash
        if not merges_by_key(table, key):
            return self._kept_apart(change, key, KEPT_APART[(table, key)])
        if is_sealed(table, local) or is_sealed(table, incoming):
            return self._kept_apart(change, key, "a signed record with the same key is already here")
        survivor, loser = sorted((local, incoming), key=lambda row: uuid.UUID(row["id"]))
        try:
            with self.db.atomic():
                if survivor is local:
                    self._merge_into_stored(model, key, survivor, loser)
                elif not self._replace_stored(model, key, survivor, loser):
                    return self._kept_apart(change, key, "records here point at it and its key cannot be set aside")
        except peewee.IntegrityError:
            self._aliases, self._context = None, ("rolled back", "rolled back")
            return self._kept_apart(change, key, "the merged record was refused by this database")
        self.result.applied += 1
        return True

    def _kept_apart(self, change: RowChange, key: tuple[str, ...], reason: str) -> bool:
        self._conflict(change.table, change.row_id, "*", "refused", {"reason": reason, "key": list(key)},
                       change.row, 0, self.this_site, change.origin)
        return True

    def _merged_fields(self, table: str, key: tuple[str, ...], survivor: dict, loser: dict) -> dict:
        """Rule 2 between two rows made at two sites: columns where the loser's value wins, each
        difference kept in a conflict record on the survivor (the same one at every site)."""
        updates: dict[str, object] = {}
        versions = {id(survivor): int(survivor["version"]), id(loser): int(loser["version"])}
        for column in columns(table):
            mine, theirs = survivor.get(column), loser.get(column)
            if column in _NEVER_MERGED or column in key or mine == theirs:
                continue
            if (table, column) in LARGEST_WINS:
                if largest(mine, theirs) != mine:
                    updates[column] = theirs
                continue
            winner, other = survivor, loser
            if winner_is_incoming(versions[id(survivor)], mine, versions[id(loser)], theirs):
                winner, other = loser, survivor
                updates[column] = theirs
            self._conflict(table, survivor["id"], column, "edited", winner.get(column), other.get(column),
                           max(versions.values()), winner.get("origin_site"), other.get("origin_site"))
        return updates

    def _record_merge(self, table: str, survivor: dict, loser: dict) -> None:
        self._conflict(table, loser["id"], "*", "merged", survivor["id"], loser["id"], int(survivor["version"]),
                       survivor.get("origin_site"), loser.get("origin_site"), resolved=True)
        self._load_aliases().setdefault(table, {})[loser["id"]] = survivor["id"]

    def _merge_into_stored(self, model, key: tuple[str, ...], survivor: dict, loser: dict) -> None:
        """The stored row survives: it takes the incoming row's winning fields; the incoming row
        is not inserted. Written as this site's edit, so it reaches every peer, the sender too."""
        self._record_merge(model._meta.table_name, survivor, loser)
        updates = self._merged_fields(model._meta.table_name, key, survivor, loser)
        if updates:
            values = from_json(model._meta.table_name, updates)
            values["version"] = max(int(survivor["version"]), int(loser["version"]))
            self._set_context(None, None)
            self._write(model, survivor["id"], values)

    def _replace_stored(self, model, key: tuple[str, ...], survivor: dict, loser: dict) -> bool:
        """The incoming row survives: it is inserted with the stored row's winning fields, what
        pointed at the stored row points at it, and the stored row goes. False (nothing written)
        when rows that cannot lose their link point at it and its key cannot be set aside."""
        table = model._meta.table_name
        loser_id, survivor_id = uuid.UUID(loser["id"]), uuid.UUID(survivor["id"])
        pointing = [(child, fk, [r[0] for r in child.select(child.id).where(fk == loser_id).tuples()])
                    for child, fk in references_to(table)]
        pointing = [(child, fk, ids) for child, fk, ids in pointing if ids]
        held = any(fk.on_delete != "SET NULL" for _, fk, _ in pointing)
        self._set_context(None, None)
        if held and not self._set_aside(model, key, loser):
            return False
        self._record_merge(table, survivor, loser)
        row = {**survivor, **self._merged_fields(table, key, survivor, loser),
               "version": max(int(survivor["version"]), int(loser["version"]))}
        self._set_context(None, None)
        if not held:
            model.delete().where(model.id == loser_id).execute()
        self.db.execute_sql(self._insert_sql(model)[0], self._insert_params(model, row))
        for child, fk, ids in pointing:
            for chunk in peewee.chunked(ids, 500):
                child.update({fk: survivor_id}).where(child.id.in_(chunk)).execute()
        if held:
            model.delete().where(model.id == loser_id).execute()
        return True

    def _set_aside(self, model, key: tuple[str, ...], loser: dict) -> bool:
        """Give the stored row a key no other row has, for the moment it takes to move what
        points at it: a text column gets "~" and its id, a number column a negative number."""
        fields = columns(model._meta.table_name)
        loser_id = uuid.UUID(loser["id"])
        for column in key:
            field_ = fields[column]
            if isinstance(field_, peewee.ForeignKeyField):
                continue
            if isinstance(field_, peewee.CharField):
                value: object = ("~" + loser_id.hex)[: field_.max_length or 33]
            elif isinstance(field_, peewee.IntegerField):
                value = -1 - loser_id.int % 2**31
            else:
                continue
            model.update({field_: value}).where(model.id == loser_id).execute()
            return True
        return False

    # -- conflicts ----------------------------------------------------------------------------
    def _conflict(self, table: str, row_id: str, column: str, kind: str, kept: object,
                  other: object, kept_version: int, kept_site: str | None, other_site: str | None,
                  *, resolved: bool = False) -> None:
        """Keep both values in a conflict record (once, whichever site sees it first). A merge by
        rule 5 is recorded already resolved: it is the alias map, not a question for an admin."""
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
            status="resolved" if resolved else "pending", resolved_at=now if resolved else None,
            resolution="merged" if resolved else None,
        ).execute()
        if not resolved:
            self.result.conflicts += 1
