"""Merging a client registered twice into one chart: every record moves, signed ones stay
sealed and checked, the old MRN still finds the chart, and what needs a clinician is refused."""

from __future__ import annotations

import datetime as dt
import uuid

import peewee
import pytest

from iopdesk.errors import PermissionDenied, RecordLocked, ValidationError
from iopdesk.kernel.formats import date_text
from iopdesk.models import AuditEvent, Client, Consent, Episode, MeasureSchedule, Note
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_backup import YESTERDAY, write_note


def _register_twice(clinic):
    """Marisol registered at intake, and again by a second front desk that missed the warning."""
    clinic.login("clinician", ADMIN_PASSWORD)
    first, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana", dob="1991-04-12", sex="F")
    again, _ = clinic.clients.register(legal_first="Marisol", legal_last="Quintana", dob="1991-04-12", sex="F",
                                       allow_duplicate=True)
    return first, again


def _uuid(summary) -> uuid.UUID:
    return uuid.UUID(summary.id)


def _admit(clinic, client_id, days_ago: int):
    episode, _ = clinic.episodes.admit(client_id, admitted_on=YESTERDAY - dt.timedelta(days=days_ago),
                                       track_code="substance_use", level="2.1", primary_clinician="clinician")
    return episode


def test_an_admin_merges_a_duplicate_chart_and_every_record_moves_with_signed_notes_still_sealed(staffed_clinic):
    clinic = staffed_clinic
    first, again = _register_twice(clinic)
    episode = _admit(clinic, again.id, days_ago=7)
    signed = write_note(clinic, again.id)
    clinic.login("admin", ADMIN_PASSWORD)

    assert clinic.client_merge.candidates() == [(first.mrn, again.mrn)]
    plan = clinic.client_merge.preview(first.mrn, again.mrn)
    assert plan.can_merge
    assert plan.moves == {"episodes of care": 1, "notes": 1}
    assert (plan.keep.note_count, plan.merge.note_count) == (0, 1)
    assert Note.get_by_id(signed.id).client_id == _uuid(again)  # a dry run changes nothing

    clinic.client_merge.merge(first.mrn, again.mrn)

    assert Note.get_by_id(signed.id).client_id == _uuid(first)
    assert Episode.get_by_id(episode.id).client_id == _uuid(first)
    merged = Client.get_by_id(_uuid(again))
    assert merged.merged_into_id == _uuid(first) and merged.merged_at is not None
    found = clinic.clients.by_mrn(again.mrn)
    assert (found.id, found.mrn, found.merged_from) == (first.id, first.mrn, again.mrn)
    assert [row.mrn for row in clinic.clients.search(again.mrn)] == [first.mrn]
    assert [row.mrn for row in clinic.clients.search("Quintana")] == [first.mrn]
    assert [row.mrn for row in clinic.clients.named([again.id, first.id])] == [first.mrn]  # recent charts
    assert clinic.client_merge.candidates() == []
    event = AuditEvent.select().where(AuditEvent.action == "merge").get()
    assert (event.detail["kept_mrn"], event.detail["merged_mrn"]) == (first.mrn, again.mrn)
    report = clinic.check()
    assert report.ok, report.lines


def test_a_signed_note_is_never_moved_to_a_chart_it_was_not_merged_into(staffed_clinic):
    """The guards allow the client of a signed note to change only along a merge."""
    clinic = staffed_clinic
    first, again = _register_twice(clinic)
    other, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03")
    _admit(clinic, again.id, days_ago=7)
    signed = write_note(clinic, again.id)
    clinic.login("admin", ADMIN_PASSWORD)
    clinic.client_merge.merge(first.mrn, again.mrn)
    with pytest.raises((RecordLocked, peewee.DatabaseError)):
        with clinic.db.atomic():
            Note.update(client=_uuid(other)).where(Note.id == signed.id).execute()
    assert Note.get_by_id(signed.id).client_id == _uuid(first)


def test_two_active_episodes_are_refused_in_words_and_nothing_changes(staffed_clinic):
    clinic = staffed_clinic
    first, again = _register_twice(clinic)
    _admit(clinic, first.id, days_ago=10)
    _admit(clinic, again.id, days_ago=3)
    clinic.login("admin", ADMIN_PASSWORD)
    plan = clinic.client_merge.preview(first.mrn, again.mrn)
    assert not plan.can_merge
    with pytest.raises(ValidationError, match="both charts have an active episode of care") as refused:
        clinic.client_merge.merge(first.mrn, again.mrn)
    assert refused.value.field == "merge"
    assert Client.get_by_id(_uuid(again)).merged_into_id is None
    assert Episode.select().where(Episode.client == _uuid(again)).count() == 1


def test_a_measure_both_charts_schedule_keeps_the_kept_charts_schedule(staffed_clinic):
    clinic = staffed_clinic
    first, again = _register_twice(clinic)
    clinic.consents.record(again.id, discloser="Riverside IOP", information="attendance and progress",
                           recipient="Dr. Lee", purpose="care coordination", revocation_acknowledged=True,
                           signed_by="Marisol Quintana", signed_on=YESTERDAY, expires_on=YESTERDAY + dt.timedelta(days=365))
    clinic.login("admin", ADMIN_PASSWORD)
    for client, due in ((first, 3), (again, 9)):
        MeasureSchedule.create(client=_uuid(client), measure="PHQ-9", every_days=14,
                               next_due_on=YESTERDAY + dt.timedelta(days=due))
    MeasureSchedule.create(client=_uuid(again), measure="GAD-7", every_days=14, next_due_on=YESTERDAY)
    plan = clinic.client_merge.preview(first.mrn, again.mrn)
    assert any("PHQ-9" in line for line in plan.merged_away)
    clinic.client_merge.merge(first.mrn, again.mrn)
    kept = {row.measure: row.next_due_on for row in MeasureSchedule.select().where(
        MeasureSchedule.client == _uuid(first))}
    assert kept == {"PHQ-9": YESTERDAY + dt.timedelta(days=3), "GAD-7": YESTERDAY}
    assert Consent.select().where(Consent.client == _uuid(first)).count() == 1
    report = clinic.check()
    assert report.ok, report.lines


def test_only_an_administrator_merges_charts(staffed_clinic):
    clinic = staffed_clinic
    first, again = _register_twice(clinic)
    with pytest.raises(PermissionDenied):
        clinic.client_merge.merge(first.mrn, again.mrn)


def test_attendance_in_one_session_and_two_current_mat_medications_are_named_for_a_clinician(staffed_clinic):
    """Both charts came to yesterday's morning group and both have buprenorphine running: the merge
    names the session and the two medications, and changes nothing."""
    from iopdesk.kernel import clock
    from iopdesk.models import Medication, Staff
    from tests.domain.test_groups import define_daily_group

    clinic = staffed_clinic
    group = define_daily_group(clinic)
    yesterday = clock.today() - dt.timedelta(days=1)
    morning = clinic.groups.generate_sessions(group.id, yesterday, yesterday)[0][0]
    first, again = _register_twice(clinic)
    prescriber = Staff.get(Staff.username == "prescriber")
    for client in (first, again):
        episode = _admit(clinic, client.id, days_ago=3)
        clinic.groups.enroll(group.id, client.id, episode.admitted_on)
        clinic.groups.record_attendance(morning.id, client.id, "present")
        Medication.create(client=_uuid(client), drug="buprenorphine", is_mat=True, prescriber=prescriber,
                          started_on=YESTERDAY)
    Episode.update(status="discharged", discharged_on=YESTERDAY).where(Episode.client == _uuid(first)).execute()
    clinic.login("admin", ADMIN_PASSWORD)
    problems = clinic.client_merge.preview(first.mrn, again.mrn).problems
    assert problems == (
        f"both charts have attendance in the Morning process group session of {date_text(yesterday)}; "
        "a clinician keeps one and removes the other.",
        "both charts have a current MAT medication (buprenorphine and buprenorphine); a prescriber stops one first.",
    )
    with pytest.raises(ValidationError, match="Morning process group"):
        clinic.client_merge.merge(first.mrn, again.mrn)
    assert Client.get_by_id(_uuid(again)).merged_into_id is None
