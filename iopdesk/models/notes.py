"""Clinical notes: individual, group, family, medication-management and case-management notes in
SOAP, DAP, BIRP or GIRP format, with addenda and co-signature.

Invariants: a signed note never changes (its `content_hash` is the SHA-256 of what was signed);
corrections are addenda, appended and signed by their author; a note by staff needing
co-signature is complete only when a supervisor co-signs it.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import JSONField, Record
from iopdesk.models.clients import Client, Episode
from iopdesk.models.family import FamilySession
from iopdesk.models.groups import GroupSession
from iopdesk.models.plans import PlanObjective
from iopdesk.models.staff import Staff


class Note(Record):
    client = peewee.ForeignKeyField(Client, backref="notes", on_delete="CASCADE")
    episode = peewee.ForeignKeyField(Episode, null=True, backref="notes")
    kind = peewee.CharField(max_length=20)
    note_format = peewee.CharField(max_length=8)
    service_date = peewee.DateField()
    starts_at = peewee.TimeField(null=True)
    ends_at = peewee.TimeField(null=True)
    minutes = peewee.IntegerField(default=0)
    place_of_service = peewee.CharField(max_length=2, default="57")
    participants = peewee.TextField(default="")
    author = peewee.ForeignKeyField(Staff, backref="notes")
    sections = JSONField(default=dict)
    status = peewee.CharField(max_length=16, default="draft")
    signed_at = peewee.DateTimeField(null=True)
    content_hash = peewee.CharField(null=True, max_length=64)
    cosign_required = peewee.BooleanField(default=False)
    cosigned_at = peewee.DateTimeField(null=True)
    cosigned_by = peewee.ForeignKeyField(Staff, null=True, backref="cosigned_notes")
    group_session = peewee.ForeignKeyField(GroupSession, null=True, backref="notes")
    family_session = peewee.ForeignKeyField(FamilySession, null=True, backref="notes")

    class Meta:
        indexes = (
            (("client", "service_date"), False),
            (("author", "status"), False),
            (("group_session", "client"), False),
        )


class NoteObjective(Record):
    note = peewee.ForeignKeyField(Note, backref="objective_rows", on_delete="CASCADE")
    objective = peewee.ForeignKeyField(PlanObjective, backref="note_rows", on_delete="CASCADE")

    class Meta:
        indexes = ((("note", "objective"), True),)


class NoteAddendum(Record):
    note = peewee.ForeignKeyField(Note, backref="addenda", on_delete="CASCADE")
    author = peewee.ForeignKeyField(Staff)
    text = peewee.TextField()
    signed_at = peewee.DateTimeField()
    content_hash = peewee.CharField(max_length=64)
