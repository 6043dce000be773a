"""Two prescribers on the same medication: the later dose change or stop opens both versions and
the first one's save stays in the database until the prescriber chooses to keep hers."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD
from ui.chart.meds_tab import MedsTab
from ui.operations import Operations

TODAY = clock.today()


@pytest.fixture
def medicated(clinician_sqlite):
    """(clinic, client id, medication): Marisol on buprenorphine 8 mg since admission; the prescriber signed in."""
    clinic = clinician_sqlite
    client, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana-Reyes", dob="1991-04-12")
    clinic.login("prescriber", ADMIN_PASSWORD)
    med, _ = clinic.meds.add_medication(client.id, drug="Buprenorphine/naloxone", amount="8", unit="mg",
                                        route="sublingual", frequency="daily", started_on=TODAY - dt.timedelta(days=10),
                                        is_mat=True, prescriber="prescriber")
    return clinic, client.id, med


def cells(dialog) -> dict[str, tuple[str, str]]:
    table = dialog.table
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}


def test_a_stop_after_a_dose_change_elsewhere_shows_both_and_stops_nothing_until_chosen(qtbot, medicated):
    """Another prescriber raised the dose; stopping here is refused with both versions, the
    medication stays current, and after "Copy mine" the stop saves on the next try."""
    clinic, client_id, med = medicated
    tab = MedsTab(clinic, Operations(), client_id)
    qtbot.addWidget(tab)
    tab.show()
    form = tab.stop_medication()
    qtbot.waitUntil(form.isVisible)
    qtbot.keyClicks(form.fields["stop_reason"], "Completed taper")
    clinic.meds.change_dose(med.id, amount="12", effective_on=TODAY, reason="Cravings", expected_version=med.version)

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    dialog = tab.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert form.isVisible() and "changed by prescriber" in form.message_label.text()
    rows = cells(dialog)
    assert rows["Dose"] == ("12 mg", "8 mg")
    assert rows["Reason for stopping"] == ("", "Completed taper")
    assert clinic.meds.medications(client_id)[0].stopped_on is None

    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    dialog.reject()
    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    stored = clinic.meds.medications(client_id)[0]
    assert (stored.stopped_on, stored.stop_reason, str(stored.amount)) == (TODAY, "Completed taper", "12")


def test_a_dose_change_after_one_elsewhere_keep_theirs_closes_the_form(qtbot, medicated):
    """Both prescribers change the dose; the second sees 12 mg next to her 10 mg, and "Keep theirs"
    closes her form with only the first change in the dose history."""
    clinic, client_id, med = medicated
    tab = MedsTab(clinic, Operations(), client_id)
    qtbot.addWidget(tab)
    tab.show()
    form = tab.change_dose()
    qtbot.waitUntil(form.isVisible)
    form.fields["amount"].setValue(10)
    qtbot.keyClicks(form.fields["reason"], "Sedation")
    clinic.meds.change_dose(med.id, amount="12", effective_on=TODAY, reason="Cravings", expected_version=med.version)

    qtbot.mouseClick(form.save_button, Qt.MouseButton.LeftButton)
    dialog = tab.conflict_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert cells(dialog)["Dose"] == ("12 mg", "10 mg")
    assert cells(dialog)["Reason for the change"] == ("", "Sedation")
    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert not form.isVisible()
    assert [str(d.amount) for d in clinic.meds.dose_history(med.id)] in (["12", "8"], ["8", "12"])
