"""Standard measures given to a client (PHQ-9, GAD-7, AUDIT, …) and when each is due.

Invariants: answers are stored exactly as given; total, band and subscales are computed by
`iopdesk.clinical.measures` from the item data in `resources/`, never typed.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import JSONField, Record
from iopdesk.models.clients import Client, Episode
from iopdesk.models.staff import Staff


class MeasureResult(Record):
    client = peewee.ForeignKeyField(Client, backref="measure_results", on_delete="CASCADE")
    episode = peewee.ForeignKeyField(Episode, null=True, backref="measure_results")
    measure = peewee.CharField(max_length=12)
    administered_on = peewee.DateField()
    answers = JSONField()
    total = peewee.IntegerField()
    band = peewee.CharField(default="")
    subscales = JSONField(default=dict)
    safety_flag = peewee.BooleanField(default=False)
    entered_by = peewee.ForeignKeyField(Staff)

    class Meta:
        indexes = ((("client", "measure", "administered_on"), False),)


class MeasureSchedule(Record):
    client = peewee.ForeignKeyField(Client, backref="measure_schedules", on_delete="CASCADE")
    measure = peewee.CharField(max_length=12)
    every_days = peewee.IntegerField()
    next_due_on = peewee.DateField()

    class Meta:
        indexes = ((("client", "measure"), True),)
