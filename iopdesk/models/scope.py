"""Which clients a satellite site holds beyond its own: shares, and what each peer was sent.

Invariants:
- `ClientShare` is a clinic record that syncs: an administrator shared `client` with `site` (who,
  when, why). A share is never deleted; unsharing sets `ended_at`/`ended_by`, so the history of
  who could see a chart where stays. A client may have several shares with one site over time;
  the client is shared while any of them has no `ended_at`.
- `SyncScope` is local to the database that sends (never synced): one row per (peer site, client)
  it has put in that peer's scope, with `added_upto`, the sender's change seq when the client
  entered. Until the peer confirms a seq at or past it, every send repeats the client's whole
  record (the scope-change catch-up), so a lost sync file cannot lose it.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import BaseModel, Record
from iopdesk.models.clients import Client
from iopdesk.models.staff import Site, Staff


class ClientShare(Record):
    client = peewee.ForeignKeyField(Client, backref="shares", on_delete="CASCADE")
    site = peewee.ForeignKeyField(Site, backref="client_shares")
    shared_by = peewee.ForeignKeyField(Staff, null=True, backref="+")
    shared_at = peewee.DateTimeField()
    reason = peewee.TextField(default="")
    ended_by = peewee.ForeignKeyField(Staff, null=True, backref="+")
    ended_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("site", "client"), False),)


class SyncScope(BaseModel):
    peer_site = peewee.CharField(max_length=40)
    client_id = peewee.UUIDField()
    added_upto = peewee.BigIntegerField(default=0)

    class Meta:
        indexes = ((("peer_site", "client_id"), True),)
