"""A main clinic and satellite sites in one test process, for the sync tests.

Each site is an open database with its own `Clinic`; `site.on()` binds the models to that
database (on this thread) and stamps new rows with that site, the way a sync does, so a test can
work at three sites in turn without reopening anything.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import peewee

from iopdesk.clinic import Clinic
from iopdesk.kernel import clock
from iopdesk.models import Client, writing_as_site
from iopdesk.services.sync import join_as_satellite
from iopdesk.storage.db import database, make_database
from iopdesk.storage.records import update_versioned
from iopdesk.storage.sync_triggers import synced_tables
from iopdesk.sync.rows import models_by_table, to_json
from iopdesk.sync.session import sync_databases
from tests.conftest import ADMIN_PASSWORD

# Columns that are bookkeeping rather than data: a row's local version counter and device time.
_NOT_COMPARED = {"version", "updated_at"}


@dataclass
class Site:
    name: str
    path: Path
    db: peewee.Database
    clinic: Clinic

    @contextlib.contextmanager
    def on(self) -> Iterator[Clinic]:
        with database.bound_to(self.db), writing_as_site(self.clinic.writer_id):
            yield self.clinic

    def snapshot(self) -> dict[str, dict[str, tuple]]:
        """Every synced table's rows (id → data columns as sync carries them, so SQLite and
        PostgreSQL compare equal). Audit events about a sync itself, and the seals a site writes
        for signed records arriving by sync, are left out: the last import's events travel with
        the next exchange."""
        out = {}
        with self.on():
            for table in synced_tables(self.db):
                model = models_by_table()[table]
                rows = {}
                for row in model.select().dicts():
                    values = to_json(table, row)
                    if table == "audit_event" and (values["entity"] == "sync" or str(
                            (values["detail"] or {}).get("provenance", "")).startswith("sync from site ")):
                        continue
                    rows[values["id"]] = tuple(v for k, v in sorted(values.items()) if k not in _NOT_COMPARED)
                out[table] = rows
        return out

    def last_change(self) -> int:
        return int(self.db.execute_sql("SELECT COALESCE(MAX(seq), 0) FROM sync_change").fetchone()[0])

    def client(self, client_id: str) -> Client:
        with self.on():
            return Client.get_by_id(uuid.UUID(client_id))

    def edit_client(self, client_id: str, **values) -> None:
        with self.on():
            row = Client.get_by_id(uuid.UUID(client_id))
            update_versioned(row, row.version, **values)

    def close(self) -> None:
        self.db.close()
        if hasattr(self.db, "close_all"):
            self.db.close_all()


def open_site(name: str, path: Path) -> Site:
    db = make_database(str(path))
    db.connect()
    with database.bound_to(db):
        clinic = Clinic(db, str(path))
        clinic.login("clinician", ADMIN_PASSWORD)
    site = Site(name, path, db, clinic)
    with site.on():
        clinic.login("clinician", ADMIN_PASSWORD)
    return site


def make_sites(tmp_path: Path, template: str, satellites: tuple[str, ...] = ("NORTH", "SOUTH"),
               admitted: int = 1) -> tuple[Site, list[Site], list[str]]:
    """A main clinic (a copy of the staffed template) with `admitted` clients admitted there, and
    satellites joined from it. Returns (main, satellites, admitted client ids)."""
    main_path = tmp_path / "main.sqlite"
    shutil.copyfile(template, main_path)
    main = open_site("MAIN", main_path)
    client_ids = []
    with main.on() as clinic:
        for number in range(admitted):
            client, _ = clinic.clients.register(legal_first=f"Robin{number}", legal_last="Okafor",
                                                dob="1988-03-02", sex="F", allow_duplicate=True)
            clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=10),
                                  track_code="substance_use", level="2.1", primary_clinician="clinician")
            client_ids.append(str(client.id))
    sites = []
    for code in satellites:
        path = tmp_path / f"{code.lower()}.sqlite"
        join_as_satellite(str(main_path), str(path), site_code=code, site_name=f"{code.title()} clinic")
        sites.append(open_site(code, path))
    share_with(main, client_ids, [site.name for site in sites])
    for site in sites:
        sync(site, main)
    return main, sites, client_ids


def share_with(site: Site, client_ids: list[str], codes: list[str]) -> None:
    """An administrator at `site` shares these clients with these satellite sites (a satellite
    holds only its own site's clients otherwise: iopdesk/sync/scope.py)."""
    with site.on() as clinic:
        clinic.login("admin", ADMIN_PASSWORD)
        try:
            for client_id in client_ids:
                mrn = Client.get_by_id(uuid.UUID(client_id)).mrn
                for code in codes:
                    clinic.sync.share(mrn, code, reason="seen at both sites")
        finally:
            clinic.login("clinician", ADMIN_PASSWORD)


def differences(first: dict, second: dict, limit: int = 5) -> list[str]:
    """The first few rows where two snapshots differ, readably, for an assertion message."""
    out = []
    for table in sorted(set(first) | set(second)):
        a, b = first.get(table, {}), second.get(table, {})
        for row_id in sorted(set(a) | set(b)):
            if a.get(row_id) != b.get(row_id):
                if a.get(row_id) and b.get(row_id):
                    shown = [(i, x, y) for i, (x, y) in enumerate(zip(a[row_id], b[row_id], strict=True)) if x != y]
                else:
                    shown = [a.get(row_id), b.get(row_id)]
                out.append(f"{table} {row_id}: {shown}")
                if len(out) >= limit:
                    return out
    return out


def sync(satellite: Site, main: Site):
    return sync_databases(satellite.db, main.db)


def plain_row(model: type[peewee.Model], **fixed) -> peewee.Model:
    """A new row of any clinic table with `fixed` values and plain ones elsewhere, made at the
    bound site: each required link gets a new parent row (made the same way), each required
    value a fixed one (a unique text a fresh one), so the same call at two sites gives two rows
    that differ only in their ids and the keys of new parents."""
    values = dict(fixed)
    for field in model._meta.sorted_fields:
        if field.name in values or field.primary_key or field.null or field.default is not None:
            continue
        values[field.name] = _plain_value(field)
    return model.create(**values)


def _plain_value(field: peewee.Field) -> object:
    from iopdesk.models import JSONField

    if isinstance(field, peewee.ForeignKeyField):
        return plain_row(field.rel_model).id
    if isinstance(field, JSONField):
        return {}
    if isinstance(field, (peewee.CharField, peewee.TextField)):
        if field.unique:
            return uuid.uuid4().hex[: getattr(field, "max_length", None) or 32]
        return "x"
    if isinstance(field, peewee.BooleanField):
        return False
    if isinstance(field, (peewee.IntegerField, peewee.FloatField, peewee.DecimalField)):
        return 1
    if isinstance(field, peewee.DateTimeField):
        return clock.utcnow()
    if isinstance(field, peewee.DateField):
        return clock.today()
    if isinstance(field, peewee.TimeField):
        return dt.time(10, 0)
    if isinstance(field, peewee.UUIDField):
        return uuid.uuid4()
    raise TypeError(f"no plain value for {field.model._meta.table_name}.{field.name}")
