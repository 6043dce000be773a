"""Two workstations editing the same treatment plan: the later save opens both versions, and
nothing the first one saved is overwritten unless the clinician chooses to keep hers."""

from __future__ import annotations

import uuid

from PySide6.QtCore import Qt

from iopdesk.models import TreatmentPlan
from iopdesk.storage.records import update_versioned
from tests.domain.test_plans import draft_plan, signed_plan
from tests.ui.attestations import answer_attestations
from ui.chart.plan_tab import PlanTab
from ui.concurrent_edit_dialog import MINE, THEIRS
from ui.operations import Operations


def open_tab(qtbot, clinic, client_id) -> PlanTab:
    tab = PlanTab(clinic, Operations(), client_id)
    qtbot.addWidget(tab)
    tab.show()
    return tab


def cells(dialog) -> dict[str, tuple[str, str]]:
    table = dialog.table
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}


def edit_problem(qtbot, tab, problem_id: str, text: str):
    """Open the selected problem's form (F2) and replace its statement with `text`."""
    tab.tree.setCurrentIndex(tab.model.index_of(problem_id))
    form = tab.edit_selected()
    qtbot.waitUntil(form.isVisible)
    box = form.fields["statement"]
    box.selectAll()
    qtbot.keyClicks(box, text)
    return form


def test_second_workstation_problem_edit_shows_both_statements_and_keep_theirs_closes_the_form(qtbot, chart):
    """The supervisor reworded the problem first; the clinician's save is refused, both wordings
    are shown side by side, the database keeps the supervisor's, and "Keep theirs" reloads it."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode)
    problem = plan.problems[0]
    tab = open_tab(qtbot, clinic, client.id)
    form = edit_problem(qtbot, tab, problem.id, "Opioid use is costing her the job.")
    clinic.plans.update_problem(problem.id, expected_version=plan.version, statement="Relapsed after surgery.")

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    dialog = tab.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert form.isVisible() and "changed by clinician" in form.message_label.text()
    assert cells(dialog)["Problem"] == ("Relapsed after surgery.", "Opioid use is costing her the job.")
    assert cells(dialog)["Diagnosis (ICD-10)"] == ("F11.20", "F11.20")
    assert clinic.plans.get(plan.id).problems[0].statement == "Relapsed after surgery."

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)  # no choice yet: refused again
    assert clinic.plans.get(plan.id).problems[0].statement == "Relapsed after surgery."

    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == THEIRS and not form.isVisible()
    assert tab.plan.problems[0].statement == "Relapsed after surgery."
    assert "Relapsed after surgery." in tab.model.index_of(problem.id).data()


def test_copy_mine_keeps_the_form_and_the_next_save_replaces_theirs(qtbot, chart):
    """After "Copy mine" the clinician's wording stays in the form and saving again succeeds."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode)
    problem = plan.problems[0]
    tab = open_tab(qtbot, clinic, client.id)
    form = edit_problem(qtbot, tab, problem.id, "Opioid use is costing her the job.")
    clinic.plans.update_details(plan.id, expected_version=plan.version, strengths="Supportive sister")

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    dialog = tab.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == MINE and "Problem:\nOpioid use is costing her the job." in dialog.mine_text()
    assert form.fields["statement"].toPlainText() == "Opioid use is costing her the job."
    assert tab.plan.strengths == "Supportive sister"
    dialog.reject()

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    stored = clinic.plans.get(plan.id)
    assert (stored.problems[0].statement, stored.strengths) == ("Opioid use is costing her the job.",
                                                                "Supportive sister")


def test_plan_details_and_intervention_conflicts_use_the_clinics_words(qtbot, chart):
    """Both versions of the plan details name the primary counselor by name; an intervention's
    responsible staff member too; removing a goal already changed elsewhere removes nothing."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode)
    tab = open_tab(qtbot, clinic, client.id)
    clinic.plans.update_details(plan.id, expected_version=plan.version, strengths="Sister drives her to group",
                                primary_counselor="supervisor")

    form = tab.edit_details()
    qtbot.waitUntil(form.isVisible)
    form.fields["strengths"].setPlainText("Works nights; wants day group")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    dialog = tab.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    rows = cells(dialog)
    assert rows["Strengths"] == ("Sister drives her to group", "Works nights; wants day group")
    assert clinic.plans.get(plan.id).strengths == "Sister drives her to group"
    dialog.grab().save("/tmp/ce/plan_details_conflict.png")
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)

    intervention = plan.objectives[0].interventions[0]
    tab.tree.setCurrentIndex(tab.model.index_of(intervention.id))
    stale = tab.plan.version
    clinic.plans.update_goal(plan.goals[0].id, expected_version=stale, statement="Stay abstinent one year.")
    form = tab.edit_selected()
    qtbot.waitUntil(form.isVisible)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    rows = cells(tab.conflict_dialog)
    assert rows["Responsible"][0] == intervention.responsible and "Modality" in rows
    assert clinic.plans.get(plan.id).goals[0].statement == "Stay abstinent one year."


def test_signing_a_plan_changed_elsewhere_shows_both_and_signs_nothing(qtbot, chart, monkeypatch):
    """The plan was edited on another workstation: signing is refused, both versions show the
    plan status, and the plan stays a draft until the clinician chooses."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode)
    tab = open_tab(qtbot, clinic, client.id)
    clinic.plans.update_details(plan.id, expected_version=plan.version, barriers="No car")
    form = tab.sign_plan()
    qtbot.waitUntil(form.isVisible)
    answer_attestations(monkeypatch)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    dialog = tab.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert cells(dialog)["Plan status"] == ("Draft", "Signed")
    assert cells(dialog)["Client signature"] == ("", "Marisol Quintana-Reyes")
    assert clinic.plans.get(plan.id).status == "draft"
    dialog.grab().save("/tmp/ce/plan_sign_conflict.png")


def test_a_review_of_a_plan_saved_elsewhere_meanwhile_shows_both_versions(qtbot, chart, monkeypatch):
    """The signed plan's row was saved on another workstation (e.g. synced from a satellite) while
    the review was open: signing the review shows both versions and records no review."""
    clinic, client, episode = chart
    plan = signed_plan(clinic, episode)
    tab = open_tab(qtbot, clinic, client.id)
    review = tab.review_plan()
    qtbot.waitUntil(review.isVisible)
    row = TreatmentPlan.get_by_id(uuid.UUID(plan.id))
    update_versioned(row, row.version)
    for objective_id in review.ratings:
        review.set_rating(objective_id, "some_progress")
    review.summary.setPlainText("Attending; cravings lower.")
    answer_attestations(monkeypatch)
    assert review.record() is False
    dialog = review.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert cells(dialog)["Plan status"] == ("Signed", "Signed")
    assert cells(dialog)["Review summary"] == ("", "Attending; cravings lower.")
    assert clinic.plans.reviews(episode.id) == []

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    dialog.reject()
    assert review.record() is True
    assert [r.summary for r in clinic.plans.reviews(episode.id)] == ["Attending; cravings lower."]
