"""Joins that can be run again and sites that can be retired (issue 20, failure 3, deliverable 3).

A satellite's join killed half-way used to burn its site code ("SOUTH is already used"), leave a
file that would not open and keep the main clinic counting pending changes for good. Now the
satellite file is built as `<file>.joining`, the site stays "joining" at the main clinic until the
first full sync has committed, and running the same join again resumes or restarts it. An
administrator retires a site at the main clinic (its records stay), and each satellite signs its
sync files with a key of its own, so one laptop's key is revoked without re-keying the others.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import peewee
import pytest

from iopdesk import open_clinic
from iopdesk.errors import DatabaseUnavailable, UnfinishedJoin, ValidationError
from iopdesk.models import AuditEvent, Site
from iopdesk.services.sync import join_as_satellite, joining_path
from iopdesk.storage.db import PASSPHRASE_ENV
from iopdesk.storage.file_kind import SQLITE_HEADER
from iopdesk.sync import session
from tests.cli_runs import run_cli
from tests.conftest import ADMIN_PASSWORD
from tests.sync_sites import differences, make_sites, open_site, share_with, sync

PASSPHRASE = "amber kettle quietly orbits"

# `iopdesk ARGV` in a child process that SIGKILLs itself once `batches` sync batches have committed
# (batches of 50 changes, so a join of the staffed clinic takes many).
_KILLED_AFTER = """
import os, signal, sys
from iopdesk.sync import outgoing, session
from iopdesk.cli.main import main

small = outgoing.next_batch
session.next_batch = lambda *a, **k: small(*a, **{**k, "size": 50})
applied, done = session._apply_batch, []

def apply_then_die(*args, **kwargs):
    applied(*args, **kwargs)
    done.append(1)
    if len(done) >= int(os.environ["KILL_AFTER_BATCHES"]):
        os.kill(os.getpid(), signal.SIGKILL)

session._apply_batch = apply_then_die
sys.exit(main(sys.argv[1:]))
"""


def _join_killed_midway(main_url: str, path: Path, code: str, batches: int = 3) -> None:
    """`iopdesk sync join` as an administrator runs it: encrypting the file (the passphrase from
    $IOPDESK_DB_PASSPHRASE), killed once `batches` batches have committed."""
    env = {**os.environ, "KILL_AFTER_BATCHES": str(batches), PASSPHRASE_ENV: PASSPHRASE}
    done = subprocess.run([sys.executable, "-c", _KILLED_AFTER, "sync", "join", "--main", main_url,
                           "--db", str(path), "--site-code", code, "--site-name", f"{code.title()} clinic"],
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == -signal.SIGKILL, done.stderr


def _status(site):
    with site.on() as clinic:
        return clinic.sync.status()


@contextlib.contextmanager
def _as_admin(site):
    """Work at `site` signed in as its administrator."""
    with site.on() as clinic:
        clinic.login("admin", ADMIN_PASSWORD)
        yield clinic


@pytest.mark.postgres
def test_a_join_killed_midway_against_a_postgresql_main_is_finished_by_joining_again(
        tmp_path, pg_server, staffed_pg_template, monkeypatch):
    """SIGKILL during an encrypted `iopdesk sync join` of South: the half-built file is no clinic
    file (opening it names the command that finishes it), the code is not burnt, and the same
    join run again ends with an encrypted South holding what the main clinic holds for it (the
    clients shared with it meanwhile, iopdesk/sync/scope.py) and nothing pending at main."""
    from tests.conftest import _new_pg_database

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    main = south = None
    path = tmp_path / "south.sqlite"
    try:
        main = open_site("MAIN", url)
        with main.on() as clinic:
            clients = [str(clinic.clients.register(legal_first=f"Amara{number}", legal_last="Osei",
                                                   dob="1990-04-04", sex="F", allow_duplicate=True)[0].id)
                       for number in range(12)]
        _join_killed_midway(url, path, "SOUTH")

        assert not path.exists() and joining_path(path).exists()
        with pytest.raises(UnfinishedJoin, match=r"join did not finish.*iopdesk sync join .*--site-code SOUTH"):
            open_clinic(str(joining_path(path)))
        [peer] = _status(main).peers
        assert (peer.site_code, peer.joining) == ("SOUTH", True)
        share_with(main, clients, ["SOUTH"])  # so South holds every client main has

        join_as_satellite(url, str(path), site_code="SOUTH", site_name="South clinic", passphrase=PASSPHRASE)

        assert path.read_bytes()[:16] != SQLITE_HEADER, "the satellite file is not encrypted"
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        south = open_site("SOUTH", path)
        sync(south, main)
        assert not joining_path(path).exists()
        assert differences(south.snapshot(), main.snapshot()) == []
        status = _status(main)
        assert status.pending_changes == 0 and [p.joining for p in status.peers] == [False]
        with main.on():
            assert [s.code for s in Site.select().where(~Site.is_main)] == ["SOUTH"]
            assert [e.action for e in AuditEvent.select().where(AuditEvent.entity == "site")
                    .order_by(AuditEvent.seq)] == ["create", "join_again", "join"]
    finally:
        for site in (main, south):
            if site is not None:
                site.close()
        janitor.drop()


def test_a_join_whose_partial_file_is_gone_or_damaged_starts_again_under_the_same_code(
        tmp_path, staffed_sqlite_template, monkeypatch):
    """The join broke off (here: the network) and the partial file was then damaged: joining
    again with the same code starts the file afresh; North ends complete and nothing is pending."""
    main, _, clients = make_sites(tmp_path, staffed_sqlite_template, satellites=(), admitted=3)
    path = tmp_path / "north.sqlite"
    applied = session._apply_batch

    def network_gone(*args, **kwargs):
        applied(*args, **kwargs)
        raise peewee.OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(session, "_apply_batch", network_gone)
    with pytest.raises(DatabaseUnavailable, match=r"join of site NORTH broke off .*north.sqlite.joining: run the "
                                                  r"same `iopdesk sync join`"):
        join_as_satellite(str(main.path), str(path), site_code="NORTH", site_name="North clinic")
    monkeypatch.undo()
    assert not path.exists()
    share_with(main, clients, ["NORTH"])  # so North holds every client main has (iopdesk/sync/scope.py)
    joining_path(path).write_bytes(b"half a file")
    join_as_satellite(str(main.path), str(path), site_code="NORTH", site_name="North clinic")
    north = open_site("NORTH", path)
    try:
        sync(north, main)
        assert differences(north.snapshot(), main.snapshot()) == []
        assert _status(main).pending_changes == 0
        assert north.client(clients[0]).legal_last == "Okafor"
        with pytest.raises(ValidationError, match="NORTH is already used"):
            join_as_satellite(str(main.path), str(tmp_path / "again.sqlite"), site_code="NORTH",
                              site_name="North clinic")
    finally:
        north.close()
        main.close()


def test_an_administrator_retires_a_site_and_its_syncs_and_files_are_refused(
        tmp_path, staffed_sqlite_template, capsys, monkeypatch):
    """`iopdesk sync retire --site NORTH` at the main clinic: North's records stay, main stops
    counting what North never confirmed, South learns of it by sync, and North's next sync, its
    sync file and a new join under its code are all refused in words."""
    main, (north, south), clients = make_sites(tmp_path, staffed_sqlite_template)
    try:
        with north.on() as clinic:
            kept, _ = clinic.clients.register(legal_first="Ines", legal_last="Barros", dob="1984-02-02", sex="F")
        sync(north, main)
        with main.on() as clinic:
            clinic.clients.register(legal_first="Tove", legal_last="Lund", dob="1999-09-19", sex="F")
        with _as_admin(north) as clinic:
            clinic.sync.export_file(tmp_path / "north.sync", plain=True)
        assert _status(main).pending_changes > 0  # North has not received Tove yet

        monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        code, out = run_cli(main.clinic, capsys, "--db", str(main.path), "sync", "retire", "--site", "north",
                            "--as", "admin")
        assert code == 0, out
        assert "Retired site NORTH" in out

        sync(south, main)
        assert _status(main).pending_changes == 0
        assert main.client(str(kept.id)).legal_last == "Barros"
        with south.on():
            assert Site.get(Site.code == "NORTH").retired_at is not None
            [event] = AuditEvent.select().where(AuditEvent.action == "retire")
            assert event.detail["code"] == "NORTH"
        with pytest.raises(ValidationError, match=r"Site NORTH \(North clinic\) was retired on .*no longer sync"):
            sync(north, main)
        with _as_admin(main) as clinic, pytest.raises(ValidationError, match="NORTH .* was retired"):
            clinic.sync.import_file(tmp_path / "north.sync")
        with pytest.raises(ValidationError, match="NORTH belonged to a site retired on"):
            join_as_satellite(str(main.path), str(tmp_path / "north2.sqlite"), site_code="NORTH",
                              site_name="North again")
        status_lines = run_cli(main.clinic, capsys, "--db", str(main.path), "sync", "status")[1].splitlines()
        north_line = next(line for line in status_lines if "NORTH" in line)
        assert "(retired " in north_line and ", not counted)" in north_line and "to send 0" in north_line
    finally:
        for site in (main, north, south):
            site.close()


def test_renewing_one_sites_key_refuses_its_old_files_and_leaves_the_other_sites_alone(
        tmp_path, staffed_sqlite_template):
    """A laptop's sync key may be known to someone else: `rekey` North at the main clinic. A file
    North signed with its old key is refused; South's files are still read; after one direct sync
    North holds its new key and its files are read again."""
    main, (north, south), clients = make_sites(tmp_path, staffed_sqlite_template)
    try:
        north.edit_client(clients[0], phone="555-0101")
        with _as_admin(north) as clinic:
            clinic.sync.export_file(tmp_path / "north-old-key.sync", plain=True)
        south.edit_client(clients[0], email="robin@example.org")
        with _as_admin(south) as clinic:
            clinic.sync.export_file(tmp_path / "south.sync", plain=True)
        with _as_admin(main) as clinic:
            clinic.sync.renew_site_key("NORTH")
            with pytest.raises(ValidationError, match="signature does not match"):
                clinic.sync.import_file(tmp_path / "north-old-key.sync")
            clinic.sync.import_file(tmp_path / "south.sync")
            assert [e.detail["code"] for e in AuditEvent.select().where(AuditEvent.action == "rekey")] == ["NORTH"]
        assert main.client(clients[0]).email == "robin@example.org"
        assert main.client(clients[0]).phone == ""
        with _as_admin(north) as clinic:
            clinic.sync.sync_with(str(main.path))
            north.edit_client(clients[0], phone="555-0202")
            clinic.sync.export_file(tmp_path / "north-new-key.sync", plain=True)
        with _as_admin(main) as clinic:
            clinic.sync.import_file(tmp_path / "north-new-key.sync")
        assert main.client(clients[0]).phone == "555-0202"
    finally:
        for site in (main, north, south):
            site.close()


def test_an_existing_clinics_shared_sync_key_becomes_each_sites_key(tmp_path):
    """Migration 0012 on a clinic made before per-site keys: every site it knows gets the old
    shared key (so files between the existing main clinic and satellites still verify), the shared
    setting goes, and the new site columns enter no sync change."""
    import json

    from playhouse.migrations import Runner

    from iopdesk.models import SyncSiteKey
    from iopdesk.storage.db import database, make_database
    from iopdesk.storage.schema import HISTORY_TABLE, MIGRATIONS_DIR, upgrade

    db = make_database(str(tmp_path / "before-0012.sqlite"))
    database.initialize(db)
    Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE).up("0009_sealed_records")
    shared = "ab" * 32
    for number, (code, is_main) in enumerate((("MAIN", 1), ("NORTH", 0)), 1):
        db.execute_sql(
            "INSERT INTO site (id, created_at, updated_at, version, name, code, address, phone, "
            f"place_of_service, is_main) VALUES ('0000000000007000800000000000000{number}', "
            f"'2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, '{code.title()}', '{code}', '', '', '57', {is_main})")
    db.execute_sql("INSERT INTO clinic_setting (id, created_at, updated_at, version, key, value) VALUES "
                   "('00000000000070008000000000000009', '2025-01-01', '2025-01-01', 1, 'sync_key', ?)",
                   (json.dumps(shared),))
    changes = db.execute_sql("SELECT COUNT(*) FROM sync_change").fetchone()[0]

    upgrade(db)

    with database.bound_to(db):
        assert sorted((k.site_id[-1], k.key) for k in SyncSiteKey.select()) == [("1", shared), ("2", shared)]
        assert [s.code for s in Site.select().where(Site.joining | Site.retired_at.is_null(False))] == []
    assert db.execute_sql("SELECT COUNT(*) FROM clinic_setting WHERE key = 'sync_key'").fetchone()[0] == 0
    assert db.execute_sql("SELECT COUNT(*) FROM sync_change").fetchone()[0] == changes
    db.close()


def test_a_satellite_writes_sync_files_only_for_the_main_clinic(tmp_path, staffed_sqlite_template):
    """Each satellite's files are signed with its own key, which only it and the main clinic hold:
    a file from North for South is refused when it is asked for, in words."""
    main, (north, south), _ = make_sites(tmp_path, staffed_sqlite_template)
    try:
        sync(north, main)  # North learns that South exists
        with _as_admin(north) as clinic, pytest.raises(ValidationError, match="between a satellite and the main"):
            clinic.sync.export_file(tmp_path / "north-for-south.sync", for_site="SOUTH", plain=True)
        assert not (tmp_path / "north-for-south.sync").exists()
    finally:
        for site in (main, north, south):
            site.close()
