"""The Treatment plan tab of a client's chart: the episode's plan as a tree, edited while it is a
draft, signed by clinician and client, revised into a new version, and reviewed.

A status line (version, draft/signed, effective date, next review due) and a version selector sit
above a QTreeView over `PlanTreeModel` (problems → goals → objectives → interventions) and a side
panel with the plan's details, signatures and reviews. Insert adds a child of the selection (a
problem when nothing is selected), F2 or Enter edits, Delete removes after asking, Ctrl+Enter
signs, Ctrl+Shift+N revises a signed plan into a new draft, Ctrl+Shift+R reviews it, Ctrl+N
creates the initial plan of an episode that has none. Signed and superseded versions are read
only (the domain refuses edits anyway). Every write passes the plan version the tab read; a
ConcurrentEdit opens both versions (see `PlanElementEditing`). The tab reloads on "plan", "review" and "episode"
changes of this client.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QSplitter,
    QToolBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import ConcurrentEdit, IopDeskError
from iopdesk.kernel import clock
from iopdesk.kernel.changes import Changes
from ui.chart import plan_dialogs as forms
from ui.chart.plan_element_editing import PlanElementEditing
from ui.chart.plan_review_dialog import PlanReviewDialog
from ui.chart.plan_side_panel import PlanSidePanelWidget
from ui.chart.plan_signing import PlanSigning
from ui.chart.plan_tree_model import PlanTreeModel, WrappingItemDelegate
from ui.column_fit import fit_columns
from ui.dates import date_text
from ui.operations import Operations, user_message

STATUS_WORDS = {"draft": "Draft", "signed": "Signed", "superseded": "Superseded"}


class PlanTab(PlanElementEditing, PlanSigning, QWidget):
    """One client's treatment plan: view any version, edit the draft, sign, revise, review."""

    KINDS = ("plan", "review", "episode")

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.episode = None
        self.plan = None
        self.versions: list[tuple[str, int, str, dt.date]] = []
        self.reviews = []
        self.ratings: dict[str, str] = {}
        self.dialog = None
        self.conflict_dialog = None
        self._plan_id: str | None = None
        self._announcing = False
        self.setObjectName("planTab")
        self.setAccessibleName(self.tr("Treatment plan"))
        self.can_write = clinic.actor.can("plan.write")
        self.can_sign = clinic.actor.can("plan.sign")

        self.status_label = QLabel(objectName="planStatus")
        self.status_label.setWordWrap(True)
        self.status_label.setAccessibleName(self.tr("Plan status"))
        self.status_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bold = self.status_label.font()
        bold.setBold(True)
        self.status_label.setFont(bold)
        self.hint_label = QLabel(objectName="planHint")
        self.hint_label.setWordWrap(True)
        self.sign_message = QLabel(objectName="planSignMessage")
        self.sign_message.setWordWrap(True)
        self.sign_message.setProperty("fieldError", True)
        self.sign_message.setAccessibleName(self.tr("Why the plan cannot be signed yet"))
        self.sign_message.setFont(bold)
        self.sign_message.hide()
        self.version_box = QComboBox(objectName="planVersions")
        self.version_box.setAccessibleName(self.tr("Plan version"))
        self.version_box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        version_label = QLabel(self.tr("&Version:"))
        version_label.setBuddy(self.version_box)
        self.version_box.currentIndexChanged.connect(self._version_chosen)

        self.model = PlanTreeModel(self)
        self.tree = QTreeView(objectName="planTree")
        self.tree.setModel(self.model)
        self.tree.setAccessibleName(self.tr("Problems, goals, objectives and interventions"))
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)  # statements are sentences: wrap them rather than cut them off
        self.tree.setItemDelegateForColumn(0, WrappingItemDelegate(self.tree))
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.sectionResized.connect(self._section_resized)
        self.tree.selectionModel().currentChanged.connect(lambda *_: self._selection_changed())
        self.tree.doubleClicked.connect(lambda _index: self.edit_selected())
        self.empty_label = QLabel(objectName="emptyState")
        self.empty_label.setWordWrap(True)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.side = PlanSidePanelWidget()
        self.reviews_view = self.side.reviews_view

        self._build_actions()
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(version_label)
        top.addWidget(self.version_box)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.tree, 1)
        left_layout.addWidget(self.empty_label)
        splitter.addWidget(left)
        splitter.addWidget(self.side)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.sign_message)
        layout.addWidget(self.toolbar)
        layout.addWidget(splitter, 1)
        self.setTabOrder(self.version_box, self.tree)
        self.setTabOrder(self.tree, self.reviews_view)

        ops.changes_applied.connect(self._changes_applied)
        self.reload()

    def _build_actions(self) -> None:
        self.toolbar = QToolBar(self.tr("Plan actions"), objectName="planToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.toolbar.setAccessibleName(self.tr("Plan actions"))

        def action(text: str, keys, slot, in_toolbar: bool = True) -> QAction:
            act = QAction(text, self)
            sequences = [QKeySequence(k) for k in (keys if isinstance(keys, list) else [keys])]
            act.setShortcuts(sequences)
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            act.triggered.connect(lambda _checked=False: slot())
            act.setToolTip(f"{text.replace('&', '').rstrip('…')} "
                           f"({sequences[0].toString(QKeySequence.SequenceFormat.NativeText)})")
            self.addAction(act)
            if in_toolbar:
                self.toolbar.addAction(act)
                button = self.toolbar.widgetForAction(act)
                if isinstance(button, QToolButton):
                    button.setAccessibleName(text.replace("&", "").rstrip("…"))
            return act

        self.create_action = action(self.tr("&Create initial plan"), QKeySequence.StandardKey.New, self.create_plan)
        self.add_problem_action = action(self.tr("Add &problem…"), "Ctrl+Shift+P", lambda: self.add("problem"))
        self.add_goal_action = action(self.tr("Add &goal…"), "Ctrl+Shift+G", lambda: self.add("goal"))
        self.add_objective_action = action(self.tr("Add o&bjective…"), "Ctrl+Shift+O", lambda: self.add("objective"))
        self.add_intervention_action = action(self.tr("Add &intervention…"), "Ctrl+Shift+I",
                                              lambda: self.add("intervention"))
        self.add_child_action = action(self.tr("Add below the selection…"), "Insert", self.add_child, False)
        self.edit_action = action(self.tr("&Edit…"), "F2", self.edit_selected)
        self.remove_action = action(self.tr("&Remove…"), QKeySequence.StandardKey.Delete, self.remove_selected)
        self.toolbar.addSeparator()
        self.details_action = action(self.tr("Plan detai&ls…"), "Ctrl+Shift+L", self.edit_details)
        self.sign_action = action(self.tr("Sign plan…"), ["Ctrl+Return", "Ctrl+Enter"], self.sign_plan)
        self.revise_action = action(self.tr("Re&vise…"), "Ctrl+Shift+N", self.revise_plan)
        self.review_action = action(self.tr("Revie&w…"), "Ctrl+Shift+R", self.review_plan)
        self.print_action = action(self.tr("Pri&nt…"), QKeySequence.StandardKey.Print, self.print_plan)
        # Enter on the tree edits the selected element (the view has no editor of its own).
        self.enter_action = QAction(self.tr("Edit"), self.tree)
        self.enter_action.setShortcuts([QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)])
        self.enter_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.enter_action.triggered.connect(self.edit_selected)
        self.tree.addAction(self.enter_action)

    def may_close(self) -> bool:
        """Nothing is held unsaved in the tab: every form saves or is cancelled on its own."""
        return True

    # -- data ---------------------------------------------------------------------------------
    def reload(self, plan_id: str | None = None, select: str | None = None) -> None:
        """Read the episode's versions and show `plan_id` (default: the one shown, else the latest)."""
        keep = select or self.selected_id()
        self.episode = self.clinic.episodes.latest(self.client_id)  # a discharged client's last plan reads too
        self.versions = self.clinic.plans.versions(self.episode.id) if self.episode else []
        self.reviews = self.clinic.plans.reviews(self.episode.id) if self.versions else []
        ids = [v[0] for v in self.versions]
        target = plan_id or self._plan_id
        if target not in ids:
            target = ids[-1] if ids else None
        self.version_box.blockSignals(True)
        self.version_box.clear()
        for vid, number, status, effective in reversed(self.versions):
            self.version_box.addItem(self.tr("Version {n} · {status} · {day}").format(
                n=number, status=self.tr(STATUS_WORDS.get(status, status)), day=date_text(effective)), vid)
        self.version_box.setCurrentIndex(max(0, self.version_box.findData(target)))
        self.version_box.blockSignals(False)
        self._show(target, keep)

    def _version_chosen(self, _index: int) -> None:
        self._show(self.version_box.currentData(), None)

    def _show(self, plan_id: str | None, select: str | None) -> None:
        self._plan_id = plan_id
        self.plan = self.clinic.plans.get(plan_id) if plan_id else None
        self.ratings = self._last_ratings()
        self.model.set_plan(self.plan, self.ratings)
        self._size_columns()
        self.tree.expandAll()
        index = self.model.index_of(select)
        if not index.isValid() and self.model.rowCount() > 0:
            index = self.model.index(0, 0)
        if index.isValid():
            self.tree.setCurrentIndex(index)
        self.side.show_reviews(self.reviews, self.versions)
        self.side.show_plan(self.plan)
        self.side.setVisible(self.plan is not None)
        self._show_status()
        self._recheck_sign()
        self._selection_changed()

    def _size_columns(self) -> None:
        fit_columns(self.tree, self.tree.header(), {c: self.model.column_texts(c) for c in (1, 2, 3)})

    def _section_resized(self, column: int, old: int, new: int) -> None:
        """Wrapped statements change height when the first column changes width."""
        if column == 0 and old != new:
            self.tree.doItemsLayout()

    def _last_ratings(self) -> dict[str, str]:
        """Objective id of the shown plan → its latest review rating, carried across versions by lineage."""
        if self.plan is None or not self.reviews:
            return {}
        lineage_of: dict[str, str] = {}
        for plan_id in {r.plan_id for r in self.reviews}:
            reviewed = self.plan if plan_id == self.plan.id else self.clinic.plans.get(plan_id)
            lineage_of.update((o.id, o.lineage) for o in reviewed.objectives)
        by_lineage = {lineage_of.get(p.objective_id): p.rating_label for r in self.reviews for p in r.progress}
        return {o.id: by_lineage[o.lineage] for o in self.plan.objectives if o.lineage in by_lineage}

    def _next_review(self):
        if self.plan is None or self.plan.status != "signed":
            return None
        mine = [r.next_review_on for r in self.reviews if r.plan_id == self.plan.id and r.next_review_on]
        return max(mine) if mine else self.plan.review_due_on

    def _show_status(self) -> None:
        plan = self.plan
        self.empty_label.setVisible(plan is None or not plan.problems)
        self.tree.setVisible(plan is not None)
        if self.episode is None:
            self.status_label.setText(self.tr("No open episode"))
            self.empty_label.setText(self.tr("A treatment plan belongs to an episode; this client has no open one."))
            self.hint_label.hide()
            return
        if plan is None:
            self.status_label.setText(self.tr("No treatment plan yet"))
            self.empty_label.setText(self.tr("This episode has no treatment plan. Press Ctrl+N to create the "
                                             "initial plan, then Insert to add its first problem."))
            self.hint_label.hide()
            return
        parts = [self.tr("Version {n}").format(n=plan.plan_version),
                 self.tr(STATUS_WORDS.get(plan.status, plan.status)),
                 self.tr("effective {day}").format(day=date_text(plan.effective_on))]
        due = self._next_review()
        if due is not None:
            late = self.tr(" (overdue)") if due < clock.today() else ""
            parts.append(self.tr("next review due {day}{late}").format(day=date_text(due), late=late))
        self.status_label.setText(" · ".join(parts))
        self.empty_label.setText(self.tr("No problems yet. Press Insert to add the first problem."))
        if plan.status == "draft":
            hint = self.tr("Draft: Insert adds below the selection, F2 edits, Delete removes, Ctrl+Enter signs.")
        elif plan.status == "signed":
            hint = self.tr("Signed plans do not change. Revise (Ctrl+Shift+N) makes a new draft version; "
                           "Review (Ctrl+Shift+R) records progress on every objective.")
        else:
            hint = self.tr("An earlier version, kept exactly as signed (read only).")
        self.hint_label.setText(hint)
        self.hint_label.show()

    def _changes_applied(self, changes: Changes) -> None:
        if self._announcing:
            return
        if (not changes.client_ids or self.client_id in changes.client_ids) and changes.touches(*self.KINDS):
            self.reload()

    # -- selection and actions ---------------------------------------------------------------
    def selected_node(self):
        return self.model.node(self.tree.currentIndex())

    def selected_id(self) -> str | None:
        node = self.selected_node()
        return node.view.id if node is not None else None

    def _selection_changed(self) -> None:
        node = self.selected_node()
        self.side.show_element(node, self.ratings.get(node.view.id) if node is not None else None)
        self._update_actions()

    def _update_actions(self) -> None:
        plan = self.plan
        editable = plan is not None and plan.status == "draft" and self.can_write
        index = self.tree.currentIndex()
        has_draft = any(status == "draft" for _i, _n, status, _d in self.versions)
        self.create_action.setEnabled(self.episode is not None and not self.versions and self.can_write)
        self.create_action.setVisible(not self.versions)
        self.add_problem_action.setEnabled(editable)
        self.add_child_action.setEnabled(editable)
        self.add_goal_action.setEnabled(editable and self.model.ancestor(index, "problem") is not None)
        self.add_objective_action.setEnabled(editable and self.model.ancestor(index, "goal") is not None)
        self.add_intervention_action.setEnabled(editable and self.model.ancestor(index, "objective") is not None)
        self.edit_action.setEnabled(editable and index.isValid())
        self.enter_action.setEnabled(editable and index.isValid())
        self.remove_action.setEnabled(editable and index.isValid())
        self.details_action.setEnabled(editable)
        self.sign_action.setEnabled(plan is not None and plan.status == "draft" and self.can_sign)
        self.revise_action.setEnabled(plan is not None and plan.status == "signed" and self.can_write
                                      and not has_draft)
        self.review_action.setEnabled(plan is not None and plan.status == "signed" and self.can_sign)
        self.print_action.setEnabled(plan is not None and self.clinic.actor.can("print.chart"))

    def _announce(self, changes: Changes, plan_id: str | None = None, select: str | None = None) -> None:
        """Show the result of a write here, then tell the other screens."""
        self.reload(plan_id, select)
        self._announcing = True
        try:
            self.ops.announce(changes)
        finally:
            self._announcing = False

    def _warn(self, title: str, error: IopDeskError) -> None:
        if isinstance(error, ConcurrentEdit):
            self.reload()
        QMessageBox.warning(self, title, user_message(error))

    def _open(self, dialog):
        self.dialog = dialog
        dialog.finished.connect(self._dialog_closed)
        dialog.open()
        return dialog

    def _dialog_closed(self) -> None:
        self.window().activateWindow()
        self.tree.setFocus()

    # -- plan-wide actions -------------------------------------------------------------------
    def create_plan(self) -> bool:
        if not self.create_action.isEnabled():
            return False
        try:
            plan, changes = self.clinic.plans.create_initial(self.episode.id)
        except IopDeskError as error:
            self._warn(self.tr("Create treatment plan"), error)
            return False
        self._announce(changes, plan_id=plan.id)
        self.tree.setFocus()
        return True

    def revise_plan(self):
        if not self.revise_action.isEnabled():
            return None
        signed = self.plan

        def save(**values):
            plan, changes = self.clinic.plans.revise(signed.id, **values)
            self._announce(changes, plan_id=plan.id)

        return self._open(forms.revise_dialog(self, save, signed.effective_on))

    def review_plan(self):
        if not self.review_action.isEnabled():
            return None
        try:
            dialog = PlanReviewDialog(self.clinic, self.ops, self.plan, self, on_concurrent_edit=self.reload)
        except IopDeskError as error:
            self._warn(self.tr("Review treatment plan"), error)
            return None
        return self._open(dialog)

    def print_plan(self):
        """Preview the shown plan version for printing or saving as a PDF (Ctrl+P)."""
        if not self.print_action.isEnabled():
            return None
        from reports.jobs import PrintRequest
        from ui.print_preview import open_print_preview
        return open_print_preview(self, self.clinic, self.ops, "plan", PrintRequest(self.client_id, self.plan.id))
