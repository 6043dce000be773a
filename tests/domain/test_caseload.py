"""A clinician's caseload for the day: sessions, notes to sign and co-sign, plans and measures due,
expiring consents, safety alerts and clients under the attendance minimum — each with where to go."""

from __future__ import annotations

import datetime as dt

from iopdesk.kernel import clock
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_attendance_rules import as_system

DAY = dt.timedelta(days=1)
TODAY = clock.today()
DAP = {"data": "Reviewed the week.", "assessment": "Engaged.", "plan": "Continue."}
PHQ9_ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 1]


def busy_client(clinic, first: str, last: str):
    """A client of the clinician admitted two weeks ago with one of everything to do: a draft
    note, a PHQ-9 due, a PHQ-9 answer that needs safety follow-up, a consent expiring soon."""
    client, _ = clinic.clients.register(legal_first=first, legal_last=last, dob="1990-02-02")
    episode, _ = clinic.episodes.admit(client.id, admitted_on=TODAY - 14 * DAY, track_code="substance_use",
                                       primary_clinician="clinician")
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=TODAY - DAY, minutes=50)
    clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - DAY, answers=PHQ9_ITEM9)
    clinic.measures.set_schedule(client.id, "GAD-7", every_days=14, starting_on=TODAY - DAY)
    consent, _ = clinic.consents.record(
        client.id, discloser="IOP Desk clinic", information="Attendance and progress", recipient="County court",
        purpose="Court-ordered treatment", revocation_acknowledged=True, signed_by=f"{first} {last}",
        signed_on=TODAY - 300 * DAY, expires_on=TODAY + 10 * DAY)
    return client, episode, note, consent


def test_caseload_lists_cosign_queue_for_supervisor(admitted_client):
    """The intern's signed note waits on the supervisor's caseload (not the clinician's) until co-signed."""
    clinic, client, _ = admitted_client
    clinic.login("intern", ADMIN_PASSWORD)
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=TODAY - DAY, minutes=45, sections=DAP)
    note, _ = clinic.notes.sign(note.id, note.version)
    assert note.status == "awaiting_cosign" and clinic.caseload.today().unsigned_notes == ()
    clinic.login("supervisor", ADMIN_PASSWORD)
    day = clinic.caseload.today()
    (item,) = day.cosign_queue
    assert (item.client_id, item.mrn, item.client_name) == (client.id, client.mrn, "Marisol Quintana-Reyes")
    assert item.target == f"note:{note.id}" and "Ira Intern" in item.why and day.clinician == "Sam Supervisor"
    assert clinic.caseload.today("clinician").cosign_queue == ()
    clinic.notes.cosign(note.id, note.version)
    assert clinic.caseload.today().cosign_queue == ()


def test_a_clinicians_day_lists_what_needs_doing(staffed_clinic):
    """Every list names the client and where the work is done; sessions are the ones the clinician runs."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    with as_system(clinic):
        ours, _ = clinic.groups.define_group("Morning IOP", "process", facilitators=["clinician"],
                                             schedule=[(TODAY.weekday(), "09:00")])
        theirs, _ = clinic.groups.define_group("Evening IOP", "process", facilitators=["supervisor"],
                                               schedule=[(TODAY.weekday(), "18:00")])
        (session,), _ = clinic.groups.generate_sessions(ours.id, TODAY, TODAY)
        clinic.groups.generate_sessions(theirs.id, TODAY, TODAY)
    client, episode, note, consent = busy_client(clinic, "Marisol", "Quintana-Reyes")

    day = clinic.caseload.today()
    assert [(s.group, s.role, s.target) for s in day.sessions] == [("Morning IOP", "lead", f"session:{session.id}")]
    assert [i.target for i in day.unsigned_notes] == [f"note:{note.id}"]
    assert [(i.kind, i.target, i.overdue) for i in day.plans_due] == [
        ("initial_plan", f"episode:{episode.id}/plan", True)]
    assert [(i.what, i.target) for i in day.measures_due] == [("GAD-7 due", f"client:{client.id}/measures")]
    assert [i.target for i in day.expiring_consents] == [f"consent:{consent.id}"]
    assert [i.what for i in day.safety_alerts] == ["Safety alert"]
    assert [i.why for i in day.under_minimum] == [
        f"0 hours in the week of {TODAY - dt.timedelta(days=TODAY.weekday() + 7):%m/%d/%Y}; level 2.1 needs at least 9"]
    every = [day.unsigned_notes, day.plans_due, day.measures_due, day.expiring_consents, day.safety_alerts,
             day.under_minimum]
    assert all(len(items) == 1 and items[0].client_id == client.id and items[0].mrn == client.mrn
               for items in every)
    assert day.work_count == 6
    assert clinic.caseload.today("supervisor").work_count == 0


def test_the_caseload_costs_the_same_queries_for_one_client_or_many(staffed_clinic, monkeypatch):
    """Each list is a fixed number of joined queries: a second busy client adds rows, not queries."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    busy_client(clinic, "Ana", "First")
    statements: list[str] = []
    real = clinic.db.execute_sql

    def counting(sql, *args, **kwargs):
        statements.append(sql)
        return real(sql, *args, **kwargs)

    monkeypatch.setattr(clinic.db, "execute_sql", counting)
    one = clinic.caseload.today()
    queries_for_one = len(statements)
    monkeypatch.undo()
    busy_client(clinic, "Bea", "Second")
    statements.clear()
    monkeypatch.setattr(clinic.db, "execute_sql", counting)
    two = clinic.caseload.today()
    assert len(two.unsigned_notes) == len(two.safety_alerts) == len(two.under_minimum) == 2
    assert one.work_count == 6 and two.work_count == 12
    assert len(statements) == queries_for_one <= 20
