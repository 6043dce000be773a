"""Treatment plans: versions of problems → goals → objectives → interventions, and reviews.

Invariants: a plan version once signed never changes (a revision is a new version copied from
it); objectives keep a `lineage` id across versions so progress can be followed; a review is
signed and records progress per objective.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record
from iopdesk.models.clients import Client, Episode
from iopdesk.models.staff import Staff


class TreatmentPlan(Record):
    episode = peewee.ForeignKeyField(Episode, backref="plans", on_delete="CASCADE")
    client = peewee.ForeignKeyField(Client, backref="plans", on_delete="CASCADE")
    plan_version = peewee.IntegerField(default=1)
    status = peewee.CharField(max_length=12, default="draft")
    effective_on = peewee.DateField()
    review_due_on = peewee.DateField(null=True)
    strengths = peewee.TextField(default="")
    barriers = peewee.TextField(default="")
    services = peewee.TextField(default="")
    referrals = peewee.TextField(default="")
    primary_counselor = peewee.ForeignKeyField(Staff, null=True)
    clinician_signed_at = peewee.DateTimeField(null=True)
    clinician_signed_by = peewee.ForeignKeyField(Staff, null=True)
    client_signed_on = peewee.DateField(null=True)
    client_signature_name = peewee.CharField(default="")
    content_hash = peewee.CharField(null=True, max_length=64)
    previous = peewee.ForeignKeyField("self", null=True, backref="revisions")

    class Meta:
        indexes = ((("episode", "plan_version"), True),)


class PlanProblem(Record):
    plan = peewee.ForeignKeyField(TreatmentPlan, backref="problems", on_delete="CASCADE")
    position = peewee.IntegerField(default=0)
    statement = peewee.TextField()
    diagnosis_code = peewee.CharField(default="", max_length=8)


class PlanGoal(Record):
    problem = peewee.ForeignKeyField(PlanProblem, backref="goals", on_delete="CASCADE")
    position = peewee.IntegerField(default=0)
    statement = peewee.TextField()


class PlanObjective(Record):
    goal = peewee.ForeignKeyField(PlanGoal, backref="objectives", on_delete="CASCADE")
    position = peewee.IntegerField(default=0)
    statement = peewee.TextField()
    target_date = peewee.DateField()
    status = peewee.CharField(max_length=20, default="active")
    lineage = peewee.UUIDField(index=True)  # reviews follow an objective across plan versions by it


class PlanIntervention(Record):
    objective = peewee.ForeignKeyField(PlanObjective, backref="interventions", on_delete="CASCADE")
    position = peewee.IntegerField(default=0)
    modality = peewee.CharField()
    frequency = peewee.CharField()
    responsible = peewee.ForeignKeyField(Staff, null=True)
    description = peewee.TextField(default="")


class PlanReview(Record):
    plan = peewee.ForeignKeyField(TreatmentPlan, backref="reviews", on_delete="CASCADE")
    reviewed_on = peewee.DateField()
    reviewer = peewee.ForeignKeyField(Staff)
    summary = peewee.TextField(default="")
    next_review_on = peewee.DateField(null=True)
    signed_at = peewee.DateTimeField(null=True)
    content_hash = peewee.CharField(null=True, max_length=64)


class ObjectiveProgress(Record):
    review = peewee.ForeignKeyField(PlanReview, backref="progress", on_delete="CASCADE")
    objective = peewee.ForeignKeyField(PlanObjective, backref="progress", on_delete="CASCADE")
    rating = peewee.CharField(max_length=20)
    comment = peewee.TextField(default="")
