"""Medications, MAT administrations, weekly drug screens and the alerts they raise, per episode.

Opioid-use clients may take buprenorphine (observed doses for two weeks, then weekly take-home
supplies), extended-release naltrexone (an injection every four weeks) or methadone from an
outside program; alcohol-use clients may take naltrexone or acamprosate; co-occurring clients get
an antidepressant and sometimes a sleep or anxiety medication. Dose changes are new dose rows.
A screen positive for a prescribed MAT drug is expected; any other positive is unexpected and
raises an `unexpected_positive` alert, resolved by the clinician unless it is recent.
"""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

from iopdesk.demo import clinical
from iopdesk.demo.cast import Member
from iopdesk.demo.roster import EpisodePlan
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import (
    Alert,
    DrugScreen,
    DrugScreenResult,
    MatAdministration,
    Medication,
    MedicationDose,
)

RESOLUTIONS = ("Discussed with client; relapse prevention plan updated.",
               "Reviewed in individual session; frequency of screens increased.",
               "Client acknowledged use; safety and overdose risk reviewed, naloxone offered.")


Prescribed = tuple[clinical.Drug, str, dt.date, str]  # drug, medication id, start, dose


class MedsWriter:
    def __init__(self, writer: BulkWriter, as_of: dt.date) -> None:
        self.writer, self.as_of = writer, as_of
        w = writer
        self.meds = w.table(Medication, "client", "drug", "route", "reason", "is_mat",
                            "prescriber", "prescriber_name", "started_on", "stopped_on",
                            "stop_reason")
        self.doses = w.table(MedicationDose, "medication", "effective_on", "amount", "unit",
                             "frequency", "entered_by", "reason")
        self.mat = w.table(MatAdministration, "client", "medication", "given_at", "amount", "unit",
                           "mode", "given_by")
        self.screens = w.table(DrugScreen, "client", "collected_on", "specimen", "collected_by",
                               "observed")
        self.results = w.table(DrugScreenResult, "screen", "substance", "positive", "expected")
        self.alerts = w.table(Alert, "client", "kind", "message", "raised_at", "raised_by",
                              "source_id", "resolved_at", "resolved_by", "resolution")

    def alert(self, rng: random.Random, client_id: str, kind: str, message: str,
              raised: dt.datetime, raised_by: str | None, source_id: str, resolver: Member,
              resolution: str) -> None:
        """Raise an alert; all but the last few days' alerts are already resolved."""
        resolved = None
        if raised.date() < self.as_of - dt.timedelta(days=3):
            resolved = raised + dt.timedelta(hours=rng.randrange(2, 30))
        self.writer.add(self.alerts, raised, client_id, kind, message, raised, raised_by, source_id,
                        resolved, resolver.id if resolved else None, resolution if resolved else "",
                        updated=resolved)

    def medications(self, rng: random.Random, episode: EpisodePlan, prescriber: Member,
                    last: dt.date) -> list[Prescribed]:
        """Prescribe for the episode; returns what was prescribed (for MAT, screens and notes)."""
        plans: list[tuple[clinical.Drug, dt.date, bool]] = []
        admit = episode.admit_on

        def days(low: int, high: int) -> dt.timedelta:
            return dt.timedelta(days=rng.randrange(low, high))

        if episode.substance == "opioid":
            roll = rng.random()
            if roll < 0.45:
                plans.append((clinical.BUPRENORPHINE, admit - days(0, 40), False))
            elif roll < 0.57:
                plans.append((clinical.NALTREXONE_XR, admit + days(0, 10), False))
            elif roll < 0.67:
                plans.append((clinical.METHADONE, admit - days(30, 400), True))
        elif episode.substance == "alcohol" and rng.random() < 0.35:
            drug = rng.choice((clinical.NALTREXONE, clinical.NALTREXONE, clinical.ACAMPROSATE))
            plans.append((drug, admit + days(0, 8), False))
        if episode.track != "substance_use" and rng.random() < 0.7:
            plans.append((rng.choice(clinical.MH_DRUGS[:3]), admit + days(0, 15), False))
            if rng.random() < 0.3:
                extra = (clinical.MH_DRUGS[5] if "F43.10" in episode.dx_codes
                         else rng.choice(clinical.MH_DRUGS[3:5]))
                plans.append((extra, admit + days(3, 20), False))
        out = []
        for drug, start, outside in plans:
            if start > last:
                continue
            out.append(self._medication(rng, episode, prescriber, drug, start, outside, last))
        return out

    def _medication(self, rng: random.Random, episode: EpisodePlan, prescriber: Member,
                    drug: clinical.Drug, start: dt.date, outside: bool, last: dt.date) -> Prescribed:
        w = self.writer
        when = dt.datetime.combine(max(start, episode.admit_on), dt.time(11, rng.randrange(60)))
        stopped = reason = None
        ended = episode.ends_on(self.as_of) is not None
        if ended and episode.outcome == "death":
            stopped, reason = episode.planned_end, "Client deceased"
        elif ended and (episode.readmitted_later or (not drug.is_mat and rng.random() < 0.25)):
            stopped, reason = episode.planned_end, "Discontinued at discharge"
        med_id = w.add(self.meds, when, episode.client.id, drug.name, drug.route, drug.reason,
                       drug.is_mat, None if outside else prescriber.id,
                       clinical.OUTSIDE_OTP if outside else prescriber.display_name, start, stopped,
                       reason or "",
                       updated=dt.datetime.combine(stopped, dt.time(16)) if stopped else None)
        w.add(self.doses, when, med_id, start, Decimal(drug.doses[0]), drug.unit, drug.frequency,
              prescriber.id, "Continued from outside program" if outside else "Initial dose")
        dose = drug.doses[0]
        changed = start + dt.timedelta(days=rng.randrange(7, 22))
        if len(drug.doses) > 1 and not outside and changed <= last and rng.random() < 0.5:
            dose = drug.doses[1]
            w.add(self.doses, dt.datetime.combine(changed, dt.time(11, 30)), med_id, changed,
                  Decimal(dose), drug.unit, drug.frequency, prescriber.id,
                  "Titrated for persistent symptoms")
        if drug is clinical.BUPRENORPHINE or drug is clinical.NALTREXONE_XR:
            self._administrations(rng, episode, prescriber, drug, med_id,
                                  max(start, episode.admit_on), last, changed, dose)
        if stopped is None:
            episode.meds += (f"{drug.name} {dose} {drug.unit} {drug.frequency}",)
        return drug, med_id, start, f"{dose} {drug.unit}"

    def _administrations(self, rng: random.Random, episode: EpisodePlan, nurse: Member,
                         drug: clinical.Drug, med_id: str, start: dt.date, last: dt.date,
                         changed: dt.date, later_dose: str) -> None:
        every = 7 if drug is clinical.BUPRENORPHINE else 28
        hour = 12 if episode.shift == "morning" else 17
        day, number = start, 0
        while day <= last and (episode.drop_from is None or day < episode.drop_from):
            dose = Decimal(later_dose if day >= changed else drug.doses[0])
            mode = "administered"
            if drug is clinical.BUPRENORPHINE and number >= 2:
                mode, dose = "dispensed", dose * 7
            given = dt.datetime.combine(day, dt.time(hour, rng.randrange(10, 50)))
            self.writer.add(self.mat, given, episode.client.id, med_id, given, dose, drug.unit,
                            mode, nurse.id)
            day += dt.timedelta(days=every)
            number += 1

    def screens_for(self, rng: random.Random, episode: EpisodePlan, collector: Member,
                    last: dt.date, mat_drugs: list[str]) -> None:
        """Weekly screens from admission to `last`, with unexpected positives raising alerts."""
        completed = episode.outcome == "completed"
        first_risk = 0.15 if completed else 0.35
        decay = 0.8 if completed else 0.93
        day, week = episode.admit_on, 0
        w = self.writer
        if episode.drop_from is not None:
            last = min(last, episode.drop_from - dt.timedelta(days=1))
        while day <= last:
            hour = 12 if episode.shift == "morning" else 17
            collected = dt.datetime.combine(day, dt.time(hour, rng.randrange(30)))
            specimen = "urine" if rng.random() < 0.9 else "oral fluid"
            screen_id = w.add(self.screens, collected, episode.client.id, day, specimen,
                              collector.id, rng.random() < 0.25)
            positives: set[str] = set()
            if episode.substance and rng.random() < first_risk * decay ** week:
                used = clinical.POSITIVE_ON_USE[episode.substance]
                positives.add(used[0])
                if len(used) > 1 and rng.random() < 0.5:
                    positives.add(used[1])
            if rng.random() < 0.03:
                positives.add("thc")
            for drug in mat_drugs:
                if rng.random() < 0.95:
                    positives.add(drug)
            unexpected = []
            for substance in clinical.PANEL:
                positive = substance in positives
                expected = (substance in mat_drugs) if positive else None
                w.add(self.results, collected, screen_id, substance, positive, expected)
                if positive and not expected:
                    unexpected.append(substance)
            if unexpected:
                self.alert(rng, episode.client.id, "unexpected_positive",
                           f"Unexpected positive drug screen collected {day:%Y-%m-%d}: "
                           f"{', '.join(unexpected)}.", collected + dt.timedelta(hours=3), None,
                           screen_id, episode.clinician, rng.choice(RESOLUTIONS))
            week += 1
            day += dt.timedelta(days=7 + (rng.randrange(-1, 2) if week % 2 else 0))
            while day.weekday() > 4:
                day += dt.timedelta(days=1)
