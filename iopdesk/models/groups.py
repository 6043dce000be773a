"""Therapy groups, their weekly schedule, enrolment, sessions and attendance.

Invariants: one attendance row per client per session; minutes attended never exceed the
session's length; the shared part of a group session holds no client-identifying text (it is
copied into every attendee's chart).
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record
from iopdesk.models.clients import Client, Episode
from iopdesk.models.staff import Site, Staff


class TherapyGroup(Record):
    name = peewee.CharField()
    group_type = peewee.CharField(max_length=30)
    site = peewee.ForeignKeyField(Site, backref="groups")
    default_minutes = peewee.IntegerField(default=180)
    billing_code = peewee.CharField(max_length=10, default="90853")
    active = peewee.BooleanField(default=True)


class GroupScheduleSlot(Record):
    group = peewee.ForeignKeyField(TherapyGroup, backref="schedule", on_delete="CASCADE")
    weekday = peewee.IntegerField()
    starts_at = peewee.TimeField()
    minutes = peewee.IntegerField()


class GroupFacilitator(Record):
    group = peewee.ForeignKeyField(TherapyGroup, backref="facilitator_rows", on_delete="CASCADE")
    staff = peewee.ForeignKeyField(Staff, backref="facilitated_groups")

    class Meta:
        indexes = ((("group", "staff"), True),)


class GroupEnrollment(Record):
    group = peewee.ForeignKeyField(TherapyGroup, backref="enrollments", on_delete="CASCADE")
    client = peewee.ForeignKeyField(Client, backref="enrollments", on_delete="CASCADE")
    episode = peewee.ForeignKeyField(Episode, backref="enrollments", on_delete="CASCADE")
    enrolled_on = peewee.DateField()
    ended_on = peewee.DateField(null=True)


class GroupSession(Record):
    group = peewee.ForeignKeyField(TherapyGroup, backref="sessions", on_delete="CASCADE")
    session_date = peewee.DateField()
    starts_at = peewee.TimeField()
    ends_at = peewee.TimeField()
    status = peewee.CharField(max_length=12, default="scheduled")
    topic = peewee.CharField(default="")
    modality = peewee.CharField(default="")
    shared_note = peewee.TextField(default="")
    lead_facilitator = peewee.ForeignKeyField(Staff, null=True, backref="led_sessions")

    class Meta:
        indexes = ((("session_date", "group"), False),)


class SessionFacilitator(Record):
    session = peewee.ForeignKeyField(GroupSession, backref="facilitator_rows", on_delete="CASCADE")
    staff = peewee.ForeignKeyField(Staff)

    class Meta:
        indexes = ((("session", "staff"), True),)


class Attendance(Record):
    session = peewee.ForeignKeyField(GroupSession, backref="attendance", on_delete="CASCADE")
    client = peewee.ForeignKeyField(Client, backref="attendance", on_delete="CASCADE")
    status = peewee.CharField(max_length=20)
    arrived_at = peewee.TimeField(null=True)
    left_at = peewee.TimeField(null=True)
    minutes = peewee.IntegerField(default=0)

    class Meta:
        indexes = ((("session", "client"), True), (("client", "session"), False))
