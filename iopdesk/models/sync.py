"""Bookkeeping for site sync: the change log, each peer's checkpoints, and conflicts.

Invariants:
- `SyncChange` gets one row per inserted, updated or deleted row of a synced table, written by
  database triggers in the same transaction as the change, so nothing can change unrecorded;
  `seq` only grows. `origin_site` is the site that made the edit (None = this database) and
  `via_peer` the peer it arrived from (None = made here); both come from the single
  `SyncApplying` row, which only a sync sets, inside its own transaction.
- `SyncPeer` is what this database knows about one peer: `received_upto` is the peer's change
  seq applied here (advanced in the same transaction as the changes it covers), `acked_upto` is
  our change seq the peer has confirmed; `peer_database` is the peer's database identity when
  they were recorded (a restored backup has a new one, which resets both).
- `SyncSiteKey` is the secret that signs the sync files between the main clinic and one satellite
  (local to a database, never synced): the main clinic holds every site's, a satellite its own,
  so one site's key can be revoked without re-keying the others.
- `SyncConflict` rows are clinic records like any other and sync to every site; both values stay
  in the row until an admin resolves it.
- `SiteIncarnation` names a writer other than a site itself: each restore of a site's database
  starts one (iopdesk/sync/incarnation.py). `writer` is what that copy stamps as `origin_site`,
  signs its audit chain as and syncs as; `site` is the clinic place it belongs to; `mrn_tag` is
  unique per site and never empty for an incarnation. Rows only ever get added.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import BaseModel, JSONField, Record


class SyncChange(BaseModel):
    seq = peewee.BigAutoField()
    table_name = peewee.CharField(max_length=40)
    row_id = peewee.CharField(max_length=40)
    op = peewee.CharField(max_length=1)
    fields = peewee.TextField(default="")
    origin_site = peewee.CharField(null=True, max_length=40)
    via_peer = peewee.CharField(null=True, max_length=40)
    recorded_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("row_id", "table_name"), False),)


class SyncApplying(BaseModel):
    """One row (id 1): who the changes being written now come from (NULLs outside a sync)."""

    id = peewee.IntegerField(primary_key=True)
    origin_site = peewee.CharField(null=True, max_length=40)
    via_peer = peewee.CharField(null=True, max_length=40)


class SyncPeer(BaseModel):
    peer_site = peewee.CharField(primary_key=True, max_length=40)
    peer_database = peewee.CharField(null=True, max_length=40)
    received_upto = peewee.BigIntegerField(default=0)
    acked_upto = peewee.BigIntegerField(default=0)
    resend_all = peewee.BooleanField(default=False)
    last_sync_at = peewee.DateTimeField(null=True)
    last_result = peewee.TextField(default="")


class SyncSiteKey(BaseModel):
    site_id = peewee.CharField(primary_key=True, max_length=40)
    key = peewee.CharField(max_length=64)
    created_at = peewee.DateTimeField()


class SyncConflict(Record):
    table_name = peewee.CharField(max_length=40)
    row_id = peewee.CharField(max_length=40)
    field = peewee.CharField(max_length=60)
    kind = peewee.CharField(max_length=12)
    kept_value = JSONField(null=True)
    other_value = JSONField(null=True)
    kept_version = peewee.IntegerField(default=0)
    other_version = peewee.IntegerField(default=0)
    kept_site = peewee.CharField(null=True, max_length=40)
    other_site = peewee.CharField(null=True, max_length=40)
    detected_at = peewee.DateTimeField()
    status = peewee.CharField(max_length=10, default="pending")
    resolved_by = peewee.CharField(null=True, max_length=80)
    resolved_at = peewee.DateTimeField(null=True)
    resolution = peewee.CharField(null=True, max_length=12)

    class Meta:
        indexes = ((("status", "table_name"), False),)


class SiteIncarnation(Record):
    """One restored life of a site's database: its writer id, site, number and MRN tag."""

    writer = peewee.UUIDField(unique=True)
    site = peewee.UUIDField(index=True)  # the Site (not a foreign key: it may arrive first)
    number = peewee.IntegerField()
    mrn_tag = peewee.CharField(max_length=8)
    started_at = peewee.DateTimeField()
    reason = peewee.CharField(max_length=20)

    class Meta:
        indexes = ((("site", "mrn_tag"), True),)
