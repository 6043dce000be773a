"""Discharge from an episode: reason, summary assembled from the record, aftercare referrals.

Invariants: one discharge per episode; the discharge date is not before admission; once signed
the summary never changes (`content_hash`).
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import JSONField, Record
from iopdesk.models.clients import Episode
from iopdesk.models.staff import Staff


class Discharge(Record):
    episode = peewee.ForeignKeyField(Episode, backref="discharge_rows", unique=True, on_delete="CASCADE")
    discharged_on = peewee.DateField()
    reason = peewee.CharField(max_length=30)
    reason_detail = peewee.TextField(default="")
    summary = JSONField(default=dict)
    aftercare = peewee.TextField(default="")
    status = peewee.CharField(max_length=12, default="draft")
    signed_at = peewee.DateTimeField(null=True)
    signed_by = peewee.ForeignKeyField(Staff, null=True)
    content_hash = peewee.CharField(null=True, max_length=64)


class AftercareReferral(Record):
    discharge = peewee.ForeignKeyField(Discharge, backref="referrals", on_delete="CASCADE")
    provider = peewee.CharField()
    service = peewee.CharField()
    appointment_on = peewee.DateField(null=True)
    contact = peewee.CharField(default="")
    barriers = peewee.TextField(default="")
