"""Billable services derived from the record, and the export batches that sent them to billing.

Invariants: a billable service is derived (from attendance or a note), never typed; a line on
hold names its reason; an exported line remembers its batch and the hash of what was exported,
so a later change is visible. `line_key` is the line's natural key (client, date, what it comes
from), so deriving the same range again finds the same row and keeps its id; `line_hash` is the
hash of what the line currently says.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record
from iopdesk.models.clients import Client, Episode
from iopdesk.models.groups import Attendance
from iopdesk.models.notes import Note
from iopdesk.models.staff import Staff


class ExportBatch(Record):
    exported_at = peewee.DateTimeField()
    exported_by = peewee.ForeignKeyField(Staff)
    range_from = peewee.DateField()
    range_to = peewee.DateField()
    filters = peewee.TextField(default="")
    line_count = peewee.IntegerField(default=0)


class BillableService(Record):
    client = peewee.ForeignKeyField(Client, backref="billable_services", on_delete="CASCADE")
    episode = peewee.ForeignKeyField(Episode, null=True)
    service_date = peewee.DateField()
    code = peewee.CharField(max_length=10)
    modifiers = peewee.CharField(default="", max_length=20)
    units = peewee.IntegerField(default=1)
    minutes = peewee.IntegerField(default=0)
    place_of_service = peewee.CharField(max_length=2)
    rendering = peewee.ForeignKeyField(Staff, backref="rendered_services")
    supervising = peewee.ForeignKeyField(Staff, null=True)
    charge_cents = peewee.IntegerField(default=0)
    note = peewee.ForeignKeyField(Note, null=True, on_delete="SET NULL")
    attendance = peewee.ForeignKeyField(Attendance, null=True, on_delete="SET NULL")
    hold_reason = peewee.CharField(null=True)
    export_batch = peewee.ForeignKeyField(ExportBatch, null=True)
    exported_hash = peewee.CharField(null=True, max_length=64)
    line_key = peewee.CharField(null=True, max_length=120, unique=True)
    line_hash = peewee.CharField(null=True, max_length=64)

    class Meta:
        indexes = ((("service_date", "client"), False),)
