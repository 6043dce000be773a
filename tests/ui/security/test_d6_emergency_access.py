"""ONC 170.315(d)(6) on screen: the chart offers an administrator emergency access where she is
refused, the dialog asks for a reason and shows the domain's refusal, and a biller gets no offer.
The domain's side of (d)(6) is tests/security/test_d6_emergency_access.py; this part needs Qt."""

from __future__ import annotations

import pytest

from iopdesk.kernel import clock
from iopdesk.models import EmergencyAccess
from tests.conftest import ADMIN_PASSWORD
from tests.security.test_d6_emergency_access import REASON


@pytest.fixture
def admin_at_chart(qtbot, tmp_path, clinic_file):
    """An admin at a workstation opening Marisol's chart (she has a note by Cleo)."""

    import iopdesk
    from ui.chart.chart_window import ClientChartWindow
    from ui.operations import Operations

    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana-Reyes", dob="1991-04-12")
    clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=clock.today(),
                              minutes=50, sections={"data": "Cravings after a family visit.",
                                                    "assessment": "", "plan": ""})
    clinic.login("admin", ADMIN_PASSWORD)
    ops = Operations()
    window = ClientChartWindow(clinic, ops, client.id)
    qtbot.addWidget(window)
    window.show()
    yield clinic, client, window
    import shiboken6

    if shiboken6.isValid(window):
        window.close()
    clinic.close()


def _shot(widget, name: str, tmp_path) -> None:
    import os
    from pathlib import Path

    folder = Path(os.environ.get("IOPDESK_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    assert widget.grab().save(str(folder / f"{name}.png"))


def test_a_refused_chart_section_offers_emergency_access(qtbot, admin_at_chart, monkeypatch, tmp_path):
    """The Medications tab tells the admin she may not read clinical narrative and offers emergency
    access; the dialog explains the auditing, needs a reason, and after the grant the tab is built."""
    from PySide6.QtWidgets import QDialog, QPushButton

    import ui.break_glass_dialog as module

    clinic, client, window = admin_at_chart
    window.show_tab("meds")
    panel = window.tab_widgets["meds"]
    assert panel.objectName() == "accessRefused"
    assert "not allowed to read therapy notes" in panel.findChild(module.QLabel, "accessRefusedText").text()
    button = panel.findChild(QPushButton, "breakGlassButton")
    window.resize(1000, 600)
    qtbot.waitUntil(button.isVisible, timeout=2000)
    _shot(window, "chart_emergency_offer", tmp_path)

    shown = []

    def fake_exec(dialog):
        shown.append(dialog)
        assert not dialog.request_button.isEnabled()
        assert "audit trail" in dialog.findChild(module.QLabel, "breakGlassExplanation").text()
        qtbot.keyClicks(dialog.reason_edit, REASON)
        assert dialog.request_button.isEnabled()
        dialog.resize(640, 420)
        _shot(dialog, "break_glass_dialog", tmp_path)
        dialog.request()
        return dialog.result()

    monkeypatch.setattr(module.BreakGlassDialog, "exec", fake_exec)
    qtbot.mouseClick(button, module.Qt.MouseButton.LeftButton)
    assert shown and shown[0].result() == QDialog.DialogCode.Accepted
    assert shown[0].grant.client_id == str(client.id)
    qtbot.waitUntil(lambda: window.tab_widgets.get("meds") is not None
                    and window.tab_widgets["meds"].objectName() != "accessRefused", timeout=3000)
    assert clinic.emergency.active_for(client.id) is not None


def test_the_dialog_shows_the_domains_refusal(qtbot, admin_at_chart):
    """A reason of spaces padded to length is refused by the domain; the dialog stays open and says why."""
    from ui.break_glass_dialog import BreakGlassDialog

    clinic, client, _ = admin_at_chart
    dialog = BreakGlassDialog(clinic, client.id, "MRN · Marisol")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.reason_edit, "x" * 5)
    assert not dialog.request_button.isEnabled()
    dialog.request()
    assert dialog.result() != BreakGlassDialog.DialogCode.Accepted
    assert dialog.error_label.text().startswith("Reason:")
    assert EmergencyAccess.select().count() == 0


def test_a_biller_sees_the_refusal_without_the_emergency_button(qtbot, admin_at_chart):
    """Billers may not break the glass: the Medications tab shows only the refusal."""
    from ui.chart.chart_window import ClientChartWindow

    clinic, client, window = admin_at_chart
    clinic.login("biller", ADMIN_PASSWORD)
    biller_window = ClientChartWindow(clinic, window.ops, client.id)
    qtbot.addWidget(biller_window)
    biller_window.show_tab("meds")
    assert biller_window.tab_widgets["meds"].objectName() == "accessRefusedText"
    biller_window.close()
