"""Records with the same natural key made at two sites become one record after sync (rule 5).

The schema-driven test walks every unique column and unique index of every synced table, makes a
row with the same key at the main clinic and at a satellite, syncs, and checks both hold one
record and the same tables, with no conflict left: a new unique key cannot be forgotten.
"""

from __future__ import annotations

import uuid

import peewee
import pytest

from iopdesk.kernel import clock
from iopdesk.models import Attendance, Client, ClientShare, Site, SyncConflict
from iopdesk.storage.sync_triggers import LOCAL_TABLES, synced_tables
from iopdesk.sync.rows import columns, models_by_table, unique_keys
from iopdesk.sync.rules import KEPT_APART, merges_by_key
from tests.sync_sites import differences, make_sites, plain_row, sync

# Values for the key columns that are not links (a payer code, a plan version, a role …).
_KEY_VALUE = {peewee.CharField: "SAMEKEY", peewee.IntegerField: 7}


def _keys_of_synced_tables() -> list[tuple[str, tuple[str, ...]]]:
    return [(model._meta.table_name, key) for model in models_by_table().values()
            if model._meta.table_name not in LOCAL_TABLES and not model._meta.table_name.startswith("sync_")
            for key in unique_keys(model._meta.table_name)]


def _key_name(value) -> str:
    return "-".join(value) if isinstance(value, tuple) else value


@pytest.fixture
def main_and_north(tmp_path, staffed_sqlite_template):
    main, satellites, _ = make_sites(tmp_path, staffed_sqlite_template, satellites=("NORTH",))
    yield main, satellites[0]
    for site in (main, *satellites):
        site.close()


def _shared_values(model, key: tuple[str, ...]) -> dict:
    """Field name → value for one key and every required link: a new parent for each link (made
    at the main clinic; the caller syncs it to the satellite), a fixed value for each other key
    column. Two rows made with these differ in their ids only."""
    values = {}
    for column, field in columns(model._meta.table_name).items():
        link = isinstance(field, peewee.ForeignKeyField) and not field.null
        if column not in key and not link:
            continue
        if isinstance(field, peewee.ForeignKeyField):
            values[field.name] = plain_row(field.rel_model).id
        else:
            values[field.name] = next(v for kind, v in _KEY_VALUE.items() if isinstance(field, kind))
    return values


def _made_at_main(main, north, model, key: tuple[str, ...]) -> dict:
    """`_shared_values` made at the main clinic, every client it made shared with North (a
    satellite holds only its own site's clients and those shared with it: iopdesk/sync/scope.py;
    these tests are about keys, so North sees the clients as a clinic sharing them would)."""
    with main.on():
        before = {row[0] for row in Client.select(Client.id).tuples()}
        shared = _shared_values(model, key)
        made = [str(row[0]) for row in Client.select(Client.id).tuples() if row[0] not in before]
        for client_id in made:  # plain clients' MRNs are not in the clinic's form, so no share_with
            ClientShare.create(client=uuid.UUID(client_id), site=Site.get(Site.code == north.name).id,
                               shared_at=clock.utcnow(), reason="seen at both sites")
    return shared


def _key_filter(model, key: tuple[str, ...], values: dict) -> list:
    fields = columns(model._meta.table_name)
    return [fields[column] == values[fields[column].name] for column in key]


def _open_conflicts(site) -> list[tuple]:
    with site.on():
        return list(SyncConflict.select(SyncConflict.table_name, SyncConflict.kind, SyncConflict.other_value)
                    .where(SyncConflict.status == "pending").tuples())


def test_every_unique_key_of_the_database_is_known_to_sync(main_and_north):
    """The database's unique indexes on synced tables are the keys rule 5 reads from the models,
    so a key added by a migration alone is not missed."""
    main, _ = main_and_north
    found = set()
    for table in synced_tables(main.db):
        fields = columns(table)
        for index in main.db.get_indexes(table):
            if index.unique and index.columns != ["id"]:
                found.add((table, tuple(index.columns)))
        found |= {(table, key) for key in unique_keys(table) if all(c in fields for c in key)}
    declared = set(_keys_of_synced_tables())
    assert found == declared, found ^ declared


@pytest.mark.parametrize(("table", "key"), [k for k in _keys_of_synced_tables() if merges_by_key(*k)],
                         ids=_key_name)
def test_rows_with_one_key_made_at_two_sites_become_one_record(main_and_north, table, key):
    """The same key entered offline at the main clinic and at North: after syncing both ways
    both sites hold one record with that key, the same tables, and no conflict to resolve."""
    main, north = main_and_north
    model = models_by_table()[table]
    shared = _made_at_main(main, north, model, key)
    sync(north, main)
    made = []
    for site in (main, north):
        with site.on():
            made.append(str(plain_row(model, **shared).id))
    sync(north, main)
    sync(north, main)
    assert north.snapshot() == main.snapshot(), differences(north.snapshot(), main.snapshot())
    for site in (main, north):
        with site.on():
            kept = [str(r.id) for r in model.select().where(*_key_filter(model, key, shared))]
        assert kept == [min(made, key=uuid.UUID)], f"{table} {key} at {site.name}"
    assert _open_conflicts(main) == _open_conflicts(north) == []


@pytest.mark.parametrize(("table", "key"), sorted(KEPT_APART), ids=_key_name)
def test_keys_that_name_an_identity_are_not_merged(table, key):
    """An MRN, a username, a site code and an audit event number are identities: two rows with
    one of them are never merged by sync (rule 5; a client registered twice is merged by an
    administrator instead)."""
    assert key in unique_keys(table)
    assert not merges_by_key(table, key)


def test_attendance_taken_at_two_sites_for_one_session_becomes_one_record(main_and_north):
    """The main clinic records the client absent (excused) and North present for the same group
    session: one attendance record remains at both sites, holding the winner, with the other
    status kept in a conflict an admin can resolve; re-entering it makes no new conflict."""
    main, north = main_and_north
    shared = _made_at_main(main, north, Attendance, ("session_id", "client_id"))
    session_id, client_id = shared["session"], shared["client"]
    sync(north, main)
    for site, status, minutes in ((main, "absent_excused", 0), (north, "present", 50)):
        with site.on():
            plain_row(Attendance, session=session_id, client=client_id, status=status, minutes=minutes)
    sync(north, main)
    sync(north, main)
    assert north.snapshot() == main.snapshot(), differences(north.snapshot(), main.snapshot())
    open_conflicts = _open_conflicts(main)
    assert sorted(kind for _, kind, _ in open_conflicts) == ["edited", "edited"]
    with main.on():
        record = Attendance.get((Attendance.session == session_id) & (Attendance.client == client_id))
        conflict = SyncConflict.get((SyncConflict.field == "status") & (SyncConflict.status == "pending"))
        assert {conflict.kept_value, conflict.other_value} == {"absent_excused", "present"}
        assert record.status == conflict.kept_value
        main.clinic.login("admin", "correct horse battery")
        main.clinic.sync.resolve(str(conflict.id), keep="other")
    sync(north, main)
    with north.on():
        record = Attendance.get((Attendance.session == session_id) & (Attendance.client == client_id))
        assert record.status == conflict.other_value
    assert north.snapshot() == main.snapshot()
    assert sync(north, main).conflicts == 0
    for site in (main, north):
        with site.on() as clinic:
            assert clinic.check().ok, clinic.check().lines


def test_a_payer_entered_at_two_sites_keeps_the_clients_billed_to_either(main_and_north, tmp_path):
    """North and the main clinic both add payer code SAMEKEY; North bills a new client to its
    copy and renames it after sending it by file. After syncing there is one payer everywhere,
    the client points at it, and North's rename reached it."""
    from iopdesk.models import Client, Payer

    main, north = main_and_north
    payers = {}
    for site in (main, north):
        with site.on():
            payers[site.name] = plain_row(Payer, code="SAMEKEY", name=f"Payer entered at {site.name}").id
    with north.on() as clinic:
        client, _ = clinic.clients.register(legal_first="Ines", legal_last="Duarte", dob="1975-06-01", sex="F")
        Client.update(payer=payers["NORTH"]).where(Client.id == client.id).execute()
        clinic.login("admin", "correct horse battery")
        clinic.sync.export_file(tmp_path / "north.sync", plain=True)
        Payer.update(name="Renamed at North", version=Payer.version + 1).where(Payer.id == payers["NORTH"]).execute()
    with main.on() as clinic:
        clinic.login("admin", "correct horse battery")
        clinic.sync.import_file(tmp_path / "north.sync")
        assert Client.get_by_id(client.id).payer_id == payers["MAIN"]
    sync(north, main)
    sync(north, main)
    assert north.snapshot() == main.snapshot(), differences(north.snapshot(), main.snapshot())
    for site in (main, north):
        with site.on():
            assert [(p.id, p.name) for p in Payer.select().where(Payer.code == "SAMEKEY")] == [
                (payers["MAIN"], "Renamed at North")]
            assert Client.get_by_id(client.id).payer_id == payers["MAIN"]


def test_two_draft_plans_of_one_version_become_one_plan_with_both_sites_problems(main_and_north):
    """Version 7 of a client's plan drafted at both sites, each with its own problem: one plan
    remains everywhere and it holds both problems (nothing the other draft pointed at is lost)."""
    from iopdesk.models import PlanProblem, TreatmentPlan

    main, north = main_and_north
    shared = _made_at_main(main, north, TreatmentPlan, ("episode_id", "plan_version"))
    sync(north, main)
    plans = []
    for site in (main, north):
        with site.on():
            plan = plain_row(TreatmentPlan, **shared)
            plain_row(PlanProblem, plan=plan.id, statement=f"Problem written at {site.name}")
            plans.append(plan.id)
    sync(north, main)
    sync(north, main)
    assert north.snapshot() == main.snapshot(), differences(north.snapshot(), main.snapshot())
    for site in (main, north):
        with site.on():
            kept = TreatmentPlan.select().where(TreatmentPlan.episode == shared["episode"])
            assert [p.id for p in kept] == [min(plans)] and kept[0].plan_version == 7
            assert sorted(p.statement for p in kept[0].problems) == [
                "Problem written at MAIN", "Problem written at NORTH"]


def test_two_signed_plans_with_one_version_are_both_kept_for_an_admin(main_and_north):
    """Version 7 of one client's plan signed at both sites: signed documents are never merged;
    the second stays whole in a conflict that says why, in words."""
    from iopdesk.models import TreatmentPlan

    main, north = main_and_north
    shared = _made_at_main(main, north, TreatmentPlan, ("episode_id", "plan_version"))
    sync(north, main)
    for site in (main, north):
        with site.on():
            plain_row(TreatmentPlan, **shared, clinician_signed_at=clock.utcnow())
    sync(north, main)
    with main.on():
        conflict = SyncConflict.get(SyncConflict.table_name == "treatment_plan")
        assert (conflict.kind, conflict.status) == ("refused", "pending")
        assert conflict.kept_value["reason"] == "a signed record with the same key is already here"
        assert conflict.other_value["plan_version"] == 7


@pytest.mark.postgres
def test_attendance_at_a_satellite_and_a_main_clinic_on_postgresql_becomes_one_record(
        tmp_path, pg_server, staffed_pg_template):
    """Issue 20, failure 2, as the clinic runs it: the main clinic on PostgreSQL says absent
    (excused), the SQLite satellite present, for one session and client; after syncing both hold
    one attendance record and the same tables, the other status in one conflict."""
    from iopdesk.services.sync import join_as_satellite
    from tests.conftest import _new_pg_database
    from tests.sync_sites import open_site

    janitor, name = _new_pg_database(pg_server, staffed_pg_template)
    janitor.init()
    url = pg_server.url(name)
    main = north = None
    try:
        main = open_site("MAIN", url)
        join_as_satellite(url, str(tmp_path / "north.sqlite"), site_code="NORTH", site_name="North clinic")
        north = open_site("NORTH", tmp_path / "north.sqlite")
        shared = _made_at_main(main, north, Attendance, ("session_id", "client_id"))
        sync(north, main)
        for site, status in ((north, "present"), (main, "absent_excused")):
            with site.on():
                plain_row(Attendance, **shared, status=status)
        sync(north, main)
        sync(north, main)
        assert north.snapshot() == main.snapshot(), differences(north.snapshot(), main.snapshot())
        for site in (main, north):
            with site.on():
                assert Attendance.select().where(*_key_filter(Attendance, ("session_id", "client_id"), shared)).count() == 1
        assert [kind for _, kind, _ in _open_conflicts(main)] == ["edited"]
        assert _open_conflicts(north) == _open_conflicts(main)
    finally:
        for site in (main, north):
            if site is not None:
                site.close()
        janitor.drop()
