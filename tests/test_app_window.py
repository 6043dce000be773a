"""The main window over a real clinic file, and the launcher's two paths (app or admin CLI).

Each test gets its own clinic in tmp_path (SQLite only: the backends are covered by the service
tests) and its own QSettings file, so nothing touches the user's real data folder or UI settings.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from PySide6.QtCore import QRect, QSettings, Qt, QTimer
from PySide6.QtWidgets import QLabel, QMessageBox

import iopdesk
import ui.main_window
from ui.app import parse_args, run_app
from ui.main_window import SECTIONS, MainWindow

NAV_TITLES = ["Today", "Clients", "Groups", "Billing", "Admin"]


@pytest.fixture
def clinic(sqlite_clinic):
    """A fresh SQLite clinic in tmp_path (conftest) with its first administrator."""
    sqlite_clinic.users.add("admin", "correct horse", display_name="Ada Admin", roles=["admin"])
    return sqlite_clinic


@pytest.fixture
def ui_settings(tmp_path):
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(qtbot, clinic, ui_settings):
    window = MainWindow(clinic, settings=ui_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _nav_titles(window: MainWindow) -> list[str]:
    nav = window.navigation
    return [nav.item(row).text() for row in range(nav.count())]


def test_window_names_the_clinic_site_and_database(window, clinic):
    """The title names the clinic; the status bar names the site code and the database."""
    info = clinic.info()
    assert info.clinic_name in window.windowTitle()
    status = window.statusBar().findChild(QLabel, "statusText").text()
    assert info.site_code in status
    assert info.database in status
    assert status.startswith("Site: ")


def test_navigation_lists_the_five_sections_and_switches_page(qtbot, window):
    """Clicking Clients in the section list shows the Clients page."""
    assert _nav_titles(window) == NAV_TITLES
    assert window.current_section() == "today"
    nav = window.navigation
    rect = nav.visualItemRect(nav.item(NAV_TITLES.index("Clients")))
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.current_section() == "clients"
    assert window.pages.currentWidget().objectName() == "clientsPage"


def test_keyboard_moves_between_sections(qtbot, window):
    """Arrow keys in the section list and Ctrl+number both change the section."""
    window.navigation.setFocus()
    qtbot.keyClick(window.navigation, Qt.Key.Key_Down)
    assert window.current_section() == "clients"
    qtbot.keyClick(window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert window.current_section() == "billing"
    window.show_section("today")
    assert window.pages.currentWidget().objectName() == "todayPage"


def test_today_shows_counts_but_no_client_names(qtbot, clinic, ui_settings):
    """The welcome panel counts clients and staff; no client's name appears anywhere."""
    clinic.login("admin", "correct horse")
    clinic.clients.register(legal_first="Zelda", legal_last="Quillfeather", dob="1990-04-02")
    window = MainWindow(clinic, settings=ui_settings)
    qtbot.addWidget(window)
    info = clinic.info()
    assert window.clients_value.text() == "1"
    assert window.staff_value.text() == "1"
    assert window.schema_value.text() == str(info.schema_version)
    assert window.database_value.text() == info.database
    assert info.site_code in window.site_value.text()
    texts = " ".join(label.text() for label in window.findChildren(QLabel))
    assert info.clinic_name in texts
    assert "Zelda" not in texts and "Quillfeather" not in texts


def test_accessible_names_on_navigation_and_pages(window):
    """Screen readers hear what the section list and the page area are."""
    assert window.navigation.accessibleName()
    assert window.pages.accessibleName()
    for index, key in enumerate(SECTIONS):
        assert window.pages.widget(index).accessibleName() == NAV_TITLES[index], key
    assert not window.windowIcon().isNull()


def test_geometry_is_remembered_for_the_next_window(qtbot, clinic, ui_settings):
    """Closing the window saves its size; the next window opens at that size."""
    first = MainWindow(clinic, settings=ui_settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.setGeometry(QRect(40, 50, 643, 457))
    qtbot.waitUntil(lambda: first.size().width() == 643)
    first.close()
    assert ui_settings.value("main_window/geometry") is not None

    second = MainWindow(clinic, settings=ui_settings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (643, 457)


def test_parse_args_takes_db_in_both_spellings():
    assert parse_args([])[0].db is None
    assert parse_args(["--db", "sqlite:///x.sqlite"])[0].db == "sqlite:///x.sqlite"
    assert parse_args(["--db=postgresql://u@h/d"])[0].db == "postgresql://u@h/d"


@pytest.fixture
def restore_qapp(qapp):
    """run_app names and styles the (shared) QApplication; put it back afterwards."""
    saved = (qapp.styleSheet(), qapp.organizationName(), qapp.applicationName(), qapp.windowIcon())
    yield qapp
    qapp.setStyleSheet(saved[0])
    qapp.setOrganizationName(saved[1])
    qapp.setApplicationName(saved[2])
    qapp.setWindowIcon(saved[3])


def test_run_app_opens_the_clinic_in_the_main_window(restore_qapp, tmp_path, monkeypatch):
    """`iopdesk --db=PATH` opens that clinic's window and exits 0 when it closes."""
    qapp = restore_qapp
    monkeypatch.setattr(ui.main_window, "ui_settings",
                        lambda: QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    seen = []

    def close_main_window():
        for widget in qapp.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                seen.append(widget.windowTitle())
                widget.close()  # the last window closing ends app.exec(); a second quit() here
                # would leave a stray quit event that stops later tests' event loops at once

    QTimer.singleShot(0, close_main_window)
    assert run_app([f"--db={tmp_path / 'c.sqlite'}"]) == 0
    assert seen == ["IOP Desk — IOP Desk clinic"]
    assert (tmp_path / "c.sqlite").exists()
    assert "#navigation" in qapp.styleSheet()


def test_unopenable_clinic_shows_one_message_and_exits_2(restore_qapp, tmp_path, monkeypatch):
    """A database in a missing folder gives a readable message box, not a traceback."""
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda *a, **k: shown.append(a))
    code = run_app(["--db", str(tmp_path / "no-such-folder" / "c.sqlite")])
    assert code == 2
    assert len(shown) == 1
    assert "no-such-folder" in shown[0][2]
    assert "Traceback" not in shown[0][2]


def test_admin_cli_runs_without_pyside6(tmp_path):
    """`iopdesk check` and `iopdesk --version` work on a server with no Qt at all."""
    db = str(tmp_path / "c.sqlite")
    iopdesk.open_clinic(db).close()

    result = subprocess.run([sys.executable, "-m", "ui.launcher", "--db", db, "check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "schema: ok" in result.stdout

    snippet = textwrap.dedent(f"""
        import contextlib, io, sys
        import iopdesk.cli
        import ui.launcher
        assert iopdesk.cli.main(["--db", {db!r}, "check"]) == 0
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            try:
                ui.launcher.main(["--version"])
            except SystemExit as exc:
                assert exc.code in (0, None), exc.code
        assert out.getvalue().startswith("IOP Desk "), out.getvalue()
        assert "PySide6" not in sys.modules, "the admin CLI imported PySide6"
        print("no-qt-ok")
    """)
    result = subprocess.run([sys.executable, "-c", snippet], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    assert "no-qt-ok" in result.stdout
