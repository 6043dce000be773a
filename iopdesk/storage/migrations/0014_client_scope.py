"""Schema version 14: satellites hold only their clients (issue 20, failure 6).

`client_share` (synced: it has the Record columns) records that an administrator shared a client
with a site; `sync_scope` (local: sync bookkeeping) records which clients a database has put in
each peer's scope and when, so a client entering a satellite's scope has its whole record sent.
"""
from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    ForeignKeyField,
    IntegerField,
    Model,
    TextField,
    UUIDField,
)


def up(migrator, db):
    class Staff(Model):
        id = UUIDField(primary_key=True)

        class Meta:
            database = db
            table_name = "staff"

    class Site(Model):
        id = UUIDField(primary_key=True)

        class Meta:
            database = db
            table_name = "site"

    class Client(Model):
        id = UUIDField(primary_key=True)

        class Meta:
            database = db
            table_name = "client"

    class ClientShare(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        client = ForeignKeyField(Client, on_delete="CASCADE")
        site = ForeignKeyField(Site)
        shared_by = ForeignKeyField(Staff, null=True, backref="+")
        shared_at = DateTimeField()
        reason = TextField(default="")
        ended_by = ForeignKeyField(Staff, null=True, backref="+")
        ended_at = DateTimeField(null=True)

        class Meta:
            database = db
            table_name = "client_share"
            indexes = ((("site", "client"), False),)

    class SyncScope(Model):
        peer_site = CharField(max_length=40)
        client_id = UUIDField()
        added_upto = BigIntegerField(default=0)

        class Meta:
            database = db
            table_name = "sync_scope"
            indexes = ((("peer_site", "client_id"), True),)

    db.create_tables([ClientShare, SyncScope])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sync_scope"')
    db.execute_sql('DROP TABLE IF EXISTS "client_share"')
