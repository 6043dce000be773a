"""The Treatment plan tab driven through the widgets over a real SQLite clinic: building and signing
a plan from the keyboard, refusing edits of a signed plan and revising it, recording a review, and
showing the domain's errors next to the field they name.

Each test gets a copy of the staffed clinic with Marisol admitted two weeks ago and the clinician
signed in; it ends by reading the database back through `clinic.plans`.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from iopdesk.kernel import clock
from iopdesk.kernel.changes import Changes
from tests.domain.test_plans import draft_plan, signed_plan
from tests.ui.attestations import answer_attestations
from ui.chart.plan_tab import PlanTab
from ui.operations import Operations

CTRL = Qt.KeyboardModifier.ControlModifier
CTRL_SHIFT = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier


def open_tab(qtbot, clinic, client_id, ops=None) -> PlanTab:
    tab = PlanTab(clinic, ops or Operations(), client_id)
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    tab.tree.setFocus()
    return tab


def press(qtbot, tab, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    """A key on the plan tree once the tab's window is active again (a closed dialog hands it back)."""
    qtbot.waitUntil(tab.isActiveWindow)
    qtbot.keyClick(tab.tree, key, modifier)


def active_dialog(qtbot, tab):
    dialog = tab.dialog
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def save_with_ctrl_enter(qtbot, dialog, field: str) -> None:
    qtbot.keyClick(dialog.fields[field], Qt.Key.Key_Return, CTRL)


def type_date(qtbot, field, day: dt.date) -> None:
    """Double-click a date field (which selects all of it) and type MM/DD/YYYY over it."""
    qtbot.mouseDClick(field.line_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field.line_edit, f"{day:%m/%d/%Y}")


def test_clinician_builds_and_signs_a_plan_from_the_keyboard(qtbot, chart, qtmodeltester, monkeypatch):
    """Ctrl+N creates the plan; Insert adds a problem, goal, objective and intervention in turn;
    Ctrl+Enter signs with the client's name after the attestation; the database holds the signed
    plan with that tree."""
    clinic, client, episode = chart
    tab = open_tab(qtbot, clinic, client.id)
    assert "No treatment plan yet" in tab.status_label.text()
    press(qtbot, tab, Qt.Key.Key_N, CTRL)
    assert tab.status_label.text().startswith("Version 1 · Draft")

    press(qtbot, tab, Qt.Key.Key_Insert)
    dialog = active_dialog(qtbot, tab)
    assert dialog.objectName() == "problemDialog"
    qtbot.keyClicks(dialog.fields["statement"], "Continued opioid use despite harm to health and work.")
    dialog.fields["diagnosis_code"].lineEdit().clear()
    qtbot.keyClicks(dialog.fields["diagnosis_code"].lineEdit(), "f1120")
    save_with_ctrl_enter(qtbot, dialog, "statement")
    assert not dialog.isVisible()

    press(qtbot, tab, Qt.Key.Key_Insert)
    dialog = active_dialog(qtbot, tab)
    assert dialog.objectName() == "goalDialog"
    qtbot.keyClicks(dialog.fields["statement"], "Achieve and keep abstinence from opioids.")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    press(qtbot, tab, Qt.Key.Key_Insert)
    dialog = active_dialog(qtbot, tab)
    assert dialog.objectName() == "objectiveDialog"
    qtbot.keyClicks(dialog.fields["statement"], "Attend at least 90% of scheduled IOP sessions.")
    save_with_ctrl_enter(qtbot, dialog, "statement")

    press(qtbot, tab, Qt.Key.Key_Insert)
    dialog = active_dialog(qtbot, tab)
    assert dialog.objectName() == "interventionDialog"
    assert dialog.fields["responsible"].currentData() == "clinician"
    qtbot.keyClicks(dialog.fields["description"], "CBT relapse-prevention skills")
    qtbot.keyClick(dialog.fields["description"], Qt.Key.Key_Return, CTRL)

    assert tab.model.rowCount() == 1
    qtmodeltester.check(tab.model)
    press(qtbot, tab, Qt.Key.Key_Return, CTRL)
    dialog = active_dialog(qtbot, tab)
    assert dialog.fields["client_signature_name"].text() == "Marisol Quintana-Reyes"
    shown = answer_attestations(monkeypatch)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert [a.title for a in shown] == ["Sign treatment plan"]

    plan = clinic.plans.current_plan(episode.id)
    assert (plan.status, plan.plan_version, plan.client_signature_name) == ("signed", 1, "Marisol Quintana-Reyes")
    assert plan.clinician_signed_by == "Cleo Clinician"
    (problem,) = plan.problems
    assert (problem.statement, problem.diagnosis_code) == ("Continued opioid use despite harm to health and work.",
                                                          "F11.20")
    assert [g.statement for g in problem.goals] == ["Achieve and keep abstinence from opioids."]
    (objective,) = plan.objectives
    assert objective.statement == "Attend at least 90% of scheduled IOP sessions."
    assert objective.target_date == clock.today() + dt.timedelta(days=30)
    (intervention,) = objective.interventions
    assert (intervention.modality, intervention.frequency, intervention.responsible, intervention.description) == (
        "Group psychotherapy (IOP)", "5 days a week", "Cleo Clinician", "CBT relapse-prevention skills")
    assert tab.status_label.text().startswith("Version 1 · Signed")
    assert not tab.edit_action.isEnabled() and tab.revise_action.isEnabled()


def test_domain_errors_appear_next_to_the_field_they_name(qtbot, chart):
    """A blank objective and a target date before the plan are shown under those fields; signing an
    incomplete plan names what is missing above the buttons; nothing is saved."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode, objectives=())
    tab = open_tab(qtbot, clinic, client.id)
    tab.tree.setCurrentIndex(tab.model.index_of(plan.goals[0].id))
    press(qtbot, tab, Qt.Key.Key_Insert)
    dialog = active_dialog(qtbot, tab)
    save_with_ctrl_enter(qtbot, dialog, "statement")
    assert dialog.errors["statement"].isVisible()
    assert dialog.errors["statement"].text().startswith("Objective")
    qtbot.keyClicks(dialog.fields["statement"], "Name five triggers and a coping response for each.")
    type_date(qtbot, dialog.fields["target_date"], plan.effective_on - dt.timedelta(days=1))
    save_with_ctrl_enter(qtbot, dialog, "statement")
    assert dialog.isVisible() and dialog.errors["target_date"].isVisible()
    assert dialog.errors["target_date"].text().startswith("Target date: before the plan's effective date")
    assert not dialog.errors["statement"].isVisible()
    dialog.reject()
    assert clinic.plans.get(plan.id).objectives == ()

    press(qtbot, tab, Qt.Key.Key_Return, CTRL)
    assert tab.sign_message.isVisible() and "has no objective" in tab.sign_message.text()
    assert tab.dialog is dialog  # no signature form for an incomplete plan
    assert clinic.plans.get(plan.id).status == "draft"


def test_a_signed_plan_is_read_only_until_revised_into_version_2(qtbot, chart):
    """On a signed plan F2, Delete and Insert do nothing; Ctrl+Shift+N makes draft version 2, which
    is editable while version 1, chosen in the selector, stays read only."""
    clinic, client, episode = chart
    v1 = signed_plan(clinic, episode)
    tab = open_tab(qtbot, clinic, client.id)
    assert tab.status_label.text().startswith("Version 1 · Signed")
    for key in (Qt.Key.Key_F2, Qt.Key.Key_Delete, Qt.Key.Key_Insert):
        press(qtbot, tab, key)
        assert tab.dialog is None
    assert not any(a.isEnabled() for a in (tab.add_problem_action, tab.edit_action, tab.remove_action,
                                           tab.sign_action, tab.details_action))
    press(qtbot, tab, Qt.Key.Key_N, CTRL_SHIFT)
    dialog = active_dialog(qtbot, tab)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert tab.status_label.text().startswith("Version 2 · Draft")
    assert tab.version_box.count() == 2 and tab.edit_action.isEnabled()
    versions = clinic.plans.versions(episode.id)
    assert [(n, s) for _i, n, s, _d in versions] == [(1, "signed"), (2, "draft")]
    assert clinic.plans.get(v1.id) == v1

    tab.version_box.setFocus()
    qtbot.keyClick(tab.version_box, Qt.Key.Key_Down)
    assert tab.plan.id == v1.id and not tab.edit_action.isEnabled() and not tab.revise_action.isEnabled()


def test_a_review_is_recorded_through_the_review_dialog(qtbot, chart, monkeypatch):
    """Ctrl+Shift+R opens the review; signing with an unrated objective, or dated before the plan,
    names what is wrong; rating both and writing a summary records a signed review the tree shows."""
    clinic, client, episode = chart
    plan = signed_plan(clinic, episode)
    first, second = plan.objectives
    tab = open_tab(qtbot, clinic, client.id)
    press(qtbot, tab, Qt.Key.Key_R, CTRL_SHIFT)
    dialog = active_dialog(qtbot, tab)
    assert dialog.objectName() == "planReviewDialog" and len(dialog.ratings) == 2
    qtbot.keyClick(dialog.ratings[first.id], Qt.Key.Key_Down)      # No progress
    qtbot.keyClick(dialog.ratings[first.id], Qt.Key.Key_Down)      # Some progress
    qtbot.keyClicks(dialog.comments[first.id], "Attended 9 of 10 sessions")
    qtbot.keyClicks(dialog.summary, "Engaged; attendance steady.")
    qtbot.keyClick(dialog.summary, Qt.Key.Key_Return, CTRL)
    assert dialog.isVisible() and dialog.errors[f"progress.{second.id}"].isVisible()
    assert "Name five triggers" in dialog.errors[f"progress.{second.id}"].text()
    assert clinic.plans.reviews(episode.id) == []
    qtbot.keyClick(dialog.ratings[second.id], Qt.Key.Key_End)      # Regressed
    month_ago = clock.today() - dt.timedelta(days=30)
    type_date(qtbot, dialog.reviewed_on, month_ago)
    assert f"to {month_ago:%m/%d/%Y}" in dialog.window_label.text()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["reviewed_on"].isVisible() and "Review date" in dialog.errors["reviewed_on"].text()
    type_date(qtbot, dialog.reviewed_on, clock.today())
    shown = answer_attestations(monkeypatch)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible() and [a.title for a in shown] == ["Sign plan review"]

    (review,) = clinic.plans.reviews(episode.id)
    assert review.summary == "Engaged; attendance steady." and review.reviewer == "Cleo Clinician"
    assert [(p.objective_id, p.rating, p.comment) for p in review.progress] == [
        (first.id, "some_progress", "Attended 9 of 10 sessions"), (second.id, "regressed", "")]
    assert tab.model.index_of(first.id).siblingAtColumn(2).data() == "Active · Some progress"
    assert tab.side.reviews_model.rowCount() == 1


def test_the_tab_follows_plan_changes_announced_elsewhere(qtbot, chart, qtmodeltester):
    """A plan signed in another window and announced through Operations shows here at once, read only."""
    clinic, client, episode = chart
    ops = Operations()
    tab = open_tab(qtbot, clinic, client.id, ops)
    assert tab.plan is None and tab.create_action.isEnabled()
    plan = signed_plan(clinic, episode)
    ops.announce(Changes.of("plan", client_id="someone-else"))
    assert tab.plan is None
    ops.announce(Changes.of("plan", client_id=client.id))
    assert tab.plan.id == plan.id and tab.status_label.text().startswith("Version 1 · Signed")
    assert not tab.create_action.isVisible() and not tab.add_problem_action.isEnabled()
    assert tab.model.rowCount(tab.model.index_of(plan.goals[0].id)) == 2
    qtmodeltester.check(tab.model)


def test_plan_details_are_written_from_the_details_form(qtbot, chart):
    """Ctrl+Shift+L opens the plan details; the strengths and referrals typed there are saved on the draft."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode)
    tab = open_tab(qtbot, clinic, client.id)
    press(qtbot, tab, Qt.Key.Key_L, CTRL_SHIFT)
    dialog = active_dialog(qtbot, tab)
    assert dialog.objectName() == "planDetailsDialog"
    qtbot.keyClicks(dialog.fields["strengths"], "Supportive sister; steady job")
    qtbot.keyClicks(dialog.fields["referrals"], "Primary care follow-up")
    save_with_ctrl_enter(qtbot, dialog, "referrals")
    assert not dialog.isVisible()
    saved = clinic.plans.get(plan.id)
    assert (saved.strengths, saved.referrals, saved.barriers) == ("Supportive sister; steady job",
                                                                  "Primary care follow-up", "")
    assert "Supportive sister" in tab.side.details_label.text()
