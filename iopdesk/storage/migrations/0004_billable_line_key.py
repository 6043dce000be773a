"""A natural key and a content hash on billable services.

Deriving billing for a range again must find the same row for the same service (client, date,
what it comes from) so its line id stays the same; `line_key` holds that key (unique) and
`line_hash` the hash of what the line says now, compared with `exported_hash` to flag a line that
changed after it was exported.
"""
from peewee import CharField


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("billable_service", "line_key", CharField(null=True, max_length=120, unique=True)),
        migrator.add_column("billable_service", "line_hash", CharField(null=True, max_length=64)),
    )


def down(migrator, db):
    migrator.migrate(
        migrator.drop_column("billable_service", "line_hash"),
        migrator.drop_column("billable_service", "line_key"),
    )
