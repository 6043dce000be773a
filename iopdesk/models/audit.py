"""The append-only audit trail, its chain head, and the Part 2 disclosure log.

Invariants: audit events are only ever added (database triggers refuse UPDATE and DELETE); each
carries the hash of the previous event (`prev_hash`) and its own (`event_hash`, an HMAC under the
clinic's audit key when `hash_kind` is "hmac", plain SHA-256 for events written before the key
existed), with a `seq` gapless within the site that wrote it (events synced from other sites keep
theirs); the single `AuditHead` row holds the last seq and hash so that deleting the newest event
is caught too, and writers serialise on it. Its `mac` seals (seq, hash, keyed_from) with the key;
`checked_*` is the start-up check's keyed checkpoint (see iopdesk/audit/chain.py).
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import JSONField, Record
from iopdesk.models.clients import Client, Consent
from iopdesk.models.staff import Staff


class AuditEvent(Record):
    seq = peewee.BigIntegerField()
    occurred_at = peewee.DateTimeField()
    actor_id = peewee.UUIDField(null=True)
    actor = peewee.CharField()
    action = peewee.CharField(max_length=20)
    entity = peewee.CharField(max_length=40)
    entity_id = peewee.CharField(null=True, max_length=40)
    client_id = peewee.UUIDField(null=True, index=True)
    detail = JSONField(default=dict)
    prev_hash = peewee.CharField(max_length=64)
    event_hash = peewee.CharField(max_length=64)
    hash_kind = peewee.CharField(max_length=6, default="hmac")

    class Meta:
        indexes = ((("origin_site", "seq"), True),)


class AuditHead(Record):
    """One row (name='main'): the newest event's seq and hash."""

    name = peewee.CharField(unique=True, max_length=10)
    seq = peewee.BigIntegerField(default=0)
    event_hash = peewee.CharField(max_length=64)
    keyed_from = peewee.BigIntegerField(default=1)
    mac = peewee.CharField(null=True, max_length=64)
    checked_seq = peewee.BigIntegerField(default=0)
    checked_hash = peewee.CharField(max_length=64, default="0" * 64)
    checked_mac = peewee.CharField(null=True, max_length=64)


class Disclosure(Record):
    client = peewee.ForeignKeyField(Client, backref="disclosures", on_delete="CASCADE")
    consent = peewee.ForeignKeyField(Consent, null=True)
    disclosed_at = peewee.DateTimeField()
    disclosed_by = peewee.ForeignKeyField(Staff)
    recipient = peewee.CharField()
    description = peewee.TextField()
