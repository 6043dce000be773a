"""Backups that restore: taken while the clinic is in use, checked, rotated, restored into a new file."""

from __future__ import annotations

import datetime as dt
import sqlite3
import threading

import pytest

import iopdesk
from iopdesk.audit import chain as audit
from iopdesk.backup.copies import (
    backup_clinic,
    backup_to_folder,
    pg_dump_command,
    restore_backup,
    rotate_backups,
)
from iopdesk.errors import DatabaseDamaged, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, ClinicSetting, Note
from iopdesk.storage.backup_folder import backup_name, backups_in, latest_good_backup
from iopdesk.storage.db import database

YESTERDAY = clock.today() - dt.timedelta(days=1)
DAP = {"data": "Talked about the weekend.", "assessment": "Coping plan used.", "plan": "Keep the trigger log."}


def write_note(clinic, client_id):
    note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP", service_date=YESTERDAY,
                                        starts_at="10:00", ends_at="10:50", sections=DAP)
    return clinic.notes.sign(note.id, note.version)[0]


def counts(path) -> dict[str, int]:
    connection = sqlite3.connect(path)
    try:
        names = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'")]
        return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}
    finally:
        connection.close()


def test_a_backup_taken_while_notes_are_being_signed_is_a_consistent_checked_copy(busy_clinic, tmp_path):
    """The backup holds one moment of the clinic, every table's row count matching that moment,
    even while another thread keeps signing notes."""
    clinic, client = busy_clinic
    stop = threading.Event()
    written = []

    def keep_writing():
        while not stop.is_set():
            written.append(write_note(clinic, client.id).id)

    writer = threading.Thread(target=keep_writing)
    writer.start()
    stages = []
    try:
        report = backup_clinic(clinic, tmp_path / "during.sqlite", progress=lambda *a: stages.append(a))
    finally:
        stop.set()
        writer.join()
    copied = counts(report.path)
    assert copied == dict(report.counts)
    assert copied["note"] >= 1 and copied["audit_event"] > copied["note"]
    assert ("checking", 1, 1) in stages and any(stage == "copying" for stage, *_ in stages)
    assert not (tmp_path / "during.sqlite.part").exists()
    connection = sqlite3.connect(report.path)
    assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    connection.close()


def test_a_backup_never_overwrites_a_file(busy_clinic, tmp_path):
    """Writing a backup over an existing file is refused, naming the field, and the file is untouched."""
    clinic, _ = busy_clinic
    existing = tmp_path / "keep.sqlite"
    existing.write_bytes(b"precious")
    with pytest.raises(ValidationError) as err:
        backup_clinic(clinic, existing)
    assert err.value.field == "out" and existing.read_bytes() == b"precious"


def test_a_postgresql_clinic_is_sent_to_pg_dump(tmp_path):
    """On a clinic server the backup is pg_dump's job: the message gives the command."""
    with pytest.raises(ValidationError) as err:
        backup_clinic("postgresql://iop@db.example/clinic", tmp_path / "x.sqlite")
    assert "pg_dump --format=custom --host=db.example --username=iop" in str(err.value)
    assert pg_dump_command("postgresql://iop:secret@db:5433/clinic").endswith(" clinic")
    assert "secret" not in pg_dump_command("postgresql://iop:secret@db:5433/clinic")


def _touch_backup(folder, when: dt.datetime):
    path = folder / backup_name(when)
    path.write_bytes(b"")
    return path


def test_rotation_keeps_a_week_of_days_a_month_of_weeks_and_a_year_of_months(tmp_path):
    """Two backups a day for 400 days shrink to the newest of each of the last 7 days, 4 weeks and
    12 months; other files in the folder are left alone."""
    start = dt.datetime(2025, 1, 1, 9, 0, 0)
    for day in range(400):
        for hour in (9, 17):
            _touch_backup(tmp_path, start + dt.timedelta(days=day, hours=hour - 9))
    (tmp_path / "notes.txt").write_text("mine")
    deleted = rotate_backups(tmp_path)
    kept = backups_in(tmp_path)
    newest = start + dt.timedelta(days=399, hours=8)
    assert kept[0].name == backup_name(newest)
    days = {p.name[7:15] for p in kept}
    assert len(kept) == len(days)  # one per day at most
    assert [p.name[7:15] for p in kept[:7]] == [f"{newest - dt.timedelta(days=n):%Y%m%d}" for n in range(7)]
    months = {p.name[7:13] for p in kept}
    assert len(months) == 12 and len(kept) <= 7 + 4 + 12
    assert len(deleted) + len(kept) == 800 and (tmp_path / "notes.txt").exists()


def test_backups_go_to_the_folder_under_a_time_name_and_rotate(busy_clinic, tmp_path):
    """Two backups in the same second get distinct names; rotation then keeps the day's newest."""
    clinic, _ = busy_clinic
    first = backup_to_folder(clinic, tmp_path / "backups", rotate=False)
    second = backup_to_folder(clinic, tmp_path / "backups", rotate=False)
    assert first.path != second.path and first.path.parent == tmp_path / "backups"
    assert backups_in(tmp_path / "backups") == [second.path, first.path]
    third = backup_to_folder(clinic, tmp_path / "backups")
    assert backups_in(tmp_path / "backups") == [third.path]
    assert latest_good_backup(tmp_path / "backups") == third.path


def damage(path, *, pages=(3, 4, 5)):
    """Overwrite some pages in the middle of a (closed) SQLite file with garbage."""
    data = bytearray(path.read_bytes())
    page = int.from_bytes(data[16:18], "big") or 65536
    for number in pages:
        data[page * number: page * number + page] = bytes((i * 37 + 11) % 256 for i in range(page))
    path.write_bytes(bytes(data))


def test_the_latest_good_backup_skips_a_damaged_one(busy_clinic, tmp_path):
    """When the newest backup is damaged, the one before it is offered."""
    clinic, _ = busy_clinic
    folder = tmp_path / "backups"
    good = backup_to_folder(clinic, folder).path
    bad = backup_to_folder(clinic, folder, rotate=False).path
    damage(bad)
    assert latest_good_backup(folder) == good
    assert latest_good_backup(tmp_path / "nowhere") is None


def test_a_backup_restores_into_a_new_file_with_a_new_identity(busy_clinic, tmp_path):
    """The restored clinic holds the same notes, verifies its audit trail, opens, and has a new
    database identity so sync peers send it everything again; the restore is in its audit trail."""
    clinic, _ = busy_clinic
    with clinic.db.atomic():
        from iopdesk.sync.session import identity
        old_id = identity().database_id
    backup = backup_clinic(clinic, tmp_path / "b.sqlite")
    report = restore_backup(backup.path, tmp_path / "restored.sqlite")
    assert report.audit_events >= 3 and report.database_id != old_id
    restored = iopdesk.open_clinic(str(report.path), create=False)
    try:
        assert Note.select().count() == counts(backup.path)["note"]
        assert ClinicSetting.get(ClinicSetting.key == "database_id").value == report.database_id
        # the restored copy writes as a new incarnation whose own trail starts with the restore
        first = (AuditEvent.select().where(AuditEvent.origin_site == restored.writer_id)
                 .order_by(AuditEvent.seq).first())
        assert (first.seq, first.action) == (1, "restore")
        assert restored.check().ok
    finally:
        restored.close()
    database.initialize(clinic.db)


def test_restore_refuses_an_existing_target_and_a_damaged_backup(busy_clinic, tmp_path):
    """Restoring never overwrites a file, and a damaged backup is refused with nothing left behind."""
    clinic, _ = busy_clinic
    backup = backup_clinic(clinic, tmp_path / "b.sqlite").path
    occupied = tmp_path / "occupied.sqlite"
    occupied.write_bytes(b"x")
    with pytest.raises(ValidationError) as err:
        restore_backup(backup, occupied)
    assert err.value.field == "to" and occupied.read_bytes() == b"x"
    damage(backup)
    with pytest.raises(DatabaseDamaged):
        restore_backup(backup, tmp_path / "new.sqlite")
    assert not (tmp_path / "new.sqlite").exists()


def test_a_backup_with_a_tampered_audit_trail_is_not_restored(busy_clinic, tmp_path):
    """An edited audit event in a backup is caught before the restore is accepted."""
    clinic, _ = busy_clinic
    backup = backup_clinic(clinic, tmp_path / "b.sqlite").path
    connection = sqlite3.connect(backup)
    triggers = [r[0] for r in connection.execute(
        "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='audit_event'")]
    for name in triggers:
        connection.execute(f'DROP TRIGGER "{name}"')
    connection.execute("UPDATE audit_event SET action = 'read' WHERE seq = 2")
    connection.commit()
    connection.close()
    with pytest.raises(DatabaseDamaged) as err:
        restore_backup(backup, tmp_path / "new.sqlite")
    assert "audit" in str(err.value) and not (tmp_path / "new.sqlite").exists()


def test_a_damaged_clinic_file_is_refused_at_open_and_the_latest_backup_offered(busy_clinic, tmp_path,
                                                                                monkeypatch):
    """A clinic file with garbage in its middle pages does not open; the message names the latest
    good backup in the user's backup folder, and the file is not written to."""
    clinic, _ = busy_clinic
    monkeypatch.setattr("iopdesk.paths.data_dir", lambda: tmp_path / "userdata")
    from iopdesk.paths import backup_dir

    good = backup_to_folder(clinic, backup_dir()).path
    path = tmp_path / "clinic.sqlite"
    clinic.close()
    damage(path, pages=(6, 7, 8, 9))
    before = path.read_bytes()
    with pytest.raises(DatabaseDamaged) as err:
        iopdesk.open_clinic(str(path), create=False)
    assert str(good) in str(err.value) and err.value.backup == good
    assert "will not write" in str(err.value) and "iopdesk restore" in str(err.value)
    assert path.read_bytes() == before


def test_a_backup_adds_only_its_own_audit_event_to_the_source(busy_clinic, tmp_path):
    """Taking a backup writes one audit event to the clinic (and its sync change log entry), after
    the copy, so the copy holds the clinic as it was, plus its own sealed anchor (one setting);
    the chain still verifies."""
    clinic, _ = busy_clinic
    path = tmp_path / "clinic.sqlite"
    before = counts(path)
    report = backup_clinic(clinic, tmp_path / "b.sqlite")
    after = counts(path)
    assert {t for t in after if after[t] != before[t]} == {"audit_event", "sync_change"}
    assert after["audit_event"] == before["audit_event"] + 1
    assert counts(report.path) == {**before, "clinic_setting": before["clinic_setting"] + 1}
    assert audit.verify_chain().ok


def test_the_backup_of_an_encrypted_clinic_is_encrypted_too(busy_clinic, tmp_path):
    """An encrypted clinic's scheduled backup needs no second passphrase and reveals no client name."""
    pytest.importorskip("sqlcipher3")
    from iopdesk.storage.encryption import encrypt_clinic

    clinic, _ = busy_clinic
    path = tmp_path / "clinic.sqlite"
    clinic.close()
    encrypt_clinic(path, "a long clinic passphrase")
    with iopdesk.open_clinic(str(path), passphrase="a long clinic passphrase") as encrypted:
        report = backup_to_folder(encrypted, tmp_path / "backups")
    data = report.path.read_bytes()
    assert report.rows > 0 and not data.startswith(b"SQLite format 3") and b"Whitfield" not in data
    assert latest_good_backup(tmp_path / "backups") == report.path
