"""Billing rules in the clinic's words: IOP days and their minimum, time-based codes, family
codes and modifiers, holds for what cannot be billed yet, and who may run billing."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.models import BillableService, ClinicSetting
from iopdesk.services.billing.rules import billing_rules
from tests.billing_fixtures import (
    DAP,
    DAY,
    admit_client,
    attend_group,
    authorize,
    bill,
    cosign,
    define_group,
    npi_of,
    override_rules,
    setup_payers_and_npis,
    write_note,
)
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_group_session import sections_for


@pytest.fixture
def billing(staffed_clinic):
    """A clinic with payers, staff NPIs and Marisol (Medicare, member id on file) admitted to IOP."""
    setup_payers_and_npis()
    client, episode = admit_client(staffed_clinic)
    return staffed_clinic, client, episode


def codes(run):
    return [(x.code, x.modifiers, x.units, x.minutes) for x in run.lines]


def test_a_3_hour_day_is_one_h0015_unit_and_its_group_line_is_bundled(billing):
    """Marisol attends the whole 09:00–12:00 group with a signed note: one H0015 unit, no 90853 line."""
    clinic, client, episode = billing
    attend_group(clinic, define_group(clinic), [(client, episode)])
    run = bill(clinic)
    assert codes(run) == [("H0015", (), 1, 180)]
    line = run.lines[0]
    assert (line.source, line.note_id, line.rendering_npi, line.place_of_service) == (
        "IOP day", "", npi_of("clinician"), "57")
    assert (line.diagnoses, line.diagnosis_pointer, line.charge_cents) == (("F11.20", "F41.1"), "AB", 27500)
    assert (line.payer_code, line.member_id, line.client_name, line.mrn) == (
        "MCR", "1EG4TE5MK72", "Quintana-Reyes, Marisol", client.mrn)
    assert run.holds == ()
    row = BillableService.get_by_id(line.line_id)
    assert (row.code, row.units, row.minutes, row.charge_cents, row.line_hash is not None) == ("H0015", 1, 180, 27500, True)


def test_a_2_h_50_min_iop_day_is_not_an_h0015_day_and_medicare_bills_the_group_instead(billing):
    """Marisol arrives at 09:10: 170 minutes is under the 3 h minimum; her payer bills discrete 90853 HQ."""
    clinic, client, episode = billing
    attend_group(clinic, define_group(clinic), [(client, episode)], arrived="09:10")
    run = bill(clinic)
    assert codes(run) == [("90853", ("HQ",), 1, 170)]
    assert run.lines[0].source == "group attendance" and run.lines[0].note_status == "signed"
    [hold] = run.holds
    assert hold.what == "H0015 IOP day, 2 h 50 min"
    assert "under the 3 h minimum" in hold.reason and "discrete" in hold.reason


def test_a_2_h_50_min_day_bills_nothing_when_the_payer_rule_says_nothing(billing):
    """The administrator sets Medicare's under-minimum rule to "nothing": no line, one hold."""
    clinic, client, episode = billing
    override_rules({"payers": {"MCR": {"under_minimum": "nothing"}}})
    attend_group(clinic, define_group(clinic), [(client, episode)], arrived="09:10")
    run = bill(clinic)
    assert run.lines == ()
    assert [(h.what, "pays nothing" in h.reason) for h in run.holds] == [("H0015 IOP day, 2 h 50 min", True)]


def test_the_minimum_day_length_is_a_clinic_rule(billing):
    """With a 150-minute minimum set by the administrator, the 170-minute day is an H0015 day."""
    clinic, client, episode = billing
    override_rules({"per_diem": {"min_minutes": 150}})
    attend_group(clinic, define_group(clinic), [(client, episode)], arrived="09:10")
    assert codes(bill(clinic)) == [("H0015", (), 1, 170)]


def test_a_mental_health_client_has_s9480_days(staffed_clinic):
    """A client on the mental-health track gets S9480 for a full IOP day."""
    setup_payers_and_npis()
    client, episode = admit_client(staffed_clinic, "Keiko", "Tanabe", track="mental_health")
    attend_group(staffed_clinic, define_group(staffed_clinic), [(client, episode)])
    assert codes(bill(staffed_clinic)) == [("S9480", (), 1, 180)]


def test_a_level_1_client_bills_group_psychotherapy_not_a_per_diem(staffed_clinic):
    """Outpatient (level 1) is not billed per diem: the 3-hour group is 90853 HQ."""
    setup_payers_and_npis()
    client, episode = admit_client(staffed_clinic, "Emeka", "Chukwu", level="1")
    attend_group(staffed_clinic, define_group(staffed_clinic), [(client, episode)])
    assert codes(bill(staffed_clinic)) == [("90853", ("HQ",), 1, 180)]


@pytest.mark.parametrize("minutes, code", [(16, "90832"), (37, "90832"), (38, "90834"), (45, "90834"),
                                           (52, "90834"), (53, "90837"), (75, "90837")])
def test_individual_sessions_are_coded_by_their_minutes(billing, minutes, code):
    """The time bands: 16–37 min is 90832, 38–52 is 90834, 53 and more is 90837."""
    clinic, client, _ = billing
    note = write_note(clinic, client, minutes=minutes)
    run = bill(clinic)
    assert codes(run) == [(code, (), 1, minutes)]
    assert (run.lines[0].note_id, run.lines[0].note_status, run.lines[0].source) == (
        note.id, "signed", "individual note")


def test_a_45_minute_individual_session_is_90834(billing):
    """Cleo's signed 45-minute session with Marisol bills 90834 under Cleo's NPI at $130.00."""
    clinic, client, _ = billing
    write_note(clinic, client, minutes=45)
    [line] = bill(clinic).lines
    assert (line.code, line.rendering_name, line.rendering_npi, line.supervising_npi, line.charge_cents) == (
        "90834", "Cleo Clinician", npi_of("clinician"), "", 13000)


def test_a_10_minute_individual_session_is_held_as_too_short(billing):
    """Ten minutes is under the 16 minutes 90832 needs: nothing billed, the hold says why."""
    clinic, client, _ = billing
    write_note(clinic, client, minutes=10)
    run = bill(clinic)
    assert run.lines == () and "under the 16 minutes" in run.holds[0].reason


def test_two_individual_sessions_the_same_day_are_one_code_with_the_minutes_summed(billing):
    """A 30-minute and a 25-minute session on one day bill as one 90837 of 55 minutes."""
    clinic, client, _ = billing
    write_note(clinic, client, minutes=30, start="09:00")
    write_note(clinic, client, minutes=25, start="15:00")
    assert codes(bill(clinic)) == [("90837", (), 1, 55)]


def test_two_individual_sessions_are_two_codes_when_the_payer_says_separate(billing):
    """A payer whose rule is "separate" gets a 90832 for each of the two sessions."""
    clinic, client, _ = billing
    override_rules({"payers": {"MCR": {"individual_same_day": "separate"}}})
    write_note(clinic, client, minutes=30, start="09:00")
    write_note(clinic, client, minutes=25, start="15:00")
    assert sorted(codes(bill(clinic))) == [("90832", (), 1, 25), ("90832", (), 1, 30)]


def test_a_family_session_with_the_client_is_90847_hr(billing):
    """A signed 50-minute family session with Marisol and her mother bills 90847 HR."""
    clinic, client, _ = billing
    mother, _ = clinic.family.add_member(client.id, name="Ana Reyes", relationship="mother")
    session, _ = clinic.family.record_session(client.id, kind="with_client", session_date=DAY, starts_at="15:00",
                                              ends_at="15:50", participants=[mother.id], sections=DAP)
    note = clinic.notes.get(session.note_id)
    clinic.notes.sign(note.id, note.version)
    run = bill(clinic)
    assert codes(run) == [("90847", ("HR",), 1, 50)]
    assert run.lines[0].source == "family note"


def test_a_family_session_without_the_client_is_90846_hs(billing):
    """A session with the mother alone bills 90846 HS."""
    clinic, client, _ = billing
    mother, _ = clinic.family.add_member(client.id, name="Ana Reyes", relationship="mother")
    session, _ = clinic.family.record_session(client.id, kind="without_client", session_date=DAY,
                                              starts_at="15:00", ends_at="15:40", participants=[mother.id],
                                              sections=DAP)
    note = clinic.notes.get(session.note_id)
    clinic.notes.sign(note.id, note.version)
    assert codes(bill(clinic)) == [("90846", ("HS",), 1, 40)]


@pytest.mark.parametrize("minutes, code", [(15, "99212"), (25, "99213"), (30, "99214"), (45, "99215")])
def test_medication_management_is_coded_by_minutes(billing, minutes, code):
    """The prescriber's visit is 99212–99215 by its minutes."""
    clinic, client, _ = billing
    write_note(clinic, client, author="prescriber", kind="med_management", minutes=minutes)
    assert codes(bill(clinic)) == [(code, (), 1, minutes)]


def test_an_unsigned_note_holds_its_line(billing):
    """Cleo's draft 45-minute note is not billed; the hold names the draft and who signs it."""
    clinic, client, _ = billing
    note = write_note(clinic, client, minutes=45, sign=False)
    run = bill(clinic)
    assert run.lines == ()
    [hold] = run.holds
    assert (hold.what, hold.who, hold.note_id) == ("90834 individual session, 45 min", "Cleo Clinician", note.id)
    assert "unsigned" in hold.reason and hold.action == "Cleo Clinician signs the note"
    assert BillableService.select().count() == 0


def test_a_cosign_pending_intern_note_holds_its_line_until_cosigned_then_bills_under_the_supervisor(billing):
    """Ira's signed note waits for Sam's co-signature; once co-signed it bills with Sam as supervising NPI."""
    clinic, client, _ = billing
    note = write_note(clinic, client, author="intern", minutes=50)
    run = bill(clinic)
    assert run.lines == ()
    assert run.holds[0].reason == "note awaiting co-signature by Sam Supervisor"
    assert run.holds[0].action == "Sam Supervisor co-signs the note"
    cosign(clinic, note)
    [line] = bill(clinic).lines
    assert (line.code, line.rendering_name, line.rendering_npi) == ("90834", "Ira Intern", npi_of("intern"))
    assert (line.supervising_name, line.supervising_npi, line.note_status) == (
        "Sam Supervisor", npi_of("supervisor"), "co-signed")


def test_an_intern_group_day_is_held_until_the_group_note_is_cosigned(billing):
    """Ira runs the group: the H0015 day waits for Sam's co-signature of the group note."""
    clinic, client, episode = billing
    attend_group(clinic, define_group(clinic), [(client, episode)], author="intern")
    run = bill(clinic)
    assert run.lines == () and run.holds[0].reason == "group note awaiting co-signature by Sam Supervisor"


def test_group_attendance_with_an_unsigned_group_note_is_held(billing):
    """The group note is still a draft: the IOP day is held naming the unsigned group note."""
    clinic, client, episode = billing
    attend_group(clinic, define_group(clinic), [(client, episode)], sign=False)
    run = bill(clinic)
    assert run.lines == () and run.holds[0].reason == "group note unsigned (draft by Cleo Clinician)"


def test_no_primary_diagnosis_holds_the_line(staffed_clinic):
    """Without a primary diagnosis on the episode nothing is billed."""
    setup_payers_and_npis()
    client, _ = admit_client(staffed_clinic, "Rafael", "Ibarra", primary=False)
    write_note(staffed_clinic, client, minutes=45)
    run = bill(staffed_clinic)
    assert run.lines == () and run.holds[0].reason == "no primary diagnosis on the episode for this date"


def test_no_member_id_holds_the_line_but_self_pay_needs_none(staffed_clinic):
    """A Medicaid client without a member id is held; a self-pay client bills without one."""
    setup_payers_and_npis()
    medicaid, _ = admit_client(staffed_clinic, "Rafael", "Ibarra", payer="MCD", member_id="")
    own, _ = admit_client(staffed_clinic, "Ingrid", "Solberg", payer="SELF", member_id="")
    write_note(staffed_clinic, medicaid, minutes=45)
    write_note(staffed_clinic, own, minutes=45)
    run = bill(staffed_clinic)
    assert [(x.mrn, x.code, x.payer_code) for x in run.lines] == [(own.mrn, "90834", "SELF")]
    assert [(h.mrn, h.reason) for h in run.holds] == [(medicaid.mrn, "no member id for Cascadia Health Plan (test)")]


def test_a_used_up_authorization_holds_the_day(staffed_clinic):
    """Blue Heron authorized one H0015 unit: the first day bills under it, the second is held."""
    setup_payers_and_npis()
    client, episode = admit_client(staffed_clinic, "Zainab", "Adeyemi", payer="BHH", member_id="BHH100200300")
    authorize(client, "BHH", number="BHH-7731", units=1)
    group = define_group(staffed_clinic)
    first, second = DAY - dt.timedelta(days=1), DAY
    attend_group(staffed_clinic, group, [(client, episode)], day=first)
    attend_group(staffed_clinic, group, [(client, episode)], day=second, enroll=False)
    run = bill(staffed_clinic, first, second)
    assert [(x.service_date, x.code, x.authorization) for x in run.lines] == [(first, "H0015", "BHH-7731")]
    assert [(h.service_date, h.reason) for h in run.holds] == [(second, "authorization BHH-7731 used up (1 of 1 units)")]
    assert [(x.code, x.authorization) for x in bill(staffed_clinic, second, second).lines] == []


def test_a_missing_or_expired_authorization_holds_the_day(staffed_clinic):
    """No authorization on file, then one that ended the day before: both hold the H0015 day."""
    setup_payers_and_npis()
    client, episode = admit_client(staffed_clinic, "Zainab", "Adeyemi", payer="BHH", member_id="BHH100200300")
    attend_group(staffed_clinic, define_group(staffed_clinic), [(client, episode)])
    assert bill(staffed_clinic).holds[0].reason == "no authorization on file for H0015"
    authorize(client, "BHH", number="BHH-0001", starts=DAY - dt.timedelta(days=15), ends=DAY - dt.timedelta(days=1))
    reason = bill(staffed_clinic).holds[0].reason
    assert reason == f"authorization BHH-0001 expired on {DAY - dt.timedelta(days=1):%m/%d/%Y}"


def test_medicaid_adds_credential_modifiers(staffed_clinic):
    """Medicaid's rule adds HO for an LPC's individual session."""
    setup_payers_and_npis()
    client, _ = admit_client(staffed_clinic, "Rafael", "Ibarra", payer="MCD", member_id="MCD123456789")
    write_note(staffed_clinic, client, minutes=45)
    assert codes(bill(staffed_clinic)) == [("90834", ("HO",), 1, 45)]


def test_a_telehealth_session_carries_the_telehealth_modifier_and_place(billing):
    """A 45-minute video session (place of service 10) bills 90834 95 with place 10."""
    clinic, client, _ = billing
    write_note(clinic, client, minutes=45, place_of_service="10")
    [line] = bill(clinic).lines
    assert (line.code, line.modifiers, line.place_of_service) == ("90834", ("95",), "10")


def test_a_biller_runs_billing_but_a_claim_line_carries_no_narrative(billing):
    """Bo the biller sees codes, dates and amounts; no text of the note appears on any line."""
    clinic, client, episode = billing
    attend_group(clinic, define_group(clinic), [(client, episode)])
    write_note(clinic, client, minutes=45)
    run = bill(clinic)
    assert {x.code for x in run.lines} == {"H0015", "90834"}
    narrative = [*DAP.values(), *sections_for(0).values()]
    for line in run.lines:
        for value in dataclasses.astuple(line):
            assert not any(text in str(value) for text in narrative)


def test_a_clinician_without_billing_read_is_refused(billing):
    """Cleo is a clinician: running billing is refused, and nothing is stored."""
    clinic, client, _ = billing
    write_note(clinic, client, minutes=45)
    with pytest.raises(PermissionDenied):
        clinic.billing.run(DAY, DAY)
    with pytest.raises(PermissionDenied):
        clinic.billing.counts(DAY, DAY)
    assert BillableService.select().count() == 0


def test_a_bad_range_or_filter_is_refused_naming_the_field(billing):
    """A range ending before it starts, an unknown site or payer: refused, naming the field."""
    clinic, _, _ = billing
    clinic.login("biller", ADMIN_PASSWORD)
    for kwargs, field in (({"range_from": DAY, "range_to": DAY - dt.timedelta(days=1)}, "range_to"),
                          ({"range_from": DAY, "range_to": DAY, "site": "NOPE"}, "site"),
                          ({"range_from": DAY, "range_to": DAY, "payer": "XYZ"}, "payer")):
        with pytest.raises(ValidationError) as err:
            clinic.billing.run(**kwargs)
        assert err.value.field == field


def test_a_broken_rules_override_is_refused_naming_the_rule(sqlite_clinic):
    """An administrator's override with an unknown under-minimum rule is refused, saying which rule."""
    ClinicSetting.create(key="billing_rules", value={"payers": {"MCD": {"under_minimum": "half"}}})
    with pytest.raises(ValidationError) as err:
        billing_rules()
    assert err.value.field == "billing_rules" and "payers.MCD.under_minimum" in str(err.value)
