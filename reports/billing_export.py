"""The billing export flow, the one the Billing screen and `iopdesk export billing` both run:
write the workbook, record the export, put the file in place, with one failure behaviour.

The workbook is written under a temporary name beside the destination; the batch and its audit
event are recorded in one transaction whose last step moves the file into place. So the export is
recorded only when its file is in place, and when anything fails or Cancel is pressed the
destination (an earlier file there included) is as it was and nothing is recorded: no
half-written workbook, and no file the record does not know about (it could be sent twice). Should
the commit itself fail after the move, the earlier file (kept under a second name until the
commit) is put back, or the new one taken out when there was none.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from iopdesk.kernel.changes import Changes
from iopdesk.kernel.files import put_in_place, replacing, temporary_beside
from iopdesk.services.billing.views import BillingRun, ExportBatchView
from reports.billing_xlsx import ExportCancelled, Progress, WorkbookSummary, write_billing_workbook


@dataclass(frozen=True)
class BillingExport:
    """A recorded export: the file in place, what it holds, the batch and what changed."""

    path: Path
    summary: WorkbookSummary
    batch: ExportBatchView
    changes: Changes


def _never() -> bool:
    return False


def export_billing_workbook(clinic, run: BillingRun, out: str | os.PathLike[str], *,
                            progress: Progress | None = None,
                            cancelled: Callable[[], bool] = _never) -> BillingExport:
    """Write `run` to `out` as a workbook and record the export (`clinic.billing.record_export`),
    all or nothing; see the module docstring.

    Raises ExportCancelled when `progress` returns False or `cancelled()` is true once the last row
    is written, OSError when the folder cannot be written or the file cannot be put in place, and
    the domain's errors of `record_export` (PermissionDenied, ValidationError); in each case
    nothing is recorded and `out` is untouched.
    """
    out = Path(out)
    placed = []
    earlier = temporary_beside(out)

    def place(partial: Path) -> None:
        if out.is_file():  # a second name for the earlier file until the commit
            try:
                os.link(out, earlier)
            except OSError:  # a folder without hard links (FAT, some shares): a copy
                shutil.copy2(out, earlier)
        placed.append(out)
        put_in_place(partial, out)

    try:
        with replacing(out) as partial:
            with open(partial, "xb") as stream:
                summary = write_billing_workbook(run, stream, progress=progress)
            if cancelled():  # Cancel after the last row: the file is complete but was not wanted
                raise ExportCancelled()
            batch, changes = clinic.billing.record_export(run, file_name=out.name,
                                                          place_file=lambda: place(partial))
    except BaseException:
        if placed and earlier.exists():  # in place, but the record did not commit: put back
            put_in_place(earlier, out)
        elif placed:
            out.unlink(missing_ok=True)
        raise
    finally:
        earlier.unlink(missing_ok=True)
    return BillingExport(out, replace(summary, file_name=str(out)), batch, changes)


__all__ = ["BillingExport", "export_billing_workbook"]
