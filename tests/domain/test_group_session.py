"""Running a group session: attendance, the shared note, each attendee's section, warnings and
signing them all, as the morning process group goes."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.audit import chain as audit
from iopdesk.clinical.note_rules import note_content_hash
from iopdesk.errors import RecordLocked, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import Attendance, ClinicSetting, GroupSession, Note, NoteObjective
from iopdesk.services.groups.service import AttendanceEntry, ClientSection
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_groups import admit, define_daily_group, give_plan

YESTERDAY = clock.today() - dt.timedelta(days=1)
NAMES = [("Jordan", "Blackwood"), ("Priya", "Nandakumar"), ("Tomasz", "Wielgosz"), ("Aaliyah", "Okafor"),
         ("Dmitri", "Volkov"), ("Keiko", "Tanabe"), ("Rafael", "Ibarra"), ("Siobhan", "Gallagher"),
         ("Emeka", "Chukwu"), ("Ingrid", "Solberg"), ("Luca", "Benedetti"), ("Marisol", "Quintana-Reyes"),
         ("Oksana", "Hrytsenko"), ("Bartholomew", "Finch"), ("Zainab", "Adeyemi")]
PARTICIPATION = [
    "Spoke up early and described a weekend without using.",
    "Listened quietly for most of the hour and answered when invited.",
    "Volunteered to read the worksheet aloud and led the first exercise.",
    "Arrived tense, warmed up after the check-in and shared twice.",
    "Gave supportive feedback to a peer about work stress.",
    "Took notes throughout and asked how urge surfing works at night.",
    "Was restless during the role play but completed it.",
    "Described an argument with a roommate and how they left the room.",
    "Shared a recent craving at a concert and the exit plan used.",
    "Walked through a chain analysis with a concrete example from Tuesday.",
    "Mostly observed; nodded along and spoke once near the end.",
    "Brought a list of triggers from the homework and discussed three.",
]
RESPONSE = [
    "Receptive to the refusal-skills practice; rehearsed two phrases.",
    "Questioned whether meetings help, then agreed to try one.",
    "Became tearful discussing family and accepted grounding.",
    "Laughed appropriately and stayed on topic.",
    "Challenged a peer respectfully and accepted a counterpoint.",
    "Showed good insight linking sleep loss to irritability.",
    "Was defensive at first about drinking, softened by the end.",
    "Engaged with the mindfulness exercise and reported feeling calmer.",
    "Asked for written copies of the coping cards.",
    "Minimised the lapse last month but listened to feedback.",
    "Connected the topic to job interviews next week.",
    "Expressed pride in thirty days of abstinence.",
]
PROGRESS = [
    "Two of three triggers named so far.",
    "Attended four of five days this week, meeting the attendance objective.",
    "Early progress on finding a sponsor; has a phone number.",
    "No change yet on the sleep routine.",
    "Completed the relapse prevention worksheet; objective partly met.",
    "Uses the coping card daily by own report; steady progress.",
    "Setback: missed two homework tasks.",
    "Has started a gratitude journal as planned.",
    "Reports fewer cravings, from daily to twice weekly.",
    "Identified a safe ride home from events; objective met.",
    "Still working on assertive communication; practised once.",
    "Negative urine screens for three weeks support abstinence.",
]
RISK = [
    "Denied suicidal ideation; no safety concerns today.",
    "Low relapse risk today; strong support at home.",
    "Moderate relapse risk with a payday on Friday; plan reviewed.",
    "No risk indicators observed.",
    "Passive hopelessness last week, none today; safety plan current.",
    "Risk of lapse around the holiday party; exit plan made.",
    "No intoxication signs; oriented and alert.",
    "Housing instability raises risk; referral to case manager.",
    "Denied thoughts of self-harm; reports sleeping well.",
    "Some risk with old friends visiting; will attend an evening meeting.",
    "No acute risk; continues medication as prescribed.",
    "Elevated stress at work, no use; coping plan in place.",
]
PLAN = [
    "Continue IOP three days a week; practise refusal phrases.",
    "Attend one mutual-help meeting before next session.",
    "Bring trigger log Wednesday.",
    "Meet primary counselor about sleep hygiene.",
    "Review coping cards with partner at home.",
    "Call sponsor candidate by Friday.",
    "Complete missed homework tasks.",
    "Case manager to follow up on housing.",
    "Continue journal; share one entry next group.",
    "Rehearse an assertive request with the counselor.",
    "Plan a sober activity for the weekend.",
    "Keep current schedule; discuss step-down at review.",
]
SHARED = ("Psychoeducation and discussion on coping with cravings: urge surfing, delay and distract, "
          "and calling support. Members practised refusal phrases in pairs.")


def sections_for(i: int) -> dict[str, str]:
    """Client i's own individualized text (each section differs between clients)."""
    i %= 12
    return {"participation": PARTICIPATION[i], "response": RESPONSE[(i * 5) % 12],
            "progress": PROGRESS[(i * 7) % 12], "risk": RISK[(i * 11) % 12], "plan": PLAN[i]}


def group_day(clinic, count: int, facilitators=("clinician", "intern")):
    """Yesterday's 09:00–12:00 session with `count` enrolled clients, each with a plan; the
    clinician is signed in. Returns (session, [(client, objective ids)])."""
    group = define_daily_group(clinic, facilitators=facilitators)
    session = clinic.groups.generate_sessions(group.id, YESTERDAY, YESTERDAY)[0][0]
    clinic.login("clinician", ADMIN_PASSWORD)
    members = []
    for first, last in NAMES[:count]:
        client, episode = admit(clinic, first, last)
        clinic.groups.enroll(group.id, client.id, episode.admitted_on)
        members.append((client, give_plan(client.id, episode.id, [f"Objective of {last}"])))
    return session, members


@pytest.fixture
def group_day_of_four(staffed_clinic):
    session, members = group_day(staffed_clinic, 4)
    return staffed_clinic, session, [c for c, _ in members], [o for _, o in members]


def _attend(clinic, session, client, status="present", *times, **extra):
    clinic.groups.record_attendance(session.id, client.id, status, *times, **extra)
    return Attendance.get((Attendance.session == session.id) & (Attendance.client == client.id))


def test_late_arrival_minutes_are_counted_from_arrival(group_day_of_four):
    """Jordan arrives at 09:25 for the 09:00–12:00 group: 155 minutes, departure at the end."""
    clinic, session, clients, _ = group_day_of_four
    row = _attend(clinic, session, clients[0], "late_arrival", "09:25")
    assert (row.arrived_at, row.left_at, row.minutes) == (dt.time(9, 25), dt.time(12), 155)


def test_early_departure_minutes_end_when_the_client_left(group_day_of_four):
    """Priya leaves at 11:15 for a medical appointment: 135 minutes."""
    clinic, session, clients, _ = group_day_of_four
    row = _attend(clinic, session, clients[1], "left_early", None, "11:15")
    assert (row.arrived_at, row.left_at, row.minutes) == (dt.time(9), dt.time(11, 15), 135)


def test_present_is_the_whole_session_and_absent_is_zero(group_day_of_four):
    """Present counts 180 minutes; an excused absence has no times and no minutes."""
    clinic, session, clients, _ = group_day_of_four
    assert _attend(clinic, session, clients[0]).minutes == 180
    absent = _attend(clinic, session, clients[1], "absent_excused")
    assert (absent.arrived_at, absent.left_at, absent.minutes) == (None, None, 0)
    with pytest.raises(ValidationError) as err:
        clinic.groups.record_attendance(session.id, clients[2].id, "absent_unexcused", "09:00")
    assert err.value.field == "arrived_at"
    with pytest.raises(ValidationError) as err:
        clinic.groups.record_attendance(session.id, clients[2].id, "present", "09:30")
    assert err.value.field == "status"


def test_attendance_minutes_over_session_length_are_refused(group_day_of_four):
    """200 minutes in a 180-minute session is refused naming the minutes; nothing is saved."""
    clinic, session, clients, _ = group_day_of_four
    with pytest.raises(ValidationError, match="180") as err:
        clinic.groups.record_attendance(session.id, clients[0].id, "present", minutes=200)
    assert err.value.field == "minutes"
    with pytest.raises(ValidationError) as err:
        clinic.groups.record_attendance(session.id, clients[0].id, "late_arrival", "10:00", minutes=150)
    assert err.value.field == "minutes"
    assert Attendance.select().count() == 0


@pytest.mark.parametrize("status, arrived, left, field", [
    ("late_arrival", "08:30", None, "arrived_at"),
    ("left_early", None, "12:30", "left_at"),
    ("late_arrival", "11:00", "10:00", "arrived_at"),
    ("late_arrival", None, None, "arrived_at"),
    ("left_early", None, None, "left_at"),
    ("asleep", None, None, "status"),
])
def test_impossible_attendance_is_refused_naming_the_field(group_day_of_four, status, arrived, left, field):
    """Times outside the session, arrival after departure, a late arrival without its time: refused."""
    clinic, session, clients, _ = group_day_of_four
    with pytest.raises(ValidationError) as err:
        clinic.groups.record_attendance(session.id, clients[0].id, status, arrived, left)
    assert err.value.field == field
    assert Attendance.select().count() == 0


def test_recording_attendance_again_corrects_the_same_row(group_day_of_four):
    """Marked absent by mistake, Jordan is corrected to a late arrival: still one row."""
    clinic, session, clients, _ = group_day_of_four
    _attend(clinic, session, clients[0], "absent_unexcused")
    row = _attend(clinic, session, clients[0], "late_arrival", "09:10")
    assert row.minutes == 170 and row.version == 2
    assert Attendance.select().count() == 1
    assert GroupSession.get_by_id(session.id).status == "held"


def test_a_late_arrival_corrected_to_absent_loses_its_times(group_day_of_four):
    """Marked late by mistake, Jordan is corrected to an excused absence: no times, no minutes."""
    clinic, session, clients, _ = group_day_of_four
    _attend(clinic, session, clients[0], "late_arrival", "09:10")
    row = _attend(clinic, session, clients[0], "absent_excused")
    assert (row.arrived_at, row.left_at, row.minutes, row.version) == (None, None, 0, 2)


def test_a_client_not_enrolled_cannot_be_marked_and_a_future_session_cannot_be_attended(group_day_of_four):
    """A client from outside the group is refused; nobody attends tomorrow's session yet."""
    clinic, session, clients, _ = group_day_of_four
    outsider, _ = admit(clinic, "Wes", "Walkin")
    with pytest.raises(ValidationError) as err:
        clinic.groups.record_attendance(session.id, outsider.id, "present")
    assert err.value.field == "client_id"
    clinic.login("supervisor", ADMIN_PASSWORD)
    group_id = clinic.groups.session(session.id).group_id
    tomorrow = clock.today() + dt.timedelta(days=1)
    future = clinic.groups.generate_sessions(group_id, tomorrow, tomorrow)[0][0]
    with pytest.raises(ValidationError) as err:
        clinic.groups.record_attendance(future.id, clients[0].id, "present")
    assert err.value.field == "status"
    clinic.groups.record_attendance(future.id, clients[0].id, "absent_excused")
    assert Attendance.select().count() == 1


def test_a_client_section_becomes_a_group_note_with_the_attendance_minutes(group_day_of_four):
    """Jordan's section is a GROUP draft for yesterday with 155 minutes from 09:25, addressing his
    objective; correcting his arrival to 09:40 updates the draft."""
    clinic, session, clients, objectives = group_day_of_four
    _attend(clinic, session, clients[0], "late_arrival", "09:25")
    note, changes = clinic.groups.save_client_section(session.id, clients[0].id, sections_for(0), objectives[0])
    assert (note.kind, note.note_format, note.status, note.service_date) == ("group", "GROUP", "draft", YESTERDAY)
    assert (note.minutes, note.starts_at, note.ends_at) == (155, dt.time(9, 25), dt.time(12))
    assert note.objective_ids == tuple(objectives[0]) and note.group_session_id == session.id
    assert "not named" in note.participants and "Cleo Clinician" in note.participants
    assert changes.client_ids == {clients[0].id}
    _attend(clinic, session, clients[0], "late_arrival", "09:40")
    assert Note.get_by_id(note.id).minutes == 140
    again, _ = clinic.groups.save_client_section(session.id, clients[0].id, {**sections_for(0), "risk": "None."})
    assert again.id == note.id and again.sections["risk"] == "None." and again.objective_ids == ()
    assert clinic.groups.roster(session.id)[0].note_status == "draft"


def test_only_attendees_get_an_individualized_section(group_day_of_four):
    """Priya was absent and Tomasz has no attendance yet: no section for either."""
    clinic, session, clients, _ = group_day_of_four
    _attend(clinic, session, clients[1], "absent_unexcused")
    for client in clients[1:3]:
        with pytest.raises(ValidationError) as err:
            clinic.groups.save_client_section(session.id, client.id, sections_for(1))
        assert err.value.field == "attendance"
    assert Note.select().count() == 0


def test_another_clients_name_in_a_section_is_warned(group_day_of_four):
    """Writing 'jordan' in Priya's section is warned (any case, whole word only); her own name is not."""
    clinic, session, clients, _ = group_day_of_four
    for client in clients[:3]:
        _attend(clinic, session, client)
    clinic.groups.save_client_section(session.id, clients[0].id, {
        **sections_for(0), "participation": "Spoke of the Jordanian restaurant where he works."})
    clinic.groups.save_client_section(session.id, clients[1].id, {
        **sections_for(1), "response": "Priya agreed with jordan about the weekend plan."})
    clinic.groups.save_client_section(session.id, clients[2].id, {
        **sections_for(2), "plan": "Sit next to NANDAKUMAR again."})
    warnings = clinic.groups.warnings(session.id)
    named = sorted((w.client_id, w.kind) for w in warnings)
    assert named == sorted([(clients[1].id, "other_client_named"), (clients[2].id, "other_client_named")])
    assert "J.B." in next(w.message for w in warnings if w.client_id == clients[1].id)


def test_identical_text_across_clients_is_warned(group_day_of_four):
    """Jordan's and Priya's sections are copies: both are warned; Tomasz's own text is not."""
    clinic, session, clients, _ = group_day_of_four
    for client in clients[:3]:
        _attend(clinic, session, client)
    clinic.groups.save_session(session.id, sections=[
        ClientSection(clients[0].id, sections_for(0)), ClientSection(clients[1].id, sections_for(0)),
        ClientSection(clients[2].id, sections_for(2))])
    warnings = clinic.groups.warnings(session.id)
    assert sorted((w.client_id, w.kind) for w in warnings) == sorted(
        [(clients[0].id, "similar_text"), (clients[1].id, "similar_text")])
    assert "100%" in warnings[0].message


def test_the_similarity_threshold_is_a_clinic_rule(group_day_of_four):
    """Two sections one word apart are warned at the default 0.9, not when the clinic sets 0.999."""
    clinic, session, clients, _ = group_day_of_four
    for client in clients[:2]:
        _attend(clinic, session, client)
    clinic.groups.save_client_section(session.id, clients[0].id, sections_for(3))
    clinic.groups.save_client_section(session.id, clients[1].id, {**sections_for(3), "plan": "Bring trigger log Friday."})
    assert {w.kind for w in clinic.groups.warnings(session.id)} == {"similar_text"}
    ClinicSetting.create(key="program_rules", value={"group_notes": {"similarity_warning": 0.999}})
    assert clinic.groups.warnings(session.id) == []


def test_client_name_in_shared_note_is_warned(group_day_of_four):
    """The shared part is copied to every chart: naming Tomasz in it blocks the session."""
    clinic, session, clients, _ = group_day_of_four
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation",
                                   SHARED + " Tomasz led the closing reflection.")
    warnings = clinic.groups.warnings(session.id)
    assert [(w.kind, w.client_id, w.named_ids, w.blocking) for w in warnings] == [
        ("client_named_in_shared_note", None, (clients[2].id,), True)]
    view, _ = clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation", SHARED)
    assert view.topic == "Coping with cravings" and clinic.groups.warnings(session.id) == []
    with pytest.raises(ValidationError) as err:
        clinic.groups.save_shared_note(session.id, " ", "Psychoeducation", SHARED)
    assert err.value.field == "topic"


def test_sign_all_signs_complete_sections_and_lists_the_rest(group_day_of_four):
    """Jordan's note is complete and signed; Priya's lacks a risk section, Tomasz was absent and
    Aaliyah has no attendance: each is listed with the reason, and stays unsigned."""
    clinic, session, clients, _ = group_day_of_four
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation", SHARED)
    _attend(clinic, session, clients[0])
    _attend(clinic, session, clients[1], "late_arrival", "09:30")
    _attend(clinic, session, clients[2], "absent_excused")
    clinic.groups.save_client_section(session.id, clients[0].id, sections_for(0))
    clinic.groups.save_client_section(session.id, clients[1].id, {**sections_for(1), "risk": ""})
    result, changes = clinic.groups.sign_all(session.id)
    assert result.signed == [clients[0].id] and changes.client_ids == {clients[0].id}
    reasons = dict(result.incomplete)
    assert set(reasons) == {clients[1].id, clients[2].id, clients[3].id}
    assert "Risk" in reasons[clients[1].id] and "absent" in reasons[clients[2].id]
    assert "No attendance" in reasons[clients[3].id]
    assert Note.select().where(Note.status == "signed").count() == 1


def test_sign_all_signs_nothing_while_the_shared_note_is_empty(group_day_of_four):
    """Complete sections wait until the shared part of the session is written."""
    clinic, session, clients, _ = group_day_of_four
    _attend(clinic, session, clients[0])
    clinic.groups.save_client_section(session.id, clients[0].id, sections_for(0))
    result, _ = clinic.groups.sign_all(session.id)
    assert result.signed == [] and "Shared note" in dict(result.incomplete)[clients[0].id]
    assert Note.select().where(Note.status == "draft").count() == 1


def test_sign_all_signs_only_the_acting_authors_notes(group_day_of_four):
    """Ira wrote Priya's section, Cleo wrote Jordan's: Cleo's sign-all signs only hers."""
    clinic, session, clients, _ = group_day_of_four
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation", SHARED)
    _attend(clinic, session, clients[0])
    _attend(clinic, session, clients[1])
    clinic.groups.save_client_section(session.id, clients[0].id, sections_for(0))
    clinic.login("intern", ADMIN_PASSWORD)
    clinic.groups.save_client_section(session.id, clients[1].id, sections_for(1))
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.groups.save_client_section(session.id, clients[1].id, sections_for(2))
    assert err.value.field == "author"
    result, _ = clinic.groups.sign_all(session.id)
    assert result.signed == [clients[0].id]
    assert "Ira Intern" in dict(result.incomplete)[clients[1].id]


def test_intern_group_notes_wait_for_supervisor_cosign(group_day_of_four):
    """Ira runs the group and signs all: the notes await Sam's co-signature."""
    clinic, session, clients, _ = group_day_of_four
    clinic.login("intern", ADMIN_PASSWORD)
    clinic.groups.save_session(
        session.id, topic="Coping with cravings", modality="Psychoeducation", shared_note=SHARED,
        attendance=[AttendanceEntry(c.id, "present") for c in clients[:2]],
        sections=[ClientSection(c.id, sections_for(i)) for i, c in enumerate(clients[:2])])
    result, _ = clinic.groups.sign_all(session.id)
    assert sorted(result.signed) == sorted(c.id for c in clients[:2])
    assert {n.status for n in Note.select()} == {"awaiting_cosign"}
    clinic.login("supervisor", ADMIN_PASSWORD)
    queue = clinic.notes.cosign_queue()
    assert sorted(n.client_id for n in queue) == sorted(c.id for c in clients[:2])
    assert clinic.notes.cosign(queue[0].id, Note.get_by_id(queue[0].id).version)[0].status == "cosigned"


def _fail_on_call(n: int):
    real, calls = audit.record, {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == n:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    return flaky


def test_a_failure_halfway_through_sign_all_leaves_nothing_signed(group_day_of_four, monkeypatch):
    """The third note's audit event fails: none of the four notes is signed."""
    clinic, session, clients, _ = group_day_of_four
    clinic.groups.save_session(
        session.id, topic="Coping with cravings", modality="Psychoeducation", shared_note=SHARED,
        attendance=[AttendanceEntry(c.id, "present") for c in clients],
        sections=[ClientSection(c.id, sections_for(i)) for i, c in enumerate(clients)])
    monkeypatch.setattr(audit, "record", _fail_on_call(3))
    with pytest.raises(RuntimeError):
        clinic.groups.sign_all(session.id)
    rows = list(Note.select(Note.status, Note.content_hash, Note.signed_at).tuples())
    assert len(rows) == 4 and set(rows) == {("draft", None, None)}


def test_a_failure_halfway_through_saving_a_session_leaves_nothing_saved(group_day_of_four, monkeypatch):
    """The audit trail fails while the sections are saved: no attendance, note or shared text remains."""
    clinic, session, clients, _ = group_day_of_four
    monkeypatch.setattr(audit, "record", _fail_on_call(7))
    with pytest.raises(RuntimeError):
        clinic.groups.save_session(
            session.id, topic="Coping with cravings", modality="Psychoeducation", shared_note=SHARED,
            attendance=[AttendanceEntry(c.id, "present") for c in clients],
            sections=[ClientSection(c.id, sections_for(i)) for i, c in enumerate(clients)])
    assert Attendance.select().count() == 0 and Note.select().count() == 0 and NoteObjective.select().count() == 0
    assert GroupSession.get_by_id(session.id).shared_note == ""


def test_a_signed_group_note_is_locked_against_every_session_call(group_day_of_four):
    """After signing, Jordan's section, attendance and the shared part cannot change; signing
    again changes nothing."""
    clinic, session, clients, _ = group_day_of_four
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation", SHARED)
    _attend(clinic, session, clients[0], "late_arrival", "09:20")
    clinic.groups.save_client_section(session.id, clients[0].id, sections_for(0))
    clinic.groups.sign_all(session.id)
    note = Note.get(Note.client == clients[0].id)
    before = note.__data__.copy()
    attempts = [
        lambda: clinic.groups.save_client_section(session.id, clients[0].id, sections_for(5)),
        lambda: clinic.groups.record_attendance(session.id, clients[0].id, "present"),
        lambda: clinic.groups.save_shared_note(session.id, "Other topic", "Process", "Changed."),
        lambda: clinic.notes.save_draft(note.id, note.version, sections_for(5)),
        lambda: clinic.notes.delete_draft(note.id),
    ]
    for attempt in attempts:
        with pytest.raises(RecordLocked, match="addendum"):
            attempt()
    clinic.groups.record_attendance(session.id, clients[0].id, "late_arrival", "09:20")
    assert clinic.groups.sign_all(session.id)[0].signed == []
    assert Note.get_by_id(note.id).__data__ == before
    assert GroupSession.get_by_id(session.id).shared_note == SHARED


def _data_queries(clinic, call):
    """Run `call`, returning the SQL statements it sent, leaving out the audit trail's own."""
    sent, real = [], clinic.db.execute_sql

    def counting(sql, *args, **kwargs):
        sent.append(sql)
        return real(sql, *args, **kwargs)

    clinic.db.execute_sql = counting
    try:
        call()
    finally:
        del clinic.db.execute_sql
    return [s for s in sent if "audit" not in s.lower() and "SAVEPOINT" not in s.upper()]


def test_saving_ten_clients_of_a_session_takes_the_same_queries_as_four(staffed_clinic):
    """Attendance and sections for ten attendees cost no more queries than for four (no N+1), and
    signing all fifteen is a handful of queries."""
    clinic = staffed_clinic
    session, members = group_day(clinic, 15)

    def save(batch):
        return lambda: clinic.groups.save_session(
            session.id, attendance=[AttendanceEntry(c.id, "present") for c, _ in batch],
            sections=[ClientSection(c.id, sections_for(i), objectives) for i, (c, objectives) in enumerate(batch)])

    save(members[:1])()
    four = _data_queries(clinic, save(members[1:5]))
    ten = _data_queries(clinic, save(members[5:]))
    assert len(four) == len(ten) <= 25
    clinic.groups.save_shared_note(session.id, "Coping with cravings", "Psychoeducation", SHARED)
    signing = _data_queries(clinic, lambda: clinic.groups.sign_all(session.id))
    assert len(signing) <= 15
    assert Note.select().where(Note.status == "signed").count() == 15


def test_a_twelve_client_session_runs_end_to_end(staffed_clinic):
    """Twelve enrolled; Jordan arrives 09:20 and Priya 09:45, Tomasz is a no-show. Cleo writes the
    shared note and eleven individual sections, sees no warnings, and signs all eleven."""
    clinic = staffed_clinic
    session, members = group_day(clinic, 12)
    clients = [c for c, _ in members]
    late = {clients[0].id: "09:20", clients[1].id: "09:45"}
    attendance = [AttendanceEntry(c.id, "late_arrival", late[c.id]) if c.id in late
                  else AttendanceEntry(c.id, "absent_unexcused") if c is clients[2]
                  else AttendanceEntry(c.id, "present") for c in clients]
    attendees = [(i, c, o) for i, (c, o) in enumerate(members) if c is not clients[2]]
    view, changes = clinic.groups.save_session(
        session.id, topic="Coping with cravings", modality="Psychoeducation", shared_note=SHARED,
        attendance=attendance, sections=[ClientSection(c.id, sections_for(i), o) for i, c, o in attendees])
    assert view.status == "held" and changes.touches("attendance", "note") and len(changes.client_ids) == 12
    assert clinic.groups.warnings(session.id) == []
    result, _ = clinic.groups.sign_all(session.id)
    assert sorted(result.signed) == sorted(c.id for _, c, _ in attendees)
    assert result.incomplete == [(clients[2].id, "Attendance: absent (no-show); no group note to sign.")]
    roster = {r.client_id: r for r in clinic.groups.roster(session.id)}
    assert len(roster) == 12
    assert (roster[clients[0].id].minutes, roster[clients[1].id].minutes, roster[clients[2].id].minutes) == (
        160, 135, 0)
    assert roster[clients[2].id].note_id is None
    assert {r.note_status for cid, r in roster.items() if cid != clients[2].id} == {"signed"}
    jordan = clinic.notes.get(roster[clients[0].id].note_id)
    assert (jordan.minutes, jordan.starts_at, jordan.objective_ids) == (160, dt.time(9, 20), tuple(members[0][1]))
    assert jordan.content_hash == note_content_hash(
        sections=jordan.sections, service_date=YESTERDAY, starts_at=dt.time(9, 20), ends_at=dt.time(12),
        minutes=160, objective_ids=members[0][1], author_id=Note.get_by_id(jordan.id).author_id)
    assert Attendance.select().count() == 12 and Note.select().count() == 11
    assert clinic.audit.verify().ok
