"""The Billing screen's tables and the way it writes amounts: claim lines, holds and export batches.

Each table is a `RowsTableModel` over the frozen rows `clinic.billing` returned (`BillingLine`,
`BillingHold`, `ExportBatchView`), with columns a biller reads: dates, MRN, the claim name, payer,
code, modifiers, units, minutes, charge, who rendered it and whether it was exported — codes, dates
and amounts only, never a note's narrative. Amounts are integer cents shown as "$1,234.56".
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtGui import QFont

from iopdesk.kernel.formats import money_text
from iopdesk.services.billing.views import BillingHold, BillingLine, ExportBatchView
from ui.dates import date_text, stamp_text
from ui.rows_model import RowsTableModel


def _tr(text: str) -> str:
    return QCoreApplication.translate("BillingPage", text)


def line_status(line: BillingLine) -> str:
    """Whether a claim line is new, exported, or changed since its export."""
    if line.changed_since_export:
        return _tr("Changed since export")
    if line.export_batch:
        return _tr("Exported")
    return _tr("New")


def rendering_text(line: BillingLine) -> str:
    if line.supervising_name:
        return _tr("{rendering} (under {supervisor})").format(rendering=line.rendering_name,
                                                            supervisor=line.supervising_name)
    return line.rendering_name


class BillingRowsTableModel(RowsTableModel):
    """Rows of billing read models; right-aligns the number columns named in `numeric`."""

    def __init__(self, columns, numeric: tuple[int, ...] = (), parent: QObject | None = None,
                 emphasis=None) -> None:
        super().__init__(columns, parent)
        self._numeric = frozenset(numeric)
        self._emphasis = emphasis  # row value -> bool: shown bold (a line changed since export)

    def data(self, index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() in self._numeric:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and self._emphasis is not None:
            row = self.row_value(index.row())
            if row is not None and self._emphasis(row):
                font = QFont()
                font.setBold(True)
                return font
            return None
        return super().data(index, role)


def claim_lines_model(parent: QObject | None = None) -> BillingRowsTableModel:
    """Claim lines: date, MRN, client, payer, code, modifiers, units, minutes, charge, rendering, status."""
    columns = (
        (_tr("Date"), lambda line: date_text(line.service_date)),
        (_tr("MRN"), lambda line: line.mrn),
        (_tr("Client"), lambda line: line.client_name),
        (_tr("Payer"), lambda line: line.payer_code),
        (_tr("Code"), lambda line: line.code),
        (_tr("Modifiers"), lambda line: " ".join(line.modifiers)),
        (_tr("Units"), lambda line: line.units),
        (_tr("Minutes"), lambda line: line.minutes),
        (_tr("Charge"), lambda line: money_text(line.charge_cents)),
        (_tr("Rendering"), rendering_text),
        (_tr("Status"), line_status),
    )
    return BillingRowsTableModel(columns, numeric=(6, 7, 8), parent=parent,
                                 emphasis=lambda line: line.changed_since_export)


def holds_model(parent: QObject | None = None) -> BillingRowsTableModel:
    """Holds: date, MRN, client, what, who, why, what to do."""
    columns = (
        (_tr("Date"), lambda hold: date_text(hold.service_date)),
        (_tr("MRN"), lambda hold: hold.mrn),
        (_tr("Client"), lambda hold: hold.client_name),
        (_tr("What"), lambda hold: hold.what),
        (_tr("Who"), lambda hold: hold.who),
        (_tr("Why"), lambda hold: hold.reason),
        (_tr("What to do"), lambda hold: hold.action),
    )
    return BillingRowsTableModel(columns, parent=parent)


def batches_model(parent: QObject | None = None) -> BillingRowsTableModel:
    """Recent export batches: when, by whom, range, filters, line count."""
    columns = (
        (_tr("Exported"), lambda batch: stamp_text(batch.exported_at)),
        (_tr("By"), lambda batch: batch.exported_by),
        (_tr("From"), lambda batch: date_text(batch.range_from)),
        (_tr("To"), lambda batch: date_text(batch.range_to)),
        (_tr("Filters"), lambda batch: batch.filters or _tr("all sites and payers")),
        (_tr("Lines"), lambda batch: batch.line_count),
    )
    return BillingRowsTableModel(columns, numeric=(5,), parent=parent)


def previous_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The calendar month before the one `today` is in, first to last day."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return last.replace(day=1), last


def this_month(today: dt.date) -> tuple[dt.date, dt.date]:
    """The first of this month to today."""
    return today.replace(day=1), today


def last_two_weeks(today: dt.date) -> tuple[dt.date, dt.date]:
    """The 14 days ending today."""
    return today - dt.timedelta(days=13), today


__all__ = ["BillingHold", "BillingLine", "ExportBatchView", "batches_model", "claim_lines_model",
           "holds_model", "last_two_weeks", "line_status", "previous_month", "this_month"]
