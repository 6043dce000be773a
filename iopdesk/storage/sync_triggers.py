"""Database triggers that write the sync change log, so no write path can forget to.

Every insert, update and delete on a synced table adds a `sync_change` row in the same
transaction, naming the table, the row, the operation and (for updates) the columns whose value
changed. Updates that change nothing but bookkeeping columns are not logged. The origin and peer
of the change are read from the one `sync_applying` row, which is NULL except while a sync is
writing. SQLite triggers list each table's columns (read from the database, so they follow
migrations: `install_triggers` runs again after every schema upgrade); PostgreSQL uses one
generic function that compares the old and new row as JSON.
"""

from __future__ import annotations

import peewee

BOOKKEEPING_COLUMNS = ("updated_at", "version")

# Tables that stay with one database: its settings and audit chain head are its own, and billing
# is derived and exported at the main clinic only.
LOCAL_TABLES = frozenset({"audit_head", "clinic_setting", "billable_service", "export_batch"})


def synced_tables(db: peewee.Database) -> list[str]:
    """The clinic tables whose changes sync: every table with the Record columns, but local ones."""
    names = []
    for table in db.get_tables():
        if table in LOCAL_TABLES or table.startswith("sync_") and table != "sync_conflict":
            continue
        columns = {c.name for c in db.get_columns(table)}
        if {"id", "origin_site", "version"} <= columns:
            names.append(table)
    return sorted(names)


def _is_postgres(db: peewee.Database) -> bool:
    return isinstance(db, peewee.PostgresqlDatabase)


def install_triggers(db: peewee.Database) -> None:
    """(Re)create the change-log triggers on every synced table; idempotent."""
    if _is_postgres(db):
        _install_postgres(db)
    else:
        _install_sqlite(db)


def _install_sqlite(db: peewee.Database) -> None:
    context = "FROM sync_applying WHERE id = 1"
    for table in synced_tables(db):
        columns = [c.name for c in db.get_columns(table)
                   if c.name not in BOOKKEEPING_COLUMNS and c.name != "id"]
        changed = " || ".join(f"(CASE WHEN OLD.\"{c}\" IS NOT NEW.\"{c}\" THEN '{c},' ELSE '' END)"
                              for c in columns)
        any_changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns) or "0"
        statements = [
            f'DROP TRIGGER IF EXISTS "sync_{table}_ins"',
            f'DROP TRIGGER IF EXISTS "sync_{table}_upd"',
            f'DROP TRIGGER IF EXISTS "sync_{table}_del"',
            f'CREATE TRIGGER "sync_{table}_ins" AFTER INSERT ON "{table}" BEGIN '
            "INSERT INTO sync_change (table_name, row_id, op, fields, origin_site, via_peer, recorded_at) "
            f"SELECT '{table}', NEW.id, 'I', '', origin_site, via_peer, CURRENT_TIMESTAMP {context}; END",
            f'CREATE TRIGGER "sync_{table}_upd" AFTER UPDATE ON "{table}" WHEN {any_changed} BEGIN '
            "INSERT INTO sync_change (table_name, row_id, op, fields, origin_site, via_peer, recorded_at) "
            f"SELECT '{table}', NEW.id, 'U', rtrim({changed}, ','), origin_site, via_peer, "
            f"CURRENT_TIMESTAMP {context}; END",
            f'CREATE TRIGGER "sync_{table}_del" AFTER DELETE ON "{table}" BEGIN '
            "INSERT INTO sync_change (table_name, row_id, op, fields, origin_site, via_peer, recorded_at) "
            f"SELECT '{table}', OLD.id, 'D', '', origin_site, via_peer, CURRENT_TIMESTAMP {context}; END",
        ]
        for sql in statements:
            db.execute_sql(sql)


_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION sync_log_change() RETURNS trigger AS $$
DECLARE
    changed text;
    ctx record;
BEGIN
    SELECT origin_site, via_peer INTO ctx FROM sync_applying WHERE id = 1;
    IF TG_OP = 'DELETE' THEN
        INSERT INTO sync_change (table_name, row_id, op, fields, origin_site, via_peer, recorded_at)
        VALUES (TG_TABLE_NAME, OLD.id::text, 'D', '', ctx.origin_site, ctx.via_peer,
                now() AT TIME ZONE 'utc');
        RETURN OLD;
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO sync_change (table_name, row_id, op, fields, origin_site, via_peer, recorded_at)
        VALUES (TG_TABLE_NAME, NEW.id::text, 'I', '', ctx.origin_site, ctx.via_peer,
                now() AT TIME ZONE 'utc');
        RETURN NEW;
    END IF;
    SELECT string_agg(n.key, ',' ORDER BY n.key) INTO changed
      FROM jsonb_each(to_jsonb(NEW)) AS n
     WHERE n.key NOT IN ('updated_at', 'version', 'id')
       AND n.value IS DISTINCT FROM (to_jsonb(OLD) -> n.key);
    IF changed IS NOT NULL THEN
        INSERT INTO sync_change (table_name, row_id, op, fields, origin_site, via_peer, recorded_at)
        VALUES (TG_TABLE_NAME, NEW.id::text, 'U', changed, ctx.origin_site, ctx.via_peer,
                now() AT TIME ZONE 'utc');
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _install_postgres(db: peewee.Database) -> None:
    db.execute_sql(_PG_FUNCTION)
    for table in synced_tables(db):
        db.execute_sql(f'DROP TRIGGER IF EXISTS "sync_{table}" ON "{table}"')
        db.execute_sql(
            f'CREATE TRIGGER "sync_{table}" AFTER INSERT OR UPDATE OR DELETE ON "{table}" '
            "FOR EACH ROW EXECUTE FUNCTION sync_log_change()"
        )


def log_existing_rows(db: peewee.Database) -> None:
    """Enter every row of the synced tables in the change log as an insert, parents first (the
    models' dependency order, then creation order), for a database that had rows before the
    change log existed."""
    from iopdesk.models import ALL_MODELS

    present = set(synced_tables(db))
    row_id = "id::text" if _is_postgres(db) else "id"
    now = "now() AT TIME ZONE 'utc'" if _is_postgres(db) else "CURRENT_TIMESTAMP"
    for model in ALL_MODELS:
        table = model._meta.table_name
        if table in present:
            db.execute_sql(
                "INSERT INTO sync_change (table_name, row_id, op, fields, recorded_at) "
                f"SELECT '{table}', {row_id}, 'I', '', {now} FROM \"{table}\" ORDER BY id")
