"""The audit event of a backup: every backup written is recorded in the clinic's own chain.

A scheduled or command-line backup may run with no one signed in, so the actor is the system. The
event ("backup", entity "clinic", detail: file name, row and table counts, encrypted or not) is
written only AFTER the copy passed its checks, in its own small transaction on a connection of its
own, so the copy never holds its own event and the clinic's other connections are not disturbed.
A backup is never thrown away for want of its event: a backup protects clinical records, so when
the event cannot be written (no audit key on this computer, the clinic busy too long) the checked
file is kept and the report says why it is not in the trail (`BackupReport.unaudited`, logged). A file that is
not a current clinic (no identity yet, or an older schema still to be upgraded, which cannot take
this program's events) gets no event. PostgreSQL clinics are backed up by pg_dump, never here.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import TYPE_CHECKING

import peewee

if TYPE_CHECKING:
    from iopdesk.backup.copies import BackupReport

log = logging.getLogger(__name__)


def recorded(source: Path, key: str | None, result: BackupReport, *, encrypted: bool) -> BackupReport:
    """Record the checked backup `result` in the clinic's audit chain (see the module's invariants);
    when that fails the backup stays and the returned report says why it is unaudited."""
    from iopdesk.errors import IopDeskError

    try:
        _audit_backup(source, key, result, encrypted=encrypted)
    except (IopDeskError, OSError, peewee.DatabaseError) as exc:
        log.warning("backup written but not audited: %s", type(exc).__name__)
        return dataclasses.replace(result, unaudited=str(exc))
    return result


def _audit_backup(source: Path, key: str | None, result: BackupReport, *, encrypted: bool) -> None:
    from iopdesk.audit import chain as audit
    from iopdesk.models import ClinicSetting, writing_as_site
    from iopdesk.permissions import SYSTEM
    from iopdesk.storage.db import database, make_database
    from iopdesk.storage.schema import schema_status
    from iopdesk.sync import incarnation

    db = make_database(str(source), passphrase=key)
    db.connect()
    try:
        if "schema_migration" not in db.get_tables():
            return
        status = schema_status(db)
        if status.pending or status.unknown:
            return
        with database.bound_to(db):
            site = ClinicSetting.get_or_none(ClinicSetting.key == "this_site")
            if site is None:
                return
            with db.atomic():
                writer = incarnation.writer_id()  # a restored copy's own writer, not its lost life's
            with writing_as_site(writer), db.atomic():
                audit.record(SYSTEM, "backup", "clinic", None,
                             detail={"file": result.path.name, "rows": result.rows, "tables": len(result.counts),
                                     "encrypted": encrypted})
    finally:
        db.close()
