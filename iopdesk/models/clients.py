"""Clients and their episodes of care: demographics, payer, level of care, diagnoses, ASAM,
Part 2 consents, alerts.

Invariants: an MRN is unique across sites (site prefix); a client registered twice is merged into
one chart, the merged-away row staying (with its MRN, so old printouts still find the chart) and
pointing at the surviving chart by `merged_into` (iopdesk/services/client_merge.py); an episode has at most one primary
active diagnosis; a level-of-care change is a dated row, never an edit of the episode's history;
a revoked consent stays on file with its revocation date.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record
from iopdesk.models.staff import Site, Staff


class Payer(Record):
    name = peewee.CharField()
    code = peewee.CharField(unique=True, max_length=20)
    kind = peewee.CharField(max_length=20, default="commercial")
    active = peewee.BooleanField(default=True)


class Client(Record):
    mrn = peewee.CharField(unique=True, max_length=20)
    legal_first = peewee.CharField()
    legal_last = peewee.CharField()
    preferred_name = peewee.CharField(default="")
    dob = peewee.DateField()
    sex = peewee.CharField(max_length=1, default="U")
    gender_identity = peewee.CharField(default="")
    pronouns = peewee.CharField(default="")
    phone = peewee.CharField(default="")
    email = peewee.CharField(default="")
    address = peewee.TextField(default="")
    emergency_name = peewee.CharField(default="")
    emergency_phone = peewee.CharField(default="")
    emergency_relationship = peewee.CharField(default="")
    payer = peewee.ForeignKeyField(Payer, null=True, backref="clients")
    member_id = peewee.CharField(default="")
    site = peewee.ForeignKeyField(Site, backref="clients")
    merged_into = peewee.ForeignKeyField("self", null=True, backref="merged_clients")
    merged_at = peewee.DateTimeField(null=True)

    class Meta:
        indexes = ((("legal_last", "legal_first"), False), (("dob",), False))

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None


class Authorization(Record):
    client = peewee.ForeignKeyField(Client, backref="authorizations", on_delete="CASCADE")
    payer = peewee.ForeignKeyField(Payer)
    number = peewee.CharField()
    service_code = peewee.CharField(default="")
    starts_on = peewee.DateField()
    ends_on = peewee.DateField()
    units_authorized = peewee.IntegerField(null=True)


class Episode(Record):
    client = peewee.ForeignKeyField(Client, backref="episodes", on_delete="CASCADE")
    admitted_on = peewee.DateField()
    track = peewee.CharField(max_length=20)
    level_of_care = peewee.CharField(max_length=10)
    days_per_week = peewee.IntegerField(default=5)
    schedule_days = peewee.CharField(default="MON,TUE,WED,THU,FRI")
    primary_clinician = peewee.ForeignKeyField(Staff, backref="episodes")
    status = peewee.CharField(max_length=12, default="active")
    expected_weeks = peewee.IntegerField(default=8)
    discharged_on = peewee.DateField(null=True)

    class Meta:
        indexes = ((("primary_clinician", "status"), False),)


class LevelOfCareChange(Record):
    episode = peewee.ForeignKeyField(Episode, backref="level_changes", on_delete="CASCADE")
    effective_on = peewee.DateField()
    from_level = peewee.CharField(max_length=10, null=True)
    to_level = peewee.CharField(max_length=10)
    from_days_per_week = peewee.IntegerField(null=True)
    to_days_per_week = peewee.IntegerField()
    reason = peewee.TextField(default="")
    decided_by = peewee.ForeignKeyField(Staff)


class Diagnosis(Record):
    episode = peewee.ForeignKeyField(Episode, backref="diagnoses", on_delete="CASCADE")
    code = peewee.CharField(max_length=8)
    description = peewee.CharField(default="")
    is_primary = peewee.BooleanField(default=False)
    noted_on = peewee.DateField()
    resolved_on = peewee.DateField(null=True)
    at_admission = peewee.BooleanField(default=True)


class AsamAssessment(Record):
    client = peewee.ForeignKeyField(Client, backref="asam_assessments", on_delete="CASCADE")
    episode = peewee.ForeignKeyField(Episode, null=True, backref="asam_assessments")
    assessed_on = peewee.DateField()
    assessor = peewee.ForeignKeyField(Staff)
    d1_withdrawal = peewee.IntegerField()
    d2_biomedical = peewee.IntegerField()
    d3_emotional = peewee.IntegerField()
    d4_readiness = peewee.IntegerField()
    d5_relapse = peewee.IntegerField()
    d6_environment = peewee.IntegerField()
    recommended_level = peewee.CharField(max_length=10)
    detox_need = peewee.BooleanField(default=False)
    acute_suicide_risk = peewee.BooleanField(default=False)
    severe_withdrawal = peewee.BooleanField(default=False)
    referral_to = peewee.CharField(default="")
    comments = peewee.TextField(default="")


class Consent(Record):
    """A 42 CFR Part 2 consent to disclose: every element the rule requires is a field."""

    client = peewee.ForeignKeyField(Client, backref="consents", on_delete="CASCADE")
    discloser = peewee.CharField()
    recipient = peewee.CharField()
    information = peewee.TextField()
    purpose = peewee.TextField()
    signed_on = peewee.DateField()
    signed_by = peewee.CharField()
    expires_on = peewee.DateField(null=True)
    expiration_event = peewee.CharField(default="")
    revoked_on = peewee.DateField(null=True)
    recorded_by = peewee.ForeignKeyField(Staff)


class Alert(Record):
    """Something about a client that a clinician must see: safety, unexpected positive screen…"""

    client = peewee.ForeignKeyField(Client, backref="alerts", on_delete="CASCADE")
    kind = peewee.CharField(max_length=30)
    message = peewee.TextField()
    raised_at = peewee.DateTimeField()
    raised_by = peewee.ForeignKeyField(Staff, null=True)
    source_id = peewee.UUIDField(null=True)
    resolved_at = peewee.DateTimeField(null=True)
    resolved_by = peewee.ForeignKeyField(Staff, null=True)
    resolution = peewee.TextField(default="")
