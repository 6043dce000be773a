"""Printing a client's measure report: per measure a trend chart over its severity bands and a table
of every administration (date, total, band, safety flag), read back from the PDF."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader

from iopdesk.clinical.measures import measure
from iopdesk.errors import ValidationError
from iopdesk.kernel import clock
from iopdesk.services.measures import MeasurePoint
from reports.jobs import PrintRequest, print_document
from reports.measure_chart_pdf import band_limits, trend_chart
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_groups import admit
from tests.reports.test_note_pdfs import NAME, assert_framed, pdf_pages

TODAY = clock.today()
# PHQ-9 answers over five weeks: 16 → 11 (item 9 endorsed) → 8 → 4.
PHQ9 = [(35, [3, 3, 2, 2, 2, 2, 1, 1, 0]), (21, [2, 2, 1, 2, 1, 1, 1, 0, 1]), (14, [1, 1, 1, 1, 1, 1, 1, 1, 0]),
        (1, [1, 1, 1, 0, 0, 0, 1, 0, 0])]


@pytest.fixture
def zoe_with_measures(staffed_clinic):
    """Zoë, admitted two weeks ago, with four PHQ-9s (one with item 9 endorsed) and one GAD-7;
    the clinician is signed in. Returns (clinic, client)."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    client, _ = admit(clinic, "Zoë", "Ångström-Nguyễn")
    for days_ago, answers in PHQ9:
        clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - dt.timedelta(days=days_ago),
                               answers=answers)
    clinic.measures.record(client.id, "GAD-7", administered_on=TODAY - dt.timedelta(days=3), answers=[2] * 7)
    return clinic, client


def test_the_report_charts_and_tabulates_every_measure_given(zoe_with_measures):
    """PHQ-9 and GAD-7 each get a chart with their bands named and a table of every result;
    measures never given are left out."""
    clinic, client = zoe_with_measures
    pages = pdf_pages(clinic, "measures", PrintRequest(client.id))
    whole = " ".join(pages)
    assert "Measure report" in whole and "5 administrations of 2 measures" in whole
    assert "PHQ-9 — Patient Health Questionnaire-9" in whole and "GAD-7 — Generalized Anxiety Disorder-7" in whole
    for label in ("Minimal (0–4)", "Mild (5–9)", "Moderate (10–14)", "Moderately severe (15–19)", "Severe (20–27)",
                  "Severe (15–21)"):
        assert label in whole, label
    for days_ago, total, band in ((35, 16, "Moderately severe"), (21, 11, "Moderate"), (14, 8, "Mild"),
                                  (1, 4, "Minimal"), (3, 14, "Moderate")):
        assert f"{TODAY - dt.timedelta(days=days_ago):%m/%d/%Y} {total} {band}" in whole
    assert "Yes — safety follow-up" in whole and "Safety follow-up needed on 1 result" in whole
    assert "First 16 (Moderately severe)" in whole and "latest 4 (Minimal)" in whole and "change −12" in whole
    assert "AUDIT" not in whole and "PCL-5" not in whole
    assert NAME in whole
    assert_framed(pages, f"{NAME} · MRN {client.mrn}")


def test_one_measure_can_be_printed_alone_and_an_unknown_one_is_refused(zoe_with_measures):
    """target_id GAD-7 prints only the GAD-7; a measure that does not exist is refused naming it."""
    clinic, client = zoe_with_measures
    whole = " ".join(pdf_pages(clinic, "measures", PrintRequest(client.id, "gad-7")))
    assert "GAD-7 results of" in whole and "PHQ-9" not in whole
    with pytest.raises(ValidationError) as err:
        print_document(clinic, "measures", PrintRequest(client.id, "HAM-D"), io.BytesIO())
    assert err.value.field == "measure"


def test_a_client_without_measures_gets_a_report_saying_so(zoe_with_measures):
    """A client never given a measure: the report says no results were recorded."""
    clinic, _ = zoe_with_measures
    other, _ = admit(clinic, "Wes", "Walkin")
    whole = " ".join(pdf_pages(clinic, "measures", PrintRequest(other.id)))
    assert "No measure results have been recorded for this client." in whole


def test_forty_administrations_span_pages_with_the_table_header_repeated(zoe_with_measures):
    """Forty daily PHQ-9s: the table continues over pages, each starting with its header row."""
    clinic, client = zoe_with_measures
    for days_ago in range(40, 80):
        clinic.measures.record(client.id, "PHQ-9", administered_on=TODAY - dt.timedelta(days=days_ago),
                               answers=[1, 1, 1, 1, 1, 1, 1, 1, 0])
    pages = pdf_pages(clinic, "measures", PrintRequest(client.id, "PHQ-9"))
    assert len(pages) > 1
    with_rows = [p for p in pages if f"{TODAY - dt.timedelta(days=79):%m/%d/%Y} 8 Mild" in p
                 or f"{TODAY - dt.timedelta(days=40):%m/%d/%Y} 8 Mild" in p]
    assert with_rows and all("Date given Total Band Safety flag" in p for p in pages[1:])
    assert_framed(pages, f"{NAME} · MRN {client.mrn}")


def test_the_chart_shades_every_band_of_the_definition_behind_the_line():
    """The chart draws one rectangle per PHQ-9 band, meeting half a point between totals, and a
    hollow triangle for the result needing safety follow-up; it renders on its own."""
    phq9 = measure("PHQ-9")
    assert band_limits(phq9) == [(0, 4.5, "Minimal", "0–4"), (4.5, 9.5, "Mild", "5–9"),
                                 (9.5, 14.5, "Moderate", "10–14"), (14.5, 19.5, "Moderately severe", "15–19"),
                                 (19.5, 27, "Severe", "20–27")]
    points = [MeasurePoint(TODAY - dt.timedelta(days=14), 16, "Moderately severe"),
              MeasurePoint(TODAY, 11, "Moderate", True)]
    drawing = trend_chart(phq9, points, 480)
    fills = [s.fillColor for s in drawing.contents if type(s).__name__ == "Rect" and s.width > 100]
    assert len(fills) == len(phq9.bands)
    greys = [0.3 * c.red + 0.59 * c.green + 0.11 * c.blue for c in fills]
    assert greys == sorted(greys, reverse=True)  # milder is lighter, also in grey print
    assert any(type(s).__name__ == "Polygon" for s in drawing.contents)
    from reportlab.graphics import renderPDF
    out = io.BytesIO()
    renderPDF.drawToFile(drawing, out)
    assert "Moderately severe (15–19)" in PdfReader(io.BytesIO(out.getvalue())).pages[0].extract_text()
