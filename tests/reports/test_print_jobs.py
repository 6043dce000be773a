"""One way to print: consent checked before anything is written, the disclosure logged once after."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from iopdesk.errors import ValidationError
from iopdesk.models import AuditEvent, Disclosure
from reports.blocks import para
from reports.jobs import (
    DOCUMENTS,
    PrintRequest,
    document_kind,
    kind_of,
    log_released_copy,
    print_document,
)
from reports.page import build_pdf
from tests.domain.test_consents import consent_fields


@pytest.fixture
def letter_kind():
    """A one-paragraph test document registered as "jobs-test-letter"."""
    def write(clinic, request, context, out, release):
        build_pdf(out, context, title="Letter", subject="Attendance letter", story=[para("Attended 12 sessions.")],
                  release=release)
        return "Attendance letter"
    kind = document_kind("jobs-test-letter", "Attendance letter", write)
    yield kind
    DOCUMENTS.pop("jobs-test-letter")


def _text(buffer: io.BytesIO) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(buffer.getvalue())).pages)


def test_printing_for_the_program_logs_no_disclosure(admitted_client, letter_kind):
    """A copy for the chart is written with the client's frame and leaves the disclosure log empty."""
    clinic, client, _ = admitted_client
    out = io.BytesIO()
    result = print_document(clinic, "jobs-test-letter", PrintRequest(client.id), out)
    assert result.description == "Attendance letter" and result.disclosure is None
    assert "Attended 12 sessions." in _text(out) and client.mrn in _text(out)
    assert Disclosure.select().count() == 0
    printed = AuditEvent.select().where(AuditEvent.action == "print").get()
    assert printed.detail["what"] == "Attendance letter"


def test_a_release_without_consent_writes_nothing(admitted_client, letter_kind):
    """No consent names the employer: refused before a byte is written; nothing logged."""
    clinic, client, _ = admitted_client
    out = io.BytesIO()
    with pytest.raises(ValidationError) as err:
        print_document(clinic, "jobs-test-letter", PrintRequest(client.id), out, recipient="Acme Employer")
    assert err.value.field == "recipient" and out.getvalue() == b"" and Disclosure.select().count() == 0


def test_a_previewed_release_is_logged_once_when_it_leaves(admitted_client, letter_kind):
    """The preview carries the release pages but logs nothing; saving it logs one disclosure."""
    clinic, client, _ = admitted_client
    clinic.consents.record(client.id, **consent_fields())
    out = io.BytesIO()
    preview = print_document(clinic, "jobs-test-letter", PrintRequest(client.id), out,
                             recipient="Harbor County Drug Court", log_release=False)
    assert preview.disclosure is None and "42 CFR 2.31" in _text(out) and Disclosure.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "print").count() == 0
    logged = log_released_copy(clinic, PrintRequest(client.id), "Harbor County Drug Court", preview.description)
    assert logged.description == "Attendance letter (PDF)" and Disclosure.select().count() == 1


def test_an_unknown_document_is_refused_by_name():
    """A typo in the document type names the known ones."""
    with pytest.raises(ValidationError) as err:
        kind_of("treatment-plan")
    assert err.value.field == "document" and "plan" in str(err.value)
