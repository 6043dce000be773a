"""Treatment plans: the initial plan of an episode, editing a draft (problems, goals, measurable
objectives, interventions — see `plans.editing`), signing by clinician and client, and revision
into a new version.

Invariants: every edit of a draft names the plan version it read and bumps it (optimistic
locking on the plan row covers the whole tree); a signed plan never changes — every edit is
refused with RecordLocked and `revise` copies it into a new draft version whose objectives keep
their `lineage`; when that revision is signed, the previous version is marked superseded and
otherwise stays exactly as signed (same content hash). An episode has at most one draft at a
time. Reviews and due dates live in `plans.reviews`.
"""

from __future__ import annotations

import datetime as dt

from iopdesk.audit.sealing import seal
from iopdesk.clinical.program_rules import rule
from iopdesk.errors import ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today, utcnow
from iopdesk.kernel.validation import as_date, required_text
from iopdesk.models import PlanGoal, PlanIntervention, PlanObjective, PlanProblem, TreatmentPlan
from iopdesk.services.emergency_access import client_of_episode
from iopdesk.services.episodes import episode_uuid
from iopdesk.services.plans.editing import PlanEditing
from iopdesk.services.plans.reviews import PlanReviews
from iopdesk.services.plans.views import PlanView, find_plan, load_plan, open_episode, plan_content
from iopdesk.storage.records import content_hash, insert_records, update_versioned


class PlanService(PlanEditing, PlanReviews):
    """`clinic.plans`: create, edit (see PlanEditing), sign, revise and review treatment plans."""

    # -- creating ---------------------------------------------------------------------------
    def create_initial(self, episode_id) -> tuple[PlanView, Changes]:
        """Start the episode's initial plan: a draft, version 1, effective on admission, first
        review due `plans.review_every_days` later, the primary clinician as counselor.

        Raises ValidationError if the episode is closed or already has a plan (revise it instead).
        """
        self.actor.require("plan.write")
        with self.db.atomic():
            episode = open_episode(episode_id)
            if TreatmentPlan.select().where(TreatmentPlan.episode == episode.id).exists():
                raise ValidationError("This episode already has a treatment plan; revise it instead.",
                                      field="episode")
            effective = episode.admitted_on
            plan = TreatmentPlan.create(
                episode=episode, client=episode.client_id, plan_version=1, status="draft",
                effective_on=effective,
                review_due_on=effective + dt.timedelta(days=rule("plans", "review_every_days")),
                primary_counselor=episode.primary_clinician_id,
            )
            self._audit("create", "treatment_plan", plan.id, client_id=episode.client_id,
                        detail={"plan_version": 1})
        return load_plan(plan), Changes.of("plan", client_id=episode.client_id)

    def revise(self, plan_id, *, effective_on: dt.date | str | None = None) -> tuple[PlanView, Changes]:
        """Copy a signed plan into a new draft version (plan_version + 1, `previous` set); the
        signed version is untouched. Objectives keep their lineage; the review clock restarts
        from the revision's effective date (default today).

        Raises ValidationError if the plan is a draft, superseded, or a draft revision exists.
        """
        self.actor.require("plan.write")
        with self.db.atomic():
            old = find_plan(plan_id)
            if old.status != "signed":
                raise ValidationError("Only the current signed plan can be revised.", field="plan")
            open_episode(old.episode_id)
            if TreatmentPlan.select().where((TreatmentPlan.episode == old.episode_id)
                                            & (TreatmentPlan.status == "draft")).exists():
                raise ValidationError("A draft revision of this plan already exists; edit it.", field="plan")
            effective = as_date(effective_on or today(), "effective_on", "Effective date")
            if effective < old.effective_on or effective > today():
                raise ValidationError("Effective date: between the signed plan's date and today.",
                                      field="effective_on")
            new = TreatmentPlan.create(
                episode=old.episode_id, client=old.client_id, plan_version=old.plan_version + 1,
                status="draft", effective_on=effective,
                review_due_on=effective + dt.timedelta(days=rule("plans", "review_every_days")),
                strengths=old.strengths, barriers=old.barriers, services=old.services,
                referrals=old.referrals, primary_counselor=old.primary_counselor_id, previous=old.id,
            )
            self._copy_tree(old.id, new.id)
            self._audit("create", "treatment_plan", new.id, client_id=old.client_id,
                        detail={"plan_version": new.plan_version, "previous": str(old.id)})
        return load_plan(new), Changes.of("plan", client_id=old.client_id)

    # -- signing ------------------------------------------------------------------------------
    def sign(self, plan_id, *, expected_version: int, client_signature_name: str,
             client_signed_on: dt.date | str) -> tuple[PlanView, Changes]:
        """Sign a draft as the acting clinician with the client's signature; lock it (content
        hash). A signed revision supersedes the version before it.

        Raises ValidationError naming what is missing (a problem without a goal, a goal without an
        objective, an objective without an intervention, the client's signature or its date),
        RecordLocked if already signed, ConcurrentEdit if the plan changed since it was read.
        """
        self.actor.require("plan.sign")
        name, signed_on = self._client_signature(client_signature_name, client_signed_on)
        with self.db.atomic():
            plan = self._draft(plan_id)
            view = load_plan(plan)
            self._check_signable(plan, view, signed_on)
            signed_at = utcnow()
            content = plan_content(view) | {"client_signature_name": name, "client_signed_on": signed_on,
                                             "signed_by": str(self.actor.id), "signed_at": signed_at}
            digest = content_hash(content)
            update_versioned(plan, expected_version, status="signed", clinician_signed_at=signed_at,
                             clinician_signed_by=self.actor.id, client_signature_name=name,
                             client_signed_on=signed_on, content_hash=digest)
            if plan.previous_id:
                previous = TreatmentPlan.get_by_id(plan.previous_id)
                update_versioned(previous, previous.version, status="superseded")
                seal(previous, provenance="plan supersede", actor=self.actor)
            self._audit("sign", "treatment_plan", plan.id, client_id=plan.client_id,
                        detail={"hash": digest, "attestation": self.attestation("plan", signed_at)})
            seal(plan, provenance="plan sign", actor=self.actor)
        return load_plan(plan), Changes.of("plan", client_id=plan.client_id)

    def check_sign(self, plan_id, *, client_signature_name: str | None = None,
                   client_signed_on: dt.date | str | None = None) -> None:
        """Raise what `sign` would raise about the draft now, writing nothing: what the plan lacks
        and, when the client's signature is given, its name or date. The screens ask before they
        show the attestation, so a clinician never attests to a plan the domain then refuses.
        Raises ValidationError naming the field, RecordLocked once signed."""
        self.actor.require("plan.sign")
        signed_on = None
        if client_signature_name is not None or client_signed_on is not None:
            _name, signed_on = self._client_signature(client_signature_name, client_signed_on)
        plan = self._draft(plan_id)
        self._check_signable(plan, load_plan(plan), signed_on)

    # -- reading ------------------------------------------------------------------------------
    def get(self, plan_id) -> PlanView:
        """One plan version with its whole tree; needs `chart.read_narrative`."""
        self.actor.require_for_client("chart.read_narrative", lambda: find_plan(plan_id).client_id)
        return load_plan(find_plan(plan_id))

    def current_plan(self, episode_id) -> PlanView | None:
        """The episode's signed plan in force, else its draft, else None."""
        self.actor.require_for_client("chart.read_narrative", lambda: client_of_episode(episode_id))
        plan = (TreatmentPlan.select().where((TreatmentPlan.episode == episode_uuid(episode_id))
                                             & (TreatmentPlan.status.in_(("signed", "draft"))))
                .order_by(TreatmentPlan.status.desc(), TreatmentPlan.plan_version.desc()).first())
        return load_plan(plan) if plan else None

    def versions(self, episode_id) -> list[tuple[str, int, str, dt.date]]:
        """(plan id, plan version, status, effective date) of every version, oldest first."""
        self.actor.require("chart.read")
        return [(str(i), v, s, d) for i, v, s, d in
                TreatmentPlan.select(TreatmentPlan.id, TreatmentPlan.plan_version, TreatmentPlan.status,
                                     TreatmentPlan.effective_on)
                .where(TreatmentPlan.episode == episode_uuid(episode_id))
                .order_by(TreatmentPlan.plan_version).tuples()]

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _client_signature(name, signed_on) -> tuple[str, dt.date]:
        return (required_text(name, "client_signature_name", "Client signature"),
                as_date(signed_on, "client_signed_on", "Client signature date"))

    @classmethod
    def _check_signable(cls, plan: TreatmentPlan, view: PlanView, signed_on: dt.date | None) -> None:
        if signed_on is not None and (signed_on > today() or signed_on < plan.effective_on):
            raise ValidationError("Client signature date: between the plan's effective date and today.",
                                  field="client_signed_on")
        cls._check_complete(view)

    @staticmethod
    def _check_complete(view: PlanView) -> None:
        if not view.problems:
            raise ValidationError("Cannot sign yet: add at least one problem.", field="problems")
        for p in view.problems:
            if not p.goals:
                raise ValidationError(f"Cannot sign yet: problem {p.statement!r} has no goal.", field="goals")
            for g in p.goals:
                if not g.objectives:
                    raise ValidationError(f"Cannot sign yet: goal {g.statement!r} has no objective.",
                                          field="objectives")
                for o in g.objectives:
                    if not o.interventions:
                        raise ValidationError(
                            f"Cannot sign yet: objective {o.statement!r} has no intervention.",
                            field="interventions")

    @staticmethod
    def _copy_tree(old_plan, new_plan) -> None:
        """Copy problems → goals → objectives (same lineage) → interventions into a new version."""
        problem_map, goal_map, objective_map = {}, {}, {}
        for p in PlanProblem.select().where(PlanProblem.plan == old_plan):
            problem_map[p.id] = PlanProblem.create(plan=new_plan, position=p.position, statement=p.statement,
                                                   diagnosis_code=p.diagnosis_code).id
        for g in PlanGoal.select().where(PlanGoal.problem.in_(list(problem_map))):
            goal_map[g.id] = PlanGoal.create(problem=problem_map[g.problem_id], position=g.position,
                                             statement=g.statement).id
        for o in PlanObjective.select().where(PlanObjective.goal.in_(list(goal_map))):
            objective_map[o.id] = PlanObjective.create(
                goal=goal_map[o.goal_id], position=o.position, statement=o.statement,
                target_date=o.target_date, status=o.status, lineage=o.lineage).id
        insert_records(PlanIntervention, [
            {"objective": objective_map[i.objective_id], "position": i.position, "modality": i.modality,
             "frequency": i.frequency, "responsible": i.responsible_id, "description": i.description}
            for i in PlanIntervention.select().where(PlanIntervention.objective.in_(list(objective_map)))
        ])
