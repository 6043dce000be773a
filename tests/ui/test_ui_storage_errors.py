"""A locked database, a full disk and a read-only clinic, met through the widgets: the note editor
and the group session window say what happened, keep every word typed, stay open and save on retry.

The GUI thread's connection waits only 250 ms for a lock (`set_interactive_thread`), as in the app.
"Another workstation" is a second process that takes the write lock with BEGIN IMMEDIATE and holds
it well past that timeout; the save must come back to the event loop at once with the busy
question, and Retry must succeed once the other process lets go.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

import iopdesk
from iopdesk.kernel import clock
from iopdesk.models.audit import AuditEvent
from iopdesk.models.groups import Attendance
from iopdesk.models.notes import Note
from iopdesk.storage.db import (
    clear_interactive_thread,
    interactive_busy_timeout_ms,
    set_interactive_thread,
)
from iopdesk.storage.errors import DatabaseBusy, ReadOnlyDatabase, clear_error
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from tests.domain.test_groups import give_plan
from tests.ui.attestations import answer_attestations
from tests.ui.test_group_session_ui import today_session
from ui import storage_retry
from ui.chart.note_addenda import AddendumDialog
from ui.chart.note_editor import NoteEditorDialog
from ui.group_session import GroupSessionWindow
from ui.operations import Operations

DAP = {"data": "Reports two cravings this week; used urge surfing.",
       "assessment": "Cravings lower than at admission.",
       "plan": "Review the trigger log next session."}
HOLD_SECONDS = 1.5  # six times the GUI thread's busy timeout

# The other workstation: take the write lock, write, say so, hold it, then let go without saving.
HOLDER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=5)
conn.execute("BEGIN IMMEDIATE")
conn.execute("CREATE TABLE other_workstation_probe (x)")
print("ready", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
conn.close()
"""


@pytest.fixture(autouse=True)
def gui_thread_is_interactive(monkeypatch):
    """The GUI thread waits 250 ms for a lock; windows closed unsaved at teardown discard."""
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    set_interactive_thread(250)
    yield
    clear_interactive_thread()


@pytest.fixture
def chart_with_plan_on_file(clinician_sqlite, tmp_path):
    """(clinic, client id, clinic file): Marisol admitted with a plan, the clinician signed in."""
    set_interactive_thread(250)  # this thread's connection, open already, and any later one
    client, episode = admit_marisol(clinician_sqlite)
    give_plan(client.id, episode.id, ["Identify three triggers"])
    return clinician_sqlite, client.id, tmp_path / "clinic.sqlite"


@pytest.fixture
def group_clinic_on_file(tmp_path, group_template):
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(group_template, path)
    clinic = iopdesk.open_clinic(str(path))
    set_interactive_thread(250)
    clinic.login("clinician", ADMIN_PASSWORD)
    yield clinic, path
    clinic.close()


@pytest.fixture
def holder():
    """Start a second process holding the clinic's write lock; it is ended at teardown."""
    started = []

    def hold(path, seconds: float = HOLD_SECONDS) -> subprocess.Popen:
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), str(seconds)],
                                stdout=subprocess.PIPE, text=True)
        started.append(proc)
        assert proc.stdout.readline().strip() == "ready"
        return proc

    yield hold
    for proc in started:
        proc.kill()
        proc.wait()


@pytest.fixture
def asked(monkeypatch):
    """Record the busy questions; answer Retry only once the lock holder has let go (or Cancel)."""
    record: dict = {"texts": [], "at": [], "answers": []}

    def ask_retry(parent, text):
        record["texts"].append(text)
        record["at"].append(time.monotonic())
        answer = record["answers"].pop(0)
        if answer == "retry" and record.get("holder") is not None:
            record["holder"].wait(timeout=10)
        return answer == "retry"

    monkeypatch.setattr(storage_retry, "ask_retry", ask_retry)
    return record


@pytest.fixture
def warned(monkeypatch):
    texts: list[str] = []
    monkeypatch.setattr(storage_retry, "show_storage_problem", lambda parent, text: texts.append(text))
    return texts


def open_editor(qtbot, clinic, client_id) -> NoteEditorDialog:
    editor = NoteEditorDialog(clinic, Operations(), client_id, autosave_ms=60_000)
    qtbot.addWidget(editor)
    editor.show()
    for key, text in DAP.items():
        editor.section_edits[key].setPlainText(text)
    assert editor.isWindowModified()
    return editor


def counts() -> tuple[int, int]:
    return Note.select().count(), AuditEvent.select().count()


def test_gui_thread_waits_briefly_for_a_lock_and_workers_wait_the_full_timeout(chart_with_plan_on_file):
    """The GUI thread's connection has the short busy timeout; another thread's keeps 5 s."""
    clinic, _, _ = chart_with_plan_on_file
    import threading

    seen = {}

    def worker():
        seen["worker"] = clinic.db.execute_sql("PRAGMA busy_timeout").fetchone()[0]
        seen["short"] = interactive_busy_timeout_ms()
        clinic.db.close()

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    assert clinic.db.execute_sql("PRAGMA busy_timeout").fetchone()[0] == 250
    assert seen == {"worker": 5000, "short": None}


def test_note_saved_while_another_workstation_holds_the_lock_asks_and_retry_saves(qtbot, chart_with_plan_on_file, holder, asked):
    """Another program holds BEGIN IMMEDIATE: Save comes back within a second with the busy question,
    the text is untouched, and Retry after the other program lets go stores the draft."""
    clinic, client_id, path = chart_with_plan_on_file
    editor = open_editor(qtbot, clinic, client_id)
    before = counts()
    asked["holder"] = holder(path)
    asked["answers"] = ["retry"]
    started = time.monotonic()
    assert editor.save()
    assert asked["at"][0] - started < 1.0  # back in the event loop (the question) at once
    [text] = asked["texts"]
    assert "busy" in text and "another workstation or program" in text and "what you typed is kept" in text
    assert editor.sections() == DAP and not editor.isWindowModified()
    assert clinic.notes.get(editor.note_id).sections == DAP
    assert counts()[0] == before[0] + 1


def test_cancelled_busy_save_keeps_the_draft_on_screen_and_a_later_save_succeeds(qtbot, chart_with_plan_on_file, holder, asked):
    """Cancel leaves the editor open, its text as typed and marked unsaved, with the message under
    the note; nothing is written; Save after the lock is released stores it."""
    clinic, client_id, path = chart_with_plan_on_file
    editor = open_editor(qtbot, clinic, client_id)
    before = counts()
    proc = holder(path)
    asked["answers"] = ["cancel"]
    started = time.monotonic()
    assert not editor.save()
    assert time.monotonic() - started < 1.0
    assert editor.isVisible() and editor.isWindowModified() and editor.sections() == DAP
    assert "busy" in editor.error_label.text() and counts() == before and editor.note_id is None
    proc.wait(timeout=10)
    assert editor.save() and clinic.notes.get(editor.note_id).sections == DAP
    assert editor.error_label.isHidden()


def test_autosave_under_a_lock_asks_nothing_and_tries_again(qtbot, chart_with_plan_on_file, holder, asked):
    """An autosave that meets a busy database shows the message inline, asks no question, and
    saves by itself once the lock is gone."""
    clinic, client_id, path = chart_with_plan_on_file
    editor = open_editor(qtbot, clinic, client_id)
    editor.autosave_timer.setInterval(200)
    holder(path)
    editor.autosave_timer.timeout.emit()
    assert asked["texts"] == [] and "busy" in editor.error_label.text()
    assert editor.autosave_timer.isActive()  # tries again by itself
    qtbot.waitUntil(lambda: not editor.isWindowModified(), timeout=HOLD_SECONDS * 1000 + 3000)
    assert clinic.notes.get(editor.note_id).sections == DAP


def test_signing_under_a_lock_asks_and_retry_signs(qtbot, chart_with_plan_on_file, holder, asked, monkeypatch):
    """A saved draft signed while another program holds the lock: after the attestation, the
    question, then Retry signs it."""
    clinic, client_id, path = chart_with_plan_on_file
    answer_attestations(monkeypatch)
    editor = open_editor(qtbot, clinic, client_id)
    for field, typed in ((editor.start_edit, "10:00 AM"), (editor.end_edit, "10:50 AM")):
        qtbot.mouseDClick(field.line_edit, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(field.line_edit, typed)
    assert editor.save()
    asked["holder"] = holder(path)
    asked["answers"] = ["retry"]
    assert editor.sign(), editor.error_label.text()
    assert len(asked["texts"]) == 1 and clinic.notes.get(editor.note_id).status in ("signed", "awaiting_cosign")


def test_real_busy_question_shows_the_message_and_its_retry_button_retries(qtbot, chart_with_plan_on_file, holder):
    """The question itself: the clear message, Retry and Cancel; pressing Retry (after the lock
    is released) saves. A screenshot is kept for review."""
    clinic, client_id, path = chart_with_plan_on_file
    editor = open_editor(qtbot, clinic, client_id)
    proc = holder(path)
    seen = {}

    def press_retry():
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, press_retry)
            return
        seen["text"], seen["informative"] = box.text(), box.informativeText()
        seen["buttons"] = {b.text().replace("&", "") for b in box.buttons()}
        box.grab().save("/tmp/storage-retry-busy.png")
        proc.wait(timeout=10)
        box.button(QMessageBox.StandardButton.Retry).click()

    QTimer.singleShot(0, press_retry)
    assert editor.save()
    assert "another workstation or program is saving" in seen["text"]
    assert "Retry" in seen["buttons"] and "Cancel" in seen["buttons"]
    assert clinic.notes.get(editor.note_id).sections == DAP


def test_group_session_saved_under_a_lock_asks_and_retry_saves_it(qtbot, group_clinic_on_file, holder, asked):
    """The group session window: attendance and the shared part saved while another program holds
    the lock; the busy question comes at once, Cancel keeps it all on screen, Retry saves it."""
    clinic, path = group_clinic_on_file
    ops = Operations()
    window = GroupSessionWindow(clinic, ops, today_session(clinic))
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    qtbot.addWidget(window)
    window.show()
    window.topic_edit.setText("Coping with cravings")
    window.shared_edit.setPlainText("Members practised urge surfing.")
    window.roster.setFocus()
    qtbot.keyClick(window.roster, Qt.Key.Key_P)
    assert window.isWindowModified()
    attended = Attendance.select().count()

    proc = holder(path)
    asked["answers"] = ["cancel", "retry"]
    started = time.monotonic()
    assert not window.save()
    assert time.monotonic() - started < 1.0
    assert "busy" in window.status_text.text() and window.isVisible() and window.isWindowModified()
    assert window.topic_edit.text() == "Coping with cravings" and Attendance.select().count() == attended
    asked["holder"] = proc
    assert window.save()
    assert len(asked["texts"]) == 2 and not window.isWindowModified()
    session = clinic.groups.session(window.session_id)
    assert session.topic == "Coping with cravings" and Attendance.select().count() == attended + 1
    qtbot.waitUntil(lambda: not ops.busy)


def test_full_disk_says_so_writes_nothing_and_saves_once_space_is_freed(qtbot, chart_with_plan_on_file, warned, asked):
    """PRAGMA max_page_count stands in for a full disk: a clear message once, no question, nothing
    partial written, the editor open with its text; with room again, Save stores the note."""
    clinic, client_id, _ = chart_with_plan_on_file
    editor = open_editor(qtbot, clinic, client_id)
    # Near the note's limits (iopdesk/kernel/text_limits.py), so the save needs new pages.
    for edit in editor.section_edits.values():
        edit.setPlainText(" ".join(["Long narrative."] * (3000 // len(editor.section_edits))))
    typed = editor.sections()
    before = counts()
    pages = clinic.db.execute_sql("PRAGMA page_count").fetchone()[0]
    clinic.db.execute_sql(f"PRAGMA max_page_count = {pages}")
    try:
        assert not editor.save()
    finally:
        clinic.db.execute_sql("PRAGMA max_page_count = 1073741823")
    [text] = warned
    assert "disk" in text and "full" in text and "Nothing was saved" in text
    assert asked["texts"] == [] and counts() == before
    assert editor.isVisible() and editor.isWindowModified() and editor.sections() == typed
    assert "full" in editor.error_label.text()
    assert editor.save() and clinic.notes.get(editor.note_id).sections == typed


def test_read_only_clinic_says_so_and_the_editor_stays_usable(qtbot, chart_with_plan_on_file, warned):
    """The clinic file and folder made read-only (as root, which ignores permissions, the service
    raises what SQLite says instead): a clear message, nothing written, the editor still open;
    with write access back the note saves."""
    clinic, client_id, path = chart_with_plan_on_file
    editor = open_editor(qtbot, clinic, client_id)
    before = counts()
    if os.geteuid() == 0:
        import sqlite3

        refusal = clear_error(sqlite3.OperationalError("attempt to write a readonly database"), str(path))
        assert isinstance(refusal, ReadOnlyDatabase)

        def refuse(*args, **kwargs):
            raise refusal

        original = clinic.notes.create_draft
        clinic.notes.create_draft = refuse
        try:
            assert not editor.save()
        finally:
            clinic.notes.create_draft = original
    else:
        modes = {p: p.stat().st_mode for p in (path.parent, *path.parent.glob("clinic.sqlite*"))}
        for p in modes:
            p.chmod(0o555 if p.is_dir() else 0o444)
        clinic.db.close()  # the next save opens the file again, read-only now
        try:
            assert not editor.save()
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
            clinic.db.close()
    [text] = warned
    assert "read-only" in text or "cannot be opened for writing" in text
    assert editor.isVisible() and editor.isWindowModified() and editor.sections() == DAP
    assert counts() == before
    assert editor.save() and clinic.notes.get(editor.note_id).sections == DAP


def test_busy_refusal_reaches_no_one_as_a_traceback(qtbot, chart_with_plan_on_file, asked):
    """Any DatabaseBusy from a service (e.g. an injected one) ends as the question, never an exception."""
    clinic, client_id, _ = chart_with_plan_on_file
    editor = open_editor(qtbot, clinic, client_id)
    busy = clear_error(Exception("database is locked"), "clinic")
    assert isinstance(busy, DatabaseBusy)
    calls = []

    def flaky(*args, **kwargs):
        calls.append(1)
        raise busy

    asked["answers"] = ["retry", "cancel"]
    original = clinic.notes.create_draft
    clinic.notes.create_draft = flaky
    try:
        assert not editor.save()
    finally:
        clinic.notes.create_draft = original
    assert len(calls) == 2 and len(asked["texts"]) == 2 and editor.sections() == DAP


def test_addendum_written_under_a_lock_asks_and_retry_adds_it(qtbot, chart_with_plan_on_file, holder, asked):
    """An addendum to a signed note, saved while another program holds the lock: the question at
    once, the text kept, and Retry adds it."""
    clinic, client_id, path = chart_with_plan_on_file
    note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), starts_at="10:00", ends_at="10:50",
                                        sections=DAP)
    clinic.notes.sign(note.id, note.version)
    dialog = AddendumDialog(clinic, Operations(), note.id)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.text_edit.setPlainText("Late entry: client called after the session.")
    asked["holder"] = holder(path)
    asked["answers"] = ["retry"]
    started = time.monotonic()
    dialog.accept()
    assert asked["at"][0] - started < 1.0
    assert dialog.result() == AddendumDialog.DialogCode.Accepted
    [addendum] = clinic.notes.get(note.id).addenda
    assert addendum.text == "Late entry: client called after the session."
