"""Long tables in a write-only openpyxl workbook, one lxml `<row>` element per record.

openpyxl's write-only sheet turns every value into a `WriteOnlyCell`, then into nested XML
elements through several Python calls per cell; on a 30,000-line billing month (about 600,000
cells) that bookkeeping was two thirds of the export. `TableSheet` is a write-only worksheet that
also accepts a `TypedRow` (values whose cell type the caller already knows) and writes it as a
single element built with lxml's C API. Everything else (heading rows, formulas, styles, frozen
panes, the file itself) stays openpyxl's. Text is always an inline string, so a value is never a
formula or an error whatever it starts with; dates and amounts carry the workbook's own number
formats (registered through a styled cell).

This leans on two protected hooks of openpyxl 3.1's write-only sheet (`_values_to_row`,
`_get_writer`); pyproject pins openpyxl below 4 and the billing tests read every file back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from lxml.etree import Element, SubElement
from openpyxl.cell import WriteOnlyCell
from openpyxl.compat import safe_string
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import to_excel
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from openpyxl.worksheet._writer import WorksheetWriter

TEXT, NUMBER, STYLED_NUMBER = "text", "number", "styled"
_PRESERVE = "{http://www.w3.org/XML/1998/namespace}space"


class TypedRow(list):
    """One row as (column number, kind, value, style id) entries, in column order; empty cells
    are simply left out. Kinds: TEXT (a str), NUMBER (int or Decimal), STYLED_NUMBER (a number
    shown through the number format `style id` refers to)."""


class _TableWriter(WorksheetWriter):
    def write_row(self, xf, row, row_idx):  # noqa: D102 - openpyxl's hook
        if type(row) is not TypedRow:
            return super().write_row(xf, row, row_idx)
        number = str(row_idx)
        element = Element("row", r=number)
        for column, kind, value, style in row:
            ref = _LETTERS[column] + number
            if kind is TEXT:
                cell = SubElement(element, "c", r=ref, t="inlineStr")
                text = SubElement(SubElement(cell, "is"), "t")
                if value != value.strip():
                    text.set(_PRESERVE, "preserve")
                text.text = value
            else:
                cell = SubElement(element, "c", r=ref, s=style, t="n") if style else \
                    SubElement(element, "c", r=ref, t="n")
                SubElement(cell, "v").text = value
        xf.write(element)


class TableSheet(WriteOnlyWorksheet):
    """A write-only worksheet that also appends `TypedRow`s at the speed of lxml."""

    def _get_writer(self):
        if self._writer is None:
            self._writer = _TableWriter(self)
            self._writer.write_top()

    def _values_to_row(self, values, row_idx):
        if type(values) is TypedRow:
            return values
        return super()._values_to_row(values, row_idx)


def create_table_sheet(wb, title: str) -> TableSheet:
    """A new `TableSheet` at the end of the write-only workbook `wb`."""
    ws = TableSheet(parent=wb, title=title)
    wb._add_sheet(ws)
    return ws


def number_style(ws: TableSheet, number_format: str) -> str:
    """The workbook's style id for plain cells shown with `number_format` (registers it)."""
    cell = WriteOnlyCell(ws)
    cell.number_format = number_format
    return str(cell.style_id)


class ExcelDays:
    """Dates as Excel serial day numbers, remembered (a month's rows share few dates)."""

    def __init__(self, epoch: dt.datetime) -> None:
        self.epoch = epoch
        self._known: dict[dt.date, str] = {}

    def __call__(self, day: dt.date) -> str:
        text = self._known.get(day)
        if text is None:
            text = self._known[day] = safe_string(to_excel(day, self.epoch))
        return text


_LETTERS = [""] + [get_column_letter(i) for i in range(1, 200)]

__all__: Sequence[str] = ("NUMBER", "STYLED_NUMBER", "TEXT", "ExcelDays", "TableSheet", "TypedRow",
                          "create_table_sheet", "number_style", "safe_string")
