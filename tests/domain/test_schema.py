"""Opening a clinic database: migrations on empty and older databases, newer ones refused."""

from __future__ import annotations

import peewee
import pytest
from playhouse.migrations import Runner
from playhouse.schema_diff import diff_models

import iopdesk
from iopdesk.errors import SchemaTooNew
from iopdesk.models import ALL_MODELS
from iopdesk.storage.db import database, make_database
from iopdesk.storage.schema import HISTORY_TABLE, MIGRATIONS_DIR, schema_status


def _assert_schema_matches_models(db: peewee.Database) -> None:
    diff = diff_models(db, ALL_MODELS)
    assert not (diff.create_tables or diff.add_columns or diff.drop_columns or diff.add_indexes), str(diff)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def empty_url(request, tmp_path):
    if request.param == "sqlite":
        return "sqlite:///" + str(tmp_path / "new.sqlite")
    return request.getfixturevalue("empty_pg_url")


def test_opening_an_empty_database_creates_the_whole_schema(empty_url):
    """A new clinic file or server database gets every table at the newest schema version."""
    clinic = iopdesk.open_clinic(empty_url)
    try:
        status = clinic.schema()
        assert not status.pending and not status.unknown
        assert status.version == status.latest >= 2
        _assert_schema_matches_models(clinic.db)
        assert clinic.check().ok
    finally:
        clinic.close()


def test_an_older_database_is_brought_up_to_date_keeping_its_records(empty_url):
    """A clinic made by an older release (schema 1, with a client) is upgraded on open; the client stays."""
    db = make_database(empty_url)
    database.initialize(db)
    Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE).up("0001_initial")
    assert schema_status(db).version == 1
    db.execute_sql(
        "INSERT INTO site (id, created_at, updated_at, version, name, code, address, phone, "
        "place_of_service, is_main) VALUES ('00000000-0000-7000-8000-000000000001', "
        "'2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, 'Old site', 'OLD', '', '', '57', TRUE)"
    )
    db.execute_sql(
        "INSERT INTO client (id, created_at, updated_at, version, mrn, legal_first, legal_last, "
        "preferred_name, dob, sex, gender_identity, pronouns, phone, email, address, emergency_name, "
        "emergency_phone, emergency_relationship, member_id, site_id) VALUES "
        "('00000000-0000-7000-8000-000000000002', '2025-01-01 00:00:00', '2025-01-01 00:00:00', 1, "
        "'OLD-000001', 'Rowan', 'Example', '', '1980-05-01', 'X', '', '', '', '', '', '', '', '', '', "
        "'00000000-0000-7000-8000-000000000001')"
    )
    db.close()

    clinic = iopdesk.open_clinic(empty_url)
    try:
        status = clinic.schema()
        assert status.version == status.latest and not status.pending
        assert "0002_client_name_search" in status.applied
        _assert_schema_matches_models(clinic.db)
        assert clinic.clients.by_mrn("OLD-000001").legal_name == "Rowan Example"
        assert clinic.site.code == "OLD"
    finally:
        clinic.close()


def test_a_database_from_a_newer_release_is_refused_untouched(tmp_path):
    """A schema change this program does not know means a newer IOP Desk wrote the file: refuse it."""
    path = tmp_path / "future.sqlite"
    iopdesk.open_clinic(str(path)).close()
    db = make_database(str(path))
    db.connect()
    db.execute_sql(f"INSERT INTO {HISTORY_TABLE} (name, applied) VALUES ('0099_from_the_future', '2030-01-01')")
    db.close()
    before = path.read_bytes()

    with pytest.raises(SchemaTooNew, match="newer version of IOP Desk"):
        iopdesk.open_clinic(str(path))
    assert path.read_bytes() == before


def test_a_failing_migration_leaves_the_database_as_it_was(tmp_path, monkeypatch):
    """If a migration breaks halfway, nothing of the upgrade is kept and the next open retries."""
    path = tmp_path / "old.sqlite"
    db = make_database(str(path))
    database.initialize(db)
    Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE).up("0001_initial")
    db.close()

    import playhouse.migrations as migrations

    real_run = migrations.Runner._run

    def failing_run(self, name, module, direction, fake=False):
        real_run(self, name, module, direction, fake)
        raise RuntimeError("power cut")

    monkeypatch.setattr(migrations.Runner, "_run", failing_run)
    with pytest.raises(RuntimeError):
        iopdesk.open_clinic(str(path))
    monkeypatch.undo()

    db = make_database(str(path))
    db.connect()
    assert schema_status(db).applied == ("0001_initial",)
    indexes = {row[1] for row in db.execute_sql("PRAGMA index_list(client)").fetchall()}
    assert "client_legal_last_nocase" not in indexes
    db.close()
    clinic = iopdesk.open_clinic(str(path))
    assert clinic.schema().version == clinic.schema().latest
    clinic.close()
