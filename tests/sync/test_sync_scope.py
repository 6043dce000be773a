"""Satellites hold what they need, protected (issue 20, failure 6): a satellite receives its own
site's clients and the clients shared with it, not every client of the clinic; a share moves a
chart in, ending it moves the chart out of the satellite's file (never out of the main clinic's);
the satellite file is created readable by its account only and encrypted at join."""

from __future__ import annotations

import datetime as dt
import stat
import uuid

import pytest

from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Client, ClientShare, Note
from iopdesk.services.sync import join_as_satellite
from iopdesk.storage.db import PASSPHRASE_ENV
from iopdesk.storage.file_kind import SQLITE_HEADER
from tests.conftest import ADMIN_PASSWORD
from tests.sync_sites import make_sites, open_site, share_with, sync

PASSPHRASE = "amber kettle quietly orbits"
YESTERDAY = clock.today() - dt.timedelta(days=1)
DAP = {"data": "Talked about the weekend.", "assessment": "Coping skills used.", "plan": "Continue IOP."}


def _register(site, first: str, site_code: str | None = None) -> str:
    with site.on() as clinic:
        summary, _ = clinic.clients.register(legal_first=first, legal_last="Okafor", dob="1988-03-02", sex="F",
                                             allow_duplicate=True, site_code=site_code)
        return str(summary.id)


def _names(site) -> set[str]:
    with site.on():
        return {c.legal_first for c in Client.select()}


def _as_admin(site):
    site.clinic.login("admin", ADMIN_PASSWORD)
    return site.clinic


@pytest.mark.postgres
def test_a_satellite_of_a_postgresql_main_holds_only_its_clients_in_a_private_encrypted_file(
        tmp_path, pg_server, staffed_pg_template, monkeypatch):
    """The main clinic on PostgreSQL has a client of its own and one of each satellite: North's
    encrypted, owner-only file holds North's client only, South's South's, and a client North
    registers reaches the main clinic but not South."""
    from tests.conftest import _new_pg_database

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    sites = []
    try:
        main = open_site("MAIN", url)
        sites.append(main)
        _register(main, "Noor")
        for code in ("NORTH", "SOUTH"):
            join_as_satellite(url, str(tmp_path / f"{code.lower()}.sqlite"), site_code=code,
                              site_name=f"{code.title()} clinic", passphrase=PASSPHRASE)
        _register(main, "Ines", site_code="NORTH")
        _register(main, "Sol", site_code="SOUTH")
        for code in ("NORTH", "SOUTH"):
            path = tmp_path / f"{code.lower()}.sqlite"
            assert path.read_bytes()[:16] != SQLITE_HEADER, "the satellite file is not encrypted"
            for suffix in ("", "-wal", "-shm"):
                if (tmp_path / f"{code.lower()}.sqlite{suffix}").exists():
                    mode = stat.S_IMODE((tmp_path / f"{code.lower()}.sqlite{suffix}").stat().st_mode)
                    assert mode == 0o600, f"{code}{suffix} is readable by others ({oct(mode)})"
        monkeypatch.setenv(PASSPHRASE_ENV, PASSPHRASE)
        north, south = open_site("NORTH", tmp_path / "north.sqlite"), open_site("SOUTH", tmp_path / "south.sqlite")
        sites += [north, south]
        sync(north, main)
        sync(south, main)
        assert _names(north) == {"Ines"} and _names(south) == {"Sol"}
        _register(north, "Tomas")
        sync(north, main)
        sync(south, main)
        assert _names(main) == {"Noor", "Ines", "Sol", "Tomas"}
        assert _names(south) == {"Sol"} and _names(north) == {"Ines", "Tomas"}
        for table in ("site", "staff"):
            assert north.snapshot()[table] == main.snapshot()[table] == south.snapshot()[table]
    finally:
        for site in sites:
            site.close()
        janitor.drop()


@pytest.fixture
def main_and_an_empty_north(tmp_path, staffed_sqlite_template):
    main, satellites, _ = make_sites(tmp_path, staffed_sqlite_template, satellites=("NORTH",), admitted=0)
    yield main, satellites[0]
    for site in (main, *satellites):
        site.close()


def test_a_shared_chart_arrives_whole_and_leaves_the_satellite_when_the_share_ends(main_and_an_empty_north):
    """The main clinic's client with a signed note is not at North; shared, North gets the chart and
    the share record and edits the phone; unshared, North's file no longer holds it while the main
    clinic keeps everything, North's edit included, with North's removal in the audit trail."""
    main, north = main_and_an_empty_north
    client_id = _register(main, "Robin")
    with main.on() as clinic:
        clinic.episodes.admit(client_id, admitted_on=clock.today() - dt.timedelta(days=10),
                              track_code="substance_use", level="2.1", primary_clinician="clinician")
        note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                            service_date=YESTERDAY, starts_at="10:00", ends_at="10:50",
                                            sections=DAP)
        clinic.notes.sign(note.id, note.version)
    sync(north, main)
    assert _names(north) == set()
    share_with(main, [client_id], ["NORTH"])
    sync(north, main)
    assert _names(north) == {"Robin"}
    with north.on():
        assert Note.get_by_id(uuid.UUID(note.id)).sections == DAP
    for table in ("client", "episode", "note", "client_share"):
        assert north.snapshot()[table] == main.snapshot()[table], table
    north.edit_client(client_id, phone="555-0101")
    with main.on():
        mrn = Client.get_by_id(uuid.UUID(client_id)).mrn
        _as_admin(main).sync.unshare(mrn, "NORTH", reason="moved to the main clinic's program")
    report = sync(north, main)
    assert (report.removed, report.postponed) == (1, 0)
    assert _names(north) == set()
    with north.on() as clinic:
        assert not Note.select().exists() and ClientShare.select().count() == 0
        assert clinic.check().ok, "a signed note removed with its client is not a deleted sealed record"
    assert main.client(client_id).phone == "555-0101"
    sync(north, main)  # North's record of the removal travels with its next sync
    with main.on():
        assert Note.get_by_id(uuid.UUID(note.id)).sections == DAP
        assert AuditEvent.select().where((AuditEvent.action == "scope_out")
                                         & (AuditEvent.client_id == uuid.UUID(client_id))).exists()
    share_with(main, [client_id], ["NORTH"])
    sync(north, main)
    assert north.client(client_id).phone == "555-0101"
    with north.on() as clinic:
        assert Note.get_by_id(uuid.UUID(note.id)).sections == DAP
        assert clinic.check().ok


def test_an_unshared_chart_stays_at_the_satellite_until_the_main_clinic_has_its_edits(main_and_an_empty_north, tmp_path):
    """By sync files: North edits a shared client while the main clinic ends the share. Importing
    the main clinic's file keeps the chart (North's edit has not reached the main clinic); once
    the main clinic has imported North's file, the next file from the main clinic removes it."""
    main, north = main_and_an_empty_north
    client_id = _register(main, "Robin")
    share_with(main, [client_id], ["NORTH"])
    sync(north, main)
    north.edit_client(client_id, phone="555-0101")
    with main.on():
        mrn = Client.get_by_id(uuid.UUID(client_id)).mrn
        clinic = _as_admin(main)
        clinic.sync.unshare(mrn, "NORTH")
        clinic.sync.export_file(tmp_path / "to-north-1.sync", for_site="NORTH", plain=True)
    with north.on():
        report = _as_admin(north).sync.import_file(tmp_path / "to-north-1.sync")
        assert (report.removed, report.postponed) == (0, 1)
        north.clinic.sync.export_file(tmp_path / "to-main.sync", plain=True)
    assert north.client(client_id).phone == "555-0101"
    with main.on():
        main.clinic.sync.import_file(tmp_path / "to-main.sync")
        main.clinic.sync.export_file(tmp_path / "to-north-2.sync", for_site="NORTH", plain=True)
    with north.on():
        report = north.clinic.sync.import_file(tmp_path / "to-north-2.sync")
    assert (report.removed, report.postponed) == (1, 0)
    assert _names(north) == set()
    assert main.client(client_id).phone == "555-0101"


def test_only_an_administrator_shares_and_a_chart_is_shared_once(main_and_an_empty_north):
    """A clinician may not share a chart; an administrator shares it with North once, and sharing
    it again or with the main clinic is refused naming the site."""
    from iopdesk.errors import PermissionDenied, ValidationError

    main, _ = main_and_an_empty_north
    client_id = _register(main, "Robin")
    with main.on() as clinic:
        mrn = Client.get_by_id(uuid.UUID(client_id)).mrn
        with pytest.raises(PermissionDenied):
            clinic.sync.share(mrn, "NORTH")
        _as_admin(main).sync.share(mrn, "NORTH", reason="group at North")
        assert clinic.sync.shared_sites(mrn) == ["NORTH"]
        for code in ("NORTH", main.clinic.site.code):
            with pytest.raises(ValidationError) as refused:
                clinic.sync.share(mrn, code)
            assert refused.value.field == "site"
        clinic.login("clinician", ADMIN_PASSWORD)




def test_a_client_in_a_group_run_at_the_satellite_is_held_there(main_and_an_empty_north):
    """Robin, a main clinic client, is enrolled in North's evening group: North receives the chart
    without a share, and the main clinic's other client stays away."""
    main, north = main_and_an_empty_north
    robin, _ = _register(main, "Robin"), _register(main, "Avery")
    with main.on() as clinic:
        clinic.episodes.admit(robin, admitted_on=clock.today() - dt.timedelta(days=10),
                              track_code="substance_use", level="2.1", primary_clinician="clinician")
        admin = _as_admin(main)
        group, _ = admin.groups.define_group("Evening skills", "cbt_dbt_skills", site_code="NORTH",
                                             facilitators=["clinician"], schedule=[("TUE", "18:00", 90)])
        clinic.login("clinician", ADMIN_PASSWORD)
        clinic.groups.enroll(group.id, robin, clock.today() - dt.timedelta(days=3))
    sync(north, main)
    assert _names(north) == {"Robin"}
    held, everything = north.snapshot(), main.snapshot()
    for table in ("client", "episode", "group_enrollment", "therapy_group"):
        assert held[table] and all(everything[table][key] == row for key, row in held[table].items()), table


def test_a_site_of_the_clinic_without_a_database_joins_and_receives_its_clients(tmp_path, staffed_sqlite_template):
    """West was set up at the main clinic and its clients registered there for it: West's new
    satellite takes that site (its code is not refused) and holds West's clients only, while a
    second join of West is refused."""
    from iopdesk.errors import ValidationError
    from iopdesk.models import Site as SiteRow
    from iopdesk.models import writing_as_site

    main, _, _ = make_sites(tmp_path, staffed_sqlite_template, satellites=(), admitted=0)
    try:
        with main.on() as clinic, writing_as_site(clinic.site.id):
            SiteRow.create(name="West clinic", code="WEST", is_main=False)
        _register(main, "Wren", site_code="WEST")
        _register(main, "Mika")
        join_as_satellite(str(main.path), str(tmp_path / "west.sqlite"), site_code="WEST", site_name="ignored")
        west = open_site("WEST", tmp_path / "west.sqlite")
        try:
            assert _names(west) == {"Wren"} and west.clinic.site.code == "WEST"
        finally:
            west.close()
        with pytest.raises(ValidationError) as refused:
            join_as_satellite(str(main.path), str(tmp_path / "west2.sqlite"), site_code="WEST", site_name="West")
        assert refused.value.field == "site_code" and not (tmp_path / "west2.sqlite").exists()
    finally:
        main.close()


def test_sync_share_and_unshare_from_the_terminal(main_and_an_empty_north, monkeypatch, capsys):
    """`iopdesk sync share/unshare --client MRN --site CODE --as ADMIN` say in one line what changed
    and when it takes effect; an unknown MRN is named without a traceback."""
    from iopdesk.cli.main import main as cli

    main, north = main_and_an_empty_north
    client_id = _register(main, "Robin")
    with main.on():
        mrn = Client.get_by_id(uuid.UUID(client_id)).mrn
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    main.close()
    db = ["--db", str(main.path), "sync"]
    assert cli([*db, "share", "--client", mrn, "--site", "north", "--reason", "evening group", "--as", "admin"]) == 0
    assert capsys.readouterr().out.strip() == (f"{mrn} is now shared with site NORTH; it takes effect at that "
                                               "site's next sync.")
    assert cli([*db, "unshare", "--client", mrn, "--site", "NORTH", "--as", "admin"]) == 0
    assert "no longer shared with site NORTH" in capsys.readouterr().out
    assert cli([*db, "share", "--client", "MAIN-999999", "--site", "NORTH", "--as", "admin"]) != 0
    err = capsys.readouterr().err
    assert "MAIN-999999" in err and "Traceback" not in err
    main.db.connect()


def test_a_shared_chart_arrives_whole_after_syncs_cut_before_and_during_its_catch_up(main_and_an_empty_north):
    """Shared with North, a chart is sent whole after the change log. The first sync is cut before
    anything arrives; the main clinic writes more; the next sync takes the whole log but is cut in
    the chart's catch-up: North's checkpoint must not pass the point where the chart entered its
    scope, so the next sync sends the whole chart again and North gets it."""
    from unittest import mock

    from iopdesk.sync import apply as sync_apply
    from iopdesk.sync.session import sync_databases

    class Cut(Exception):
        pass

    def cut_at(call: int):
        real, calls = sync_apply.Applier.apply, {"n": 0}

        def apply(applier, changes):
            calls["n"] += 1
            if calls["n"] == call:
                raise Cut()
            return real(applier, changes)
        return mock.patch.object(sync_apply.Applier, "apply", apply)

    main, north = main_and_an_empty_north
    client_id = _register(main, "Robin")
    sync(north, main)
    share_with(main, [client_id], ["NORTH"])
    with cut_at(1), pytest.raises(Cut):  # the change log's first batch: nothing arrives
        sync_databases(north.db, main.db)
    _register(main, "Alex")  # not North's: the main clinic's log moves on
    with cut_at(2), pytest.raises(Cut):  # the whole log arrives, then the catch-up is cut
        sync_databases(north.db, main.db)
    sync(north, main)
    assert _names(north) == {"Robin"}
    here, there = north.snapshot(), main.snapshot()
    assert here["client"][client_id] == there["client"][client_id]
    assert here["client_share"] == there["client_share"]
