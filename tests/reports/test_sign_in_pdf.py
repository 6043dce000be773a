"""Printing a blank sign-in sheet for a group session: every enrolled client by the first name the
room knows and the last initial (more of the last name where two would print alike; the whole name
under the rule "full"), Time in / Time out / Signature, walk-in rows and facilitator lines; the
staff copy adds MRNs. Read back from the PDF."""

from __future__ import annotations

import io

import pytest

from iopdesk.errors import NotFound, ValidationError
from iopdesk.models import ClinicSetting
from reports.jobs import PrintRequest, print_document
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_group_session import NAMES, YESTERDAY
from tests.domain.test_groups import admit, define_daily_group
from tests.reports.test_note_pdfs import assert_framed, pdf_pages


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


def test_the_sheet_lists_each_member_by_first_name_and_last_initial(staffed_clinic):
    """Robert goes by Bobby: the sheet says "Bobby F."; Zoë prints as written with her initial; no
    last name is printed whole; columns, walk-in rows and the facilitators' lines follow, under a
    footer that names no client."""
    session, clients = session_with(staffed_clinic, [("Robert", "Finch", "Bobby"), ("Zoë", "Ångström-Nguyễn", ""),
                                                     ("Keiko", "Tanabe", "")])
    pages = pdf_pages(staffed_clinic, "sign-in", PrintRequest(None, session.id))
    whole = " ".join(pages)
    for expected in ("Group sign-in sheet", "Morning process group", "Process", f"{YESTERDAY:%m/%d/%Y}",
                     "9:00 AM–12:00 PM (180 minutes)", "Cleo Clinician, Ira Intern", "# Name Time in Time out Signature",
                     "Bobby F.", "Zoë Å.", "Keiko T.", "Enrolled members: 3",
                     "Members are listed by first name and last initial.",
                     "Facilitator — Cleo Clinician", "Facilitator — Ira Intern"):
        assert expected in whole, expected
    assert "Robert" not in whole  # the legal first name is not how the room knows him
    assert not any(last in whole for last in ("Finch", "Ångström", "Tanabe"))
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
    assert "Zainab A." in " ".join(pages) and "Adeyemi" not in " ".join(pages)
    assert_framed(pages)


def test_members_who_would_print_alike_get_more_of_their_last_name(staffed_clinic):
    """Maria Garcia and Maria Gonzalez print as "Maria Gar." and "Maria Gon."; two members both
    called Dana Reyes in the room (one is Danielle who goes by Dana) keep "Dana R." and are
    numbered; Marisol, alone, keeps her initial."""
    session, _ = session_with(staffed_clinic, [("Maria", "Garcia", ""), ("Maria", "Gonzalez", ""),
                                               ("Marisol", "Quintana", ""), ("Dana", "Reyes", ""),
                                               ("Danielle", "Reyes", "Dana")])
    whole = " ".join(pdf_pages(staffed_clinic, "sign-in", PrintRequest(None, session.id)))
    for expected in ("Maria Gar.", "Maria Gon.", "Marisol Q.", "Dana R. (1)", "Dana R. (2)"):
        assert expected in whole, expected
    assert not any(last in whole for last in ("Garcia", "Gonzalez", "Quintana", "Reyes"))


def test_the_rule_full_prints_whole_names(staffed_clinic):
    """A clinic whose rule `sign_in_sheet.member_names` is "full" prints "Maria Garcia"."""
    ClinicSetting.create(key="program_rules", value={"sign_in_sheet": {"member_names": "full"}})
    session, _ = session_with(staffed_clinic, [("Maria", "Garcia", ""), ("Robert", "Finch", "Bobby")])
    whole = " ".join(pdf_pages(staffed_clinic, "sign-in", PrintRequest(None, session.id)))
    assert "Maria Garcia" in whole and "Bobby Finch" in whole
    assert "first name and last initial" not in whole


def test_the_staff_copy_carries_mrns_and_says_it_is_the_staff_copy(staffed_clinic, tmp_path):
    """The staff copy adds an MRN column with each member's MRN beside the same short name and is
    titled as the staff copy; the members' copy has neither. Rendered for a person to look at."""
    session, clients = session_with(staffed_clinic, [("Maria", "Garcia", ""), ("Maria", "Gonzalez", "")])
    request = PrintRequest(None, session.id, staff_copy=True)
    whole = " ".join(pdf_pages(staffed_clinic, "sign-in", request))
    assert "Group sign-in sheet — staff copy" in whole and "# Name MRN Time in Time out Signature" in whole
    assert all(c.mrn in whole for c in clients) and "Maria Gar." in whole and "Garcia" not in whole
    assert "do not pass it around the room; members sign the members' copy" in whole
    members = " ".join(pdf_pages(staffed_clinic, "sign-in", PrintRequest(None, session.id)))
    assert "staff copy" not in members and not any(c.mrn in members for c in clients)
    for name, copy in (("members", PrintRequest(None, session.id)), ("staff", request)):
        with open(tmp_path / f"{name}.pdf", "wb") as out:
            print_document(staffed_clinic, "sign-in", copy, out)


def test_only_the_sign_in_sheet_has_a_staff_copy(admitted_client):
    """Asking for a staff copy of a treatment plan is refused naming staff_copy; nothing is written."""
    clinic, client, _episode = admitted_client
    out = io.BytesIO()
    with pytest.raises(ValidationError) as err:
        print_document(clinic, "plan", PrintRequest(client.id, staff_copy=True), out)
    assert err.value.field == "staff_copy" and out.getvalue() == b""


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
