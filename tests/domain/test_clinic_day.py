"""One client's whole stay, as the clinic lives it: screened, admitted, planned, in group, reviewed,
stepped down and discharged — every step through the `Clinic` services."""

from __future__ import annotations

import datetime as dt

from iopdesk.kernel import clock
from iopdesk.models import Discharge, Episode, GroupEnrollment
from iopdesk.services.groups.service import AttendanceEntry, ClientSection
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_attendance_rules import LAST_MONDAY, as_system

DAY = dt.timedelta(days=1)
TODAY = clock.today()
PHQ9_AT_ADMISSION = [2, 2, 1, 2, 1, 1, 1, 1, 0]   # 11, moderate
PHQ9_AT_REVIEW = [1, 1, 1, 1, 1, 0, 0, 1, 0]      # 6, mild


def test_a_clients_stay_from_screening_to_signed_discharge(staffed_clinic):
    """Register, screen, admit, sign a plan, attend groups with signed notes on the objectives,
    two PHQ-9s, a review that pulls both in, a step-down to 3 days, and a signed discharge whose
    summary shows the counts, attendance rate, first vs last PHQ-9 and progress per goal."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    admitted_on = LAST_MONDAY - 7 * DAY

    # Intake: registered and screened; IOP is the suggested level.
    client, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana-Reyes", dob="1991-04-12")
    screening, _ = clinic.intake.screen(client.id, assessed_on=admitted_on, d1=1, d2=0, d3=2, d4=2, d5=3, d6=2,
                                        comments="Daily opioid use until two weeks ago; no withdrawal signs.")
    assert (screening.recommended_level, screening.routes_to_higher_level) == ("2.1", False)
    episode, _ = clinic.episodes.admit(client.id, admitted_on=admitted_on, track_code="substance_use",
                                       level=screening.recommended_level, primary_clinician="clinician")
    clinic.episodes.add_diagnosis(episode.id, code="F11.20", description="Opioid dependence", primary=True,
                                  noted_on=admitted_on)
    clinic.measures.record(client.id, "PHQ-9", administered_on=admitted_on, answers=PHQ9_AT_ADMISSION)

    # The initial plan, written and signed within the week.
    plan, _ = clinic.plans.create_initial(episode.id)
    edit, _ = clinic.plans.add_problem(plan.id, expected_version=plan.version, diagnosis_code="F11.20",
                                       statement="Opioid use has cost her a job and strained her family.")
    edit, _ = clinic.plans.add_goal(edit.element_id, expected_version=edit.plan.version,
                                    statement="Stay abstinent from opioids.")
    goal_id, objective_ids = edit.element_id, []
    for statement in ("Attend at least 90% of scheduled IOP groups.", "Name five triggers and a coping response."):
        edit, _ = clinic.plans.add_objective(goal_id, expected_version=edit.plan.version, statement=statement,
                                             target_date=admitted_on + 30 * DAY)
        objective_ids.append(edit.element_id)
        edit, _ = clinic.plans.add_intervention(edit.element_id, expected_version=edit.plan.version,
                                                modality="Group psychotherapy", frequency="5 days a week",
                                                responsible="clinician")
    plan, _ = clinic.plans.sign(plan.id, expected_version=edit.plan.version,
                                client_signature_name="Marisol Quintana-Reyes", client_signed_on=admitted_on + 3 * DAY)
    assert plan.status == "signed" and clinic.plans.plans_due(on=admitted_on + 8 * DAY) == []

    # Groups last week: present Monday to Wednesday with signed notes, absent Thursday.
    with as_system(clinic):
        group, _ = clinic.groups.define_group("Morning IOP", "process", facilitators=["clinician"],
                                              schedule=[(d, "09:00") for d in range(5)])
        sessions, _ = clinic.groups.generate_sessions(group.id, LAST_MONDAY, LAST_MONDAY + 3 * DAY)
    clinic.groups.enroll(group.id, client.id, admitted_on)
    for number, session in enumerate(sessions[:3]):
        clinic.groups.save_session(
            session.id, topic=f"Coping skills, part {number + 1}", modality="CBT",
            shared_note="Members practised urge surfing and named high-risk situations.",
            attendance=[AttendanceEntry(client.id, "present")],
            sections=[ClientSection(client.id, {
                "participation": f"Shared {number + 2} triggers with the group.", "response": "Engaged.",
                "progress": "Building her trigger list.", "risk": "None noted.", "plan": "Practise urge surfing."},
                tuple(objective_ids))])
        result, _ = clinic.groups.sign_all(session.id)
        assert result.signed == [client.id]
    clinic.groups.record_attendance(sessions[3].id, client.id, "absent_unexcused")
    clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - DAY, answers=PHQ9_AT_REVIEW)

    # The review pulls in those notes and the PHQ-9 trend; every objective is rated and signed.
    draft = clinic.plans.start_review(plan.id, TODAY)
    assert [len(o.notes) for o in draft.objectives] == [3, 3]
    assert {n.status for o in draft.objectives for n in o.notes} == {"signed"}
    (phq9,) = draft.measures
    assert (phq9.first.total, phq9.last.total) == (11, 6)
    review, _ = clinic.plans.record_review(
        plan.id, reviewed_on=TODAY, expected_version=draft.version, summary="Engaged; mood lifting.",
        progress={objective_ids[0]: ("some_progress", "3 of 4 groups"), objective_ids[1]: ("met", "Five named")})
    assert review.next_review_on == TODAY + 30 * DAY

    # Stepped down to three days a week.
    stepped, _ = clinic.episodes.change_level(episode.id, effective_on=TODAY, level="2.1", days_per_week=3,
                                              schedule_days=["MON", "WED", "FRI"], reason="Stable, engaged",
                                              expected_version=episode.version)
    assert [h[3] for h in clinic.episodes.level_history(episode.id)] == [5, 3]

    # Discharge: the summary comes from the record; the clinician adds aftercare and signs.
    discharge, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    summary = discharge.summary
    assert (summary.admitted_on, summary.discharged_on) == (admitted_on, TODAY)
    assert [d.code for d in summary.diagnoses_at_admission] == [d.code for d in summary.diagnoses_at_discharge] == [
        "F11.20"]
    services = summary.services
    assert (services.group_sessions_attended, services.group_sessions_scheduled, services.attendance_rate) == (
        3, 4, 0.75)
    (measure,) = summary.measures
    assert (measure.measure, measure.first_total, measure.last_total, measure.change) == ("PHQ-9", 11, 6, -5)
    (goal,) = summary.goals
    assert goal.goal == "Stay abstinent from opioids."
    assert [o.rating for o in goal.objectives] == ["some_progress", "met"]
    discharge, _ = clinic.discharge.add_referral(discharge.id, expected_version=discharge.version,
                                                 provider="Riverside Outpatient Counseling",
                                                 service="Weekly outpatient counseling",
                                                 appointment_on=TODAY + 5 * DAY, barriers="Work schedule")
    discharge, _ = clinic.discharge.update_summary_text(discharge.id, expected_version=discharge.version,
                                                        aftercare="Outpatient weekly; alumni group Thursdays.")
    signed, _ = clinic.discharge.sign(discharge.id, expected_version=discharge.version)

    assert signed.status == "signed" and signed.referrals[0].barriers == "Work schedule"
    assert Episode.get_by_id(episode.id).status == "discharged"
    assert GroupEnrollment.get().ended_on == TODAY
    assert Discharge.select().count() == 1 and clinic.discharge.summaries_due() == []
