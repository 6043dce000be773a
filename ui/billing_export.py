"""Exporting billing to an Excel workbook from the Billing screen, off the GUI thread.

`export_billing` is what the worker runs: `clinic.billing.run` for the chosen filters, then
`reports.billing_export.export_billing_workbook` (as `iopdesk export billing` does): the workbook
is written beside the chosen file, the lines are marked with a new batch and the file is put in
place together; the progress callback returns False once Cancel is pressed. A cancelled or failed
export leaves no file (and an existing file at that path untouched) and records nothing.
`default_file_name` names the file without PHI: the writer's own default when it has one, else
`billing_<from>_<to>.xlsx`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from iopdesk.errors import IopDeskError
from iopdesk.kernel import clock
from iopdesk.kernel.changes import Changes
from iopdesk.services.billing.views import BillingRun, ExportBatchView


@dataclass(frozen=True)
class BillingFilters:
    """What the biller chose: a date range, a site and payer (None for all), only new lines."""

    range_from: dt.date
    range_to: dt.date
    site: str | None = None
    payer: str | None = None
    new_only: bool = False


@dataclass(frozen=True)
class ExportOutcome:
    """A finished export: where it went, what it held, the batch recorded (None when cancelled)."""

    path: Path
    lines: int
    holds: int
    batch: ExportBatchView | None

    @property
    def cancelled(self) -> bool:
        return self.batch is None


class ExportProgressRelay(QObject):
    """Carries the writer's progress (done, total) from the worker to the GUI thread."""

    progressed = Signal(int, int)


def empty_run(clinic_name: str, filters: BillingFilters) -> BillingRun:
    """A run with no lines for the chosen filters: enough to name the file before exporting."""
    return BillingRun(clinic_name=clinic_name, range_from=filters.range_from, range_to=filters.range_to,
                      site_code=filters.site, payer_code=filters.payer, new_only=filters.new_only,
                      generated_at=clock.utcnow(), lines=(), holds=())


def default_file_name(run: BillingRun) -> str:
    """The suggested file name, without client information."""
    try:
        from reports.billing_xlsx import default_billing_file_name
    except ImportError:
        return f"billing_{run.range_from:%Y-%m-%d}_{run.range_to:%Y-%m-%d}.xlsx"
    return default_billing_file_name(run)


def export_billing(clinic, filters: BillingFilters, path: Path, *, cancelled: Callable[[], bool],
                   relay: ExportProgressRelay | None = None) -> ExportOutcome | tuple[ExportOutcome, Changes]:
    """Run, write and record one export (on a worker thread). Returns (outcome, changes), or an
    outcome whose batch is None when Cancel was pressed; domain errors propagate unchanged and a
    folder that cannot be written becomes an IopDeskError naming the file."""
    from reports.billing_export import export_billing_workbook
    from reports.billing_xlsx import ExportCancelled

    path = Path(path)
    if not path.parent.is_dir():
        raise IopDeskError(f"Could not write {path}: the folder {path.parent} does not exist.")
    run = clinic.billing.run(filters.range_from, filters.range_to, site=filters.site, payer=filters.payer,
                             new_only=filters.new_only)
    nothing = ExportOutcome(path, len(run.lines), len(run.holds), None)
    if cancelled():
        return nothing

    def progress(done: int, total: int) -> bool:
        if relay is not None:
            relay.progressed.emit(int(done), int(total))
        return not cancelled()

    try:
        export = export_billing_workbook(clinic, run, path, progress=progress, cancelled=cancelled)
    except ExportCancelled:
        return nothing
    except OSError as error:
        raise IopDeskError(f"Could not write {path}: {error.strerror or error}.") from None
    return ExportOutcome(path, len(run.lines), len(run.holds), export.batch), export.changes
