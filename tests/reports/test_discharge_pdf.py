"""The printed discharge summary, read back from the PDF: every element of a signed summary, a draft
marked as such with a line to sign on, release under a consent, and a missing discharge."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel import clock
from reports.jobs import PrintRequest, print_document
from tests.domain.test_consents import consent_fields
from tests.domain.test_discharge import record_to_discharge
from tests.domain.test_plans import signed_plan
from tests.reports.test_plan_pdf import assert_every_page_framed, printed

DAY = dt.timedelta(days=1)
TODAY = clock.today()


def discharge_with_record(clinic, client, episode):
    """Marisol's draft discharge (completed, today) over a record with a resolved diagnosis, a
    reviewed plan, group attendance, notes, two PHQ-9s, a MAT medication and two referrals."""
    record_to_discharge(clinic, client, episode)
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed",
                                     reason_detail="Met every plan objective but one.",
                                     aftercare="Weekly outpatient counseling; keep attending NA twice a week.")
    view, _ = clinic.discharge.add_referral(view.id, expected_version=view.version, provider="Lakeside Counseling",
                                            service="Outpatient counseling", appointment_on=TODAY + 5 * DAY,
                                            contact="(360) 555-0142", barriers="Evening shifts")
    view, _ = clinic.discharge.add_referral(view.id, expected_version=view.version, provider="Harbor NA",
                                            service="Mutual-help meetings")
    return view


def test_a_signed_discharge_summary_prints_every_element(admitted_client):
    """Marisol's signed summary shows dates, reason, diagnoses at admission and at discharge, services
    and attendance, progress per objective, PHQ-9 first and last with the change, medications,
    aftercare and referrals, and who signed it, on framed pages with the Part 2 notice."""
    clinic, client, episode = admitted_client
    view = discharge_with_record(clinic, client, episode)
    signed, _ = clinic.discharge.sign(view.id, expected_version=view.version)
    pages, reader, result = printed(clinic, "discharge", PrintRequest(client_id=client.id))
    text = " ".join(pages)
    signed_day = signed.signed_at.replace(tzinfo=dt.UTC).astimezone().date()
    expected = [
        "Discharge summary", f"Discharged {TODAY:%m/%d/%Y} · Signed {signed_day:%m/%d/%Y} by Cleo Clinician",
        "Marisol Quintana-Reyes", client.mrn, "04/12/1991",
        f"Admitted {episode.admitted_on:%m/%d/%Y}", f"Discharged {TODAY:%m/%d/%Y}", "Length of stay 15 days",
        "Level 2.1 intensive outpatient (IOP)", "Substance use", "Primary clinician Cleo Clinician",
        "Reason for discharge Treatment completed Met every plan objective but one.",
        "Diagnoses at admission ICD-10 Diagnosis Primary F11.20 Opioid dependence, uncomplicated Primary "
        "F32.1 MDD, moderate Diagnoses at discharge ICD-10 Diagnosis Primary F11.20 Opioid dependence, "
        "uncomplicated Primary Services received",
        "Group sessions attended 3 of 4 scheduled (75% attendance)", "Individual sessions 2", "Family sessions 1",
        "Medication management visits 0",
        "Problem 1: Continued opioid use despite harm to health and work.",
        "Goal 1.1: Achieve and keep abstinence from opioids.",
        f"Attend at least 90% of scheduled IOP sessions. {episode.admitted_on + 30 * DAY:%m/%d/%Y} Objective met "
        f"reviewed {TODAY - DAY:%m/%d/%Y} Every day",
        "Some progress",
        f"PHQ-9 11 · Moderate {episode.admitted_on:%m/%d/%Y} 6 · Mild {TODAY - 2 * DAY:%m/%d/%Y} -5 2",
        "Buprenorphine/naloxone (MAT) 8 mg daily sublingual Priya Prescriber",
        "Weekly outpatient counseling; keep attending NA twice a week.",
        f"Lakeside Counseling Outpatient counseling {TODAY + 5 * DAY:%m/%d/%Y} (360) 555-0142 Evening shifts",
        "Harbor NA Mutual-help meetings Not booked", f"Electronically signed by Cleo Clinician, LPC on {signed_day:%m/%d/%Y}",
        f"signature fingerprint {signed.content_hash[:16]}",
    ]
    assert [e for e in expected if e not in text] == []
    assert "DRAFT" not in text and signed.signed_by_credentials == "LPC"
    assert_every_page_framed(pages, "Marisol Quintana-Reyes", client.mrn)
    assert result.description == f"Discharge summary, discharged {TODAY:%m/%d/%Y}, signed {signed_day:%m/%d/%Y}"
    meta = reader.metadata
    assert (meta.title, meta.subject) == (f"Discharge summary — {client.mrn}", result.description) and meta.author


def test_a_draft_summary_is_marked_and_leaves_a_line_to_sign(admitted_client):
    """An unsigned discharge prints DRAFT — not signed, its due date, and a blank line for the clinician."""
    clinic, client, episode = admitted_client
    view = discharge_with_record(clinic, client, episode)
    pages, _, result = printed(clinic, "discharge", PrintRequest(client_id=client.id, target_id=view.id))
    text = " ".join(pages)
    assert f"Discharged {TODAY:%m/%d/%Y} · DRAFT — not signed" in text
    assert f"DRAFT — not signed. Summary due {view.due_on:%m/%d/%Y}." in text
    assert "Clinician — Cleo Clinician Date" in text and "Electronically signed" not in text
    assert result.description == f"Discharge summary, discharged {TODAY:%m/%d/%Y}, draft (not signed)"


def test_a_bare_discharge_says_what_is_missing_instead_of_empty_tables(admitted_client):
    """Discharged the day after admission with no plan, measures, medications or referrals: each
    section says so in words."""
    clinic, client, episode = admitted_client
    clinic.discharge.draft(episode.id, discharged_on=episode.admitted_on, reason="left_against_advice")
    text = " ".join(printed(clinic, "discharge", PrintRequest(client_id=client.id))[0])
    for words in ("Length of stay 1 day ", "Left against advice / dropped out", "No treatment plan on record",
                  "No measures were given", "No active medications at discharge", "No aftercare plan written yet.",
                  "No aftercare referrals.", "no group sessions scheduled"):
        assert words in text


def test_release_of_the_summary_needs_a_consent_and_is_logged(admitted_client, tmp_path):
    """Without a consent the release to the drug court is refused (no file, no log); with it the
    summary ends with the release pages and the disclosure is logged."""
    clinic, client, episode = admitted_client
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    clinic.discharge.sign(view.id, expected_version=view.version)
    out = tmp_path / "discharge.pdf"
    with pytest.raises(ValidationError):
        print_document(clinic, "discharge", PrintRequest(client_id=client.id), out,
                       recipient="Harbor County Drug Court")
    assert not out.exists() and clinic.disclosures.log(client.id) == []
    clinic.consents.record(client.id, **consent_fields())
    pages, _, result = printed(clinic, "discharge", PrintRequest(client_id=client.id), out,
                               recipient="Harbor County Drug Court")
    assert "released to Harbor County Drug Court" in pages[-1] and "42 CFR 2.31" in pages[-1]
    (logged,) = clinic.disclosures.log(client.id)
    assert logged.description == f"{result.description} (PDF)" and logged.recipient == "Harbor County Drug Court"


def test_a_client_without_a_discharge_or_another_clients_discharge_is_refused(admitted_client):
    """No discharge yet: NotFound naming the client; a discharge id of another client: refused."""
    clinic, client, episode = admitted_client
    out = io.BytesIO()
    with pytest.raises(NotFound) as err:
        print_document(clinic, "discharge", PrintRequest(client_id=client.id), out)
    assert "Marisol Quintana-Reyes has no discharge summary" in str(err.value)
    view, _ = clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    other, _ = clinic.clients.register(legal_first="Ines", legal_last="Okonkwo", dob="1990-02-03")
    with pytest.raises(ValidationError) as err:
        print_document(clinic, "discharge", PrintRequest(client_id=other.id, target_id=view.id), out)
    assert "belongs to another client" in str(err.value) and out.getvalue() == b""


def test_a_review_comment_longer_than_a_page_prints_in_full(admitted_client):
    """A long last-review comment on an objective splits across pages in the progress table."""
    clinic, client, episode = admitted_client
    plan = signed_plan(clinic, episode)
    attend_objective, triggers = plan.objectives
    comment = "Attended and spoke about the week's cravings and what helped. " * 80 + "END-OF-COMMENT"
    clinic.plans.record_review(plan.id, reviewed_on=TODAY - DAY, summary="Long month.", expected_version=plan.version,
                               progress={attend_objective.id: ("met", comment), triggers.id: "some_progress"})
    clinic.discharge.draft(episode.id, discharged_on=TODAY, reason="completed")
    pages, _, _ = printed(clinic, "discharge", PrintRequest(client_id=client.id))
    text = " ".join(pages)
    assert "Objective met" in text and "END-OF-COMMENT" in text and len(pages) >= 3
    assert_every_page_framed(pages, "Marisol Quintana-Reyes", client.mrn)
