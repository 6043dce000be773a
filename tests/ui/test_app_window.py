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
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QLineEdit, QMessageBox

import iopdesk
import ui.main_window
from ui.app import parse_args, run_app
from ui.login_dialog import LoginDialog
from ui.main_window import SECTIONS, MainWindow

NAV_TITLES = ["Today", "Clients", "Groups", "Billing", "Admin"]


@pytest.fixture
def clinic_with_admin(sqlite_clinic):
    """A fresh SQLite clinic in tmp_path (conftest) with its first administrator."""
    sqlite_clinic.users.add("admin", "correct horse", display_name="Ada Admin", roles=["admin"])
    return sqlite_clinic


@pytest.fixture
def desk_window(qtbot, clinic_with_admin, ui_settings):
    window = MainWindow(clinic_with_admin, settings=ui_settings)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _nav_titles(window: MainWindow) -> list[str]:
    nav = window.navigation
    return [nav.item(row).text() for row in range(nav.count())]


def test_window_names_the_clinic_site_and_database(desk_window, clinic_with_admin):
    """The title names the clinic; the status bar names the site code and the database."""
    info = clinic_with_admin.info()
    assert info.clinic_name in desk_window.windowTitle()
    status = desk_window.statusBar().findChild(QLabel, "statusText").text()
    assert info.site_code in status
    assert info.database in status
    assert status.startswith("Site: ")
    assert desk_window.statusBar().findChild(QLabel, "userText").text() == "Not signed in"


def test_navigation_lists_the_five_sections_and_switches_page(qtbot, desk_window):
    """Clicking Clients in the section list shows the Clients page."""
    assert _nav_titles(desk_window) == NAV_TITLES
    assert desk_window.current_section() == "today"
    nav = desk_window.navigation
    rect = nav.visualItemRect(nav.item(NAV_TITLES.index("Clients")))
    qtbot.mouseClick(nav.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert desk_window.current_section() == "clients"
    assert desk_window.pages.currentWidget().objectName() == "clientsPage"


def test_keyboard_moves_between_sections(qtbot, desk_window):
    """Arrow keys in the section list and Ctrl+number both change the section."""
    desk_window.navigation.setFocus()
    qtbot.keyClick(desk_window.navigation, Qt.Key.Key_Down)
    assert desk_window.current_section() == "clients"
    qtbot.keyClick(desk_window, Qt.Key.Key_4, Qt.KeyboardModifier.ControlModifier)
    assert desk_window.current_section() == "billing"
    desk_window.show_section("today")
    assert desk_window.pages.currentWidget().objectName() == "todayPage"


def test_ctrl_f_goes_to_the_client_search(qtbot, desk_window):
    """Ctrl+F from anywhere shows the Clients section with the cursor in its search."""
    desk_window.show_section("billing")
    desk_window.activateWindow()
    qtbot.keyClick(desk_window.navigation, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert desk_window.current_section() == "clients"
    page = desk_window.page("clients")
    if hasattr(page, "focus_search"):
        qtbot.waitUntil(lambda: page.isAncestorOf(QApplication.focusWidget()), timeout=1000)
        assert isinstance(QApplication.focusWidget(), QLineEdit)


def test_pages_share_the_windows_operations(desk_window):
    """One Operations per window: every page hears the same changes_applied."""
    assert desk_window.today_page.ops is desk_window.ops
    for key in ("clients", "groups"):
        page = desk_window.page(key)
        assert getattr(page, "ops", desk_window.ops) is desk_window.ops


def test_today_says_why_it_is_empty_when_no_one_is_signed_in(qtbot, desk_window):
    """Without a signed-in clinician the Today page shows the domain's reason, not a traceback."""
    today = desk_window.today_page
    qtbot.waitUntil(lambda: not today.is_loading(), timeout=5000)
    assert today.error_label.isVisible()
    assert "sign in" in today.error_label.text()


def test_accessible_names_on_navigation_and_pages(desk_window):
    """Screen readers hear what the section list and the page area are."""
    assert desk_window.navigation.accessibleName()
    assert desk_window.pages.accessibleName()
    for index, key in enumerate(SECTIONS):
        assert desk_window.pages.widget(index).accessibleName() == NAV_TITLES[index], key
    assert not desk_window.windowIcon().isNull()


def test_geometry_is_remembered_for_the_next_window(qtbot, clinic_with_admin, ui_settings):
    """Closing the window saves its size; the next window opens at that size."""
    first = MainWindow(clinic_with_admin, settings=ui_settings)
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    hint = first.minimumSizeHint()
    width, height = max(643, hint.width() + 13), max(457, hint.height() + 13)
    first.setGeometry(QRect(40, 50, width, height))
    qtbot.waitUntil(lambda: first.size().width() == width)
    first.close()
    assert ui_settings.value("main_window/geometry") is not None

    second = MainWindow(clinic_with_admin, settings=ui_settings)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (width, height)


def test_parse_args_takes_db_in_both_spellings():
    assert parse_args([])[0].db is None
    assert parse_args(["--db", "sqlite:///x.sqlite"])[0].db == "sqlite:///x.sqlite"
    assert parse_args(["--db=postgresql://u@h/d"])[0].db == "postgresql://u@h/d"


def _visible(qapp, kind):
    return [w for w in qapp.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]


def test_run_app_signs_in_then_opens_the_clinic_in_the_main_window(restore_qapp, tmp_path, monkeypatch):
    """`iopdesk --db=PATH` asks for a sign-in, then opens that clinic's window naming the user."""
    qapp = restore_qapp
    monkeypatch.setattr(ui.main_window, "ui_settings",
                        lambda: QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    with iopdesk.open_clinic(str(tmp_path / "c.sqlite")) as setup:
        setup.users.add("admin", "correct horse", display_name="Ada Admin", roles=["admin"])
    seen = []

    def sign_in():
        dialog = _visible(qapp, LoginDialog)[0]
        QTest.keyClicks(dialog.username_edit, "admin")
        QTest.keyClicks(dialog.password_edit, "correct horse")
        QTest.keyClick(dialog.password_edit, Qt.Key.Key_Return)
        QTimer.singleShot(0, close_main_window)

    def close_main_window():
        for widget in _visible(qapp, MainWindow):
            seen.append((widget.windowTitle(), widget.user_label.text()))
            widget.close()  # the last window closing ends app.exec(); a second quit() here
            # would leave a stray quit event that stops later tests' event loops at once

    QTimer.singleShot(0, sign_in)
    assert run_app([f"--db={tmp_path / 'c.sqlite'}"]) == 0
    assert seen == [("IOP Desk — IOP Desk clinic", "Ada Admin (admin)")]
    assert "#navigation" in qapp.styleSheet()


def test_cancelling_the_sign_in_exits_0_without_a_window(restore_qapp, tmp_path):
    """Cancel on the sign-in dialog ends the program quietly."""
    qapp = restore_qapp
    opened = []

    def cancel():
        dialog = _visible(qapp, LoginDialog)[0]
        opened.append(dialog.error_label.text())
        QTest.keyClick(dialog, Qt.Key.Key_Escape)

    QTimer.singleShot(0, cancel)
    assert run_app([f"--db={tmp_path / 'c.sqlite'}"]) == 0
    assert opened == [""]
    assert (tmp_path / "c.sqlite").exists()
    assert not _visible(qapp, MainWindow)


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
        import iopdesk.cli.main
        import ui.launcher
        assert iopdesk.cli.main.main(["--db", {db!r}, "check"]) == 0
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
