"""Read models of a treatment plan (`PlanView`: problems → goals → objectives → interventions)
and the canonical content a plan signature covers.

A plan is loaded with one query per level of the tree, never one per element. The content used
for the signature hash lists every element in order, so any change to a signed plan would show
as a different hash.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import peewee

from iopdesk.errors import ValidationError
from iopdesk.models import (
    Episode,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanReview,
    Staff,
    TreatmentPlan,
)
from iopdesk.storage.records import fetch


@dataclass(frozen=True)
class InterventionView:
    id: str
    position: int
    modality: str
    frequency: str
    responsible_id: str | None
    responsible: str
    description: str


@dataclass(frozen=True)
class ObjectiveView:
    id: str
    position: int
    statement: str
    target_date: dt.date
    status: str
    lineage: str
    interventions: tuple[InterventionView, ...]


@dataclass(frozen=True)
class GoalView:
    id: str
    position: int
    statement: str
    objectives: tuple[ObjectiveView, ...]


@dataclass(frozen=True)
class ProblemView:
    id: str
    position: int
    statement: str
    diagnosis_code: str
    goals: tuple[GoalView, ...]


@dataclass(frozen=True)
class PlanView:
    """One version of a plan. `version` is the row version to pass back as expected_version;
    `plan_version` is the plan's number (1 = initial plan, 2 = first revision…)."""

    id: str
    episode_id: str
    client_id: str
    plan_version: int
    status: str
    effective_on: dt.date
    review_due_on: dt.date | None
    last_reviewed_on: dt.date | None
    strengths: str
    barriers: str
    services: str
    referrals: str
    primary_counselor_id: str | None
    primary_counselor: str
    clinician_signed_at: dt.datetime | None
    clinician_signed_by: str
    client_signature_name: str
    client_signed_on: dt.date | None
    content_hash: str | None
    previous_id: str | None
    version: int
    problems: tuple[ProblemView, ...]
    clinician_signed_credentials: str = ""  # e.g. "LPC", printed after the signer's name

    @property
    def objectives(self) -> tuple[ObjectiveView, ...]:
        """Every objective of the plan, in order."""
        return tuple(o for p in self.problems for g in p.goals for o in g.objectives)

    @property
    def goals(self) -> tuple[GoalView, ...]:
        return tuple(g for p in self.problems for g in p.goals)


@dataclass(frozen=True)
class PlanEdit:
    """What an edit of a draft plan returns: the plan as it now stands and the element touched."""

    plan: PlanView
    element_id: str


def as_day(value) -> dt.date | None:
    """A date from an aggregate (SQLite returns MAX() of a date column as text)."""
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def _names(ids: set) -> tuple[dict, dict]:
    """Staff id → display name, and staff id → credentials, for these ids (one query)."""
    ids = {i for i in ids if i is not None}
    if not ids:
        return {}, {}
    rows = list(Staff.select(Staff.id, Staff.display_name, Staff.credentials).where(Staff.id.in_(list(ids))).tuples())
    return {i: name for i, name, _ in rows}, {i: credentials for i, _, credentials in rows}


def load_plan(plan: TreatmentPlan) -> PlanView:
    """The whole plan tree as frozen views (five queries whatever the plan's size)."""
    problems = list(PlanProblem.select().where(PlanProblem.plan == plan.id)
                    .order_by(PlanProblem.position, PlanProblem.created_at))
    goals = list(PlanGoal.select().join(PlanProblem).where(PlanProblem.plan == plan.id)
                 .order_by(PlanGoal.position, PlanGoal.created_at))
    objectives = list(PlanObjective.select().join(PlanGoal).join(PlanProblem)
                      .where(PlanProblem.plan == plan.id)
                      .order_by(PlanObjective.position, PlanObjective.created_at))
    interventions = list(PlanIntervention.select().join(PlanObjective).join(PlanGoal).join(PlanProblem)
                         .where(PlanProblem.plan == plan.id)
                         .order_by(PlanIntervention.position, PlanIntervention.created_at))
    last_review = as_day(PlanReview.select(peewee.fn.MAX(PlanReview.reviewed_on))
                   .where((PlanReview.plan == plan.id) & PlanReview.signed_at.is_null(False)).scalar())
    names, credentials = _names({plan.primary_counselor_id, plan.clinician_signed_by_id}
                   | {i.responsible_id for i in interventions})

    by_objective: dict[uuid.UUID, list[InterventionView]] = {}
    for i in interventions:
        by_objective.setdefault(i.objective_id, []).append(InterventionView(
            str(i.id), i.position, i.modality, i.frequency,
            str(i.responsible_id) if i.responsible_id else None, names.get(i.responsible_id, ""),
            i.description))
    by_goal: dict[uuid.UUID, list[ObjectiveView]] = {}
    for o in objectives:
        by_goal.setdefault(o.goal_id, []).append(ObjectiveView(
            str(o.id), o.position, o.statement, o.target_date, o.status, str(o.lineage),
            tuple(by_objective.get(o.id, ()))))
    by_problem: dict[uuid.UUID, list[GoalView]] = {}
    for g in goals:
        by_problem.setdefault(g.problem_id, []).append(
            GoalView(str(g.id), g.position, g.statement, tuple(by_goal.get(g.id, ()))))
    return PlanView(
        id=str(plan.id), episode_id=str(plan.episode_id), client_id=str(plan.client_id),
        plan_version=plan.plan_version, status=plan.status, effective_on=plan.effective_on,
        review_due_on=plan.review_due_on, last_reviewed_on=last_review, strengths=plan.strengths,
        barriers=plan.barriers, services=plan.services, referrals=plan.referrals,
        primary_counselor_id=str(plan.primary_counselor_id) if plan.primary_counselor_id else None,
        primary_counselor=names.get(plan.primary_counselor_id, ""),
        clinician_signed_at=plan.clinician_signed_at,
        clinician_signed_by=names.get(plan.clinician_signed_by_id, ""),
        client_signature_name=plan.client_signature_name, client_signed_on=plan.client_signed_on,
        content_hash=plan.content_hash,
        previous_id=str(plan.previous_id) if plan.previous_id else None, version=plan.version,
        problems=tuple(ProblemView(str(p.id), p.position, p.statement, p.diagnosis_code,
                                   tuple(by_problem.get(p.id, ()))) for p in problems),
        clinician_signed_credentials=credentials.get(plan.clinician_signed_by_id) or "",
    )


def plan_content(view: PlanView) -> dict:
    """What a plan signature covers: every element's words, dates and people, in order."""
    return {
        "plan": view.id, "plan_version": view.plan_version, "effective_on": view.effective_on,
        "strengths": view.strengths, "barriers": view.barriers, "services": view.services,
        "referrals": view.referrals, "primary_counselor": view.primary_counselor_id,
        "client_signature_name": view.client_signature_name, "client_signed_on": view.client_signed_on,
        "problems": [
            [p.statement, p.diagnosis_code, [
                [g.statement, [
                    [o.statement, o.target_date, o.status, o.lineage,
                     [[i.modality, i.frequency, i.responsible_id, i.description] for i in o.interventions]]
                    for o in g.objectives]]
                for g in p.goals]]
            for p in view.problems
        ],
    }


def find_plan(plan_id) -> TreatmentPlan:
    """The plan row; NotFound if there is none."""
    plan = fetch(TreatmentPlan, plan_id, "treatment plan")
    return plan


def open_episode(episode_id) -> Episode:
    """The episode row if it is open; NotFound, or ValidationError for a discharged episode."""
    episode = fetch(Episode, episode_id, "episode")
    if episode.status != "active":
        raise ValidationError("This episode is closed (discharged).", field="episode")
    return episode
