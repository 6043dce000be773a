"""Database triggers that refuse changes to sealed records, generated from the registry.

For every signed table (iopdesk/audit/registry.py), a BEFORE UPDATE and a BEFORE DELETE guard
(SQLite: two triggers raising ABORT; PostgreSQL: one trigger calling one plpgsql function), each
refusal starting "sealed record:" so the services turn it into RecordLocked
(`iopdesk.audit.seals.refusals_as_record_locked`):
- a sealed record is never deleted;
- while sealed, none of its columns changes except bookkeeping (updated_at, version) and the
  registry's `free` columns; its status only along the registry's transitions; the columns a
  transition sets (a co-signer and the time) only with that transition; a `once` column (a
  consent's revocation date) only from empty;
- its client changes only from a merged-away client to the chart that client was merged into
  (`client.merged_into_id`, iopdesk/services/client_merge.py): the merge of a duplicate client,
  after which the record is sealed again with provenance "client merge";
- a row of a child table its seal covers (a plan's problems … interventions, a note's objectives,
  a review's progress, a discharge's referrals, a screen's results) is never changed or deleted
  while its record is sealed. Adding a child row is not refused here (sync, import and the demo
  insert a signed record before its children) but it changes the record's content, which the seal
  check reports.

One write is let through: while a sync applies a peer's change (the `sync_applying` row names the
peer), a sealed row may be replaced by another sealed version of itself — a draft signed at two
sites before they synced ends with the one signature sync rule 1 picks, everywhere
(iopdesk/sync/rules.py), the other kept in a conflict record. It can never unseal the row (NEW
must be sealed too), and the seal check still needs a keyed seal of the new content, which the
applier writes ("sync from site …") and nobody without the audit key can.

Migration 0009 installs them; a later migration that changes a signed table's columns calls
`install_guards(db)` again. `guard_findings` (part of `iopdesk check`) compares the triggers in the
database with what this module generates now, so a dropped, disabled or edited guard is named.
"""

from __future__ import annotations

import peewee

from iopdesk.audit.findings import Finding
from iopdesk.audit.registry import BOOKKEEPING, SIGNED_TABLES, Child, SignedTable, covered_children

PREFIX = "seal_guard_"
OLD_NOTE_GUARDS = ("audit_guard_note", "audit_guard_note_addendum")  # migration 0006's, replaced by 0009
APPEND_ONLY_GUARDS = ("audit_guard_audit_event",)  # migration 0006's, kept


def _is_postgres(db: peewee.Database) -> bool:
    db = db.obj if isinstance(db, peewee.DatabaseProxy) else db
    return isinstance(db, peewee.PostgresqlDatabase)


def _differs(column: str, pg: bool) -> str:
    op = "IS DISTINCT FROM" if pg else "IS NOT"
    return f'OLD."{column}" {op} NEW."{column}"'


def _any(parts: list[str]) -> str:
    return " OR ".join(f"({p})" for p in parts) if parts else "1 = 0"


def _merged_into(column: str) -> str:
    """SQL true when NEW's client is the chart OLD's client was merged into."""
    return (f'EXISTS (SELECT 1 FROM "client" AS c WHERE c."id" = OLD."{column}" '
            f'AND c."merged_into_id" = NEW."{column}")')


def _update_refused(spec: SignedTable, columns: list[str], pg: bool, merges: bool = True) -> str:
    """SQL true when an UPDATE of a sealed row of `spec` must be refused; `merges`: the client
    table has `merged_into_id` (migration 0013; the guards installed by 0009 before it have not)."""
    parts = [f"{_differs(c, pg)} AND NOT ({_merged_into(c)})" if merges and c == spec.client_column
             else _differs(c, pg) for c in spec.never_changed(columns)]
    allowed = [t for t in spec.transitions if t.old in spec.sealed_states]
    if spec.status:
        steps = _any([f"OLD.\"{spec.status}\" = '{t.old}' AND NEW.\"{spec.status}\" = '{t.new}'" for t in allowed])
        parts.append(f"{_differs(spec.status, pg)} AND NOT ({steps})")
    for column in sorted(spec.transition_columns()):
        steps = _any([f"OLD.\"{spec.status}\" = '{t.old}' AND NEW.\"{spec.status}\" = '{t.new}'"
                      for t in allowed if column in t.sets])
        parts.append(f"{_differs(column, pg)} AND NOT ({steps})")
    for column in sorted(spec.once):
        parts.append(f'OLD."{column}" IS NOT NULL AND {_differs(column, pg)}')
    return _any(parts)


def _parent_sealed(spec: SignedTable, child: Child, path: list[Child], row: str) -> str:
    """SQL true when the record above child row `row` (OLD or NEW) is sealed."""
    parents = list(reversed(path))  # the child's own parent first, up to the one below the record
    if not parents:
        return (f'EXISTS (SELECT 1 FROM "{spec.table}" AS r WHERE r."id" = {row}."{child.parent_column}" '
                f"AND {spec.sealed_condition('r')})")
    joins = f'"{parents[0].table}" AS a0'
    for i in range(1, len(parents)):
        joins += f' JOIN "{parents[i].table}" AS a{i} ON a{i}."id" = a{i - 1}."{parents[i - 1].parent_column}"'
    last = len(parents) - 1
    joins += f' JOIN "{spec.table}" AS r ON r."id" = a{last}."{parents[last].parent_column}"'
    return (f'EXISTS (SELECT 1 FROM {joins} WHERE a0."id" = {row}."{child.parent_column}" '
            f"AND {spec.sealed_condition('r')})")


def _sync_replacing(spec: SignedTable) -> str:
    """SQL true while a sync replaces a sealed row with another sealed version of it."""
    return ('EXISTS (SELECT 1 FROM "sync_applying" WHERE "id" = 1 AND "via_peer" IS NOT NULL) '
            f"AND ({spec.sealed_condition('NEW')})")


def _columns(db: peewee.Database, table: str) -> list[str]:
    return [c.name for c in db.get_columns(table)]


def _guards(db: peewee.Database) -> list[tuple[str, str, str, str, str]]:
    """(table, trigger name, delete condition, update condition, message) for every guarded table."""
    pg = _is_postgres(db)
    merges = "merged_into_id" in _columns(db, "client")
    out = []
    for spec in SIGNED_TABLES:
        sealed = spec.sealed_condition("OLD")
        update = (f"({sealed}) AND ({_update_refused(spec, _columns(db, spec.table), pg, merges)}) "
                  f"AND NOT ({_sync_replacing(spec)})")
        out.append((spec.table, f"{PREFIX}{spec.table}", sealed, update, f"a {spec.words} is never changed "
                    "or deleted (add an addendum or a new version)"))
        for child, path in covered_children(spec):
            changed = _any([_differs(c, pg) for c in _columns(db, child.table) if c not in BOOKKEEPING])
            old_sealed = _parent_sealed(spec, child, path, "OLD")
            update = f"({old_sealed} OR {_parent_sealed(spec, child, path, 'NEW')}) AND ({changed})"
            out.append((child.table, f"{PREFIX}{child.table}", old_sealed, update,
                        f"{child.table} rows of a {spec.words} are never changed or deleted"))
    return out


def guard_sql(db: peewee.Database) -> dict[str, str]:
    """Trigger (SQLite) or function (PostgreSQL) name → the exact SQL that creates it."""
    out: dict[str, str] = {}
    for table, name, delete, update, message in _guards(db):
        if _is_postgres(db):
            out[name] = (
                f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger AS $$\n"
                "BEGIN\n"
                "    IF TG_OP = 'DELETE' THEN\n"
                f"        IF {delete} THEN RAISE EXCEPTION 'sealed record: {message}'; END IF;\n"
                "        RETURN OLD;\n"
                "    END IF;\n"
                f"    IF {update} THEN RAISE EXCEPTION 'sealed record: {message}'; END IF;\n"
                "    RETURN NEW;\n"
                "END;\n"
                "$$ LANGUAGE plpgsql"
            )
        else:
            out[f"{name}_upd"] = (f'CREATE TRIGGER "{name}_upd" BEFORE UPDATE ON "{table}" FOR EACH ROW '
                                  f"WHEN {update} BEGIN SELECT RAISE(ABORT, 'sealed record: {message}'); END")
            out[f"{name}_del"] = (f'CREATE TRIGGER "{name}_del" BEFORE DELETE ON "{table}" FOR EACH ROW '
                                  f"WHEN {delete} BEGIN SELECT RAISE(ABORT, 'sealed record: {message}'); END")
    return out


def _tables(db: peewee.Database) -> dict[str, str]:
    return {name: table for table, name, *_ in _guards(db)}


def drop_guards(db: peewee.Database) -> None:
    """Remove every guard of this module (before installing them again)."""
    for name, table in _tables(db).items():
        if _is_postgres(db):
            db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
            db.execute_sql(f"DROP FUNCTION IF EXISTS {name}()")
        else:
            for op in ("upd", "del"):
                db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}_{op}"')


def install_guards(db: peewee.Database) -> None:
    """(Re)create every guard from the registry and the tables' current columns; replaces
    migration 0006's note and addendum triggers. Run inside a migration's transaction."""
    pg = _is_postgres(db)
    for name in OLD_NOTE_GUARDS:
        table = name.removeprefix("audit_guard_")
        if pg:
            db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}" ON "{table}"')
        else:
            for op in ("upd", "del"):
                db.execute_sql(f'DROP TRIGGER IF EXISTS "{name}_{op}"')
    if pg:
        db.execute_sql("DROP FUNCTION IF EXISTS audit_guard_signed_note()")
    drop_guards(db)
    tables = _tables(db)
    for name, sql in guard_sql(db).items():
        db.execute_sql(sql)
        if pg:
            db.execute_sql(f'CREATE TRIGGER "{name}" BEFORE UPDATE OR DELETE ON "{tables[name]}" '
                           f"FOR EACH ROW EXECUTE FUNCTION {name}()")


def _normal(sql: str | None) -> str:
    return " ".join((sql or "").split())


def guard_findings(db: peewee.Database) -> list[Finding]:
    """Each guard trigger that is missing, disabled or not the one the registry generates, and each
    of migration 0006's append-only audit guards that is missing. Read-only."""
    findings: list[Finding] = []
    expected = guard_sql(db)
    if _is_postgres(db):
        tables = _tables(db)
        triggers = {name: enabled for name, enabled in db.execute_sql(
            "SELECT tgname, tgenabled FROM pg_trigger WHERE NOT tgisinternal").fetchall()}
        bodies = {name: src for name, src in db.execute_sql(
            "SELECT proname, prosrc FROM pg_proc WHERE proname = ANY(%s)", (list(expected),)).fetchall()}
        for name, sql in expected.items():
            body = sql.split("$$")[1]
            if name not in triggers:
                findings.append(Finding("guard", f"guard trigger {name}", f"it is missing from table {tables[name]}"))
            elif triggers[name] == "D":
                findings.append(Finding("guard", f"guard trigger {name}", "it is disabled"))
            elif _normal(bodies.get(name)) != _normal(body):
                findings.append(Finding("guard", f"guard trigger {name}", "its function was changed"))
        present = set(triggers)
    else:
        stored = dict(db.execute_sql("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
        for name, sql in expected.items():
            if name not in stored:
                findings.append(Finding("guard", f"guard trigger {name}", "it is missing"))
            elif _normal(stored[name]) != _normal(sql):
                findings.append(Finding("guard", f"guard trigger {name}", "it was changed"))
        present = {n.rsplit("_", 1)[0] for n in stored}
    for name in APPEND_ONLY_GUARDS:
        if name not in present:
            findings.append(Finding("guard", f"guard trigger {name}", "it is missing: audit events could be "
                                                                       "changed or deleted"))
    return findings
