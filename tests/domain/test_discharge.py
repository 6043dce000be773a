"""Discharge: the summary assembled from the record, aftercare referrals, signing that closes the
episode in one transaction, and summaries due."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.audit import chain as audit
from iopdesk.errors import PermissionDenied, RecordLocked, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AftercareReferral, Discharge, Episode, GroupEnrollment
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_attendance_rules import LAST_MONDAY, attend, weekday_group
from tests.domain.test_plans import PHQ9_MILD, PHQ9_MODERATE, signed_plan

DAY = dt.timedelta(days=1)
TODAY = clock.today()
DAP = {"data": "Reviewed the week.", "assessment": "Engaged and improving.", "plan": "Continue."}


def test_discharge_before_admission_is_refused(admitted_client):
    """A discharge dated before admission, in the future, or with an unknown reason is refused
    naming the field; nothing is saved and the episode stays open."""
    clinic, _, episode = admitted_client
    cases = [
        ({"discharged_on": episode.admitted_on - DAY, "reason": "completed"}, "discharged_on", "before the admission"),
        ({"discharged_on": TODAY + DAY, "reason": "completed"}, "discharged_on", "future"),
        ({"discharged_on": TODAY, "reason": "graduated"}, "reason", "not one of"),
        ({"discharged_on": TODAY, "reason": "other"}, "reason_detail", "other reason"),
    ]
    for kwargs, field, words in cases:
        with pytest.raises(ValidationError) as err:
            clinic.discharge.draft(episode.id, **kwargs)
        assert err.value.field == field and words in str(err.value)
    assert Discharge.select().count() == 0
    assert clinic.episodes.get(episode.id).status == "active"


def test_a_draft_with_the_wrong_date_is_corrected_and_reassembled(admitted_client):
    """Discharged "today" by mistake: the draft moves to yesterday with reason "transferred", its
    summary ends yesterday, the aftercare text is kept; a date before admission is still refused."""
    clinic, _, episode = admitted_client
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed",
                                     aftercare="Weekly outpatient counselling.")
    moved, changes = clinic.discharge.refresh(view.id, expected_version=view.version,
                                              discharged_on=TODAY - DAY, reason="transferred")
    assert (moved.discharged_on, moved.reason, moved.aftercare) == (
        TODAY - DAY, "transferred", "Weekly outpatient counselling.")
    assert Discharge.get().summary["discharged_on"] == (TODAY - DAY).isoformat()
    assert changes.touches("discharge")
    with pytest.raises(ValidationError) as err:
        clinic.discharge.refresh(moved.id, expected_version=moved.version, discharged_on=episode.admitted_on - DAY)
    assert err.value.field == "discharged_on" and Discharge.get().discharged_on == TODAY - DAY


def record_to_discharge(clinic, client, episode) -> None:
    """Marisol's chart at discharge: a diagnosis resolved yesterday, a reviewed plan, 3 of 4 groups
    attended, two individual and one family note signed, PHQ-9 11 then 6, and buprenorphine (MAT)."""
    depression, _ = clinic.episodes.add_diagnosis(episode.id, code="F32.1", description="MDD, moderate",
                                                 noted_on=episode.admitted_on)
    clinic.episodes.resolve_diagnosis(depression.id, TODAY - DAY)
    plan = signed_plan(clinic, episode)
    attend_objective, triggers = plan.objectives
    clinic.plans.record_review(plan.id, reviewed_on=TODAY - DAY, summary="Good month.", expected_version=plan.version,
                               progress={attend_objective.id: ("met", "Every day"), triggers.id: "some_progress"})
    _, sessions = weekday_group(clinic, client, episode)
    attend(clinic, client, sessions, [LAST_MONDAY, LAST_MONDAY + DAY, LAST_MONDAY + 2 * DAY])
    attend(clinic, client, sessions, [LAST_MONDAY + 3 * DAY], "absent_unexcused")
    for kind in ("individual", "individual", "family"):
        note, _ = clinic.notes.create_draft(client.id, kind=kind, note_format="DAP", service_date=TODAY - 3 * DAY,
                                            minutes=50, sections=DAP)
        clinic.notes.sign(note.id, note.version)
    clinic.measures.record(client.id, "PHQ-9", administered_on=episode.admitted_on, answers=PHQ9_MODERATE)
    clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - 2 * DAY, answers=PHQ9_MILD)
    clinic.login("prescriber", ADMIN_PASSWORD)
    clinic.meds.add_medication(client.id, drug="Buprenorphine/naloxone", amount="8", unit="mg", route="sublingual",
                               frequency="daily", started_on=episode.admitted_on, is_mat=True, prescriber="prescriber")
    clinic.login("clinician", ADMIN_PASSWORD)


def test_the_summary_is_assembled_from_the_record(admitted_client):
    """Dates, diagnoses at admission and discharge, services and attendance rate, progress per goal,
    first vs last PHQ-9 and medications at discharge come from the chart, not retyped."""
    clinic, client, episode = admitted_client
    record_to_discharge(clinic, client, episode)
    clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=TODAY, minutes=50)
    view, changes = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed",
                                           aftercare="Weekly outpatient counseling.")
    s = view.summary
    assert (s.admitted_on, s.discharged_on, view.reason_label) == (episode.admitted_on, TODAY, "Treatment completed")
    assert [d.code for d in s.diagnoses_at_admission] == ["F11.20", "F32.1"]
    assert [d.code for d in s.diagnoses_at_discharge] == ["F11.20"]
    assert (s.services.group_sessions_attended, s.services.group_sessions_scheduled) == (3, 4)
    assert s.services.attendance_rate == 0.75
    assert (s.services.individual_sessions, s.services.family_sessions) == (2, 1)
    (goal,) = s.goals
    assert [(o.rating, o.rating_label) for o in goal.objectives] == [("met", "Objective met"),
                                                                     ("some_progress", "Some progress")]
    (phq9,) = s.measures
    assert (phq9.measure, phq9.first_total, phq9.last_total, phq9.change, phq9.times_given) == ("PHQ-9", 11, 6, -5, 2)
    (med,) = s.medications
    assert (med.drug, med.dose, med.frequency, med.is_mat) == ("Buprenorphine/naloxone", "8 mg", "daily", True)
    assert view.status == "draft" and view.due_on == TODAY + 7 * DAY and changes.touches("discharge")


def test_signing_closes_the_episode_and_locks_the_summary(admitted_client):
    """The clinician adds a referral, edits the aftercare text and signs: the episode is discharged,
    group enrolment ends, and the signed summary refuses any change or a second discharge."""
    clinic, client, episode = admitted_client
    weekday_group(clinic, client, episode)
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY - DAY, reason="transferred",
                                     reason_detail="Needs more structure.")
    view, _ = clinic.discharge.add_referral(view.id, expected_version=view.version, provider="Lakeside PHP",
                                            service="Partial hospitalization", appointment_on=TODAY + 2 * DAY,
                                            contact="555-0100", barriers="Transportation")
    view, _ = clinic.discharge.update_summary_text(view.id, expected_version=view.version,
                                                   aftercare="Start PHP Wednesday; bus pass arranged.")
    signed, changes = clinic.discharge.sign(view.id, expected_version=view.version)
    assert signed.status == "signed" and signed.signed_by == "Cleo Clinician" and signed.content_hash
    assert [r.provider for r in signed.referrals] == ["Lakeside PHP"]
    assert signed.aftercare == "Start PHP Wednesday; bus pass arranged."
    closed = clinic.episodes.get(episode.id)
    assert (closed.status, closed.discharged_on) == ("discharged", TODAY - DAY)
    assert [e.ended_on for e in GroupEnrollment.select()] == [TODAY - DAY]
    assert changes.touches("episode") and clinic.episodes.current(client.id) is None
    assert clinic.episodes.latest(client.id).id == episode.id  # still readable for the chart
    with pytest.raises(RecordLocked):
        clinic.discharge.update_summary_text(view.id, expected_version=signed.version, aftercare="changed")
    with pytest.raises(RecordLocked):
        clinic.discharge.add_referral(view.id, expected_version=signed.version, provider="X", service="Y")
    with pytest.raises(ValidationError) as err:
        clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    assert err.value.field == "episode"
    assert clinic.discharge.get(view.id) == signed and AftercareReferral.select().count() == 1


def test_discharge_sign_is_one_transaction(admitted_client, monkeypatch):
    """If the last write of signing (its audit event) fails, the discharge stays a draft, the
    episode stays open and the client stays enrolled."""
    clinic, client, episode = admitted_client
    weekday_group(clinic, client, episode)
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="left_against_advice")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        clinic.discharge.sign(view.id, expected_version=view.version)
    monkeypatch.undo()
    row = Discharge.get_by_id(view.id)
    assert (row.status, row.signed_at, row.content_hash, row.version) == ("draft", None, None, view.version)
    episode_row = Episode.get_by_id(episode.id)
    assert (episode_row.status, episode_row.discharged_on, episode_row.version) == ("active", None, episode.version)
    assert [e.ended_on for e in GroupEnrollment.select()] == [None]


def test_summaries_are_due_seven_days_after_discharge(admitted_client):
    """An unsigned summary is on the clinician's list, overdue after seven days; signing clears it."""
    clinic, client, episode = admitted_client
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY - 8 * DAY, reason="incarcerated")
    (due,) = clinic.discharge.summaries_due("clinician")
    assert (due.client_id, due.due_on, due.overdue, due.target) == (client.id, TODAY - DAY, True,
                                                                    f"discharge:{view.id}")
    assert not clinic.discharge.summaries_due(on=TODAY - 2 * DAY)[0].overdue
    assert clinic.discharge.summaries_due("supervisor") == []
    clinic.discharge.sign(view.id, expected_version=view.version)
    assert clinic.discharge.summaries_due() == []


def test_a_biller_cannot_discharge(admitted_client):
    """Discharging needs discharge.write; a biller is refused and nothing is saved."""
    clinic, _, episode = admitted_client
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    assert Discharge.select().count() == 0
