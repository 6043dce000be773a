"""ONC 170.315(d)(6) emergency access: an administrator who may not read therapy notes breaks the
glass for one client with a reason; for four hours she reads that client's narrative (only that
client's, only reading), the request is audited and waits in the review queue until a supervisor
marks it reviewed."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import NotFound, PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, EmergencyAccess
from iopdesk.permissions import ChartAccessDenied
from tests.conftest import ADMIN_PASSWORD

REASON = "Client in crisis at front desk; on-call clinician unreachable."


@pytest.fixture
def chart_with_note_and_omar(admitted_client):
    """Marisol's chart with a note, a medication and an alert; a second client Omar; admin signed in."""
    clinic, client, episode = admitted_client
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), minutes=50,
                                        sections={"data": "Reported passive suicidal thoughts.",
                                                  "assessment": "", "plan": ""})
    other, _ = clinic.clients.register(legal_first="Omar", legal_last="Haddad", dob="1980-03-03")
    clinic.login("admin", ADMIN_PASSWORD)
    return clinic, client, episode, note, other


def test_admin_is_refused_narrative_with_a_way_to_break_the_glass(chart_with_note_and_omar):
    """Without a grant the admin's read of a note is refused, and the refusal says emergency access
    is possible for this client."""
    clinic, client, _, note, _ = chart_with_note_and_omar
    with pytest.raises(ChartAccessDenied) as err:
        clinic.notes.get(note.id)
    assert err.value.emergency_possible and err.value.client_id == str(client.id)
    assert "emergency" in str(err.value)
    with pytest.raises(ChartAccessDenied):
        clinic.alerts.active_for(client.id)


def test_breaking_the_glass_opens_one_chart_for_four_hours_and_is_audited(chart_with_note_and_omar):
    """With a reason the admin reads Marisol's note, plan and alerts; the request is audited with
    the reason; Omar's chart stays closed."""
    clinic, client, episode, note, other = chart_with_note_and_omar
    grant, changes = clinic.emergency.request(client.id, REASON)
    assert "emergency_access" in changes.kinds and str(client.id) in changes.client_ids
    assert grant.reason == REASON and grant.client_mrn == client.mrn and grant.reviewed_at is None
    assert dt.timedelta(hours=3, minutes=59) < grant.expires_at - grant.granted_at <= dt.timedelta(hours=4)
    assert "suicidal" in clinic.notes.get(note.id).sections["data"]
    assert clinic.alerts.active_for(client.id) == []
    assert clinic.plans.current_plan(episode.id) is None
    assert clinic.meds.medications(client.id) == []
    event = AuditEvent.get(AuditEvent.action == "break_glass")
    assert event.actor == "admin" and str(event.client_id) == str(client.id)
    assert event.detail["reason"] == REASON
    assert clinic.emergency.active_for(client.id).id == grant.id
    with pytest.raises(ChartAccessDenied):
        clinic.meds.medications(other.id)


def test_the_grant_never_allows_writing(chart_with_note_and_omar):
    """Emergency access reads; the admin still cannot write a note for the client."""
    clinic, client, *_ = chart_with_note_and_omar
    clinic.emergency.request(client.id, REASON)
    with pytest.raises(PermissionDenied):
        clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=clock.today())


def test_the_grant_ends_after_four_hours(chart_with_note_and_omar, monkeypatch):
    """Once the grant has expired the narrative is refused again."""
    clinic, client, _, note, _ = chart_with_note_and_omar
    clinic.emergency.request(client.id, REASON)
    later = clock.utcnow() + dt.timedelta(hours=4, minutes=1)
    monkeypatch.setattr("iopdesk.services.emergency_access.utcnow", lambda: later)
    with pytest.raises(ChartAccessDenied):
        clinic.notes.get(note.id)
    assert clinic.emergency.active_for(client.id) is None


def test_a_reason_is_required_and_nothing_is_written_without_one(chart_with_note_and_omar):
    """A blank or too-short reason is refused naming the field; no grant, no audit event."""
    clinic, client, *_ = chart_with_note_and_omar
    for reason in ("", "   ", "urgent"):
        with pytest.raises(ValidationError) as err:
            clinic.emergency.request(client.id, reason)
        assert err.value.field == "reason" and str(err.value).startswith("Reason:")
    with pytest.raises(NotFound):
        clinic.emergency.request("00000000-0000-7000-8000-000000000000", REASON)
    assert EmergencyAccess.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "break_glass").count() == 0


def test_who_may_break_the_glass(chart_with_note_and_omar):
    """A biller may not (minimum necessary); a clinician already has access and is told so."""
    clinic, client, _, note, _ = chart_with_note_and_omar
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(ChartAccessDenied) as err:
        clinic.notes.get(note.id)
    assert not err.value.emergency_possible
    with pytest.raises(PermissionDenied):
        clinic.emergency.request(client.id, REASON)
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(ValidationError) as err:
        clinic.emergency.request(client.id, REASON)
    assert err.value.field == "client_id"


def test_a_supervisor_reviews_the_emergency_access(chart_with_note_and_omar):
    """The grant waits in the review queue; the requester cannot review it herself; a supervisor
    marks it reviewed (audited) and it leaves the queue; a clinician has no queue."""
    clinic, client, *_ = chart_with_note_and_omar
    grant, _ = clinic.emergency.request(client.id, REASON)
    assert [g.id for g in clinic.emergency.review_queue()] == [grant.id]
    with pytest.raises(PermissionDenied, match="Another reviewer"):
        clinic.emergency.mark_reviewed(grant.id)
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.emergency.review_queue()
    clinic.login("supervisor", ADMIN_PASSWORD)
    queue = clinic.emergency.review_queue()
    assert [(g.staff_name, g.client_mrn, g.reason) for g in queue] == [("Ada Admin", client.mrn, REASON)]
    clinic.emergency.mark_reviewed(grant.id, "Appropriate: crisis.")
    assert clinic.emergency.review_queue() == []
    row = EmergencyAccess.get_by_id(grant.id)
    assert row.reviewed_at is not None and row.review_note == "Appropriate: crisis."
    assert AuditEvent.select().where(AuditEvent.action == "break_glass_reviewed").count() == 1
    with pytest.raises(ValidationError):
        clinic.emergency.mark_reviewed(grant.id)


def test_emergency_grants_are_a_synced_table(chart_with_note_and_omar):
    """A grant made at a satellite reaches the main clinic's review queue: it is in the change log."""
    import uuid

    from iopdesk.models import SyncChange
    from iopdesk.sync.rows import log_row_id

    clinic, client, *_ = chart_with_note_and_omar
    grant, _ = clinic.emergency.request(client.id, REASON)
    row_id = log_row_id(clinic.db, uuid.UUID(grant.id))
    assert SyncChange.select().where((SyncChange.table_name == "emergency_access")
                                     & (SyncChange.row_id == row_id)).exists()


def test_a_failed_audit_leaves_no_grant(chart_with_note_and_omar, monkeypatch):
    """The grant and its audit event are one transaction: if auditing fails, no grant remains."""
    import iopdesk.audit.chain

    clinic, client, *_ = chart_with_note_and_omar

    def broken(*args, **kwargs):
        raise RuntimeError("disk trouble")

    monkeypatch.setattr(iopdesk.audit.chain, "record", broken)
    with pytest.raises(RuntimeError):
        clinic.emergency.request(client.id, REASON)
    assert EmergencyAccess.select().count() == 0
