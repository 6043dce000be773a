"""The billing spreadsheet: one `BillingRun` written as an Excel workbook a biller can trust.

`write_billing_workbook(run, out)` streams an openpyxl write-only workbook: a Summary sheet (clinic,
range, filters and time in the header rows; totals by payer as live `=SUM` formulas over the payer
sheets' charge columns; totals by code, rendering provider and site; holds counted by reason; each
block closed by a `=SUM` row), one sheet per payer with one row per claim line, and a Holds sheet
(what, who, why, what to do). Headers are bold on a fill, the header row is frozen, data has an
autofilter, dates read mm/dd/yyyy and charges as currency; every free-text value is literal text
(see `reports.billing_sheets`). A path is written under a temporary name beside it and renamed only
when complete, so a cancelled or failed export (`progress` returning False raises `ExportCancelled`)
leaves no file behind; a binary stream receives nothing until the workbook is complete. The file
name and the document properties carry no PHI.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import BinaryIO

from openpyxl import Workbook

from iopdesk.errors import IopDeskError
from iopdesk.kernel.files import replacing
from iopdesk.kernel.formats import date_text, datetime_text
from iopdesk.services.billing.views import BillingLine, BillingRun
from reports.billing_sheets import (
    BOLD,
    CHARGE_COL,
    DATE_FORMAT,
    FIRST_DATA_ROW,
    HEADER_FILL,
    HEADER_FONT,
    HEADER_ROW,
    HOLD_COLUMNS,
    LINE_COLUMNS,
    LINE_HEADERS,
    MINUTES_COL,
    MONEY_FORMAT,
    TOTAL_FILL,
    UNITS_COL,
    RowWriter,
    col,
    formula_cell,
    money,
    prepare_sheet,
    safe_sheet_name,
    sheet_ref,
    text_cell,
    write_header_row,
    write_heading,
)
from reports.xlsx_rows import create_table_sheet

PROGRESS_EVERY = 500
SUMMARY_WIDTHS = (34, 26, 10, 10, 15)
LINE_ID_COL = LINE_HEADERS.index("Line ID") + 1

Progress = Callable[[int, int], bool | None]


class ExportCancelled(IopDeskError):
    """The person cancelled the export; no file was written."""

    def __init__(self, message: str = "Export cancelled; no file was written.") -> None:
        super().__init__(message)


@dataclass(frozen=True)
class PayerSheet:
    payer_code: str
    payer_name: str
    sheet_name: str
    lines: int
    charge_cents: int


@dataclass(frozen=True)
class WorkbookSummary:
    """What was written: counts and totals, the payer sheets, and the file (None for a stream)."""

    file_name: str | None
    lines: int
    holds: int
    units: int
    charge_cents: int
    payers: tuple[PayerSheet, ...]
    sheet_names: tuple[str, ...]


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text).strip("-") or "x"


def default_billing_file_name(run: BillingRun) -> str:
    """`billing_<from>_<to>[_site][_payer][_new].xlsx`: dates and codes only, never a client."""
    parts = ["billing", f"{run.range_from:%Y-%m-%d}", f"{run.range_to:%Y-%m-%d}"]
    parts += [_slug(code) for code in (run.site_code, run.payer_code) if code]
    if run.new_only:
        parts.append("new")
    return "_".join(parts) + ".xlsx"


def _generated(run: BillingRun) -> str:
    """"Generated 12/07/2026 4:45 PM UTC" (the time in the clinic's format)."""
    at = run.generated_at
    at = at.astimezone(dt.UTC) if at.tzinfo else at
    return f"Generated {datetime_text(at, run.time_format)} UTC"


def describe_filters(run: BillingRun) -> str:
    """The run's filters in words (no PHI), for the sheet headers and the document properties."""
    return "; ".join((
        f"site {run.site_code}" if run.site_code else "all sites",
        f"payer {run.payer_code}" if run.payer_code else "all payers",
        "new and changed lines only" if run.new_only else "all lines",
    ))


def _range_text(run: BillingRun) -> str:
    return f"Dates of service {date_text(run.range_from)} – {date_text(run.range_to)}"


class _Counter:
    """Calls `progress` every PROGRESS_EVERY rows; a False answer cancels."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self.progress, self.total, self.done = progress, total, 0

    def report(self) -> None:
        if self.progress is not None and self.progress(self.done, self.total) is False:
            raise ExportCancelled()

    def step(self) -> None:
        self.done += 1
        if self.done % PROGRESS_EVERY == 0:
            self.report()


def _group_by_payer(lines: Iterable[BillingLine]) -> dict[str, list[BillingLine]]:
    groups: dict[str, list[BillingLine]] = defaultdict(list)
    for line in lines:
        groups[line.payer_code].append(line)
    return {code: groups[code] for code in sorted(groups)}


def _payer_sheets(groups: dict[str, list[BillingLine]]) -> list[PayerSheet]:
    taken: set[str] = set()
    return [PayerSheet(code, lines[0].payer_name, safe_sheet_name(lines[0].payer_name or code or "Payer", taken),
                       len(lines), sum(line.charge_cents for line in lines)) for code, lines in groups.items()]


class _SummaryBlocks:
    """Appends the Summary sheet's blocks, keeping count of the row being written."""

    def __init__(self, ws) -> None:
        self.ws = ws
        self.row = HEADER_ROW

    def _append(self, cells: list) -> None:
        self.ws.append(cells)
        self.row += 1

    def block(self, title: str, headers: tuple[str, ...], rows: list[tuple], sum_cols: tuple[int, ...]) -> None:
        """A titled table; each row is (label, label, then numbers or formulas); closed by =SUM."""
        ws = self.ws
        self._append([text_cell(ws, title, font=BOLD)])
        self._append([text_cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL) for h in headers])
        first = self.row
        for values in rows:
            cells = []
            for i, value in enumerate(values, 1):
                if isinstance(value, str) and i > 2:
                    cells.append(formula_cell(ws, value, MONEY_FORMAT if i == 5 else "0", font=None, fill=None))
                elif isinstance(value, str):
                    cells.append(text_cell(ws, value) if value else None)
                else:
                    cells.append(self._number(value, MONEY_FORMAT if i == 5 else "0"))
            self._append(cells)
        last = self.row - 1
        total = [text_cell(ws, "Total", font=BOLD, fill=TOTAL_FILL), text_cell(ws, "", fill=TOTAL_FILL)]
        for i in range(3, len(headers) + 1):
            if i not in sum_cols:
                total.append(None)
            elif rows:
                total.append(formula_cell(ws, f"=SUM({col(i)}{first}:{col(i)}{last})",
                                          MONEY_FORMAT if i == 5 else "0"))
            else:
                total.append(self._number(0, MONEY_FORMAT if i == 5 else "0", bold=True))
        self._append(total)
        self._append([])

    def _number(self, value, number_format: str, bold: bool = False):
        from openpyxl.cell import WriteOnlyCell

        cell = WriteOnlyCell(self.ws, value=value)
        cell.number_format = number_format
        if bold:
            cell.font = BOLD
        return cell


def _write_summary(wb: Workbook, run: BillingRun, payers: list[PayerSheet]) -> None:
    ws = wb.create_sheet("Summary")
    for i, width in enumerate(SUMMARY_WIDTHS, 1):
        ws.column_dimensions[col(i)].width = width
    write_heading(ws, [run.clinic_name or "Billing", f"{_range_text(run)} · {describe_filters(run)}",
                       _generated(run) + " · lines on hold are on the Holds sheet, not on the payer sheets"])
    blocks = _SummaryBlocks(ws)
    amounts = ("Lines", "Units", "Charge")
    payer_rows = []
    for p in payers:
        last = FIRST_DATA_ROW + p.lines - 1
        payer_rows.append((
            p.payer_code, p.payer_name,
            f"=COUNTA({sheet_ref(p.sheet_name, f'{col(LINE_ID_COL)}{FIRST_DATA_ROW}:{col(LINE_ID_COL)}{last}')})",
            f"=SUM({sheet_ref(p.sheet_name, f'{col(UNITS_COL)}{FIRST_DATA_ROW}:{col(UNITS_COL)}{last}')})",
            f"=SUM({sheet_ref(p.sheet_name, f'{col(CHARGE_COL)}{FIRST_DATA_ROW}:{col(CHARGE_COL)}{last}')})",
        ))
    blocks.block("Totals by payer", ("Payer code", "Payer", *amounts), payer_rows, (3, 4, 5))

    def tally(key) -> list[tuple]:
        sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0, 0])
        for line in run.lines:
            entry = sums[key(line)]
            entry[0] += 1
            entry[1] += line.units
            entry[2] += line.charge_cents
        return [(*k, n, units, money(cents)) for k, (n, units, cents) in sorted(sums.items())]

    blocks.block("Totals by code", ("Code", "", *amounts), tally(lambda x: (x.code, "")), (3, 4, 5))
    blocks.block("Totals by rendering provider", ("Rendering provider", "Rendering NPI", *amounts),
                 tally(lambda x: (x.rendering_name, x.rendering_npi)), (3, 4, 5))
    blocks.block("Totals by site", ("Site", "", *amounts), tally(lambda x: (x.site_code, "")), (3, 4, 5))
    reasons = Counter(hold.reason for hold in run.holds)
    hold_rows = [(reason, "", n) for reason, n in sorted(reasons.items(), key=lambda item: (-item[1], item[0]))]
    blocks.block("Holds by reason", ("Why it is on hold", "", "Holds"), hold_rows, (3,))


def _write_payer_sheet(wb: Workbook, run: BillingRun, payer: PayerSheet, lines: list[BillingLine],
                       counter: _Counter) -> None:
    ws = create_table_sheet(wb, payer.sheet_name)
    prepare_sheet(ws, LINE_COLUMNS, freeze=f"C{FIRST_DATA_ROW}")
    write_heading(ws, [f"{run.clinic_name} · {payer.payer_name or payer.payer_code} ({payer.payer_code})",
                       f"{_range_text(run)} · {describe_filters(run)}", _generated(run)])
    write_header_row(ws, LINE_HEADERS)
    rows = RowWriter(ws, LINE_COLUMNS)
    for line in lines:
        rows.append(line)
        counter.step()
    last = FIRST_DATA_ROW + len(lines) - 1
    total = [text_cell(ws, "Total", font=BOLD, fill=TOTAL_FILL)] + [None] * (len(LINE_COLUMNS) - 1)
    for index, number_format in ((UNITS_COL, "0"), (MINUTES_COL, "0"), (CHARGE_COL, MONEY_FORMAT)):
        total[index - 1] = formula_cell(ws, f"=SUM({col(index)}{FIRST_DATA_ROW}:{col(index)}{last})", number_format)
    ws.append(total)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{col(len(LINE_COLUMNS))}{last}"


def _write_holds(wb: Workbook, run: BillingRun, counter: _Counter) -> None:
    ws = create_table_sheet(wb, "Holds")
    prepare_sheet(ws, HOLD_COLUMNS, freeze=f"A{FIRST_DATA_ROW}")
    write_heading(ws, [f"{run.clinic_name} · services on hold (not billable yet)",
                       f"{_range_text(run)} · {describe_filters(run)}", _generated(run)])
    write_header_row(ws, [c.header for c in HOLD_COLUMNS])
    rows = RowWriter(ws, HOLD_COLUMNS)
    for hold in run.holds:
        rows.append(hold)
        counter.step()
    ws.auto_filter.ref = f"A{HEADER_ROW}:{col(len(HOLD_COLUMNS))}{HEADER_ROW + max(1, len(run.holds))}"


def _set_properties(wb: Workbook, run: BillingRun) -> None:
    props = wb.properties
    props.title = f"Billing export {date_text(run.range_from)} – {date_text(run.range_to)}"
    props.subject = "Claim lines and holds for billing"
    props.creator = run.clinic_name or "IOP Desk"
    props.lastModifiedBy = run.clinic_name or "IOP Desk"
    props.description = f"{_range_text(run)}; {describe_filters(run)}. Written by IOP Desk."
    props.keywords = "billing; claim lines; holds"
    props.category = "Billing"
    at = run.generated_at
    props.created = (at.astimezone(dt.UTC) if at.tzinfo else at).replace(tzinfo=None)


def _discard_temporary_sheets(wb: Workbook) -> None:
    """Remove openpyxl's per-sheet temporary files (they hold row data) after a cancel or failure."""
    for ws in wb.worksheets:
        writer = getattr(ws, "_writer", None)
        if writer is None:
            continue
        try:
            if not ws.closed:
                ws.close()
        except Exception:  # noqa: BLE001 - best effort; the file is removed below either way
            pass
        try:
            writer.cleanup()
        except (OSError, ValueError):
            pass


def _build(run: BillingRun, progress: Progress | None) -> tuple[Workbook, WorkbookSummary]:
    groups = _group_by_payer(run.lines)
    payers = _payer_sheets(groups)
    counter = _Counter(progress, len(run.lines) + len(run.holds))
    counter.report()
    wb = Workbook(write_only=True)
    try:
        _set_properties(wb, run)
        _write_summary(wb, run, payers)
        for payer in payers:
            _write_payer_sheet(wb, run, payer, groups[payer.payer_code], counter)
        _write_holds(wb, run, counter)
        counter.done = counter.total
        counter.report()
    except BaseException:
        _discard_temporary_sheets(wb)
        raise
    summary = WorkbookSummary(
        file_name=None, lines=len(run.lines), holds=len(run.holds), units=sum(line.units for line in run.lines),
        charge_cents=sum(p.charge_cents for p in payers), payers=tuple(payers),
        sheet_names=("Summary", *(p.sheet_name for p in payers), "Holds"))
    return wb, summary


def write_billing_workbook(run: BillingRun, out: str | os.PathLike[str] | BinaryIO, *,
                           progress: Progress | None = None) -> WorkbookSummary:
    """Write `run` as an .xlsx to the path or binary stream `out`; returns what was written.

    `progress(done, total)` is called as rows are written (done counts lines and holds); returning
    False raises `ExportCancelled` (any other answer, None included, carries on), and no file is
    left at `out`. Raises OSError when the folder cannot be written.
    """
    if hasattr(out, "write"):
        wb, summary = _build(run, progress)
        try:
            wb.save(out)
        finally:
            _discard_temporary_sheets(wb)
        return summary
    target = Path(out)
    wb = None
    try:
        with replacing(target) as partial:
            wb, summary = _build(run, progress)
            wb.save(partial)
    finally:
        if wb is not None:
            _discard_temporary_sheets(wb)
    return replace(summary, file_name=str(target))


__all__ = ["DATE_FORMAT", "MONEY_FORMAT", "ExportCancelled", "PayerSheet", "WorkbookSummary",
           "default_billing_file_name", "describe_filters", "write_billing_workbook"]
