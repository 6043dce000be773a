"""The Admin page's Audit tab and the main window's audit alarm, over a real SQLite clinic."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel

from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_consents import consent_fields
from tests.security.tampering import drop_guards, sql
from ui.admin_page import AdminPage
from ui.audit_page import AuditPage, AuditTableModel
from ui.main_window import MainWindow
from ui.operations import Operations


@pytest.fixture
def court_release(tmp_path, clinic_file):
    """A SQLite clinic where a clinician admitted Marisol and released a letter to the court."""

    import iopdesk

    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana", dob="1991-04-12")
    clinic.clients.summary(client.id)
    clinic.consents.record(client.id, **consent_fields())
    clinic.disclosures.record_release(client.id, "Harbor County Drug Court", "Attendance letter")
    yield clinic, client
    clinic.close()


def test_admin_filters_the_trail_by_client_and_sees_the_disclosures(qtbot, court_release):
    """The admin types Marisol's MRN and presses Show: her events and her one disclosure."""
    clinic, client = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    page = AuditPage(clinic)
    qtbot.addWidget(page)
    page.mrn_edit.setText(client.mrn)
    qtbot.mouseClick(page.show_button, Qt.MouseButton.LeftButton)
    rows = [page.model.row_value(r) for r in range(page.model.rowCount())]
    assert rows and {r.client_mrn for r in rows} == {client.mrn}
    assert page.disclosures.rowCount() == 1
    assert page.disclosures.row_value(0).recipient == "Harbor County Drug Court"


def test_clicking_a_heading_sorts_in_the_database(qtbot, court_release):
    """Sorting by User asks the report for that order instead of sorting in the view."""
    clinic, _client = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    page = AuditPage(clinic)
    qtbot.addWidget(page)
    page.reload()
    page.view.sortByColumn(1, Qt.SortOrder.AscendingOrder)
    users = [page.model.row_value(r).user for r in range(page.model.rowCount())]
    assert page.model.order_by == "user" and users == sorted(users)


def test_a_bad_mrn_is_explained_above_the_table(qtbot, court_release):
    """An MRN that matches no client says so, naming the field."""
    clinic, _client = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    page = AuditPage(clinic)
    qtbot.addWidget(page)
    page.mrn_edit.setText("NOPE-9")
    page.from_check.setChecked(True)
    page.from_edit.set_value(clock.today())
    page.reload()
    assert "Client MRN" in page.summary.text()


def test_the_audit_model_passes_the_model_tester(qtmodeltester, court_release):
    """The paged, SQL-sorted model behaves as Qt expects."""
    clinic, _client = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    model = AuditTableModel(clinic)
    model.load()
    qtmodeltester.check(model)


def test_only_auditors_get_the_audit_tab(qtbot, court_release, tmp_path):
    """The admin's Admin page has Sync and Audit tabs; nobody else sees the report."""
    clinic, _client = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    page = AdminPage(clinic, Operations(), settings)
    qtbot.addWidget(page)
    assert page.findChild(AuditPage) is not None
    clinic.login("clinician", ADMIN_PASSWORD)
    other = AdminPage(clinic, Operations(), settings)
    qtbot.addWidget(other)
    assert other.findChild(AuditPage) is None


def test_a_broken_trail_raises_a_red_alarm_in_the_main_window(qtbot, court_release, tmp_path):
    """An event edited since the last check: the window opens with the alarm naming it."""
    clinic, client = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    settings = QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)
    calm = MainWindow(clinic, settings=settings)
    qtbot.addWidget(calm)
    assert calm.audit_alarm is None
    clinic.clients.summary(client.id)
    drop_guards(clinic.db)
    newest = clinic.db.execute_sql("SELECT max(seq) FROM audit_event").fetchone()[0]
    sql(clinic.db, "UPDATE audit_event SET actor = ? WHERE seq = ?", "mallory", newest)
    alarmed = MainWindow(clinic, settings=settings)
    qtbot.addWidget(alarmed)
    assert alarmed.audit_alarm is not None
    text = alarmed.audit_alarm.findChild(QLabel, "auditAlarmText")
    assert text is not None and f"audit event {newest} was altered" in text.text()


def test_a_wiped_trail_raises_the_alarm_naming_the_anchor(qtbot, court_release, tmp_path):
    """The guard dropped and every event deleted: the trail "verifies" (0 events), but the window
    opens with the alarm naming the event this workstation saw last."""
    from iopdesk.audit import anchor as audit_anchor

    clinic, _ = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    (anchored,) = audit_anchor.entries_here()
    drop_guards(clinic.db)
    sql(clinic.db, "DELETE FROM audit_event")
    sql(clinic.db, "DELETE FROM audit_head")
    window = MainWindow(clinic, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    text = window.audit_alarm.findChild(QLabel, "auditAlarmText").text()
    assert f"the audit trail ends at event 0 but this workstation saw event {anchored.seq}" in text
    assert "Admin ▸ Audit" in text


def test_admin_sees_a_rolled_back_trail_as_a_finding_and_acknowledges_it(qtbot, clinic_file, tmp_path, monkeypatch):
    """Last week's copy of the clinic file was put back by hand: Admin ▸ Audit lists the finding
    (area, record, problem naming the anchor); the admin acknowledges it with a reason, which
    lands in the audit trail, and the list empties."""
    import shutil

    import iopdesk
    from iopdesk.audit import anchor as audit_anchor
    from iopdesk.models import AuditEvent

    clinic = iopdesk.open_clinic(str(clinic_file))
    clinic.login("admin", ADMIN_PASSWORD)
    clinic.close()
    shutil.copyfile(clinic_file, tmp_path / "last-week.sqlite")
    clinic = iopdesk.open_clinic(str(clinic_file))
    clinic.login("admin", ADMIN_PASSWORD)
    clinic.audit.report()
    seen = audit_anchor.head()[0]
    clinic.close()
    shutil.copyfile(tmp_path / "last-week.sqlite", clinic_file)
    clinic = iopdesk.open_clinic(str(clinic_file))
    try:
        clinic.login("admin", ADMIN_PASSWORD)
        page = AuditPage(clinic)
        qtbot.addWidget(page)
        page.resize(1100, 640)
        page.show()
        assert page.findings.rowCount() == 1 and page.acknowledge_button.isEnabled()
        finding = page.findings.row_value(0)
        assert finding.area == "anchor" and finding.record == f"workstation anchor at event {seen}"
        assert f"this workstation saw event {seen}" in finding.problem
        assert "1 finding" in page.findings_status.text()
        page.grab().save(str(tmp_path / "audit-findings.png"))
        monkeypatch.setattr("ui.audit_page.QInputDialog.getMultiLineText",
                            lambda *args, **kwargs: ("Restored last week's copy after the disk failed", True))
        qtbot.mouseClick(page.acknowledge_button, Qt.MouseButton.LeftButton)
        assert page.findings.rowCount() == 0 and not page.acknowledge_button.isEnabled()
        assert "No findings" in page.findings_status.text()
        event = AuditEvent.select().where(AuditEvent.action == "acknowledge_rollback").get()
        assert event.actor == "admin" and event.detail["anchor_seq"] == seen
        qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
        assert page.findings.rowCount() == 0 and "whole trail verified" in page.findings_status.text()
    finally:
        clinic.close()


def test_the_whole_trail_is_checked_off_the_window_thread_and_names_an_edited_consent(qtbot, court_release):
    """Admin ▸ Audit ▸ Check whole trail runs on a worker (the window stays responsive on a long
    trail) and names the consent someone edited with the guards dropped, and the missing guards."""
    clinic, _ = court_release
    clinic.login("admin", ADMIN_PASSWORD)
    page = AuditPage(clinic, ops=Operations())
    qtbot.addWidget(page)
    page.show()
    drop_guards(clinic.db)
    sql(clinic.db, "UPDATE consent SET recipient = ? WHERE recipient = ?", "Somebody else", "Harbor County Drug Court")
    qtbot.mouseClick(page.check_button, Qt.MouseButton.LeftButton)
    assert not page.check_button.isEnabled() and "Checking the whole trail" in page.findings_status.text()
    qtbot.waitUntil(page.check_button.isEnabled, timeout=20000)
    found = [page.findings.row_value(i) for i in range(page.findings.rowCount())]
    assert {"seal", "guard"} <= {f.area for f in found}
    assert any(f.area == "seal" and f.record.startswith("consent") for f in found), found
    assert "whole trail" in page.findings_status.text()
