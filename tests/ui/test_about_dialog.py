"""Help ▸ About IOP Desk: the version, the clinic database and its schema, and the folders IT asks about."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QLabel

import iopdesk
from iopdesk.paths import data_dir, log_dir
from ui.about_dialog import AboutDialog
from ui.main_window import MainWindow


@pytest.fixture
def dialog(qtbot, sqlite_clinic):
    dialog = AboutDialog(sqlite_clinic)
    qtbot.addWidget(dialog)
    return dialog


def test_about_names_version_database_schema_and_folders(dialog, sqlite_clinic):
    """The About box shows the installed version, the clinic file, its schema version and the data
    and log folders, as selectable text."""
    shown = {key: label.text() for key, label in dialog.value_labels.items()}
    assert shown["Version"] == iopdesk.__version__
    assert shown["Database"] == sqlite_clinic.info().database
    assert shown["Schema version"] == str(sqlite_clinic.schema().version)
    assert shown["Data folder"] == str(data_dir()) and shown["Log folder"] == str(log_dir())
    assert shown["Qt"].startswith(__import__("PySide6.QtCore").QtCore.qVersion())
    assert any("Proprietary" in label.text() for label in dialog.findChildren(QLabel))


def test_copy_details_puts_every_line_on_the_clipboard(qtbot, dialog):
    """"Copy details" gives IT the whole list for a support ticket."""
    qtbot.mouseClick(dialog.findChild(object, "copyDetailsButton"), __import__("PySide6.QtCore").QtCore.Qt.MouseButton.LeftButton)
    text = QApplication.clipboard().text()
    assert f"Version: {iopdesk.__version__}" in text and "Schema version: " in text and "Log folder: " in text


def test_help_about_opens_the_dialog_from_the_main_window(qtbot, sqlite_clinic, tmp_path):
    """Help ▸ About IOP Desk opens the About box over the main window; a screenshot is kept in
    /tmp/about.png for a person to look at."""
    window = MainWindow(sqlite_clinic, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    seen = []

    def look() -> None:
        about = QApplication.activeModalWidget()
        seen.append(about)
        if isinstance(about, AboutDialog):
            about.adjustSize()
            about.grab().save("/tmp/about.png")
            about.reject()

    QTimer.singleShot(0, look)
    window.findChild(object, "aboutAction").trigger()
    assert seen and isinstance(seen[0], AboutDialog)
