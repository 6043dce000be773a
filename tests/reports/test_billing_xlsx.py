"""The billing workbook read back with openpyxl: every claim line cell for cell on its payer's sheet,
the Summary's totals as formulas over the payer sheets, the Holds sheet, Excel conveniences (frozen
header, autofilter, formats, widths, properties), text that stays text, a name with no PHI, and a
cancelled export that leaves nothing behind.

The runs are hand-made `BillingRun`s for Harbor Recovery IOP in May 2026: Medicaid and Blue Cross
clients in group, individual and IOP-day lines, and a few services on hold.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
from decimal import Decimal

import openpyxl
import pytest
from openpyxl.worksheet import _writer as openpyxl_writer

from iopdesk.services.billing.views import BillingHold, BillingLine, BillingRun
from reports.billing_sheets import HOLD_COLUMNS, LINE_HEADERS, hold_row_values, line_row_values
from reports.billing_xlsx import ExportCancelled, default_billing_file_name, write_billing_workbook

CLINIC = "Harbor Recovery IOP"
INJECTIONS = ("=1+1", "+SUM(A1)", "-2+3", "@cmd", '=HYPERLINK("http://x","y")', "#N/A")
PAYERS = (("BCBS", "Blue Cross Blue Shield of the Harbor States"), ("MCD", "Medicaid"))


def claim_line(i: int = 0, **overrides) -> BillingLine:
    """One plausible claim line; `overrides` replace fields."""
    payer_code, payer_name = PAYERS[i % 2]
    group = i % 3 == 0
    fields = dict(
        line_id=f"L{i:07d}", client_id=f"c{i % 50}", mrn=f"MAIN-{i % 50:06d}", client_name=f"Quintana-Reyes{i % 50}, Marisol",
        dob=dt.date(1991, 4, 12), payer_code=payer_code, payer_name=payer_name, member_id=f"00{i % 50:07d}",
        authorization="" if payer_code == "BCBS" else f"AUTH-{i % 7}", service_date=dt.date(2026, 5, 1 + i % 31),
        place_of_service="57", code="90853" if group else "90834", modifiers=("HQ",) if group else ("HO", "GT"),
        units=1, minutes=60 if group else 45, diagnoses=("F10.20", "F32.1"), diagnosis_pointer="AB",
        rendering_name="Dana Intern", rendering_npi="1234567893",
        supervising_name="Sam Supervisor" if i % 4 == 1 else "", supervising_npi="1992753880" if i % 4 == 1 else "",
        charge_cents=4512 + i, source="group attendance" if group else "individual note", note_id=f"N{i:07d}",
        note_status="co-signed" if i % 4 == 1 else "signed", site_code="MAIN" if i % 5 else "EAST",
        export_batch="B0001" if i % 6 == 0 else "", changed_since_export=i % 12 == 0,
    )
    fields.update(overrides)
    return BillingLine(**fields)


def hold(i: int = 0, **overrides) -> BillingHold:
    fields = dict(client_id=f"c{i}", mrn=f"MAIN-{i:06d}", client_name=f"Okafor{i}, Ben", payer_code="MCD",
                  site_code="MAIN", service_date=dt.date(2026, 5, 2 + i), what="90834 individual session, 45 min",
                  who="Dana Intern", reason="note awaiting co-signature by Sam Supervisor" if i % 2 else "note unsigned",
                  action="Supervisor co-signs the note" if i % 2 else "Clinician signs the note", note_id=f"H{i:06d}")
    fields.update(overrides)
    return BillingHold(**fields)


def billing_run(lines=None, holds=None, **overrides) -> BillingRun:
    lines = [claim_line(i) for i in range(40)] if lines is None else list(lines)
    lines.sort(key=lambda x: (x.payer_code, x.mrn, x.service_date, x.code, x.line_id))
    fields = dict(clinic_name=CLINIC, range_from=dt.date(2026, 5, 1), range_to=dt.date(2026, 5, 31), site_code=None,
                  payer_code=None, new_only=False, generated_at=dt.datetime(2026, 6, 1, 13, 5, tzinfo=dt.UTC),
                  lines=tuple(lines), holds=tuple([hold(i) for i in range(3)] if holds is None else holds))
    fields.update(overrides)
    return BillingRun(**fields)


def as_read(value):
    """A value as openpyxl reads it back from the file."""
    if value == "":
        return None
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    if isinstance(value, Decimal):
        return float(value)
    return value


def data_rows(ws, width: int):
    """Rows 6.. up to the first blank or Total row, as lists of values."""
    rows = []
    for row in ws.iter_rows(min_row=6, max_col=width, values_only=True):
        if row[0] in (None, "Total"):
            break
        rows.append(list(row))
    return rows


@pytest.fixture
def written(tmp_path):
    run = billing_run()
    out = tmp_path / default_billing_file_name(run)
    summary = write_billing_workbook(run, out)
    return run, summary, openpyxl.load_workbook(out), out


def test_every_claim_line_is_on_its_payers_sheet_cell_for_cell(written):
    """Each line appears once, in the run's order, on its payer's sheet, every cell equal to the line's field."""
    run, summary, wb, _ = written
    assert wb.sheetnames == ["Summary", "Blue Cross Blue Shield of the H", "Medicaid", "Holds"]
    assert list(summary.sheet_names) == wb.sheetnames
    for payer in summary.payers:
        ws = wb[payer.sheet_name]
        assert [c.value for c in ws[5]][: len(LINE_HEADERS)] == list(LINE_HEADERS)
        expected = [[as_read(v) for v in line_row_values(line)] for line in run.lines
                    if line.payer_code == payer.payer_code]
        assert data_rows(ws, len(LINE_HEADERS)) == expected
        assert ws.cell(row=1, column=1).value == f"{CLINIC} · {payer.payer_name} ({payer.payer_code})"
    first = wb["Medicaid"]
    header = {h: i + 1 for i, h in enumerate(LINE_HEADERS)}
    medicaid = [line for line in run.lines if line.payer_code == "MCD"]
    assert first.cell(row=6, column=header["Mod 1"]).value == medicaid[0].modifiers[0]
    assert first.cell(row=6, column=header["Charge"]).value == medicaid[0].charge_cents / 100
    assert summary.lines == 40 and summary.holds == 3
    assert summary.charge_cents == sum(line.charge_cents for line in run.lines)


def test_payer_sheet_ends_with_a_totals_row_of_sum_formulas(written):
    """Under the last line a Total row sums units, minutes and charge over the data rows."""
    run, summary, wb, _ = written
    ws = wb["Medicaid"]
    lines = sum(1 for line in run.lines if line.payer_code == "MCD")
    total_row = 6 + lines
    header = {h: i + 1 for i, h in enumerate(LINE_HEADERS)}
    assert ws.cell(row=total_row, column=1).value == "Total"
    for name, letter in (("Units", "M"), ("Minutes", "N"), ("Charge", "U")):
        cell = ws.cell(row=total_row, column=header[name])
        assert cell.data_type == "f" and cell.value == f"=SUM({letter}6:{letter}{total_row - 1})"


def test_summary_totals_by_payer_are_formulas_over_the_payer_sheets(written):
    """The payer block sums each payer sheet's charge column; code, provider and site blocks add up to the same."""
    run, summary, wb, _ = written
    ws = wb["Summary"]
    cells = {(c.row, c.column): c for row in ws.iter_rows() for c in row if c.value is not None}
    assert cells[(1, 1)].value == CLINIC
    assert "05/01/2026 – 05/31/2026" in cells[(2, 1)].value and "all payers" in cells[(2, 1)].value
    assert cells[(3, 1)].value.startswith("Generated 06/01/2026 1:05 PM UTC")
    labels = {c.value: r for (r, col), c in cells.items() if col == 1 and c.data_type == "s"}
    first = labels["BCBS"]
    bcbs_last = 6 + sum(1 for line in run.lines if line.payer_code == "BCBS") - 1
    assert cells[(first, 5)].value == f"=SUM('Blue Cross Blue Shield of the H'!U6:U{bcbs_last})"
    assert cells[(first, 3)].value == f"=COUNTA('Blue Cross Blue Shield of the H'!Z6:Z{bcbs_last})"
    assert cells[(first + 1, 5)].value.startswith("=SUM('Medicaid'!U6:U")
    assert cells[(first + 2, 1)].value == "Total" and cells[(first + 2, 5)].value == f"=SUM(E{first}:E{first + 1})"
    by_code = labels["90834"]
    n_90834 = [line for line in run.lines if line.code == "90834"]
    assert cells[(by_code, 3)].value == len(n_90834)
    assert round(cells[(by_code, 5)].value * 100) == sum(line.charge_cents for line in n_90834)
    site_total = labels["EAST"] + 2
    assert cells[(site_total, 1)].value == "Total" and cells[(site_total, 5)].data_type == "f"
    reason_row = labels["note unsigned"]
    assert cells[(reason_row, 3)].value == 2 and cells[(reason_row - 1, 3)].value == "Holds"
    assert labels["Totals by rendering provider"] < labels["Totals by site"] < labels["Holds by reason"]


def test_holds_sheet_says_what_who_why_and_what_to_do(written):
    """Every hold has a row in date order with the reason and the action, in a filtered, frozen table."""
    run, _, wb, _ = written
    ws = wb["Holds"]
    assert [c.value for c in ws[5]][: len(HOLD_COLUMNS)] == [c.header for c in HOLD_COLUMNS]
    assert data_rows(ws, len(HOLD_COLUMNS)) == [[as_read(v) for v in hold_row_values(h)] for h in run.holds]
    assert ws.freeze_panes == "A6" and ws.auto_filter.ref == "A5:J8"


def test_payer_sheet_has_excel_conveniences(written):
    """Bold header on a fill, frozen header row and names, autofilter over the data, widths, date and money formats."""
    run, _, wb, _ = written
    ws = wb["Medicaid"]
    lines = sum(1 for line in run.lines if line.payer_code == "MCD")
    assert ws.freeze_panes == "C6"
    assert ws.auto_filter.ref == f"A5:AB{5 + lines}"
    header = ws.cell(row=5, column=1)
    assert header.font.b and header.fill.fgColor.rgb.endswith("1F4E78")
    assert ws.column_dimensions["B"].width == 26 and ws.column_dimensions["U"].width == 12
    assert ws["C6"].number_format == "mm/dd/yyyy" and ws["F6"].number_format == "mm/dd/yyyy"
    assert ws["U6"].number_format == '"$"#,##0.00'
    assert ws.print_title_rows == "$5:$5" and ws.page_setup.orientation == "landscape"


def test_file_name_and_properties_name_the_clinic_and_range_but_no_client(written, tmp_path):
    """The default name is dates and codes; the properties name the clinic, not a client."""
    run, _, wb, out = written
    assert out.name == "billing_2026-05-01_2026-05-31.xlsx"
    filtered = dataclasses.replace(run, site_code="EAST", payer_code="MCD", new_only=True)
    assert default_billing_file_name(filtered) == "billing_2026-05-01_2026-05-31_EAST_MCD_new.xlsx"
    assert default_billing_file_name(dataclasses.replace(run, payer_code="BC/BS x")) == \
        "billing_2026-05-01_2026-05-31_BC-BS-x.xlsx"
    props = wb.properties
    assert props.creator == CLINIC and props.lastModifiedBy == CLINIC
    assert props.title == "Billing export 05/01/2026 – 05/31/2026"
    assert props.subject == "Claim lines and holds for billing" and "all payers" in props.description
    text = " ".join(str(v) for v in vars(props).values())
    for line in run.lines:
        assert line.client_name not in text and line.mrn not in text and line.member_id not in text


@pytest.mark.parametrize("typed", INJECTIONS)
def test_a_formula_typed_into_a_name_or_note_id_stays_text(tmp_path, typed):
    """A client name, note id, member id or authorization that looks like a formula is written as a string."""
    line = claim_line(3, client_name=typed, note_id=typed, member_id=typed, authorization=typed, code=typed)
    out = tmp_path / "injected.xlsx"
    write_billing_workbook(billing_run([line], [hold(1, client_name=typed, note_id=typed, reason=typed)]), out)
    wb = openpyxl.load_workbook(out)
    header = {h: i + 1 for i, h in enumerate(LINE_HEADERS)}
    ws = wb[wb.sheetnames[1]]
    for name in ("Client name", "Note ID", "Member ID", "Authorization", "Code"):
        cell = ws.cell(row=6, column=header[name])
        assert cell.data_type == "s" and cell.value == typed, name
    for column in (3, 8, 10):
        cell = wb["Holds"].cell(row=6, column=column)
        assert cell.data_type == "s" and cell.value == typed
    summary_texts = [c for row in wb["Summary"].iter_rows() for c in row if c.value == typed]
    assert len(summary_texts) == 2 and all(c.data_type == "s" for c in summary_texts)  # code and hold reason


def test_control_characters_in_a_name_are_dropped_not_fatal(tmp_path):
    """A name pasted with a stray control character is written without it instead of failing the export."""
    out = tmp_path / "ctl.xlsx"
    write_billing_workbook(billing_run([claim_line(0, client_name="Lee,\x07 Ana")]), out)
    wb = openpyxl.load_workbook(out)
    assert wb[wb.sheetnames[1]]["B6"].value == "Lee, Ana"


def test_spaces_around_a_member_id_are_kept_as_typed(tmp_path):
    """What the biller compares with the payer's portal is the value as entered, spaces included."""
    out = tmp_path / "spaces.xlsx"
    write_billing_workbook(billing_run([claim_line(0, member_id="  M-001 ", client_name="Lee, Ana ")]), out)
    wb = openpyxl.load_workbook(out)
    ws = wb[wb.sheetnames[1]]
    assert ws["D6"].value == "  M-001 " and ws["B6"].value == "Lee, Ana "


def test_payer_names_become_safe_unique_sheet_names(tmp_path):
    """Names with []:*?/\\, over 31 characters, repeated or called Summary still give valid, distinct sheets."""
    lines = [claim_line(0, payer_code="A", payer_name="Aetna [PPO]: *North?/South\\"),
             claim_line(1, payer_code="B", payer_name="Summary"),
             claim_line(2, payer_code="C", payer_name="A very long commercial payer name indeed"),
             claim_line(3, payer_code="D", payer_name="A very long commercial payer name indeed"),
             claim_line(4, payer_code="E", payer_name="St. Mary's Health Plan")]
    summary = write_billing_workbook(billing_run(lines, []), tmp_path / "names.xlsx")
    wb = openpyxl.load_workbook(tmp_path / "names.xlsx")
    assert wb.sheetnames == ["Summary", "Aetna -PPO-- -North--South-", "Summary (2)",
                             "A very long commercial payer na", "A very long commercial paye (2)",
                             "St. Mary's Health Plan", "Holds"]
    assert all(len(name) <= 31 for name in wb.sheetnames)
    mary = next(p for p in summary.payers if p.payer_code == "E")
    formulas = [c.value for row in wb["Summary"].iter_rows() for c in row if c.data_type == "f"]
    assert "=SUM('St. Mary''s Health Plan'!U6:U6)" in formulas
    assert wb[mary.sheet_name]["B6"].value == lines[4].client_name


def test_progress_is_reported_up_to_the_total(tmp_path):
    """The callback sees done counts rising to lines plus holds."""
    calls = []
    run = billing_run([claim_line(i) for i in range(1200)])
    write_billing_workbook(run, tmp_path / "p.xlsx", progress=lambda done, total: calls.append((done, total)))
    assert calls[0] == (0, 1203) and calls[-1] == (1203, 1203)
    assert [d for d, _ in calls] == sorted(d for d, _ in calls) and len(calls) >= 4


def test_cancelling_leaves_no_file_and_no_temporary_copies(tmp_path):
    """Cancel half way: ExportCancelled, nothing at the path or beside it, openpyxl's temp files gone."""
    out = tmp_path / "cancelled.xlsx"
    temp_before = list(openpyxl_writer.ALL_TEMP_FILES)
    with pytest.raises(ExportCancelled, match="no file was written"):
        write_billing_workbook(billing_run([claim_line(i) for i in range(2000)]), out,
                               progress=lambda done, total: done < 1000)
    assert list(tmp_path.iterdir()) == []
    assert openpyxl_writer.ALL_TEMP_FILES == temp_before


def test_a_workbook_written_to_a_stream_reads_back(tmp_path):
    """An in-memory stream gets the same workbook; the summary has no file name."""
    stream = io.BytesIO()
    summary = write_billing_workbook(billing_run(), stream)
    assert summary.file_name is None and summary.lines == 40
    wb = openpyxl.load_workbook(io.BytesIO(stream.getvalue()))
    assert wb.sheetnames == list(summary.sheet_names)


def test_a_range_with_nothing_to_bill_still_gives_summary_and_holds(tmp_path):
    """No lines: a Summary with zero totals and the Holds sheet, no payer sheets."""
    out = tmp_path / "empty.xlsx"
    summary = write_billing_workbook(billing_run([], [hold(0)]), out)
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "Holds"] and summary.charge_cents == 0
    totals = [row for row in wb["Summary"].iter_rows(values_only=True) if row[0] == "Total"]
    assert totals[0][2:5] == (0, 0, 0) and totals[-1][2].startswith("=SUM(C")
    assert wb["Holds"]["C6"].value == "Okafor0, Ben"


def test_a_clinic_on_the_24_hour_clock_reads_the_generated_time_that_way(tmp_path):
    """The run carries the clinic's time format: 24h writes "Generated 06/01/2026 13:05 UTC"."""
    out = tmp_path / "24h.xlsx"
    write_billing_workbook(billing_run(time_format="24h"), out)
    assert openpyxl.load_workbook(out)["Summary"]["A3"].value.startswith("Generated 06/01/2026 13:05 UTC")
