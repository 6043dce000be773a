"""The building blocks of the billing workbook: column layouts, cell styles, safe sheet names, and
the streaming writers for the claim-line and hold rows.

Every free-text value (names, ids, member ids, authorization numbers, codes, note ids) goes into a
cell forced to the string type with the text number format, so a value such as `=HYPERLINK(...)`,
`+SUM(A1)`, `-2+3`, `@cmd` or `#N/A` stays the literal text it was (openpyxl would otherwise write
a string starting with `=` as a live formula). Rows are written through a handful of reused
`WriteOnlyCell`s per sheet, which keeps a 30,000-line month fast and flat in memory.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import IllegalCharacterError

from iopdesk.services.billing.views import BillingHold, BillingLine
from reports.xlsx_rows import (
    NUMBER,
    STYLED_NUMBER,
    ExcelDays,
    TableSheet,
    TypedRow,
    number_style,
    safe_string,
)
from reports.xlsx_rows import TEXT as XTEXT

DATE_FORMAT = "mm/dd/yyyy"
MONEY_FORMAT = '"$"#,##0.00'
TEXT_FORMAT = "@"
HEADER_ROW = 5  # rows 1-3 say clinic, range and filters; row 4 is blank
FIRST_DATA_ROW = HEADER_ROW + 1

TITLE_FONT = Font(bold=True, size=14)
BOLD = Font(bold=True)
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
TOTAL_FILL = PatternFill("solid", fgColor="DDEBF7")
TOTAL_BORDER = Border(top=Side(style="thin"))
WRAP = Alignment(wrap_text=True, vertical="top")

TEXT, DATE, INT, MONEY = "text", "date", "int", "money"
_FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
RESERVED_SHEET_NAMES = {"summary", "holds", "history"}


@dataclass(frozen=True)
class Column:
    header: str
    width: float
    kind: str
    value: Callable[[object], object]


def _modifier(i: int) -> Callable[[BillingLine], str]:
    return lambda line: line.modifiers[i] if len(line.modifiers) > i else ""


# One sheet per payer, named in its title row, so the rows carry no payer columns (two cells
# fewer per line is 8% of a 30,000-line export).
LINE_COLUMNS: tuple[Column, ...] = (
    Column("Client ID (MRN)", 16, TEXT, lambda x: x.mrn),
    Column("Client name", 26, TEXT, lambda x: x.client_name),
    Column("DOB", 11, DATE, lambda x: x.dob),
    Column("Member ID", 16, TEXT, lambda x: x.member_id),
    Column("Authorization", 16, TEXT, lambda x: x.authorization),
    Column("Date of service", 12, DATE, lambda x: x.service_date),
    Column("POS", 6, TEXT, lambda x: x.place_of_service),
    Column("Code", 8, TEXT, lambda x: x.code),
    Column("Mod 1", 7, TEXT, _modifier(0)),
    Column("Mod 2", 7, TEXT, _modifier(1)),
    Column("Mod 3", 7, TEXT, _modifier(2)),
    Column("Mod 4", 7, TEXT, _modifier(3)),
    Column("Units", 7, INT, lambda x: x.units),
    Column("Minutes", 9, INT, lambda x: x.minutes),
    Column("ICD-10-CM", 20, TEXT, lambda x: ", ".join(x.diagnoses)),
    Column("Dx pointer", 10, TEXT, lambda x: x.diagnosis_pointer),
    Column("Rendering provider", 22, TEXT, lambda x: x.rendering_name),
    Column("Rendering NPI", 13, TEXT, lambda x: x.rendering_npi),
    Column("Supervising provider", 22, TEXT, lambda x: x.supervising_name),
    Column("Supervising NPI", 15, TEXT, lambda x: x.supervising_npi),
    Column("Charge", 12, MONEY, lambda x: money(x.charge_cents)),
    Column("Source", 17, TEXT, lambda x: x.source),
    Column("Site", 8, TEXT, lambda x: x.site_code),
    Column("Note ID", 20, TEXT, lambda x: x.note_id),
    Column("Note status", 11, TEXT, lambda x: x.note_status),
    Column("Line ID", 20, TEXT, lambda x: x.line_id),
    Column("Export batch", 20, TEXT, lambda x: x.export_batch),
    Column("Changed since export", 11, TEXT, lambda x: "Yes" if x.changed_since_export else ""),
)
LINE_HEADERS = tuple(c.header for c in LINE_COLUMNS)
UNITS_COL = LINE_HEADERS.index("Units") + 1
MINUTES_COL = LINE_HEADERS.index("Minutes") + 1
CHARGE_COL = LINE_HEADERS.index("Charge") + 1

HOLD_COLUMNS: tuple[Column, ...] = (
    Column("Date of service", 12, DATE, lambda h: h.service_date),
    Column("Client ID (MRN)", 16, TEXT, lambda h: h.mrn),
    Column("Client name", 26, TEXT, lambda h: h.client_name),
    Column("Payer code", 11, TEXT, lambda h: h.payer_code),
    Column("Site", 8, TEXT, lambda h: h.site_code),
    Column("What", 34, TEXT, lambda h: h.what),
    Column("Who", 22, TEXT, lambda h: h.who),
    Column("Why it is on hold", 40, TEXT, lambda h: h.reason),
    Column("What to do", 36, TEXT, lambda h: h.action),
    Column("Note ID", 20, TEXT, lambda h: h.note_id),
)


def money(cents: int) -> Decimal:
    """Integer cents as an exact decimal amount (written to the file without float rounding)."""
    return Decimal(cents).scaleb(-2)


def col(index: int) -> str:
    return get_column_letter(index)


def safe_sheet_name(wanted: str, taken: set[str]) -> str:
    """A valid, unique Excel sheet name: no []:*?/\\, no leading/trailing apostrophe, at most 31
    characters, not Summary/Holds/History; `taken` (lower-cased) is updated."""
    name = _FORBIDDEN_IN_SHEET_NAMES.sub("-", ILLEGAL_CHARACTERS_RE.sub("", wanted)).strip().strip("'").strip()
    name = (name or "Payer")[:31].rstrip()
    candidate, n = name, 1
    while candidate.lower() in taken or candidate.lower() in RESERVED_SHEET_NAMES:
        n += 1
        suffix = f" ({n})"
        candidate = name[: 31 - len(suffix)].rstrip() + suffix
    taken.add(candidate.lower())
    return candidate


def sheet_ref(sheet: str, ref: str) -> str:
    """`'Sheet name'!A1:B2`, quoting the name for a formula."""
    return "'" + sheet.replace("'", "''") + "'!" + ref


def set_text(cell: WriteOnlyCell, value: str) -> WriteOnlyCell:
    """Put `value` in `cell` as literal text: never a formula, an error value or a number."""
    try:
        cell.value = value
    except IllegalCharacterError:
        cell.value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell.data_type = "s"
    return cell


def text_cell(ws, value: str, *, font: Font | None = None, fill: PatternFill | None = None,
              alignment: Alignment | None = None) -> WriteOnlyCell:
    cell = set_text(WriteOnlyCell(ws), value)
    cell.number_format = TEXT_FORMAT
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    if alignment is not None:
        cell.alignment = alignment
    return cell


def formula_cell(ws, formula: str, number_format: str = "General", *, font: Font | None = BOLD,
                 fill: PatternFill | None = TOTAL_FILL) -> WriteOnlyCell:
    """A cell holding a formula we built (never from a record's text)."""
    cell = WriteOnlyCell(ws, value=formula)
    assert cell.data_type == "f", formula
    cell.number_format = number_format
    if font is not None:
        cell.font = font
    if fill is not None:
        cell.fill = fill
    cell.border = TOTAL_BORDER
    return cell


def write_heading(ws, lines: Sequence[str]) -> None:
    """Rows 1-3 (title, range and filters, generated) and a blank row 4."""
    for i, text in enumerate(lines[:3]):
        ws.append([text_cell(ws, text, font=TITLE_FONT if i == 0 else None)])
    for _ in range(HEADER_ROW - 1 - min(3, len(lines))):
        ws.append([])


def prepare_sheet(ws, columns: Sequence[Column], *, freeze: str) -> None:
    """Column widths, frozen panes and print layout; must run before the first row is appended."""
    for i, column in enumerate(columns, 1):
        ws.column_dimensions[col(i)].width = column.width
    ws.freeze_panes = freeze
    ws.row_dimensions[HEADER_ROW].height = 30  # two lines: "Date of service" wraps in its 12-wide column
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    ws.page_setup.orientation = "landscape"
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0


def write_header_row(ws, headers: Sequence[str]) -> None:
    ws.append([text_cell(ws, h, font=HEADER_FONT, fill=HEADER_FILL, alignment=WRAP) for h in headers])


class RowWriter:
    """Appends records to a `TableSheet` as typed rows (see `reports.xlsx_rows`): text is always
    literal text (a leading `=` or `#` stays text), dates and amounts carry their number formats,
    empty values write no cell. A control character pasted into a record (illegal in the file)
    is dropped from the text."""

    def __init__(self, ws: TableSheet, columns: Sequence[Column]) -> None:
        self.ws = ws
        days = ExcelDays(ws.parent.epoch)
        date_style, money_style = number_style(ws, DATE_FORMAT), number_style(ws, MONEY_FORMAT)
        self.plan: list[tuple[int, str, Callable[[object], object], Callable[[object], str], str]] = []
        for number, column in enumerate(columns, 1):
            if column.kind == TEXT:
                self.plan.append((number, XTEXT, column.value, str, ""))
            elif column.kind == DATE:
                self.plan.append((number, STYLED_NUMBER, column.value, days, date_style))
            elif column.kind == MONEY:
                self.plan.append((number, STYLED_NUMBER, column.value, safe_string, money_style))
            else:
                self.plan.append((number, NUMBER, column.value, safe_string, ""))

    def append(self, record: object) -> None:
        row = TypedRow()
        texts: list[str] = []
        for number, kind, value_of, as_text, style in self.plan:
            value = value_of(record)
            if value is None or value == "":
                continue
            if kind is XTEXT:
                texts.append(value)
                row.append((number, kind, value, style))
            else:
                row.append((number, kind, as_text(value), style))
        if ILLEGAL_CHARACTERS_RE.search("\t".join(texts)):  # rare: a pasted control character
            row = TypedRow((n, k, ILLEGAL_CHARACTERS_RE.sub("", v) if k is XTEXT else v, s) for n, k, v, s in row)
        self.ws.append(row)


def line_row_values(line: BillingLine) -> tuple:
    """The values of one claim line's row, in column order (what the workbook shows)."""
    return tuple(column.value(line) for column in LINE_COLUMNS)


def hold_row_values(hold: BillingHold) -> tuple:
    return tuple(column.value(hold) for column in HOLD_COLUMNS)
