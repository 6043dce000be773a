"""The Admin page's sync and conflicts, and the status bar's sync note, over a real main clinic
and a satellite made from it (both SQLite files in tmp_path).

One process has one current clinic, so each fixture prepares the main clinic first (opening and
closing it), makes the satellite with `join_as_satellite` (which opens its own connection), and
opens the clinic the window uses last.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFileDialog, QLabel, QMessageBox, QPushButton

import iopdesk
from iopdesk.models import Client
from iopdesk.services.sync import join_as_satellite
from iopdesk.storage.records import update_versioned
from tests.conftest import ADMIN_PASSWORD
from ui.conflicts_model import ConflictsTableModel
from ui.main_window import MainWindow
from ui.sync_panel import MAIN_URL_KEY


def _set_phone(client_id: str, phone: str) -> None:
    row = Client.get(Client.id == client_id)
    update_versioned(row, row.version, phone=phone)


class Sites:
    """Paths of a main clinic and its satellite NORTH, and the client both know."""

    def __init__(self, tmp_path: Path, template: str) -> None:
        self.main = str(tmp_path / "main.sqlite")
        self.north = str(tmp_path / "north.sqlite")
        shutil.copyfile(template, self.main)
        with iopdesk.open_clinic(self.main) as main:
            main.login("admin", ADMIN_PASSWORD)
            summary, _ = main.clients.register(legal_first="Ann", legal_last="Shared", dob=dt.date(1990, 1, 1))
            self.client_id = summary.id
        join_as_satellite(self.main, self.north, site_code="NORTH", site_name="North clinic")
        with iopdesk.open_clinic(self.main) as main:  # a satellite holds the clients shared with it
            main.login("admin", ADMIN_PASSWORD)
            main.sync.share(summary.mrn, "NORTH", reason="seen at both sites")
        with iopdesk.open_clinic(self.north) as north:
            north.login("admin", ADMIN_PASSWORD)
            north.sync.sync_with(self.main)

    def at_main(self, work) -> None:
        """Do `work(main_clinic)` at the main clinic, signed in as its admin."""
        with iopdesk.open_clinic(self.main) as main:
            main.login("admin", ADMIN_PASSWORD)
            work(main)


@pytest.fixture
def sync_sites(tmp_path, staffed_sqlite_template):
    return Sites(tmp_path, staffed_sqlite_template)


def _open(path: str, user: str = "admin"):
    clinic = iopdesk.open_clinic(path)
    clinic.login(user, ADMIN_PASSWORD)
    return clinic


@pytest.fixture
def window_at(qtbot, ui_settings):
    opened = []

    def make(path: str, user: str = "admin") -> MainWindow:
        clinic = _open(path, user)
        opened.append(clinic)
        window = MainWindow(clinic, settings=ui_settings)
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        window.show_section("admin")
        return window

    yield make
    for clinic in opened:
        clinic.close()


def _focus(qtbot, window, widget) -> None:
    window.activateWindow()
    widget.setFocus()
    qtbot.waitUntil(widget.hasFocus, timeout=1000)


def _wait_idle(qtbot, window) -> None:
    qtbot.waitUntil(lambda: not window.ops.busy and not window.page("admin").sync_panel.running, timeout=10_000)


def test_satellite_admin_syncs_now_and_status_bar_updates(qtbot, sync_sites, window_at):
    """At NORTH the admin types the main clinic's path, presses Sync now, and gets the main's new client."""
    sync_sites.at_main(lambda main: main.clients.register(legal_first="Nora", legal_last="Newcomer",
                                                     dob=dt.date(1985, 5, 5), site_code="NORTH"))
    window = window_at(sync_sites.north)
    clinic = window.clinic
    page = window.page("admin")
    status_label = window.statusBar().findChild(QLabel, "syncStatusText")
    assert not status_label.isHidden()
    assert clinic.clients.search("Newcomer") == []
    before = clinic.sync.status().last_sync_at

    panel = page.sync_panel
    qtbot.keyClicks(panel.address_edit, sync_sites.main)
    qtbot.mouseClick(panel.sync_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, window)

    assert "Synced" in panel.result_label.text() and "received" in panel.result_label.text()
    assert [row.legal_name for row in clinic.clients.search("Newcomer")] == ["Nora Newcomer"]
    status = clinic.sync.status()
    assert status.last_sync_at > before
    assert status_label.text() == status_label.status_text(status)
    assert status_label.text().startswith("Synced ") and "pending" in status_label.text()
    assert window.settings.value(MAIN_URL_KEY) == sync_sites.main


def test_status_bar_click_opens_admin(qtbot, sync_sites, window_at):
    """Clicking the sync note in the status bar shows the Admin section."""
    window = window_at(sync_sites.north)
    window.show_section("today")
    label = window.sync_status_label
    qtbot.mouseClick(label, Qt.MouseButton.LeftButton)
    assert window.current_section() == "admin"


def test_bad_main_address_is_explained(qtbot, sync_sites, window_at):
    """A main clinic address with no database file says so next to the buttons, without a traceback."""
    window = window_at(sync_sites.north)
    panel = window.page("admin").sync_panel
    _focus(qtbot, window, panel.address_edit)
    qtbot.keyClicks(panel.address_edit, sync_sites.main + ".missing")
    qtbot.keyClick(panel.address_edit, Qt.Key.Key_F5)
    assert "no database file" in panel.result_label.text()
    assert not Path(sync_sites.main + ".missing").exists()


@pytest.fixture
def conflicted(sync_sites):
    """Main and NORTH both changed Ann Shared's phone, then synced: one conflict waits."""
    sync_sites.at_main(lambda _main: _set_phone(sync_sites.client_id, "555-0100"))
    with iopdesk.open_clinic(sync_sites.north) as north:
        north.login("admin", ADMIN_PASSWORD)
        _set_phone(sync_sites.client_id, "555-0200")
        north.sync.sync_with(sync_sites.main)
    return sync_sites


def _answer(monkeypatch, button) -> list[str]:
    """Answer the confirmation with `button`; returns the questions asked."""
    asked = []

    def question(_parent, title, text, *_args):
        asked.append(f"{title}\n{text}")
        return button

    monkeypatch.setattr(QMessageBox, "question", question)
    return asked


def test_admin_settles_a_conflict_with_the_other_value(qtbot, conflicted, window_at, monkeypatch, tmp_path):
    """The admin reads the phone conflict in the clinic's words, presses Take theirs, cancels
    once, then confirms: the record takes the other value and the conflict is resolved."""
    window = window_at(conflicted.north)
    clinic = window.clinic
    panel = window.page("admin").conflicts_panel
    assert panel.model.rowCount() == 1
    conflict = panel.model.conflict_at(0)
    cells = [panel.model.index(0, column).data() for column in range(panel.model.columnCount())]
    assert cells[:3] == ["Ann Shared (MAIN-000001)", "Client record", "phone"]
    assert set(cells[3:5]) == {"555-0100", "555-0200"} and cells[5] == "NORTH / MAIN"
    assert "Ada Admin" in panel.model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole) or "someone" in (
        panel.model.index(0, 3).data(Qt.ItemDataRole.ToolTipRole))
    assert "waiting: 1" in panel.table_title.text()
    assert "1 conflict" in window.sync_status_label.text()
    window.resize(1280, 860)
    window.show_section("admin")
    window.grab().save(str(tmp_path / "admin-conflicts.png"))
    other = conflict.other_value

    panel.view.setFocus()
    qtbot.keyClick(panel.view, Qt.Key.Key_Home)
    assert panel.other_button.isEnabled()
    asked = _answer(monkeypatch, QMessageBox.StandardButton.Cancel)
    qtbot.mouseClick(panel.other_button, Qt.MouseButton.LeftButton)
    assert len(clinic.sync.conflicts()) == 1
    assert asked[0].startswith("Take theirs?\nAnn Shared (MAIN-000001), client record\nphone")
    assert f"The record will hold: {other}" in asked[0]
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(panel.other_button, Qt.MouseButton.LeftButton)

    assert clinic.sync.conflicts() == []
    assert Client.get(Client.id == conflicted.client_id).phone == other
    settled = clinic.sync.conflicts(include_resolved=True)
    assert [(c.status, c.resolution, c.resolved_by) for c in settled] == [("resolved", "other", "admin")]
    assert panel.message.text() == "Ann Shared (MAIN-000001), client record, phone: took theirs."
    assert panel.model.rowCount() == 0 and not panel.other_button.isEnabled()
    assert "conflict" not in window.sync_status_label.text()

    qtbot.mouseClick(panel.show_resolved_check, Qt.MouseButton.LeftButton)
    assert panel.model.rowCount() == 1
    assert panel.model.index(0, 7).data() == "took theirs (admin)"
    assert not panel.keep_button.isEnabled()


def test_admin_keeps_mine_by_keyboard(qtbot, conflicted, window_at, monkeypatch):
    """From the conflicts table, Tab reaches Keep mine and Space (then Yes) keeps the row's value."""
    window = window_at(conflicted.north)
    clinic = window.clinic
    panel = window.page("admin").conflicts_panel
    kept = panel.model.conflict_at(0).kept_value
    _answer(monkeypatch, QMessageBox.StandardButton.Yes)
    _focus(qtbot, window, panel.view)
    qtbot.keyClick(panel.view, Qt.Key.Key_Tab)
    assert panel.keep_button.hasFocus()
    qtbot.keyClick(panel.keep_button, Qt.Key.Key_Space)
    assert clinic.sync.conflicts() == []
    assert Client.get(Client.id == conflicted.client_id).phone == kept
    assert "kept mine" in panel.message.text()


def test_administrators_today_lists_the_open_conflict_and_opens_admin(qtbot, conflicted, window_at, tmp_path):
    """Today shows an administrator "1 sync conflict to resolve"; Enter on it opens Admin."""
    window = window_at(conflicted.north)
    window.show_section("today")
    today = window.today_page
    qtbot.waitUntil(lambda: not today.is_loading() and today.caseload is not None, timeout=10_000)
    section = today.sections["sync_attention"]
    assert not section.isHidden() and not section.is_empty()
    assert section.view.model().index(0, 0).data() == "1 sync conflict to resolve"
    window.resize(1280, 860)
    window.grab().save(str(tmp_path / "today-sync-item.png"))
    section.view.setFocus()
    section.view.setCurrentIndex(section.view.model().index(0, 0))
    qtbot.keyClick(section.view, Qt.Key.Key_Return)
    assert window.current_section() == "admin"


def test_sync_file_export_then_import_through_the_page(qtbot, sync_sites, window_at, tmp_path, monkeypatch):
    """NORTH writes a sync file for the main clinic, then applies the one the main clinic wrote for it."""
    from_main = tmp_path / "MAIN-to-NORTH.iopsync"

    def write_for_north(main):
        main.clients.register(legal_first="Faye", legal_last="Fromfile", dob=dt.date(1979, 3, 3), site_code="NORTH")
        main.sync.export_file(from_main, for_site="NORTH", passphrase="usb stick")

    sync_sites.at_main(write_for_north)
    window = window_at(sync_sites.north)
    clinic = window.clinic
    panel = window.page("admin").sync_panel
    assert panel.site_combo.isHidden() and not panel.is_main
    qtbot.keyClicks(panel.passphrase_edit, "usb stick")

    to_main = tmp_path / "out" / "north"
    to_main.parent.mkdir()
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(to_main), ""))
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, window)
    written = Path(str(to_main) + ".iopsync")
    assert written.is_file() and written.stat().st_size > 0
    assert "Wrote" in panel.result_label.text() and str(written) in panel.result_label.text()

    assert clinic.clients.search("Fromfile") == []
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(from_main), ""))
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, window)
    assert "Imported" in panel.result_label.text(), panel.result_label.text()
    assert [row.legal_name for row in clinic.clients.search("Fromfile")] == ["Faye Fromfile"]


def test_wrong_passphrase_says_why_and_imports_nothing(qtbot, sync_sites, window_at, tmp_path, monkeypatch):
    """A sync file opened with the wrong passphrase is refused with the domain's words."""
    from_main = tmp_path / "MAIN-to-NORTH.iopsync"

    def write_for_north(main):
        main.clients.register(legal_first="Faye", legal_last="Fromfile", dob=dt.date(1979, 3, 3), site_code="NORTH")
        main.sync.export_file(from_main, for_site="NORTH", passphrase="right words")

    sync_sites.at_main(write_for_north)
    window = window_at(sync_sites.north)
    panel = window.page("admin").sync_panel
    qtbot.keyClicks(panel.passphrase_edit, "wrong words")
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(from_main), ""))
    qtbot.mouseClick(panel.import_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, window)
    assert panel.result_label.text().startswith("Import failed: ")
    assert "Traceback" not in panel.result_label.text()
    assert window.clinic.clients.search("Fromfile") == []
    assert all(button.isEnabled() for button in panel.buttons)


def test_main_clinic_writes_a_file_for_the_chosen_satellite(qtbot, sync_sites, window_at, tmp_path, monkeypatch):
    """At the main clinic the admin chooses NORTH and exports, encrypted: without a passphrase the
    page asks for one and writes nothing. Sync now is not offered there."""
    window = window_at(sync_sites.main)
    panel = window.page("admin").sync_panel
    assert panel.is_main and panel.sync_button.isHidden()
    assert panel.site_combo.currentData() == "NORTH"
    target = tmp_path / "for-north.iopsync"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(target), ""))
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    assert panel.result_label.text().startswith("File passphrase: a sync file is always encrypted")
    assert not target.exists()
    qtbot.keyClicks(panel.passphrase_edit, "usb stick")
    qtbot.mouseClick(panel.export_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, window)
    assert target.is_file() and b'"encryption"' in target.read_bytes()
    assert panel.peers_model.rowCount() == 1
    assert panel.peers_model.index(0, 0).data() == "North clinic (NORTH)"


def test_clinician_gets_no_sync_controls(qtbot, sync_sites, window_at):
    """A clinician's Admin page explains it is for administrators and offers no sync buttons."""
    window = window_at(sync_sites.north, user="clinician")
    page = window.page("admin")
    assert page.refused
    assert "administrators" in page.refusal_label.text()
    assert page.findChildren(QPushButton) == []
    assert not window.sync_status_label.isHidden()


def test_main_clinic_without_satellites_shows_no_sync_note(window_at, tmp_path, staffed_sqlite_template):
    """A clinic that does not sync keeps its status bar free of sync words."""
    path = tmp_path / "alone.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    window = window_at(str(path))
    assert window.sync_status_label.isHidden()
    assert window.page("admin").conflicts_panel.model.rowCount() == 0


def test_conflicts_model_passes_the_model_tester(qtmodeltester, conflicted):
    """The conflicts table model is a well-behaved Qt model, empty and with a conflict."""
    model = ConflictsTableModel()
    qtmodeltester.check(model)
    with iopdesk.open_clinic(conflicted.north) as north:
        north.login("admin", ADMIN_PASSWORD)
        model.set_conflicts(north.sync.conflicts())
    qtmodeltester.check(model)
    assert model.rowCount() == 1
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Client"
    assert model.index(0, 2).data() == "phone"
    for column in range(model.columnCount()):
        assert conflicted.client_id not in (model.index(0, column).data(Qt.ItemDataRole.ToolTipRole) or "")


def test_every_admin_control_has_a_name(sync_sites, window_at):
    """A screen reader can name every control on a satellite's and the main clinic's Admin page."""
    from tests.ui.test_accessibility import unnamed_controls

    for path in (sync_sites.north, sync_sites.main):
        window = window_at(path)
        assert unnamed_controls(window.page("admin")) == [], path
        window.close()


def test_admin_sets_after_how_many_days_a_silent_site_is_flagged(sync_sites, window_at):
    """Admin ▸ Clinic settings: the days box sets the program rule `sync.warn_after_days`."""
    window = window_at(sync_sites.main)
    panel = window.page("admin").settings_panel
    assert panel.sync_warning_box.value() == 3
    panel.sync_warning_box.setValue(7)
    assert window.clinic.settings.rule("sync.warn_after_days").value == 7
    assert "7 days" in panel.message.text()


def test_main_clinic_admin_retires_a_satellite_after_confirming(qtbot, sync_sites, window_at, monkeypatch):
    """At the main clinic the admin chooses North, presses Retire site…, confirms: North is shown
    retired in Other sites, can no longer be chosen, and its sync is refused."""
    from PySide6.QtWidgets import QMessageBox

    from iopdesk.errors import ValidationError

    with iopdesk.open_clinic(sync_sites.north) as north:
        north.login("admin", ADMIN_PASSWORD)
        north.sync.sync_with(sync_sites.main)
    window = window_at(sync_sites.main)
    panel = window.page("admin").sync_panel
    assert panel.retire_button.isVisible() and panel.site_combo.currentData() == "NORTH"
    asked = []
    monkeypatch.setattr(QMessageBox, "question", lambda parent, title, text, *a: asked.append(text)
                        or QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(panel.retire_button, Qt.MouseButton.LeftButton)
    _wait_idle(qtbot, window)

    assert "Retire North clinic (NORTH)?" in asked[0] and "records stay" in asked[0]
    assert panel.result_label.text().startswith("Retired North clinic (NORTH): its records stay")
    assert panel.peers_model.index(0, 1).data().startswith("retired ")
    assert panel.site_combo.count() == 0
    with iopdesk.open_clinic(sync_sites.north) as north:
        north.login("admin", ADMIN_PASSWORD)
        with pytest.raises(ValidationError, match="was retired"):
            north.sync.sync_with(sync_sites.main)


def test_main_admin_shares_a_client_with_the_satellite_from_the_admin_page(qtbot, sync_sites, window_at):
    """At the main clinic the admin types a client's MRN, keeps North and a reason, and shares the
    chart; sharing it again is refused in the result line, and ending the share says when it
    leaves North's file."""
    def register(main):
        summary, _ = main.clients.register(legal_first="Pia", legal_last="Held", dob=dt.date(1979, 7, 7))
        sync_sites.pia = summary.mrn

    sync_sites.at_main(register)
    window = window_at(sync_sites.main)
    panel = window.page("admin").share_panel
    assert panel.site_combo.currentData() == "NORTH"
    qtbot.keyClicks(panel.mrn_edit, sync_sites.pia)
    qtbot.keyClicks(panel.reason_edit, "joins the evening group at North")
    qtbot.mouseClick(panel.share_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "now shared with NORTH" in panel.result_label.text(), timeout=10_000)
    assert window.clinic.sync.shared_sites(sync_sites.pia) == ["NORTH"]
    qtbot.mouseClick(panel.share_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "already shared" in panel.result_label.text(), timeout=10_000)
    qtbot.mouseClick(panel.unshare_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "no longer shared" in panel.result_label.text(), timeout=10_000)
    assert window.clinic.sync.shared_sites(sync_sites.pia) == []
    panel.grab().save(str(Path(sync_sites.main).with_name("share-panel.png")))
