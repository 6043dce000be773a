"""Schema version 7: break-the-glass grants (`emergency_access`), one per emergency chart opening.

A synced table (it has the Record columns; the sync triggers are reinstalled after migrations),
so a grant made at a satellite reaches the main clinic's review queue.
"""
from peewee import DateTimeField, ForeignKeyField, IntegerField, Model, TextField, UUIDField


def up(migrator, db):
    class Staff(Model):
        id = UUIDField(primary_key=True)

        class Meta:
            database = db
            table_name = "staff"

    class Client(Model):
        id = UUIDField(primary_key=True)

        class Meta:
            database = db
            table_name = "client"

    class EmergencyAccess(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        staff = ForeignKeyField(Staff, on_delete="RESTRICT")
        client = ForeignKeyField(Client, on_delete="RESTRICT")
        reason = TextField()
        granted_at = DateTimeField()
        expires_at = DateTimeField()
        reviewed_at = DateTimeField(null=True)
        reviewed_by = ForeignKeyField(Staff, null=True, on_delete="RESTRICT")
        review_note = TextField(default="")

        class Meta:
            database = db
            table_name = "emergency_access"
            indexes = ((("staff", "client", "expires_at"), False), (("reviewed_at",), False))

    db.create_tables([EmergencyAccess])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "emergency_access"')
