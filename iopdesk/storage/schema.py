"""Bringing a clinic database to this program's schema with `playhouse.migrations`.

Every database, new or old, goes through the numbered scripts in `iopdesk/storage/migrations/` (the
first one creates every table from frozen copies). Opening runs what is pending in one
transaction, serialised between workstations; a database that has migrations this program does
not know was written by a newer IOP Desk and is refused before anything is touched. Before an
existing SQLite clinic file is migrated, its opener takes a checked backup
(iopdesk/backup/before_upgrade.py; a PostgreSQL server is backed up with pg_dump by its administrator).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import peewee
from playhouse.migrations import Runner

from iopdesk.errors import SchemaTooNew
from iopdesk.storage.db import HISTORY_TABLE, database

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
_PG_LOCK_KEY = 0x10BDE5C  # any constant; serialises migrations between workstations


@dataclass(frozen=True)
class SchemaStatus:
    applied: tuple[str, ...]
    pending: tuple[str, ...]
    unknown: tuple[str, ...]

    @property
    def version(self) -> int:
        """The number of the newest applied migration (0 for an empty database)."""
        return max((int(name.split("_", 1)[0]) for name in self.applied), default=0)

    @property
    def latest(self) -> int:
        return max(
            (int(name.split("_", 1)[0]) for name in self.applied + self.pending), default=0
        )


def _runner(db: peewee.Database) -> Runner:
    return Runner(db, directory=str(MIGRATIONS_DIR), table_name=HISTORY_TABLE)


def schema_status(db: peewee.Database) -> SchemaStatus:
    rows = _runner(db).status()
    return SchemaStatus(
        applied=tuple(m.name for m in rows if m.applied and m.path is not None),
        pending=tuple(m.name for m in rows if not m.applied),
        unknown=tuple(m.name for m in rows if m.applied and m.path is None),
    )


def _refuse_if_newer(status: SchemaStatus) -> None:
    if status.unknown:
        raise SchemaTooNew(
            "This clinic database was updated by a newer version of IOP Desk "
            f"(it has schema changes this program does not know: {', '.join(status.unknown)}). "
            "Install the current version of IOP Desk to open it; nothing was changed."
        )


def upgrade(db: peewee.Database, target: str | None = None) -> list[str]:
    """Apply pending migrations (up to `target`) in one transaction; return their names.

    Raises SchemaTooNew, leaving the database untouched, if it is newer than this program.
    """
    _refuse_if_newer(schema_status(db))
    # Migrations that go through the models (sealing what was signed, 0009) must read and write
    # the database being upgraded, whatever the models are bound to elsewhere in this process.
    with database.bound_to(db), db.atomic():
        if isinstance(db, peewee.PostgresqlDatabase):
            db.execute_sql("SELECT pg_advisory_xact_lock(%s)", (_PG_LOCK_KEY,))
        status = schema_status(db)
        _refuse_if_newer(status)
        if not status.pending:
            return []
        applied = _runner(db).up(target)
        if "sync_applying" in db.get_tables():
            from iopdesk.storage.sync_triggers import install_triggers

            install_triggers(db)
        return applied
