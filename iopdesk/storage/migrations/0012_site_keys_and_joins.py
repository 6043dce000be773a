"""Schema version 12: a sync key per site, joins that can be run again, and retired sites (issue 20).

- `sync_site_key` (local to each database, never synced): the secret signing the sync files
  between the main clinic and one satellite, so a lost laptop's key is revoked without re-keying
  the other sites. The clinic-wide `sync_key` setting becomes the key of every site this database
  knows (main and satellites then agree on each satellite's key, as they agreed on the shared one)
  and the setting goes.
- `site.joining`: set while a satellite's join has not finished, so the join can be run again
  under the same code. `site.retired_at`: when an administrator retired the site.

The columns are added with plain ALTER TABLE (no UPDATE), so existing rows enter no sync change:
every site adds the same defaults itself.
"""
import json
import uuid

from peewee import CharField, DateTimeField, Model, PostgresqlDatabase

from iopdesk.kernel.clock import utcnow
from iopdesk.storage.sync_triggers import install_triggers


def up(migrator, db):
    class SyncSiteKey(Model):
        site_id = CharField(primary_key=True, max_length=40)
        key = CharField(max_length=64)
        created_at = DateTimeField()

        class Meta:
            database = db
            table_name = "sync_site_key"

    db.create_tables([SyncSiteKey])
    if isinstance(db, PostgresqlDatabase):
        db.execute_sql('ALTER TABLE "site" ADD COLUMN "joining" BOOLEAN NOT NULL DEFAULT false')
        db.execute_sql('ALTER TABLE "site" ADD COLUMN "retired_at" TIMESTAMP NULL')
    else:
        db.execute_sql('ALTER TABLE "site" ADD COLUMN "joining" INTEGER NOT NULL DEFAULT 0')
        db.execute_sql('ALTER TABLE "site" ADD COLUMN "retired_at" DATETIME NULL')
    row = db.execute_sql("SELECT value FROM clinic_setting WHERE key = 'sync_key'").fetchone()
    if row is not None:
        shared = json.loads(row[0])
        for (site_id,) in db.execute_sql('SELECT id FROM "site"').fetchall():
            SyncSiteKey.create(site_id=str(uuid.UUID(str(site_id))), key=shared, created_at=utcnow())
        db.execute_sql("DELETE FROM clinic_setting WHERE key = 'sync_key'")


def down(migrator, db):
    db.execute_sql('DROP TABLE IF EXISTS "sync_site_key"')
    if isinstance(db, PostgresqlDatabase):  # the change-log trigger of site names its columns (SQLite)
        db.execute_sql('DROP TRIGGER IF EXISTS "sync_site" ON "site"')
    else:
        for op in ("ins", "upd", "del"):
            db.execute_sql(f'DROP TRIGGER IF EXISTS "sync_site_{op}"')
    migrator.migrate(migrator.drop_column("site", "joining"), migrator.drop_column("site", "retired_at"))
    install_triggers(db)
