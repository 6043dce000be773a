"""Alerts: raised with the record that caused them, seen on the caseload, resolved in writing."""

from __future__ import annotations

import pytest

from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import Alert
from tests.conftest import ADMIN_PASSWORD

TODAY = clock.today()


def safety_alert(clinic, client):
    clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2])
    return clinic.alerts.active_for(client.id)[0]


def test_resolving_a_safety_alert_keeps_who_when_and_what_was_done(admitted_client):
    """The clinician completes a safety plan and resolves the alert; it leaves the active lists."""
    clinic, client, _ = admitted_client
    alert = safety_alert(clinic, client)
    resolved, changes = clinic.alerts.resolve(alert.id, "Safety plan completed same day; no intent or plan.")
    assert changes.touches("alert") and not resolved.active
    assert (resolved.resolved_by, resolved.resolution[:11]) == ("Cleo Clinician", "Safety plan")
    assert clinic.alerts.active_for(client.id) == [] and clinic.alerts.active_safety_alerts() == []
    assert [a.id for a in clinic.alerts.history(client.id)] == [alert.id]


def test_a_resolution_is_required_and_a_resolved_alert_stays_resolved(admitted_client):
    """A blank resolution is refused naming the field; resolving twice is refused."""
    clinic, client, _ = admitted_client
    alert = safety_alert(clinic, client)
    with pytest.raises(ValidationError) as err:
        clinic.alerts.resolve(alert.id, "   ")
    assert err.value.field == "resolution"
    assert Alert.get_by_id(alert.id).resolved_at is None
    clinic.alerts.resolve(alert.id, "Seen by the supervisor.")
    with pytest.raises(ValidationError, match="already resolved"):
        clinic.alerts.resolve(alert.id, "Again")


def test_active_safety_alerts_follow_the_primary_clinicians_caseload(admitted_client):
    """Cleo's caseload shows Marisol's safety alert; Sam's does not; an unexpected positive is not a safety alert."""
    clinic, client, _ = admitted_client
    alert = safety_alert(clinic, client)
    clinic.alerts.raise_alert(client.id, kind="clinical", message="Missed two doses of MAT this week.")
    assert [a.id for a in clinic.alerts.active_safety_alerts(clinician="clinician")] == [alert.id]
    assert clinic.alerts.active_safety_alerts(clinician="supervisor") == []
    assert len(clinic.alerts.active_for(client.id)) == 2
    with pytest.raises(ValidationError) as err:
        clinic.alerts.active_safety_alerts(clinician="nobody")
    assert err.value.field == "clinician"


def test_an_alert_of_unknown_kind_is_refused(admitted_client):
    """Alert kinds are a fixed list."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.alerts.raise_alert(client.id, kind="gossip", message="x")
    assert err.value.field == "kind" and Alert.select().count() == 0


def test_a_biller_neither_sees_nor_resolves_alerts(admitted_client):
    """Alerts carry clinical content; a biller is refused."""
    clinic, client, _ = admitted_client
    alert = safety_alert(clinic, client)
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.alerts.active_for(client.id)
    with pytest.raises(PermissionDenied):
        clinic.alerts.resolve(alert.id, "closing")
