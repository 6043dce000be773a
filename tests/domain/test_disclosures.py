"""Printing for someone outside the program: the page frame, the Part 2 gate and the disclosure log."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent, Disclosure
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_consents import consent_fields


def test_a_substance_use_clients_pages_carry_the_part2_notice(admitted_client):
    """Marisol is in the substance use track: her documents are Part 2 records."""
    clinic, client, _ = admitted_client
    context = clinic.disclosures.document_context(client.id)
    assert context.part2 and "42 CFR part 2 prohibits" in context.part2_notice
    assert context.client_name == "Marisol Quintana-Reyes" and context.mrn == client.mrn
    assert context.printed_by == "Cleo Clinician" and context.confidentiality


def test_a_mental_health_clients_pages_carry_no_part2_notice(staffed_clinic):
    """A client only ever in the mental health track prints without the Part 2 notice."""
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = staffed_clinic.clients.register(legal_first="Ines", legal_last="Okonkwo", dob="1990-02-03")
    staffed_clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=3),
                                  track_code="mental_health", primary_clinician="clinician")
    context = staffed_clinic.disclosures.document_context(client.id)
    assert not context.part2 and context.part2_notice == ""


def test_release_without_a_consent_is_refused_and_not_logged(admitted_client):
    """No consent names the drug court: refused naming the recipient; the log stays empty."""
    clinic, client, _ = admitted_client
    with pytest.raises(ValidationError) as err:
        clinic.disclosures.record_release(client.id, "Harbor County Drug Court", "Treatment plan v1")
    assert err.value.field == "recipient" and "no valid, unexpired consent" in str(err.value)
    assert Disclosure.select().count() == 0


def test_release_under_a_consent_is_logged_with_its_consent(admitted_client):
    """With the drug court's consent on file the release is logged, audited and listed."""
    clinic, client, _ = admitted_client
    consent, _ = clinic.consents.record(client.id, **consent_fields())
    assert clinic.disclosures.release_consent(client.id, "harbor county  drug court").id == consent.id
    logged, changes = clinic.disclosures.record_release(client.id, "Harbor County Drug Court",
                                                        "Treatment plan v1 (PDF)")
    assert logged.consent_id == consent.id and logged.disclosed_by == "Cleo Clinician"
    assert [d.id for d in clinic.disclosures.log(client.id)] == [logged.id]
    assert changes.touches("disclosure")
    assert AuditEvent.select().where(AuditEvent.action == "disclose").count() == 1


def test_a_revoked_consent_no_longer_releases(admitted_client):
    """Revoked yesterday: today's release is refused."""
    clinic, client, _ = admitted_client
    consent, _ = clinic.consents.record(client.id, **consent_fields())
    clinic.consents.revoke(consent.id, consent.signed_on)
    with pytest.raises(ValidationError):
        clinic.disclosures.release_consent(client.id, "Harbor County Drug Court")


def test_a_biller_cannot_print_a_chart(admitted_client):
    """Printing a client's documents needs print.chart, which billers do not have."""
    clinic, client, _ = admitted_client
    clinic.login("biller", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        clinic.disclosures.document_context(client.id)


def test_a_sign_in_sheet_names_no_client_but_keeps_the_part2_notice(admitted_client):
    """A session's sheet lists program clients, so it is a Part 2 record though it is about no one client."""
    clinic, _, _ = admitted_client
    context = clinic.disclosures.document_context()
    assert (context.client_name, context.mrn, context.dob) == ("", "", None) and context.part2_notice
