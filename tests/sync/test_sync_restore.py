"""A site restored from a backup rejoins the clinic: it syncs again, keeps what it holds, gets back
what its lost life sent, and never reuses a row id, audit sequence number or MRN (issue 20, 1)."""

from __future__ import annotations

import pytest

from iopdesk.backup.copies import backup_clinic, restore_backup
from iopdesk.models import AuditEvent, Client
from tests.conftest import ADMIN_PASSWORD
from tests.sync_sites import differences, open_site, share_with, sync


def _register(site, first: str, last: str):
    with site.on() as clinic:
        clinic.login("admin", ADMIN_PASSWORD)
        client, _ = clinic.clients.register(legal_first=first, legal_last=last, dob="1990-04-04", sex="F",
                                            allow_duplicate=True)
        return client


def _mrns(site) -> list[str]:
    with site.on():
        return sorted(Client.select(Client.mrn).tuples().scalars())


def _audit_keys_used_twice(site) -> list[tuple]:
    with site.on():
        pairs = list(AuditEvent.select(AuditEvent.origin_site, AuditEvent.seq).tuples())
    return sorted({pair for pair in pairs if pairs.count(pair) > 1})


@pytest.mark.postgres
def test_a_satellite_restored_from_a_backup_before_its_last_sync_rejoins_a_postgresql_main(
        tmp_path, pg_server, staffed_pg_template):
    """North's laptop is restored from last night's backup; the client registered there after the
    backup (and synced) is not in the copy. The restored file signs in, registers a new client
    with an MRN nobody used, syncs without an error and gets the lost client back."""
    from iopdesk.services.sync import join_as_satellite
    from tests.conftest import _new_pg_database

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    main = north = restored = None
    try:
        main = open_site("MAIN", url)
        join_as_satellite(url, str(tmp_path / "north.sqlite"), site_code="NORTH", site_name="North clinic")
        north = open_site("NORTH", tmp_path / "north.sqlite")
        _register(north, "Ines", "Moreau")
        sync(north, main)
        backup_clinic(north.path, tmp_path / "north-backup.sqlite")
        lost = _register(north, "Pavel", "Novak")
        sync(north, main)
        north.close()
        north = None

        report = restore_backup(tmp_path / "north-backup.sqlite", tmp_path / "north-restored.sqlite")
        assert "new writer" in report.summary()
        restored = open_site("NORTH", tmp_path / "north-restored.sqlite")
        fresh = _register(restored, "Ruth", "Abara")
        assert fresh.mrn.startswith("NORTH-") and fresh.mrn != lost.mrn
        sync(restored, main)
        sync(restored, main)

        assert restored.client(str(lost.id)).mrn == lost.mrn == "NORTH-000002"
        assert main.client(str(fresh.id)).mrn == fresh.mrn
        mrns = _mrns(main)
        assert len(mrns) == len(set(mrns)) and mrns == _mrns(restored)
        assert _audit_keys_used_twice(main) == [] and _audit_keys_used_twice(restored) == []
        assert differences(restored.snapshot(), main.snapshot()) == []
        with restored.on() as clinic:
            clinic.login("admin", ADMIN_PASSWORD)
            assert clinic.check().ok
    finally:
        for site in (main, north, restored):
            if site is not None:
                site.close()
        janitor.drop()


def test_the_main_clinic_restored_from_a_backup_gets_back_what_a_satellite_holds(tmp_path, staffed_sqlite_template):
    """The main clinic's file is restored from a backup taken before a client was registered,
    shared with North and synced there; the restored main issues MRNs under its own tag, and
    North's next sync gives it the lost client back, with the sync saying what the restored copy
    got back. (A satellite holds only its scope, iopdesk/sync/scope.py: what it never held it
    cannot give back, so every client here is shared with North.)"""
    from tests.sync_sites import make_sites

    main, (north,), _ = make_sites(tmp_path, staffed_sqlite_template, satellites=("NORTH",))
    restored = None
    try:
        backup_clinic(main.path, tmp_path / "main-backup.sqlite")
        lost = _register(main, "Pavel", "Novak")
        share_with(main, [str(lost.id)], ["NORTH"])
        sync(north, main)
        main.close()
        restore_backup(tmp_path / "main-backup.sqlite", tmp_path / "main-restored.sqlite")
        restored = open_site("MAIN", tmp_path / "main-restored.sqlite")
        fresh = _register(restored, "Ruth", "Abara")
        assert fresh.mrn != lost.mrn and fresh.mrn.startswith("MAIN-") and fresh.mrn.endswith("-000001")
        share_with(restored, [str(fresh.id)], ["NORTH"])
        report = sync(north, restored)
        assert "the other side's database was restored from a backup and rejoined" in report.summary()
        assert report.got_back["client"] == 1 and report.got_back["client_share"] == 1
        assert restored.client(str(lost.id)).mrn == lost.mrn
        assert north.client(str(fresh.id)).mrn == fresh.mrn
        assert _audit_keys_used_twice(restored) == [] and _audit_keys_used_twice(north) == []
        sync(north, restored)
        assert differences(north.snapshot(), restored.snapshot()) == []
        with restored.on() as clinic:
            assert clinic.check().ok
            assert clinic.sync.status().pending_changes == 0
    finally:
        for site in (north, restored):
            if site is not None:
                site.close()


def test_a_restored_satellite_gets_back_its_own_clients_and_no_other_sites(tmp_path, staffed_sqlite_template):
    """North's laptop is restored from a backup; meanwhile a client was registered at the main
    clinic for North, one at the main clinic and one at South. The restored copy's first sync
    (its new writer is unknown at the main clinic until then) brings North's client back and
    none of the others: nothing arrives that the sync then has to remove again."""
    from tests.sync_sites import make_sites

    main, (north, south), _ = make_sites(tmp_path, staffed_sqlite_template)
    backup_clinic(north.path, tmp_path / "north-backup.sqlite")
    north.close()
    restored = None
    try:
        with main.on() as clinic:
            for first, code in (("Ines", "NORTH"), ("Mika", None)):
                clinic.clients.register(legal_first=first, legal_last="Moreau", dob="1990-04-04", sex="F",
                                        allow_duplicate=True, site_code=code)
        _register(south, "Sol", "Lind")
        sync(south, main)
        restore_backup(tmp_path / "north-backup.sqlite", tmp_path / "north-restored.sqlite")
        restored = open_site("NORTH", tmp_path / "north-restored.sqlite")
        report = sync(restored, main)
        assert report.removed == 0 and report.got_back["client"] == 1, report.summary()
        with restored.on():
            assert sorted(c.legal_first for c in Client.select()) == ["Ines", "Robin0"]
    finally:
        for site in (main, south, restored):
            if site is not None:
                site.close()


def test_a_restored_site_searches_its_tagged_mrns_and_issues_them_in_order_and_backs_up(tmp_path, staffed_sqlite_template):
    """A client registered after a restore is found by the MRN on their wristband, the next
    registration there takes the next number under the same tag, and the restored copy's own
    backups are recorded in its own audit chain."""
    from tests.sync_sites import make_sites

    main, (north,), _ = make_sites(tmp_path, staffed_sqlite_template, satellites=("NORTH",))
    main.close()
    backup_clinic(north.path, tmp_path / "north-backup.sqlite")
    north.close()
    report = restore_backup(tmp_path / "north-backup.sqlite", tmp_path / "north-restored.sqlite")
    restored = open_site("NORTH", tmp_path / "north-restored.sqlite")
    try:
        first = _register(restored, "Ruth", "Abara")
        second = _register(restored, "Sami", "Virtanen")
        assert (first.mrn, second.mrn) == (f"{report.mrn_prefix}000001", f"{report.mrn_prefix}000002")
        assert len(first.mrn) <= 20
        with restored.on() as clinic:
            assert [row.mrn for row in clinic.clients.search(first.mrn)] == [first.mrn]
            backup_clinic(restored.db, tmp_path / "restored-backup.sqlite")  # its event joins its own chain
            assert clinic.check().ok
        assert _audit_keys_used_twice(restored) == []
    finally:
        restored.close()


@pytest.mark.postgres
def test_a_postgresql_main_restored_with_pg_restore_rejoins_after_sync_reidentify(
        tmp_path, pg_server, staffed_pg_template, capsys, monkeypatch):
    """The main clinic's PostgreSQL database is replaced by last night's copy (as pg_restore would
    leave it); `iopdesk sync reidentify` starts its new incarnation, after which it issues MRNs
    under its own tag and North's next sync gives it back the client registered (and shared with
    North) after the copy."""
    from iopdesk.cli.main import main as cli
    from iopdesk.services.sync import join_as_satellite
    from tests.conftest import _new_pg_database

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    main = north = copy_janitor = None
    try:
        join_as_satellite(url, str(tmp_path / "north.sqlite"), site_code="NORTH", site_name="North clinic")
        copy_janitor, copy_name = _new_pg_database(pg_server, name)  # last night's dump, restored
        copy_janitor.init()
        main = open_site("MAIN", url)
        north = open_site("NORTH", tmp_path / "north.sqlite")
        lost = _register(main, "Pavel", "Novak")
        share_with(main, [str(lost.id)], ["NORTH"])  # North holds only its scope (iopdesk/sync/scope.py)
        sync(north, main)
        main.close()
        main = None

        monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        assert cli(["--db", pg_server.url(copy_name), "sync", "reidentify", "--as", "admin"]) == 0
        assert "new writer" in capsys.readouterr().out
        main = open_site("MAIN", pg_server.url(copy_name))
        fresh = _register(main, "Ruth", "Abara")
        assert fresh.mrn != lost.mrn and fresh.mrn.endswith("-000001")
        share_with(main, [str(fresh.id)], ["NORTH"])
        report = sync(north, main)
        assert report.got_back["client"] == 1
        assert main.client(str(lost.id)).mrn == lost.mrn
        sync(north, main)
        assert _audit_keys_used_twice(main) == [] and _audit_keys_used_twice(north) == []
        assert differences(north.snapshot(), main.snapshot()) == []
    finally:
        for site in (main, north):
            if site is not None:
                site.close()
        if copy_janitor is not None:
            copy_janitor.drop()
        janitor.drop()
