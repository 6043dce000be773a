"""The Discharge tab and wizard, driven through the widgets over a real SQLite clinic.

Each test gets a copy of the staffed clinic with Marisol admitted two weeks ago, with a history to
summarize (a signed plan, a week of group attendance, a signed individual note, two PHQ-9s and a
MAT prescription) and the clinician signed in; it types and clicks as a person would and ends by
reading the database back through the clinic's services.
"""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog, QMessageBox, QWizard

from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from tests.domain.test_attendance_rules import LAST_MONDAY, attend, weekday_group
from tests.domain.test_plans import PHQ9_MILD, PHQ9_MODERATE, signed_plan
from ui.attestation_dialog import AttestationDialog
from ui.chart.chart_window import ClientChartWindow
from ui.chart.discharge_tab import DischargeTab
from ui.chart.discharge_wizard import (
    NARRATIVE_PAGE,
    REASON_PAGE,
    RECORD_PAGE,
    REFERRALS_PAGE,
    SIGN_PAGE,
)
from ui.operations import Operations

DAY = dt.timedelta(days=1)
TODAY = clock.today()
CTRL = Qt.KeyboardModifier.ControlModifier
DAP = {"data": "Reviewed the week.", "assessment": "Engaged and improving.", "plan": "Continue."}


@pytest.fixture
def history(clinician_sqlite):
    """(clinic, client, episode): Marisol admitted 14 days ago with a record to summarize."""
    clinic = clinician_sqlite
    client, episode = admit_marisol(clinic)
    clinic.episodes.add_diagnosis(episode.id, code="F11.20", description="Opioid dependence, uncomplicated",
                                  primary=True, noted_on=episode.admitted_on)
    signed_plan(clinic, episode)
    _, sessions = weekday_group(clinic, client, episode)
    attend(clinic, client, sessions, [LAST_MONDAY, LAST_MONDAY + DAY, LAST_MONDAY + 2 * DAY])
    attend(clinic, client, sessions, [LAST_MONDAY + 3 * DAY], "absent_unexcused")
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=TODAY - 3 * DAY,
                                        minutes=50, sections=DAP)
    clinic.notes.sign(note.id, note.version)
    clinic.measures.record(client.id, "PHQ-9", administered_on=episode.admitted_on, answers=PHQ9_MODERATE)
    clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - 2 * DAY, answers=PHQ9_MILD)
    clinic.login("prescriber", ADMIN_PASSWORD)
    clinic.meds.add_medication(client.id, drug="Buprenorphine/naloxone", amount="8", unit="mg", route="sublingual",
                               frequency="daily", started_on=episode.admitted_on, is_mat=True, prescriber="prescriber")
    clinic.login("clinician", ADMIN_PASSWORD)
    return clinic, client, episode


@pytest.fixture
def asked_questions(monkeypatch):
    """Every confirmation is answered Yes and every attestation Sign; the texts asked, attested
    (what the attestation lists) and warned are collected."""
    asked: list[str] = []

    def attested(dialog):
        asked.append(dialog.signing_label.text())
        return QDialog.DialogCode.Accepted

    def question(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    def warning(parent, title, text, *args, **kwargs):
        asked.append(text)
        return QMessageBox.StandardButton.Ok

    monkeypatch.setattr(QMessageBox, "question", question)
    monkeypatch.setattr(QMessageBox, "warning", warning)
    monkeypatch.setattr(AttestationDialog, "exec", attested)
    return asked


def make_tab(qtbot, clinic, client_id, autosave_ms=60_000) -> DischargeTab:
    tab = DischargeTab(clinic, Operations(), client_id, autosave_ms=autosave_ms)
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    return tab


def open_wizard(qtbot, tab, button=None):
    """Click the button, or without one press Ctrl+Shift+D in the tab."""
    if button is None:
        tab.activateWindow()
        qtbot.waitUntil(tab.isActiveWindow)
        tab.setFocus()
        qtbot.keyClick(tab.focusWidget(), Qt.Key.Key_D, CTRL | Qt.KeyboardModifier.ShiftModifier)
    else:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    wizard = tab.wizard
    qtbot.waitUntil(wizard.isActiveWindow)
    return wizard


def type_date(qtbot, field, day: dt.date) -> None:
    """Type a date into a date field as a person would: double-click it (which selects all of it),
    then type MM/DD/YYYY over it."""
    qtbot.mouseDClick(field.line_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(field.line_edit, f"{day:%m/%d/%Y}")


def next_page(qtbot, wizard) -> None:
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def fill_reason_page(qtbot, wizard, day: dt.date, reason_prefix: str, detail: str) -> None:
    page = wizard.reason_page
    type_date(qtbot, page.date_edit, day)
    assert page.date_edit.value() == day
    qtbot.keyClick(page.date_edit.line_edit, Qt.Key.Key_Tab)
    assert page.reason_box.hasFocus()
    qtbot.keyClicks(page.reason_box, reason_prefix)
    qtbot.keyClick(page.reason_box, Qt.Key.Key_Tab)
    qtbot.keyClicks(page.detail_edit, detail)


def test_clinician_discharges_a_client_through_the_wizard(qtbot, qtmodeltester, history, asked_questions):
    """Start discharge, date and reason by keys, the record pre-filled, aftercare typed, a referral
    added and the summary signed: the discharge is signed, the episode closed on that date with that
    reason, the referral stored, and the tab shows the locked summary."""
    clinic, client, episode = history
    tab = make_tab(qtbot, clinic, client.id)
    assert tab.start_button.isVisible() and not tab.continue_button.isVisible()
    wizard = open_wizard(qtbot, tab, tab.start_button)

    fill_reason_page(qtbot, wizard, TODAY - DAY, "Treat", "Goals met; stepping down to outpatient.")
    assert wizard.reason_page.reason_box.currentData() == "completed"
    next_page(qtbot, wizard)
    assert wizard.currentId() == RECORD_PAGE
    record = wizard.record_page.browser.toPlainText()
    for expected in ("3 of 4 (75%)", "Individual sessions", "PHQ-9", "11 (Moderate)", "6 (Mild)", "-5",
                     "Buprenorphine/naloxone", "F11.20", "Attend at least 90% of scheduled IOP sessions."):
        assert expected in record

    next_page(qtbot, wizard)
    assert wizard.currentId() == NARRATIVE_PAGE
    edit = wizard.narrative_page.aftercare_edit
    qtbot.keyClicks(edit, "Stable mood, no use in 30 days. Weekly counseling at Lakeside.")
    qtbot.keyClick(edit, Qt.Key.Key_Z, CTRL)
    assert edit.toPlainText() == ""
    qtbot.keyClick(edit, Qt.Key.Key_Z, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert edit.toPlainText().startswith("Stable mood")
    next_page(qtbot, wizard)
    assert wizard.currentId() == REFERRALS_PAGE
    assert clinic.discharge.get(wizard.view.id).aftercare.startswith("Stable mood")

    page = wizard.referrals_page
    qtbot.keyClicks(page.provider_edit, "Lakeside Counseling")
    qtbot.keyClicks(page.service_box, "Outpatient counseling")
    qtbot.keyClick(page.appointment_check, Qt.Key.Key_Space)
    type_date(qtbot, page.appointment_edit, TODAY + 3 * DAY)
    qtbot.keyClicks(page.contact_edit, "555-0100, ask for Dana")
    qtbot.keyClicks(page.barriers_edit, "Transportation")
    qtbot.keyClick(page.barriers_edit, Qt.Key.Key_Return)
    assert wizard.currentId() == REFERRALS_PAGE and page.model.rowCount() == 1
    qtmodeltester.check(page.model)
    next_page(qtbot, wizard)
    assert wizard.currentId() == SIGN_PAGE

    sign = wizard.sign_page
    assert "Lakeside Counseling" in sign.browser.toPlainText()
    assert "42 CFR Part 2" in sign.reminders_label.text()
    assert not wizard.button(QWizard.WizardButton.FinishButton).isEnabled()
    qtbot.keyClick(sign.sign_button, Qt.Key.Key_Return, CTRL)
    assert "closed on" in asked_questions[-1]
    assert "The episode is closed: discharged on" in sign.result_label.text()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.wizard is None)

    view = clinic.discharge.for_episode(episode.id)
    assert (view.status, view.reason, view.discharged_on) == ("signed", "completed", TODAY - DAY)
    assert view.reason_detail == "Goals met; stepping down to outpatient."
    assert view.aftercare == "Stable mood, no use in 30 days. Weekly counseling at Lakeside."
    (referral,) = view.referrals
    assert (referral.provider, referral.service, referral.appointment_on, referral.contact, referral.barriers) == (
        "Lakeside Counseling", "Outpatient counseling", TODAY + 3 * DAY, "555-0100, ask for Dana", "Transportation")
    closed = clinic.episodes.get(episode.id)
    assert (closed.status, closed.discharged_on) == ("discharged", TODAY - DAY)
    assert clinic.episodes.current(client.id) is None
    assert "signed and locked" in tab.heading.text() and "Cleo Clinician" in tab.details.text()
    assert not tab.start_button.isVisible() and not tab.continue_button.isVisible()
    assert "Lakeside Counseling" in tab.browser.toPlainText()


def test_cancelling_midway_keeps_the_draft_and_continue_resumes_it(qtbot, history, asked_questions):
    """Escape on the aftercare page says nothing is lost, keeps the draft with the text typed, and
    "Continue discharge…" reopens it with the text in place; a corrected date moves the draft."""
    clinic, client, episode = history
    tab = make_tab(qtbot, clinic, client.id)
    wizard = open_wizard(qtbot, tab)
    fill_reason_page(qtbot, wizard, TODAY, "Left", "Stopped attending after week two.")
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    qtbot.keyClicks(wizard.narrative_page.aftercare_edit, "Outreach letter sent with crisis line numbers.")
    qtbot.keyClick(wizard.narrative_page.aftercare_edit, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: tab.wizard is None)
    assert "nothing is lost" in asked_questions[-1] and "Continue discharge" in asked_questions[-1]

    draft = clinic.discharge.for_episode(episode.id)
    assert (draft.status, draft.reason, draft.discharged_on) == ("draft", "left_against_advice", TODAY)
    assert draft.aftercare == "Outreach letter sent with crisis line numbers."
    assert clinic.episodes.get(episode.id).status == "active"
    assert tab.continue_button.isVisible() and not tab.start_button.isVisible()
    assert "draft" in tab.heading.text() and "Outreach letter" in tab.browser.toPlainText()

    wizard = open_wizard(qtbot, tab)
    assert wizard.currentId() == REASON_PAGE
    assert wizard.reason_page.drafted_label.isVisible()
    type_date(qtbot, wizard.reason_page.date_edit, TODAY - DAY)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    assert wizard.narrative_page.aftercare_edit.toPlainText() == "Outreach letter sent with crisis line numbers."
    wizard.close()
    qtbot.waitUntil(lambda: tab.wizard is None)
    moved = clinic.discharge.for_episode(episode.id)
    assert (moved.id, moved.discharged_on, moved.reason) == (draft.id, TODAY - DAY, "left_against_advice")
    assert moved.aftercare == draft.aftercare


def test_a_discharge_date_before_admission_is_refused_on_the_first_page(qtbot, history, asked_questions):
    """A date the day before admission shows the domain's message under the date and stays on page 1;
    no discharge is created."""
    clinic, client, episode = history
    tab = make_tab(qtbot, clinic, client.id)
    wizard = open_wizard(qtbot, tab, tab.start_button)
    fill_reason_page(qtbot, wizard, episode.admitted_on - DAY, "Treat", "")
    next_page(qtbot, wizard)
    assert wizard.currentId() == REASON_PAGE
    error = wizard.reason_page.errors["discharged_on"]
    assert error.isVisible() and "before the admission date" in error.text()
    assert wizard.reason_page.date_edit.line_edit.hasFocus()
    assert clinic.discharge.for_episode(episode.id) is None
    wizard.close()
    assert asked_questions == []  # nothing saved yet, so nothing to confirm


def test_a_discharged_clients_chart_shows_the_signed_summary_locked(qtbot, history):
    """The Discharge tab of a client discharged earlier (the episode found through its intake
    screening) shows the signed summary and who signed it, and offers no way to change it."""
    clinic, client, episode = history
    clinic.intake.screen(client.id, assessed_on=episode.admitted_on, d1=1, d2=0, d3=2, d4=2, d5=3, d6=2,
                         episode_id=episode.id)
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY - DAY, reason="transferred",
                                     reason_detail="Needs more structure.")
    view, _ = clinic.discharge.update_summary_text(view.id, expected_version=view.version,
                                                   aftercare="Start PHP Wednesday; bus pass arranged.")
    clinic.discharge.sign(view.id, expected_version=view.version)
    window = ClientChartWindow(clinic, Operations(), client.id)
    qtbot.addWidget(window)
    window.show()
    window.show_tab("discharge")
    tab = window.tab_widgets["discharge"]
    assert isinstance(tab, DischargeTab)
    assert f"Discharged on {TODAY - DAY:%m/%d/%Y}" in tab.heading.text() and "signed and locked" in tab.heading.text()
    assert "Signed by Cleo Clinician" in tab.details.text() and "cannot be changed" in tab.details.text()
    assert "Start PHP Wednesday" in tab.browser.toPlainText()
    assert not tab.start_button.isVisible() and not tab.continue_button.isVisible()
    tab.browser.setFocus()
    qtbot.keyClick(tab.browser, Qt.Key.Key_D, CTRL | Qt.KeyboardModifier.ShiftModifier)
    assert tab.wizard is None
    assert tab.may_close()


def test_the_aftercare_plan_autosaves_while_typing(qtbot, history, asked_questions):
    """A moment after typing stops the aftercare plan is in the draft, without leaving the page."""
    clinic, client, episode = history
    clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    tab = make_tab(qtbot, clinic, client.id, autosave_ms=50)
    wizard = open_wizard(qtbot, tab, tab.continue_button)
    next_page(qtbot, wizard)
    next_page(qtbot, wizard)
    qtbot.keyClicks(wizard.narrative_page.aftercare_edit, "Weekly counseling; SMART Recovery on Tuesdays.")
    qtbot.waitUntil(lambda: clinic.discharge.for_episode(episode.id).aftercare.endswith("Tuesdays."), timeout=2000)
    assert wizard.narrative_page.saved_label.text() == "Saved"
    assert "Weekly counseling" in tab.browser.toPlainText()


def test_signing_a_discharge_signed_elsewhere_shows_the_domains_message(qtbot, history, asked_questions):
    """If a colleague signed the discharge while the wizard was open, Sign shows the domain's
    refusal in the page, then who signed it; Finish closes without asking."""
    clinic, client, episode = history
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    tab = make_tab(qtbot, clinic, client.id)
    wizard = open_wizard(qtbot, tab, tab.continue_button)
    for _ in range(4):
        next_page(qtbot, wizard)
    assert wizard.currentId() == SIGN_PAGE
    clinic.discharge.sign(view.id, expected_version=view.version)
    qtbot.mouseClick(wizard.sign_page.sign_button, Qt.MouseButton.LeftButton)
    assert "signed and cannot be changed" in wizard.sign_page.message_label.text()
    assert wizard.sign_page.message_label.isVisible()
    assert "Signed by Cleo Clinician" in wizard.sign_page.result_label.text()
    assert not wizard.sign_page.sign_button.isEnabled()
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: tab.wizard is None)
    # neither an attestation (the domain refused first) nor "keep the draft?" was asked
    assert asked_questions == [] and "signed and locked" in tab.heading.text()
