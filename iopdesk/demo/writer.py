"""Buffered bulk writing of demo rows: one prepared INSERT per table, run with `executemany`.

Demo data is far too large for one query per row and, measured on a 2-core machine, even for
peewee's `insert_many` (it renders one placeholder node per value: ~100 µs a row, so two million
attendance rows would take minutes on their own). `BulkWriter` asks peewee once per table for the
INSERT statement of that model (same table, columns and placeholder style as every other write,
on SQLite or PostgreSQL), then hands buffered tuples to the driver's `executemany`. Values are
stored as peewee would store them: ids as 32-digit hex, JSON through `JSONField.db_value`, dates
and times through the adapters peewee registers. Buffers flush in the dependency order of
`ALL_MODELS`, so a row's parents are always written before it and foreign keys hold at every
statement, provided flushes happen between units of work (`maybe_flush`). The caller owns the
transactions (`clinic.db.atomic()` around each chunk of work).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import peewee

from iopdesk.demo.ids import IdMaker
from iopdesk.models import ALL_MODELS, JSONField

_BASE = ("id", "created_at", "updated_at", "origin_site", "version")
_ORDER = {model: position for position, model in enumerate(ALL_MODELS)}


class Table:
    """The buffer of one model: which columns callers give, and defaults for the rest."""

    __slots__ = ("model", "name", "names", "sql", "rows", "given", "tail", "json_at")

    def __init__(self, model: type[peewee.Model], given: Sequence[str]) -> None:
        fields = model._meta.fields
        unknown = [name for name in given if name not in fields or name in _BASE]
        if unknown:
            raise ValueError(f"{model.__name__} has no writable field {unknown[0]!r}")
        rest = [f for f in model._meta.sorted_fields if f.name not in _BASE and f.name not in given]
        for field in rest:
            if field.default is None and not field.null:
                raise ValueError(f"{model.__name__}.{field.name} needs a value")
        order = [fields[name] for name in _BASE] + [fields[name] for name in given] + rest
        self.model = model
        self.name = model._meta.table_name
        self.names = tuple(given)
        self.sql = model.insert({field: None for field in order}).sql()[0]
        self.rows: list[tuple] = []
        self.given = len(given)
        self.tail = tuple(_plain_default(field) for field in rest)
        self.json_at = tuple(
            (len(_BASE) + i, fields[name])
            for i, name in enumerate(given)
            if isinstance(fields[name], JSONField)
        )


def _plain_default(field: peewee.Field):
    value = field.default() if callable(field.default) else field.default
    return field.db_value(value) if isinstance(field, JSONField) else value


class BulkWriter:
    """Collects rows per table and writes them in batches; counts what it wrote."""

    def __init__(self, db: peewee.Database, ids: IdMaker, origin_site: str, *,
                 batch: int = 2000) -> None:
        self.db = db
        self.ids = ids
        self.origin_site = origin_site
        self.batch = batch
        self.counts: dict[str, int] = {}
        self._tables: dict[type[peewee.Model], Table] = {}
        self._pending = 0

    def table(self, model: type[peewee.Model], *given: str) -> Table:
        """Declare the columns (after id, timestamps, origin site, version) callers will pass."""
        table = self._tables.get(model)
        if table is not None:
            if table.names != given:
                raise ValueError(f"{model.__name__} declared twice with different columns")
            return table
        table = self._tables[model] = Table(model, given)
        self.counts.setdefault(table.name, 0)
        return table

    def add(self, table: Table, when: dt.datetime, *values,
            updated: dt.datetime | None = None) -> str:
        """Queue one row created at `when` (and last updated at `updated`); returns its new id."""
        row_id = self.ids.at(when)
        self.add_with_id(table, row_id, when, *values, updated=updated)
        return row_id

    def add_with_id(
        self, table: Table, row_id: str, when: dt.datetime, *values,
        updated: dt.datetime | None = None,
    ) -> None:
        """Queue one row whose id the caller made earlier (to reference it before writing it)."""
        if len(values) != table.given:
            raise ValueError(f"{table.name}: expected {table.given} values, got {len(values)}")
        row = (row_id, when, updated or when, self.origin_site, 1, *values, *table.tail)
        if table.json_at:
            row = list(row)
            for index, field in table.json_at:
                row[index] = field.db_value(row[index])
            row = tuple(row)
        table.rows.append(row)
        self._pending += 1

    @property
    def rows(self) -> int:
        """Rows queued or written so far."""
        return sum(self.counts.values()) + self._pending

    def maybe_flush(self) -> None:
        """Flush if enough rows wait. Call only between units of work (an episode, a session):
        a unit may queue a child before its parent, which is fine until the buffers are written."""
        if self._pending >= self.batch:
            self.flush()

    def flush(self) -> None:
        """Write every buffered row, parents before children."""
        if not self._pending:
            return
        cursor = self.db.cursor()
        for model in sorted(self._tables, key=_ORDER.__getitem__):
            table = self._tables[model]
            if table.rows:
                cursor.executemany(table.sql, table.rows)
                self.counts[table.name] += len(table.rows)
                table.rows = []
        self._pending = 0
