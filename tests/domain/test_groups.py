"""Setting up therapy groups: defining them, generating their sessions, enrolling clients, the roster."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.audit import chain as audit
from iopdesk.errors import NotFound, PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.kernel.ids import new_id
from iopdesk.models import (
    GroupEnrollment,
    GroupSession,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    SessionFacilitator,
    TherapyGroup,
    TreatmentPlan,
)
from tests.conftest import ADMIN_PASSWORD

MONDAY = dt.date(2026, 11, 2)


def give_plan(client_id, episode_id, statements, *, version=1, inactive=()) -> list[str]:
    """Write a treatment plan with one problem, one goal and these objectives (standing in for
    the plan service, which is not under test here); returns the objective ids."""
    with TreatmentPlan._meta.database.atomic():
        return _write_plan(client_id, episode_id, statements, version, inactive)


def _write_plan(client_id, episode_id, statements, version, inactive) -> list[str]:
    plan = TreatmentPlan.create(episode=episode_id, client=client_id, plan_version=version, status="signed",
                                effective_on=clock.today() - dt.timedelta(days=10))
    problem = PlanProblem.create(plan=plan, statement="Opioid use disorder, in early remission")
    goal = PlanGoal.create(problem=problem, statement="Sustain recovery")
    ids = []
    for position, statement in enumerate(statements):
        row = PlanObjective.create(goal=goal, position=position, statement=statement, lineage=new_id(),
                                   target_date=clock.today() + dt.timedelta(days=30),
                                   status="discontinued" if statement in inactive else "active")
        ids.append(str(row.id))
    return ids


def admit(clinic, first, last, *, preferred="", days_ago=14):
    """Register and admit a client (the clinician is signed in); returns (client, episode)."""
    client, _ = clinic.clients.register(legal_first=first, legal_last=last, dob="1988-06-01",
                                        preferred_name=preferred)
    episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=days_ago),
                                       track_code="substance_use", primary_clinician="clinician")
    return client, episode


def define_daily_group(clinic, name="Morning process group", facilitators=("clinician", "intern")):
    """The supervisor defines a group meeting every day 09:00–12:00; the clinician is signed in after."""
    clinic.login("supervisor", ADMIN_PASSWORD)
    group, _ = clinic.groups.define_group(
        name, "process", default_minutes=180, billing_code="90853", facilitators=list(facilitators),
        schedule=[(day, "09:00") for day in range(7)])
    return group


@pytest.fixture
def supervisor_clinic(staffed_clinic):
    staffed_clinic.login("supervisor", ADMIN_PASSWORD)
    return staffed_clinic


def test_defining_a_group_records_its_facilitators_and_weekly_schedule(supervisor_clinic):
    """A relapse-prevention group meets Mon/Wed/Fri at 09:00 for three hours, led by Cleo with Ira."""
    group, changes = supervisor_clinic.groups.define_group(
        "Relapse prevention", "relapse_prevention", default_minutes=180, billing_code="h0015",
        facilitators=["clinician", "intern"], schedule=[("MON", "09:00"), (2, "09:00"), ("fri", "13:00", 90)])
    assert changes.touches("group")
    assert group.facilitators == ("clinician", "intern") and group.billing_code == "H0015"
    assert [(s.day, s.starts_at, s.minutes) for s in group.schedule] == [
        ("MON", dt.time(9), 180), ("WED", dt.time(9), 180), ("FRI", dt.time(13), 90)]
    assert group.site_code == "MAIN" and supervisor_clinic.groups.get_group(group.id) == group


def test_a_clinician_cannot_define_a_group(staffed_clinic):
    """Defining groups is for supervisors and administrators."""
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        staffed_clinic.groups.define_group("Skills", "cbt_dbt_skills", facilitators=["clinician"],
                                           schedule=[("TUE", "10:00")])
    assert TherapyGroup.select().count() == 0


@pytest.mark.parametrize("change, field", [
    ({"name": " "}, "name"),
    ({"group_type": "yoga"}, "group_type"),
    ({"default_minutes": 5}, "default_minutes"),
    ({"billing_code": "9085"}, "billing_code"),
    ({"facilitators": []}, "facilitators"),
    ({"facilitators": ["biller"]}, "facilitators"),
    ({"facilitators": ["nobody"]}, "facilitators"),
    ({"schedule": []}, "schedule"),
    ({"schedule": [("FUNDAY", "09:00")]}, "schedule"),
    ({"schedule": [(7, "09:00")]}, "schedule"),
    ({"schedule": [("MON", "9 o'clock")]}, "schedule"),
    ({"schedule": [("MON", "22:00", 180)]}, "schedule"),
    ({"schedule": [("MON", "09:00"), (0, "09:00")]}, "schedule"),
    ({"site_code": "NOPE"}, "site_code"),
])
def test_a_group_definition_with_bad_input_is_refused_naming_the_field(supervisor_clinic, change, field):
    """Each bad field is refused with its name; no group is saved."""
    values = {"name": "Process", "group_type": "process", "default_minutes": 180, "billing_code": "90853",
              "facilitators": ["clinician"], "schedule": [("MON", "09:00")], **change}
    with pytest.raises(ValidationError) as err:
        supervisor_clinic.groups.define_group(values.pop("name"), values.pop("group_type"), **values)
    assert err.value.field == field
    assert TherapyGroup.select().count() == 0


def test_a_second_active_group_with_the_same_name_is_refused(supervisor_clinic):
    """Two 'Process group's at one site would be confused on the schedule."""
    supervisor_clinic.groups.define_group("Process group", "process", facilitators=["clinician"],
                                          schedule=[("MON", "09:00")])
    with pytest.raises(ValidationError) as err:
        supervisor_clinic.groups.define_group("process GROUP", "process", facilitators=["clinician"],
                                              schedule=[("TUE", "09:00")])
    assert err.value.field == "name"


def test_generating_sessions_twice_creates_no_duplicates(supervisor_clinic):
    """Two weeks of a Mon/Wed/Fri group make six sessions; running it again over an overlapping
    range adds only the new week's three."""
    groups = supervisor_clinic.groups
    group, _ = groups.define_group("Relapse prevention", "relapse_prevention", facilitators=["clinician", "intern"],
                                   schedule=[("MON", "09:00"), ("WED", "09:00"), ("FRI", "09:00")])
    created, changes = groups.generate_sessions(group.id, MONDAY, MONDAY + dt.timedelta(days=13))
    assert len(created) == 6 and changes.touches("group_session")
    assert {s.session_date.weekday() for s in created} == {0, 2, 4}
    first = created[0]
    assert (first.starts_at, first.ends_at, first.minutes) == (dt.time(9), dt.time(12), 180)
    assert first.lead_facilitator == "Cleo Clinician" and set(first.facilitators) == {"Cleo Clinician", "Ira Intern"}
    again, changes = groups.generate_sessions(group.id, MONDAY + dt.timedelta(days=7), MONDAY + dt.timedelta(days=20))
    assert len(again) == 3 and min(s.session_date for s in again) == MONDAY + dt.timedelta(days=14)
    assert GroupSession.select().count() == 9 and SessionFacilitator.select().count() == 18
    nothing, changes = groups.generate_sessions(group.id, MONDAY, MONDAY + dt.timedelta(days=20))
    assert nothing == [] and not changes
    assert len(groups.sessions(group.id, MONDAY, MONDAY + dt.timedelta(days=20))) == 9


def test_a_reversed_or_overlong_range_is_refused(supervisor_clinic):
    """Generating from a later date to an earlier one, or for more than a year, is refused."""
    group, _ = supervisor_clinic.groups.define_group("Skills", "cbt_dbt_skills", facilitators=["clinician"],
                                                     schedule=[("TUE", "10:00", 90)])
    for last in (MONDAY - dt.timedelta(days=1), MONDAY + dt.timedelta(days=400)):
        with pytest.raises(ValidationError) as err:
            supervisor_clinic.groups.generate_sessions(group.id, MONDAY, last)
        assert err.value.field == "to_date"
    assert GroupSession.select().count() == 0


def test_generating_sessions_is_one_transaction(supervisor_clinic, monkeypatch):
    """If the audit write fails, no session of the range is left behind."""
    group, _ = supervisor_clinic.groups.define_group("Skills", "cbt_dbt_skills", facilitators=["clinician"],
                                                     schedule=[("TUE", "10:00", 90)])

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        supervisor_clinic.groups.generate_sessions(group.id, MONDAY, MONDAY + dt.timedelta(days=30))
    assert GroupSession.select().count() == 0 and SessionFacilitator.select().count() == 0


def test_enrolling_needs_an_open_episode_and_happens_once(admitted_client):
    """Marisol (admitted) is enrolled once; a registered but not admitted client is refused."""
    clinic, client, episode = admitted_client
    group = define_daily_group(clinic)
    clinic.login("clinician", ADMIN_PASSWORD)
    enrolled, changes = clinic.groups.enroll(group.id, client.id, episode.admitted_on)
    assert enrolled.episode_id == episode.id and changes.client_ids == {client.id}
    with pytest.raises(ValidationError) as err:
        clinic.groups.enroll(group.id, client.id, clock.today())
    assert err.value.field == "client_id"
    walk_in, _ = clinic.clients.register(legal_first="Wes", legal_last="Walkin", dob="1970-01-01")
    with pytest.raises(ValidationError) as err:
        clinic.groups.enroll(group.id, walk_in.id, clock.today())
    assert err.value.field == "client_id"
    assert GroupEnrollment.select().count() == 1


def test_enrolment_ends_and_cannot_end_before_it_began(admitted_client):
    """Ending an enrolment keeps it on file with its end date; an end before the start is refused."""
    clinic, client, episode = admitted_client
    group = define_daily_group(clinic)
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.groups.enroll(group.id, client.id, episode.admitted_on - dt.timedelta(days=1))
    assert err.value.field == "enrolled_on"
    clinic.groups.enroll(group.id, client.id, episode.admitted_on)
    with pytest.raises(ValidationError) as err:
        clinic.groups.end_enrollment(group.id, client.id, episode.admitted_on - dt.timedelta(days=1))
    assert err.value.field == "ended_on"
    ended, _ = clinic.groups.end_enrollment(group.id, client.id, clock.today())
    assert ended.ended_on == clock.today()
    with pytest.raises(NotFound):
        clinic.groups.end_enrollment(group.id, client.id, clock.today())


def test_roster_shows_enrolled_clients_with_their_latest_plan_objectives(admitted_client):
    """Yesterday's roster lists Marisol as 'Mari (Marisol) Quintana-Reyes', M.Q., with the active
    objectives of her latest plan; Jordan, who left the group last week, is not on it."""
    clinic, client, episode = admitted_client
    group = define_daily_group(clinic)
    yesterday = clock.today() - dt.timedelta(days=1)
    session = clinic.groups.generate_sessions(group.id, yesterday, yesterday)[0][0]
    clinic.login("clinician", ADMIN_PASSWORD)
    preferred, pref_episode = admit(clinic, "Marisol", "Alvarez", preferred="Mari")
    gone, gone_episode = admit(clinic, "Jordan", "Blackwood")
    for who, ep in ((client, episode), (preferred, pref_episode), (gone, gone_episode)):
        clinic.groups.enroll(group.id, who.id, ep.admitted_on)
    clinic.groups.end_enrollment(group.id, gone.id, clock.today() - dt.timedelta(days=7))
    give_plan(preferred.id, pref_episode.id, ["Old objective"], version=1)
    newer = give_plan(preferred.id, pref_episode.id, ["Attend 3 groups a week", "Name two triggers", "Dropped"],
                      version=2, inactive=("Dropped",))
    roster = clinic.groups.roster(session.id)
    assert [r.display_name for r in roster] == ["Mari (Marisol) Alvarez", "Marisol Quintana-Reyes"]
    mari = roster[0]
    assert mari.initials == "M.A." and mari.mrn.startswith("MAIN-") and mari.status is None
    assert mari.objectives == ((newer[0], "Attend 3 groups a week"), (newer[1], "Name two triggers"))
    assert roster[1].objectives == () and roster[1].note_id is None


def test_a_biller_cannot_read_a_roster(admitted_client):
    """The roster carries plan objectives, which are clinical narrative."""
    clinic, _, _ = admitted_client
    group = define_daily_group(clinic)
    session = clinic.groups.generate_sessions(group.id, clock.today(), clock.today())[0][0]
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.groups.roster(session.id)


def test_the_day_lists_every_group_session_with_its_attendance(admitted_client):
    """Yesterday two groups ran: the clinician's process group (2 of 3 attended, Jordan absent) and
    the supervisor's skills group; both show, by start time, the clinician's marked as theirs."""
    clinic, client, episode = admitted_client
    process = define_daily_group(clinic)
    skills = define_daily_group(clinic, "Afternoon skills group", facilitators=("supervisor",))
    yesterday = clock.today() - dt.timedelta(days=1)
    morning = clinic.groups.generate_sessions(process.id, yesterday, yesterday)[0][0]
    clinic.groups.generate_sessions(skills.id, yesterday, yesterday)
    clinic.login("clinician", ADMIN_PASSWORD)
    mari, mari_episode = admit(clinic, "Mari", "Alvarez")
    jordan, jordan_episode = admit(clinic, "Jordan", "Blackwood")
    for who, ep in ((client, episode), (mari, mari_episode), (jordan, jordan_episode)):
        clinic.groups.enroll(process.id, who.id, ep.admitted_on)
    for who, status in ((client, "present"), (mari, "late_arrival"), (jordan, "absent_excused")):
        extra = {"arrived_at": "09:40"} if status == "late_arrival" else {}
        clinic.groups.record_attendance(morning.id, who.id, status, **extra)

    day = clinic.groups.day_sessions(yesterday)
    assert [d.session.group_name for d in day] == ["Morning process group", "Afternoon skills group"]
    first, second = day
    assert (first.enrolled, first.recorded, first.attended, first.mine) == (3, 3, 2, True)
    assert (second.enrolled, second.recorded, second.attended, second.mine) == (0, 0, 0, False)
    assert second.group_type == "process" and clinic.groups.day_sessions(yesterday - dt.timedelta(days=30)) == []
