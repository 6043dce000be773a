"""Family members as contacts of a client, and family therapy sessions.

Invariants: a family session is with the client, without the client, or a multi-family group;
participants are recorded per session; a family member's release of information is a consent row.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record
from iopdesk.models.clients import Client, Consent
from iopdesk.models.staff import Staff


class FamilyMember(Record):
    client = peewee.ForeignKeyField(Client, backref="family_members", on_delete="CASCADE")
    name = peewee.CharField()
    relationship = peewee.CharField()
    phone = peewee.CharField(default="")
    consent = peewee.ForeignKeyField(Consent, null=True, on_delete="SET NULL")
    comments = peewee.TextField(default="")


class FamilySession(Record):
    client = peewee.ForeignKeyField(Client, backref="family_sessions", on_delete="CASCADE")
    kind = peewee.CharField(max_length=20)
    session_date = peewee.DateField()
    starts_at = peewee.TimeField()
    ends_at = peewee.TimeField()
    clinician = peewee.ForeignKeyField(Staff)


class FamilySessionParticipant(Record):
    session = peewee.ForeignKeyField(FamilySession, backref="participants", on_delete="CASCADE")
    family_member = peewee.ForeignKeyField(FamilyMember, backref="sessions", on_delete="CASCADE")

    class Meta:
        indexes = ((("session", "family_member"), True),)
