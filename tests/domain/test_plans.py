"""Treatment plans: the initial plan, editing a draft, signing, revising, reviews and due dates."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.audit import chain as audit
from iopdesk.errors import ConcurrentEdit, PermissionDenied, RecordLocked, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import ObjectiveProgress, PlanObjective, PlanReview, TreatmentPlan
from tests.conftest import ADMIN_PASSWORD

DAY = dt.timedelta(days=1)
PHQ9_MODERATE = [2, 2, 1, 2, 1, 1, 1, 1, 0]   # 11
PHQ9_MILD = [1, 1, 1, 1, 1, 0, 0, 1, 0]       # 6


def draft_plan(clinic, episode, objectives=("Attend at least 90% of scheduled IOP sessions.",
                                            "Name five triggers and a coping response for each.")):
    """A complete draft: one problem, one goal, these objectives, each with one intervention."""
    plan, _ = clinic.plans.create_initial(episode.id)
    edit, _ = clinic.plans.add_problem(plan.id, expected_version=plan.version, diagnosis_code="F11.20",
                                       statement="Continued opioid use despite harm to health and work.")
    edit, _ = clinic.plans.add_goal(edit.element_id, expected_version=edit.plan.version,
                                    statement="Achieve and keep abstinence from opioids.")
    goal_id = edit.element_id
    for text in objectives:
        edit, _ = clinic.plans.add_objective(goal_id, expected_version=edit.plan.version, statement=text,
                                             target_date=episode.admitted_on + 30 * DAY)
        edit, _ = clinic.plans.add_intervention(edit.element_id, expected_version=edit.plan.version,
                                                modality="Group psychotherapy (IOP)", frequency="5 days a week",
                                                responsible="clinician")
    return edit.plan


def signed_plan(clinic, episode, **kwargs):
    """The draft above, signed by the clinician and by the client three days after admission."""
    plan = draft_plan(clinic, episode, **kwargs)
    signed, _ = clinic.plans.sign(plan.id, expected_version=plan.version,
                                  client_signature_name="Marisol Quintana-Reyes",
                                  client_signed_on=episode.admitted_on + 3 * DAY)
    return signed


def test_initial_plan_is_a_draft_effective_on_admission(admitted_client):
    """The initial plan starts as draft v1 on the admission date, reviewed 30 days later, under
    the primary clinician; a second initial plan is refused."""
    clinic, client, episode = admitted_client
    plan, changes = clinic.plans.create_initial(episode.id)
    assert (plan.plan_version, plan.status, plan.effective_on) == (1, "draft", episode.admitted_on)
    assert plan.review_due_on == episode.admitted_on + 30 * DAY
    assert plan.primary_counselor == "Cleo Clinician" and changes.touches("plan")
    with pytest.raises(ValidationError) as err:
        clinic.plans.create_initial(episode.id)
    assert err.value.field == "episode"
    assert TreatmentPlan.select().count() == 1


def test_objectives_need_words_and_a_target_date_on_or_after_the_plan(admitted_client):
    """An objective dated before the plan took effect, or without words, is refused; nothing is added."""
    clinic, _, episode = admitted_client
    plan = draft_plan(clinic, episode, objectives=())
    goal_id = plan.goals[0].id
    with pytest.raises(ValidationError) as err:
        clinic.plans.add_objective(goal_id, expected_version=plan.version, statement="Attend groups",
                                   target_date=episode.admitted_on - DAY)
    assert err.value.field == "target_date" and str(err.value).startswith("Target date:")
    with pytest.raises(ValidationError) as err:
        clinic.plans.add_objective(goal_id, expected_version=plan.version, statement="  ",
                                   target_date=episode.admitted_on + DAY)
    assert err.value.field == "statement"
    assert PlanObjective.select().count() == 0
    assert clinic.plans.get(plan.id).version == plan.version


def test_an_edit_from_a_stale_version_is_refused(admitted_client):
    """Two clinicians editing the same draft: the second save, made from the old version, is refused."""
    clinic, _, episode = admitted_client
    plan = draft_plan(clinic, episode)
    objective = plan.objectives[0]
    clinic.plans.update_objective(objective.id, expected_version=plan.version, statement="Attend 95% of sessions.")
    with pytest.raises(ConcurrentEdit):
        clinic.plans.update_objective(objective.id, expected_version=plan.version, statement="Attend 80%.")
    assert clinic.plans.get(plan.id).objectives[0].statement == "Attend 95% of sessions."


def test_an_objective_a_note_addressed_is_not_removed(admitted_client):
    """Once a note addresses a draft's objective, removing it (or its goal) is refused so the note
    keeps its link; marking it discontinued is the way."""
    clinic, client, episode = admitted_client
    plan = draft_plan(clinic, episode)
    objective = plan.objectives[0]
    clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=clock.today(),
                              minutes=30, objective_ids=[objective.id])
    for remove in (lambda: clinic.plans.remove_objective(objective.id, expected_version=plan.version),
                   lambda: clinic.plans.remove_goal(plan.goals[0].id, expected_version=plan.version)):
        with pytest.raises(ValidationError) as err:
            remove()
        assert err.value.field == "objective" and "discontinued" in str(err.value)
    edit, _ = clinic.plans.update_objective(objective.id, expected_version=plan.version, status="discontinued")
    assert edit.plan.objectives[0].status == "discontinued" and len(edit.plan.objectives) == 2


def test_a_plan_is_signed_only_when_every_goal_has_objectives_with_interventions(admitted_client):
    """Signing names what is missing: here an objective without an intervention."""
    clinic, _, episode = admitted_client
    plan = draft_plan(clinic, episode)
    edit, _ = clinic.plans.add_objective(plan.goals[0].id, expected_version=plan.version,
                                         statement="Provide four negative screens in a row.",
                                         target_date=episode.admitted_on + 45 * DAY)
    with pytest.raises(ValidationError) as err:
        clinic.plans.sign(edit.plan.id, expected_version=edit.plan.version, client_signature_name="Marisol Q",
                          client_signed_on=clock.today())
    assert err.value.field == "interventions" and "negative screens" in str(err.value)
    assert clinic.plans.get(plan.id).status == "draft"


def test_signed_plan_cannot_be_edited_only_revised(admitted_client):
    """Once signed by clinician and client, every edit is refused with a pointer to revising."""
    clinic, _, episode = admitted_client
    plan = signed_plan(clinic, episode)
    assert plan.status == "signed" and plan.clinician_signed_by == "Cleo Clinician"
    assert plan.client_signature_name == "Marisol Quintana-Reyes" and plan.content_hash
    objective = plan.objectives[0]
    attempts = [
        lambda: clinic.plans.add_problem(plan.id, expected_version=plan.version, statement="Housing"),
        lambda: clinic.plans.update_objective(objective.id, expected_version=plan.version, statement="x"),
        lambda: clinic.plans.remove_objective(objective.id, expected_version=plan.version),
        lambda: clinic.plans.add_intervention(objective.id, expected_version=plan.version, modality="CBT",
                                              frequency="weekly", responsible="clinician"),
        lambda: clinic.plans.update_details(plan.id, expected_version=plan.version, strengths="new"),
        lambda: clinic.plans.sign(plan.id, expected_version=plan.version, client_signature_name="M",
                                  client_signed_on=clock.today()),
    ]
    for attempt in attempts:
        with pytest.raises(RecordLocked, match="revise the plan"):
            attempt()
    assert clinic.plans.get(plan.id) == plan
    revision, _ = clinic.plans.revise(plan.id)
    assert (revision.status, revision.plan_version, revision.previous_id) == ("draft", 2, plan.id)


def test_revision_keeps_the_signed_version_unchanged(admitted_client):
    """Revising copies v1 into draft v2 (objectives keep their lineage); signing v2 supersedes v1,
    whose content and signature hash stay exactly as signed."""
    clinic, _, episode = admitted_client
    v1 = signed_plan(clinic, episode)
    v2, _ = clinic.plans.revise(v1.id)
    assert [o.lineage for o in v2.objectives] == [o.lineage for o in v1.objectives]
    assert {o.id for o in v2.objectives}.isdisjoint({o.id for o in v1.objectives})
    edit, _ = clinic.plans.update_objective(v2.objectives[0].id, expected_version=v2.version,
                                            statement="Attend every scheduled session this month.")
    edit, _ = clinic.plans.remove_objective(v2.objectives[1].id, expected_version=edit.plan.version)
    assert clinic.plans.get(v1.id) == v1
    signed, _ = clinic.plans.sign(edit.plan.id, expected_version=edit.plan.version,
                                  client_signature_name="Marisol Quintana-Reyes", client_signed_on=clock.today())
    old = clinic.plans.get(v1.id)
    assert old.status == "superseded"
    assert (old.content_hash, old.problems, old.clinician_signed_at) == (v1.content_hash, v1.problems,
                                                                        v1.clinician_signed_at)
    assert clinic.plans.current_plan(episode.id).id == signed.id
    assert [o.statement for o in signed.objectives] == ["Attend every scheduled session this month."]
    assert [(v, s) for _, v, s, _ in clinic.plans.versions(episode.id)] == [(1, "superseded"), (2, "signed")]


def test_review_requires_a_rating_for_every_objective(admitted_client):
    """A review that leaves an objective unrated is refused naming that objective; nothing is saved."""
    clinic, _, episode = admitted_client
    plan = signed_plan(clinic, episode)
    first, second = plan.objectives
    with pytest.raises(ValidationError) as err:
        clinic.plans.record_review(plan.id, reviewed_on=clock.today(), summary="Steady progress.",
                                   progress={first.id: ("some_progress", "Attends most days")},
                                   expected_version=plan.version)
    assert err.value.field == f"progress.{second.id}" and "Name five triggers" in str(err.value)
    with pytest.raises(ValidationError) as err:
        clinic.plans.record_review(plan.id, reviewed_on=clock.today(), summary="Steady progress.",
                                   progress={first.id: "great", second.id: "met"}, expected_version=plan.version)
    assert err.value.field == f"progress.{first.id}"
    assert PlanReview.select().count() == 0 and ObjectiveProgress.select().count() == 0


def test_review_pulls_in_notes_that_addressed_each_objective(admitted_client):
    """The review draft lists, per objective, the notes that addressed it and the PHQ-9 trend
    since admission; the signed review rates each objective and sets the next review date."""
    clinic, client, episode = admitted_client
    plan = signed_plan(clinic, episode)
    attend, triggers = plan.objectives
    sections = {"data": "Discussed attendance.", "assessment": "Engaged.", "plan": "Continue."}
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today() - 5 * DAY, minutes=50,
                                        sections=sections, objective_ids=[attend.id])
    clinic.notes.sign(note.id, note.version)
    draft, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                         service_date=clock.today() - 2 * DAY, minutes=45,
                                         sections={"data": "Trigger list started."},
                                         objective_ids=[attend.id, triggers.id])
    clinic.measures.record(client.id, "PHQ-9", administered_on=episode.admitted_on, answers=PHQ9_MODERATE)
    clinic.measures.record(client.id, "PHQ-9", administered_on=clock.today() - DAY, answers=PHQ9_MILD)

    review = clinic.plans.start_review(plan.id, clock.today())
    assert review.since == episode.admitted_on
    by_objective = {o.objective_id: o for o in review.objectives}
    assert [(n.note_id, n.status) for n in by_objective[attend.id].notes] == [(note.id, "signed"),
                                                                              (draft.id, "draft")]
    assert [n.note_id for n in by_objective[triggers.id].notes] == [draft.id]
    assert by_objective[attend.id].goal == "Achieve and keep abstinence from opioids."
    (phq9,) = review.measures
    assert (phq9.measure, phq9.first.total, phq9.last.total, phq9.change) == ("PHQ-9", 11, 6, -5)

    saved, changes = clinic.plans.record_review(
        plan.id, reviewed_on=clock.today(), summary="Attending; mood improving.",
        progress={attend.id: ("significant_progress", "4 of 5 days"), triggers.id: ("some_progress", "")},
        expected_version=review.version)
    assert [(p.statement, p.rating) for p in saved.progress] == [
        (attend.statement, "significant_progress"), (triggers.statement, "some_progress")]
    assert saved.next_review_on == clock.today() + 30 * DAY and saved.signed_at and saved.content_hash
    assert changes.touches("review")
    assert clinic.plans.start_review(plan.id).since == clock.today() + DAY
    with pytest.raises(ValidationError) as err:
        clinic.plans.record_review(plan.id, reviewed_on=clock.today(), summary="again",
                                   progress={attend.id: "met", triggers.id: "met"}, expected_version=plan.version)
    assert err.value.field == "reviewed_on"


def test_initial_plan_due_seven_days_after_admission(admitted_client):
    """No plan is due six days after admission; on day seven the initial plan is due, after that
    overdue; once signed, the next thing due is the 30-day review."""
    clinic, client, episode = admitted_client
    admitted = episode.admitted_on
    assert clinic.plans.plans_due(on=admitted + 6 * DAY) == []
    (due,) = clinic.plans.plans_due(on=admitted + 7 * DAY, clinician="clinician")
    assert (due.kind, due.client_id, due.due_on, due.overdue) == ("initial_plan", client.id, admitted + 7 * DAY,
                                                                 False)
    assert due.target == f"episode:{episode.id}/plan" and due.client_name == "Marisol Quintana-Reyes"
    plan, _ = clinic.plans.create_initial(episode.id)
    (due,) = clinic.plans.plans_due(on=admitted + 8 * DAY)
    assert due.overdue and due.target == f"plan:{plan.id}"
    assert clinic.plans.plans_due(on=admitted + 8 * DAY, clinician="supervisor") == []
    TreatmentPlan.delete().execute()
    signed = signed_plan(clinic, episode)
    assert clinic.plans.plans_due(on=admitted + 29 * DAY) == []
    (due,) = clinic.plans.plans_due(on=admitted + 30 * DAY)
    assert (due.kind, due.record_id, due.due_on) == ("plan_review", signed.id, admitted + 30 * DAY)


def test_a_failed_edit_leaves_the_plan_as_it_was(admitted_client, monkeypatch):
    """If the audit write of an edit fails, neither the objective nor the version bump is kept."""
    clinic, _, episode = admitted_client
    plan = draft_plan(clinic, episode)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        clinic.plans.add_objective(plan.goals[0].id, expected_version=plan.version, statement="Sleep 7 hours",
                                   target_date=clock.today())
    monkeypatch.undo()
    assert PlanObjective.select().count() == 2
    assert clinic.plans.get(plan.id).version == plan.version


def test_a_biller_cannot_read_or_write_a_plan(admitted_client):
    """Treatment plans are clinical narrative: a biller can neither open nor change one."""
    clinic, _, episode = admitted_client
    plan, _ = clinic.plans.create_initial(episode.id)
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.plans.get(plan.id)
    with pytest.raises(PermissionDenied):
        clinic.plans.add_problem(plan.id, expected_version=plan.version, statement="x")
