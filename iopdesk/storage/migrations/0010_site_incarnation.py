"""Restored sites write under a new identity: the synced table `site_incarnation` (issue 20).

A database restored from a backup cannot know what its lost life wrote after the backup, so it
starts a new incarnation: a new writer id for `origin_site`, its audit chain and sync, and a new
MRN tag (iopdesk/sync/incarnation.py). Existing databases keep writing as their site's id, so no
row changes here.
"""
from peewee import CharField, DateTimeField, IntegerField, Model, UUIDField


def up(migrator, db):
    class SiteIncarnation(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        writer = UUIDField(unique=True)
        site = UUIDField(index=True)
        number = IntegerField()
        mrn_tag = CharField(max_length=8)
        started_at = DateTimeField()
        reason = CharField(max_length=20)

        class Meta:
            database = db
            table_name = "site_incarnation"
            indexes = ((("site", "mrn_tag"), True),)

    db.create_tables([SiteIncarnation])


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "site_incarnation"')
