"""The discharge summary assembled from the record, so the clinician edits instead of retyping:
dates, diagnoses at admission and at discharge, services received and the attendance rate,
progress per plan goal, first and last measure scores, medications at discharge.

`assemble` reads the episode's rows with a handful of grouped queries and returns plain JSON
(stored in `Discharge.summary`); `summary_view` turns that JSON back into frozen views. Services
counted: attended group sessions (present, late arrival, left early) over recorded, not
cancelled, group attendance inside the episode; individual, family and medication-management
notes signed by their author (awaiting co-signature included) inside the episode's dates.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from iopdesk.clinical.attendance import ATTENDED
from iopdesk.clinical.note_rules import SIGNED_STATES
from iopdesk.models import (
    Attendance,
    Diagnosis,
    Episode,
    GroupSession,
    Medication,
    MedicationDose,
    Note,
    ObjectiveProgress,
    PlanObjective,
    PlanReview,
    Staff,
    TreatmentPlan,
)
from iopdesk.services.measures import measure_trends
from iopdesk.services.plans.reviews import RATINGS
from iopdesk.services.plans.views import load_plan


@dataclass(frozen=True)
class DiagnosisLine:
    code: str
    description: str
    is_primary: bool


@dataclass(frozen=True)
class ServicesReceived:
    group_sessions_scheduled: int
    group_sessions_attended: int
    attendance_rate: float | None
    individual_sessions: int
    family_sessions: int
    med_management_visits: int


@dataclass(frozen=True)
class ObjectiveOutcome:
    statement: str
    target_date: dt.date
    rating: str | None
    rating_label: str
    rated_on: dt.date | None
    comment: str


@dataclass(frozen=True)
class GoalProgress:
    problem: str
    goal: str
    objectives: tuple[ObjectiveOutcome, ...]


@dataclass(frozen=True)
class MeasureChange:
    measure: str
    first_on: dt.date
    first_total: int
    first_band: str
    last_on: dt.date
    last_total: int
    last_band: str
    times_given: int

    @property
    def change(self) -> int:
        return self.last_total - self.first_total


@dataclass(frozen=True)
class MedicationLine:
    drug: str
    dose: str
    frequency: str
    route: str
    is_mat: bool
    prescriber: str


@dataclass(frozen=True)
class DischargeSummary:
    admitted_on: dt.date
    discharged_on: dt.date
    level_of_care: str
    track: str
    diagnoses_at_admission: tuple[DiagnosisLine, ...]
    diagnoses_at_discharge: tuple[DiagnosisLine, ...]
    services: ServicesReceived
    goals: tuple[GoalProgress, ...]
    measures: tuple[MeasureChange, ...]
    medications: tuple[MedicationLine, ...]


def _day(value) -> dt.date | None:
    return dt.date.fromisoformat(str(value)[:10]) if value else None


def assemble(episode: Episode, discharged_on: dt.date) -> dict:
    """The summary of `episode` as it stands, discharged on `discharged_on`, as JSON-ready data."""
    start, end = episode.admitted_on, discharged_on
    diagnoses = list(Diagnosis.select().where(Diagnosis.episode == episode.id)
                     .order_by(Diagnosis.is_primary.desc(), Diagnosis.noted_on))
    at_discharge = [d for d in diagnoses
                    if d.noted_on <= end and (d.resolved_on is None or d.resolved_on > end)]
    return {
        "admitted_on": start.isoformat(), "discharged_on": end.isoformat(),
        "level_of_care": episode.level_of_care, "track": episode.track,
        "diagnoses_at_admission": [_dx(d) for d in diagnoses if d.at_admission],
        "diagnoses_at_discharge": [_dx(d) for d in at_discharge],
        "services": _services(episode, start, end),
        "goals": _goals(episode),
        "measures": [
            {"measure": t.measure, "first_on": t.first.administered_on.isoformat(), "first_total": t.first.total,
             "first_band": t.first.band, "last_on": t.last.administered_on.isoformat(),
             "last_total": t.last.total, "last_band": t.last.band, "times_given": len(t.points)}
            for t in measure_trends(episode.client_id, start, end)
        ],
        "medications": _medications(episode.client_id, end),
    }


def _dx(d: Diagnosis) -> dict:
    return {"code": d.code, "description": d.description, "is_primary": d.is_primary}


def _services(episode: Episode, start: dt.date, end: dt.date) -> dict:
    attended = peewee.fn.SUM(peewee.Case(None, [(Attendance.status.in_(ATTENDED), 1)], 0))
    scheduled, came = (Attendance.select(peewee.fn.COUNT(Attendance.id), attended).join(GroupSession)
                       .where((Attendance.client == episode.client_id)
                              & GroupSession.session_date.between(start, end)
                              & (Attendance.status != "cancelled") & (GroupSession.status != "cancelled"))
                       .tuples().first())
    came = int(came or 0)
    notes = dict(Note.select(Note.kind, peewee.fn.COUNT(Note.id))
                 .where((Note.client == episode.client_id) & Note.status.in_(SIGNED_STATES)
                        & Note.service_date.between(start, end)
                        & Note.kind.in_(("individual", "family", "med_management")))
                 .group_by(Note.kind).tuples())
    return {
        "group_sessions_scheduled": scheduled, "group_sessions_attended": came,
        "attendance_rate": round(came / scheduled, 2) if scheduled else None,
        "individual_sessions": notes.get("individual", 0), "family_sessions": notes.get("family", 0),
        "med_management_visits": notes.get("med_management", 0),
    }


def _goals(episode: Episode) -> list[dict]:
    """Progress per goal of the plan in force (the newest signed version, else the draft): the
    latest signed review rating of each objective, followed across versions by lineage."""
    plan = (TreatmentPlan.select().where((TreatmentPlan.episode == episode.id)
                                         & TreatmentPlan.status.in_(("signed", "draft")))
            .order_by(TreatmentPlan.status.desc(), TreatmentPlan.plan_version.desc()).first())
    if plan is None:
        return []
    view = load_plan(plan)
    lineages = [o.lineage for o in view.objectives]
    latest: dict[str, tuple] = {}
    query = (ObjectiveProgress.select(PlanObjective.lineage, ObjectiveProgress.rating, PlanReview.reviewed_on,
                                      ObjectiveProgress.comment)
             .join(PlanObjective).switch(ObjectiveProgress).join(PlanReview)
             .where(PlanObjective.lineage.in_(lineages) & PlanReview.signed_at.is_null(False))
             .order_by(PlanReview.reviewed_on, PlanReview.created_at).tuples())
    for lineage, rating, reviewed_on, comment in query:
        latest[str(lineage)] = (rating, reviewed_on, comment)
    goals = []
    for problem in view.problems:
        for goal in problem.goals:
            outcomes = []
            for o in goal.objectives:
                rating, rated_on, comment = latest.get(o.lineage, (None, None, ""))
                outcomes.append({"statement": o.statement, "target_date": o.target_date.isoformat(),
                                 "rating": rating, "rated_on": rated_on.isoformat() if rated_on else None,
                                 "comment": comment})
            goals.append({"problem": problem.statement, "goal": goal.statement, "objectives": outcomes})
    return goals


def _medications(client_id, day: dt.date) -> list[dict]:
    """Medications active on `day` with the dose in effect then (dose history, latest first)."""
    meds = list(Medication.select(Medication, Staff.display_name.alias("by"))
                .join(Staff, peewee.JOIN.LEFT_OUTER, on=(Medication.prescriber == Staff.id))
                .where((Medication.client == client_id) & (Medication.started_on <= day)
                       & (Medication.stopped_on.is_null() | (Medication.stopped_on > day)))
                .order_by(Medication.drug).objects())
    doses: dict = {}
    if meds:
        for dose in (MedicationDose.select().where(MedicationDose.medication.in_([m.id for m in meds])
                                                   & (MedicationDose.effective_on <= day))
                     .order_by(MedicationDose.effective_on, MedicationDose.created_at)):
            doses[dose.medication_id] = dose
    lines = []
    for m in meds:
        dose = doses.get(m.id)
        lines.append({"drug": m.drug, "dose": f"{dose.amount.normalize():f} {dose.unit}" if dose else "",
                      "frequency": dose.frequency if dose else "", "route": m.route, "is_mat": m.is_mat,
                      "prescriber": m.by or m.prescriber_name})
    return lines


def _rating_label(rating: str | None) -> str:
    if not rating:
        return "Not reviewed"
    return RATINGS.get(rating, rating.replace("_", " ").capitalize())


def summary_view(data: dict) -> DischargeSummary:
    """Frozen views of a stored summary; parts missing from an older or imported summary are empty."""
    s = data.get("services") or {}
    return DischargeSummary(
        admitted_on=_day(data.get("admitted_on")), discharged_on=_day(data.get("discharged_on")),
        level_of_care=data.get("level_of_care", ""), track=data.get("track", ""),
        diagnoses_at_admission=tuple(DiagnosisLine(**d) for d in data.get("diagnoses_at_admission", ())
                                     if isinstance(d, dict)),
        diagnoses_at_discharge=tuple(DiagnosisLine(**d) for d in data.get("diagnoses_at_discharge", ())
                                     if isinstance(d, dict)),
        services=ServicesReceived(
            group_sessions_scheduled=s.get("group_sessions_scheduled", 0),
            group_sessions_attended=s.get("group_sessions_attended", 0),
            attendance_rate=s.get("attendance_rate"), individual_sessions=s.get("individual_sessions", 0),
            family_sessions=s.get("family_sessions", 0), med_management_visits=s.get("med_management_visits", 0)),
        goals=tuple(
            GoalProgress(g["problem"], g["goal"], tuple(
                ObjectiveOutcome(o["statement"], _day(o["target_date"]), o["rating"], _rating_label(o["rating"]),
                                 _day(o["rated_on"]), o["comment"])
                for o in g["objectives"]))
            for g in data.get("goals", ())),
        measures=tuple(
            MeasureChange(m["measure"], _day(m["first_on"]), m["first_total"], m["first_band"],
                          _day(m["last_on"]), m["last_total"], m["last_band"], m["times_given"])
            for m in data.get("measures", ())),
        medications=tuple(MedicationLine(**m) for m in data.get("medications", ()) if isinstance(m, dict)),
    )
