"""`PlanElementEditing`: the part of the Treatment plan tab that edits a draft's elements — add a
problem, goal, objective or intervention under the selection's matching ancestor, edit or remove
the selected element, change the plan's details.

A mixin of `PlanTab` (it uses the tab's `clinic`, `plan`, `episode`, `tree`, `model`, actions and
`_open`/`_announce`/`reload`/`_warn`). Every edit passes the plan version the tab read as
`expected_version`; a ConcurrentEdit reloads the tab and is re-raised so the open form shows it.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QMessageBox

from iopdesk.errors import ConcurrentEdit, IopDeskError

from . import plan_dialogs as forms

CHILD_OF = {None: "problem", "problem": "goal", "goal": "objective", "objective": "intervention",
            "intervention": "intervention"}


class PlanElementEditing:
    """Add, edit and remove the elements of a draft plan; edit its details."""

    def _edit(self, call, select_parent: str | None = None):
        """Run a plan edit with the version this tab read; ConcurrentEdit reloads and re-raises."""
        try:
            edit, changes = call(self.plan.version)
        except ConcurrentEdit:
            self.reload()
            raise
        self._announce(changes, select=select_parent or getattr(edit, "element_id", None))
        return edit

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
                lambda version: plans.add_problem(self.plan.id, expected_version=version, **v)),
                diagnoses=diagnoses))
        parent_kind = {"goal": "problem", "objective": "goal", "intervention": "objective"}[kind]
        parent = self.model.ancestor(index, parent_kind)
        if parent is None:
            return None
        if kind == "goal":
            return self._open(forms.goal_dialog(self, lambda **v: self._edit(
                lambda version: plans.add_goal(parent.id, expected_version=version, **v))))
        if kind == "objective":
            default = max(dt.date.today(), self.plan.effective_on) + dt.timedelta(days=30)
            return self._open(forms.objective_dialog(self, lambda **v: self._edit(
                lambda version: plans.add_objective(parent.id, expected_version=version, **v)),
                default_target=default))
        return self._open(forms.intervention_dialog(self, lambda **v: self._edit(
            lambda version: plans.add_intervention(parent.id, expected_version=version, **v)),
            self._staff(), self.clinic.actor.username))

    def edit_selected(self):
        node = self.selected_node()
        if node is None or not self.edit_action.isEnabled():
            return None
        plans, view = self.clinic.plans, node.view
        update = getattr(plans, f"update_{node.kind}")

        def save(**values):
            return self._edit(lambda version: update(view.id, expected_version=version, **values))

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
            self._edit(lambda version: remove(node.view.id, expected_version=version), select_parent=parent)
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
                    self.plan.id, expected_version=version, **values))

        return self._open(forms.details_dialog(self, save, self.plan, self._staff()))
