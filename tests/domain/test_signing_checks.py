"""Asking before signing: `check_sign` (plans, discharges), `check_review` and `check_draft` raise
exactly what the signature or the draft would refuse, and write nothing, so a screen can keep a
message only while it holds and show the attestation only for what the domain will accept."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import RecordLocked, ValidationError
from iopdesk.models import AuditEvent, PlanReview
from tests.domain.test_plans import draft_plan, signed_plan

DAY = dt.timedelta(days=1)


def test_an_incomplete_plan_is_named_before_signing_and_nothing_is_written(admitted_client):
    """check_sign names the goal without an objective, then the bad client signature date, the same
    refusals sign gives; the plan stays a draft with the same version and no event is added."""
    clinic, _client, episode = admitted_client
    plan = draft_plan(clinic, episode, objectives=())
    events = AuditEvent.select().count()
    with pytest.raises(ValidationError) as refused:
        clinic.plans.check_sign(plan.id)
    assert refused.value.field == "objectives" and "has no objective" in str(refused.value)
    with pytest.raises(ValidationError) as same:
        clinic.plans.sign(plan.id, expected_version=plan.version, client_signature_name="Marisol Quintana-Reyes",
                          client_signed_on=episode.admitted_on)
    assert str(same.value) == str(refused.value)

    stored = clinic.plans.get(plan.id)
    assert (stored.status, stored.version) == ("draft", plan.version)
    assert AuditEvent.select().count() == events


def test_the_client_signature_is_checked_only_when_given(admitted_client):
    """A complete draft passes; with a signature dated before the plan, or a blank name, the field
    is named; once signed the check says the plan is locked."""
    clinic, _client, episode = admitted_client
    plan = draft_plan(clinic, episode)
    clinic.plans.check_sign(plan.id)
    with pytest.raises(ValidationError) as early:
        clinic.plans.check_sign(plan.id, client_signature_name="Marisol Quintana-Reyes",
                                client_signed_on=episode.admitted_on - DAY)
    assert early.value.field == "client_signed_on"
    with pytest.raises(ValidationError) as blank:
        clinic.plans.check_sign(plan.id, client_signature_name=" ", client_signed_on=episode.admitted_on)
    assert blank.value.field == "client_signature_name"
    clinic.plans.sign(plan.id, expected_version=plan.version, client_signature_name="Marisol Quintana-Reyes",
                      client_signed_on=episode.admitted_on)
    with pytest.raises(RecordLocked):
        clinic.plans.check_sign(plan.id)


def test_a_review_is_checked_as_recording_would_and_nothing_is_recorded(admitted_client):
    """check_review names the unrated objective and a review date before the plan; a complete
    review passes; no review and no event is written by checking."""
    clinic, _client, episode = admitted_client
    plan = signed_plan(clinic, episode)
    first, second = plan.objectives
    today = clinic.plans.start_review(plan.id).reviewed_on
    events = AuditEvent.select().count()
    with pytest.raises(ValidationError) as unrated:
        clinic.plans.check_review(plan.id, reviewed_on=today, summary="Steady.",
                                  progress={first.id: ("met", "")})
    assert unrated.value.field == f"progress.{second.id}"
    progress = {first.id: ("met", ""), second.id: ("some_progress", "")}
    with pytest.raises(ValidationError) as early:
        clinic.plans.check_review(plan.id, reviewed_on=plan.effective_on - DAY, summary="Steady.",
                                  progress=progress)
    assert early.value.field == "reviewed_on"
    clinic.plans.check_review(plan.id, reviewed_on=today, summary="Steady.", progress=progress)
    assert PlanReview.select().count() == 0 and AuditEvent.select().count() == events


def test_a_discharge_is_checked_before_drafting_and_before_signing(admitted_client):
    """check_draft refuses a missing reason and a date before admission; check_sign passes on a
    draft and refuses once it is signed; neither writes."""
    clinic, _client, episode = admitted_client
    with pytest.raises(ValidationError) as no_reason:
        clinic.discharge.check_draft(episode.id, discharged_on=episode.admitted_on, reason=None)
    assert no_reason.value.field == "reason" and "choose why" in str(no_reason.value)
    with pytest.raises(ValidationError) as early:
        clinic.discharge.check_draft(episode.id, discharged_on=episode.admitted_on - DAY, reason="completed")
    assert early.value.field == "discharged_on"
    view, _ = clinic.discharge.draft(episode.id, discharged_on=episode.admitted_on + DAY, reason="completed")
    events = AuditEvent.select().count()
    clinic.discharge.check_sign(view.id)
    assert clinic.discharge.get(view.id).version == view.version and AuditEvent.select().count() == events
    clinic.discharge.sign(view.id, expected_version=view.version)
    with pytest.raises(RecordLocked):
        clinic.discharge.check_sign(view.id)
