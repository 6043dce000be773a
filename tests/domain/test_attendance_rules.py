"""Attendance rules: weekly hours against the level's minimum, absences in a row, gaps, and stays
past their expected length — each flag saying why."""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest

from iopdesk.kernel import clock
from iopdesk.permissions import SYSTEM

DAY = dt.timedelta(days=1)
TODAY = clock.today()
LAST_MONDAY = TODAY - dt.timedelta(days=TODAY.weekday() + 7)   # start of the last complete week


@contextmanager
def as_system(clinic):
    """Set-up steps (defining groups) done as the system, without another sign-in."""
    actor, clinic.actor = clinic.actor, SYSTEM
    try:
        yield
    finally:
        clinic.actor = actor


def weekday_group(clinic, client, episode, name="Morning IOP group"):
    """A three-hour group every weekday since admission with the client enrolled; returns
    {date: session id}."""
    with as_system(clinic):
        group, _ = clinic.groups.define_group(name, "process", default_minutes=180, facilitators=["clinician"],
                                              schedule=[(d, "09:00") for d in range(5)])
        sessions, _ = clinic.groups.generate_sessions(group.id, episode.admitted_on, TODAY)
    clinic.groups.enroll(group.id, client.id, episode.admitted_on)
    return group, {s.session_date: s.id for s in sessions}


def attend(clinic, client, sessions, days, status="present"):
    for day in days:
        clinic.groups.record_attendance(sessions[day], client.id, status)


def test_under_nine_hours_a_week_is_flagged_for_iop(admitted_client):
    """Two three-hour days last week is 6 hours, under IOP's 9: flagged with the numbers, and the
    client shows on the clinician's under-minimum list; a third day clears it."""
    clinic, client, episode = admitted_client
    _, sessions = weekday_group(clinic, client, episode)
    attend(clinic, client, sessions, [LAST_MONDAY, LAST_MONDAY + DAY])
    week = clinic.attendance.hours_by_week(episode.id, 2)[0]
    assert (week.week_start, week.hours, week.days_attended, week.level, week.min_hours) == (
        LAST_MONDAY, 6, 2, "2.1", 9)
    assert week.under_minimum and week.complete
    this_monday = LAST_MONDAY + 7 * DAY
    flags = [f for f in clinic.attendance.flags(episode.id, on=this_monday) if f.kind == "under_minimum"]
    assert len(flags) == 1 and "6 hours" in flags[0].reason and "level 2.1" in flags[0].reason
    assert "at least 9" in flags[0].reason and flags[0].since == LAST_MONDAY
    (item,) = clinic.attendance.clients_under_minimum(clinician="clinician")
    assert (item.client_id, item.mrn, item.target) == (client.id, client.mrn, f"client:{client.id}/attendance")
    assert clinic.attendance.clients_under_minimum(clinician="supervisor") == []
    attend(clinic, client, sessions, [LAST_MONDAY + 2 * DAY])
    assert not [f for f in clinic.attendance.flags(episode.id, on=this_monday) if f.kind == "under_minimum"]
    assert clinic.attendance.clients_under_minimum() == []


def test_three_absences_in_a_row_are_flagged(admitted_client):
    """Present on Monday, then absent Tuesday to Thursday: three scheduled days in a row; two are not."""
    clinic, client, episode = admitted_client
    _, sessions = weekday_group(clinic, client, episode)
    attend(clinic, client, sessions, [LAST_MONDAY])
    attend(clinic, client, sessions, [LAST_MONDAY + DAY], "absent_excused")
    attend(clinic, client, sessions, [LAST_MONDAY + 2 * DAY], "absent_unexcused")
    on = LAST_MONDAY + 3 * DAY
    assert "absent_in_a_row" not in {f.kind for f in clinic.attendance.flags(episode.id, on=on)}
    attend(clinic, client, sessions, [on], "absent_unexcused")
    (flag,) = [f for f in clinic.attendance.flags(episode.id, on=on) if f.kind == "absent_in_a_row"]
    assert flag.reason.startswith("Absent 3 scheduled days in a row") and flag.since == LAST_MONDAY + DAY


def test_a_gap_over_three_days_and_a_stay_past_eight_weeks_are_flagged(admitted_client):
    """Four days without an attended session breaks the no-gap-over-3-days rule; after the expected
    eight weeks the stay is flagged too."""
    clinic, client, episode = admitted_client
    _, sessions = weekday_group(clinic, client, episode)
    attend(clinic, client, sessions, [LAST_MONDAY])
    assert "gap" not in {f.kind for f in clinic.attendance.flags(episode.id, on=LAST_MONDAY + 3 * DAY)}
    (gap,) = [f for f in clinic.attendance.flags(episode.id, on=LAST_MONDAY + 4 * DAY) if f.kind == "gap"]
    assert "No attended session for 4 days" in gap.reason and gap.since == LAST_MONDAY
    late = episode.admitted_on + dt.timedelta(weeks=8, days=1)
    (past,) = [f for f in clinic.attendance.flags(episode.id, on=late) if f.kind == "past_expected_length"]
    assert "expected length was 8 weeks" in past.reason


def test_stepping_down_to_three_days_keeps_the_weekly_minimum(admitted_client):
    """After a step-down from 5 to 3 days a week, the week is judged once its last scheduled day
    (Friday) has come: two days (6 hours) are then under IOP's 9, and three days meet it."""
    clinic, client, episode = admitted_client
    _, sessions = weekday_group(clinic, client, episode)
    stepped, _ = clinic.episodes.change_level(
        episode.id, effective_on=LAST_MONDAY, level="2.1", days_per_week=3, schedule_days=["MON", "WED", "FRI"],
        reason="Stable attendance, negative screens", expected_version=episode.version)
    assert stepped.days_per_week == 3
    attend(clinic, client, sessions, [LAST_MONDAY, LAST_MONDAY + 2 * DAY])

    def under(on):
        return [f for f in clinic.attendance.flags(episode.id, on=on)
                if f.kind == "under_minimum" and f.since == LAST_MONDAY]

    assert under(LAST_MONDAY + 3 * DAY) == []
    assert len(under(LAST_MONDAY + 4 * DAY)) == 1
    attend(clinic, client, sessions, [LAST_MONDAY + 4 * DAY])
    assert under(LAST_MONDAY + 4 * DAY) == []
    week = clinic.attendance.hours_by_week(episode.id, 2)[0]
    assert (week.hours, week.days_attended, week.under_minimum) == (9, 3, False)


@pytest.mark.parametrize("dob, flagged", [("2010-03-01", False), ("1991-04-12", True)])
def test_adolescents_have_a_lower_iop_minimum(staffed_clinic, dob, flagged):
    """Six hours a week meets the adolescent IOP minimum (6) but not the adult one (9)."""
    from tests.conftest import ADMIN_PASSWORD

    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = clinic.clients.register(legal_first="Jo", legal_last="Young", dob=dob)
    episode, _ = clinic.episodes.admit(client.id, admitted_on=TODAY - 14 * DAY, track_code="substance_use",
                                       primary_clinician="clinician")
    _, sessions = weekday_group(clinic, client, episode)
    attend(clinic, client, sessions, [LAST_MONDAY, LAST_MONDAY + DAY])
    week = clinic.attendance.hours_by_week(episode.id, 2)[0]
    assert week.under_minimum is flagged
    assert bool(clinic.attendance.clients_under_minimum()) is flagged
