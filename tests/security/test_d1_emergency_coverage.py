"""ONC 170.315(d)(1)/(d)(6) coverage of break-the-glass: every public read of one client's chart
that an emergency grant should open does open with a grant for that client, and refuses another
client with ChartAccessDenied (which offers emergency access).

The reads are found by introspection: every public non-write method of every service on the
Clinic that takes an id of a client's record (client, episode, note, alert, medication,
discharge, plan, consent, group session, MRN). The actor is Ada, an administrator: she holds
"chart.read" but not "chart.read_narrative", and may break the glass. A read must either open
with her grant (the default) or be listed below in ROLE_READS (her role opens it for every
client, no grant involved) or NOT_BY_GRANT (a grant never opens it) with the reason. A new read
that checks a plain role permission for the narrative fails here until it honours the grant.
"""

from __future__ import annotations

import datetime as dt
import inspect

import pytest

from iopdesk.errors import PermissionDenied
from iopdesk.kernel import clock
from iopdesk.models import TreatmentPlan
from iopdesk.permissions import ChartAccessDenied
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_consents import consent_fields
from tests.domain.test_group_session import YESTERDAY, group_day, sections_for
from tests.security.test_access_control import is_write, public_methods

REASON = "Client in crisis at front desk; on-call clinician unreachable."

# Parameters whose value names one client's record: a method taking one is a chart read.
CHART_PARAMETERS = {"client_id", "episode_id", "note_id", "alert_id", "medication_id", "discharge_id",
                    "plan_id", "consent_id", "session_id", "mrn"}

# Reads an administrator makes by role for every client (no grant involved), and why.
ROLE_READS = {
    "clients.by_mrn": "'chart.read' (demographics, no narrative), held by the admin role",
    "clients.summary": "'chart.read' (demographics, no narrative), held by the admin role",
    "episodes.current": "'chart.read' (admission facts), held by the admin role",
    "episodes.latest": "'chart.read' (admission facts), held by the admin role",
    "episodes.get": "'chart.read' (admission facts), held by the admin role",
    "episodes.diagnoses": "'chart.read' (codes, as billing sees them), held by the admin role",
    "episodes.level_history": "'chart.read' (level of care), held by the admin role",
    "attendance.flags": "'chart.read' (attendance counts), held by the admin role",
    "alerts.for_chart": "'chart.read' (attendance flags); its stored alerts follow alerts.active_for, "
                        "left out (stored_hidden) without narrative access or a grant for the client",
    "attendance.hours_by_week": "'chart.read' (attendance hours), held by the admin role",
    "consents.get": "'chart.read' (consents must be checked before any disclosure)",
    "consents.list_for_client": "'chart.read' (consents must be checked before any disclosure)",
    "consents.valid_consent_for": "'chart.read' (consents must be checked before any disclosure)",
    "disclosures.log": "'chart.read' (accounting of disclosures)",
    "family.contacts": "'chart.read' (contacts and their consents)",
    "family.sessions": "'chart.read' (dates and attendees)",
    "measures.schedules": "'chart.read' (which measures are due when, no results)",
    "notes.list_for_client": "'chart.read' (note list without text; the text needs notes.get)",
    "plans.versions": "'chart.read' (version numbers and dates, no plan text)",
    "groups.session": "'chart.read' (a session's date, time and group, no client)",
    "audit.for_client": "'admin.audit' (the audit trail), held by the admin role",
    "sync.shared_sites": "'sync.run' (which satellite sites hold the chart: site codes, no record), "
                         "held by the admin role",
    "emergency.active_for": "the caller's own grant for the client (None for the other client)",
    "disclosures.withheld_notes": "'print.chart' or 'chart.export' (which notes are kept out of a "
                                  "release: dates and the names found, no note text), held by the admin role",
    "disclosures.check_note_releasable": "'print.chart' or 'chart.export' (whether a note may leave the "
                                         "program), held by the admin role",
    "notes.name_people": "'chart.read' (the names of the clients in care, as client search shows them)",
}

# Reads a grant for one client never opens, and why.
NOT_BY_GRANT = {
    "groups.roster": "a whole group session: every attendee's name, objectives and note; one "
                     "client's grant must not open the others' (her own group note opens by notes.get)",
    "groups.warnings": "a whole group session's notes (names of other attendees found in them)",
    "groups.saved_sections": "a whole group session's notes: every attendee's individualized text",
    "disclosures.release_consent": "'print.chart': printing for a disclosure is not reading",
}

# Public methods that write (or draft for writing) although their name does not start with a verb
# in WRITE_VERBS; a grant never adds writes.
WRITES = {"measures.schedule_defaults": "stores the default measure schedules ('measure.write')",
          "plans.check_sign": "asks what signing would refuse, before the attestation ('plan.sign')",
          "plans.check_review": "asks what recording a review would refuse ('plan.sign')",
          "discharge.check_sign": "asks what signing would refuse, before the attestation ('discharge.write')",
          "discharge.check_draft": "asks what drafting would refuse ('discharge.write')"}


def chart_reads(clinic) -> dict[str, object]:
    """"service.method" → bound method, for every public read taking a chart record's id."""
    found = {}
    for name, method in public_methods(clinic):
        if is_write(name.split(".")[1]) or name in WRITES:
            continue
        required = {p.name for p in inspect.signature(method).parameters.values()
                    if p.default is inspect.Parameter.empty and p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
        if required & CHART_PARAMETERS:
            found[name] = method
    return found


@pytest.fixture
def two_charts(staffed_clinic):
    """Jordan and Priya, each with an episode, a plan, a group note in yesterday's session, an alert,
    a medication with a dose change, a consent and a draft discharge; Ada (admin) signed in with a
    grant for Jordan only. Returns (clinic, {"granted": ids, "other": ids})."""
    clinic = staffed_clinic
    session, members = group_day(clinic, 2)
    ids = {}
    for index, (client, _objectives) in enumerate(members):
        clinic.groups.record_attendance(session.id, client.id, "present")
        note, _ = clinic.groups.save_client_section(session.id, client.id, sections_for(index))
        alert, _ = clinic.alerts.raise_alert(client.id, kind="clinical", message="Missed two doses of MAT.")
        consent, _ = clinic.consents.record(client.id, **consent_fields(signed_by=client.legal_name))
        episode = clinic.episodes.current(client.id)
        ids[client.id] = {"client_id": client.id, "episode_id": episode.id, "note_id": note.id,
                          "alert_id": alert.id, "consent_id": consent.id, "session_id": session.id,
                          "mrn": client.mrn, "recipient": consent_fields()["recipient"],
                          "measure_code": "PHQ-9"}
    clinic.login("prescriber", ADMIN_PASSWORD)
    for client_id, record in ids.items():
        med, _ = clinic.meds.add_medication(client_id, drug="Buprenorphine", amount=8, unit="mg",
                                            route="sublingual", frequency="daily",
                                            started_on=YESTERDAY - dt.timedelta(days=7), is_mat=True)
        clinic.meds.change_dose(med.id, amount=12, effective_on=YESTERDAY, reason="Cravings persist.",
                                expected_version=med.version)
        record["medication_id"] = med.id
        record["plan_id"] = str(TreatmentPlan.get(TreatmentPlan.client == client_id).id)
    clinic.login("clinician", ADMIN_PASSWORD)
    for record in ids.values():
        discharge, _ = clinic.discharge.draft(record["episode_id"], discharged_on=clock.today(),
                                              reason="completed")
        record["discharge_id"] = discharge.id
    clinic.login("admin", ADMIN_PASSWORD)
    granted, other = list(ids.values())
    clinic.emergency.request(granted["client_id"], REASON)
    return clinic, {"granted": granted, "other": other}


def arguments(method, record: dict) -> tuple[list, dict]:
    """The method's required arguments taken from one client's records."""
    args, kwargs = [], {}
    for param in inspect.signature(method).parameters.values():
        if param.default is not inspect.Parameter.empty or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        value = record[param.name]
        if param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return args, kwargs


def outcome(method, record: dict) -> str:
    """"ok", "chart refused" (ChartAccessDenied) or "refused" (another PermissionDenied)."""
    args, kwargs = arguments(method, record)
    try:
        method(*args, **kwargs)
    except ChartAccessDenied:
        return "chart refused"
    except PermissionDenied:
        return "refused"
    return "ok"


def test_the_sweep_finds_the_chart_reads_and_every_listed_one_exists(two_charts):
    """The introspection finds the narrative reads (including those fixed for emergency access),
    and no listed exception is stale."""
    clinic, _ = two_charts
    reads = chart_reads(clinic)
    assert {"notes.get", "alerts.get", "meds.dose_history", "discharge.get", "plans.reviews",
            "plans.get", "groups.roster", "meds.medications", "measures.history"} <= set(reads)
    assert set(ROLE_READS) <= set(reads) and set(NOT_BY_GRANT) <= set(reads)
    assert not set(ROLE_READS) & set(NOT_BY_GRANT)
    assert set(WRITES) <= {name for name, _ in public_methods(clinic)}


def test_every_chart_read_opens_with_a_grant_for_that_client_only(two_charts):
    """Ada, who may not read narrative, reads each of Jordan's records with her grant and is refused
    Priya's with ChartAccessDenied; role reads open both, whole-session reads neither."""
    clinic, records = two_charts
    assert not clinic.actor.can("chart.read_narrative") and clinic.actor.can("emergency.request")
    wrong = []
    for name, method in sorted(chart_reads(clinic).items()):
        if name in ROLE_READS:
            expected = ("ok", "ok")
        elif name in NOT_BY_GRANT:
            expected = ("refused", "refused")
        else:
            expected = ("ok", "chart refused")
        got = (outcome(method, records["granted"]), outcome(method, records["other"]))
        if name in NOT_BY_GRANT and "chart refused" in got:
            got = tuple("refused" if g == "chart refused" else g for g in got)
        if got != expected:
            wrong.append(f"{name}: granted client {got[0]}, other client {got[1]} "
                         f"(expected {expected[0]}, {expected[1]})")
    assert wrong == [], "\n".join(wrong)


def test_the_refusal_of_another_clients_record_names_that_client(two_charts):
    """Reads by a record id (alert, medication, discharge) refuse naming the record's client, so the
    chart can offer emergency access for the right person."""
    clinic, records = two_charts
    other = records["other"]
    for read, key in ((clinic.alerts.get, "alert_id"), (clinic.meds.dose_history, "medication_id"),
                      (clinic.discharge.get, "discharge_id"), (clinic.plans.reviews, "episode_id")):
        with pytest.raises(ChartAccessDenied) as err:
            read(other[key])
        assert err.value.emergency_possible and err.value.client_id == str(other["client_id"])
    granted = records["granted"]
    assert [d.amount for d in clinic.meds.dose_history(granted["medication_id"])] == [8, 12]
    assert clinic.alerts.get(granted["alert_id"]).client_id == str(granted["client_id"])
    assert clinic.discharge.get(granted["discharge_id"]).status == "draft"
