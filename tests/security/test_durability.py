"""Durability of a SQLite clinic: pragmas on every connection, IMMEDIATE write transactions, and a
clear message with nothing half written when the database is busy, the disk is full or the
folder is read-only (ONC 170.315(d)(1)-(d)(9) rely on records that are never partly saved).

Storage errors become clear domain errors through `iopdesk.storage.errors.with_clear_errors`;
until `iopdesk.storage.db.make_database` builds its SQLite databases with it, the `clear_errors` fixture
does so for the test (see test_the_clinic_database_reports_storage_errors_clearly).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import types
from pathlib import Path

import peewee
import pytest

import iopdesk
import iopdesk.storage.db
from iopdesk.errors import DatabaseUnavailable, IopDeskError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Client, Note
from iopdesk.storage.db import make_database
from iopdesk.storage.errors import ClearStorageErrors, DatabaseBusy, DiskFull, with_clear_errors
from tests.conftest import ADMIN_PASSWORD

YESTERDAY = clock.today() - dt.timedelta(days=1)
DAP = {"data": "Spoke about work stress.", "assessment": "Uses the coping plan.", "plan": "Continue."}
HOLD_LOCK = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], isolation_level=None)\n"
    "c.execute('BEGIN IMMEDIATE')\n"
    "print('holding', flush=True)\n"
    "sys.stdin.read()\n"
    "c.execute('ROLLBACK')\n"
)
TRY_LOCK = (
    "import sqlite3, sys\n"
    "c = sqlite3.connect(sys.argv[1], timeout=0, isolation_level=None)\n"
    "try:\n"
    "    c.execute('BEGIN IMMEDIATE')\n"
    "    print('got the write lock')\n"
    "except sqlite3.OperationalError as exc:\n"
    "    print(exc)\n"
)


def _adopted(tmp_path) -> bool:
    return isinstance(make_database(str(tmp_path / "probe.sqlite")), ClearStorageErrors)


@pytest.fixture
def clear_errors(monkeypatch, tmp_path):
    """SQLite clinics opened in this test report storage errors clearly (a no-op once
    iopdesk.storage.db.make_database does so itself)."""
    if not _adopted(tmp_path):
        shim = types.SimpleNamespace(**vars(peewee))
        shim.SqliteDatabase = with_clear_errors(peewee.SqliteDatabase)
        monkeypatch.setattr(iopdesk.storage.db, "peewee", shim)


@pytest.fixture
def drafting(clear_errors, tmp_path, clinic_file):
    """A SQLite clinic where the clinician has a draft note for an admitted client."""
    path = clinic_file
    clinic = iopdesk.open_clinic(str(path))
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Jo", legal_last="Marsh", dob="1979-06-30", sex="M")
    clinic.episodes.admit(client.id, admitted_on=YESTERDAY - dt.timedelta(days=3), track_code="substance_use",
                          level="2.1", primary_clinician="clinician")
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=YESTERDAY,
                                        starts_at="09:00", ends_at="09:50", sections=DAP)
    yield clinic, client, note, path
    clinic.close()


def _rows() -> tuple[int, int, int]:
    return Client.select().count(), Note.select().count(), AuditEvent.select().count()


@contextlib.contextmanager
def another_program_holding_the_write_lock(path):
    child = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(path)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "holding"
        yield
    finally:
        child.stdin.close()
        child.wait(timeout=10)


def test_the_clinic_database_reports_storage_errors_clearly(tmp_path):
    """Every SQLite clinic database turns busy / full / read-only errors into clear messages."""
    if not _adopted(tmp_path):
        pytest.xfail("iopdesk.storage.db.make_database does not use storage_errors.with_clear_errors yet")
    assert _adopted(tmp_path)


def test_a_connection_opened_in_a_new_thread_has_the_clinic_pragmas(sqlite_clinic):
    """A worker thread's own connection has foreign keys on, WAL, synchronous=FULL and a busy timeout."""
    found = {}

    def read_pragmas():
        try:
            for name in ("foreign_keys", "journal_mode", "synchronous", "busy_timeout"):
                found[name] = sqlite_clinic.db.execute_sql(f"PRAGMA {name}").fetchone()[0]
            found["own connection"] = sqlite_clinic.db.connection() is not main_connection
        finally:
            sqlite_clinic.db.close()

    main_connection = sqlite_clinic.db.connection()
    worker = threading.Thread(target=read_pragmas)
    worker.start()
    worker.join()
    assert found == {"foreign_keys": 1, "journal_mode": "wal", "synchronous": 2, "busy_timeout": 5000,
                     "own connection": True}


def test_a_transaction_that_reads_first_holds_the_write_lock_from_its_start(sqlite_clinic, tmp_path):
    """A write transaction that begins with a read is IMMEDIATE: another program cannot start
    writing meanwhile (so our later write never fails halfway with a deadlock)."""
    path = tmp_path / "clinic.sqlite"
    with sqlite_clinic.db.atomic():
        Client.select().count()
        inside = subprocess.run([sys.executable, "-c", TRY_LOCK, str(path)], capture_output=True, text=True)
    after = subprocess.run([sys.executable, "-c", TRY_LOCK, str(path)], capture_output=True, text=True)
    assert inside.stdout.strip() == "database is locked"
    assert after.stdout.strip() == "got the write lock"


def test_a_save_while_another_program_holds_the_database_says_busy_and_works_on_retry(drafting):
    """With the database held longer than the busy timeout, autosaving the draft fails with a clear
    "busy" message, nothing changes, and the same save succeeds once the other program lets go."""
    clinic, _, note, path = drafting
    clinic.db.execute_sql("PRAGMA busy_timeout = 300")
    before = _rows()
    edited = {**DAP, "plan": "Practise the breathing exercise daily."}
    with another_program_holding_the_write_lock(path):
        started = time.monotonic()
        with pytest.raises(DatabaseBusy) as err:
            clinic.notes.save_draft(note.id, note.version, edited)
        waited = time.monotonic() - started
        assert isinstance(err.value, IopDeskError) and "busy" in str(err.value)
        assert "Nothing was saved" in str(err.value) and 0.25 <= waited < 3
        assert _rows() == before and Note.get_by_id(note.id).version == note.version
    saved, _ = clinic.notes.save_draft(note.id, note.version, edited)
    assert saved.sections["plan"] == edited["plan"] and saved.version == note.version + 1


def test_a_full_disk_refuses_the_save_with_a_clear_message_and_writes_nothing(drafting):
    """When the database cannot grow (disk full, simulated with max_page_count) a new note is
    refused with a clear message, no row of it is left, and the app keeps working."""
    clinic, client, _, _ = drafting
    pages = clinic.db.execute_sql("PRAGMA page_count").fetchone()[0]
    clinic.db.execute_sql(f"PRAGMA max_page_count = {pages}")
    before = _rows()
    # Close to the note's limits (iopdesk/kernel/text_limits.py): some 47,000 characters need pages.
    long_text = {key: "Reviewed the week in detail. " * 540 for key in ("data", "assessment", "plan")}
    new_note = dict(kind="individual", note_format="DAP", service_date=YESTERDAY, starts_at="11:00",
                    ends_at="11:45", sections=long_text)
    with pytest.raises(DiskFull) as err:
        clinic.notes.create_draft(client.id, **new_note)
    assert "disk" in str(err.value) and "full" in str(err.value) and "Nothing was saved" in str(err.value)
    assert _rows() == before
    assert clinic.check().ok
    clinic.db.execute_sql("PRAGMA max_page_count = 1073741823")
    note, _ = clinic.notes.create_draft(client.id, **new_note)
    assert Note.get_by_id(note.id).sections["data"] == long_text["data"].strip()


@pytest.fixture
def open_folder():
    """A folder an unprivileged user can reach (pytest's own temporary folders are private)."""
    folder = tempfile.mkdtemp(prefix="iopdesk-readonly-")
    os.chmod(folder, 0o755)
    yield folder
    os.chmod(folder, 0o755)
    shutil.rmtree(folder, ignore_errors=True)


@contextlib.contextmanager
def as_ordinary_user(*paths):
    """Run the block as an unprivileged user (root ignores file permissions), owning `paths`."""
    if os.geteuid() != 0:
        yield
        return
    for path in paths:
        os.chown(path, 65534, 65534)
    os.seteuid(65534)
    try:
        yield
    finally:
        os.seteuid(0)


def test_a_read_only_folder_is_refused_at_open_with_a_clear_message(clear_errors, open_folder, sqlite_template):
    """A clinic file in a folder that cannot be written is refused at open, saying so; nothing is written."""
    folder = Path(open_folder) / "shared"
    folder.mkdir()
    path = folder / "clinic.sqlite"
    shutil.copyfile(sqlite_template, path)
    before = path.read_bytes()
    with as_ordinary_user(folder, path):
        os.chmod(folder, 0o555)
        try:
            with pytest.raises(DatabaseUnavailable) as err:
                iopdesk.open_clinic(str(path), create=False)
        finally:
            os.chmod(folder, 0o755)
    assert "read-only" in str(err.value) and str(folder) in str(err.value)
    assert path.read_bytes() == before and sorted(os.listdir(folder)) == ["clinic.sqlite"]


def test_a_read_only_clinic_file_is_refused_at_open_with_a_clear_message(clear_errors, open_folder,
                                                                          sqlite_template):
    """A clinic file that cannot be written is refused at open rather than at the first save."""
    path = Path(open_folder) / "clinic.sqlite"
    shutil.copyfile(sqlite_template, path)
    os.chmod(path, 0o444)
    with as_ordinary_user(open_folder, path), pytest.raises(DatabaseUnavailable) as err:
        iopdesk.open_clinic(str(path), create=False)
    assert "read-only" in str(err.value) and str(path) in str(err.value)
