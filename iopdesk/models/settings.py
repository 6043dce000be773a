"""Clinic-wide settings and identity kept in the database (per-user UI state lives in QSettings).

The row `clinic_id` names this database; a restored backup or a new main server gets a new one,
which tells satellites to re-send. Values are JSON so an admin override of a rule in
`resources/` can be any shape.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import JSONField, Record


class ClinicSetting(Record):
    key = peewee.CharField(unique=True, max_length=80)
    value = JSONField()
