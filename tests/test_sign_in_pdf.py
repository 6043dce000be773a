"""Printing a blank sign-in sheet for a group session: every enrolled client by the name the clinic
calls them, Time in / Time out / Signature, walk-in rows and facilitator lines, read back from the PDF."""

from __future__ import annotations

import io

import pytest

from iopdesk.errors import NotFound, ValidationError
from reports.jobs import PrintRequest, print_document
from tests.conftest import ADMIN_PASSWORD
from tests.test_group_session import NAMES, YESTERDAY
from tests.test_groups import admit, define_daily_group
from tests.test_note_pdfs import assert_framed, pdf_pages


def session_with(clinic, people):
    """Yesterday's morning process group with `people` ((first, last, preferred)) enrolled; the
    clinician is signed in. Returns (session, clients)."""
    group = define_daily_group(clinic)
    session = clinic.groups.generate_sessions(group.id, YESTERDAY, YESTERDAY)[0][0]
    clinic.login("clinician", ADMIN_PASSWORD)
    clients = []
    for first, last, preferred in people:
        client, episode = admit(clinic, first, last, preferred=preferred)
        clinic.groups.enroll(group.id, client.id, episode.admitted_on)
        clients.append(client)
    return session, clients


def test_the_sheet_lists_each_member_as_the_clinic_addresses_them(staffed_clinic):
    """Robert goes by Bobby: the sheet says "Bobby Finch"; Zoë prints as written; columns, walk-in
    rows and the facilitators' lines follow, under a footer that names no client."""
    session, clients = session_with(staffed_clinic, [("Robert", "Finch", "Bobby"), ("Zoë", "Ångström-Nguyễn", ""),
                                                     ("Keiko", "Tanabe", "")])
    pages = pdf_pages(staffed_clinic, "sign-in", PrintRequest(None, session.id))
    whole = " ".join(pages)
    for expected in ("Group sign-in sheet", "Morning process group", "Process", f"{YESTERDAY:%m/%d/%Y}",
                     "9:00 AM–12:00 PM (180 minutes)", "Cleo Clinician, Ira Intern", "# Name Time in Time out Signature",
                     "Bobby Finch", "Zoë Ångström-Nguyễn", "Keiko Tanabe", "Enrolled members: 3",
                     "Facilitator — Cleo Clinician", "Facilitator — Ira Intern"):
        assert expected in whole, expected
    assert "Robert" not in whole  # the legal first name is not how the room knows him
    assert "10" in whole.split("Signature", 1)[1]  # blank rows numbered on to 10 for walk-ins
    assert len(pages) == 1
    assert all(c.mrn not in whole for c in clients) and "MRN" not in whole
    assert_framed(pages)


def test_a_large_group_continues_on_a_second_page_with_the_header_repeated(staffed_clinic):
    """Fifteen members and walk-in rows fill more than a page; each page starts the table's header."""
    session, _ = session_with(staffed_clinic, [(first, last, "") for first, last in NAMES])
    pages = pdf_pages(staffed_clinic, "sign-in", PrintRequest(None, session.id))
    assert len(pages) > 1
    with_rows = [page for page in pages if "Time out" in page]
    assert len(with_rows) > 1 and all("# Name Time in Time out Signature" in page for page in with_rows)
    assert "Zainab Adeyemi" in " ".join(pages)
    assert_framed(pages)


def test_the_sheet_needs_a_session(staffed_clinic):
    """No session id is refused naming target_id; an unknown one is not found; nothing is written."""
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    out = io.BytesIO()
    with pytest.raises(ValidationError) as err:
        print_document(staffed_clinic, "sign-in", PrintRequest(None), out)
    assert err.value.field == "target_id"
    with pytest.raises(NotFound):
        print_document(staffed_clinic, "sign-in", PrintRequest(None, "01a20b34-0486-7000-9b14-b53c052519c5"), out)
    assert out.getvalue() == b""
