"""A keyed audit chain, and database triggers that refuse to change what must never change.

Audit events get `hash_kind` ("sha256" for every event already written; new ones are "hmac",
keyed with the clinic's audit key kept outside the database, see iopdesk/audit/keys.py). The
chain head gets `keyed_from` (the first seq that must be keyed: the next one, for a clinic being
upgraded), its HMAC seal `mac`, and the start-up checkpoint (`checked_seq`, `checked_hash`,
`checked_mac`). Upgrading a clinic that already has events creates its audit key on this computer.

Triggers (SQLite: RAISE(ABORT); PostgreSQL: a plpgsql function raising an exception), each message
starting "sealed record:": no UPDATE (that changes anything) or DELETE of an audit event or a note
addendum; no DELETE of a signed note (status signed, awaiting_cosign or cosigned) and no UPDATE of
any of its columns except status, cosigned_at, cosigned_by_id, updated_at and version. The sync
change-log triggers are untouched (they fire AFTER; these fire BEFORE and only refuse).
"""
import json
import uuid

from peewee import (
    BigIntegerField,
    CharField,
    DateTimeField,
    IntegerField,
    Model,
    PostgresqlDatabase,
    TextField,
    UUIDField,
)

from iopdesk.kernel import clock

SIGNED = "('signed', 'awaiting_cosign', 'cosigned')"
NOTE_MUTABLE = ("status", "cosigned_at", "cosigned_by_id", "updated_at", "version")
APPEND_ONLY = ("audit_event", "note_addendum")
GENESIS = "0" * 64

_PG_APPEND_ONLY = """
CREATE OR REPLACE FUNCTION audit_guard_append_only() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND to_jsonb(NEW) = to_jsonb(OLD) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'sealed record: %% rows are never changed or deleted', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql
"""

_PG_SIGNED_NOTE = """
CREATE OR REPLACE FUNCTION audit_guard_signed_note() RETURNS trigger AS $$
BEGIN
    IF OLD.status NOT IN %s THEN
        IF TG_OP = 'DELETE' THEN RETURN OLD; END IF;
        RETURN NEW;
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'sealed record: a signed note is never deleted';
    END IF;
    IF (to_jsonb(NEW) - ARRAY[%s]) IS DISTINCT FROM (to_jsonb(OLD) - ARRAY[%s]) THEN
        RAISE EXCEPTION 'sealed record: a signed note is never changed (add an addendum)';
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql
"""


def _sqlite_guards(db):
    note_columns = [c.name for c in db.get_columns("note") if c.name not in NOTE_MUTABLE]
    changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in note_columns)
    for table in APPEND_ONLY:
        columns = [c.name for c in db.get_columns(table)]
        any_changed = " OR ".join(f'OLD."{c}" IS NOT NEW."{c}"' for c in columns)
        yield (f'CREATE TRIGGER "audit_guard_{table}_upd" BEFORE UPDATE ON "{table}" WHEN {any_changed} '
               f"BEGIN SELECT RAISE(ABORT, 'sealed record: {table} rows are never changed'); END")
        yield (f'CREATE TRIGGER "audit_guard_{table}_del" BEFORE DELETE ON "{table}" '
               f"BEGIN SELECT RAISE(ABORT, 'sealed record: {table} rows are never deleted'); END")
    yield (f'CREATE TRIGGER "audit_guard_note_upd" BEFORE UPDATE ON "note" '
           f"WHEN OLD.status IN {SIGNED} AND ({changed}) "
           "BEGIN SELECT RAISE(ABORT, 'sealed record: a signed note is never changed (add an addendum)'); END")
    yield (f'CREATE TRIGGER "audit_guard_note_del" BEFORE DELETE ON "note" WHEN OLD.status IN {SIGNED} '
           "BEGIN SELECT RAISE(ABORT, 'sealed record: a signed note is never deleted'); END")


def _postgres_guards():
    mutable = ", ".join(f"'{c}'" for c in NOTE_MUTABLE)
    yield _PG_APPEND_ONLY
    yield _PG_SIGNED_NOTE % (SIGNED, mutable, mutable)
    for table in APPEND_ONLY:
        yield (f'CREATE TRIGGER "audit_guard_{table}" BEFORE UPDATE OR DELETE ON "{table}" '
               "FOR EACH ROW EXECUTE FUNCTION audit_guard_append_only()")
    yield ('CREATE TRIGGER "audit_guard_note" BEFORE UPDATE OR DELETE ON "note" '
           "FOR EACH ROW EXECUTE FUNCTION audit_guard_signed_note()")


def _seal_existing_head(db):
    """An upgraded clinic with events: key it now, from the next event on."""
    from iopdesk.audit import keys as audit_keys
    from iopdesk.audit.chain import head_mac

    class ClinicSetting(Model):
        id = UUIDField(primary_key=True)
        created_at = DateTimeField()
        updated_at = DateTimeField()
        origin_site = UUIDField(null=True)
        version = IntegerField(default=1)
        key = CharField(unique=True, max_length=80)
        value = TextField()

        class Meta:
            database = db
            table_name = "clinic_setting"

    row = ClinicSetting.get_or_none(ClinicSetting.key == "clinic_id")
    head = db.execute_sql("SELECT seq, event_hash FROM audit_head WHERE name = 'main'").fetchone()
    if row is None or head is None:
        return
    key = audit_keys.key_for(str(json.loads(row.value)))
    now = clock.utcnow()
    if ClinicSetting.get_or_none(ClinicSetting.key == audit_keys.FINGERPRINT_SETTING) is None:
        ClinicSetting.create(id=uuid.uuid4(), created_at=now, updated_at=now, key=audit_keys.FINGERPRINT_SETTING,
                             value=json.dumps(audit_keys.fingerprint(key)))
    seq, event_hash = int(head[0]), head[1]
    param = "%s" if isinstance(db, PostgresqlDatabase) else "?"
    db.execute_sql(f"UPDATE audit_head SET keyed_from = {param}, mac = {param} WHERE name = 'main'",
                   (seq + 1, head_mac(key, seq, event_hash, seq + 1)))


def up(migrator, db):
    migrator.migrate(
        migrator.add_column("audit_event", "hash_kind", CharField(max_length=6, default="sha256")),
        migrator.add_column("audit_head", "keyed_from", BigIntegerField(default=1)),
        migrator.add_column("audit_head", "mac", CharField(null=True, max_length=64)),
        migrator.add_column("audit_head", "checked_seq", BigIntegerField(default=0)),
        migrator.add_column("audit_head", "checked_hash", CharField(max_length=64, default=GENESIS)),
        migrator.add_column("audit_head", "checked_mac", CharField(null=True, max_length=64)),
    )
    _seal_existing_head(db)
    for sql in (_postgres_guards() if isinstance(db, PostgresqlDatabase) else _sqlite_guards(db)):
        db.execute_sql(sql)


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for table in (*APPEND_ONLY, "note"):
            db.execute_sql(f'DROP TRIGGER IF EXISTS "audit_guard_{table}" ON "{table}"')
        db.execute_sql("DROP FUNCTION IF EXISTS audit_guard_append_only()")
        db.execute_sql("DROP FUNCTION IF EXISTS audit_guard_signed_note()")
    else:
        for table in (*APPEND_ONLY, "note"):
            for op in ("upd", "del"):
                db.execute_sql(f'DROP TRIGGER IF EXISTS "audit_guard_{table}_{op}"')
    migrator.migrate(
        *(migrator.drop_column("audit_head", c) for c in ("checked_mac", "checked_hash", "checked_seq", "mac",
                                                          "keyed_from")),
        migrator.drop_column("audit_event", "hash_kind"),
    )
