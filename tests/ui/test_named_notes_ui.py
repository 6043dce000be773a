"""The Admin page's list of signed notes that name another client: the administrator finds them,
the supervisor adds an addendum to one; a clinician does not get the tab. Marisol's note that
names Jordan Blackwood was signed before signing checked names."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QTabWidget

from tests.conftest import ADMIN_PASSWORD, admit_marisol
from tests.domain.test_groups import admit
from tests.domain.test_name_signing import legacy_note
from ui.admin_page import AdminPage
from ui.named_notes_page import NamedNotesPage
from ui.operations import Operations


@pytest.fixture
def named(clinician_sqlite, monkeypatch):
    """(clinic, Marisol, Jordan, the note naming him)."""
    clinic = clinician_sqlite
    client, _ = admit_marisol(clinic)
    jordan, _ = admit(clinic, "Jordan", "Blackwood")
    note_id = legacy_note(clinic, client.id, "Rode in with Jordan Blackwood.", monkeypatch)
    return clinic, client, jordan, note_id


def admin_page(qtbot, clinic, tmp_path, user: str) -> AdminPage:
    clinic.login(user, ADMIN_PASSWORD)
    page = AdminPage(clinic, Operations(), QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(page)
    page.show()
    return page


def open_named_notes(qtbot, page: AdminPage) -> NamedNotesPage:
    """Click the "Notes naming clients" tab of the Admin page."""
    tabs = page.findChild(QTabWidget, "adminTabs")
    bar = tabs.tabBar()
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == "&Notes naming clients")
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=bar.tabRect(index).center())
    assert tabs.currentWidget().objectName() == "namedNotesPage"
    return tabs.currentWidget()


def test_the_administrator_finds_the_note_with_whom_it_names_and_nothing_of_its_text(qtbot, qtmodeltester,
                                                                                  named, tmp_path):
    """Find notes lists Marisol's note: MRN and name, date, author, “Jordan Blackwood” (J.B.), where,
    its id; the administrator (who writes no notes) gets Copy note id but no Add addendum."""
    clinic, client, _, note_id = named
    page = admin_page(qtbot, clinic, tmp_path, "admin")
    named_page = open_named_notes(qtbot, page)
    qtbot.mouseClick(named_page.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: named_page.model.rowCount() == 1, timeout=5000)
    model = named_page.model
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells[0] == f"{client.mrn} · Marisol Quintana-Reyes" and cells[2] == "Individual"
    assert cells[3:] == ["Cleo Clinician", "“Jordan Blackwood” (J.B.)", "Data", "none", note_id]
    assert named_page.summary.text() == "Signed notes naming another client: 1 (read 1 of 1 signed notes)."
    assert "Rode in" not in " ".join(cells)
    assert not named_page.addendum_button.isVisible() and named_page.copy_button.isEnabled()
    qtmodeltester.check(model)


def test_the_supervisor_adds_an_addendum_from_the_list(qtbot, named, tmp_path):
    """Sam Supervisor finds the note and adds an addendum; the row shows it; the note has it."""
    clinic, _, _, note_id = named
    page = admin_page(qtbot, clinic, tmp_path, "supervisor")
    named_page = open_named_notes(qtbot, page)
    qtbot.mouseClick(named_page.find_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: named_page.model.rowCount() == 1, timeout=5000)
    assert named_page.addendum_button.isVisible()
    qtbot.mouseClick(named_page.addendum_button, Qt.MouseButton.LeftButton)
    dialog = named_page.addendum_dialog
    qtbot.keyClicks(dialog.text_edit, "Another client's name was written in error; it is not part of this record.")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert named_page.model.index(0, 6).data() == "1"
    assert [a.author for a in clinic.notes.get(note_id).addenda] == ["Sam Supervisor"]


def test_a_clinician_gets_no_list_of_notes_naming_clients(qtbot, named, tmp_path):
    """The clinician's Admin page has no such tab (the domain refuses the read anyway)."""
    clinic, *_ = named
    page = admin_page(qtbot, clinic, tmp_path, "clinician")
    assert page.findChild(NamedNotesPage, "namedNotesPage") is None
