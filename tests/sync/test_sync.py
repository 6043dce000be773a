"""A satellite site and the main clinic exchange changes: directly, by file, with conflicts kept."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import uuid

import pytest

from iopdesk.errors import ValidationError
from iopdesk.kernel import clock
from iopdesk.models import Client, Note, SyncConflict
from iopdesk.storage.db import database, make_database
from iopdesk.sync.session import new_database_identity, sync_databases
from tests.sync_sites import make_sites, sync

YESTERDAY = clock.today() - dt.timedelta(days=1)
DAP = {"data": "Talked about the weekend.", "assessment": "Coping skills used.", "plan": "Continue IOP."}


@pytest.fixture
def three_sites(tmp_path, staffed_sqlite_template):
    main, satellites, clients = make_sites(tmp_path, staffed_sqlite_template)
    yield main, satellites[0], satellites[1], clients[0]
    for site in (main, *satellites):
        site.close()


def _draft(site, client_id, **sections):
    with site.on() as clinic:
        note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                            service_date=YESTERDAY, starts_at="10:00", ends_at="10:50",
                                            sections={**DAP, **sections})
        return note


def test_satellite_joins_with_the_whole_record_and_its_own_mrn_prefix(three_sites):
    """A new satellite holds the main clinic's clients, and its own registrations are NORTH-…."""
    main, north, _, client_id = three_sites
    assert north.client(client_id).legal_first == "Robin0"
    with north.on() as clinic:
        summary, _ = clinic.clients.register(legal_first="Ines", legal_last="Duarte", dob="1975-06-01", sex="F")
    assert summary.mrn.startswith("NORTH-")
    assert north.snapshot()["client"] != main.snapshot()["client"]
    sync(north, main)
    assert north.snapshot() == main.snapshot()


def test_edits_of_different_fields_at_two_sites_merge(three_sites):
    """The satellite changes the phone, the main clinic the email: both survive, no conflict."""
    main, north, _, client_id = three_sites
    north.edit_client(client_id, phone="555-0101")
    main.edit_client(client_id, email="robin@example.org")
    report = sync(north, main)
    assert report.conflicts == 0
    for site in (main, north):
        row = site.client(client_id)
        assert (row.phone, row.email) == ("555-0101", "robin@example.org")
    assert north.snapshot() == main.snapshot()


def test_the_same_field_edited_at_two_sites_keeps_both_values_in_a_conflict(three_sites):
    """Both sites change the phone before syncing: one value stays, the other is in a conflict
    record at both sites, and an admin's choice syncs back."""
    main, north, _, client_id = three_sites
    north.edit_client(client_id, phone="555-0101")
    main.edit_client(client_id, phone="555-0202")
    assert sync(north, main).conflicts == 1
    with main.on():
        conflict = SyncConflict.get()
        kept, other = conflict.kept_value, conflict.other_value
    assert {kept, other} == {"555-0101", "555-0202"}
    assert main.client(client_id).phone == north.client(client_id).phone == kept
    with main.on() as clinic:
        clinic.login("admin", "correct horse battery")
        clinic.sync.resolve(str(conflict.id), keep="other")
    sync(north, main)
    assert main.client(client_id).phone == north.client(client_id).phone == other
    with north.on():
        assert SyncConflict.get().status == "resolved"
    assert north.snapshot() == main.snapshot()


def test_a_signed_note_never_changes_and_draft_edits_elsewhere_are_kept_aside(three_sites):
    """North signs a note while the main clinic still edits the draft: the signed text wins
    everywhere and the main clinic's edit is kept in a conflict record."""
    main, north, _, client_id = three_sites
    note = _draft(main, client_id)
    sync(north, main)
    with north.on() as clinic:
        signed, _ = clinic.notes.sign(note.id, note.version)
    with main.on() as clinic:
        clinic.notes.save_draft(note.id, note.version, {**DAP, "plan": "Edited at main"})
    sync(north, main)
    for site in (main, north):
        with site.on():
            row = Note.get_by_id(uuid.UUID(note.id))
            assert row.status == "signed" and row.content_hash == signed.content_hash
            assert row.sections["plan"] == DAP["plan"]
            assert SyncConflict.select().where(SyncConflict.kind == "immutable").exists()
    assert north.snapshot() == main.snapshot()


def test_a_draft_signed_at_two_sites_before_they_sync_ends_with_one_signature_everywhere(three_sites):
    """North and the main clinic both sign the same draft while apart: after syncing both hold
    the same signed note, and the other signature is kept in a conflict record."""
    main, north, _, client_id = three_sites
    note = _draft(main, client_id)
    sync(north, main)
    hashes = set()
    for site in (north, main):
        with site.on() as clinic:
            signed, _ = clinic.notes.sign(note.id, note.version)
            hashes.add(signed.content_hash)
    sync(north, main)
    sync(north, main)
    assert north.snapshot() == main.snapshot()
    with main.on():
        assert Note.get_by_id(uuid.UUID(note.id)).content_hash in hashes
        assert SyncConflict.select().where(SyncConflict.kind == "immutable").exists()
    for site in (north, main):
        with site.on() as clinic:
            assert clinic.check().ok, site.name


def test_a_deleted_draft_is_a_tombstone_that_reaches_every_site(three_sites):
    """A draft deleted at the main clinic disappears at both satellites after they sync."""
    main, north, south, client_id = three_sites
    note = _draft(main, client_id)
    sync(north, main)
    sync(south, main)
    with main.on() as clinic:
        clinic.notes.delete_draft(note.id)
    sync(north, main)
    sync(south, main)
    for site in (north, south):
        with site.on():
            assert not Note.select().where(Note.id == uuid.UUID(note.id)).exists()


def test_a_changes_made_at_one_satellite_reach_the_other_through_the_main_clinic(three_sites):
    """South sees North's edit after North and then South have synced with the main clinic."""
    main, north, south, client_id = three_sites
    north.edit_client(client_id, preferred_name="Rob")
    sync(north, main)
    sync(south, main)
    assert south.client(client_id).preferred_name == "Rob"
    sync(north, main)
    assert south.snapshot() == main.snapshot() == north.snapshot()


def test_syncing_again_changes_nothing(three_sites):
    """A second sync right after the first writes no change at either side."""
    main, north, _, client_id = three_sites
    north.edit_client(client_id, phone="555-0303")
    sync(north, main)
    before = (main.last_change(), north.last_change())
    report = sync(north, main)
    assert report.received.applied == report.sent.applied == 0
    assert (main.last_change(), north.last_change()) == before


def test_an_interrupted_sync_leaves_both_sides_consistent_and_the_next_one_finishes(three_sites, monkeypatch):
    """A failure in the middle of receiving leaves what committed; the next sync completes."""
    from iopdesk.sync import apply as sync_apply
    from iopdesk.sync import outgoing

    main, north, _, client_id = three_sites
    kai = []
    for number in range(12):
        with main.on() as clinic:
            summary, _ = clinic.clients.register(legal_first=f"Kai{number}", legal_last="Mensah", dob="1990-01-01",
                                                 sex="M", allow_duplicate=True, site_code="NORTH")
            kai.append(str(summary.id))
    sync(north, main)  # North's clients arrive whole (a scope catch-up); their edits travel in the log
    for number, kai_id in enumerate(kai):
        main.edit_client(kai_id, phone=f"555-01{number:02}")
    real_next_batch, real_apply = outgoing.next_batch, sync_apply.Applier.apply
    calls = {"n": 0}

    def small_batches(position, upto, **kwargs):
        return real_next_batch(position, upto, **{**kwargs, "size": 5})

    def failing_apply(self, changes):
        calls["n"] += 1
        if calls["n"] == 3:
            raise OSError("cable pulled")
        return real_apply(self, changes)

    monkeypatch.setattr("iopdesk.sync.session.next_batch", small_batches)
    monkeypatch.setattr(sync_apply.Applier, "apply", failing_apply)
    with pytest.raises(OSError):
        sync(north, main)
    with north.on():
        partial = Client.select().where(Client.phone.startswith("555-01")).count()
        assert north.clinic.check().ok
    assert 1 < partial < 12
    sync(north, main)
    with north.on():
        assert Client.select().where(Client.phone.startswith("555-01")).count() == 12
    assert north.snapshot() == main.snapshot()


def test_the_main_clinic_restored_from_a_backup_gets_everything_again(three_sites, tmp_path):
    """After the main clinic's database is replaced by an older copy with a new identity, the
    satellite re-sends what the copy lacks and takes the copy's new changes."""
    main, north, _, client_id = three_sites
    backup = tmp_path / "backup.sqlite"
    main.db.execute_sql(f"VACUUM INTO '{backup}'")
    north.edit_client(client_id, phone="555-0404")
    sync(north, main)
    main.close()
    shutil.copyfile(backup, main.path)
    main.db.connect()
    with database.bound_to(main.db):
        new_database_identity()
    assert main.client(client_id).phone == ""
    main.edit_client(client_id, email="after@example.org")
    report = sync(north, main)
    assert report.restarted
    for site in (main, north):
        row = site.client(client_id)
        assert (row.phone, row.email) == ("555-0404", "after@example.org")
    assert north.snapshot() == main.snapshot()


def test_a_database_of_another_clinic_is_refused(three_sites, tmp_path, sqlite_template):
    """Syncing with another clinic's database exchanges nothing and says why."""
    main, north, _, _ = three_sites
    other_path = tmp_path / "other.sqlite"
    shutil.copyfile(sqlite_template, other_path)
    other = make_database(str(other_path))
    other.execute_sql("UPDATE clinic_setting SET value = ? WHERE key = 'clinic_id'",
                      ('"' + str(uuid.uuid4()) + '"',))
    before = north.last_change()
    with pytest.raises(ValidationError, match="another clinic"):
        sync_databases(north.db, other)
    assert north.last_change() == before


@pytest.mark.postgres
def test_a_satellite_syncs_with_a_main_clinic_on_postgresql(tmp_path, pg_server, staffed_pg_template):
    """The main clinic runs on a PostgreSQL server: a SQLite satellite joins it, both edit, both
    sync directly and by file, and end identical with the conflict kept."""
    from iopdesk.services.sync import join_as_satellite
    from tests.conftest import _new_pg_database
    from tests.sync_sites import open_site, share_with

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    main = north = None
    try:
        main = open_site("MAIN", url)
        with main.on() as clinic:
            client, _ = clinic.clients.register(legal_first="Noor", legal_last="Haddad", dob="1993-09-09", sex="F")
        join_as_satellite(url, str(tmp_path / "north.sqlite"), site_code="NORTH", site_name="North clinic")
        north = open_site("NORTH", tmp_path / "north.sqlite")
        share_with(main, [str(client.id)], ["NORTH"])
        sync(north, main)
        assert north.client(str(client.id)).legal_last == "Haddad"
        north.edit_client(str(client.id), phone="555-1212", email="noor@example.org")
        main.edit_client(str(client.id), phone="555-3434")
        assert sync(north, main).conflicts == 1
        with north.on() as clinic:
            clinic.login("admin", "correct horse battery")
            clinic.clients.register(legal_first="Tomas", legal_last="Lindqvist", dob="1961-01-01", sex="M")
            clinic.sync.export_file(tmp_path / "north.sync", plain=True)
        with main.on() as clinic:
            clinic.login("admin", "correct horse battery")
            clinic.sync.import_file(tmp_path / "north.sync")
            assert [c.legal_name for c in clinic.clients.search("Lindq")] == ["Tomas Lindqvist"]
            assert clinic.check().ok
        sync(north, main)
        assert north.snapshot() == main.snapshot()
        assert north.client(str(client.id)).email == main.client(str(client.id)).email == "noor@example.org"
    finally:
        for site in (main, north):
            if site is not None:
                site.close()
        janitor.drop()


@pytest.mark.postgres
def test_a_change_committed_late_on_postgresql_is_not_skipped(pg_server, staffed_pg_template):
    """A transaction that took an earlier change number but commits after a later one: reading
    the log waits for it, so no checkpoint can pass over its change."""
    import threading
    import time

    from iopdesk.sync.outgoing import horizon
    from tests.conftest import _new_pg_database

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    slow, quick, reader = (make_database(url) for _ in range(3))
    try:
        open_transaction = slow.atomic()
        open_transaction.__enter__()
        slow.execute_sql("UPDATE site SET phone = '555-0001'")
        with quick.atomic():
            quick.execute_sql("UPDATE staff SET credentials = 'LMFT' WHERE username = 'clinician'")
        result = {}
        thread = threading.Thread(target=lambda: result.update(upto=horizon(reader)))
        thread.start()
        time.sleep(0.4)
        assert thread.is_alive(), "reading the log did not wait for the open transaction"
        open_transaction.__exit__(None, None, None)
        thread.join(5)
        slow_seq, quick_seq = (reader.execute_sql(
            f"SELECT MAX(seq) FROM sync_change WHERE table_name = '{table}'").fetchone()[0]
            for table in ("site", "staff"))
        assert slow_seq < quick_seq <= result["upto"]
    finally:
        for db in (slow, quick, reader):
            db.close()
            db.close_all()
        janitor.drop()


def test_sync_commands_report_one_line_and_refuse_without_an_admin(three_sites, tmp_path, monkeypatch, capsys):
    """`iopdesk sync` from the terminal: status, export, import and reidentify, each one line;
    without --as it says what is missing and exits 2."""
    from iopdesk.cli.main import main as cli

    main, north, _, client_id = three_sites
    north.edit_client(client_id, phone="555-2121")
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", "correct horse battery")
    for site in (main, north):
        site.close()
    assert cli(["--db", str(north.path), "sync", "export", "--out", str(tmp_path / "n.iopsync")]) == 2
    assert "--as ADMIN" in capsys.readouterr().err
    monkeypatch.delenv("IOPDESK_SYNC_PASSPHRASE", raising=False)
    assert cli(["--db", str(north.path), "sync", "export", "--out", str(tmp_path / "n.iopsync"), "--as", "admin"]) == 2
    assert "IOPDESK_SYNC_PASSPHRASE" in capsys.readouterr().err and not (tmp_path / "n.iopsync").exists()
    monkeypatch.setenv("IOPDESK_SYNC_PASSPHRASE", "blue river stone")
    assert cli(["--db", str(north.path), "sync", "export", "--out", str(tmp_path / "n.iopsync"), "--as", "admin"]) == 0
    assert "encrypted)" in capsys.readouterr().out
    assert b'"encryption"' in (tmp_path / "n.iopsync").read_bytes()
    assert cli(["--db", str(main.path), "sync", "import", str(tmp_path / "n.iopsync"), "--as", "admin"]) == 0
    assert re.search(r"Imported .*: received [1-9]\d* change\(s\)", capsys.readouterr().out)
    assert cli(["--db", str(north.path), "sync", "export", "--out", str(tmp_path / "plain.iopsync"),
                "--plain", "--as", "admin"]) == 0
    assert "unencrypted)" in capsys.readouterr().out
    assert b'"encryption"' not in (tmp_path / "plain.iopsync").read_bytes()
    assert cli(["--db", str(main.path), "sync", "status"]) == 0
    assert "NORTH" in capsys.readouterr().out
    assert cli(["--db", str(main.path), "sync", "reidentify", "--as", "admin"]) == 0
    assert cli(["--db", str(north.path), "sync", "--with", str(main.path), "--as", "admin"]) == 0
    assert "was restored from a backup and rejoined" in capsys.readouterr().out


def test_a_note_signed_at_a_satellite_and_co_signed_at_the_main_clinic_is_sealed_at_each_site(three_sites):
    """Issue 19: the intern signs at North, the supervisor co-signs at the main clinic; each site
    seals what arrives under the clinic's key ("sync from site …"), and every site's check holds."""
    from iopdesk.models import AuditEvent, current_site

    main, north, south, client_id = three_sites
    with north.on() as clinic:
        clinic.login("intern", "correct horse battery")
        note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                            service_date=YESTERDAY, starts_at="10:00", ends_at="10:50",
                                            sections=DAP)
        clinic.notes.sign(note.id, note.version)
    sync(north, main)
    with main.on() as clinic:
        clinic.login("supervisor", "correct horse battery")
        clinic.notes.cosign(note.id, Note.get_by_id(note.id).version)
    sync(north, main)
    sync(south, main)
    provenance = {}
    for site in (main, north, south):
        with site.on() as clinic:
            assert clinic.check().ok, clinic.check().lines
            assert Note.get_by_id(note.id).status == "cosigned"
            newest = (AuditEvent.select().where((AuditEvent.action == "seal") & (AuditEvent.entity_id == str(note.id))
                                                & (AuditEvent.origin_site == current_site()))
                      .order_by(AuditEvent.seq.desc()).first())
            provenance[site.name] = newest.detail["provenance"]
    assert provenance["MAIN"] == "co-sign"
    assert provenance["NORTH"].startswith("sync from site ") and provenance["SOUTH"].startswith("sync from site ")
