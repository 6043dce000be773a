"""Room for note-format codes longer than four letters: GROUP, the format of the individualized
part of a group note.

PostgreSQL enforces VARCHAR lengths, so the column is widened there; SQLite does not, and its
declared type is left as it is (rebuilding the note table for it would gain nothing).
"""
from peewee import CharField, PostgresqlDatabase


def up(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        migrator.migrate(migrator.alter_column_type("note", "note_format", CharField(max_length=8)))


def down(migrator, db):
    if isinstance(db, PostgresqlDatabase):
        migrator.migrate(migrator.alter_column_type("note", "note_format", CharField(max_length=4)))
