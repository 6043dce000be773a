"""The billing export flow the Billing screen and `iopdesk export billing` share
(`reports.billing_export`): when the workbook cannot be written whole or put in place, the file
already at the destination stays as it was, no temporary is left beside it and no export batch is
recorded, whichever of the two ran it."""

from __future__ import annotations

from pathlib import Path

import pytest

import iopdesk
import reports.billing_export
from iopdesk.errors import IopDeskError
from iopdesk.services.billing.service import BillingService
from reports.billing_export import export_billing_workbook
from reports.billing_xlsx import ExportCancelled
from reports.export_cli import main
from tests.billing_fixtures import DAY
from tests.conftest import ADMIN_PASSWORD

LAST_WEEK = b"last week's export, already sent"


def _export_from_the_command_line(db: Path, out: Path) -> None:
    assert main(["billing", "--from", DAY.isoformat(), "--to", DAY.isoformat(), "--out", str(out),
                 "--db", str(db), "--user", "biller"]) == 2


def _export_from_the_billing_screen(db: Path, out: Path) -> None:
    from ui.billing_export import BillingFilters, export_billing

    with iopdesk.open_clinic(str(db)) as clinic:
        clinic.login("biller", ADMIN_PASSWORD)
        with pytest.raises(IopDeskError, match="Could not write"):
            export_billing(clinic, BillingFilters(DAY, DAY), out, cancelled=lambda: False)


CALLERS = {"command line": _export_from_the_command_line, "billing screen": _export_from_the_billing_screen}


def _batches(db: Path) -> list:
    with iopdesk.open_clinic(str(db)) as clinic:
        clinic.login("biller", ADMIN_PASSWORD)
        return clinic.billing.batches()


def _last_weeks_file(tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    folder.mkdir()
    out = folder / "billing.xlsx"
    out.write_bytes(LAST_WEEK)
    return out


@pytest.mark.parametrize("caller", CALLERS)
def test_a_workbook_failing_half_way_leaves_last_weeks_file_and_records_nothing(
        billing_clinic_file, tmp_path, monkeypatch, caller) -> None:
    """The disk fills half-way through the workbook: last week's file is untouched and no batch is recorded."""
    out = _last_weeks_file(tmp_path)

    def disk_fills(run, stream, *, progress=None):
        stream.write(b"PK\x03\x04 half a workbook")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(reports.billing_export, "write_billing_workbook", disk_fills)
    CALLERS[caller](billing_clinic_file, out)
    assert out.read_bytes() == LAST_WEEK
    assert [p.name for p in out.parent.iterdir()] == ["billing.xlsx"]
    assert _batches(billing_clinic_file) == []


@pytest.mark.parametrize("caller", CALLERS)
def test_a_workbook_that_cannot_be_put_in_place_is_not_recorded(billing_clinic_file, tmp_path, monkeypatch, caller) -> None:
    """Written whole but refused at the last step (the file is open elsewhere): the batch is rolled back."""
    out = _last_weeks_file(tmp_path)

    def refused(partial, path, *, durable=False):
        raise PermissionError(13, "The file is open in another program", str(path))

    monkeypatch.setattr(reports.billing_export, "put_in_place", refused)
    CALLERS[caller](billing_clinic_file, out)
    assert out.read_bytes() == LAST_WEEK
    assert [p.name for p in out.parent.iterdir()] == ["billing.xlsx"]
    assert _batches(billing_clinic_file) == []


def test_when_the_record_fails_after_the_move_last_weeks_file_is_put_back(billing_clinic_file, tmp_path,
                                                                          monkeypatch) -> None:
    """The new workbook is already in place when the transaction fails: last week's file comes
    back, no batch is recorded, and no second name is left in the folder."""
    out = _last_weeks_file(tmp_path)
    record_export = BillingService.record_export

    def placed_then_commit_fails(service, run, *, file_name, place_file=None):
        def place_then_fail():
            place_file()
            assert out.read_bytes()[:2] == b"PK"
            raise OSError(5, "Input/output error")

        return record_export(service, run, file_name=file_name, place_file=place_then_fail)

    monkeypatch.setattr(BillingService, "record_export", placed_then_commit_fails)
    with iopdesk.open_clinic(str(billing_clinic_file)) as clinic:
        clinic.login("biller", ADMIN_PASSWORD)
        with pytest.raises(OSError):
            export_billing_workbook(clinic, clinic.billing.run(DAY, DAY), out)
        assert clinic.billing.batches() == []
    assert out.read_bytes() == LAST_WEEK
    assert [p.name for p in out.parent.iterdir()] == ["billing.xlsx"]


def test_cancel_after_the_last_row_keeps_last_weeks_file_and_records_nothing(billing_clinic_file, tmp_path) -> None:
    """A complete workbook that was cancelled at the end is not put in place nor recorded."""
    out = _last_weeks_file(tmp_path)
    with iopdesk.open_clinic(str(billing_clinic_file)) as clinic:
        clinic.login("biller", ADMIN_PASSWORD)
        run = clinic.billing.run(DAY, DAY)
        with pytest.raises(ExportCancelled):
            export_billing_workbook(clinic, run, out, cancelled=lambda: True)
        assert clinic.billing.batches() == []
        export = export_billing_workbook(clinic, run, out)
        assert [b.id for b in clinic.billing.batches()] == [export.batch.id]
    assert out.read_bytes()[:2] == b"PK" and export.summary.file_name == str(out)
    assert [p.name for p in out.parent.iterdir()] == ["billing.xlsx"]
