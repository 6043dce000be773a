"""The client chart window driven as a clinician (or prescriber) would: the header and the one audited
read on opening, lazy tabs, resolving an alert, adding and revoking a consent, family contacts and
sessions, and medications only a prescriber may change.

Each test has its own SQLite clinic copied from the staffed template (see tests/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel

from iopdesk.kernel import clock
from iopdesk.models import AuditEvent
from tests.conftest import ADMIN_PASSWORD
from ui.chart.chart_window import TABS, ClientChartWindow
from ui.operations import Operations


@pytest.fixture
def chart_clinic(clinician_sqlite):
    """Marisol, admitted two weeks ago at 2.1 with a primary diagnosis and a safety alert; clinician signed in."""
    clinic = clinician_sqlite
    client, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana", dob="1991-04-12",
                                        preferred_name="Mari", pronouns="she/her", sex="F")
    episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=14),
                                       track_code="substance_use", level="2.1", primary_clinician="clinician")
    clinic.episodes.add_diagnosis(episode.id, code="F11.20", description="Opioid dependence, uncomplicated",
                                  primary=True, noted_on=episode.admitted_on)
    clinic.alerts.raise_alert(client.id, kind="safety", message="Endorsed passive thoughts of death.")
    clinic.client_id = client.id
    return clinic


def _open(qtbot, clinic, ops=None) -> ClientChartWindow:
    window = ClientChartWindow(clinic, ops or Operations(), clinic.client_id)
    qtbot.addWidget(window)
    window.show()
    return window


def test_opening_a_chart_writes_one_read_audit_event(qtbot, chart_clinic):
    """Opening the chart (and showing every tab) records exactly one "read client" audit event."""
    cid = uuid.UUID(chart_clinic.client_id)

    def reads() -> int:
        return AuditEvent.select().where((AuditEvent.action == "read") & (AuditEvent.entity == "client")
                                         & (AuditEvent.client_id == cid)).count()

    before = reads()
    window = _open(qtbot, chart_clinic)
    for key in TABS:
        window.show_tab(key)
    assert reads() == before + 1


def test_header_names_the_client_episode_and_safety_alert(qtbot, chart_clinic):
    """The title reads "MRN · Name — IOP Desk"; the header shows pronouns, level and the safety alert."""
    window = _open(qtbot, chart_clinic)
    summary = chart_clinic.clients.summary(chart_clinic.client_id, audit_read=False)
    assert window.windowTitle() == f"{summary.mrn} · Mari Quintana[*] — IOP Desk"
    assert "she/her" in window.identity_label.text()
    assert "2.1" in window.episode_label.text() and "5 days a week" in window.episode_label.text()
    assert window.safety_label.isVisible()
    assert "1 safety alert" in window.safety_label.text()


def test_tabs_come_in_order_and_are_built_when_first_shown(qtbot, chart_clinic):
    """Only the Overview is built on opening; Medications is built once its tab is shown."""
    window = _open(qtbot, chart_clinic)
    titles = [window.tabs.tabText(i).replace("&", "") for i in range(window.tabs.count())]
    assert titles == ["Overview", "Notes", "Treatment plan", "Family", "Medications", "Measures",
                      "Consents", "Discharge"]
    assert list(window.tab_widgets) == ["overview"]
    window.tabs.setCurrentIndex(TABS.index("meds"))
    assert "meds" in window.tab_widgets
    assert list(window.tab_widgets) == ["overview", "meds"]
    window.show_tab("plan")
    assert window.current_tab() == "plan" and window.tab_widgets["plan"].objectName() == "planTab"


def test_overview_shows_primary_diagnosis_and_resolving_an_alert_clears_it(qtbot, chart_clinic):
    """The primary diagnosis is marked; typing a resolution and pressing Enter resolves the alert;
    the attendance flags listed after it stay."""
    window = _open(qtbot, chart_clinic)
    overview = window.tab_widgets["overview"]
    flags = chart_clinic.attendance.flags(window.episode.id)
    assert overview.diagnosis_model.index(0, 0).data() == "★ Primary"
    assert overview.diagnosis_model.index(0, 1).data() == "F11.20"
    assert overview.alert_model.rowCount() == 1 + len(flags)
    qtbot.keyClicks(overview.resolution_edit, "Safety plan reviewed; crisis line given.")
    qtbot.keyClick(overview.resolution_edit, Qt.Key.Key_Return)
    assert chart_clinic.alerts.active_for(chart_clinic.client_id) == []
    assert overview.alert_model.rowCount() == len(flags)
    assert not window.safety_label.isVisible()


def test_adding_then_revoking_a_consent(qtbot, chart_clinic):
    """A Part 2 consent entered in the form is listed as active; revoking it marks it revoked."""
    window = _open(qtbot, chart_clinic)
    window.show_tab("consents")
    tab = window.tab_widgets["consents"]
    dialog = tab.add_consent()
    qtbot.keyClicks(dialog.fields["recipient"], "Dr. Lee, primary care")
    qtbot.keyClicks(dialog.fields["purpose"], "Coordination of care")
    qtbot.keyClicks(dialog.fields["information"], "Attendance and medications")
    qtbot.keyClicks(dialog.fields["signed_by"], "Marisol Quintana")
    qtbot.keyClicks(dialog.fields["expiration_event"], "Discharge")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.errors["revocation_acknowledged"].isVisible()
    assert chart_clinic.consents.list_for_client(chart_clinic.client_id) == []
    qtbot.keyClick(dialog.fields["revocation_acknowledged"], Qt.Key.Key_Space)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert tab.model.rowCount() == 1
    assert tab.model.index(0, 4).data() == "Active"
    qtbot.mouseClick(tab.revoke_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tab.dialog.save_button, Qt.MouseButton.LeftButton)
    [consent] = chart_clinic.consents.list_for_client(chart_clinic.client_id)
    assert consent.revoked_on == clock.today()
    assert tab.model.index(0, 4).data().startswith("Revoked")


def test_family_contact_and_session_are_recorded(qtbot, chart_clinic):
    """A contact added in the Family tab can join a recorded family session."""
    window = _open(qtbot, chart_clinic)
    window.show_tab("family")
    tab = window.tab_widgets["family"]
    dialog = tab.add_contact()
    qtbot.keyClicks(dialog.fields["name"], "Rosa Quintana")
    qtbot.keyClicks(dialog.fields["relationship"], "mother")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert tab.contacts_model.rowCount() == 1
    dialog = tab.record_session()
    participants = dialog.fields["participants"]
    participants.item(0).setCheckState(Qt.CheckState.Checked)
    session_date = dialog.fields["session_date"]
    qtbot.mouseDClick(session_date.line_edit, Qt.MouseButton.LeftButton)
    qtbot.keyClicks(session_date.line_edit, f"{session_date.value() - dt.timedelta(days=1):%m/%d/%Y}")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), [e.text() for e in dialog.errors.values()] + [dialog.message_label.text()]
    [session] = chart_clinic.family.sessions(chart_clinic.client_id)
    assert session.participants == ("Rosa Quintana",)
    assert tab.sessions_model.rowCount() == 1


def test_medication_buttons_are_for_prescribers_only(qtbot, chart_clinic):
    """A clinician sees the medication actions disabled; a prescriber adds and changes a dose."""
    window = _open(qtbot, chart_clinic)
    window.show_tab("meds")
    tab = window.tab_widgets["meds"]
    assert not tab.add_button.isEnabled()
    window.close()

    chart_clinic.login("prescriber", ADMIN_PASSWORD)
    window = _open(qtbot, chart_clinic)
    window.show_tab("meds")
    tab = window.tab_widgets["meds"]
    assert tab.add_button.isEnabled() and not tab.change_button.isEnabled()
    dialog = tab.add_medication()
    qtbot.keyClicks(dialog.fields["drug"], "buprenorphine")
    dialog.fields["amount"].setValue(8)
    qtbot.keyClicks(dialog.fields["frequency"], "once daily")
    dialog.fields["is_mat"].setChecked(True)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible(), [e.text() for e in dialog.errors.values()]
    assert tab.meds_model.index(0, 1).data() == "8 mg"
    dialog = tab.change_dose()
    dialog.fields["amount"].setValue(12)
    qtbot.keyClicks(dialog.fields["reason"], "Cravings")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    [med] = chart_clinic.meds.current_medications(chart_clinic.client_id)
    assert med.amount == 12
    assert tab.doses_model.rowCount() == 2


def test_a_biller_opens_the_chart_without_its_clinical_narrative(qtbot, chart_clinic):
    """The biller sees name, MRN and payer; alerts are hidden, the header says so, and the Measures
    tab says why."""
    chart_clinic.login("biller", ADMIN_PASSWORD)
    window = _open(qtbot, chart_clinic)
    assert "Quintana" in window.name_label.text() and "MRN" in window.mrn_label.text()
    assert window.alerts_label.text().endswith("; other alerts are not shown to your role")
    assert not window.safety_label.isVisibleTo(window)
    window.show_tab("measures")
    measures = window.tab_widgets["measures"]
    assert isinstance(measures, QLabel) and "not allowed to read therapy notes" in measures.text()
