"""The printed treatment plan, read back from the PDF: every element of a signed and reviewed plan,
a 40-objective plan spanning pages, names with accents, blank signature lines on a draft, and
release outside the program under (or refused without) a consent."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import Payer
from reports.jobs import PrintRequest, print_document
from tests.domain.test_consents import consent_fields
from tests.domain.test_plans import draft_plan, signed_plan

DAY = dt.timedelta(days=1)
TODAY = clock.today()
NAME = "Zoë Ångström-Nguyễn"


def printed(clinic, code, request, out=None, **kwargs):
    """Print through the job as the app does; (page texts with whitespace collapsed, reader, result)."""
    out = out if out is not None else io.BytesIO()
    result = print_document(clinic, code, request, out, **kwargs)
    data = out.getvalue() if isinstance(out, io.BytesIO) else open(out, "rb").read()
    reader = PdfReader(io.BytesIO(data))
    return [" ".join(page.extract_text().split()) for page in reader.pages], reader, result


def assert_every_page_framed(pages, name, mrn):
    """Page X of Y, the client and MRN, and the Part 2 notice on every page."""
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"{name} · MRN {mrn}" in page
        assert "42 CFR part 2 prohibits" in page and "Confidential health information" in page


def reviewed_plan(clinic, client, episode):
    """Marisol's signed plan with details, a secondary diagnosis and one signed review."""
    Payer.create(name="Cascadia Health Plan", code="CHP", kind="medicaid")
    clinic.episodes.add_diagnosis(episode.id, code="F41.1", description="Generalized anxiety disorder",
                                  noted_on=episode.admitted_on)
    plan = draft_plan(clinic, episode)
    plan, _ = clinic.plans.update_details(
        plan.id, expected_version=plan.version, strengths="Motivated by her daughter; sponsor since May.",
        barriers="No car; works evening shifts.", services="IOP groups five days a week & weekly drug screens.",
        referrals="Primary care for a physical.")
    plan, _ = clinic.plans.sign(plan.id, expected_version=plan.version, client_signature_name="Marisol Quintana-Reyes",
                                client_signed_on=episode.admitted_on + 3 * DAY)
    attend, triggers = plan.objectives
    clinic.plans.record_review(plan.id, reviewed_on=TODAY - DAY, summary="Attending daily; cravings easing.",
                               progress={attend.id: ("significant_progress", "4 of 5 days"),
                                         triggers.id: ("some_progress", "")}, expected_version=plan.version)
    return plan


def test_a_signed_reviewed_plan_prints_every_element(admitted_client):
    """Marisol's signed plan shows her identifiers, the episode, diagnoses, details, the problem tree
    with last ratings and interventions, the review schedule and both signatures, on framed pages."""
    clinic, client, episode = admitted_client
    plan = reviewed_plan(clinic, client, episode)
    pages, reader, result = printed(clinic, "plan", PrintRequest(client_id=client.id))
    text = " ".join(pages)
    signed_day = plan.clinician_signed_at.replace(tzinfo=dt.UTC).astimezone().date()
    expected = [
        "Treatment plan", f"Version 1 · Signed {signed_day:%m/%d/%Y}", f"effective {episode.admitted_on:%m/%d/%Y}",
        "Marisol Quintana-Reyes", client.mrn, "04/12/1991", "she/her", "Self-pay / none on file",
        f"Admitted {episode.admitted_on:%m/%d/%Y}", "Level 2.1 intensive outpatient (IOP)", "Substance use",
        "5 (Mon, Tue, Wed, Thu, Fri)", "Primary clinician Cleo Clinician",
        "F11.20 Opioid dependence, uncomplicated Primary", "F41.1 Generalized anxiety disorder Secondary",
        "Motivated by her daughter; sponsor since May.", "No car; works evening shifts.",
        "IOP groups five days a week & weekly drug screens.", "Primary care for a physical.",
        "Problem 1: Continued opioid use despite harm to health and work.",
        "Related diagnosis: F11.20 — Opioid dependence, uncomplicated",
        "Goal 1.1: Achieve and keep abstinence from opioids.",
        "1.1.1 Attend at least 90% of scheduled IOP sessions.", "1.1.2 Name five triggers",
        f"{episode.admitted_on + 30 * DAY:%m/%d/%Y} Active Significant progress reviewed {TODAY - DAY:%m/%d/%Y}",
        "Some progress", "Group psychotherapy (IOP) · 5 days a week Responsible: Cleo Clinician",
        "Review schedule", f"Next review due {TODAY + 29 * DAY:%m/%d/%Y}", f"Last reviewed {TODAY - DAY:%m/%d/%Y}",
        f"{TODAY - DAY:%m/%d/%Y} 1 Cleo Clinician Attending daily; cravings easing.",
        "Electronically signed by Cleo Clinician, LPC on",
        f"Signed by Marisol Quintana-Reyes on {episode.admitted_on + 3 * DAY:%m/%d/%Y}",
        f"Plan version 1 · signature fingerprint {plan.content_hash[:16]}",
    ]
    assert [e for e in expected if e not in text] == []
    assert "DRAFT" not in text and "Clinician — " not in text
    assert clinic.plans.get(plan.id).clinician_signed_credentials == "LPC"  # read for the signature line
    assert_every_page_framed(pages, "Marisol Quintana-Reyes", client.mrn)
    assert result.description == f"Treatment plan, version 1, signed {signed_day:%m/%d/%Y}"
    meta = reader.metadata
    assert (meta.title, meta.subject) == (f"Treatment plan — {client.mrn}", result.description)
    context = clinic.disclosures.document_context(client.id)
    assert meta.author == (context.clinic_name or context.site_name) and meta.author
    assert result.disclosure is None and clinic.disclosures.log(client.id) == []


def test_the_payer_and_preferred_name_print_with_the_identifiers(admitted_client):
    """A client registered with a preferred name and a payer has both on the plan."""
    clinic, _, _ = admitted_client
    Payer.create(name="Cascadia Health Plan", code="CHP", kind="medicaid")
    client, _ = clinic.clients.register(legal_first="Robert", legal_last="Okafor", dob="1985-06-01",
                                        preferred_name="Bobby", payer_code="CHP", member_id="MCD123")
    episode, _ = clinic.episodes.admit(client.id, admitted_on=TODAY - 5 * DAY, track_code="mental_health",
                                       primary_clinician="clinician", days_per_week=3,
                                       schedule_days=("MON", "WED", "FRI"))
    draft_plan(clinic, episode)
    pages, _, _ = printed(clinic, "plan", PrintRequest(client_id=client.id))
    text = " ".join(pages)
    assert "Preferred name Bobby" in text and "Cascadia Health Plan · member MCD123" in text
    assert "3 (Mon, Wed, Fri)" in text and "Mental health" in text
    assert all("42 CFR" not in page for page in pages)  # a mental health record: no Part 2 line


def test_forty_objectives_span_pages_with_the_table_header_repeated(admitted_client):
    """A draft with 40 objectives runs over several pages; the objectives table's header starts each
    page it continues on, and every page is numbered and framed."""
    clinic, client, episode = admitted_client
    draft_plan(clinic, episode, objectives=[f"Objective number {n}: practise a coping skill & log it daily."
                                            for n in range(1, 41)])
    pages, _, _ = printed(clinic, "plan", PrintRequest(client_id=client.id))
    with_rows = [p for p in pages if "1.1.2" in p or "1.1.3" in p]
    assert len(pages) >= 3 and len(with_rows) >= 2
    header = "No. Objective Target date Status · last review Interventions"
    assert all(header in page for page in pages if "Objective number" in page)
    text = " ".join(pages)
    assert all(f"1.1.{n} Objective number {n}:" in text for n in range(1, 41))
    assert_every_page_framed(pages, "Marisol Quintana-Reyes", client.mrn)


def test_an_unsigned_plan_shows_blank_signature_lines(admitted_client):
    """A draft says DRAFT — not signed and leaves lines for the clinician and the client to sign on paper."""
    clinic, client, episode = admitted_client
    draft_plan(clinic, episode)
    pages, _, result = printed(clinic, "plan", PrintRequest(client_id=client.id))
    text = " ".join(pages)
    assert "Version 1 · DRAFT — not signed" in text and "not in force until the clinician and the client sign" in text
    signatures = text.split("Signatures")[-1]
    assert "Clinician — Cleo Clinician Date" in signatures and "Client — Marisol Quintana-Reyes Date" in signatures
    assert "Electronically signed" not in text and "fingerprint" not in text
    assert result.description == "Treatment plan, version 1, draft (not signed)"


def test_a_name_with_accents_prints_as_written(admitted_client):
    """Zoë Ångström-Nguyễn's plan carries her name, letters intact, in the client block and every footer."""
    clinic, _, _ = admitted_client
    client, _ = clinic.clients.register(legal_first="Zoë", legal_last="Ångström-Nguyễn", dob="1999-09-09")
    episode, _ = clinic.episodes.admit(client.id, admitted_on=TODAY - 3 * DAY, track_code="co_occurring",
                                       primary_clinician="clinician")
    draft_plan(clinic, episode)
    pages, _, _ = printed(clinic, "plan", PrintRequest(client_id=client.id))
    assert f"Client {NAME}" in pages[0]
    assert_every_page_framed(pages, NAME, client.mrn)


def test_a_superseded_version_prints_as_superseded_with_ratings_followed_into_the_revision(admitted_client):
    """After revision v2 is signed, v1 prints as superseded by version 2; v2 shows the rating its
    objectives earned in v1's review (followed by lineage), and the review lists its version."""
    clinic, client, episode = admitted_client
    v1 = signed_plan(clinic, episode)
    attend, triggers = v1.objectives
    clinic.plans.record_review(v1.id, reviewed_on=TODAY - 2 * DAY, summary="Good start.", expected_version=v1.version,
                               progress={attend.id: "met", triggers.id: "regressed"})
    assert [p.lineage for p in clinic.plans.reviews(episode.id)[0].progress] == [attend.lineage, triggers.lineage]
    v2, _ = clinic.plans.revise(v1.id, effective_on=TODAY - DAY)
    v2, _ = clinic.plans.sign(v2.id, expected_version=v2.version, client_signature_name="Marisol Quintana-Reyes",
                              client_signed_on=TODAY - DAY)
    old, _, result = printed(clinic, "plan", PrintRequest(client_id=client.id, target_id=v1.id))
    assert "Version 1 · Superseded by version 2" in " ".join(old)
    assert result.description == "Treatment plan, version 1, superseded"
    new = " ".join(printed(clinic, "plan", PrintRequest(client_id=client.id))[0])
    assert "Version 2 · Signed" in new and "Objective met" in new and "Regressed" in new
    assert f"{TODAY - 2 * DAY:%m/%d/%Y} 1 Cleo Clinician Good start." in new and "revises version 1" in new


def test_release_to_a_consented_recipient_adds_the_release_pages_and_logs_it(admitted_client, tmp_path):
    """Released to the drug court under Marisol's consent: the last page names the court, the full
    notice and the consent; the disclosure log records the plan."""
    clinic, client, episode = admitted_client
    signed_plan(clinic, episode)
    clinic.consents.record(client.id, **consent_fields())
    out = tmp_path / "plan.pdf"
    pages, _, result = printed(clinic, "plan", PrintRequest(client_id=client.id), out,
                               recipient="Harbor County Drug Court")
    assert "released to Harbor County Drug Court" in pages[-1] and "42 CFR 2.31" in pages[-1]
    assert "Compliance with drug court supervision" in pages[-1]
    assert_every_page_framed(pages, "Marisol Quintana-Reyes", client.mrn)
    (logged,) = clinic.disclosures.log(client.id)
    assert logged.recipient == "Harbor County Drug Court" and logged.description == f"{result.description} (PDF)"
    assert result.disclosure.id == logged.id


def test_release_without_a_consent_is_refused_before_anything_is_written(admitted_client, tmp_path):
    """No consent names the employer: refused naming the recipient; no file, no disclosure logged."""
    clinic, client, episode = admitted_client
    signed_plan(clinic, episode)
    out = tmp_path / "plan.pdf"
    with pytest.raises(ValidationError) as err:
        print_document(clinic, "plan", PrintRequest(client_id=client.id), out, recipient="Acme Logistics HR")
    assert err.value.field == "recipient" and "Acme Logistics HR" in str(err.value)
    assert not out.exists() and clinic.disclosures.log(client.id) == []


def test_a_missing_or_foreign_plan_is_refused_with_a_readable_message(admitted_client):
    """No plan yet: NotFound naming the client; another client's plan id: refused, nothing printed."""
    clinic, client, episode = admitted_client
    out = io.BytesIO()
    with pytest.raises(NotFound) as err:
        print_document(clinic, "plan", PrintRequest(client_id=client.id), out)
    assert "Marisol Quintana-Reyes has no treatment plan" in str(err.value)
    plan = draft_plan(clinic, episode)
    other, _ = clinic.clients.register(legal_first="Ines", legal_last="Okonkwo", dob="1990-02-03")
    with pytest.raises(ValidationError) as err:
        print_document(clinic, "plan", PrintRequest(client_id=other.id, target_id=plan.id), out)
    assert "belongs to another client" in str(err.value) and out.getvalue() == b""


def test_an_objective_longer_than_a_page_splits_instead_of_failing(admitted_client):
    """A 2,000-character objective with a long intervention description prints in full across pages."""
    clinic, client, episode = admitted_client
    plan = draft_plan(clinic, episode, objectives=())
    words = " ".join(f"step{n}" for n in range(330))[:1975] + " END-OF-OBJECTIVE"
    edit, _ = clinic.plans.add_objective(plan.goals[0].id, expected_version=plan.version, statement=words,
                                         target_date=episode.admitted_on + 30 * DAY)
    clinic.plans.add_intervention(edit.element_id, expected_version=edit.plan.version, modality="Individual therapy",
                                  frequency="weekly", responsible="clinician",
                                  description="Motivational interviewing, one session at a time. " * 60 + "END-OF-PLAN")
    pages, _, _ = printed(clinic, "plan", PrintRequest(client_id=client.id))
    text = " ".join(pages)
    assert "step0 step1" in text and "END-OF-OBJECTIVE" in text and "END-OF-PLAN" in text and len(pages) >= 2
    assert_every_page_framed(pages, "Marisol Quintana-Reyes", client.mrn)
