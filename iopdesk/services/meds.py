"""Medications with dose history, MAT doses given at the clinic, and drug screens.

Invariants: only a prescriber ("medication.prescribe") adds a medication, changes its dose or
stops it; a dose change is a new dose row effective from a date, never an edit, so the dose on
any date is the latest one effective on or before it; a MAT dose is given only from an active MAT
medication of that client; every positive on a drug screen is classified expected (explained by
a prescription of that client current on the collection day, per `resources/
drug_screen_panels.json`) or unexpected, and an unexpected positive raises an alert in the same
transaction as the screen.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import peewee

from iopdesk.audit.sealing import seal
from iopdesk.clinical.drug_screens import drug_screen_panel
from iopdesk.clinical.staff import staff_for
from iopdesk.errors import NotFound, PermissionDenied, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today
from iopdesk.kernel.validation import as_date, required_text
from iopdesk.models import (
    Client,
    DrugScreen,
    DrugScreenResult,
    MatAdministration,
    Medication,
    MedicationDose,
    Staff,
    StaffRole,
)
from iopdesk.services.alerts import raise_alert
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.storage.records import as_uuid, fetch, update_versioned

MAT_MODES = ("administered", "dispensed")
MAX_AMOUNT = Decimal("9999999.999")


@dataclass(frozen=True)
class MedicationView:
    id: str
    client_id: str
    drug: str
    route: str
    reason: str
    is_mat: bool
    prescriber: str
    started_on: dt.date
    stopped_on: dt.date | None
    stop_reason: str
    amount: Decimal | None
    unit: str
    frequency: str
    dose_effective_on: dt.date | None
    version: int


@dataclass(frozen=True)
class DoseView:
    effective_on: dt.date
    amount: Decimal
    unit: str
    frequency: str
    entered_by: str
    reason: str


@dataclass(frozen=True)
class MatDoseView:
    id: str
    client_id: str
    medication_id: str
    drug: str
    given_at: dt.datetime
    amount: Decimal
    unit: str
    mode: str
    given_by: str


@dataclass(frozen=True)
class ScreenResult:
    substance: str
    label: str
    positive: bool
    expected: bool | None


@dataclass(frozen=True)
class DrugScreenView:
    id: str
    client_id: str
    collected_on: dt.date
    specimen: str
    observed: bool
    collected_by: str
    results: tuple[ScreenResult, ...]

    @property
    def unexpected(self) -> tuple[str, ...]:
        return tuple(r.substance for r in self.results if r.positive and r.expected is False)

    @property
    def expected(self) -> tuple[str, ...]:
        return tuple(r.substance for r in self.results if r.positive and r.expected)


def _amount(value, field: str, label: str) -> Decimal:
    try:
        amount = value if isinstance(value, Decimal) else Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValidationError(f"{label}: {value!r} is not a number.", field=field) from None
    if isinstance(value, bool) or not amount.is_finite() or amount <= 0:
        raise ValidationError(f"{label}: must be a number greater than 0.", field=field)
    if amount > MAX_AMOUNT or amount != amount.quantize(Decimal("0.001")):
        raise ValidationError(f"{label}: at most 9999999.999, with up to 3 decimals.", field=field)
    return amount


def _active_on(day: dt.date, grace_days: int | None = None):
    """Medications taken on `day`: started by then and not stopped (the stop day is the first
    day without it). With `grace_days`, also those stopped up to that many days before `day`
    (still detectable on a drug screen)."""
    if grace_days is None:
        not_stopped = Medication.stopped_on > day
    else:
        not_stopped = Medication.stopped_on >= day - dt.timedelta(days=grace_days)
    return (Medication.started_on <= day) & (Medication.stopped_on.is_null() | not_stopped)


class MedicationService(Service):
    # -- prescribing ----------------------------------------------------------------------
    def add_medication(
        self, client_id, *, drug: str, amount, unit: str, route: str, frequency: str,
        started_on: dt.date | str, reason: str = "", is_mat: bool = False, prescriber: str | None = None,
        outside_prescriber: str = "",
    ) -> tuple[MedicationView, Changes]:
        """Add a medication with its starting dose (prescribers only).

        `prescriber` is a prescriber's user name (default: the acting prescriber);
        `outside_prescriber` names a prescriber outside the clinic (e.g. an opioid treatment
        program) instead. Raises PermissionDenied for anyone else; ValidationError naming the field
        for a blank drug, unit, route or frequency, a dose that is not a number above 0, a start
        before the client's birth, an unknown prescriber.
        """
        self._require_prescriber("add a medication")
        drug = required_text(drug, "drug", "Drug")
        dose = _amount(amount, "amount", "Dose")
        unit = required_text(unit, "unit", "Unit", max_length=10)
        route = required_text(route, "route", "Route", max_length=60)
        frequency = required_text(frequency, "frequency", "Frequency")
        started = as_date(started_on, "started_on", "Start date")
        outside = (outside_prescriber or "").strip()
        cid = client_uuid(client_id)
        with self.db.atomic():
            client = Client.get_or_none(Client.id == cid)
            if client is None:
                raise NotFound(f"No client with id {client_id}.")
            if started < client.dob:
                raise ValidationError("Start date: before the client's date of birth.", field="started_on")
            who = None if outside else self._prescriber(prescriber)
            med = Medication.create(
                client=cid, drug=drug, route=route, reason=(reason or "").strip(), is_mat=bool(is_mat),
                prescriber=who, prescriber_name=outside or who.display_name, started_on=started,
            )
            MedicationDose.create(medication=med, effective_on=started, amount=dose, unit=unit,
                                  frequency=frequency, entered_by=self.actor.id, reason="Starting dose")
            self._audit("create", "medication", med.id, client_id=cid,
                        detail={"drug": drug, "amount": dose, "unit": unit, "is_mat": bool(is_mat)})
        return self._view(med.id, started), Changes.of("medication", client_id=cid)

    def change_dose(
        self, medication_id, *, amount, effective_on: dt.date | str, reason: str, expected_version: int,
        unit: str | None = None, frequency: str | None = None,
    ) -> tuple[MedicationView, Changes]:
        """Change a dose from a date (prescribers only): a new dose row; the old one stays in the
        history. Unit and frequency carry over unless given.

        Raises PermissionDenied for anyone else; ValidationError for a dose not above 0, a blank
        reason, a date before the start or the last change, a stopped medication; ConcurrentEdit.
        """
        self._require_prescriber("change a medication's dose")
        dose = _amount(amount, "amount", "Dose")
        when = as_date(effective_on, "effective_on", "Effective date")
        why = required_text(reason, "reason", "Reason for the change")
        with self.db.atomic():
            med = self._medication(medication_id)
            if med.stopped_on is not None:
                raise ValidationError(f"Effective date: this medication was stopped on {med.stopped_on}.",
                                      field="effective_on")
            last = (MedicationDose.select().where(MedicationDose.medication == med.id)
                    .order_by(MedicationDose.effective_on.desc(), MedicationDose.created_at.desc()).first())
            if when < last.effective_on:
                raise ValidationError(
                    f"Effective date: before the current dose, effective {last.effective_on}.",
                    field="effective_on")
            new_unit = required_text(unit, "unit", "Unit", max_length=10) if unit is not None else last.unit
            new_frequency = (required_text(frequency, "frequency", "Frequency") if frequency is not None
                             else last.frequency)
            MedicationDose.create(medication=med, effective_on=when, amount=dose, unit=new_unit,
                                  frequency=new_frequency, entered_by=self.actor.id, reason=why)
            update_versioned(med, expected_version)
            self._audit("update", "medication", med.id, client_id=med.client_id,
                        detail={"amount": dose, "unit": new_unit, "effective_on": when})
        return self._view(med.id, when), Changes.of("medication", client_id=med.client_id)

    def stop_medication(self, medication_id, *, stopped_on: dt.date | str, reason: str,
                        expected_version: int) -> tuple[MedicationView, Changes]:
        """Stop a medication (prescribers only); it stays on the list with its stop date and reason.

        Raises PermissionDenied for anyone else; ValidationError for a blank reason, a stop before
        the start, a medication already stopped; ConcurrentEdit.
        """
        self._require_prescriber("stop a medication")
        when = as_date(stopped_on, "stopped_on", "Stop date")
        why = required_text(reason, "stop_reason", "Reason for stopping")
        with self.db.atomic():
            med = self._medication(medication_id)
            if med.stopped_on is not None:
                raise ValidationError(f"Stop date: already stopped on {med.stopped_on}.",
                                      field="stopped_on")
            if when < med.started_on:
                raise ValidationError("Stop date: before the start date.", field="stopped_on")
            update_versioned(med, expected_version, stopped_on=when, stop_reason=why)
            self._audit("stop", "medication", med.id, client_id=med.client_id, detail={"stopped_on": when})
        return self._view(med.id, when), Changes.of("medication", client_id=med.client_id)

    # -- reading --------------------------------------------------------------------------
    def current_medications(self, client_id, *, on: dt.date | str | None = None) -> list[MedicationView]:
        """Medications active on `on` (default today) with the dose in effect that day, by drug."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        day = as_date(on, "on", "Date") if on else today()
        return self._views((Medication.client == client_uuid(client_id)) & _active_on(day), day)

    def medications(self, client_id) -> list[MedicationView]:
        """Every medication of a client, stopped ones too, each with its latest dose."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        return self._views(Medication.client == client_uuid(client_id), dt.date.max)

    def dose_history(self, medication_id) -> list[DoseView]:
        """Every dose of a medication, oldest first: nothing is ever overwritten."""
        self.actor.require_for_client("chart.read_narrative", lambda: self._medication(medication_id).client_id)
        query = (
            MedicationDose.select(MedicationDose.effective_on, MedicationDose.amount, MedicationDose.unit,
                                  MedicationDose.frequency, Staff.display_name, MedicationDose.reason)
            .join(Staff, on=(MedicationDose.entered_by == Staff.id))
            .where(MedicationDose.medication == as_uuid(medication_id, "medication"))
            .order_by(MedicationDose.effective_on, MedicationDose.created_at)
            .tuples()
        )
        return [DoseView(d, Decimal(a), u, f, by, r) for d, a, u, f, by, r in query]

    # -- MAT ------------------------------------------------------------------------------
    def record_mat_dose(self, client_id, medication_id, *, given_at: dt.datetime | str, amount, unit: str,
                        mode: str = "administered") -> tuple[MatDoseView, Changes]:
        """Record a MAT dose administered at the clinic or dispensed to take home.

        Raises ValidationError naming the field: a time in the future, a dose not above 0, a
        blank unit, an unknown mode, a medication that is not an active MAT medication of this
        client on that day.
        """
        self.actor.require("mat.administer")
        if isinstance(given_at, dt.datetime):
            when = given_at.replace(microsecond=0)
        else:
            try:
                when = dt.datetime.fromisoformat(str(given_at).strip())
            except ValueError:
                raise ValidationError(f"Time given: {given_at!r} is not a date and time.",
                                      field="given_at") from None
        if when.date() > today():
            raise ValidationError("Time given: cannot be in the future.", field="given_at")
        dose = _amount(amount, "amount", "Dose")
        unit = required_text(unit, "unit", "Unit", max_length=10)
        if mode not in MAT_MODES:
            raise ValidationError(f"Mode: {mode!r} is not one of {', '.join(MAT_MODES)}.", field="mode")
        cid = client_uuid(client_id)
        with self.db.atomic():
            med = self._medication(medication_id)
            active = Medication.select().where((Medication.id == med.id) & _active_on(when.date())).exists()
            if med.client_id != cid or not med.is_mat or not active:
                raise ValidationError(
                    f"Medication: {med.drug} is not an active MAT medication of this client "
                    f"on {when:%Y-%m-%d}.",
                    field="medication_id",
                )
            row = MatAdministration.create(client=cid, medication=med, given_at=when, amount=dose,
                                           unit=unit, mode=mode, given_by=self.actor.id)
            self._audit("create", "mat_dose", row.id, client_id=cid, detail={"amount": dose, "mode": mode})
            seal(row, provenance="MAT dose", actor=self.actor)
        return self._mat_views(MatAdministration.id == row.id)[0], Changes.of("mat_dose", client_id=cid)

    def mat_doses(self, client_id, *, medication_id=None) -> list[MatDoseView]:
        """MAT doses of a client (optionally of one medication), newest first."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        where = MatAdministration.client == client_uuid(client_id)
        if medication_id is not None:
            where &= MatAdministration.medication == as_uuid(medication_id, "medication")
        return self._mat_views(where)

    @staticmethod
    def _mat_views(where) -> list[MatDoseView]:
        query = (
            MatAdministration.select(MatAdministration.id, MatAdministration.client,
                                     MatAdministration.medication, Medication.drug,
                                     MatAdministration.given_at, MatAdministration.amount,
                                     MatAdministration.unit, MatAdministration.mode, Staff.display_name)
            .join(Medication).switch(MatAdministration)
            .join(Staff, on=(MatAdministration.given_by == Staff.id))
            .where(where).order_by(MatAdministration.given_at.desc()).tuples()
        )
        return [MatDoseView(str(i), str(c), str(m), d, g, Decimal(a), u, mo, by)
                for i, c, m, d, g, a, u, mo, by in query]

    # -- drug screens ---------------------------------------------------------------------
    def record_drug_screen(self, client_id, *, collected_on: dt.date | str, results: dict,
                           specimen: str = "urine", observed: bool = False
                           ) -> tuple[DrugScreenView, Changes]:
        """Record a drug screen; classify each positive and raise an "unexpected_positive" alert
        naming the substances not explained by the client's prescriptions (one transaction).

        `results` maps substance (see drug_screen_panels.json) → positive (True/False). Raises
        ValidationError naming the field: a collection date in the future, an unknown specimen or
        substance (named), a result that is not True or False, no results.
        """
        self.actor.require("screen.write")
        panel = drug_screen_panel()
        day = as_date(collected_on, "collected_on", "Collection date")
        if day > today():
            raise ValidationError("Collection date: cannot be in the future.", field="collected_on")
        specimen = panel.specimen(specimen)
        cleaned = panel.clean_results(results)
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            prescribed = [d for (d,) in Medication.select(Medication.drug).where(
                (Medication.client == cid) & _active_on(day, panel.recent_stop_days)).tuples()]
            explained = panel.explained_by(prescribed)
            screen = DrugScreen.create(client=cid, collected_on=day, specimen=specimen,
                                       collected_by=self.actor.id, observed=bool(observed))
            DrugScreenResult.insert_many([
                {"screen": screen.id, "substance": s, "positive": p,
                 "expected": (s in explained) if p else None}
                for s, p in cleaned.items()
            ]).execute()
            unexpected = [s for s, p in cleaned.items() if p and s not in explained]
            self._audit("create", "drug_screen", screen.id, client_id=cid,
                        detail={"positive": sum(cleaned.values()), "unexpected": len(unexpected)})
            seal(screen, provenance="drug-screen result", actor=self.actor)
            changes = Changes.of("drug_screen", client_id=cid)
            if unexpected:
                names = ", ".join(panel.substances[s] for s in unexpected)
                raise_alert(self.actor, cid, "unexpected_positive",
                            f"Unexpected positive drug screen collected {day:%Y-%m-%d}: {names}.",
                            source_id=screen.id)
                changes |= Changes.of("alert", client_id=cid)
        return self._screen_views(DrugScreen.id == screen.id)[0], changes

    def drug_screens(self, client_id) -> list[DrugScreenView]:
        """A client's drug screens with their classified results, newest first."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        return self._screen_views(DrugScreen.client == client_uuid(client_id))

    # -- helpers --------------------------------------------------------------------------
    def _require_prescriber(self, action: str) -> None:
        if not self.actor.can("medication.prescribe"):
            raise PermissionDenied(
                f"{self.actor.display_name} is not allowed to {action}: only a prescriber can."
            )

    def _prescriber(self, username: str | None) -> Staff:
        staff = staff_for(self.actor.id if username is None else username, "Prescriber", "prescriber")
        role = (StaffRole.staff == staff) & (StaffRole.role == "prescriber")
        if not StaffRole.select().where(role).exists():
            raise ValidationError(f"Prescriber: {staff.display_name} is not a prescriber.",
                                  field="prescriber")
        return staff

    @staticmethod
    def _medication(medication_id) -> Medication:
        med = fetch(Medication, medication_id, "medication")
        return med

    def _view(self, medication_id, day: dt.date) -> MedicationView:
        return self._views(Medication.id == medication_id, day)[0]

    @staticmethod
    def _views(where, day: dt.date) -> list[MedicationView]:
        meds = list(Medication.select().where(where).order_by(Medication.drug, Medication.started_on))
        doses: dict = {}
        in_effect = MedicationDose.medication.in_([m.id for m in meds]) & (MedicationDose.effective_on <= day)
        for dose in (MedicationDose.select().where(in_effect)
                     .order_by(MedicationDose.effective_on, MedicationDose.created_at)):
            doses[dose.medication_id] = dose
        views = []
        for m in meds:
            d = doses.get(m.id)
            views.append(MedicationView(
                id=str(m.id), client_id=str(m.client_id), drug=m.drug, route=m.route,
                reason=m.reason, is_mat=m.is_mat, prescriber=m.prescriber_name,
                started_on=m.started_on, stopped_on=m.stopped_on, stop_reason=m.stop_reason,
                amount=Decimal(d.amount) if d else None, unit=d.unit if d else "",
                frequency=d.frequency if d else "", dose_effective_on=d.effective_on if d else None,
                version=m.version,
            ))
        return views

    @staticmethod
    def _screen_views(where) -> list[DrugScreenView]:
        panel = drug_screen_panel()
        screens = list(
            DrugScreen.select(DrugScreen.id, DrugScreen.client, DrugScreen.collected_on,
                              DrugScreen.specimen, DrugScreen.observed, Staff.display_name)
            .join(Staff, peewee.JOIN.LEFT_OUTER, on=(DrugScreen.collected_by == Staff.id))
            .where(where).order_by(DrugScreen.collected_on.desc(), DrugScreen.created_at.desc()).tuples()
        )
        results: dict = {}
        for screen_id, substance, positive, expected in (
            DrugScreenResult.select(DrugScreenResult.screen, DrugScreenResult.substance,
                                    DrugScreenResult.positive, DrugScreenResult.expected)
            .where(DrugScreenResult.screen.in_([s[0] for s in screens]))
            .order_by(DrugScreenResult.substance).tuples()
        ):
            results.setdefault(screen_id, []).append(
                ScreenResult(substance, panel.substances.get(substance, substance), positive, expected))
        return [DrugScreenView(str(i), str(c), day, spec, obs, by or "", tuple(results.get(i, ())))
                for i, c, day, spec, obs, by in screens]
