"""Editing a draft treatment plan: strengths and barriers, problems, goals, measurable objectives
with target dates, and interventions (modality, frequency, who).

Invariants: every edit runs in one transaction that refuses a signed plan (RecordLocked: revise
the plan instead), names the plan version it read and bumps it (ConcurrentEdit otherwise), so
the plan row's version guards the whole tree; an objective's target date is not before the
plan's effective date; an objective a note has addressed is never removed (mark it discontinued).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from iopdesk.clinical.icd10 import icd10_code
from iopdesk.clinical.staff import staff_for
from iopdesk.errors import NotFound, RecordLocked, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.ids import new_id
from iopdesk.kernel.text_limits import NARRATIVE, STATEMENT
from iopdesk.kernel.validation import as_date, bounded_text, required_text
from iopdesk.models import (
    NoteObjective,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    TreatmentPlan,
)
from iopdesk.services.base import Service
from iopdesk.services.plans.views import PlanEdit, PlanView, find_plan, load_plan, open_episode
from iopdesk.storage.records import as_uuid, update_versioned

SIGNED = ("signed", "superseded")
OBJECTIVE_STATUSES = ("active", "met", "discontinued")
LOCKED = "This treatment plan is signed and cannot be changed; revise the plan to make a new version."


def _text(value: str | None, field: str, label: str) -> str:
    return required_text(value, field, label, max_length=STATEMENT)


class PlanEditing(Service):
    """Edits of a draft plan. Each raises RecordLocked for a signed plan, ConcurrentEdit when the
    plan changed since `expected_version`, NotFound for an unknown element, ValidationError naming
    the field for bad input; each returns (PlanEdit, Changes)."""

    # -- editing a draft ----------------------------------------------------------------------
    def update_details(self, plan_id, *, expected_version: int, strengths: str | None = None,
                       barriers: str | None = None, services: str | None = None,
                       referrals: str | None = None, primary_counselor: str | None = None
                       ) -> tuple[PlanView, Changes]:
        """Change strengths, barriers, services, referrals or the primary counselor of a draft.
        Raises RecordLocked for a signed plan, ValidationError for an unknown counselor."""
        self.actor.require("plan.write")
        values = {k: bounded_text(v, k, k.capitalize(), NARRATIVE)
                  for k, v in (("strengths", strengths), ("barriers", barriers), ("services", services),
                               ("referrals", referrals)) if v is not None}
        with self.db.atomic():
            plan = self._draft(plan_id)
            if primary_counselor is not None:
                values["primary_counselor"] = staff_for(primary_counselor, "Primary counselor",
                                                        "primary_counselor").id
            update_versioned(plan, expected_version, **values)
            self._audit("update", "treatment_plan", plan.id, client_id=plan.client_id,
                        detail={"fields": sorted(values)})
        return load_plan(plan), Changes.of("plan", client_id=plan.client_id)

    def add_problem(self, plan_id, *, expected_version: int, statement: str,
                    diagnosis_code: str = "") -> tuple[PlanEdit, Changes]:
        """Add a problem (diagnostic impression) to a draft plan."""
        self.actor.require("plan.write")
        text = _text(statement, "statement", "Problem")
        code = icd10_code(diagnosis_code, "diagnosis_code") if (diagnosis_code or "").strip() else ""
        with self._editing(plan_id, expected_version, "add_problem") as edit:
            row = PlanProblem.create(plan=edit.plan.id, statement=text, diagnosis_code=code,
                                     position=self._next(PlanProblem, PlanProblem.plan == edit.plan.id))
            edit.element = row.id
        return edit.result()

    def add_goal(self, problem_id, *, expected_version: int, statement: str) -> tuple[PlanEdit, Changes]:
        """Add a long-term goal under a problem of a draft plan."""
        self.actor.require("plan.write")
        text = _text(statement, "statement", "Goal")
        problem = self._element(PlanProblem, problem_id, "problem")
        with self._editing(problem.plan_id, expected_version, "add_goal") as edit:
            row = PlanGoal.create(problem=problem.id, statement=text,
                                  position=self._next(PlanGoal, PlanGoal.problem == problem.id))
            edit.element = row.id
        return edit.result()

    def add_objective(self, goal_id, *, expected_version: int, statement: str,
                      target_date: dt.date | str) -> tuple[PlanEdit, Changes]:
        """Add a short-term, measurable objective with a target date (not before the plan's
        effective date) under a goal of a draft plan."""
        self.actor.require("plan.write")
        text = _text(statement, "statement", "Objective")
        target = as_date(target_date, "target_date", "Target date")
        goal = self._element(PlanGoal, goal_id, "goal")
        plan_id = PlanProblem.get_by_id(goal.problem_id).plan_id
        with self._editing(plan_id, expected_version, "add_objective") as edit:
            self._check_target(edit.plan, target)
            row = PlanObjective.create(goal=goal.id, statement=text, target_date=target, lineage=new_id(),
                                       position=self._next(PlanObjective, PlanObjective.goal == goal.id))
            edit.element = row.id
        return edit.result()

    def add_intervention(self, objective_id, *, expected_version: int, modality: str, frequency: str,
                         responsible: str, description: str = "") -> tuple[PlanEdit, Changes]:
        """Add an intervention (modality, frequency, responsible staff member by user name)."""
        self.actor.require("plan.write")
        values = self._intervention_values(modality, frequency, responsible, description)
        objective = self._element(PlanObjective, objective_id, "objective")
        with self._editing(self._plan_of_objective(objective), expected_version, "add_intervention") as edit:
            row = PlanIntervention.create(
                objective=objective.id, **values,
                position=self._next(PlanIntervention, PlanIntervention.objective == objective.id))
            edit.element = row.id
        return edit.result()

    def update_problem(self, problem_id, *, expected_version: int, statement: str | None = None,
                       diagnosis_code: str | None = None) -> tuple[PlanEdit, Changes]:
        """Change a problem's words or diagnosis code on a draft."""
        self.actor.require("plan.write")
        problem = self._element(PlanProblem, problem_id, "problem")
        values = {}
        if statement is not None:
            values["statement"] = _text(statement, "statement", "Problem")
        if diagnosis_code is not None:
            values["diagnosis_code"] = icd10_code(diagnosis_code, "diagnosis_code") if diagnosis_code.strip() else ""
        with self._editing(problem.plan_id, expected_version, "update_problem", problem.id) as edit:
            self._set(PlanProblem, problem.id, values)
        return edit.result()

    def update_goal(self, goal_id, *, expected_version: int, statement: str) -> tuple[PlanEdit, Changes]:
        """Change a goal's words on a draft."""
        self.actor.require("plan.write")
        goal = self._element(PlanGoal, goal_id, "goal")
        values = {"statement": _text(statement, "statement", "Goal")}
        plan_id = PlanProblem.get_by_id(goal.problem_id).plan_id
        with self._editing(plan_id, expected_version, "update_goal", goal.id) as edit:
            self._set(PlanGoal, goal.id, values)
        return edit.result()

    def update_objective(self, objective_id, *, expected_version: int, statement: str | None = None,
                         target_date: dt.date | str | None = None, status: str | None = None
                         ) -> tuple[PlanEdit, Changes]:
        """Change an objective's words, target date or status (active, met, discontinued)."""
        self.actor.require("plan.write")
        objective = self._element(PlanObjective, objective_id, "objective")
        values: dict = {}
        if statement is not None:
            values["statement"] = _text(statement, "statement", "Objective")
        if target_date is not None:
            values["target_date"] = as_date(target_date, "target_date", "Target date")
        if status is not None:
            if status not in OBJECTIVE_STATUSES:
                raise ValidationError(f"Status: use one of {', '.join(OBJECTIVE_STATUSES)}.", field="status")
            values["status"] = status
        with self._editing(self._plan_of_objective(objective), expected_version, "update_objective",
                           objective.id) as edit:
            if "target_date" in values:
                self._check_target(edit.plan, values["target_date"])
            self._set(PlanObjective, objective.id, values)
        return edit.result()

    def update_intervention(self, intervention_id, *, expected_version: int, modality: str,
                            frequency: str, responsible: str, description: str = ""
                            ) -> tuple[PlanEdit, Changes]:
        """Replace an intervention's modality, frequency, responsible person and description."""
        self.actor.require("plan.write")
        values = self._intervention_values(modality, frequency, responsible, description)
        row = self._element(PlanIntervention, intervention_id, "intervention")
        plan_id = self._plan_of_objective(PlanObjective.get_by_id(row.objective_id))
        with self._editing(plan_id, expected_version, "update_intervention", row.id) as edit:
            self._set(PlanIntervention, row.id, values)
        return edit.result()

    def remove_problem(self, problem_id, *, expected_version: int) -> tuple[PlanEdit, Changes]:
        """Remove a problem with its goals, objectives and interventions from a draft."""
        self.actor.require("plan.write")
        problem = self._element(PlanProblem, problem_id, "problem")
        objectives = (PlanObjective.select(PlanObjective.id).join(PlanGoal)
                      .where(PlanGoal.problem == problem.id))
        with self._editing(problem.plan_id, expected_version, "remove_problem", problem.id) as edit:
            self._refuse_if_addressed(objectives)
            PlanProblem.delete().where(PlanProblem.id == problem.id).execute()
        return edit.result()

    def remove_goal(self, goal_id, *, expected_version: int) -> tuple[PlanEdit, Changes]:
        """Remove a goal with its objectives and interventions (refused once a note addressed one)."""
        self.actor.require("plan.write")
        goal = self._element(PlanGoal, goal_id, "goal")
        plan_id = PlanProblem.get_by_id(goal.problem_id).plan_id
        with self._editing(plan_id, expected_version, "remove_goal", goal.id) as edit:
            self._refuse_if_addressed(PlanObjective.select(PlanObjective.id).where(PlanObjective.goal == goal.id))
            PlanGoal.delete().where(PlanGoal.id == goal.id).execute()
        return edit.result()

    def remove_objective(self, objective_id, *, expected_version: int) -> tuple[PlanEdit, Changes]:
        """Remove an objective from a draft. Refused once a note addresses it (mark it
        discontinued instead), so no note loses its link."""
        self.actor.require("plan.write")
        objective = self._element(PlanObjective, objective_id, "objective")
        with self._editing(self._plan_of_objective(objective), expected_version, "remove_objective",
                           objective.id) as edit:
            self._refuse_if_addressed(PlanObjective.select(PlanObjective.id)
                                      .where(PlanObjective.id == objective.id))
            PlanObjective.delete().where(PlanObjective.id == objective.id).execute()
        return edit.result()

    def remove_intervention(self, intervention_id, *, expected_version: int) -> tuple[PlanEdit, Changes]:
        """Remove an intervention from a draft."""
        self.actor.require("plan.write")
        row = self._element(PlanIntervention, intervention_id, "intervention")
        plan_id = self._plan_of_objective(PlanObjective.get_by_id(row.objective_id))
        with self._editing(plan_id, expected_version, "remove_intervention", row.id) as edit:
            PlanIntervention.delete().where(PlanIntervention.id == row.id).execute()
        return edit.result()

    # -- helpers ------------------------------------------------------------------------------
    @contextmanager
    def _editing(self, plan_id, expected_version: int, op: str, element=None) -> Iterator[_Edit]:
        """One transaction: check the plan is a draft, bump its version (ConcurrentEdit if someone
        saved first), run the edit, audit it."""
        edit = _Edit(element)
        with self.db.atomic():
            edit.plan = self._draft(plan_id)
            update_versioned(edit.plan, expected_version)
            yield edit
            self._audit("update", "treatment_plan", edit.plan.id, client_id=edit.plan.client_id,
                        detail={"op": op, "element": str(edit.element)})

    def _draft(self, plan_id) -> TreatmentPlan:
        plan = find_plan(plan_id)
        if plan.status in SIGNED:
            raise RecordLocked(LOCKED, field="plan")
        open_episode(plan.episode_id)
        return plan

    @staticmethod
    def _element(model, element_id, what: str):
        row = model.get_or_none(model.id == as_uuid(element_id, f"plan {what}"))
        if row is None:
            raise NotFound(f"No plan {what} with id {element_id}.")
        return row

    @staticmethod
    def _plan_of_objective(objective: PlanObjective) -> uuid.UUID:
        return (PlanProblem.select(PlanProblem.plan).join(PlanGoal)
                .where(PlanGoal.id == objective.goal_id).scalar())

    @staticmethod
    def _next(model, where) -> int:
        return model.select().where(where).count()

    @staticmethod
    def _set(model, row_id, values: dict) -> None:
        if values:
            model.update(version=model.version + 1, updated_at=utcnow(), **values).where(
                model.id == row_id).execute()

    @staticmethod
    def _check_target(plan: TreatmentPlan, target: dt.date) -> None:
        if target < plan.effective_on:
            raise ValidationError(
                f"Target date: before the plan's effective date ({date_text(plan.effective_on)}).",
                field="target_date")

    @staticmethod
    def _intervention_values(modality, frequency, responsible, description) -> dict:
        return {
            "modality": required_text(modality, "modality", "Modality"),
            "frequency": required_text(frequency, "frequency", "Frequency"),
            "responsible": staff_for(responsible, "Responsible", "responsible").id,
            "description": bounded_text(description, "description", "Description", NARRATIVE),
        }

    @staticmethod
    def _refuse_if_addressed(objectives) -> None:
        if NoteObjective.select().where(NoteObjective.objective.in_(objectives)).exists():
            raise ValidationError(
                "Objective: notes already address it; mark it discontinued instead of removing it.",
                field="objective")


class _Edit:
    """The state of one edit of a draft plan: the plan row (version already bumped) and the
    element added or changed."""

    def __init__(self, element) -> None:
        self.element = element
        self.plan: TreatmentPlan | None = None

    def result(self) -> tuple[PlanEdit, Changes]:
        return (PlanEdit(load_plan(self.plan), str(self.element)),
                Changes.of("plan", client_id=self.plan.client_id))
