"""A large clinic file opens after a light check and gets its full storage check on a worker
(quick_check reads every page: seconds on a five-year clinic); damage found then stops every
later write and names the latest good backup, and a sound file carries on as usual."""

from __future__ import annotations

import sqlite3

import pytest

import iopdesk
from iopdesk.errors import DatabaseDamaged
from iopdesk.models import Note
from iopdesk.storage import integrity
from iopdesk.storage.errors import allow_writes
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_backup import damage, write_note


def pages_of(path, table: str) -> tuple[int, ...]:
    """The 0-based page numbers holding `table`'s rows (SQLite's dbstat), for damage that opening
    the clinic does not read."""
    connection = sqlite3.connect(path)
    try:
        rows = connection.execute("SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf'", (table,))
        return tuple(number - 1 for (number,) in rows)
    finally:
        connection.close()


@pytest.fixture
def large(monkeypatch):
    """Every clinic file counts as large."""
    monkeypatch.setattr(integrity, "DEFER_OVER_BYTES", 0)


def test_a_large_damaged_clinic_opens_then_the_deferred_check_stops_every_write(backed_up, large):
    """The app opens the file, the worker's check finds the damaged pages, and from then on a
    save is refused naming the backup; the file is not written."""
    path, backup = backed_up
    damage(path, pages=pages_of(path, "drug_screen") or pages_of(path, "note"))
    clinic = iopdesk.open_clinic(str(path), create=False, defer_large_check=True)
    try:
        assert clinic.integrity_deferred
        found = integrity.check_deferred(clinic.db)
        assert isinstance(found, DatabaseDamaged) and found.backup == backup
        before = path.read_bytes()
        with pytest.raises(DatabaseDamaged, match="damaged.*will not write"):
            with clinic.db.atomic():
                Note.update(minutes=1).execute()
        assert path.read_bytes() == before
    finally:
        allow_writes(str(path))
        clinic.close()


def test_a_large_sound_clinic_passes_the_deferred_check_and_saves(backed_up, large):
    """No damage: the check says so and a note is saved as usual."""
    path, _ = backed_up
    clinic = iopdesk.open_clinic(str(path), create=False, defer_large_check=True)
    try:
        assert clinic.integrity_deferred
        assert integrity.check_deferred(clinic.db) is None
        clinic.login("clinician", ADMIN_PASSWORD)
        write_note(clinic, Note.select(Note.client).first().client_id)
        assert Note.select().count() == 3
    finally:
        clinic.close()


def test_the_command_line_and_small_files_are_checked_in_full_at_open(backed_up):
    """Without the app's deferral (the CLI), or for a file under the limit, damage is refused at open."""
    path, _ = backed_up
    damage(path, pages=(4, 5, 6))
    with pytest.raises(DatabaseDamaged):
        iopdesk.open_clinic(str(path), create=False)
    with pytest.raises(DatabaseDamaged):
        iopdesk.open_clinic(str(path), create=False, defer_large_check=True)  # 1 MB < the limit
