"""Site sync speed: a satellite's sync file of 10,000 row changes imported into the main clinic.

The main clinic is the demo-sized clinic (the one `make run` opens); its second site, EAST, joins
it as a satellite with every client shared (a full first sync, timed too), then changes 10,000 distinct rows across three tables (`EDITS`). Its
sync file is written once; each sample imports it into a fresh copy of the main clinic. The floor
is raw `sqlite3` writing the same rows' new values, one UPDATE each, in one transaction.
A third row restores a satellite from a backup taken before its last sync and times its restore
plus the first sync with the main clinic (issue 20). A scoped join is timed on the 10,000-client scale clinic: EAST joins and receives only its own
clients (issue 20: a satellite holds what it needs).
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import time
from pathlib import Path

from tools.bench.harness import Figure

CHANGES = 10_000
IMPORT_TARGET_S = 5.0
REJOIN_TARGET_S = 10.0
SCOPED_JOIN_TARGET_S = 30.0
SATELLITE = "EAST"  # the demo clinic's second site (iopdesk/demo/cast.py)
SAMPLES = 3
PASSWORD = "demo-pass-2026"
# What a satellite brings back after a fortnight offline, one change per row: attendance minutes
# corrected, group topics revised, drug screen results marked expected (a new prescription).
# Signed notes are left alone: the main clinic would refuse those edits (rule 1).
EDITS = (("attendance", "minutes", "minutes + 1"), ("group_session", "topic", "topic || ' (revised)'"),
         ("drug_screen_result", "expected", "CASE WHEN expected THEN 0 ELSE 1 END"))


def _prepare(main_source: Path, folder: Path) -> tuple[Path, Path, float]:
    """(main copy, sync file, seconds the join took)."""
    import iopdesk
    from iopdesk.services.sync import join_as_satellite

    folder.mkdir(parents=True, exist_ok=True)
    main = folder / "main.sqlite"
    shutil.copyfile(main_source, main)
    iopdesk.open_clinic(str(main)).close()  # bring the cached clinic to this schema once
    with iopdesk.open_clinic(str(main)) as clinic:
        _share_everything_with(clinic, SATELLITE)
    satellite = folder / "east.sqlite"
    began = time.perf_counter()
    join_as_satellite(str(main), str(satellite), site_code=SATELLITE, site_name="Eastgate")
    joined = time.perf_counter() - began
    connection = sqlite3.connect(satellite)
    with connection:
        remaining = CHANGES
        for table, column, value in EDITS:
            ids = [row[0] for row in connection.execute(f"SELECT id FROM {table} ORDER BY id LIMIT ?", (remaining,))]
            connection.executemany(f"UPDATE {table} SET {column} = {value}, version = version + 1 WHERE id = ?",
                                   [(i,) for i in ids])
            remaining -= len(ids)
    connection.close()
    if remaining:
        raise RuntimeError(f"the demo clinic has too few rows for {CHANGES:,} changes")
    with iopdesk.open_clinic(str(satellite)) as clinic:
        clinic.login("admin", PASSWORD)
        clinic.sync.export_file(folder / "east.sync", plain=True)
    return main, folder / "east.sync", joined


def _share_everything_with(clinic, code: str) -> None:
    """Share the main clinic's clients with the satellite too, so that it holds every client and
    its 10,000 edits touch rows of both sites (a satellite holds its own clients otherwise)."""
    from iopdesk.models import Client, Site

    _admin(clinic)
    site = Site.get(Site.code == code)
    for (mrn,) in Client.select(Client.mrn).where(Client.site != site.id).tuples():
        clinic.sync.share(mrn, code, reason="bench: the satellite holds every client")


def _scoped_join(folder: Path) -> Figure:
    """Seconds for EAST, one site of the two in the 10,000-client clinic, to join as a satellite:
    it receives its own clients' records (some 3,000 clients) and what goes everywhere."""
    from iopdesk.models import Client
    from iopdesk.services.sync import join_as_satellite
    from iopdesk.storage.db import database, make_database
    from tools.bench.harness import scale_clinic, working_copy

    main = working_copy(scale_clinic(), folder / "scoped")
    satellite = folder / "scoped" / "east.sqlite"
    began = time.perf_counter()
    report = join_as_satellite(str(main), str(satellite), site_code=SATELLITE, site_name="Eastgate")
    seconds = time.perf_counter() - began
    db = make_database(str(satellite))
    with database.bound_to(db):
        clients = Client.select().count()
    db.close()
    note = f"{clients:,} clients, {report.received.applied:,} rows received"
    for leftover in (folder / "scoped").iterdir():
        leftover.unlink()
    return Figure("sync: scoped join of one site of the two in the 10,000-client clinic", (seconds,),
                  SCOPED_JOIN_TARGET_S, "s", note)


def _admin(clinic) -> None:
    from iopdesk.models import Staff, StaffRole

    admin = (Staff.select(Staff.username).join(StaffRole).where(StaffRole.role == "admin").first())
    clinic.login(admin.username, PASSWORD)


def run(main_source: Path, folder: Path) -> list[Figure]:
    import iopdesk

    main, sync_file, joined = _prepare(main_source, folder)
    samples, applied = [], 0
    for number in range(SAMPLES):
        copy = folder / f"main-{number}.sqlite"
        shutil.copyfile(main, copy)
        with iopdesk.open_clinic(str(copy)) as clinic:
            _admin(clinic)
            began = time.perf_counter()
            report = clinic.sync.import_file(sync_file)
            samples.append(time.perf_counter() - began)
            applied = report.received.applied + report.received.bookkeeping  # audit events counted apart
        copy.unlink()
    floor = _raw_floor(main, sync_file, folder)
    note = (f"{applied:,} row changes applied; raw sqlite3 floor {floor:.2f} s "
            f"({min(samples) / floor:.1f}x); first full sync of the demo clinic {joined:.1f} s")
    return [Figure("sync: import a 10,000-change satellite file", tuple(samples), IMPORT_TARGET_S, "s", note,
                   floor=floor),
            Figure("sync: join (the demo clinic's second site, every client shared with it)", (joined,), None, "s"),
            _scoped_join(folder),
            restore_and_rejoin(main, folder)]


def restore_and_rejoin(main: Path, folder: Path) -> Figure:
    """A demo satellite restored from a backup taken before its last sync (one client registered
    and synced after it), then its first sync with the main clinic: restore + rejoin, timed."""
    import iopdesk
    from iopdesk.backup.copies import backup_clinic, restore_backup
    from iopdesk.services.sync import join_as_satellite

    work = folder / "rejoin"
    work.mkdir(parents=True, exist_ok=True)
    copy, satellite = work / "main.sqlite", work / "south.sqlite"
    shutil.copyfile(main, copy)
    join_as_satellite(str(copy), str(satellite), site_code="SOUTH", site_name="South clinic")
    backup_clinic(satellite, work / "south-backup.sqlite")
    with iopdesk.open_clinic(str(satellite)) as clinic:
        _admin(clinic)
        clinic.clients.register(legal_first="Pavel", legal_last="Novak", dob="1990-04-04", sex="M",
                                allow_duplicate=True)
        clinic.sync.sync_with(str(copy))
    began = time.perf_counter()
    restore_backup(work / "south-backup.sqlite", work / "south-restored.sqlite")
    with iopdesk.open_clinic(str(work / "south-restored.sqlite"), create=False) as clinic:
        _admin(clinic)
        report = clinic.sync.sync_with(str(copy))
    seconds = time.perf_counter() - began
    return Figure("sync: restore + rejoin of a demo satellite", (seconds,), REJOIN_TARGET_S, "s",
                  f"{report.received.applied:,} change(s) received, {report.sent.applied:,} sent; "
                  f"got back {sum(report.got_back.values()):,} record(s)")


def _raw_floor(main: Path, sync_file: Path, folder: Path) -> float:
    """Seconds for raw sqlite3 to write the same rows' new values in one transaction."""
    import iopdesk
    from iopdesk.models import Site
    from iopdesk.sync.files import read_sync_file
    from iopdesk.sync.session import sync_key

    with iopdesk.open_clinic(str(main)):
        key = sync_key(str(Site.get(Site.code == "NORTH").id))
    _, batches = read_sync_file(sync_file, sync_key=key)
    copy = folder / "floor.sqlite"
    shutil.copyfile(main, copy)
    connection = sqlite3.connect(copy)
    began = time.perf_counter()
    with connection:
        for batch in batches:
            for change in batch["changes"]:
                row, fields = change["row"], [f for f in change["f"] if f != "*"]
                if not fields:
                    continue
                values = [json.dumps(row[f]) if isinstance(row[f], (dict, list)) else row[f] for f in fields]
                assignments = ", ".join(f'"{f}" = ?' for f in fields)
                connection.execute(f'UPDATE "{change["t"]}" SET {assignments}, version = ? WHERE id = ?',
                                   (*values, row["version"], row["id"].replace("-", "")))
    elapsed = time.perf_counter() - began
    connection.close()
    copy.unlink()
    return elapsed
