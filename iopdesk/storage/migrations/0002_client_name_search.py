"""Case-insensitive prefix search on client names.

Front-desk search types "gar" and expects Garcia, GARZA and garland instantly. On SQLite a
NOCASE index is what lets `legal_last LIKE 'gar%'` (case-insensitive by default) use an index;
on PostgreSQL an index on lower(name) with text_pattern_ops does the same for lower(...) LIKE.
"""
from peewee import PostgresqlDatabase


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        for column in ("legal_last", "legal_first", "preferred_name"):
            db.execute_sql(
                f"CREATE INDEX client_{column}_lower ON client (lower({column}) text_pattern_ops)"
            )
    else:
        for column in ("legal_last", "legal_first", "preferred_name"):
            db.execute_sql(
                f"CREATE INDEX client_{column}_nocase ON client ({column} COLLATE NOCASE)"
            )


def down(migrator, db):
    suffix = "lower" if isinstance(db, PostgresqlDatabase) else "nocase"
    for column in ("legal_last", "legal_first", "preferred_name"):
        db.execute_sql(f"DROP INDEX client_{column}_{suffix}")
