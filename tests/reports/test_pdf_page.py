"""The page every document is printed on: frame, notices, numbering, fonts, metadata, release pages."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from iopdesk.services.consents import ConsentView
from iopdesk.services.disclosures import DocumentContext, notices
from reports.blocks import data_table, heading, para, signature_block
from reports.page import FRAME_WIDTH, build_pdf, default_file_name
from reports.release import Release

NAME = "Zoë Ångström-Nguyễn"


def context(part2: bool = True) -> DocumentContext:
    text = notices()
    return DocumentContext("Harbor Light Recovery (demo)", "Riverside", "12 Elm St", "(360) 555-0100", "c1",
                           NAME, "MAIN-000123", dt.date(1990, 1, 2), part2, "Beatriz Schmidt",
                           dt.datetime(2026, 11, 24, 15, 0), text["confidentiality"],
                           text["part2_short"] if part2 else "", text["part2_full"])


def long_story() -> list:
    rows = [(f"1.1.{i}", f"Objective {i}: attend at least 90% of sessions & name <two> triggers. " * 2, "12/01/2026")
            for i in range(40)]
    return [para("Treatment plan", "title"), *heading("Objectives"),
            data_table(("Number", "Objective", "Target"), rows, (50, FRAME_WIDTH - 120, 70)),
            signature_block("Client", NAME, None, FRAME_WIDTH)]


def pages_of(story, ctx=None, release=None) -> list[str]:
    out = io.BytesIO()
    build_pdf(out, ctx or context(), title="Treatment plan", subject="Treatment plan, version 1", story=story,
              release=release)
    reader = PdfReader(io.BytesIO(out.getvalue()))
    return [page.extract_text() for page in reader.pages]


def test_every_page_is_numbered_and_names_the_client_with_the_part2_notice():
    """Forty objectives span pages; each page says Page X of Y, the client, MRN and the Part 2 notice."""
    pages = pages_of(long_story())
    assert len(pages) >= 3
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of {len(pages)}" in page
        assert f"{NAME} · MRN MAIN-000123" in page and "42 CFR part 2 prohibits" in page
        assert "Confidential health information" in page and "Printed 11/24/2026" in page


def test_a_long_table_repeats_its_header_row_on_every_page():
    """The table's header row starts each page the table continues on."""
    pages = pages_of(long_story())
    with_rows = [p for p in pages if "1.1." in p]
    assert len(with_rows) >= 2 and all("Number Objective Target" in " ".join(p.split()) for p in with_rows)
    assert "name <two> triggers" in pages[0]  # record text is escaped, not read as markup


def test_a_mental_health_record_prints_without_the_part2_notice():
    """No substance use episode, no Part 2 line."""
    assert all("42 CFR" not in p for p in pages_of(long_story(), context(part2=False)))


def test_metadata_names_the_document_and_the_clinic_but_the_file_name_no_one():
    """Title, author and subject are set; the default file name carries the MRN and type only."""
    out = io.BytesIO()
    build_pdf(out, context(), title="Treatment plan", subject="Treatment plan, version 1", story=long_story())
    meta = PdfReader(io.BytesIO(out.getvalue())).metadata
    assert (meta.title, meta.author, meta.subject) == (
        "Treatment plan — MAIN-000123", "Harbor Light Recovery (demo)", "Treatment plan, version 1")
    assert default_file_name("MAIN-000123", "plan", dt.date(2026, 11, 24)) == "MAIN-000123_plan_2026-11-24.pdf"
    assert default_file_name("", "sign-in", dt.date(2026, 11, 24)) == "sign-in_2026-11-24.pdf"


def test_a_released_copy_ends_with_the_full_notice_and_the_consent():
    """Released to the drug court: the last page names the recipient, the full notice and the consent's elements."""
    consent = ConsentView("k1", "c1", "Harbor Light Recovery", "Harbor County Drug Court", "Attendance and progress",
                          "Court supervision", NAME, dt.date(2026, 11, 1), dt.date(2027, 5, 1), "", None,
                          "Beatriz Schmidt", 1)
    last = pages_of(long_story(), release=Release("Harbor County Drug Court", consent))[-1]
    assert "released to Harbor County Drug Court" in last and "42 CFR 2.31" in last
    assert "Court supervision" in last and "05/01/2027" in last and "revoke" in last
