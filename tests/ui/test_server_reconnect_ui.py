"""The note editor on a clinic server that goes away while a clinician writes: the banner says
"connection lost, reconnecting", the text stays on screen, and it is saved once the server is
back; if someone else saved the note meanwhile, both versions are shown."""

from __future__ import annotations

import os

import peewee
import psycopg
import pytest
from PySide6.QtWidgets import QMessageBox

from iopdesk.models import Note
from iopdesk.storage.server_connection import ReconnectingServer
from tests.conftest import ADMIN_PASSWORD, _add_staff, admit_marisol, clinic_on_restartable_server
from ui.chart.note_editor import NoteEditorDialog
from ui.operations import Operations
from ui.server_connection import server_watch

pytestmark = pytest.mark.postgres


@pytest.fixture
def clinician_on_server(restartable_pg_server):
    """(server, clinic, client id): Marisol admitted on a clinic server of its own, the clinician
    signed in at this workstation."""
    for server, clinic in clinic_on_restartable_server(restartable_pg_server):
        _add_staff(clinic)
        clinic.login("clinician", ADMIN_PASSWORD)
        client, _ = admit_marisol(clinic)
        yield server, clinic, client.id


@pytest.fixture
def quick_watch(qapp):
    """The workstation's server watch, asking the server every 50 ms instead of every second."""
    watch = server_watch()
    first, longest = watch.first_ms, watch.longest_ms
    watch.first_ms, watch.longest_ms = 50, 200
    yield watch
    watch.first_ms, watch.longest_ms = first, longest


def draft_with_text(text: str) -> int:
    return sum(1 for note in Note.select() if text in str(note.sections))


def test_the_editor_keeps_the_text_while_the_server_is_away_and_saves_it_when_back(
        qtbot, clinician_on_server, quick_watch, tmp_path):
    server, clinic, client_id = clinician_on_server
    editor = NoteEditorDialog(clinic, Operations(), client_id, autosave_ms=50)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor.section_edits["data"], "Arrived on time. ")
    qtbot.waitUntil(lambda: not editor.isWindowModified(), timeout=5000)

    server.pause()
    try:
        qtbot.keyClicks(editor.section_edits["data"], "Spoke about her sister's visit.")
        qtbot.waitUntil(editor.server_banner.isVisible, timeout=5000)
        assert "reconnecting" in editor.server_banner.text()
        assert "what you typed is kept" in editor.error_label.text()
        assert editor.isWindowModified()
        assert editor.section_edits["data"].toPlainText() == "Arrived on time. Spoke about her sister's visit."
        editor.resize(720, 640)
        shot = os.environ.get("IOPDESK_SCREENSHOT_DIR", str(tmp_path))
        editor.grab().save(os.path.join(shot, "note-editor-server-away.png"))
        qtbot.wait(300)  # the watch asks a few times while the server is away
        assert editor.isWindowModified() and quick_watch.lost
    finally:
        server.resume()

    qtbot.waitUntil(lambda: not editor.isWindowModified(), timeout=10000)
    assert not editor.server_banner.isVisible() and not editor.error_label.isVisible()
    assert clinic.notes.get(editor.note_id).sections["data"] == "Arrived on time. Spoke about her sister's visit."
    assert draft_with_text("sister's visit") == 1


def test_a_save_made_elsewhere_while_the_server_was_away_shows_both_versions(
        qtbot, clinician_on_server, quick_watch, monkeypatch):
    server, clinic, client_id = clinician_on_server
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    editor = NoteEditorDialog(clinic, Operations(), client_id, autosave_ms=50)
    qtbot.addWidget(editor)
    editor.show()
    qtbot.keyClicks(editor.section_edits["data"], "First words.")
    qtbot.waitUntil(lambda: not editor.isWindowModified(), timeout=5000)
    read_version = editor.view.version

    server.pause()
    try:
        qtbot.keyClicks(editor.section_edits["data"], " Mine, typed offline.")
        qtbot.waitUntil(editor.server_banner.isVisible, timeout=5000)
    finally:
        server.resume()
    # another workstation reached the server first and saved the same draft
    clinic.notes.save_draft(editor.note_id, read_version, {"data": "Theirs, saved at the other desk."})

    qtbot.waitUntil(lambda: editor.concurrent_edit_dialog is not None, timeout=10000)
    assert editor.isWindowModified()
    assert editor.section_edits["data"].toPlainText() == "First words. Mine, typed offline."
    assert clinic.notes.get(editor.note_id).sections["data"] == "Theirs, saved at the other desk."
    editor.concurrent_edit_dialog.close()


def test_the_main_window_says_reconnecting_until_the_server_answers(
        qtbot, clinician_on_server, quick_watch, ui_settings, tmp_path):
    from ui.main_window import MainWindow

    server, clinic, client_id = clinician_on_server
    window = MainWindow(clinic, settings=ui_settings)
    qtbot.addWidget(window)
    window.show()
    assert not window.server_banner.isVisible()
    failures: list[BaseException] = []
    server.pause()
    try:
        window.ops.run(lambda: clinic.notes.list_for_client(client_id), on_failure=failures.append)
        qtbot.waitUntil(window.server_banner.isVisible, timeout=5000)
        assert "reconnecting" in window.server_banner.text() and "cannot be reached" in str(failures[0])
        window.resize(1000, 600)
        shot = os.environ.get("IOPDESK_SCREENSHOT_DIR", str(tmp_path))
        window.grab().save(os.path.join(shot, "main-window-server-away.png"))
    finally:
        server.resume()
    qtbot.waitUntil(lambda: not window.server_banner.isVisible(), timeout=10000)
    done: list[object] = []
    window.ops.run(lambda: clinic.notes.list_for_client(client_id), on_success=done.append)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)


def test_a_note_whose_save_the_server_could_not_confirm_is_not_saved_twice(
        qtbot, clinician_on_server, quick_watch, monkeypatch):
    """The first save of a new note committed, then the server went down before answering and
    stayed down past the check: once back, the editor finds that note instead of making a second."""
    server, clinic, client_id = clinician_on_server
    monkeypatch.setattr(ReconnectingServer, "commit_check_seconds", 0.3)
    original = peewee.Database.commit

    def applied_then_server_away(db):
        if db.execute_sql("SELECT txid_current_if_assigned()").fetchone()[0] is None:
            return original(db)  # a read (the name check): not the save this test cuts off
        original(db)
        monkeypatch.setattr(peewee.Database, "commit", original)
        server.pause()
        db._state.conn.close()
        raise peewee.OperationalError("server closed the connection unexpectedly") from psycopg.OperationalError(
            "server closed the connection unexpectedly")

    editor = NoteEditorDialog(clinic, Operations(), client_id, autosave_ms=50)
    qtbot.addWidget(editor)
    editor.show()
    monkeypatch.setattr(peewee.Database, "commit", applied_then_server_away)
    try:
        qtbot.keyClicks(editor.section_edits["data"], "Said only once.")
        qtbot.waitUntil(editor.server_banner.isVisible, timeout=5000)
        qtbot.waitUntil(lambda: "checks once the server is back" in editor.error_label.text(), timeout=5000)
        assert editor.note_id is None and editor.isWindowModified()
    finally:
        monkeypatch.setattr(peewee.Database, "commit", original)
        server.resume()
    qtbot.waitUntil(lambda: not editor.isWindowModified(), timeout=10000)
    assert editor.note_id is not None
    assert draft_with_text("Said only once.") == 1
