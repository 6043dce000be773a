"""`PlanElementEditing`: the part of the Treatment plan tab that edits a draft's elements — add a
problem, goal, objective or intervention under the selection's matching ancestor, edit or remove
the selected element, change the plan's details.

A mixin of `PlanTab` (it uses the tab's `clinic`, `plan`, `episode`, `tree`, `model`, actions and
`_open`/`_announce`/`reload`/`_warn`). Every edit passes the plan version the tab read as
`expected_version`. A ConcurrentEdit (another workstation saved the plan first) is re-raised so
the open form shows the message, and opens both versions: the element as stored now next to
what this form tried to save. "Keep theirs" closes the form and reloads the plan; "Copy mine"
reloads the plan (its new version) and leaves the form as typed, so Save again replaces theirs.
Until a choice is made the tab keeps the version it read: saving again is refused again.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QMessageBox

from iopdesk.errors import ConcurrentEdit, IopDeskError
from iopdesk.kernel import clock
from ui.chart import plan_dialogs as forms
from ui.concurrent_edit_dialog import resolve_concurrent_edit, with_versions

CHILD_OF = {None: "problem", "problem": "goal", "goal": "objective", "objective": "intervention",
            "intervention": "intervention"}
FIELDS_OF = {"problem": ("statement", "diagnosis_code"), "goal": ("statement",),
             "objective": ("statement", "target_date", "status"),
             "intervention": ("modality", "frequency", "responsible", "description"),
             "details": ("strengths", "barriers", "services", "referrals", "primary_counselor"),
             "sign": ("status", "client_signature_name", "client_signed_on", "strengths", "barriers",
                      "services", "referrals", "primary_counselor")}
STATUS_WORDS = {"draft": "Draft", "signed": "Signed", "superseded": "Superseded", **dict(forms.OBJECTIVE_STATUSES)}


def find_element(plan, element_id: str | None):
    """The problem, goal, objective or intervention view with `element_id` in `plan`, or None."""
    for problem in plan.problems if plan is not None and element_id else ():
        if problem.id == element_id:
            return problem
        for goal in problem.goals:
            if goal.id == element_id:
                return goal
            for objective in goal.objectives:
                if objective.id == element_id:
                    return objective
                for intervention in objective.interventions:
                    if intervention.id == element_id:
                        return intervention
    return None


class PlanElementEditing:
    """Add, edit and remove the elements of a draft plan; edit its details."""

    def _edit(self, call, select_parent: str | None = None, *, kind: str = "details",
              element_id: str | None = None, mine: dict | None = None):
        """Run a plan edit with the version this tab read. A ConcurrentEdit opens both versions of
        the `kind` element `element_id` (None: a new one) against `mine` and is re-raised."""
        try:
            edit, changes = call(self.plan.version)
        except ConcurrentEdit as error:
            self.show_both_versions(error, kind, element_id, mine or {})
            raise
        self._announce(changes, select=select_parent or getattr(edit, "element_id", None))
        return edit

    def plan_labels(self, kind: str) -> dict[str, str | None]:
        """The clinic's words for the fields of a plan element (`kind`) in the both-versions table."""
        return {"statement": self.tr(kind.capitalize()) if kind in FIELDS_OF and kind != "details" else None,
                "diagnosis_code": self.tr("Diagnosis (ICD-10)"), "target_date": self.tr("Target date"),
                "status": self.tr("Plan status") if kind == "sign" else self.tr("Status"),
                "modality": self.tr("Modality"), "frequency": self.tr("Frequency"),
                "responsible": self.tr("Responsible"), "description": self.tr("Description"),
                "strengths": self.tr("Strengths"), "barriers": self.tr("Barriers"),
                "services": self.tr("Services and frequency"), "referrals": self.tr("Referrals"),
                "primary_counselor": self.tr("Primary counselor"), "removed": self.tr("Removed"),
                "client_signature_name": self.tr("Client signature"),
                "client_signed_on": self.tr("Client signed on")}

    def _readable(self, values: dict) -> dict:
        """Form values in the words the plan shows: staff by name, statuses by label."""
        names = dict(self._staff())
        out = dict(values)
        for key in ("responsible", "primary_counselor"):
            if key in out:
                out[key] = names.get(out[key], out[key])
        if "status" in out:
            out["status"] = self.tr(STATUS_WORDS.get(out["status"], out["status"]))
        return out

    def show_both_versions(self, error: ConcurrentEdit, kind: str, element_id: str | None, mine: dict):
        """Open the stored version of the element (or plan) next to `mine`; returns the dialog."""
        stored = self.clinic.plans.get(self.plan.id)
        source = stored if kind in ("details", "sign") else find_element(stored, element_id)
        keys = [k for k in FIELDS_OF[kind] if k in mine or kind != "details"] or list(mine)
        theirs = {k: getattr(source, k, None) if source is not None else None for k in keys}
        if kind == "sign":
            theirs["status"] = stored.status
        as_read = self.plan if kind == "sign" else source
        mine = {k: mine.get(k, getattr(as_read, k, None)) for k in keys} | (
            {"removed": True} if mine.get("removed") else {})
        if "removed" in mine:
            theirs["removed"] = source is None
        form = self.dialog if self.dialog is not None and self.dialog.isVisible() else None

        def keep_theirs() -> None:
            if form is not None:
                form.reject()
            self.reload()

        self.conflict_dialog = resolve_concurrent_edit(
            form or self, with_versions(error, self._readable(theirs), self._readable(mine)),
            self.plan_labels(kind), keep_theirs=keep_theirs, keep_mine=self.reload)
        return self.conflict_dialog

    def _staff(self) -> list[tuple[str, str]]:
        clinical = {"clinician", "supervisor", "prescriber"}
        return [(s.username, s.display_name) for s in self.clinic.users.list()
                if s.active and clinical.intersection(s.roles)]

    def add_child(self):
        node = self.selected_node()
        return self.add(CHILD_OF[node.kind if node is not None else None])

    def add(self, kind: str):
        """Open the form for a new element of `kind` under the selection's matching ancestor."""
        if self.plan is None or self.plan.status != "draft":
            return None
        plans, index = self.clinic.plans, self.tree.currentIndex()
        if kind == "problem":
            diagnoses = [(d.code, d.description) for d in self.clinic.episodes.diagnoses(self.episode.id)
                         if d.resolved_on is None]
            return self._open(forms.problem_dialog(self, lambda **v: self._edit(
                lambda version: plans.add_problem(self.plan.id, expected_version=version, **v),
                kind="problem", mine=v), diagnoses=diagnoses))
        parent_kind = {"goal": "problem", "objective": "goal", "intervention": "objective"}[kind]
        parent = self.model.ancestor(index, parent_kind)
        if parent is None:
            return None
        if kind == "goal":
            return self._open(forms.goal_dialog(self, lambda **v: self._edit(
                lambda version: plans.add_goal(parent.id, expected_version=version, **v), kind="goal", mine=v)))
        if kind == "objective":
            default = max(clock.today(), self.plan.effective_on) + dt.timedelta(days=30)
            return self._open(forms.objective_dialog(self, lambda **v: self._edit(
                lambda version: plans.add_objective(parent.id, expected_version=version, **v),
                kind="objective", mine=v), default_target=default))
        return self._open(forms.intervention_dialog(self, lambda **v: self._edit(
            lambda version: plans.add_intervention(parent.id, expected_version=version, **v),
            kind="intervention", mine=v), self._staff(), self.clinic.actor.username))

    def edit_selected(self):
        node = self.selected_node()
        if node is None or not self.edit_action.isEnabled():
            return None
        plans, view = self.clinic.plans, node.view
        update = getattr(plans, f"update_{node.kind}")

        def save(**values):
            return self._edit(lambda version: update(view.id, expected_version=version, **values),
                              kind=node.kind, element_id=view.id, mine=values)

        if node.kind == "problem":
            diagnoses = [(d.code, d.description) for d in self.clinic.episodes.diagnoses(self.episode.id)]
            return self._open(forms.problem_dialog(self, save, view, diagnoses))
        if node.kind == "goal":
            return self._open(forms.goal_dialog(self, save, view))
        if node.kind == "objective":
            return self._open(forms.objective_dialog(self, save, view))
        return self._open(forms.intervention_dialog(self, save, self._staff(), self.clinic.actor.username, view))

    def remove_selected(self) -> bool:
        """Remove the selected element (and what is under it) after asking; True when removed."""
        node = self.selected_node()
        if node is None or not self.remove_action.isEnabled():
            return False
        below = self.tr(" with everything under it") if node.children else ""
        answer = QMessageBox.question(
            self, self.tr("Remove from plan"),
            self.tr("Remove {label} “{text}”{below}?").format(
                label=node.label, below=below,
                text=self.model.data(self.tree.currentIndex().siblingAtColumn(0)).partition(": ")[2][:80]),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.No)
        if answer != QMessageBox.StandardButton.Yes:
            return False
        parent = self.model.node_number(node.parent).view.id if node.parent >= 0 else None
        remove = getattr(self.clinic.plans, f"remove_{node.kind}")
        try:
            self._edit(lambda version: remove(node.view.id, expected_version=version), select_parent=parent,
                       kind=node.kind, element_id=node.view.id,
                       mine={"removed": True} | {k: getattr(node.view, k) for k in FIELDS_OF[node.kind]})
        except ConcurrentEdit:
            return False
        except IopDeskError as error:
            self._warn(self.tr("Remove from plan"), error)
            return False
        return True

    def edit_details(self):
        if not self.details_action.isEnabled():
            return None

        def save(**values):
            if values:
                self._edit(lambda version: self.clinic.plans.update_details(
                    self.plan.id, expected_version=version, **values), mine=values)

        return self._open(forms.details_dialog(self, save, self.plan, self._staff()))
