"""Records following a client merge to the chart kept, at this site and at every site it syncs with.

A duplicate client merged into another chart (iopdesk/services/client_merge.py) keeps its row,
pointing at the chart kept (`client.merged_into_id`). Any record still naming the merged-away
client — moved by the merge, arriving later by sync from a site that had not heard of the merge,
or written there meanwhile — is moved here to the chart kept, as this site's own edit, so it
syncs on. Two sites making the same move write the same value, which does not conflict. Signed
records moved are sealed again with provenance "client merge" (the guards allow exactly that
column to change that way: iopdesk/audit/guards.py).
"""

from __future__ import annotations

import datetime as dt
import uuid

import peewee

from iopdesk.audit.registry import BY_TABLE, MERGE_ACT
from iopdesk.audit.sealing import seal_rows
from iopdesk.kernel.clock import utcnow
from iopdesk.models import ALL_MODELS, Client, MeasureSchedule
from iopdesk.permissions import SYSTEM, Actor


def client_references() -> list[tuple[type[peewee.Model], peewee.ForeignKeyField]]:
    """Every (model, field) pointing at a client, but the merge link itself."""
    out = []
    for model in ALL_MODELS:
        for fk in model._meta.refs:
            if fk.rel_model is Client and model is not Client:
                out.append((model, fk))
    return sorted(out, key=lambda pair: (pair[0]._meta.table_name, pair[1].name))


def _survivors() -> dict[uuid.UUID, uuid.UUID]:
    """Merged-away client id → the chart it ends in (following merges of merged charts). Two
    sites that merged a pair each the other way round make a loop: the chart with the smallest id
    in it is kept and its own merge undone here (every site undoes the same one)."""
    links = dict(Client.select(Client.id, Client.merged_into).where(Client.merged_into.is_null(False)).tuples())
    out = {}
    for start in sorted(links):
        path, current = [start], links[start]
        while current in links and current not in path:
            path.append(current)
            current = links[current]
        if current in path:  # a loop: keep its smallest id
            loop = path[path.index(current):]
            root = min(loop)
            Client.update(merged_into=None, merged_at=None, updated_at=utcnow(), version=Client.version + 1).where(
                Client.id == root).execute()
            links.pop(root)
            return _survivors()
        out[start] = current
    return out


def follow_merges(*, actor: Actor = SYSTEM, only: dict[uuid.UUID, uuid.UUID] | None = None,
                  provenance: str = MERGE_ACT) -> dict[str, int]:
    """Move every record still on a merged-away client to the chart it was merged into, in the
    caller's transaction (after a merge, and after each applied sync batch: one query per table
    that points at clients, whatever the number of merges). Signed records moved are sealed again
    with `provenance`. A record the kept chart already has by a unique key (attendance in one
    session) stays where it is. Returns table → rows moved."""
    survivors = only if only is not None else _survivors()
    moved: dict[str, int] = {}
    if not survivors:
        return moved
    now = utcnow()
    merged_ids = list(survivors)
    for chunk in peewee.chunked(merged_ids, 500):  # a chart merged into a chart merged later
        for row_id, into in Client.select(Client.id, Client.merged_into).where(Client.merged_into.in_(chunk)).tuples():
            final = survivors.get(into, into)
            if final != into and final != row_id:
                Client.update(merged_into=final, updated_at=now, version=Client.version + 1).where(
                    Client.id == row_id).execute()
    for model, fk in client_references():
        table = model._meta.table_name
        by_kept: dict[uuid.UUID, list] = {}
        for chunk in peewee.chunked(merged_ids, 500):
            for row_id, client_id in model.select(model.id, fk).where(fk.in_(chunk)).tuples():
                by_kept.setdefault(survivors[client_id], []).append((row_id, client_id))
        for kept, rows in by_kept.items():
            ids = [row_id for row_id, _ in rows]
            if table == "measure_schedule":
                ids = _merge_schedules({client_id for _, client_id in rows}, kept, ids)
            done = _move(model, fk, ids, kept, now)
            if done:
                moved[table] = moved.get(table, 0) + len(done)
                if table in BY_TABLE:
                    seal_rows(table, done, provenance=provenance, actor=actor)
    return moved


def _move(model, fk, ids: list, kept: uuid.UUID, now: dt.datetime) -> list:
    """Point rows `ids` at the kept chart, all at once or (when a unique key refuses) one by one."""
    def update(where):
        return model.update({fk: kept, model.updated_at: now, model.version: model.version + 1}).where(where)

    try:
        with model._meta.database.atomic():
            update(model.id.in_(ids)).execute()
        return ids
    except peewee.IntegrityError:
        pass
    done = []
    for row_id in ids:
        try:
            with model._meta.database.atomic():
                update(model.id == row_id).execute()
            done.append(row_id)
        except peewee.IntegrityError:
            continue
    return done


def _merge_schedules(merged: set[uuid.UUID], kept: uuid.UUID, ids: list) -> list:
    """A measure both charts are scheduled for keeps the kept chart's schedule; the other goes.
    Returns the schedules left to move."""
    have = set(MeasureSchedule.select(MeasureSchedule.measure).where(MeasureSchedule.client == kept)
               .tuples().scalars())
    twice = {row_id for row_id, measure in MeasureSchedule.select(MeasureSchedule.id, MeasureSchedule.measure)
             .where(MeasureSchedule.id.in_(ids)).tuples() if measure in have}
    if twice:
        MeasureSchedule.delete().where(MeasureSchedule.id.in_(list(twice))).execute()
    return [row_id for row_id in ids if row_id not in twice]
