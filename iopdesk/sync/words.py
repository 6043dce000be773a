"""Synced records in the clinic's words: which client, which record, which field, what value.

A sync conflict is stored by table, row id and column (iopdesk.models.sync.SyncConflict); an
administrator must never be shown those. This is the one map from table and column to clinic
words, used by `iopdesk sync conflicts`, the Admin page and anything else that names a synced
record: "Noor Haddad (MAIN-000001)", "progress note of 2026-11-30", "attendance, Relapse
prevention group 2026-12-01", field "phone", values with dates as dates, choices by their label
and references by what they name (a staff member's name, a group session's group and date).
Call with the clinic's database bound.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import peewee

from iopdesk.clinical.attendance import STATUS_WORDS as ATTENDANCE_WORDS
from iopdesk.kernel.formats import date_text
from iopdesk.sync.rows import models_by_table

RECORD_WORDS = {
    "aftercare_referral": "aftercare referral", "alert": "alert", "asam_assessment": "ASAM assessment",
    "attendance": "attendance", "audit_event": "audit trail entry", "authorization": "payer authorization",
    "client": "client record", "consent": "consent", "diagnosis": "diagnosis", "discharge": "discharge",
    "disclosure": "disclosure", "drug_screen": "drug screen", "drug_screen_result": "drug screen result",
    "emergency_access": "emergency access", "episode": "episode of care", "family_member": "family member",
    "family_session": "family session", "family_session_participant": "family session participant",
    "group_enrollment": "group enrolment", "group_facilitator": "group facilitator",
    "group_schedule_slot": "group schedule", "group_session": "group session",
    "level_of_care_change": "level of care change", "mat_administration": "medication given",
    "measure_result": "measure result", "measure_schedule": "measure schedule", "medication": "medication",
    "medication_dose": "medication dose", "note": "progress note", "note_addendum": "note addendum",
    "note_objective": "note objective", "objective_progress": "objective progress", "payer": "payer",
    "plan_goal": "plan goal", "plan_intervention": "plan intervention", "plan_objective": "plan objective",
    "plan_problem": "plan problem", "plan_review": "plan review", "session_facilitator": "session facilitator",
    "site": "site", "staff": "staff member", "staff_role": "staff role", "sync_conflict": "sync conflict",
    "therapy_group": "therapy group", "treatment_plan": "treatment plan",
}
# Columns whose plain name would mislead; every other column reads as its name without "_id".
FIELD_WORDS = {
    "legal_first": "legal first name", "legal_last": "legal last name", "preferred_name": "preferred name",
    "dob": "date of birth", "mrn": "MRN", "npi": "NPI", "last_login_at": "last sign-in",
    "failed_logins": "failed sign-ins", "locked_until": "locked until", "*": "whole record",
}
# Choice columns shown by their label.
CHOICE_WORDS = {("attendance", "status"): ATTENDANCE_WORDS}
_DATED = ("service_date", "session_date", "collected_on", "assessed_on", "administered_on", "admitted_on",
          "effective_on", "signed_on", "reviewed_on", "discharged_on", "enrolled_on", "started_on")


@dataclass(frozen=True)
class RecordWords:
    """A synced record named for a person: whose it is (None: no client's) and what it is."""

    client: str | None
    client_id: str | None
    record: str


def record_word(table: str) -> str:
    return RECORD_WORDS.get(table, table.replace("_", " "))


def field_word(column: str) -> str:
    if column in FIELD_WORDS:
        return FIELD_WORDS[column]
    return column.removesuffix("_id").replace("_", " ")


def _model(table: str):
    return models_by_table().get(table)


def _row(table: str, row_id: object):
    model = _model(table)
    if model is None or row_id in (None, ""):
        return None
    try:
        return model.get_or_none(model.id == uuid.UUID(str(row_id)))
    except (ValueError, peewee.DoesNotExist):
        return None


def client_words(client) -> str:
    name = f"{(client.preferred_name or client.legal_first).strip()} {client.legal_last.strip()}".strip()
    return f"{name} ({client.mrn})"


def _client_of(row, depth: int = 0):
    """The client a row belongs to: itself, its `client`, or its parent's (a few steps up)."""
    if row is None or depth > 4:
        return None
    if row._meta.table_name == "client":
        return row
    fields = row._meta.fields
    if "client" in fields:
        return _row("client", getattr(row, "client_id", None))
    for field in fields.values():
        if isinstance(field, peewee.ForeignKeyField) and field.rel_model._meta.table_name != "staff":
            parent = _row(field.rel_model._meta.table_name, getattr(row, field.column_name, None))
            found = _client_of(parent, depth + 1)
            if found is not None:
                return found
    return None


def _naming(row) -> str:
    """A short name of a referenced row: a person's name, a group session's group and date…"""
    table = row._meta.table_name
    if table == "staff":
        return row.display_name
    if table == "client":
        return client_words(row)
    if table == "group_session":
        group = _row("therapy_group", row.group_id)
        return f"{group.name if group else 'group'} {date_text(row.session_date)}"
    if table in ("therapy_group", "site", "payer"):
        return row.name
    return describe_row(row).record


def describe_row(row) -> RecordWords:
    table = row._meta.table_name
    client = _client_of(row)
    what = record_word(table)
    fields = row._meta.fields
    session = next((f for f in ("session", "group_session") if f in fields
                    and fields[f].rel_model._meta.table_name == "group_session"), None)
    if table == "client":
        what = "client record"
    elif session and getattr(row, f"{session}_id", None):
        found = _row("group_session", getattr(row, f"{session}_id"))
        if found is not None:
            what = f"{what}, {_naming(found)}"
    else:
        dated = next((f for f in _DATED if f in fields and getattr(row, f, None)), None)
        if dated:
            what = f"{what} of {date_text(getattr(row, dated))}"
    return RecordWords(client_words(client) if client else None, str(client.id) if client else None, what)


def describe_record(table: str, row_id: str, fallback: dict | None = None) -> RecordWords:
    """Name the record `table`/`row_id` (or, when it is not stored here, the row `fallback` as
    sync carried it: a refused or deleted record)."""
    row = _row(table, row_id)
    if row is None and isinstance(fallback, dict) and _model(table) is not None:
        from iopdesk.sync.rows import from_json

        model = _model(table)
        known = {k: v for k, v in fallback.items() if k in model._meta.columns}
        try:
            row = model(**from_json(table, known))
        except (ValueError, TypeError, KeyError):
            row = None
    if row is None:
        return RecordWords(None, None, record_word(table))
    return describe_row(row)


def _refusal(table: str, value: dict) -> str:
    """Why the database refused a row, from SQLite's or PostgreSQL's words."""
    reason = str(value.get("reason", ""))
    columns = re.findall(r"\w+\.(\w+)", reason.split("failed:", 1)[1]) if "failed:" in reason else []
    if not columns:
        match = re.search(r"Key \(([^)]*)\)", reason)
        columns = [c.strip() for c in match.group(1).split(",")] if match else []
    if columns:
        return (f"not saved: another {record_word(table)} already has the same "
                f"{' and '.join(field_word(c) for c in columns)}")
    return "not saved: it repeats a record that must be unique"


def value_words(table: str, column: str, value: object) -> str:
    """A stored value (as sync carries it) for a person to read."""
    if value is None or value == "":
        return "(blank)"
    if isinstance(value, dict):
        if set(value) == {"reason"}:
            return _refusal(table, value)
        if column == "*":
            return f"the whole {record_word(table)} as entered there"
        return "; ".join(f"{field_word(k)}: {' '.join(str(v).split()) or '(blank)'}" for k, v in value.items())
    if isinstance(value, bool):
        return "yes" if value else "no"
    choices = CHOICE_WORDS.get((table, column))
    if choices and value in choices:
        return choices[value]
    model = _model(table)
    field = model._meta.columns.get(column) if model is not None else None
    if isinstance(field, peewee.ForeignKeyField):
        target = _row(field.rel_model._meta.table_name, value)
        return _naming(target) if target is not None else f"a {record_word(field.rel_model._meta.table_name)} not held here"
    if isinstance(field, peewee.DateField) and not isinstance(field, peewee.DateTimeField):
        try:
            return date_text(dt.date.fromisoformat(str(value)))
        except ValueError:
            pass
    if isinstance(field, peewee.DateTimeField):
        try:
            return dt.datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M UTC")
        except ValueError:
            pass
    return " ".join(str(value).split())


__all__ = ["RecordWords", "describe_record", "describe_row", "field_word", "record_word", "value_words"]
