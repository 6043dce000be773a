"""Two workstations on the same draft discharge: the wizard's later save opens both versions of
the draft, the first save stays in the database, and the clinician chooses whose to keep."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from iopdesk.kernel import clock
from tests.conftest import admit_marisol
from tests.ui.attestations import answer_attestations
from ui.chart.discharge_wizard import NARRATIVE_PAGE, REFERRALS_PAGE, SIGN_PAGE, DischargeWizard
from ui.concurrent_edit_dialog import MINE, THEIRS
from ui.operations import Operations

TODAY = clock.today()


@pytest.fixture
def discharge_draft(clinician_sqlite):
    """(clinic, episode, discharge view): Marisol admitted 14 days ago, a draft discharge for today."""
    clinic = clinician_sqlite
    _client, episode = admit_marisol(clinic)
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="transferred",
                                     reason_detail="Needs more structure.")
    return clinic, episode, view


@pytest.fixture(autouse=True)
def yes_to_everything(monkeypatch):
    """Every confirmation (close for now?) is answered Yes, every attestation Sign."""
    answer_attestations(monkeypatch)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: QMessageBox.StandardButton.Ok)


def open_wizard(qtbot, clinic, episode, view, page: int) -> DischargeWizard:
    wizard = DischargeWizard(clinic, Operations(), episode, view, client_name="Marisol Quintana-Reyes")
    wizard.setStartId(page)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitUntil(wizard.isVisible)
    return wizard


def cells(dialog) -> dict[str, tuple[str, str]]:
    table = dialog.table
    return {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}


def test_aftercare_plan_saved_elsewhere_shows_both_and_copy_mine_saves_on_the_next_try(qtbot, discharge_draft):
    """A colleague saved the aftercare plan first; this wizard's save shows both plans, keeps the
    colleague's in the database, and after "Copy mine" the clinician's text saves."""
    clinic, episode, view = discharge_draft
    wizard = open_wizard(qtbot, clinic, episode, view, NARRATIVE_PAGE)
    page = wizard.narrative_page
    clinic.discharge.update_summary_text(view.id, expected_version=view.version,
                                         aftercare="Weekly outpatient counseling at Lakeside.")
    qtbot.keyClicks(page.aftercare_edit, "Step up to PHP; crisis line given.")
    assert page.save() is False
    dialog = wizard.concurrent_edit_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert "changed by clinician" in dialog.message_label.text()
    assert cells(dialog)["Aftercare plan"] == ("Weekly outpatient counseling at Lakeside.",
                                               "Step up to PHP; crisis line given.")
    assert cells(dialog)["Reason"][0] == cells(dialog)["Reason"][1] != ""
    assert clinic.discharge.get(view.id).aftercare == "Weekly outpatient counseling at Lakeside."
    dialog.grab().save("/tmp/ce/discharge_aftercare_conflict.png")
    assert page.save() is False  # no choice made yet: refused again, nothing overwritten

    dialog = wizard.concurrent_edit_dialog
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == MINE
    assert page.aftercare_edit.toPlainText() == "Step up to PHP; crisis line given."
    dialog.reject()
    assert page.save() is True
    assert clinic.discharge.get(view.id).aftercare == "Step up to PHP; crisis line given."


def test_referral_added_elsewhere_keep_theirs_shows_their_list_and_clears_mine(qtbot, discharge_draft):
    """Both workstations add a referral; the second is refused with both lists, nothing of it is
    saved, and "Keep theirs" shows the stored list with the referral being typed cleared."""
    clinic, episode, view = discharge_draft
    wizard = open_wizard(qtbot, clinic, episode, view, REFERRALS_PAGE)
    page = wizard.referrals_page
    clinic.discharge.add_referral(view.id, expected_version=view.version, provider="Lakeside PHP",
                                  service="Partial hospitalization")
    qtbot.keyClicks(page.provider_edit, "Dr. Ortiz")
    qtbot.keyClicks(page.service_box, "Psychiatry")
    qtbot.mouseClick(page.add_button, Qt.MouseButton.LeftButton)
    dialog = wizard.concurrent_edit_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert cells(dialog)["Aftercare referrals"] == ("Lakeside PHP (Partial hospitalization)",
                                                    "Dr. Ortiz (Psychiatry)")
    assert [r.provider for r in clinic.discharge.get(view.id).referrals] == ["Lakeside PHP"]

    qtbot.mouseClick(dialog.keep_button, Qt.MouseButton.LeftButton)
    assert dialog.choice == THEIRS
    assert [r.provider for r in page.model.rows()] == ["Lakeside PHP"]
    assert page.provider_edit.text() == ""
    assert wizard.view.version == clinic.discharge.get(view.id).version


def test_signing_a_discharge_changed_elsewhere_signs_nothing(qtbot, discharge_draft):
    """The draft changed on another workstation: signing shows both versions (draft vs signed) and
    the discharge stays a draft with the episode open."""
    clinic, episode, view = discharge_draft
    wizard = open_wizard(qtbot, clinic, episode, view, SIGN_PAGE)
    clinic.discharge.update_summary_text(view.id, expected_version=view.version, aftercare="Call on Monday.")
    wizard.sign_page.sign()
    dialog = wizard.concurrent_edit_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert cells(dialog)["Status"] == ("Draft", "Signed")
    assert cells(dialog)["Aftercare plan"] == ("Call on Monday.", "")
    assert clinic.discharge.get(view.id).status == "draft"
    assert clinic.episodes.get(episode.id).status == "active"
    dialog.grab().save("/tmp/ce/discharge_sign_conflict.png")
