"""Medications, MAT doses and drug screens: prescribers prescribe, dose history is kept, positives
are classified against the client's prescriptions and unexpected ones raise an alert."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from iopdesk.audit import chain as audit
from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import (
    Alert,
    AuditEvent,
    DrugScreen,
    DrugScreenResult,
    MatAdministration,
    Medication,
    MedicationDose,
)
from tests.conftest import ADMIN_PASSWORD

TODAY = clock.today()


def prescribe_buprenorphine(clinic, client, started_on=None):
    """The prescriber starts buprenorphine/naloxone 8 mg daily (MAT); the clinician signs back in."""
    clinic.login("prescriber", ADMIN_PASSWORD)
    med, _ = clinic.meds.add_medication(
        client.id, drug="buprenorphine/naloxone", amount="8", unit="mg", route="sublingual",
        frequency="once daily", reason="Opioid use disorder", is_mat=True,
        started_on=started_on or TODAY - dt.timedelta(days=14),
    )
    return med


@pytest.fixture
def on_buprenorphine(admitted_client):
    clinic, client, episode = admitted_client
    med = prescribe_buprenorphine(clinic, client)
    clinic.login("clinician", ADMIN_PASSWORD)
    return clinic, client, med


def test_a_prescriber_adds_a_mat_medication_with_its_starting_dose(admitted_client):
    """Buprenorphine/naloxone 8 mg daily appears on Marisol's current medications as MAT."""
    clinic, client, _ = admitted_client
    med = prescribe_buprenorphine(clinic, client)
    assert (med.drug, med.amount, med.unit, med.is_mat, med.prescriber) == (
        "buprenorphine/naloxone", Decimal("8"), "mg", True, "Priya Prescriber")
    assert [m.id for m in clinic.meds.current_medications(client.id)] == [med.id]
    assert clinic.meds.current_medications(client.id, on=TODAY - dt.timedelta(days=15)) == []


def test_only_a_prescriber_adds_changes_or_stops_a_medication(on_buprenorphine):
    """The clinician is refused each prescribing action, named; nothing changes."""
    clinic, client, med = on_buprenorphine
    with pytest.raises(PermissionDenied, match="add a medication"):
        clinic.meds.add_medication(client.id, drug="sertraline", amount=50, unit="mg", route="oral",
                                   frequency="once daily", started_on=TODAY)
    with pytest.raises(PermissionDenied, match="change a medication's dose"):
        clinic.meds.change_dose(med.id, amount="12", effective_on=TODAY, reason="Cravings",
                                expected_version=med.version)
    with pytest.raises(PermissionDenied, match="stop a medication"):
        clinic.meds.stop_medication(med.id, stopped_on=TODAY, reason="x", expected_version=med.version)
    assert Medication.select().count() == 1 and MedicationDose.select().count() == 1


def test_only_a_prescriber_changes_a_dose(on_buprenorphine):
    """The prescriber raises the dose to 12 mg; the medication's version moves on."""
    clinic, _, med = on_buprenorphine
    clinic.login("prescriber", ADMIN_PASSWORD)
    changed, changes = clinic.meds.change_dose(med.id, amount="12", effective_on=TODAY,
                                               reason="Persistent cravings", expected_version=med.version)
    assert changes.touches("medication")
    assert (changed.amount, changed.dose_effective_on, changed.version) == (Decimal("12"), TODAY, med.version + 1)


def test_dose_change_keeps_the_old_dose_in_history(on_buprenorphine):
    """After 8 → 12 mg the 8 mg row is still there, and the dose on any date is the one then in effect."""
    clinic, client, med = on_buprenorphine
    clinic.login("prescriber", ADMIN_PASSWORD)
    week_ago = TODAY - dt.timedelta(days=7)
    clinic.meds.change_dose(med.id, amount="12", effective_on=week_ago, reason="Cravings",
                            expected_version=med.version)
    history = clinic.meds.dose_history(med.id)
    assert [(h.effective_on, h.amount) for h in history] == [(med.started_on, Decimal("8")),
                                                             (week_ago, Decimal("12"))]
    on = clinic.meds.current_medications
    assert on(client.id, on=week_ago - dt.timedelta(days=1))[0].amount == Decimal("8")
    assert on(client.id)[0].amount == Decimal("12") and on(client.id)[0].frequency == "once daily"


def test_a_dose_change_before_the_current_dose_is_refused(on_buprenorphine):
    """History is appended, never rewritten: a change dated before the current dose is refused."""
    clinic, _, med = on_buprenorphine
    clinic.login("prescriber", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.meds.change_dose(med.id, amount="4", effective_on=med.started_on - dt.timedelta(days=1),
                                reason="x", expected_version=med.version)
    assert err.value.field == "effective_on"
    assert MedicationDose.select().count() == 1


@pytest.mark.parametrize("amount", ["0", "-2", "abc", "1.0005", True])
def test_a_dose_that_is_not_a_positive_number_is_refused(admitted_client, amount):
    """Dose must be a number above zero with at most three decimals."""
    clinic, client, _ = admitted_client
    clinic.login("prescriber", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.meds.add_medication(client.id, drug="naltrexone", amount=amount, unit="mg", route="oral",
                                   frequency="once daily", started_on=TODAY)
    assert err.value.field == "amount"
    assert Medication.select().count() == 0


def test_a_stopped_medication_is_no_longer_current(on_buprenorphine):
    """Stopped today with a reason: it leaves today's list, stays on the full list."""
    clinic, client, med = on_buprenorphine
    clinic.login("prescriber", ADMIN_PASSWORD)
    stopped, _ = clinic.meds.stop_medication(med.id, stopped_on=TODAY, reason="Switched to XR-naltrexone",
                                             expected_version=med.version)
    assert stopped.stopped_on == TODAY and stopped.stop_reason == "Switched to XR-naltrexone"
    assert clinic.meds.current_medications(client.id) == []
    assert [m.stopped_on for m in clinic.meds.medications(client.id)] == [TODAY]


def test_the_clinician_records_an_observed_mat_dose(on_buprenorphine):
    """An 8 mg dose administered at the clinic is recorded against the MAT medication."""
    clinic, client, med = on_buprenorphine
    given = dt.datetime.combine(TODAY, dt.time(9, 15))
    dose, changes = clinic.meds.record_mat_dose(client.id, med.id, given_at=given, amount="8", unit="mg")
    assert changes.touches("mat_dose")
    assert (dose.given_at, dose.amount, dose.mode, dose.given_by) == (given, Decimal("8"), "administered",
                                                                      "Cleo Clinician")
    assert [d.id for d in clinic.meds.mat_doses(client.id)] == [dose.id]


def test_a_mat_dose_needs_an_active_mat_medication_of_that_client(admitted_client):
    """Sertraline is not MAT: recording a MAT dose from it is refused naming the medication."""
    clinic, client, _ = admitted_client
    clinic.login("prescriber", ADMIN_PASSWORD)
    med, _ = clinic.meds.add_medication(client.id, drug="sertraline", amount=50, unit="mg", route="oral",
                                        frequency="once daily", started_on=TODAY - dt.timedelta(days=3))
    with pytest.raises(ValidationError) as err:
        clinic.meds.record_mat_dose(client.id, med.id, given_at=clock.now(), amount=50, unit="mg")
    assert err.value.field == "medication_id"
    with pytest.raises(ValidationError) as err:
        clinic.meds.record_mat_dose(client.id, med.id, given_at=clock.now(), amount=50, unit="mg",
                                    mode="mailed")
    assert err.value.field == "mode"
    assert MatAdministration.select().count() == 0


def test_buprenorphine_positive_is_expected_for_a_client_on_buprenorphine(on_buprenorphine):
    """A buprenorphine-positive screen for a client prescribed it is expected and raises no alert."""
    clinic, client, _ = on_buprenorphine
    screen, changes = clinic.meds.record_drug_screen(
        client.id, collected_on=TODAY, observed=True,
        results={"buprenorphine": True, "fentanyl": False, "opiates": False, "cocaine": False},
    )
    assert screen.expected == ("buprenorphine",) and screen.unexpected == ()
    assert not changes.touches("alert")
    assert clinic.alerts.active_for(client.id) == []
    assert {r.substance: r.expected for r in screen.results}["fentanyl"] is None


def test_fentanyl_positive_raises_an_alert(on_buprenorphine):
    """Fentanyl is explained by no prescription: unexpected, and an alert names it."""
    clinic, client, _ = on_buprenorphine
    screen, changes = clinic.meds.record_drug_screen(
        client.id, collected_on=TODAY, results={"buprenorphine": True, "fentanyl": True},
    )
    assert screen.unexpected == ("fentanyl",) and changes.touches("drug_screen", "alert")
    [alert] = clinic.alerts.active_for(client.id)
    assert alert.kind == "unexpected_positive" and "Fentanyl" in alert.message and "Buprenorphine" not in alert.message
    assert alert.source_id == screen.id
    assert [s.id for s in clinic.meds.drug_screens(client.id)] == [screen.id]


def test_a_positive_for_a_drug_not_prescribed_on_that_day_is_unexpected(admitted_client):
    """Buprenorphine started today does not explain a positive collected a week ago."""
    clinic, client, _ = admitted_client
    prescribe_buprenorphine(clinic, client, started_on=TODAY)
    clinic.login("clinician", ADMIN_PASSWORD)
    screen, _ = clinic.meds.record_drug_screen(client.id, collected_on=TODAY - dt.timedelta(days=7),
                                               results={"buprenorphine": True})
    assert screen.unexpected == ("buprenorphine",)


@pytest.mark.parametrize("drug, substance", [
    ("methadone", "methadone"), ("clonazepam", "benzodiazepines"),
    ("mixed amphetamine salts (Adderall XR)", "amphetamines"), ("lisdexamfetamine", "amphetamines"),
])
def test_prescriptions_explain_their_own_positives(admitted_client, drug, substance):
    """Methadone, a prescribed benzodiazepine and an amphetamine-class ADHD drug explain their positives."""
    clinic, client, _ = admitted_client
    clinic.login("prescriber", ADMIN_PASSWORD)
    clinic.meds.add_medication(client.id, drug=drug, amount=1, unit="mg", route="oral", frequency="daily",
                               started_on=TODAY - dt.timedelta(days=30), outside_prescriber="Dr. Lee, outside")
    screen, _ = clinic.meds.record_drug_screen(client.id, collected_on=TODAY, results={substance: True})
    assert screen.expected == (substance,)


def test_naltrexone_explains_no_positive(admitted_client):
    """Naltrexone is an antagonist: an opiate positive on naltrexone is unexpected."""
    clinic, client, _ = admitted_client
    clinic.login("prescriber", ADMIN_PASSWORD)
    clinic.meds.add_medication(client.id, drug="naltrexone", amount=50, unit="mg", route="oral",
                               frequency="once daily", is_mat=True, started_on=TODAY - dt.timedelta(days=30))
    screen, _ = clinic.meds.record_drug_screen(client.id, collected_on=TODAY, results={"opiates": True})
    assert screen.unexpected == ("opiates",)
    assert Alert.select().where(Alert.kind == "unexpected_positive").count() == 1


def test_an_unknown_substance_is_refused_by_name(on_buprenorphine):
    """'kratom' is not on the panel: refused naming it; nothing saved."""
    clinic, client, _ = on_buprenorphine
    with pytest.raises(ValidationError, match="kratom") as err:
        clinic.meds.record_drug_screen(client.id, collected_on=TODAY, results={"thc": False, "kratom": True})
    assert err.value.field == "results"
    assert DrugScreen.select().count() == 0


@pytest.mark.parametrize("failing_step", ["alert insert", "alert audit event"])
def test_a_drug_screen_write_with_an_alert_leaves_nothing_when_the_alert_fails(on_buprenorphine, monkeypatch,
                                                                               failing_step):
    """If the alert (or its audit event) cannot be written, the screen and its results are rolled back too."""
    clinic, client, _ = on_buprenorphine
    before = (DrugScreen.select().count(), DrugScreenResult.select().count(), Alert.select().count(),
              AuditEvent.select().count())
    real = audit.record

    def refuse(*args, **kwargs):
        raise RuntimeError("disk full")

    def failing_audit(actor, action, entity, *args, **kwargs):
        if entity == "alert":
            raise RuntimeError("disk full")
        return real(actor, action, entity, *args, **kwargs)

    if failing_step == "alert insert":
        monkeypatch.setattr(Alert, "create", refuse)
    else:
        monkeypatch.setattr(audit, "record", failing_audit)
    with pytest.raises(RuntimeError):
        clinic.meds.record_drug_screen(client.id, collected_on=TODAY, results={"fentanyl": True, "thc": False})
    after = (DrugScreen.select().count(), DrugScreenResult.select().count(), Alert.select().count(),
             AuditEvent.select().count())
    assert after == before
    monkeypatch.undo()
    assert clinic.audit.verify().ok


def test_a_biller_cannot_record_a_drug_screen(on_buprenorphine):
    """Drug screens are clinical records."""
    clinic, client, _ = on_buprenorphine
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.meds.record_drug_screen(client.id, collected_on=TODAY, results={"thc": False})
    with pytest.raises(PermissionDenied):
        clinic.meds.current_medications(client.id)
