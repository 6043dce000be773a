"""Medications with dose history, MAT administrations and drug screens.

Invariants: a dose change is a new `MedicationDose` row (the current dose is the latest effective
one), never an edit; only prescribers add or change medications; each positive on a drug screen
is classified expected (explained by a current prescription) or unexpected.
"""

from __future__ import annotations

import peewee

from iopdesk.models.base import Record
from iopdesk.models.clients import Client
from iopdesk.models.staff import Staff


class Medication(Record):
    client = peewee.ForeignKeyField(Client, backref="medications", on_delete="CASCADE")
    drug = peewee.CharField()
    route = peewee.CharField(default="oral")
    reason = peewee.CharField(default="")
    is_mat = peewee.BooleanField(default=False)
    prescriber = peewee.ForeignKeyField(Staff, null=True)
    prescriber_name = peewee.CharField(default="")
    started_on = peewee.DateField()
    stopped_on = peewee.DateField(null=True)
    stop_reason = peewee.CharField(default="")


class MedicationDose(Record):
    medication = peewee.ForeignKeyField(Medication, backref="doses", on_delete="CASCADE")
    effective_on = peewee.DateField()
    amount = peewee.DecimalField(max_digits=10, decimal_places=3)
    unit = peewee.CharField(max_length=10)
    frequency = peewee.CharField()
    entered_by = peewee.ForeignKeyField(Staff)
    reason = peewee.CharField(default="")


class MatAdministration(Record):
    client = peewee.ForeignKeyField(Client, backref="mat_administrations", on_delete="CASCADE")
    medication = peewee.ForeignKeyField(Medication, backref="administrations", on_delete="CASCADE")
    given_at = peewee.DateTimeField()
    amount = peewee.DecimalField(max_digits=10, decimal_places=3)
    unit = peewee.CharField(max_length=10)
    mode = peewee.CharField(max_length=12, default="administered")
    given_by = peewee.ForeignKeyField(Staff)


class DrugScreen(Record):
    client = peewee.ForeignKeyField(Client, backref="drug_screens", on_delete="CASCADE")
    collected_on = peewee.DateField()
    specimen = peewee.CharField(default="urine")
    collected_by = peewee.ForeignKeyField(Staff)
    observed = peewee.BooleanField(default=False)


class DrugScreenResult(Record):
    screen = peewee.ForeignKeyField(DrugScreen, backref="results", on_delete="CASCADE")
    substance = peewee.CharField()
    positive = peewee.BooleanField()
    expected = peewee.BooleanField(null=True)
