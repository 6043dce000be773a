"""Site sync: the change log and its triggers, peers' checkpoints, conflicts, and an audit trail
kept per originating site.

Audit events synced from another site keep that site's sequence numbers and hashes, so the
unique key on `seq` becomes (origin_site, seq): each site's chain verifies on its own. Rows that
exist already are entered in the change log as inserts, so a satellite joining an existing clinic
receives all of them.
"""
from peewee import (
    BigAutoField, BigIntegerField, BooleanField, CharField, DateTimeField, IntegerField, Model, TextField,
    UUIDField,
)

from iopdesk.storage.sync_triggers import install_triggers, log_existing_rows


def up(migrator, db):
    class SyncChange(Model):
        seq = BigAutoField()
        table_name = CharField(max_length=40)
        row_id = CharField(max_length=40)
        op = CharField(max_length=1)
        fields = TextField(default="")
        origin_site = CharField(null=True, max_length=40)
        via_peer = CharField(null=True, max_length=40)
        recorded_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "sync_change"
            indexes = ((("row_id", "table_name"), False),)

    class SyncApplying(Model):
        id = IntegerField(primary_key=True)
        origin_site = CharField(null=True, max_length=40)
        via_peer = CharField(null=True, max_length=40)

        class Meta:
            database = db
            table_name = "sync_applying"

    class SyncPeer(Model):
        peer_site = CharField(primary_key=True, max_length=40)
        peer_database = CharField(null=True, max_length=40)
        received_upto = BigIntegerField(default=0)
        acked_upto = BigIntegerField(default=0)
        resend_all = BooleanField(default=False)
        last_sync_at = DateTimeField(null=True)
        last_result = TextField(default="")

        class Meta:
            database = db
            table_name = "sync_peer"

    class SyncConflict(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        table_name = CharField(max_length=40)
        row_id = CharField(max_length=40)
        field = CharField(max_length=60)
        kind = CharField(max_length=12)
        kept_value = TextField(null=True)
        other_value = TextField(null=True)
        kept_version = IntegerField(default=0)
        other_version = IntegerField(default=0)
        kept_site = CharField(null=True, max_length=40)
        other_site = CharField(null=True, max_length=40)
        detected_at = DateTimeField()
        status = CharField(max_length=10, default="pending")
        resolved_by = CharField(null=True, max_length=80)
        resolved_at = DateTimeField(null=True)
        resolution = CharField(null=True, max_length=12)

        class Meta:
            database = db
            table_name = "sync_conflict"
            indexes = ((("status", "table_name"), False),)

    db.create_tables([SyncChange, SyncApplying, SyncPeer, SyncConflict])
    SyncApplying.insert(id=1).execute()
    migrator.migrate(
        migrator.drop_index("audit_event", "auditevent_seq"),
        migrator.add_index("audit_event", ("origin_site", "seq"), True),
    )
    install_triggers(db)
    log_existing_rows(db)


def down(migrator, db):
    migrator.migrate(
        migrator.drop_index("audit_event", "audit_event_origin_site_seq"),
        migrator.add_index("audit_event", ("seq",), True),
    )
    for table in ("sync_conflict", "sync_peer", "sync_applying", "sync_change"):
        db.execute_sql(f'DROP TABLE IF EXISTS "{table}"')
