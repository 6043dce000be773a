"""Upgrading a clinic file: its schema migrations run once, after a checked backup is taken."""

from __future__ import annotations

import sqlite3

import pytest
from playhouse.migrations import Runner

import iopdesk
from iopdesk.errors import DatabaseUnavailable
from iopdesk.storage.backup_folder import backups_in, is_good_backup
from iopdesk.storage.db import database, make_database
from iopdesk.storage.schema import HISTORY_TABLE, MIGRATIONS_DIR, schema_status


def _old_clinic(path) -> None:
    """A clinic file as the first release left it (schema 1 only)."""
    db = make_database(str(path))
    database.initialize(db)
    Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE).up("0001_initial")
    db.close()


@pytest.fixture
def backups(tmp_path, monkeypatch):
    folder = tmp_path / "userdata" / "backups"
    monkeypatch.setattr("iopdesk.paths.data_dir", lambda: tmp_path / "userdata")
    return folder


def test_an_older_clinic_file_is_backed_up_once_before_its_schema_is_updated(tmp_path, backups):
    """Opening a schema-1 clinic file with this release first writes a checked backup at schema 1,
    then migrates; opening it again takes no second backup."""
    path = tmp_path / "clinic.sqlite"
    _old_clinic(path)
    with iopdesk.open_clinic(str(path)) as clinic:
        assert not clinic.schema().pending
    taken = backups_in(backups)
    assert len(taken) == 1 and is_good_backup(taken[0])
    with sqlite3.connect(taken[0]) as copy:
        names = [row[0] for row in copy.execute(f"SELECT name FROM {HISTORY_TABLE}")]
    assert names == ["0001_initial"]  # the backup is the clinic as it was before the update
    iopdesk.open_clinic(str(path)).close()
    assert len(backups_in(backups)) == 1


def test_a_new_clinic_file_is_not_backed_up(tmp_path, backups):
    """Creating a clinic runs every migration but has nothing to back up."""
    iopdesk.open_clinic(str(tmp_path / "new.sqlite")).close()
    assert not backups.exists() or not backups_in(backups)


def test_when_the_backup_fails_the_schema_is_left_as_it_was(tmp_path, backups, monkeypatch):
    """A backup folder that cannot be written stops the update with a readable reason; the clinic
    file keeps its old schema."""
    path = tmp_path / "clinic.sqlite"
    _old_clinic(path)
    backups.parent.mkdir(parents=True)
    backups.write_text("not a folder")
    with pytest.raises(DatabaseUnavailable, match="backs it up first, but the backup failed"):
        iopdesk.open_clinic(str(path))
    database.obj.close()
    db = make_database(str(path))
    assert schema_status(db).applied == ("0001_initial",)
    db.close()


def test_iopdesk_migrate_names_the_backup_it_took(tmp_path, backups, capsys):
    """`iopdesk migrate` on an older clinic file prints the backup, then the migrations applied."""
    from iopdesk.cli.main import main

    path = tmp_path / "clinic.sqlite"
    _old_clinic(path)
    assert main(["--db", str(path), "migrate"]) == 0
    out = capsys.readouterr().out
    taken = backups_in(backups)
    assert len(taken) == 1 and f"backup: {taken[0]}" in out and "applied: 0002_client_name_search" in out
