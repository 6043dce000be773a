"""Giving measures: scored results, safety alerts, trends, first vs last, and what is due when."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import Alert, AuditEvent, MeasureResult, MeasureSchedule
from tests.conftest import ADMIN_PASSWORD

TODAY = clock.today()
PHQ9_MODERATE = [2, 2, 1, 2, 1, 1, 1, 1, 0]  # total 11, item 9 not endorsed


def test_a_phq9_is_scored_and_stored_with_its_band(admitted_client):
    """Marisol's PHQ-9 of 11 is Moderate, tied to her episode, with no safety flag."""
    clinic, client, episode = admitted_client
    result, changes = clinic.measures.record(client.id, "phq-9", administered_on=TODAY, answers=PHQ9_MODERATE)
    assert (result.measure, result.total, result.band, result.safety_flag) == ("PHQ-9", 11, "Moderate", False)
    assert result.episode_id == episode.id and changes.touches("measure") and not changes.touches("alert")
    row = MeasureResult.get_by_id(result.id)
    assert row.answers["q1"] == 2 and row.total == 11
    assert Alert.select().count() == 0


def test_phq9_item9_raises_a_safety_alert(admitted_client):
    """Item 9 answered 'several days' flags the result and raises a safety alert saying same-day follow-up."""
    clinic, client, _ = admitted_client
    answers = PHQ9_MODERATE[:8] + [1]
    result, changes = clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY, answers=answers)
    assert result.safety_flag and changes.touches("alert")
    [alert] = clinic.alerts.active_for(client.id)
    assert alert.kind == "safety" and "same-day" in alert.message and alert.source_id == result.id
    assert [a.id for a in clinic.alerts.active_safety_alerts(clinician="clinician")] == [alert.id]
    assert [p.safety_flag for p in clinic.measures.history(client.id, "PHQ-9")] == [True]


def test_cssrs_high_risk_raises_a_safety_alert(admitted_client):
    """Suicidal thoughts with intent (Q4) are high risk: a hard-stop safety alert."""
    clinic, client, _ = admitted_client
    answers = {"q1": 1, "q2": 1, "q3": 1, "q4": 1, "q5": 0, "q6": 0}
    result, _ = clinic.measures.record(client.id, "C-SSRS", administered_on=TODAY, answers=answers)
    assert result.band == "High risk" and result.safety_flag
    [alert] = clinic.alerts.active_safety_alerts()
    assert "hard stop" in alert.message and alert.client_id == client.id


def test_cssrs_low_risk_raises_no_alert(admitted_client):
    """A wish to be dead without thoughts of suicide is low risk: recorded, no alert."""
    clinic, client, _ = admitted_client
    result, _ = clinic.measures.record(client.id, "C-SSRS", administered_on=TODAY,
                                       answers={"q1": 1, "q2": 0, "q6": 0})
    assert result.band == "Low risk" and not result.safety_flag
    assert clinic.alerts.active_for(client.id) == []


def test_measure_answer_out_of_range_is_refused_and_nothing_saved(admitted_client):
    """A 4 on a 0–3 PHQ-9 item is refused naming the item; no result, alert or audit event is written."""
    clinic, client, _ = admitted_client
    events = AuditEvent.select().count()
    with pytest.raises(ValidationError, match="item 9") as err:
        clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY, answers=PHQ9_MODERATE[:8] + [4])
    assert err.value.field == "answers.q9"
    assert MeasureResult.select().count() == 0 and Alert.select().count() == 0
    assert AuditEvent.select().count() == events


def test_a_measure_dated_in_the_future_is_refused(admitted_client):
    """A measure cannot be given tomorrow."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY + dt.timedelta(days=1),
                               answers=PHQ9_MODERATE)
    assert err.value.field == "administered_on"


def test_a_safety_measure_rolls_back_when_its_alert_cannot_be_written(admitted_client, monkeypatch):
    """If the safety alert insert fails, the PHQ-9 result is not kept either."""
    clinic, client, _ = admitted_client

    def refuse(*args, **kwargs):
        raise RuntimeError("alert table unavailable")

    monkeypatch.setattr(Alert, "create", refuse)
    with pytest.raises(RuntimeError):
        clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY, answers=PHQ9_MODERATE[:8] + [2])
    assert MeasureResult.select().count() == 0


def test_history_gives_a_trend_oldest_first_and_discharge_gets_first_and_last(admitted_client):
    """Three PHQ-9s over two weeks trend down; first vs last per measure for the episode."""
    clinic, client, episode = admitted_client
    for days_ago, answers in ((14, [3, 3, 2, 2, 2, 2, 1, 1, 0]), (0, [1, 1, 1, 0, 0, 0, 1, 0, 0]),
                              (7, PHQ9_MODERATE)):
        clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - dt.timedelta(days=days_ago),
                               answers=answers)
    clinic.measures.record(client.id, "GAD-7", administered_on=TODAY, answers=[1] * 7)
    trend = clinic.measures.history(client.id, "PHQ-9")
    assert [(p.administered_on, p.total, p.band) for p in trend] == [
        (TODAY - dt.timedelta(days=14), 16, "Moderately severe"), (TODAY - dt.timedelta(days=7), 11, "Moderate"),
        (TODAY, 4, "Minimal")]
    summary = {f.measure: (f.first.total, f.last.total, f.change)
               for f in clinic.measures.first_and_last(client.id, episode.id)}
    assert summary == {"GAD-7": (7, 7, 0), "PHQ-9": (16, 4, -12)}


def test_phq9_due_every_two_weeks(admitted_client):
    """Default schedules start at admission: PHQ-9 every 14 days; giving it moves the next due date on."""
    clinic, client, episode = admitted_client
    schedules, _ = clinic.measures.schedule_defaults(client.id, episode.admitted_on)
    assert {(s.measure, s.every_days) for s in schedules} == {("PHQ-9", 14), ("GAD-7", 14)}
    due = clinic.measures.due(clinician="clinician")
    assert {(d.measure, d.due_on, d.overdue) for d in due} == {
        ("PHQ-9", episode.admitted_on, True), ("GAD-7", episode.admitted_on, True)}
    clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY, answers=PHQ9_MODERATE)
    assert [d.measure for d in clinic.measures.due()] == ["GAD-7"]
    in_13, in_14 = TODAY + dt.timedelta(days=13), TODAY + dt.timedelta(days=14)
    assert "PHQ-9" not in [d.measure for d in clinic.measures.due(on=in_13)]
    [phq] = [d for d in clinic.measures.due(on=in_14) if d.measure == "PHQ-9"]
    assert (phq.due_on, phq.overdue, phq.mrn) == (in_14, False, client.mrn)
    assert clinic.measures.due(clinician="supervisor") == []


def test_a_backdated_result_does_not_pull_the_due_date_back(admitted_client):
    """Entering last month's PHQ-9 late does not make a later due date earlier."""
    clinic, client, _ = admitted_client
    clinic.measures.set_schedule(client.id, "PHQ-9", every_days=14, starting_on=TODAY + dt.timedelta(days=5))
    clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - dt.timedelta(days=13), answers=PHQ9_MODERATE)
    assert MeasureSchedule.get().next_due_on == TODAY + dt.timedelta(days=5)


def test_set_schedule_replaces_the_interval_and_refuses_a_nonsense_one(admitted_client):
    """A weekly schedule replaces the two-weekly one; zero days is refused naming the field."""
    clinic, client, _ = admitted_client
    clinic.measures.schedule_defaults(client.id, TODAY)
    view, _ = clinic.measures.set_schedule(client.id, "PHQ-9", every_days=7, starting_on=TODAY)
    assert view.every_days == 7 and MeasureSchedule.select().count() == 2
    with pytest.raises(ValidationError) as err:
        clinic.measures.set_schedule(client.id, "GAD-7", every_days=0, starting_on=TODAY)
    assert err.value.field == "every_days"


def test_a_biller_cannot_record_or_read_measures(admitted_client):
    """Measure answers are clinical content a biller does not need."""
    clinic, client, _ = admitted_client
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY, answers=PHQ9_MODERATE)
    with pytest.raises(PermissionDenied):
        clinic.measures.history(client.id, "PHQ-9")
