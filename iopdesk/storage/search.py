"""Case-insensitive prefix matching that uses the name-search indexes on both backends.

SQLite: `col LIKE 'gar%' ESCAPE '\\'` is case-insensitive and uses the NOCASE index (migration
0002). PostgreSQL: `lower(col) LIKE 'gar%'` uses the lower(col) text_pattern_ops index; ILIKE
would not. The typed text is escaped so % and _ match themselves.
"""

from __future__ import annotations

import peewee


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def prefix_match(column: peewee.Field, text: str, db: peewee.Database) -> peewee.Node:
    """A condition true where `column` starts with `text`, ignoring case.

    Written as literal SQL pieces: peewee would turn LIKE into GLOB on SQLite.
    """
    pattern = _escape(text.lower()) + "%"
    target = peewee.fn.LOWER(column) if isinstance(db, peewee.PostgresqlDatabase) else column
    return peewee.NodeList(
        (target, peewee.SQL("LIKE"), peewee.Value(pattern), peewee.SQL("ESCAPE '\\'")), parens=True
    )
