"""Fixtures of the widget tests: Qt on the offscreen platform, the shared QApplication put back
after a test that styles it, and per-test UI settings; and the clinics more than one widget test
module starts from (Marisol's chart, the small demo on its day, the morning group), each built in
one place. Only tests under tests/ui load Qt."""

from __future__ import annotations

import os
import shutil

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, Qt  # noqa: E402 - after the platform is chosen
from PySide6.QtWidgets import QMessageBox  # noqa: E402

import iopdesk  # noqa: E402
from iopdesk.kernel import clock  # noqa: E402
from tests.conftest import ADMIN_PASSWORD, admit_marisol  # noqa: E402
from ui.operations import Operations  # noqa: E402


@pytest.fixture
def ui_settings(tmp_path):
    """The window's QSettings in this test's own ini file, never the user's."""
    return QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def restore_qapp(qapp):
    """run_app names and styles the (shared) QApplication; put it back afterwards."""
    saved = (qapp.styleSheet(), qapp.organizationName(), qapp.applicationName(), qapp.windowIcon())
    yield qapp
    qapp.setStyleSheet(saved[0])
    qapp.setOrganizationName(saved[1])
    qapp.setApplicationName(saved[2])
    qapp.setWindowIcon(saved[3])


# -- Marisol's chart (the plan, signing and notes tabs) --
@pytest.fixture
def chart(clinician_sqlite):
    """(clinic, client, episode): Marisol admitted two weeks ago, no plan yet, the clinician signed in."""
    return (clinician_sqlite, *admit_marisol(clinician_sqlite))


@pytest.fixture
def chart_with_plan(clinician_sqlite):
    """(clinic, client id, objective ids): Marisol admitted with a plan, the clinician signed in."""
    from tests.domain.test_groups import give_plan

    clinic = clinician_sqlite
    client, episode = admit_marisol(clinic)
    objectives = give_plan(client.id, episode.id, ["Identify three triggers", "Attend 3 groups a week"])
    return clinic, client.id, objectives


# -- the small demo clinic on its day (the Today page, sign-in and lock) --
@pytest.fixture(scope="session")
def small_demo_template(tmp_path_factory, sqlite_template) -> str:
    from iopdesk.demo import generate
    from tests.ui.test_today_page import AS_OF

    path = tmp_path_factory.mktemp("today-demo") / "clinic.sqlite"
    shutil.copyfile(sqlite_template, path)
    with iopdesk.open_clinic(str(path)) as clinic:
        generate(clinic, clients=15, weeks=3, seed=3, as_of=AS_OF)
    return str(path)


@pytest.fixture
def small_demo(tmp_path, small_demo_template):
    """The small demo clinic on its day, with the demo clinician signed in."""
    from tests.ui.test_today_page import AS_OF, DEMO_PASSWORD

    clock.pin(AS_OF)
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(small_demo_template, path)
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", DEMO_PASSWORD)
    yield clinic
    clinic.close()


# -- the morning group with today's session (the session window, name checks, storage errors) --
@pytest.fixture(scope="session")
def group_template(tmp_path_factory, staffed_sqlite_template) -> str:
    from tests.ui.test_group_session_ui import build_group_clinic

    path = tmp_path_factory.mktemp("group_ui") / "clinic.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    build_group_clinic(str(path))
    return str(path)


@pytest.fixture
def group_clinic(tmp_path, group_template):
    """A copy of the group clinic with Cleo Clinician signed in."""
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(group_template, path)
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", ADMIN_PASSWORD)
    yield clinic
    clinic.close()


@pytest.fixture
def ops():
    return Operations()


@pytest.fixture
def group_session_window(qtbot, group_clinic, ops, monkeypatch):
    """Today's session window, shown and active; closing it unsaved at teardown discards."""
    from tests.ui.test_group_session_ui import today_session
    from ui.group_session import GroupSessionWindow

    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window = GroupSessionWindow(group_clinic, ops, today_session(group_clinic))
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    yield window
    qtbot.waitUntil(lambda: not ops.busy)  # the warnings are read off the GUI thread
