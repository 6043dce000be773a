"""Which clients' records a satellite site holds: its scope, decided by the sender, per peer.

A satellite receives the clients registered at its site (`client.site`), the clients enrolled in
a group run at its site (enrolment not ended before today), the clients an administrator shared
with it (`client_share` without `ended_at`), and the chart any of these was merged into
(it holds the merged-away chart's records). The main clinic holds everything. Data that
belongs to no client (staff, sites, groups and their sessions, payers, settings that sync) goes
to every site.

A row belongs to a client through its foreign keys (`client_paths`, read from the models, so a new
client table is scoped without a list to update): a note directly, an addendum through its note,
a dose through its medication. Two kinds of rows go everywhere on purpose:
- audit events: each site's trail is one keyed hash chain (iopdesk/audit/chain.py); a site that
  received only some links of another site's chain could not verify it, and the trail must stay
  whole where it was written and at the main clinic. Events name ids and actions, not chart text.
- tombstones: a deleted row can no longer be traced to its client; a tombstone of a row a site
  never had changes nothing there.
A conflict record follows the client of the record it is about.

Moving in: the sender keeps, per peer, the clients it has put in scope (`SyncScope`) and repeats
a newcomer's whole record (a catch-up, after the change log) until the peer confirms a sync
that covered it. Moving out: the sender tells the peer its scope; the satellite removes a client
that left it only when main has confirmed every change it made to that client, without a
tombstone (nothing is sent for it, and main never takes a missing row for a deletion), with the
sealed-record guards lifted inside that one transaction, and audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

import peewee

from iopdesk.audit.guards import drop_guards, install_guards
from iopdesk.kernel.clock import today
from iopdesk.models import (
    ALL_MODELS,
    Client,
    ClientShare,
    GroupEnrollment,
    Site,
    SyncChange,
    SyncScope,
    TherapyGroup,
)
from iopdesk.storage.sync_triggers import LOCAL_TABLES
from iopdesk.sync.incarnation import sites_of_writers
from iopdesk.sync.outgoing import RowChange
from iopdesk.sync.rows import log_row_id, models_by_table, to_json

# Rows that go to every site whatever client they concern (see the module docstring).
EVERYWHERE = frozenset({"audit_event"})


@cache
def client_paths() -> dict[str, tuple[peewee.ForeignKeyField, ...]]:
    """Table → the foreign keys leading from it to `client` (empty for `client` itself), for
    every synced table that belongs to a client. A required key is preferred to an optional one,
    a short path to a long one."""
    paths: dict[str, tuple[peewee.ForeignKeyField, ...]] = {}

    def path_of(model: type[peewee.Model], seen: frozenset) -> tuple | None:
        if model is Client:
            return ()
        best = None
        for fk in sorted(model._meta.refs, key=lambda f: (f.null, f.name)):
            target = fk.rel_model
            if target in seen or target is model:
                continue
            rest = path_of(target, seen | {model})
            if rest is None:
                continue
            candidate = (fk, *rest)
            if best is None or (fk.null, len(candidate)) < (best[0].null, len(best)):
                best = candidate
        return best

    for model in ALL_MODELS:
        table = model._meta.table_name
        if table in EVERYWHERE or table in LOCAL_TABLES or table.startswith("sync_"):
            continue
        found = path_of(model, frozenset())
        if found is not None:
            paths[table] = found
    return paths


def _owner_query(table: str) -> tuple[peewee.ModelSelect, peewee.Field]:
    """A query of (row id, owning client id) for a client table, and the client id column."""
    model = models_by_table()[table]
    path = client_paths()[table]
    if not path:
        return model.select(model.id, model.id), model.id
    owner = path[-1]
    query = model.select(model.id, owner)
    for fk in path[:-1]:
        query = query.join(fk.rel_model, on=(fk == fk.rel_model.id))
    return query, owner


def owners(table: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID | None]:
    """Row id → its client's id, for the rows of a client table that exist."""
    query, _ = _owner_query(table)
    model = models_by_table()[table]
    found: dict[uuid.UUID, uuid.UUID | None] = {}
    for chunk in peewee.chunked(ids, 500):
        for row_id, client_id in query.where(model.id.in_(chunk)).tuples():
            found[row_id] = client_id
    return found


def _place(site_or_writer: str | uuid.UUID) -> uuid.UUID:
    """The site of a writer id (a restored copy writes as a new incarnation of its site)."""
    return uuid.UUID(sites_of_writers().get(str(site_or_writer), str(site_or_writer)))


def clients_in_scope(site_id: str | uuid.UUID) -> set[uuid.UUID]:
    """The clients whose records site `site_id` holds (a satellite: see the module docstring);
    `site_id` may be a writer id of the site."""
    site = _place(site_id)
    own = Client.select(Client.id).where(Client.site == site)
    grouped = (GroupEnrollment.select(GroupEnrollment.client)
               .join(TherapyGroup, on=(GroupEnrollment.group == TherapyGroup.id))
               .where((TherapyGroup.site == site)
                      & (GroupEnrollment.ended_on.is_null() | (GroupEnrollment.ended_on >= today()))))
    shared = ClientShare.select(ClientShare.client).where((ClientShare.site == site)
                                                          & ClientShare.ended_at.is_null())
    found: set[uuid.UUID] = set()
    for query in (own, grouped, shared):
        found.update(row[0] for row in query.tuples())
    kept = found | _survivors(found)
    return kept | _merged_away(kept)


def _merged_away(clients: set[uuid.UUID]) -> set[uuid.UUID]:
    """The charts merged into these (followed back to the start): the merged-away chart's row
    stays where its chart kept is, so every site holding the one holds the other."""
    out: set[uuid.UUID] = set()
    todo = set(clients)
    while todo:
        away = set()
        for chunk in peewee.chunked(sorted(todo), 500):
            away.update(row[0] for row in Client.select(Client.id).where(Client.merged_into.in_(chunk)).tuples())
        todo = away - out - clients
        out |= todo
    return out


def _survivors(clients: set[uuid.UUID]) -> set[uuid.UUID]:
    """The charts these clients were merged into (`client.merged_into`, followed to the end): a
    chart kept by a merge holds the merged-away chart's records, so a site that held either
    holds it."""
    out: set[uuid.UUID] = set()
    todo = set(clients)
    while todo:
        into = set()
        for chunk in peewee.chunked(sorted(todo), 500):
            into.update(row[0] for row in Client.select(Client.merged_into)
                        .where(Client.id.in_(chunk) & Client.merged_into.is_null(False)).tuples())
        todo = into - out - clients
        out |= todo
    return out


def is_satellite(site_id: str) -> bool:
    site = Site.get_or_none(Site.id == _place(site_id))
    return site is not None and not site.is_main


@dataclass(frozen=True)
class Scope:
    """What one send to a satellite carries: the clients in its scope, and those whose whole
    record follows the change log (which then leaves them out) because the peer has not
    confirmed receiving it. After the log, every site, staff member and group a record refers
    to is there already."""

    clients: frozenset[uuid.UUID]
    catch_up: frozenset[uuid.UUID]

    def admits(self, changes: list[RowChange]) -> list[RowChange]:
        """The changes this peer may receive, in their order."""
        by_table: dict[str, list[uuid.UUID]] = {}
        for change in changes:
            if change.op != "D" and (change.table in client_paths() or change.table == "sync_conflict"):
                by_table.setdefault(change.table, []).append(uuid.UUID(change.row_id))
        owner: dict[tuple[str, str], uuid.UUID | None] = {}
        for table, ids in by_table.items():
            if table == "sync_conflict":
                continue
            for row_id, client_id in owners(table, ids).items():
                owner[(table, str(row_id))] = client_id
        for change in changes:
            if change.table == "sync_conflict" and change.row and change.row.get("table_name") in client_paths():
                about = change.row["table_name"]
                found = owners(about, [uuid.UUID(change.row["row_id"])])
                owner[("sync_conflict", change.row_id)] = next(iter(found.values()), None)
        kept = []
        for change in changes:
            client_id = owner.get((change.table, change.row_id))
            if change.op == "D" or client_id is None or (client_id in self.clients
                                                           and client_id not in self.catch_up):
                kept.append(change)
        return kept


def plan(peer_site: str, *, confirmed: int, upto: int, place: str | None = None) -> Scope | None:
    """The scope of a send to `peer_site` covering changes up to `upto`, of which the peer has
    confirmed up to `confirmed` (None: the peer is the main clinic and receives everything).
    `place` is the peer's site when the peer said so (a restored copy's new writer is unknown
    here until it has synced). Records newcomers to the peer's scope and forgets leavers; call
    inside a transaction of the sending database."""
    site = place or peer_site
    if not is_satellite(site):
        return None
    current = clients_in_scope(site)
    known = dict(SyncScope.select(SyncScope.client_id, SyncScope.added_upto)
                 .where(SyncScope.peer_site == peer_site).tuples())
    newcomers = [c for c in current if c not in known]
    for chunk in peewee.chunked(newcomers, 300):
        SyncScope.insert_many([{"peer_site": peer_site, "client_id": c, "added_upto": upto} for c in chunk]).execute()
    leavers = [c for c in known if c not in current]
    for chunk in peewee.chunked(leavers, 300):
        SyncScope.delete().where((SyncScope.peer_site == peer_site) & SyncScope.client_id.in_(chunk)).execute()
    if confirmed == 0:
        return Scope(frozenset(current), frozenset())  # a first full send carries every row anyway
    waiting = {c for c in current if known.get(c, upto) > confirmed}
    # a catch-up sent again is confirmed only by a checkpoint reaching this send's end: the
    # sender (`_transfer`, `import_file`) holds the checkpoint below `upto` until the catch-up is
    # all applied, but the log before it may pass an older `added_upto`, and a send cut off in
    # the catch-up would then lose it
    again = [c for c in waiting if c in known and known[c] < upto]
    for chunk in peewee.chunked(again, 300):
        SyncScope.update(added_upto=upto).where((SyncScope.peer_site == peer_site)
                                                & SyncScope.client_id.in_(chunk)).execute()
    return Scope(frozenset(current), frozenset(waiting))


def whole_records(tables: set[str], client_ids: frozenset[uuid.UUID], *, this_site: str,
                  seq: int) -> Iterator[list[RowChange]]:
    """Every current row of `tables` as catch-up row changes, in chunks: a client table's rows of
    these clients only, another table's rows all. Parents first (the models' dependency order,
    then creation order). The queries run as each chunk is asked for, against the database bound
    then (the sender's)."""
    for model in ALL_MODELS:
        table = model._meta.table_name
        if table not in tables or (table in client_paths() and not client_ids):
            continue
        if table in client_paths():
            query, owner = _owner_query(table)
            found = []
            for chunk in peewee.chunked(sorted(client_ids), 500):
                found.extend(query.select_extend(model.created_at).where(owner.in_(chunk)).tuples())
            found.sort(key=lambda r: (r[2], str(r[0])))
            ids = [r[0] for r in found]
        else:
            ids = [r[0] for r in model.select(model.id).order_by(model.created_at, model.id).tuples()]
        # rows of one origin insert together (one statement per run); a table whose rows refer to
        # each other keeps creation order so a row's parent comes first
        self_referring = any(fk.rel_model is model for fk in model._meta.refs)
        for chunk in peewee.chunked(ids, 1000):
            rows = sorted(model.select().where(model.id.in_(chunk)).dicts(),
                          key=lambda r: ("" if self_referring else str(r["origin_site"]), r["created_at"],
                                         str(r["id"])))
            yield [RowChange(table, str(row["id"]), "I", ["*"], str(row["origin_site"] or this_site), seq,
                             to_json(table, row), catch_up=True) for row in rows]


def catch_up(scope: Scope, *, this_site: str, seq: int) -> Iterator[list[RowChange]]:
    """The whole records of the clients entering a peer's scope."""
    return whole_records(set(client_paths()), scope.catch_up, this_site=this_site, seq=seq)


def first_copy(scope: Scope, tables: list[str], *, this_site: str, seq: int) -> Iterator[list[RowChange]]:
    """What a new satellite starts with: every row of the tables that go everywhere and the whole
    records of the clients in its scope, without reading the change log (a clinic's log holds
    every row ever written, millions, most of them other sites' clients')."""
    for changes in whole_records(set(tables), scope.clients, this_site=this_site, seq=seq):
        yield scope.admits(changes) if changes and changes[0].table == "sync_conflict" else changes


def rows_of_client(client_id: uuid.UUID) -> list[tuple[type[peewee.Model], uuid.UUID]]:
    """(model, row id) of every row that belongs to a client, children first."""
    out = []
    for model in reversed(ALL_MODELS):
        table = model._meta.table_name
        if table in client_paths():
            query, owner = _owner_query(table)
            out.extend((model, row[0]) for row in query.where(owner == client_id).tuples())
    return out


def remove_out_of_scope(db: peewee.Database, in_scope: set[uuid.UUID], *, main_site: str,
                        confirmed: int, record) -> tuple[int, int]:
    """At a satellite: remove the clients it holds that are no longer in its scope, once main has
    confirmed (`confirmed`, main's acknowledgement of this database's change seq) every change
    made here to their records. No tombstone is logged, so nothing is sent for them. `record`
    (client id, rows removed) writes the audit event. Returns (clients removed, postponed)."""
    held = [row[0] for row in Client.select(Client.id).tuples()]
    leaving = [c for c in held if c not in in_scope]
    removed = postponed = 0
    for client_id in leaving:
        rows = rows_of_client(client_id)
        log_ids = [log_row_id(db, row_id) for _, row_id in rows]
        unconfirmed = any(
            SyncChange.select().where((SyncChange.seq > confirmed) & SyncChange.via_peer.is_null()
                                      & SyncChange.row_id.in_(chunk)).exists()
            for chunk in peewee.chunked(log_ids, 500))
        if unconfirmed:
            postponed += 1
            continue
        with db.atomic():
            before = db.execute_sql("SELECT COALESCE(MAX(seq), 0) FROM sync_change").fetchone()[0]
            drop_guards(db)
            for model, row_id in rows:
                model.delete().where(model.id == row_id).execute()
            install_guards(db)
            SyncChange.delete().where(SyncChange.seq > before).execute()
            record(client_id, len(rows))
        removed += 1
    return removed, postponed


def main_site_id() -> str | None:
    site = Site.get_or_none(Site.is_main == True)  # noqa: E712
    return str(site.id) if site else None
