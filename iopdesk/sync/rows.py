"""Rows as sync carries them: column name → JSON value, the same from SQLite and PostgreSQL.

`MODELS` maps each synced table to its model; `to_json`/`from_json` convert a row both ways using
the model's field types, so a date stays a date and a UUID a UUID whichever database wrote it.
"""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from functools import cache

import peewee

from iopdesk.models import ALL_MODELS, JSONField


@cache
def models_by_table() -> dict[str, type[peewee.Model]]:
    return {m._meta.table_name: m for m in ALL_MODELS}


@cache
def columns(table: str) -> dict[str, peewee.Field]:
    """Column name → field of a table's model."""
    model = models_by_table()[table]
    return {f.column_name: f for f in model._meta.sorted_fields}


def _json_value(value: object) -> object:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    return value


def to_json(table: str, row: dict) -> dict:
    """A row read with `.dicts()` (field names) → column name → JSON value."""
    fields = columns(table)
    return {column: _json_value(row.get(field.name)) for column, field in fields.items()}


def _field_kind(field: peewee.Field) -> peewee.Field:
    return field.rel_field if isinstance(field, peewee.ForeignKeyField) else field


def from_json(table: str, values: dict) -> dict:
    """Column name → JSON value → field name → Python value, ready for insert or update."""
    out = {}
    fields = columns(table)
    for column, value in values.items():
        field = fields.get(column)
        if field is None:
            continue
        out[field.name] = _python_value(_field_kind(field), value)
    return out


def _python_value(field: peewee.Field, value: object) -> object:
    """The Python value for a column; ValueError when the JSON value cannot be one (a malformed
    sync file must not put text into a number column: SQLite would store it)."""
    if value is None:
        if not field.null and not field.primary_key:
            raise ValueError(f"{field.column_name} cannot be empty")
        return value
    if isinstance(field, JSONField):
        return value
    if isinstance(field, peewee.BooleanField):
        if not isinstance(value, (bool, int)):
            raise ValueError(f"{field.column_name} must be true or false")
        return bool(value)
    if isinstance(field, (peewee.IntegerField, peewee.BigIntegerField)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{field.column_name} must be a whole number")
        return value
    if isinstance(field, peewee.FloatField):
        if not isinstance(value, (int, float)):
            raise ValueError(f"{field.column_name} must be a number")
        return value
    if isinstance(field, (peewee.CharField, peewee.TextField)):
        if not isinstance(value, str):
            raise ValueError(f"{field.column_name} must be text")
        if isinstance(field, peewee.CharField) and field.max_length and len(value) > field.max_length:
            raise ValueError(f"{field.column_name} is longer than {field.max_length}")
        return value
    if isinstance(field, peewee.UUIDField):
        return uuid.UUID(str(value))
    if isinstance(field, peewee.DateTimeField):
        return dt.datetime.fromisoformat(value)
    if isinstance(field, peewee.DateField):
        return dt.date.fromisoformat(value)
    if isinstance(field, peewee.TimeField):
        return dt.time.fromisoformat(value)
    if isinstance(field, peewee.DecimalField):
        return decimal.Decimal(value)
    return value


def read_rows(table: str, ids: list[uuid.UUID]) -> dict[uuid.UUID, dict]:
    """The current rows of `table` with these ids, as JSON rows keyed by id."""
    model = models_by_table()[table]
    found: dict[uuid.UUID, dict] = {}
    for chunk in peewee.chunked(ids, 500):
        for row in model.select().where(model.id.in_(chunk)).dicts():
            found[row["id"]] = to_json(table, row)
    return found


def log_row_id(db: peewee.Database, row_id: uuid.UUID) -> str:
    """How the change-log triggers wrote this id: PostgreSQL's uuid text, or SQLite's stored hex."""
    return str(row_id) if isinstance(db, peewee.PostgresqlDatabase) else row_id.hex


@cache
def unique_keys(table: str) -> tuple[tuple[str, ...], ...]:
    """The natural keys of a table (its unique columns and unique indexes), as column names."""
    model = models_by_table()[table]
    keys = [(f.column_name,) for f in model._meta.sorted_fields if f.unique and not f.primary_key]
    for fields, unique in model._meta.indexes:
        if unique:
            keys.append(tuple(model._meta.fields[name].column_name for name in fields))
    return tuple(keys)


@cache
def references_to(table: str) -> tuple[tuple[type[peewee.Model], peewee.ForeignKeyField], ...]:
    """Every foreign key in the clinic's tables that points at rows of `table`."""
    return tuple((model, f) for model in ALL_MODELS for f in model._meta.sorted_fields
                 if isinstance(f, peewee.ForeignKeyField) and f.rel_model._meta.table_name == table)
