"""Reading this database's changes for a peer: batches of row changes in change-log order.

A batch groups the log entries it covers by row, so a row edited five times travels once, with
the union of the columns changed and its current values. Rows are ordered by their first entry,
so a parent inserted before its child arrives before it. Entries that came from the peer itself
are left out (no echo), unless it asked for everything again after a restore.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import peewee

from iopdesk.models import SyncChange
from iopdesk.sync.rows import read_rows
from iopdesk.sync.rules import BOOKKEEPING_TABLES, LARGEST_WINS, is_bookkeeping


@dataclass
class RowChange:
    table: str
    row_id: str
    op: str                     # "I", "U" (row present) or "D" (tombstone)
    fields: list[str]           # columns changed since the peer's checkpoint ("*" = all)
    origin: str                 # the site whose edit this is
    seq: int                    # the newest log entry it covers
    row: dict | None            # current values (None for a tombstone)
    catch_up: bool = False      # a client's whole record, sent because it entered the peer's scope

    def as_json(self) -> dict:
        data = {"t": self.table, "id": self.row_id, "op": self.op, "f": self.fields,
                "o": self.origin, "s": self.seq, "row": self.row}
        if self.catch_up:
            data["c"] = True
        return data

    @classmethod
    def from_json(cls, data: dict) -> RowChange:
        return cls(data["t"], data["id"], data["op"], list(data["f"]), data["o"], int(data["s"]),
                   data.get("row"), bool(data.get("c", False)))


def horizon(db: peewee.Database) -> int:
    """The newest change seq that no running transaction can still fill in below.

    On PostgreSQL a transaction may take seq 10 and commit after another took 11; a brief
    EXCLUSIVE lock on the log waits for writers in flight, so every seq up to the answer is final.
    """
    with db.atomic():
        if isinstance(db, peewee.PostgresqlDatabase):
            db.execute_sql("LOCK TABLE sync_change IN EXCLUSIVE MODE")
        value = db.execute_sql("SELECT MAX(seq) FROM sync_change").fetchone()[0]
    return int(value or 0)


def pending_count(after: int, *, exclude_peer: str | None = None) -> int:
    """How many rows this database changed after log entry `after` that are clinical (rule 4:
    audit events and sign-in bookkeeping travel but are not counted), leaving out what came from
    `exclude_peer` (it has them) and from any peer when `exclude_peer` is None. Call bound."""
    query = SyncChange.select(SyncChange.table_name, SyncChange.row_id, SyncChange.op, SyncChange.fields).where(
        (SyncChange.seq > after) & SyncChange.table_name.not_in(sorted(BOOKKEEPING_TABLES)))
    if exclude_peer is None:
        query = query.where(SyncChange.via_peer.is_null())
    else:
        query = query.where(SyncChange.via_peer.is_null() | (SyncChange.via_peer != exclude_peer))
    rows: dict[tuple[str, str], set[str]] = {}
    watched = {table for table, _ in LARGEST_WINS}
    for table, row_id, op, fields in query.tuples().iterator():
        changed = rows.setdefault((table, row_id), set())
        if table in watched:
            changed.update({"*"} if op != "U" else set(filter(None, fields.split(","))))
        else:
            changed.add("*")
    return sum(1 for (table, _), changed in rows.items() if not is_bookkeeping(table, changed))


def next_batch(position: int, upto: int, *, exclude_peer: str | None, this_site: str,
               size: int = 2000, admits: Callable[[list[RowChange]], list[RowChange]] | None = None,
               ) -> tuple[int, list[RowChange]]:
    """(covered-up-to seq, row changes) for up to `size` log entries after `position`; `admits`
    keeps only the changes a satellite peer may receive (iopdesk/sync/scope.py)."""
    query = (SyncChange.select(SyncChange.seq, SyncChange.table_name, SyncChange.row_id,
                               SyncChange.op, SyncChange.fields, SyncChange.origin_site)
             .where((SyncChange.seq > position) & (SyncChange.seq <= upto)))
    if exclude_peer is not None:
        query = query.where(SyncChange.via_peer.is_null() | (SyncChange.via_peer != exclude_peer))
    entries = list(query.order_by(SyncChange.seq).limit(size).tuples())
    covered = entries[-1][0] if len(entries) == size else upto
    changes = _row_changes(entries, this_site)
    return covered, admits(changes) if admits is not None else changes


def _row_changes(entries: list[tuple], this_site: str) -> list[RowChange]:
    grouped: dict[tuple[str, uuid.UUID], RowChange] = {}
    for seq, table, row_id, op, fields, origin in entries:
        key = (table, uuid.UUID(row_id))
        change = grouped.get(key)
        if change is None:
            change = grouped[key] = RowChange(table, str(key[1]), op, [], origin or this_site, seq, None)
        change.seq = seq
        change.origin = origin or this_site
        if op == "I":
            change.fields = ["*"]
        elif op == "U" and change.fields != ["*"]:
            change.fields = sorted(set(change.fields) | set(filter(None, fields.split(","))))
        change.op = "D" if op == "D" else ("I" if change.op == "I" else "U")
    by_table: dict[str, list[uuid.UUID]] = {}
    for table, row_id in grouped:
        by_table.setdefault(table, []).append(row_id)
    current: dict[tuple[str, uuid.UUID], dict] = {}
    for table, ids in by_table.items():
        for row_id, row in read_rows(table, ids).items():
            current[(table, row_id)] = row
    out = []
    for key, change in grouped.items():
        row = current.get(key)
        if change.op == "D":
            if row is not None:
                continue  # cannot happen with UUID keys; never send a tombstone for a live row
            change.fields = []
        elif row is None:
            continue  # deleted after this batch's entries; its tombstone travels later
        change.row = row
        out.append(change)
    return out
