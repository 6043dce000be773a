"""Domain work runs off the GUI thread and every screen hears once what changed."""

from __future__ import annotations

import threading
import time

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QPushButton

from iopdesk.errors import ValidationError
from iopdesk.kernel.changes import Changes
from ui.operations import Operations, user_message


def test_result_and_changes_arrive_on_the_gui_thread(qtbot):
    """A save that returns (view, Changes) calls back with the view and broadcasts the changes once."""
    ops = Operations()
    gui_thread = threading.current_thread()
    seen = {}

    def save():
        seen["worker"] = threading.current_thread()
        return "note view", Changes.of("note", client_id="c1")

    with qtbot.waitSignal(ops.changes_applied, timeout=5000) as changed:
        ops.run(save, on_success=lambda result: seen.setdefault("result", (result, threading.current_thread())))
    assert seen["worker"] is not gui_thread
    assert seen["result"] == (("note view", Changes.of("note", client_id="c1")), gui_thread)
    assert changed.args[0].touches("note")


def test_a_domain_error_reaches_the_failure_callback_with_its_message(qtbot):
    """A refusal from the domain comes back as the error itself, its message intact."""
    ops = Operations()
    errors = []

    def refuse():
        raise ValidationError("Minutes: must be between 0 and 1440.", field="minutes")

    ops.run(refuse, on_failure=errors.append)
    qtbot.waitUntil(lambda: bool(errors), timeout=5000)
    assert user_message(errors[0]) == "Minutes: must be between 0 and 1440."


def test_an_unexpected_error_shows_one_plain_sentence(qtbot, monkeypatch):
    """A bug shows a calm message without a traceback, and the app keeps running."""
    shown = []
    monkeypatch.setattr(QMessageBox, "warning", lambda parent, title, text: shown.append(text))
    ops = Operations()
    ops.run(lambda: 1 / 0)
    qtbot.waitUntil(lambda: bool(shown), timeout=5000)
    assert "Nothing already saved was lost" in shown[0] and "Traceback" not in shown[0]
    assert not ops.busy


def test_cancel_reaches_long_work(qtbot):
    """Long work sees Cancel through its `cancelled` probe and stops early."""
    ops = Operations()
    started = threading.Event()
    outcome = []

    def long_export(cancelled):
        started.set()
        for _ in range(500):
            if cancelled():
                return "stopped"
            time.sleep(0.01)
        return "finished"

    ops.run(long_export, on_success=outcome.append, progress="Exporting…")
    assert started.wait(5)
    dialogs = [w for w in QApplication.topLevelWidgets() if isinstance(w, QProgressDialog)]
    assert len(dialogs) == 1
    qtbot.mouseClick(dialogs[0].findChild(QPushButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(outcome), timeout=5000)
    assert outcome == ["stopped"]
