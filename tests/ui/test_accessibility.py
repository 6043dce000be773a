"""A screen reader can name every control: each input on every main screen and chart tab has an
accessible name, a label that is its buddy, or its own text."""

from __future__ import annotations

import shutil

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)

import iopdesk
from iopdesk.demo import generate
from ui.chart.chart_window import TABS
from ui.main_window import SECTIONS, MainWindow

DEMO_PASSWORD = "demo-pass-2026"
CONTROLS = (QAbstractButton, QAbstractItemView, QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit, QTextEdit)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("a11y") / "demo.sqlite"
    with iopdesk.open_clinic(str(path)) as clinic:
        generate(clinic, clients=15, weeks=4, seed=5)
    return str(path)


@pytest.fixture
def demo_clinic(tmp_path, demo_template):
    path = tmp_path / "demo.sqlite"
    shutil.copyfile(demo_template, path)
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", DEMO_PASSWORD)
    yield clinic
    clinic.close()


def unnamed_controls(root: QWidget) -> list[str]:
    """Visible controls under `root` that a screen reader could not name."""
    buddies = {id(label.buddy()) for label in root.findChildren(QLabel) if label.buddy() is not None}
    missing = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or isinstance(widget, QHeaderView) or not widget.isVisibleTo(root):
            continue  # a table's header is announced with the table
        if type(widget).__name__ in ("QLineEdit",) and isinstance(widget.parent(), (QAbstractSpinBox, QComboBox)):
            continue  # the spin box's or combo's own line edit: the outer control carries the name
        if widget.objectName().startswith("qt_"):
            continue  # Qt's internal parts (scroll bar buttons, tab bar scrollers, calendar popups)
        text = widget.text() if isinstance(widget, QAbstractButton) else ""
        if widget.accessibleName() or id(widget) in buddies or text.replace("&", "").strip():
            continue
        missing.append(f"{type(widget).__name__} {widget.objectName() or '(no object name)'} "
                       f"in {type(widget.parent()).__name__}")
    return missing


def test_every_main_screen_names_its_controls(qtbot, demo_clinic, tmp_path):
    """Today, Clients and Groups: nothing a screen reader would announce as just "edit" or "button"."""
    window = MainWindow(demo_clinic, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: not window.ops.busy)
    for key in SECTIONS:
        window.show_section(key)
        assert unnamed_controls(window.page(key)) == [], key


def test_every_chart_tab_names_its_controls(qtbot, demo_clinic, tmp_path):
    """A demo client's chart, every tab built: each control has a name."""
    window = MainWindow(demo_clinic, QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    clients = window.page("clients")
    found = demo_clinic.clients.search("MAIN-000001")
    chart = clients.open_chart(found[0].id)
    qtbot.addWidget(chart)
    for key in TABS:
        chart.show_tab(key)
        qtbot.waitUntil(lambda: not window.ops.busy)
        assert unnamed_controls(chart.tabs.currentWidget()) == [], key
    assert unnamed_controls(chart) == []
