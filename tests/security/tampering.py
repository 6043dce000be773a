"""What an attacker holding the database file can do: drop the guard triggers, then edit rows.

Test helpers for the tamper tests (ONC (d)(2), (d)(3), (d)(10)); they bypass every service on
purpose and reach the database with plain SQL, as sqlite3 or psql would.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import peewee

from iopdesk.audit import guards

GUARDED = ("audit_event",)  # migration 0006's append-only guard; the rest come from the registry


def is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def drop_guards(db: peewee.Database) -> None:
    """Remove every guard trigger (migration 0006's and those the registry of signed tables
    generates, iopdesk/audit/guards.py), as someone with write access to the file would."""
    guards.drop_guards(db)
    for table in GUARDED:
        if is_postgres(db):
            db.execute_sql(f'DROP TRIGGER IF EXISTS "audit_guard_{table}" ON "{table}"')
        else:
            for op in ("upd", "del"):
                db.execute_sql(f'DROP TRIGGER IF EXISTS "audit_guard_{table}_{op}"')


def sql(db: peewee.Database, statement: str, *params) -> None:
    """Run one statement written with ? placeholders on either backend, committed."""
    if is_postgres(db):
        statement = statement.replace("?", "%s")
    with db.atomic():
        db.execute_sql(statement, params)


def row_id(db: peewee.Database, value: object) -> str:
    """A record id as the database stores it (SQLite: 32 hex digits; PostgreSQL: a uuid)."""
    import uuid

    uid = uuid.UUID(str(value))
    return str(uid) if is_postgres(db) else uid.hex


def row_counts_in(path: Path | str) -> dict[str, int]:
    """Rows in every table of the SQLite clinic file at `path`, read with plain sqlite3: what an
    import or a refused write must leave as it was."""
    connection = sqlite3.connect(path)
    try:
        names = [r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        return {n: connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}
    finally:
        connection.close()
