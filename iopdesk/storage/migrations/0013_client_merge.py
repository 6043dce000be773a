"""Duplicate clients merged into one chart (issue 20, deliverable 3b).

`client.merged_into_id` points a merged-away client at the surviving chart and `merged_at` says
when; the merged-away row stays, so its MRN still finds the chart. The guards of signed records
(iopdesk/audit/guards.py) are generated again: a sealed record's client may now change from a
merged-away client to the chart it was merged into, and nothing else about it. The change-log
triggers are made again too, since on SQLite they list each table's columns.

No foreign key constraint at the database level: a sync may bring the merged-away row before a
site holds the surviving chart's row in the same batch; the service checks the link.
"""
from peewee import DateTimeField, PostgresqlDatabase, UUIDField

from iopdesk.audit.guards import drop_guards, install_guards
from iopdesk.storage.sync_triggers import install_triggers


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("client", "merged_into_id", UUIDField(null=True)),
        migrator.add_column("client", "merged_at", DateTimeField(null=True)),
    )
    db.execute_sql('CREATE INDEX IF NOT EXISTS "client_merged_into_id" ON "client" ("merged_into_id")')
    install_triggers(db)
    install_guards(db)


def down(migrator, db):
    """Back to 0009's guards and triggers (merged-away clients stay as separate rows)."""
    drop_guards(db)  # they read client.merged_into_id
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('DROP TRIGGER IF EXISTS "sync_client" ON "client"')
    else:
        for op in ("ins", "upd", "del"):  # they name every column of client
            db.execute_sql(f'DROP TRIGGER IF EXISTS "sync_client_{op}"')
    db.execute_sql('DROP INDEX IF EXISTS "client_merged_into_id"')
    migrator.migrate(
        migrator.drop_column("client", "merged_at"),
        migrator.drop_column("client", "merged_into_id"),
    )
    install_triggers(db)
    install_guards(db)
