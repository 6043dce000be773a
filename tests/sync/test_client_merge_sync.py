"""A client registered twice — at the main clinic and offline at a satellite — merged at main:
the merge syncs, and a note the satellite wrote for the merged-away chart after the merge lands on
the chart kept, at both sites, with no conflict and every seal checking."""

from __future__ import annotations

import uuid

import pytest

from iopdesk.models import Client, Note, SyncConflict
from iopdesk.services.sync import join_as_satellite
from tests.conftest import ADMIN_PASSWORD, _new_pg_database
from tests.domain.test_backup import YESTERDAY, write_note
from tests.sync_sites import differences, make_sites, open_site, sync


def _notes_of(site, client_id: str) -> set[str]:
    with site.on():
        return {str(n) for n in Note.select(Note.id).where(Note.client == uuid.UUID(client_id)).tuples().scalars()}


@pytest.mark.postgres
def test_a_merge_at_main_reaches_a_satellite_that_kept_writing_for_the_duplicate(
        tmp_path, pg_server, staffed_pg_template):
    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    main = north = None
    try:
        main = open_site("MAIN", url)
        with main.on() as clinic:
            kept, _ = clinic.clients.register(legal_first="Noor", legal_last="Haddad", dob="1993-09-09", sex="F")
        join_as_satellite(url, str(tmp_path / "north.sqlite"), site_code="NORTH", site_name="North clinic")
        north = open_site("NORTH", tmp_path / "north.sqlite")
        with north.on() as clinic:  # the north front desk, offline, registers her again and sees her
            again, _ = clinic.clients.register(legal_first="Noor", legal_last="Haddad", dob="1993-09-09",
                                               sex="F", allow_duplicate=True)
            clinic.episodes.admit(again.id, admitted_on=YESTERDAY, track_code="substance_use", level="2.1",
                                  primary_clinician="clinician")
            first_note = write_note(clinic, again.id)
        sync(north, main)
        with north.on() as clinic:  # still offline from the merge: another signed note, a draft
            late_note = write_note(clinic, again.id)
        with main.on() as clinic:
            clinic.login("admin", ADMIN_PASSWORD)
            assert clinic.client_merge.candidates() == [(kept.mrn, again.mrn)]
            clinic.client_merge.merge(kept.mrn, again.mrn)
        sync(north, main)
        sync(north, main)
        assert north.snapshot() == main.snapshot(), differences(north.snapshot(), main.snapshot())

        everything = {str(first_note.id), str(late_note.id)}
        for site in (main, north):
            assert _notes_of(site, kept.id) == everything, site.name
            assert _notes_of(site, again.id) == set(), site.name
            assert site.client(again.id).merged_into_id == uuid.UUID(kept.id)
            with site.on() as clinic:
                assert SyncConflict.select().count() == 0, [(c.table_name, c.field, c.kind)
                                                           for c in SyncConflict.select()]
                clinic.login("admin", ADMIN_PASSWORD)
                assert clinic.clients.by_mrn(again.mrn).id == kept.id
                report = clinic.check()
                assert report.ok, report.lines
        with north.on():
            assert Client.select().count() == 2
    finally:
        for site in (main, north):
            if site is not None:
                site.close()
        janitor.drop()


def test_a_satellite_that_held_the_merged_away_chart_holds_the_chart_kept(tmp_path, staffed_sqlite_template):
    """North holds its own Noor, not the main clinic's Noor nor Avery; merged at main into the main
    clinic's chart, the chart kept reaches North whole (the phone main entered, the note North
    wrote), because a chart kept by a merge is held by every satellite that held either chart
    (iopdesk/sync/scope.py); Avery stays away."""
    main, (north,), _ = make_sites(tmp_path, staffed_sqlite_template, satellites=("NORTH",), admitted=0)
    try:
        with main.on() as clinic:
            kept, _ = clinic.clients.register(legal_first="Noor", legal_last="Haddad", dob="1993-09-09", sex="F")
            other, _ = clinic.clients.register(legal_first="Avery", legal_last="Stone", dob="1980-01-01", sex="M")
        main.edit_client(kept.id, phone="555-0101")
        with north.on() as clinic:
            again, _ = clinic.clients.register(legal_first="Noor", legal_last="Haddad", dob="1993-09-09",
                                               sex="F", allow_duplicate=True)
            clinic.episodes.admit(again.id, admitted_on=YESTERDAY, track_code="substance_use", level="2.1",
                                  primary_clinician="clinician")
            north_note = write_note(clinic, again.id)
        sync(north, main)
        with north.on():
            assert {str(c) for c in Client.select(Client.id).tuples().scalars()} == {str(again.id)}
        with main.on() as clinic:
            clinic.login("admin", ADMIN_PASSWORD)
            clinic.client_merge.merge(kept.mrn, again.mrn)
        sync(north, main)
        sync(north, main)
        with north.on() as clinic:
            assert {str(c) for c in Client.select(Client.id).tuples().scalars()} == {str(kept.id), str(again.id)}
            assert Client.get_by_id(again.id).merged_into_id == uuid.UUID(kept.id)
            clinic.login("admin", ADMIN_PASSWORD)
            report = clinic.check()
            assert report.ok, report.lines
        assert north.client(kept.id).phone == "555-0101"
        assert _notes_of(north, kept.id) == _notes_of(main, kept.id) == {str(north_note.id)}
        held, everything = north.snapshot(), main.snapshot()
        for table in ("client", "episode", "note"):
            assert held[table] == {key: row for key, row in everything[table].items() if key in held[table]}, table
        assert str(other.id) not in held["client"]
    finally:
        for site in (main, north):
            site.close()
