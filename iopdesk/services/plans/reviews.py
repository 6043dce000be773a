"""Treatment plan reviews and due dates: a review draft pre-filled from the record, the signed
review with a progress rating per objective, and the list of plans due.

Invariants: a review is of the current signed plan, is signed when recorded and never changes;
it rates every objective of the plan (one of `RATINGS`); reviews of an episode are in date order
(a new review is after the last one); the initial plan is due `plans.initial_plan_due_days` after
admission and a review `plans.review_every_days` after the plan took effect or the last review.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

import peewee

from iopdesk.audit.sealing import seal
from iopdesk.clinical.program_rules import rule
from iopdesk.clinical.staff import staff_for
from iopdesk.errors import ConcurrentEdit, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today, utcnow
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.text_limits import NARRATIVE
from iopdesk.kernel.validation import as_date, bounded_text, required_text
from iopdesk.models import (
    Client,
    Episode,
    Note,
    NoteObjective,
    ObjectiveProgress,
    PlanObjective,
    PlanReview,
    Staff,
    TreatmentPlan,
)
from iopdesk.services.base import Service
from iopdesk.services.emergency_access import client_of_episode
from iopdesk.services.episodes import episode_uuid
from iopdesk.services.measures import MeasureTrend, measure_trends
from iopdesk.services.plans.views import as_day, find_plan, load_plan
from iopdesk.services.work_items import WorkItem, display_name
from iopdesk.storage.records import content_hash, insert_records

RATINGS = {
    "no_progress": "No progress",
    "some_progress": "Some progress",
    "significant_progress": "Significant progress",
    "met": "Objective met",
    "regressed": "Regressed",
}


@dataclass(frozen=True)
class NoteRef:
    """A note that addressed an objective (no narrative: date, kind and status only)."""

    note_id: str
    service_date: dt.date
    kind: str
    status: str


@dataclass(frozen=True)
class ObjectiveReviewDraft:
    objective_id: str
    lineage: str
    goal: str
    statement: str
    target_date: dt.date
    notes: tuple[NoteRef, ...]
    last_rating: str | None


@dataclass(frozen=True)
class ReviewDraft:
    """What the reviewer starts from: every objective with the notes that addressed it since
    `since`, and the client's measure trends over the same window (shared by all objectives)."""

    plan_id: str
    plan_version: int
    version: int
    reviewed_on: dt.date
    since: dt.date
    next_review_on: dt.date
    objectives: tuple[ObjectiveReviewDraft, ...]
    measures: tuple[MeasureTrend, ...]


@dataclass(frozen=True)
class ProgressView:
    objective_id: str
    statement: str
    rating: str
    rating_label: str
    comment: str
    lineage: str = ""  # the objective across plan versions, to follow its ratings into a revision


@dataclass(frozen=True)
class ReviewView:
    id: str
    plan_id: str
    reviewed_on: dt.date
    reviewer: str
    summary: str
    next_review_on: dt.date | None
    signed_at: dt.datetime | None
    content_hash: str | None
    progress: tuple[ProgressView, ...]


def _signed_plan(plan_id) -> TreatmentPlan:
    plan = find_plan(plan_id)
    if plan.status != "signed":
        raise ValidationError("Only the current signed plan is reviewed (sign the draft first).", field="plan")
    return plan


def _last_review_on(episode_id) -> dt.date | None:
    return as_day(PlanReview.select(peewee.fn.MAX(PlanReview.reviewed_on)).join(TreatmentPlan)
            .where((TreatmentPlan.episode == episode_id) & PlanReview.signed_at.is_null(False)).scalar())


class PlanReviews(Service):
    def start_review(self, plan_id, reviewed_on: dt.date | str | None = None) -> ReviewDraft:
        """A review draft for the signed plan: per objective, the notes (any status) that
        addressed it — in this or an earlier version (same lineage) — since the day after the
        last review (or admission), and the client's measure results in that window."""
        self.actor.require("plan.write")
        plan = _signed_plan(plan_id)
        when = as_date(reviewed_on or today(), "reviewed_on", "Review date")
        last = _last_review_on(plan.episode_id)
        since = last + dt.timedelta(days=1) if last else Episode.get_by_id(plan.episode_id).admitted_on
        view = load_plan(plan)
        lineages = [uuid.UUID(o.lineage) for o in view.objectives]
        notes: dict[str, list[NoteRef]] = {}
        seen: set[tuple[str, str]] = set()
        query = (NoteObjective.select(PlanObjective.lineage, Note.id, Note.service_date, Note.kind, Note.status)
                 .join(Note).switch(NoteObjective).join(PlanObjective)
                 .where(PlanObjective.lineage.in_(lineages) & (Note.client == plan.client_id)
                        & Note.service_date.between(since, when))
                 .order_by(Note.service_date, Note.created_at).tuples())
        for lineage, note_id, day, kind, status in query:
            if (str(lineage), str(note_id)) not in seen:
                seen.add((str(lineage), str(note_id)))
                notes.setdefault(str(lineage), []).append(NoteRef(str(note_id), day, kind, status))
        ratings = dict(
            (str(lineage), rating) for lineage, rating in
            ObjectiveProgress.select(PlanObjective.lineage, ObjectiveProgress.rating)
            .join(PlanObjective).switch(ObjectiveProgress).join(PlanReview)
            .where(PlanObjective.lineage.in_(lineages) & PlanReview.signed_at.is_null(False))
            .order_by(PlanReview.reviewed_on, PlanReview.created_at).tuples()
        )
        goals = {o.id: g.statement for g in view.goals for o in g.objectives}
        return ReviewDraft(
            plan_id=view.id, plan_version=view.plan_version, version=view.version, reviewed_on=when,
            since=since, next_review_on=when + dt.timedelta(days=rule("plans", "review_every_days")),
            objectives=tuple(
                ObjectiveReviewDraft(o.id, o.lineage, goals[o.id], o.statement, o.target_date,
                                     tuple(notes.get(o.lineage, ())), ratings.get(o.lineage))
                for o in view.objectives),
            measures=measure_trends(plan.client_id, since, when),
        )

    def record_review(self, plan_id, *, reviewed_on: dt.date | str, progress: dict, summary: str,
                      expected_version: int) -> tuple[ReviewView, Changes]:
        """Record and sign a review of the current signed plan: a rating (no_progress,
        some_progress, significant_progress, met, regressed) and comment for every objective,
        `progress={objective_id: (rating, comment)}`. The next review is due
        `plans.review_every_days` later.

        Raises ValidationError naming the field: an objective without a rating
        (progress.<objective id>), an unknown rating or objective, a blank summary, a review date
        in the future, before the plan or not after the last review (reviewed_on);
        ConcurrentEdit if the plan changed since `expected_version` was read.
        """
        self.actor.require("plan.sign")
        when, text, given = self._review_input(reviewed_on, summary, progress)
        with self.db.atomic():
            plan = _signed_plan(plan_id)
            if plan.version != expected_version:
                raise ConcurrentEdit("This treatment plan was changed after you opened it. "
                                     "Reload to see the current version; the review was not saved.")
            rows = self._checked_ratings(plan, when, given)
            next_on = when + dt.timedelta(days=rule("plans", "review_every_days"))
            signed_at = utcnow()
            digest = content_hash({"plan": str(plan.id), "reviewed_on": when, "summary": text,
                                   "progress": rows, "reviewer": str(self.actor.id), "signed_at": signed_at})
            review = PlanReview.create(plan=plan.id, reviewed_on=when, reviewer=self.actor.id, summary=text,
                                       next_review_on=next_on, signed_at=signed_at, content_hash=digest)
            insert_records(ObjectiveProgress, [
                {"review": review.id, "objective": uuid.UUID(oid), "rating": rating, "comment": comment}
                for oid, rating, comment in rows
            ])
            self._audit("sign", "plan_review", review.id, client_id=plan.client_id,
                        detail={"hash": digest, "attestation": self.attestation("plan_review", signed_at)})
            seal(review, provenance="review", actor=self.actor)
        return self._review_view(review), Changes.of("plan", "review", client_id=plan.client_id)

    def check_review(self, plan_id, *, reviewed_on: dt.date | str, progress: dict, summary: str) -> None:
        """Raise what `record_review` would raise about this review now, writing nothing (the
        screen asks before it shows the attestation): ValidationError naming the field."""
        self.actor.require("plan.sign")
        when, _text, given = self._review_input(reviewed_on, summary, progress)
        self._checked_ratings(_signed_plan(plan_id), when, given)

    def reviews(self, episode_id) -> list[ReviewView]:
        """Every signed review of the episode's plans, oldest first."""
        self.actor.require_for_client("chart.read_narrative", lambda: client_of_episode(episode_id))
        rows = (PlanReview.select().join(TreatmentPlan)
                .where(TreatmentPlan.episode == episode_uuid(episode_id))
                .order_by(PlanReview.reviewed_on))
        return [self._review_view(r) for r in rows]

    def plans_due(self, on: dt.date | str | None = None, clinician: str | None = None) -> list[WorkItem]:
        """Open episodes (of one primary clinician, by user name or id, if given) with no signed
        plan by the initial due date, or whose current plan's review is due on or before `on`."""
        self.actor.require("chart.read")
        day = as_date(on or today(), "on", "Date")
        staff = staff_for(clinician, "Clinician", "clinician") if clinician is not None else None
        initial_days = rule("plans", "initial_plan_due_days")
        items = []
        draft = TreatmentPlan.alias()
        signed = TreatmentPlan.select(TreatmentPlan.id).where(
            (TreatmentPlan.episode == Episode.id) & TreatmentPlan.status.in_(("signed", "superseded")))
        query = (Episode.select(Episode.id, Client.id, Client.mrn, Client.preferred_name, Client.legal_first,
                                Client.legal_last, Episode.admitted_on, draft.id)
                 .join(Client)
                 .switch(Episode)
                 .join(draft, peewee.JOIN.LEFT_OUTER,
                       on=((draft.episode == Episode.id) & (draft.status == "draft")))
                 .where((Episode.status == "active")
                        & (Episode.admitted_on <= day - dt.timedelta(days=initial_days))
                        & ~peewee.fn.EXISTS(signed)))
        if staff is not None:
            query = query.where(Episode.primary_clinician == staff.id)
        for episode_id, cid, mrn, pref, first, last, admitted, draft_id in query.tuples():
            due = admitted + dt.timedelta(days=initial_days)
            items.append(WorkItem(
                kind="initial_plan", client_id=str(cid), mrn=mrn, client_name=display_name(pref, first, last),
                what="Initial treatment plan", why=f"due {date_text(due)}, {initial_days} days after admission",
                target=f"plan:{draft_id}" if draft_id else f"episode:{episode_id}/plan",
                record_id=str(draft_id) if draft_id else None, episode_id=str(episode_id), due_on=due,
                overdue=due < day))
        latest = peewee.fn.MAX(PlanReview.next_review_on)
        query = (TreatmentPlan.select(TreatmentPlan.id, TreatmentPlan.episode, Client.id, Client.mrn,
                                      Client.preferred_name, Client.legal_first, Client.legal_last,
                                      TreatmentPlan.review_due_on, latest)
                 .join(Episode).switch(TreatmentPlan).join(Client)
                 .switch(TreatmentPlan)
                 .join(PlanReview, peewee.JOIN.LEFT_OUTER,
                       on=((PlanReview.plan == TreatmentPlan.id) & PlanReview.signed_at.is_null(False)))
                 .where((TreatmentPlan.status == "signed") & (Episode.status == "active")
                        & (TreatmentPlan.review_due_on <= day))
                 .group_by(TreatmentPlan.id, TreatmentPlan.episode, Client.id, Client.mrn, Client.preferred_name,
                           Client.legal_first, Client.legal_last, TreatmentPlan.review_due_on)
                 .having(latest.is_null() | (latest <= day)))
        if staff is not None:
            query = query.where(Episode.primary_clinician == staff.id)
        for plan_id, episode_id, cid, mrn, pref, first, last, plan_due, review_due in query.tuples():
            due = max(plan_due, as_day(review_due)) if review_due else plan_due
            items.append(WorkItem(
                kind="plan_review", client_id=str(cid), mrn=mrn, client_name=display_name(pref, first, last),
                what="Treatment plan review", why=f"due {date_text(due)}", target=f"plan:{plan_id}/review",
                record_id=str(plan_id), episode_id=str(episode_id), due_on=due, overdue=due < day))
        return sorted(items, key=lambda i: (i.due_on, i.client_name))

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _review_input(reviewed_on, summary, progress) -> tuple[dt.date, str, dict]:
        return (as_date(reviewed_on, "reviewed_on", "Review date"),
                required_text(summary, "summary", "Review summary", max_length=NARRATIVE),
                {str(k): v for k, v in (progress or {}).items()})

    @classmethod
    def _checked_ratings(cls, plan: TreatmentPlan, when: dt.date, given: dict) -> list[tuple[str, str, str]]:
        """The review date checked against the plan and the last review, then the ratings rows."""
        last = _last_review_on(plan.episode_id)
        if when > today() or when < plan.effective_on or (last and when <= last):
            raise ValidationError("Review date: after the last review and the plan's effective date, "
                                  "and not in the future.", field="reviewed_on")
        return cls._ratings(load_plan(plan).objectives, given)

    @staticmethod
    def _ratings(objectives, given: dict) -> list[tuple[str, str, str]]:
        known = {o.id for o in objectives}
        unknown = sorted(set(given) - known)
        if unknown:
            raise ValidationError(f"Progress: {unknown[0]} is not an objective of this plan.", field="progress")
        rows = []
        for o in objectives:
            value = given.get(o.id)
            if isinstance(value, str):
                rating, comment = value, ""
            elif value:
                rating, comment = (list(value) + [""])[:2]
            else:
                rating, comment = None, ""
            if not rating:
                raise ValidationError(f"Progress: objective {o.statement!r} has no rating.", field=f"progress.{o.id}")
            if rating not in RATINGS:
                raise ValidationError(f"Progress: {rating!r} is not one of {', '.join(RATINGS)}.",
                                      field=f"progress.{o.id}")
            rows.append((o.id, rating, bounded_text(comment, f"progress.{o.id}", "Progress comment", NARRATIVE)))
        return rows

    @staticmethod
    def _review_view(review: PlanReview) -> ReviewView:
        reviewer = Staff.select(Staff.display_name).where(Staff.id == review.reviewer_id).scalar()
        progress = (ObjectiveProgress.select(ObjectiveProgress.objective, PlanObjective.statement,
                                             ObjectiveProgress.rating, ObjectiveProgress.comment,
                                             PlanObjective.lineage)
                    .join(PlanObjective).where(ObjectiveProgress.review == review.id)
                    .order_by(PlanObjective.position, PlanObjective.created_at).tuples())
        return ReviewView(
            id=str(review.id), plan_id=str(review.plan_id), reviewed_on=review.reviewed_on,
            reviewer=reviewer or "", summary=review.summary, next_review_on=review.next_review_on,
            signed_at=review.signed_at, content_hash=review.content_hash,
            progress=tuple(ProgressView(str(o), s, r, RATINGS.get(r, r), c, str(lineage))
                           for o, s, r, c, lineage in progress),
        )
