"""Part 2 consents: every required element, expiration, revocation, and what covers a recipient."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Consent
from tests.conftest import ADMIN_PASSWORD

TODAY = clock.today()


def consent_fields(**overrides) -> dict:
    fields = dict(
        discloser="Riverside IOP", information="Attendance, drug screen results and progress in treatment",
        recipient="Harbor County Drug Court", purpose="Compliance with drug court supervision",
        revocation_acknowledged=True, signed_by="Marisol Quintana-Reyes", signed_on=TODAY - dt.timedelta(days=10),
        expires_on=TODAY + dt.timedelta(days=170),
    )
    fields.update(overrides)
    return fields


def test_a_consent_with_every_element_is_on_file_and_covers_its_recipient(admitted_client):
    """Marisol signs a release to the drug court; it covers the court (any spelling case) and no one else."""
    clinic, client, _ = admitted_client
    consent, changes = clinic.consents.record(client.id, **consent_fields())
    assert changes.touches("consent")
    assert consent.recorded_by == "Cleo Clinician" and consent.revoked_on is None
    assert clinic.consents.valid_consent_for(client.id, "harbor county  drug court").id == consent.id
    assert clinic.consents.valid_consent_for(client.id, "Her employer") is None
    assert [c.id for c in clinic.consents.list_for_client(client.id)] == [consent.id]
    events = AuditEvent.select().where(AuditEvent.entity == "consent").order_by(AuditEvent.seq)
    assert [e.action for e in events] == ["create", "seal"]  # recorded, and sealed (issue 19)


@pytest.mark.parametrize("field, value", [
    ("discloser", ""), ("information", "  "), ("recipient", ""), ("purpose", ""),
    ("revocation_acknowledged", False), ("signed_by", ""), ("signed_on", None),
])
def test_each_missing_element_is_refused_with_the_field_named(admitted_client, field, value):
    """A consent missing any Part 2 element is refused naming that element; nothing is saved."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.consents.record(client.id, **consent_fields(**{field: value}))
    assert err.value.field == field
    assert Consent.select().count() == 0


def test_consent_without_expiration_is_refused(admitted_client):
    """Neither an expiration date nor an event: refused naming the expiration."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError, match="Expiration") as err:
        clinic.consents.record(client.id, **consent_fields(expires_on=None, expiration_event=""))
    assert err.value.field == "expires_on"
    assert Consent.select().count() == 0


def test_a_consent_may_expire_on_an_event_instead_of_a_date(admitted_client):
    """'Upon discharge from the program' is an expiration; the consent covers until revoked."""
    clinic, client, _ = admitted_client
    consent, _ = clinic.consents.record(
        client.id, **consent_fields(expires_on=None, expiration_event="Upon discharge from the program"))
    assert consent.expires_on is None and consent.expiration_event.startswith("Upon discharge")
    assert clinic.consents.valid_consent_for(client.id, "Harbor County Drug Court", on=TODAY + dt.timedelta(days=900))


def test_expiration_before_signing_is_refused(admitted_client):
    """A consent cannot expire before the day it was signed."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.consents.record(client.id, **consent_fields(expires_on=TODAY - dt.timedelta(days=11)))
    assert err.value.field == "expires_on"
    assert Consent.select().count() == 0


def test_a_consent_signed_in_the_future_is_refused(admitted_client):
    """The signing date is a fact, not a plan."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.consents.record(client.id, **consent_fields(signed_on=TODAY + dt.timedelta(days=1)))
    assert err.value.field == "signed_on"


def test_revoked_consent_no_longer_covers_the_recipient(admitted_client):
    """Marisol revokes her release today: it stays on file, covered yesterday, covers nothing from today."""
    clinic, client, _ = admitted_client
    consent, _ = clinic.consents.record(client.id, **consent_fields())
    revoked, changes = clinic.consents.revoke(consent.id, TODAY)
    assert changes.touches("consent") and revoked.revoked_on == TODAY and revoked.version == consent.version + 1
    assert clinic.consents.valid_consent_for(client.id, "Harbor County Drug Court") is None
    yesterday = TODAY - dt.timedelta(days=1)
    assert clinic.consents.valid_consent_for(client.id, "Harbor County Drug Court", on=yesterday).id == consent.id
    assert [c.revoked_on for c in clinic.consents.list_for_client(client.id)] == [TODAY]
    with pytest.raises(ValidationError, match="already revoked"):
        clinic.consents.revoke(consent.id, TODAY)


def test_an_expired_consent_no_longer_covers_the_recipient(admitted_client):
    """After its expiration date a consent covers nothing; the day itself is still covered."""
    clinic, client, _ = admitted_client
    clinic.consents.record(client.id, **consent_fields(expires_on=TODAY + dt.timedelta(days=5)))
    assert clinic.consents.valid_consent_for(client.id, "Harbor County Drug Court", on=TODAY + dt.timedelta(days=5))
    assert clinic.consents.valid_consent_for(client.id, "Harbor County Drug Court",
                                             on=TODAY + dt.timedelta(days=6)) is None


def test_consents_expiring_soon_show_on_the_clinicians_caseload(admitted_client):
    """Within the rule's 30 days: the court release due to expire in 20 days shows, the 170-day one does not."""
    clinic, client, _ = admitted_client
    soon, _ = clinic.consents.record(client.id, **consent_fields(expires_on=TODAY + dt.timedelta(days=20)))
    clinic.consents.record(client.id, **consent_fields(recipient="Dr. Okafor, primary care"))
    expiring = clinic.consents.expiring(clinician="clinician")
    assert [(e.consent_id, e.days_left, e.mrn) for e in expiring] == [(soon.id, 20, client.mrn)]
    assert clinic.consents.expiring(clinician="supervisor") == []
    assert len(clinic.consents.expiring(within_days=200)) == 2


def test_a_biller_cannot_record_a_consent(admitted_client):
    """Recording consents is clinical work."""
    clinic, client, _ = admitted_client
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.consents.record(client.id, **consent_fields())
