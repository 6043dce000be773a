"""The Admin page's Duplicate clients tab: the administrator picks the pair registered twice, sees
both charts side by side with what will move, confirms, and the old MRN finds the chart kept; a
pair that needs a clinician first keeps Merge off; a clinician has no such tab."""

from __future__ import annotations

import uuid

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QMessageBox, QTabWidget

from iopdesk.models import Client
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_backup import YESTERDAY, write_note
from ui.admin_page import AdminPage
from ui.client_merge_dialog import DuplicateClientsPage
from ui.client_search_model import MRN, ClientSearchTableModel
from ui.operations import Operations


@pytest.fixture
def twice(clinician_sqlite):
    """Dana registered twice; the second chart has an episode and a signed note."""
    clinic = clinician_sqlite
    kept, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03", sex="F")
    again, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03", sex="F",
                                       allow_duplicate=True)
    clinic.episodes.admit(again.id, admitted_on=YESTERDAY, track_code="substance_use", level="2.1",
                          primary_clinician="clinician")
    write_note(clinic, again.id)
    return clinic, kept, again


def duplicates_tab(qtbot, clinic, tmp_path, user: str) -> tuple[AdminPage, DuplicateClientsPage | None]:
    clinic.login(user, ADMIN_PASSWORD)
    page = AdminPage(clinic, Operations(), QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(page)
    page.show()
    tabs = page.findChild(QTabWidget, "adminTabs")
    found = [tabs.widget(i) for i in range(tabs.count()) if tabs.tabText(i) == "D&uplicate clients"] if tabs else []
    if not found:
        return page, None
    tabs.setCurrentWidget(found[0])
    return page, found[0]


def test_the_administrator_merges_the_pair_registered_twice(qtbot, twice, tmp_path, monkeypatch):
    clinic, kept, again = twice
    page, duplicates = duplicates_tab(qtbot, clinic, tmp_path, "admin")
    assert duplicates.pairs.count() == 1
    duplicates.pairs.setCurrentRow(0)
    assert (duplicates.keep_edit.text(), duplicates.merge_edit.text()) == (kept.mrn, again.mrn)
    dialog = duplicates.open_dialog()
    qtbot.waitExposed(dialog)
    assert dialog.merge_button.isEnabled()
    assert "Moves to the kept chart: episodes of care (1), notes (1)." in dialog.moves_label.text()
    dialog.grab().save(str(tmp_path / "merge_dialog.png"))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    dialog.merge_button.click()
    qtbot.waitUntil(lambda: duplicates.pairs.count() == 0, timeout=5000)
    assert duplicates.message.text() == f"{again.mrn} was merged into {kept.mrn}; {again.mrn} now finds {kept.mrn}."
    assert Client.get_by_id(uuid.UUID(again.id)).merged_into_id == uuid.UUID(kept.id)
    assert clinic.clients.by_mrn(again.mrn).id == kept.id
    results = ClientSearchTableModel()
    results.set_rows(clinic.clients.search(again.mrn))
    assert results.index(0, MRN).data() == f"{kept.mrn} (merged from {again.mrn})"
    page.grab().save(str(tmp_path / "duplicates_tab.png"))
    clinic.close()


def test_two_active_episodes_keep_merge_off_and_say_why(qtbot, twice, tmp_path):
    clinic, kept, again = twice
    clinic.episodes.admit(kept.id, admitted_on=YESTERDAY, track_code="substance_use", level="2.1",
                          primary_clinician="clinician")
    _, duplicates = duplicates_tab(qtbot, clinic, tmp_path, "admin")
    duplicates.keep_edit.setText(kept.mrn)
    duplicates.merge_edit.setText(again.mrn)
    dialog = duplicates.open_dialog()
    assert not dialog.merge_button.isEnabled()
    assert "both charts have an active episode of care" in dialog.problems_label.text()
    duplicates.merge_edit.setText("NOPE-1")
    assert duplicates.open_dialog() is None and "No client with MRN 'NOPE-1'" in duplicates.message.text()
    clinic.close()


def test_a_clinician_has_no_duplicate_clients_tab(qtbot, twice, tmp_path):
    clinic, _, _ = twice
    _, duplicates = duplicates_tab(qtbot, clinic, tmp_path, "clinician")
    assert duplicates is None
    clinic.close()
