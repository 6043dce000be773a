"""Every backup is in the audit trail, even when no one is signed in (issue 8, items 2 and 5):
one event by the system, naming the file and its rows, written after the copy was checked."""

from __future__ import annotations

import sqlite3

import pytest

import iopdesk
from iopdesk.audit import chain as audit
from iopdesk.audit.keys import AuditKeyMissing
from iopdesk.backup.copies import backup_clinic, backup_to_folder
from iopdesk.cli.main import main
from iopdesk.models import AuditEvent


def _backup_events(path, passphrase=None) -> list[AuditEvent]:
    with iopdesk.open_clinic(str(path), create=False, passphrase=passphrase):
        assert audit.verify_chain().ok
        return list(AuditEvent.select().where(AuditEvent.action == "backup").order_by(AuditEvent.seq))


def _audit_rows(path) -> int:
    connection = sqlite3.connect(path)
    try:
        return connection.execute("SELECT count(*) FROM audit_event").fetchone()[0]
    finally:
        connection.close()


def test_a_command_line_backup_with_no_one_signed_in_is_audited_by_the_system(clinic_file, tmp_path, capsys):
    """`iopdesk backup --out FILE`: the clinic's chain gains one "backup" event by the system naming
    the file and its row count; the backup itself holds the clinic as it was before that event."""
    before = _audit_rows(clinic_file)
    assert main(["backup", "--db", str(clinic_file), "--out", str(tmp_path / "b.sqlite")]) == 0
    assert "Backup written and checked" in capsys.readouterr().out
    [event] = _backup_events(clinic_file)
    assert event.actor == "system" and event.actor_id is None and event.entity == "clinic"
    assert event.detail["file"] == "b.sqlite" and event.detail["encrypted"] is False
    assert event.detail["rows"] > 0 and event.detail["tables"] > 10
    assert _audit_rows(tmp_path / "b.sqlite") == before and _audit_rows(clinic_file) == before + 1


def test_each_scheduled_backup_of_an_open_clinic_is_audited(clinic_file, tmp_path):
    """Two backups into the backup folder (as the app's schedule takes them): two events, in order."""
    with iopdesk.open_clinic(str(clinic_file)) as clinic:
        first = backup_to_folder(clinic, tmp_path / "backups", rotate=False)
        second = backup_to_folder(clinic, tmp_path / "backups", rotate=False)
        assert audit.verify_chain().ok
    events = _backup_events(clinic_file)
    assert [e.detail["file"] for e in events] == [first.path.name, second.path.name]
    assert events[0].detail["rows"] == first.rows


def test_a_backup_whose_event_cannot_be_written_is_kept_and_says_so(clinic_file, tmp_path, monkeypatch):
    """A backup protects the records, so it is kept when its event fails (no audit key here); the
    report says it is not in the audit trail, and the clinic is unchanged."""
    before = _audit_rows(clinic_file)

    def no_key(*args, **kwargs):
        raise AuditKeyMissing("Audit key: this computer does not have the audit key of this clinic.", field="key")

    monkeypatch.setattr(audit, "record", no_key)
    report = backup_clinic(str(clinic_file), tmp_path / "b.sqlite")
    assert report.unaudited.startswith("Audit key:")
    assert "not in the audit trail" in report.summary()
    assert (tmp_path / "b.sqlite").exists() and not (tmp_path / "b.sqlite.part").exists()
    assert _audit_rows(clinic_file) == before


def test_the_backup_of_an_encrypted_clinic_is_audited_in_its_encrypted_chain(clinic_file, tmp_path):
    """An encrypted clinic's backup (no passphrase asked twice) is recorded in its own chain."""
    pytest.importorskip("sqlcipher3")
    from iopdesk.storage.encryption import encrypt_clinic

    passphrase = "a long clinic passphrase"
    encrypt_clinic(clinic_file, passphrase)
    with iopdesk.open_clinic(str(clinic_file), passphrase=passphrase) as encrypted:
        report = backup_to_folder(encrypted, tmp_path / "backups")
    [event] = _backup_events(clinic_file, passphrase)
    assert event.detail == {"file": report.path.name, "rows": report.rows, "tables": len(report.counts),
                            "encrypted": True}
    assert b"backup" not in clinic_file.read_bytes()
