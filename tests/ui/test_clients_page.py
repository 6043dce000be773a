"""The Clients page driven as a clinician would: search as you type, open a chart from the keyboard,
register a client (with the duplicate check and field errors), and recent clients remembered.

Each test has its own SQLite clinic copied from the staffed template and its own QSettings file.
"""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, Qt

import iopdesk
from tests.conftest import ADMIN_PASSWORD
from ui.client_search_model import ClientSearchTableModel
from ui.clients_page import RECENT_KEY, ClientsPage
from ui.operations import Operations


@pytest.fixture
def desk(tmp_path, clinic_file):
    """A clinic with three registered clients and the clinician signed in."""
    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", ADMIN_PASSWORD)
    for first, last, dob in (("Marisol", "Quintana", "1991-04-12"), ("Mark", "Quinn", "1985-02-01"),
                             ("Dana", "Whitfield", "1970-11-30")):
        clinic.clients.register(legal_first=first, legal_last=last, dob=dob)
    yield clinic
    clinic.close()


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def clients_page(qtbot, desk, settings):
    page = ClientsPage(desk, Operations(), settings=settings)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitExposed(page)
    yield page
    for window in list(page.chart_windows.values()):
        window.close()


def _names(model) -> list[str]:
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_typing_part_of_a_name_lists_matching_clients(qtbot, clients_page):
    """Typing "qui" finds both Quintana and Quinn, sorted by last name, with MRN and date of birth."""
    clients_page.focus_search()
    qtbot.keyClicks(clients_page.search_edit, "qui")
    qtbot.waitUntil(lambda: clients_page.model.rowCount() == 2, timeout=1000)
    assert _names(clients_page.model) == ["Mark Quinn", "Marisol Quintana"]
    assert clients_page.model.index(0, 2).data() == "02/01/1985"
    assert clients_page.model.index(0, 1).data().startswith("MAIN-")


def test_down_and_enter_open_the_chart_of_the_chosen_client(qtbot, clients_page):
    """Down moves from the search box into the results; Enter opens that client's chart window."""
    clients_page.focus_search()
    qtbot.keyClicks(clients_page.search_edit, "whit")
    qtbot.keyClick(clients_page.search_edit, Qt.Key.Key_Down)
    assert clients_page.results.hasFocus()
    qtbot.keyClick(clients_page.results, Qt.Key.Key_Return)
    assert len(clients_page.chart_windows) == 1
    window = next(iter(clients_page.chart_windows.values()))
    assert "Dana Whitfield" in window.windowTitle()
    assert window.windowTitle().startswith("MAIN-")


def test_opening_the_same_chart_twice_raises_the_open_window(qtbot, clients_page, desk):
    """A client has one chart window: opening it again returns the same window."""
    client = desk.clients.search("whitfield")[0]
    first = clients_page.open_chart(client.id)
    assert clients_page.open_chart(client.id) is first
    assert len(clients_page.chart_windows) == 1


def test_recent_clients_are_remembered_by_id_across_pages(qtbot, clients_page, desk, settings):
    """Opened charts appear under Recent clients, newest first, also on a new page; only ids are stored."""
    quinn = desk.clients.search("quinn")[0]
    whitfield = desk.clients.search("whitfield")[0]
    clients_page.open_chart(quinn.id)
    clients_page.open_chart(whitfield.id)
    stored = settings.value(RECENT_KEY)
    assert stored == [whitfield.id, quinn.id]
    assert not any("Quinn" in str(value) for value in stored)

    again = ClientsPage(desk, Operations(), settings=settings)
    qtbot.addWidget(again)
    texts = [again.recent_list.item(row).text() for row in range(again.recent_list.count())]
    assert texts[0].startswith("Dana Whitfield") and texts[1].startswith("Mark Quinn")


def test_recent_clients_skip_ids_that_no_longer_exist(qtbot, desk, settings):
    """A stored id that matches no client is left out of the list instead of failing."""
    settings.setValue(RECENT_KEY, ["00000000-0000-0000-0000-000000000000", "not-an-id"])
    page = ClientsPage(desk, Operations(), settings=settings)
    qtbot.addWidget(page)
    assert page.recent_list.count() == 0


def test_search_table_model_passes_the_model_tester(qtmodeltester, desk):
    """ClientSearchTableModel behaves as Qt's model tester expects, empty and with rows."""
    model = ClientSearchTableModel()
    qtmodeltester.check(model)
    model.set_rows(desk.clients.search("q"))
    assert model.rowCount() == 2
    qtmodeltester.check(model)


def _open_register_dialog(qtbot, page):
    page.focus_search()
    qtbot.keyClick(page.search_edit, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    dialog = page.register_dialog
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    return dialog


def _type_client(qtbot, dialog, first: str, last: str, dob_digits: str) -> None:
    qtbot.keyClicks(dialog.first_edit, first)
    qtbot.keyClicks(dialog.last_edit, last)
    dialog.preferred_edit.setFocus()
    qtbot.keyClick(dialog.preferred_edit, Qt.Key.Key_Tab)  # Tab into the date of birth selects it
    assert dialog.dob_edit.line_edit.hasFocus()
    qtbot.keyClicks(dialog.dob_edit.line_edit, dob_digits)


def test_registering_a_client_from_the_keyboard_opens_their_chart(qtbot, clients_page, desk):
    """Ctrl+N, name and date of birth typed, Save: the client is in the database and their chart opens."""
    dialog = _open_register_dialog(qtbot, clients_page)
    _type_client(qtbot, dialog, "Rosa", "Delgado", "07/04/1988")
    qtbot.keyClicks(dialog.pronouns_edit, "she/her")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    [row] = desk.clients.search("rosa delgado")
    assert row.dob.isoformat() == "1988-07-04"
    assert desk.clients.summary(row.id, audit_read=False).pronouns == "she/her"
    assert row.id in clients_page.chart_windows
    assert desk.episodes.current(row.id) is None


def test_same_name_and_birth_date_warns_and_register_anyway_creates_a_second(qtbot, clients_page, desk):
    """Registering Marisol Quintana again lists the existing MRN; "Register anyway" makes a second record."""
    existing = desk.clients.search("marisol quintana")[0]
    dialog = _open_register_dialog(qtbot, clients_page)
    _type_client(qtbot, dialog, "Marisol", "Quintana", "04121991")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.duplicate_frame.isVisible()
    assert existing.mrn in dialog.duplicate_label.text()
    assert len(desk.clients.search("marisol quintana")) == 1
    qtbot.mouseClick(dialog.register_anyway_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert len(desk.clients.search("marisol quintana")) == 2


def test_open_existing_from_the_duplicate_warning_opens_that_chart(qtbot, clients_page, desk):
    """"Open existing" registers nothing and opens the matching client's chart."""
    existing = desk.clients.search("marisol quintana")[0]
    dialog = _open_register_dialog(qtbot, clients_page)
    _type_client(qtbot, dialog, "marisol", "quintana", "04121991")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.mouseClick(dialog.open_existing_button, Qt.MouseButton.LeftButton)
    assert list(clients_page.chart_windows) == [existing.id]
    assert len(desk.clients.search("marisol quintana")) == 1


def test_future_birth_date_shows_under_the_field_and_saves_nothing(qtbot, clients_page, desk):
    """A date of birth in the future is refused under the date field, which gets the focus."""
    before = desk.clients.count()
    dialog = _open_register_dialog(qtbot, clients_page)
    _type_client(qtbot, dialog, "Future", "Person", "12312099")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert dialog.errors["dob"].isVisible()
    assert "future" in dialog.errors["dob"].text()
    assert dialog.focusWidget() is dialog.dob_edit.line_edit
    assert desk.clients.count() == before


def test_register_and_admit_in_one_click(qtbot, clients_page, desk):
    """With "Admit now" checked, Save registers and admits under the signed-in clinician at 2.1."""
    dialog = _open_register_dialog(qtbot, clients_page)
    _type_client(qtbot, dialog, "Theo", "Banks", "03031979")
    dialog.admit_group.setChecked(True)
    dialog.days_spin.setFocus()
    qtbot.keyClick(dialog.days_spin, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.days_spin, Qt.Key.Key_Down)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    [row] = desk.clients.search("theo banks")
    episode = desk.episodes.current(row.id)
    assert (episode.level_of_care, episode.days_per_week) == ("2.1", 3)
    assert episode.schedule_days == ("MON", "TUE", "WED")
    assert episode.primary_clinician_id == str(desk.actor.id)


def test_failed_admission_keeps_the_registration_and_says_so(qtbot, clients_page, desk):
    """An admission the domain refuses leaves the client registered; the dialog names their MRN."""
    dialog = _open_register_dialog(qtbot, clients_page)
    _type_client(qtbot, dialog, "Ida", "Marsh", "05051965")
    dialog.admit_group.setChecked(True)
    dialog.clinician_combo.setEditText("biller")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    [row] = desk.clients.search("ida marsh")
    assert row.mrn in dialog.message_label.text()
    assert dialog.errors["primary_clinician"].isVisible()
    assert desk.episodes.current(row.id) is None
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert row.id in clients_page.chart_windows


def test_a_closed_chart_can_be_opened_again(qtbot, clients_page, desk):
    """Closing a chart window forgets it; opening the client again gives a new window."""
    client = desk.clients.search("whitfield")[0]
    first = clients_page.open_chart(client.id)
    assert clients_page.close_charts()
    assert clients_page.chart_windows == {}
    second = clients_page.open_chart(client.id)
    assert second is not first and second.isVisible()
