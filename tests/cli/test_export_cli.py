"""`iopdesk export billing` from the command line: the biller's spreadsheet for a range, a file name
with no client in it, the export recorded as a batch only once the file is complete, `--new-only`
after an export, one-line errors that leave nothing behind, and no Qt on the way.

Each test builds a clinic file where Marisol (Medicare) attended a signed three-hour group and Ben
(Medicaid) has an unsigned individual note (a hold), closes it, then runs the command as a biller.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

import iopdesk
from reports.billing_sheets import LINE_HEADERS
from reports.export_cli import main
from tests.billing_fixtures import DAY
from tests.conftest import ADMIN_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
RANGE = ["--from", DAY.isoformat(), "--to", DAY.isoformat()]
DEFAULT_NAME = f"billing_{DAY:%Y-%m-%d}_{DAY:%Y-%m-%d}.xlsx"


def billing_state(path: Path, **filters):
    """(the run the biller would see now, the export batches), read from the clinic file."""
    with iopdesk.open_clinic(str(path)) as clinic:
        clinic.login("biller", ADMIN_PASSWORD)
        return clinic.billing.run(DAY, DAY, **filters), clinic.billing.batches()


def sheet_rows(out: Path, sheet: str) -> list[dict]:
    ws = openpyxl.load_workbook(out)[sheet]
    rows = []
    for values in ws.iter_rows(min_row=6, max_col=len(LINE_HEADERS), values_only=True):
        if values[0] in (None, "Total"):
            break
        rows.append(dict(zip(LINE_HEADERS, values, strict=True)))
    return rows


def test_biller_exports_a_day_to_the_default_file_and_the_batch_is_recorded(billing_clinic_file, tmp_path, monkeypatch,
                                                                            capsys):
    """`iopdesk export billing --from D --to D` writes billing_D_D.xlsx here, matching the record, and records a batch."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    before, _ = billing_state(billing_clinic_file)
    assert before.lines and before.holds
    assert main(["billing", *RANGE, "--db", str(billing_clinic_file), "--user", "biller"]) == 0
    out = capsys.readouterr().out
    expected = work / DEFAULT_NAME
    charge = sum(x.charge_cents for x in before.lines)
    assert out.count("\n") == 1 and out.startswith(f"Exported {len(before.lines)} line")
    assert f"({len(before.holds)} hold" in out and f"${charge // 100:,}.{charge % 100:02d}" in out and str(expected) in out
    assert [p.name for p in work.iterdir()] == [DEFAULT_NAME]
    wb = openpyxl.load_workbook(expected)
    assert "Holds" in wb.sheetnames and wb.properties.creator == before.clinic_name
    written = [row for sheet in wb.sheetnames[1:-1] for row in sheet_rows(expected, sheet)]
    assert [r["Line ID"] for r in written] == [x.line_id for x in before.lines]
    assert [(r["Client ID (MRN)"], r["Code"], r["Rendering NPI"]) for r in written] == \
        [(x.mrn, x.code, x.rendering_npi) for x in before.lines]
    after, batches = billing_state(billing_clinic_file)
    assert len(batches) == 1 and batches[0].line_count == len(before.lines) and out.rstrip().endswith(
        f"batch {batches[0].id}.")
    assert all(x.export_batch == batches[0].id for x in after.lines)


def test_an_earlier_workbook_is_replaced_only_with_force(billing_clinic_file, tmp_path, capsys):
    """--out naming a workbook that exists (last week's claims): exit 2 naming it and --force, the
    file untouched and no batch recorded; with --force the new workbook replaces it."""
    out = tmp_path / "claims.xlsx"
    out.write_bytes(b"last week's workbook")
    argv = ["billing", *RANGE, "--out", str(out), "--db", str(billing_clinic_file), "--user", "biller"]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and f"{out} already exists" in err and "--force" in err
    assert out.read_bytes() == b"last week's workbook" and billing_state(billing_clinic_file)[1] == []
    assert main([*argv, "--force"]) == 0
    assert "Summary" in openpyxl.load_workbook(out).sheetnames and len(billing_state(billing_clinic_file)[1]) == 1


def test_new_only_after_an_export_writes_no_lines_again(billing_clinic_file, tmp_path, capsys):
    """Exported once, the same range with --new-only has no lines; the holds are still listed."""
    first, second = tmp_path / "first.xlsx", tmp_path / "second.xlsx"
    assert main(["billing", *RANGE, "--out", str(first), "--db", str(billing_clinic_file), "--user", "biller"]) == 0
    assert main(["billing", *RANGE, "--new-only", "--out", str(second), "--db", str(billing_clinic_file),
                 "--user", "biller"]) == 0
    assert capsys.readouterr().out.splitlines()[1].startswith("Exported 0 lines (1 hold), total charge $0.00")
    wb = openpyxl.load_workbook(second)
    assert wb.sheetnames == ["Summary", "Holds"] and wb["Holds"]["C6"].value == "Okafor, Ben"
    _, batches = billing_state(billing_clinic_file)
    assert [b.line_count for b in batches] == [0, batches[1].line_count] and batches[1].line_count >= 1


def test_payer_filter_names_the_file_and_keeps_only_that_payer(billing_clinic_file, tmp_path, monkeypatch, capsys):
    """--payer MCR --site MAIN: the default name carries the codes, the workbook one payer sheet."""
    monkeypatch.chdir(tmp_path)
    assert main(["billing", *RANGE, "--payer", "mcr", "--site", "MAIN", "--db", str(billing_clinic_file),
                 "--user", "biller"]) == 0
    out = tmp_path / DEFAULT_NAME.replace(".xlsx", "_MAIN_MCR.xlsx")
    assert out.exists() and str(out) in capsys.readouterr().out
    wb = openpyxl.load_workbook(out)
    assert len(wb.sheetnames) == 3 and "(MCR)" in wb[wb.sheetnames[1]]["A1"].value
    assert wb["Holds"].max_row <= 6 and wb["Holds"]["C6"].value is None  # Ben's hold is Medicaid


@pytest.mark.parametrize("argv, message", [
    (["--from", "2026-13-01", "--to", "2026-05-31"], "From"),
    ([*RANGE, "--payer", "NOPE"], "no payer with code 'NOPE'"),
    ([*RANGE, "--site", "NOPE"], "no site with code 'NOPE'"),
    ([*RANGE, "--out", "{tmp}/billing.csv"], "should end in .xlsx"),
    ([*RANGE, "--out", "/no/such/folder/billing.xlsx"], "no folder /no/such/folder"),
    (["--from", DAY.isoformat(), "--to", "2020-01-01"], "ends before it starts"),
])
def test_a_wrong_request_gives_one_line_exit_2_and_no_file(billing_clinic_file, tmp_path, monkeypatch, capsys, argv,
                                                            message):
    """A bad date, an unknown payer or site, or an impossible --out: one line saying so, exit 2, nothing written."""
    monkeypatch.chdir(tmp_path)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main(["billing", *argv, "--db", str(billing_clinic_file), "--user", "biller"]) == 2
    err = capsys.readouterr().err
    assert message.lower() in err.lower() and err.count("\n") == 1 and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.sqlite"]
    assert billing_state(billing_clinic_file)[1] == []


def test_a_clinician_may_not_export_billing(billing_clinic_file, tmp_path, capsys):
    """Without billing.export the command refuses in one line before anything is written or recorded."""
    out = tmp_path / "billing.xlsx"
    assert main(["billing", *RANGE, "--out", str(out), "--db", str(billing_clinic_file), "--user", "clinician"]) == 2
    assert "not allowed" in capsys.readouterr().err
    assert not out.exists() and [p.name for p in tmp_path.iterdir()] == ["clinic.sqlite"]
    assert billing_state(billing_clinic_file)[1] == []


def test_a_wrong_password_is_refused_in_one_line(billing_clinic_file, monkeypatch, capsys):
    """The password comes from IOPDESK_PASSWORD; a wrong one is refused without a traceback."""
    monkeypatch.setenv("IOPDESK_PASSWORD", "not the password")
    assert main(["billing", *RANGE, "--db", str(billing_clinic_file), "--user", "biller"]) == 2
    assert "Wrong user name or password" in capsys.readouterr().err


def test_the_export_command_runs_through_the_launcher_without_qt(billing_clinic_file, tmp_path):
    """`iopdesk export billing` in a fresh interpreter writes the workbook and loads no PySide6."""
    out = tmp_path / "billing.xlsx"
    code = (
        "import sys\n"
        "from ui.launcher import main\n"
        f"status = main(['export', 'billing', *{RANGE!r}, '--out', {str(out)!r}, '--db', {str(billing_clinic_file)!r},"
        " '--user', 'biller'])\n"
        "loaded = sorted(n for n in sys.modules if n.split('.')[0] in ('PySide6', 'shiboken6'))\n"
        "print(loaded)\n"
        "sys.exit(status or (1 if loaded else 0))\n"
    )
    env = {**os.environ, "IOPDESK_PASSWORD": ADMIN_PASSWORD}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, env=env,
                            timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines()[-1] == "[]" and result.stdout.startswith("Exported ")
    assert openpyxl.load_workbook(out).sheetnames[0] == "Summary"
