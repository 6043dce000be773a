"""Fixtures of the widget tests: Qt on the offscreen platform, the shared QApplication put back
after a test that styles it, and per-test UI settings. Only tests under tests/ui load Qt."""

from __future__ import annotations

import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings  # noqa: E402 - after the platform is chosen


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
