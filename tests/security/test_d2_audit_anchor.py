"""The trail cannot silently vanish or be cut (issue 19): each workstation anchors the audit
trail's head outside the clinic file, so a trail wiped with its guard triggers dropped, or a clinic
file rolled back to an older copy, is reported by `iopdesk check` (exit 3) naming the anchor it
contradicts, until an administrator acknowledges it (audited). A restore made with the app is
recognised as one; a workstation that never saw the clinic has nothing to contradict.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import uuid

import pytest

import iopdesk
from iopdesk.audit import anchor as audit_anchor
from iopdesk.audit import chain as audit
from iopdesk.audit.checks import collect
from iopdesk.backup.copies import backup_clinic, restore_backup
from iopdesk.cli.main import main
from iopdesk.errors import DatabaseDamaged, PermissionDenied, ValidationError
from iopdesk.models import AuditEvent, ClinicSetting, writing_as_site
from iopdesk.permissions import SYSTEM
from iopdesk.storage.db import database
from tests.cli_runs import run_cli
from tests.conftest import ADMIN_PASSWORD


def _a_day_of_work(path, reads: int = 5) -> int:
    """The admin signs in and opens the audit report a few times; returns the trail's head seq."""
    clinic = iopdesk.open_clinic(str(path), create=False)
    try:
        clinic.login("admin", ADMIN_PASSWORD)
        for _ in range(reads):
            with clinic.db.atomic():
                audit.record(clinic.actor, "read", "audit_report")
        return audit_anchor.head()[0]
    finally:
        clinic.close()


def _wipe_trail(path) -> None:
    """What an insider does with sqlite3: drop the guard, delete every event and the head."""
    connection = sqlite3.connect(path)
    try:
        guards = [row[0] for row in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'audit_guard_audit_event%'")]
        for name in guards:
            connection.execute(f'DROP TRIGGER "{name}"')
        connection.execute("DELETE FROM audit_event")
        connection.execute("DELETE FROM audit_head")
        connection.commit()
    finally:
        connection.close()


def _check(path, capsys) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["check", "--db", str(path)])
    return code, capsys.readouterr().out


def test_a_trail_wiped_with_its_triggers_dropped_is_reported_with_the_anchor(clinic_file, capsys):
    """`check` used to say "audit trail: ok (0 events)"; now it exits 3 and names the event this
    workstation saw last, its hash and when."""
    last = _a_day_of_work(clinic_file)
    _wipe_trail(clinic_file)
    code, out = _check(clinic_file, capsys)
    assert code == 3, out
    line = next(line for line in out.splitlines() if line.startswith("anchor:"))
    assert f"the audit trail ends at event 0 but this workstation saw event {last} (hash " in line
    assert f"workstation anchor at event {last}" in line


def test_a_clinic_file_rolled_back_to_an_older_copy_is_reported_until_acknowledged(
        clinic_file, tmp_path, capsys, monkeypatch):
    """Someone copies last week's file over today's (a whole-file rollback needs no key): check
    names the anchor; more work on the old file does not hide it; an administrator's
    acknowledgement (with its reason, in the trail) lets the anchor follow the trail again."""
    older = _a_day_of_work(clinic_file, reads=2)
    shutil.copyfile(clinic_file, tmp_path / "last-week.sqlite")
    newest = _a_day_of_work(clinic_file, reads=6)
    shutil.copyfile(tmp_path / "last-week.sqlite", clinic_file)
    code, out = _check(clinic_file, capsys)
    assert code == 3 and f"the audit trail ends at event {older} but this workstation saw event {newest}" in out
    after = _a_day_of_work(clinic_file, reads=10)
    assert after > newest
    code, out = _check(clinic_file, capsys)
    assert code == 3 and f"does not hold event {newest}" in out and f"ends at event {after}" in out

    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    clinic = iopdesk.open_clinic(str(clinic_file), create=False)
    try:
        code, out = run_cli(clinic, capsys, "audit", "acknowledge-rollback", "--db", str(clinic_file), "--as", "admin",
                            "--reason", "Dr. Reyes restored last week's copy after the disk failed")
        assert code == 0 and f"no longer holds event {newest}" in out
        code, out = _check(clinic_file, capsys)
        database.initialize(clinic.db)
        assert code == 0, out
        event = AuditEvent.select().where(AuditEvent.action == "acknowledge_rollback").get()
        assert event.actor == "admin" and event.detail["anchor_seq"] == newest
        assert "disk failed" in event.detail["reason"] and event.detail["trail_ends_at"] == event.seq - 1 > after
    finally:
        clinic.close()


def test_acknowledging_needs_an_administrator_a_reason_and_something_to_acknowledge(clinic_file):
    clinic = iopdesk.open_clinic(str(clinic_file), create=False)
    try:
        clinic.login("clinician", ADMIN_PASSWORD)
        with pytest.raises(PermissionDenied):
            clinic.audit.acknowledge_rollback("because")
        clinic.logout()
        clinic.login("admin", ADMIN_PASSWORD)
        with pytest.raises(ValidationError) as blank:
            clinic.audit.acknowledge_rollback("   ")
        assert blank.value.field == "reason"
        with pytest.raises(ValidationError) as nothing:
            clinic.audit.acknowledge_rollback("just checking")
        assert "nothing to acknowledge" in str(nothing.value)
    finally:
        clinic.close()


def test_a_restore_made_with_the_app_is_recognised_and_the_replaced_file_keeps_its_anchor(busy_clinic, tmp_path):
    """Back up, keep working, restore the backup with IOP Desk: the restored clinic checks clean
    (its "restore" event names the backup's anchor and the anchor it supersedes), and so does
    the file it replaced, each against its own anchor."""
    clinic, client = busy_clinic
    backup = backup_clinic(clinic, tmp_path / "b.sqlite")
    for _ in range(4):
        with clinic.db.atomic():
            audit.record(clinic.actor, "read", "client", client.id, client_id=client.id)
    newest = audit_anchor.head()[0]
    report = restore_backup(backup.path, tmp_path / "restored.sqlite")
    restored = iopdesk.open_clinic(str(report.path), create=False)
    try:
        assert restored.check().ok, restored.check().lines
        assert restored.audit.startup_check().ok
        event = AuditEvent.select().where(AuditEvent.action == "restore").get()
        assert event.detail["anchor_before"]["seq"] == newest
        earlier_life = AuditEvent.select().where(AuditEvent.origin_site == uuid.UUID(event.detail["previous_writer"]))
        assert event.seq == 1 and event.detail["backup_anchor"]["seq"] == earlier_life.count()
        assert ClinicSetting.get_or_none(ClinicSetting.key == audit_anchor.BACKUP_SETTING) is None
    finally:
        restored.close()
    database.initialize(clinic.db)
    with writing_as_site(clinic.writer_id):  # the restored copy writes as another writer (one process, two clinics)
        assert clinic.check().ok


def test_an_app_restore_made_at_another_workstation_is_recognised_here(busy_clinic, tmp_path, monkeypatch):
    """This workstation anchored the clinic before; the file restored elsewhere has a new identity
    named by a keyed "restore" event, so it is a restore, not a rollback."""
    clinic, _ = busy_clinic
    backup = backup_clinic(clinic, tmp_path / "b.sqlite")
    with clinic.db.atomic():
        audit.record(clinic.actor, "read", "audit_report")
    here = tmp_path / "this-workstation"
    shutil.copytree(audit_anchor.anchor_file(*_where(clinic)).parent, here)
    monkeypatch.setenv(audit_anchor.ANCHOR_DIR_ENV, str(tmp_path / "elsewhere"))
    report = restore_backup(backup.path, tmp_path / "restored.sqlite")
    monkeypatch.setenv(audit_anchor.ANCHOR_DIR_ENV, str(here))
    restored = iopdesk.open_clinic(str(report.path), create=False)
    try:
        assert audit_anchor.anchor_findings() == []
    finally:
        restored.close()
    database.initialize(clinic.db)


def _where(clinic) -> tuple[str, str]:
    return str(clinic.setting("clinic_id")), str(clinic.site.id)


def test_a_backup_copied_over_the_clinic_outside_the_app_is_reported(busy_clinic, tmp_path, capsys):
    """The same backup copied over the clinic file by hand (as pg_restore would put it back) is a
    trail older than its anchor."""
    clinic, _ = busy_clinic
    path = tmp_path / "clinic.sqlite"
    backup = backup_clinic(clinic, tmp_path / "b.sqlite")
    with clinic.db.atomic():
        audit.record(clinic.actor, "read", "audit_report")
    newest = audit_anchor.head()[0]
    clinic.close()
    shutil.copyfile(backup.path, path)
    code, out = _check(path, capsys)
    assert code == 3 and f"this workstation saw event {newest}" in out


def test_a_backup_carries_its_sealed_anchor(busy_clinic, tmp_path):
    """The backup holds its own head, sealed; a restore refuses a backup whose seal was edited."""
    clinic, _ = busy_clinic
    backup = backup_clinic(clinic, tmp_path / "b.sqlite")
    connection = sqlite3.connect(backup.path)
    try:
        (value,) = connection.execute("SELECT value FROM clinic_setting WHERE key = 'audit_anchor'").fetchone()
        (seq, event_hash) = connection.execute("SELECT seq, event_hash FROM audit_head").fetchone()
        carried = json.loads(value)
        assert (carried["seq"], carried["hash"], carried["site_id"]) == (seq, event_hash, str(clinic.site.id))
        carried["seq"] = seq + 50
        connection.execute("UPDATE clinic_setting SET value = ? WHERE key = 'audit_anchor'", (json.dumps(carried),))
        connection.commit()
    finally:
        connection.close()
    with pytest.raises(DatabaseDamaged) as refused:
        restore_backup(backup.path, tmp_path / "restored.sqlite")
    assert "its anchor was altered" in str(refused.value)
    assert not (tmp_path / "restored.sqlite").exists()


def test_a_workstation_that_never_saw_the_clinic_has_no_anchor_yet(clinic_file, tmp_path, monkeypatch):
    """A second workstation of the clinic starts with nothing to contradict; its first event
    anchors the trail there."""
    _a_day_of_work(clinic_file)
    monkeypatch.setenv(audit_anchor.ANCHOR_DIR_ENV, str(tmp_path / "new-workstation"))
    clinic = iopdesk.open_clinic(str(clinic_file), create=False)
    try:
        assert audit_anchor.entries_here() == [] and collect(recent=True) == [] and clinic.check().ok
        clinic.login("admin", ADMIN_PASSWORD)
        assert [a.seq for a in audit_anchor.entries_here()] == [audit_anchor.head()[0]]
    finally:
        clinic.close()


def test_a_transaction_that_rolls_back_does_not_move_the_anchor(clinic_file):
    clinic = iopdesk.open_clinic(str(clinic_file), create=False)
    try:
        clinic.login("admin", ADMIN_PASSWORD)
        before = audit_anchor.entries_here()
        with pytest.raises(RuntimeError), clinic.db.atomic():
            audit.record(SYSTEM, "read", "audit_report")
            raise RuntimeError("the save failed")
        assert audit_anchor.entries_here() == before and audit_anchor.anchor_findings() == []
    finally:
        clinic.close()


def test_an_edited_anchor_file_is_a_finding(clinic_file):
    """Moving the anchor back by hand (both slots), without the audit key, breaks its seal."""
    seq = _a_day_of_work(clinic_file)
    clinic = iopdesk.open_clinic(str(clinic_file), create=False)
    try:
        path = audit_anchor.anchor_file(*_where(clinic))
        older = AuditEvent.get(AuditEvent.seq == seq - 3).event_hash
        raw, slot = path.read_bytes(), audit_anchor.SLOT_BYTES
        edited = b""
        for start in range(0, len(raw), slot):
            data = json.loads(raw[start:start + slot])
            data["copies"]["original"].update(seq=seq - 3, hash=older)
            edited += json.dumps(data).encode().ljust(slot)
        path.write_bytes(edited)
        (finding,) = audit_anchor.anchor_findings()
        assert finding.area == "anchor" and "was altered" in finding.problem
        assert not clinic.audit.startup_check().ok
    finally:
        clinic.close()


def test_each_workstation_of_one_clinic_keeps_its_own_anchor(staffed_clinic, tmp_path, monkeypatch):
    """Two workstations of one clinic (on PostgreSQL, the usual case): each anchors what it saw;
    the other's later events carry the trail past it, which contradicts nothing."""
    def at(workstation: str) -> None:
        monkeypatch.setenv(audit_anchor.ANCHOR_DIR_ENV, str(tmp_path / workstation))

    at("front-desk")
    staffed_clinic.login("admin", ADMIN_PASSWORD)
    front_desk = audit_anchor.head()
    assert [(a.seq, a.hash) for a in audit_anchor.entries_here()] == [front_desk]
    at("group-room")
    assert audit_anchor.entries_here() == [] and audit_anchor.anchor_findings() == []
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    assert [a.seq for a in audit_anchor.entries_here()] == [audit_anchor.head()[0]] != [front_desk[0]]
    at("front-desk")
    assert audit_anchor.anchor_findings() == [] and staffed_clinic.check().ok


def test_an_old_copy_whose_identity_was_edited_stays_reported_after_more_work(clinic_file, tmp_path, capsys):
    """Last week's copy put back with its `database_id` changed (so it looks like another copy):
    it must hold the newest anchor, or name itself in a keyed restore event; it does neither, and
    writing more events does not adopt it."""
    _a_day_of_work(clinic_file, reads=2)
    shutil.copyfile(clinic_file, tmp_path / "last-week.sqlite")
    newest = _a_day_of_work(clinic_file, reads=4)
    shutil.copyfile(tmp_path / "last-week.sqlite", clinic_file)
    connection = sqlite3.connect(clinic_file)
    connection.execute("DELETE FROM clinic_setting WHERE key = 'database_id'")
    connection.execute("INSERT INTO clinic_setting (id, key, value, created_at, updated_at, version) "
                       "VALUES ('0190aaaa000070008000000000000001', 'database_id', '\"0190aaaa-0000-7000-8000-000000000002\"', "
                       "'2026-01-01', '2026-01-01', 1)")
    connection.commit()
    connection.close()
    _a_day_of_work(clinic_file, reads=3)
    code, out = _check(clinic_file, capsys)
    assert code == 3 and f"this workstation saw event {newest}" in out
