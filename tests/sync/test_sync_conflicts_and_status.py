"""Issue 20, failures 5 and 7: conflicts an administrator reads in the clinic's words and
resolves (Admin page, `iopdesk sync conflicts`, a Today item), and a sync that is idle when
nothing clinical waits, with per-site status and a warning for a site out of contact."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Note, SyncConflict
from iopdesk.sync.words import value_words
from tests.conftest import ADMIN_PASSWORD
from tests.sync_sites import make_sites, share_with, sync

YESTERDAY = clock.today() - dt.timedelta(days=1)
DAP = {"data": "Talked about the weekend.", "assessment": "Coping skills used.", "plan": "Continue IOP."}
UUID_TEXT = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-")


def _main_on_postgresql(pg_server, staffed_pg_template):
    from tests.conftest import _new_pg_database

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    return janitor, pg_server.url(name)


def _note_edited_at_two_sites(main, north, client_id):
    """The clinician drafts a note at the main clinic; after a sync, both sites change its plan."""
    with main.on() as clinic:
        note, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                            service_date=YESTERDAY, starts_at="10:00", ends_at="10:50",
                                            sections=DAP)
    sync(north, main)
    with north.on() as clinic:
        clinic.notes.save_draft(note.id, note.version, {**DAP, "plan": "Walk with sponsor daily."})
    with main.on() as clinic:
        clinic.notes.save_draft(note.id, note.version, {**DAP, "plan": "Add a family session."})
    assert sync(north, main).conflicts == 1
    return note


@pytest.mark.postgres
def test_a_repeated_sync_from_the_command_line_is_idle_on_a_postgresql_main(
        tmp_path, pg_server, staffed_pg_template, monkeypatch, capsys):
    """Failure 7: each `iopdesk sync --with` signs in (an audit event, the staff row's last
    sign-in) — those travel to the main clinic but are not changes: the second and third run
    report nothing received or sent, and `sync status` reads idle at both ends."""
    from iopdesk.cli.main import main as cli
    from iopdesk.services.sync import join_as_satellite
    from tests.sync_sites import open_site

    janitor, url = _main_on_postgresql(pg_server, staffed_pg_template)
    north_path = tmp_path / "north.sqlite"
    try:
        join_as_satellite(url, str(north_path), site_code="NORTH", site_name="North clinic")
        monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        runs = []
        for _ in range(3):
            assert cli(["--db", str(north_path), "sync", "--with", url, "--as", "admin"]) == 0
            runs.append(capsys.readouterr().out.strip())
        assert runs[1] == runs[2] == "Synced: received 0 change(s); sent 0"
        assert cli(["--db", str(north_path), "sync", "status"]) == 0
        status = capsys.readouterr().out
        assert "; idle; pending changes: 0; open conflicts: 0" in status
        assert re.search(r"MAIN \(.*main clinic\): last sync .*0 day\(s\) since last contact; to send 0, "
                         r"to receive 0; open conflicts 0", status), status
        main = open_site("MAIN", url)
        try:
            with main.on() as clinic:
                north_logins = (AuditEvent.select().where((AuditEvent.action == "login")
                                                          & (AuditEvent.actor == "admin")
                                                          & (AuditEvent.origin_site != clinic.site.id)).count())
                assert north_logins >= 2  # the sign-ins reached the main clinic's audit trail
                assert clinic.sync.status().idle
        finally:
            main.close()
    finally:
        janitor.drop()


@pytest.mark.postgres
def test_a_conflict_reads_in_the_clinics_words_and_resolves_from_the_command_line_on_postgresql(
        tmp_path, pg_server, staffed_pg_template, monkeypatch, capsys):
    """Failure 5: `iopdesk sync conflicts` names the client, the record, the field, both values,
    who wrote each and at which site — no table names or ids — and `--resolve ID --keep theirs`
    writes the other value, which reaches the main clinic with the next sync."""
    from iopdesk.cli.main import main as cli
    from iopdesk.services.sync import join_as_satellite
    from tests.sync_sites import open_site

    janitor, url = _main_on_postgresql(pg_server, staffed_pg_template)
    main = north = None
    try:
        main = open_site("MAIN", url)
        with main.on() as clinic:
            client, _ = clinic.clients.register(legal_first="Noor", legal_last="Haddad", dob="1993-09-09", sex="F")
        join_as_satellite(url, str(tmp_path / "north.sqlite"), site_code="NORTH", site_name="North clinic")
        north = open_site("NORTH", tmp_path / "north.sqlite")
        share_with(main, [str(client.id)], ["NORTH"])  # a main clinic client North holds by a share
        note = _note_edited_at_two_sites(main, north, str(client.id))
        north.close()
        monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
        assert cli(["--db", str(tmp_path / "north.sqlite"), "sync", "conflicts", "--as", "admin"]) == 0
        listing = capsys.readouterr().out
        assert listing.startswith("1 conflict(s) to resolve")
        assert f"Noor Haddad ({client.mrn}), progress note of {YESTERDAY:%m/%d/%Y} · sections" in listing
        assert "plan: Walk with sponsor daily." in listing and "plan: Add a family session." in listing
        assert "North clinic (NORTH)" in listing and "Main clinic (MAIN)" in listing
        assert "— Cleo Clinician, North clinic (NORTH)" in listing
        assert not UUID_TEXT.search(listing) and "note.sections" not in listing and "{'" not in listing
        short_id = re.search(r"^([0-9a-f]{8})  ", listing, re.MULTILINE).group(1)
        theirs = re.search(r"theirs \(set aside\):\s+.*plan: (.*?) — Cleo Clinician, Main clinic \(MAIN\)", listing).group(1)
        assert cli(["--db", str(tmp_path / "north.sqlite"), "sync", "conflicts", "--resolve", short_id,
                    "--keep", "theirs", "--as", "admin"]) == 0
        assert f"Resolved {short_id}" in capsys.readouterr().out
        assert cli(["--db", str(tmp_path / "north.sqlite"), "sync", "conflicts", "--resolve", short_id,
                    "--keep", "theirs", "--as", "admin"]) == 2
        assert "already resolved" in capsys.readouterr().err
        north = open_site("NORTH", tmp_path / "north.sqlite")
        sync(north, main)
        for site in (main, north):
            with site.on() as clinic:
                assert Note.get_by_id(note.id).sections["plan"] == theirs
                assert SyncConflict.get().status == "resolved"
                assert clinic.sync.status().conflicts == 0
    finally:
        for site in (main, north):
            if site is not None:
                site.close()
        janitor.drop()


def test_administrators_see_open_conflicts_and_silent_sites_on_today(tmp_path, staffed_sqlite_template):
    """Today lists, for administrators only, the open conflicts and a site that has not synced
    for `sync.warn_after_days` days; `sync status` marks that site, and a clinician sees neither."""
    main, (north,), (client_id,) = make_sites(tmp_path, staffed_sqlite_template, satellites=("NORTH",))
    try:
        _note_edited_at_two_sites(main, north, client_id)
        with main.on() as clinic:
            clinic.login("admin", ADMIN_PASSWORD)
            clinic.settings.set_rule("sync.warn_after_days", 5)
            items = clinic.sync.attention()
            assert [i.what for i in items] == ["1 sync conflict to resolve"]
            clock.pin(clock.today() + dt.timedelta(days=6))
            items = clinic.sync.attention()
            assert [i.target for i in items] == ["admin:conflicts", "admin:sync"]
            assert items[1].what == "North clinic (NORTH) has not synced for 6 days"
            status = clinic.sync.status()
            assert [(p.site_code, p.days_since_contact, p.stale, p.open_conflicts) for p in status.peers] == [
                ("NORTH", 6, True, 1)]
            clinic.login("clinician", ADMIN_PASSWORD)
            assert clinic.sync.attention() == []
    finally:
        for site in (main, north):
            site.close()


def test_a_refused_record_says_which_fields_already_exist_on_sqlite_and_postgresql():
    """The database's refusal, from either engine, becomes one sentence naming the fields."""
    sqlite = {"reason": "UNIQUE constraint failed: attendance.session_id, attendance.client_id"}
    postgres = {"reason": 'duplicate key value violates unique constraint "attendance_session_id_client_id" '
                          "DETAIL: Key (session_id, client_id)=(a, b) already exists."}
    for value in (sqlite, postgres):
        assert value_words("attendance", "*", value) == (
            "not saved: another attendance already has the same session and client")
    assert value_words("attendance", "status", "absent_excused") == "absent (excused)"
    assert value_words("client", "dob", "1993-09-09") == "09/09/1993"
    assert value_words("client", "phone", None) == "(blank)"


def test_an_attendance_refused_at_one_site_is_named_by_client_group_and_date(tmp_path, staffed_sqlite_template):
    """A record that exists only in a conflict (the other site's attendance row, refused) is
    still named in the clinic's words: whose, which group session, and the status by its label."""
    import uuid

    from iopdesk.models import Attendance, GroupSession, Site, TherapyGroup
    from iopdesk.sync.rows import to_json
    from iopdesk.sync.words import describe_record

    main, _, (client_id,) = make_sites(tmp_path, staffed_sqlite_template, satellites=())
    try:
        with main.on():
            group = TherapyGroup.create(name="Relapse prevention", group_type="process", site=Site.get())
            session = GroupSession.create(group=group, session_date=YESTERDAY, starts_at=dt.time(9),
                                          ends_at=dt.time(12))
            entered_elsewhere = Attendance(id=uuid.uuid4(), session=session, client=uuid.UUID(client_id),
                                           status="absent_excused")
            row = to_json("attendance", {f.name: getattr(entered_elsewhere, f.column_name)
                                         for f in Attendance._meta.sorted_fields})
            words = describe_record("attendance", row["id"], row)
            assert words.client == "Robin0 Okafor (MAIN-000001)"
            assert words.record == f"attendance, Relapse prevention {YESTERDAY:%m/%d/%Y}"
            assert value_words("attendance", "status", row["status"]) == "absent (excused)"
            assert value_words("attendance", "session_id", str(session.id)) == (
                f"Relapse prevention {YESTERDAY:%m/%d/%Y}")
    finally:
        main.close()
