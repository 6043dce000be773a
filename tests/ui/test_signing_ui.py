"""Signing is deliberate and clean: a treatment plan, a plan review, a discharge summary and a
supervisor's co-signature each show the attestation, sign only on Sign, leave nothing behind on
Cancel or a refusal, and drop a message as soon as its cause is fixed.

The attestation is the real modal dialog, answered by clicking its button (`press_in_attestation`);
each test starts from the staffed clinic with Marisol admitted two weeks ago and ends by reading
the database back.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Discharge, PlanReview
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_plans import draft_plan, signed_plan
from tests.ui.attestations import press_in_attestation
from ui.chart.discharge_wizard import REASON_PAGE, SIGN_PAGE, DischargeWizard
from ui.chart.notes_tab import NotesTab
from ui.chart.plan_tab import PlanTab
from ui.operations import Operations

CTRL = Qt.KeyboardModifier.ControlModifier
SHOTS = "/tmp/shots"


def signs_of(entity: str) -> list[AuditEvent]:
    return list(AuditEvent.select().where((AuditEvent.action.in_(("sign", "cosign")))
                                          & (AuditEvent.entity == entity)))


def show(qtbot, widget):
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def erase(qtbot, line_edit) -> None:
    """Empty a line edit the way a person does: click at its end and backspace."""
    qtbot.mouseClick(line_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClick(line_edit, Qt.Key.Key_End)
    for _ in line_edit.text():
        qtbot.keyClick(line_edit, Qt.Key.Key_Backspace)


def test_signing_a_plan_shows_the_attestation_and_cancel_signs_nothing(qtbot, chart):
    """Ctrl+Enter on a complete draft, then Sign plan: the attestation names the clinician and
    what is signed; Cancel keeps the form and the draft; Sign signs, the attestation kept in the trail."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode)
    tab = show(qtbot, PlanTab(clinic, Operations(), client.id))
    tab.tree.setFocus()
    qtbot.keyClick(tab.tree, Qt.Key.Key_Return, CTRL)
    form = tab.dialog
    qtbot.waitUntil(form.isVisible)
    form.grab().save(f"{SHOTS}/d-plan-sign-form.png")

    shown = press_in_attestation(qtbot, "cancel", screenshot=f"{SHOTS}/d-plan-attestation.png")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    (attestation,) = shown
    assert attestation.title == "Sign treatment plan"
    assert attestation.statement.startswith("I attest that this treatment plan was developed with the client")
    assert attestation.signature.startswith("— Cleo Clinician")
    assert "version 1" in attestation.signing and "2 objective(s)" in attestation.signing
    assert f"signed by the client as Marisol Quintana-Reyes on {clock.today():%m/%d/%Y}" in attestation.signing
    assert form.isVisible() and clinic.plans.get(plan.id).status == "draft" and signs_of("treatment_plan") == []

    shown = press_in_attestation(qtbot, "sign")
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert len(shown) == 1 and not form.isVisible()
    assert clinic.plans.get(plan.id).status == "signed"
    (event,) = signs_of("treatment_plan")
    assert event.detail["attestation"].startswith(attestation.statement)


def test_cannot_sign_yet_stays_only_while_the_plan_lacks_something(qtbot, chart):
    """A draft whose goal has no objective: Ctrl+Enter says so in the tab and opens no form; adding
    the objective turns the message into what is still missing (its intervention); adding that
    clears it."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode, objectives=())
    tab = show(qtbot, PlanTab(clinic, Operations(), client.id))
    tab.resize(1000, 640)
    tab.tree.setFocus()
    qtbot.keyClick(tab.tree, Qt.Key.Key_Return, CTRL)
    assert tab.sign_message.isVisible() and "has no objective" in tab.sign_message.text()
    assert tab.dialog is None

    tab.tree.setCurrentIndex(tab.model.index_of(plan.goals[0].id))
    qtbot.keyClick(tab.tree, Qt.Key.Key_Insert)
    form = tab.dialog
    qtbot.waitUntil(form.isActiveWindow)
    qtbot.keyClicks(form.fields["statement"], "Name five triggers and a coping response for each.")
    qtbot.keyClick(form.fields["statement"], Qt.Key.Key_Return, CTRL)
    assert not form.isVisible()
    assert tab.sign_message.isVisible() and "has no intervention" in tab.sign_message.text()
    tab.grab().save(f"{SHOTS}/d-plan-tab-cannot-sign-yet.png")

    qtbot.waitUntil(tab.isActiveWindow)
    qtbot.keyClick(tab.tree, Qt.Key.Key_Insert)  # the new objective is selected: an intervention under it
    form = tab.dialog
    qtbot.waitUntil(form.isActiveWindow)
    qtbot.keyClick(form.fields["description"], Qt.Key.Key_Return, CTRL)
    assert not form.isVisible() and not tab.sign_message.isVisible()
    tab.grab().save(f"{SHOTS}/d-plan-tab-complete.png")


def test_the_client_signature_message_goes_once_a_name_is_typed(qtbot, chart, monkeypatch):
    """Sign plan with the client's name erased: the message is under the name; typing a name clears
    it before anything is pressed again; nothing was signed."""
    clinic, client, episode = chart
    plan = draft_plan(clinic, episode)
    tab = show(qtbot, PlanTab(clinic, Operations(), client.id))
    form = tab.sign_plan()
    qtbot.waitUntil(form.isActiveWindow)
    name = form.fields["client_signature_name"]
    erase(qtbot, name)
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    error = form.errors["client_signature_name"]
    assert error.isVisible() and error.text().startswith("Client signature")
    qtbot.wait(50)
    form.grab().save(f"{SHOTS}/d-plan-sign-name-missing.png")
    qtbot.keyClicks(name, "Marisol Quintana-Reyes")
    assert not error.isVisible() and not form.message_label.isVisible()
    assert clinic.plans.get(plan.id).status == "draft"


def test_a_review_is_attested_and_cancel_records_nothing(qtbot, chart):
    """The review refuses an unrated objective under it, the message goes as soon as it is rated;
    Sign review shows the attestation, Cancel records no review, Sign records one."""
    clinic, client, episode = chart
    plan = signed_plan(clinic, episode)
    first, second = plan.objectives
    tab = show(qtbot, PlanTab(clinic, Operations(), client.id))
    review = tab.review_plan()
    qtbot.waitUntil(review.isActiveWindow)
    qtbot.keyClick(review.ratings[first.id], Qt.Key.Key_End)
    qtbot.keyClicks(review.summary, "Attending; cravings lower.")
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    error = review.errors[f"progress.{second.id}"]
    assert error.isVisible() and "has no rating" in error.text()
    qtbot.keyClick(review.ratings[second.id], Qt.Key.Key_Down)
    assert not error.isVisible()

    shown = press_in_attestation(qtbot, "cancel", screenshot=f"{SHOTS}/d-review-attestation.png")
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    assert shown[0].title == "Sign plan review" and "this review records the client's progress" in shown[0].statement
    assert "2 objective(s) rated" in shown[0].signing
    assert review.isVisible() and PlanReview.select().count() == 0 and signs_of("plan_review") == []

    press_in_attestation(qtbot, "sign")
    qtbot.mouseClick(review.save_button, Qt.MouseButton.LeftButton)
    assert not review.isVisible()
    (stored,) = clinic.plans.reviews(episode.id)
    assert stored.summary == "Attending; cravings lower." and len(signs_of("plan_review")) == 1


def open_wizard(qtbot, clinic, episode, view, page: int) -> DischargeWizard:
    wizard = DischargeWizard(clinic, Operations(), episode, view, client_name="Marisol Quintana-Reyes")
    wizard.setStartId(page)
    return show(qtbot, wizard)


def test_signing_a_discharge_shows_the_attestation_and_cancel_leaves_the_draft_as_it_was(qtbot, chart):
    """Sign discharge: the attestation says what signing does; Cancel leaves the draft (same
    version), the episode open and no new discharge; Sign signs and closes the episode."""
    clinic, episode = chart[0], chart[2]
    view, _ = clinic.discharge.draft(episode.id, discharged_on=clock.today(), reason="completed")
    wizard = open_wizard(qtbot, clinic, episode, view, SIGN_PAGE)
    page = wizard.sign_page

    shown = press_in_attestation(qtbot, "cancel", screenshot=f"{SHOTS}/d-discharge-attestation.png")
    qtbot.mouseClick(page.sign_button, Qt.MouseButton.LeftButton)
    assert shown[0].title == "Sign discharge" and "this discharge summary is a true" in shown[0].statement
    assert f"closed on {clock.today():%m/%d/%Y}" in shown[0].signing
    stored = clinic.discharge.get(view.id)
    assert (stored.status, stored.version) == ("draft", view.version)
    assert clinic.episodes.get(episode.id).status == "active"
    assert Discharge.select().count() == 1 and signs_of("discharge") == []
    assert page.sign_button.isEnabled() and not page.message_label.isVisible()

    press_in_attestation(qtbot, "sign")
    qtbot.mouseClick(page.sign_button, Qt.MouseButton.LeftButton)
    assert clinic.discharge.get(view.id).status == "signed"
    assert clinic.episodes.get(episode.id).status == "discharged"
    assert "The episode is closed" in page.result_label.text()
    wizard.grab().save(f"{SHOTS}/d-discharge-signed.png")


def test_a_discharge_refused_before_the_attestation_leaves_no_record(qtbot, chart, monkeypatch):
    """The episode was discharged elsewhere meanwhile: Sign shows the domain's refusal without an
    attestation, and nothing new is written."""
    clinic, episode = chart[0], chart[2]
    view, _ = clinic.discharge.draft(episode.id, discharged_on=clock.today(), reason="completed")
    wizard = open_wizard(qtbot, clinic, episode, view, SIGN_PAGE)
    clinic.discharge.sign(view.id, expected_version=view.version)
    before = AuditEvent.select().count()
    shown = press_in_attestation(qtbot, "sign", tries=5)
    qtbot.mouseClick(wizard.sign_page.sign_button, Qt.MouseButton.LeftButton)
    qtbot.wait(100)
    assert shown == [] and "signed and cannot be changed" in wizard.sign_page.message_label.text()
    assert AuditEvent.select().count() == before and Discharge.select().count() == 1


def test_the_reason_message_goes_once_a_reason_is_chosen(qtbot, chart):
    """Next without a reason says to choose one; choosing a reason clears it before Next is pressed
    again; no draft exists until then."""
    clinic, episode = chart[0], chart[2]
    wizard = open_wizard(qtbot, clinic, episode, None, REASON_PAGE)
    page = wizard.reason_page
    qtbot.mouseClick(wizard.button(wizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)
    error = page.errors["reason"]
    assert error.isVisible() and error.text().startswith("Reason: choose")
    wizard.grab().save(f"{SHOTS}/d-discharge-reason-missing.png")
    assert page.reason_box.hasFocus()  # the refusal put the focus on the field it names
    qtbot.keyClicks(page.reason_box, "Treat")
    assert page.reason_box.currentData() == "completed" and not error.isVisible()
    assert Discharge.select().count() == 0


def test_a_supervisor_cosigns_only_after_the_attestation(qtbot, chart, monkeypatch):
    """A note awaiting co-signature: Co-sign shows the supervisor's attestation; Cancel leaves it
    awaiting, Sign co-signs it."""
    clinic, client = chart[0], chart[1]
    clinic.logout()
    clinic.login("intern", ADMIN_PASSWORD)
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), starts_at="10:00", ends_at="10:50",
                                        sections={"data": "Reported cravings.", "assessment": "Engaged.",
                                                  "plan": "Continue IOP."})
    clinic.notes.sign(note.id, note.version)
    clinic.logout()
    clinic.login("supervisor", ADMIN_PASSWORD)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: pytest.fail(f"refused: {a[2]}"))
    tab = show(qtbot, NotesTab(clinic, Operations(), client.id))
    tab.table.selectRow(0)

    shown = press_in_attestation(qtbot, "cancel", screenshot=f"{SHOTS}/d-cosign-attestation.png")
    qtbot.mouseClick(tab.cosign_button, Qt.MouseButton.LeftButton)
    assert shown[0].title == "Co-sign note" and shown[0].signature.startswith("— Sam Supervisor")
    assert clinic.notes.get(note.id).status == "awaiting_cosign" and signs_of("note")[-1].action == "sign"

    press_in_attestation(qtbot, "sign")
    qtbot.mouseClick(tab.cosign_button, Qt.MouseButton.LeftButton)
    assert clinic.notes.get(note.id).status == "cosigned" and signs_of("note")[-1].action == "cosign"
