"""The billing workbook opened by LibreOffice headless: it converts without error, the Summary's
formulas evaluate to the run's totals, and text that looks like a formula is shown as the literal
text (LibreOffice does not evaluate it).

Needs `soffice` (Debian: `apt-get install -y libreoffice-calc-nogui`); skipped with that reason when
it is absent. Each conversion uses its own LibreOffice profile under tmp_path, so parallel runs do
not collide on a shared profile lock.
"""

from __future__ import annotations

import csv
import shutil
import subprocess

import pytest

from reports.billing_xlsx import write_billing_workbook
from tests.reports.test_billing_xlsx import INJECTIONS, billing_run, claim_line, hold

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (apt-get install -y "
                                               "libreoffice-calc-nogui provides soffice)"),
    pytest.mark.slow,
]
# comma, double quote, UTF-8, from row 1, default formats, en-US, ..., raw values, every sheet to its own file
ALL_SHEETS_CSV = "csv:Text - txt - csv (StarCalc):44,34,76,1,,1033,false,true,false,false,false,-1"


def convert(workbook, tmp_path) -> dict[str, list[list[str]]]:
    """Every sheet of `workbook` as LibreOffice computes and shows it, keyed by sheet name."""
    out = tmp_path / "csv"
    out.mkdir()
    result = subprocess.run(
        [SOFFICE, "--headless", "--norestore", f"-env:UserInstallation={(tmp_path / 'lo-profile').as_uri()}",
         "--convert-to", ALL_SHEETS_CSV, "--outdir", str(out), str(workbook)],
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Error" not in result.stderr, result.stderr
    sheets = {}
    for path in out.glob("*.csv"):
        with path.open(newline="", encoding="utf-8") as f:
            sheets[path.stem.removeprefix(workbook.stem + "-")] = list(csv.reader(f))
    return sheets


def test_libreoffice_opens_the_workbook_and_evaluates_the_summary_totals(tmp_path):
    """Converted headless, every sheet comes out and the Summary totals equal the run's lines, units and charge."""
    run = billing_run([claim_line(i) for i in range(60)])
    workbook = tmp_path / "billing.xlsx"
    summary = write_billing_workbook(run, workbook)
    sheets = convert(workbook, tmp_path)
    assert set(sheets) == set(summary.sheet_names)
    rows = sheets["Summary"]
    payer_block = rows.index(["Payer code", "Payer", "Lines", "Units", "Charge"])
    for offset, payer in enumerate(summary.payers, 1):
        code, _, lines, units, charge = rows[payer_block + offset]
        mine = [line for line in run.lines if line.payer_code == payer.payer_code]
        assert (code, int(lines), int(units)) == (payer.payer_code, len(mine), sum(x.units for x in mine))
        assert round(float(charge) * 100) == payer.charge_cents
    totals = [row for row in rows if row[0] == "Total"]
    for total in totals[:4]:  # payer, code, provider, site: each block adds up to the whole run
        assert int(total[2]) == summary.lines and int(total[3]) == summary.units
        assert round(float(total[4]) * 100) == summary.charge_cents
    assert int(totals[4][2]) == summary.holds
    medicaid = sheets["Medicaid"]
    total_row = next(row for row in medicaid if row[0] == "Total")
    assert round(float(total_row[20]) * 100) == sum(x.charge_cents for x in run.lines if x.payer_code == "MCD")


def test_libreoffice_shows_formula_looking_names_as_plain_text(tmp_path):
    """Names, note ids and hold reasons such as =1+1 or =HYPERLINK(...) come out as typed, not computed."""
    lines = [claim_line(i, client_name=typed, note_id=typed) for i, typed in enumerate(INJECTIONS)]
    holds = [hold(i, client_name=typed, reason=typed) for i, typed in enumerate(INJECTIONS)]
    workbook = tmp_path / "billing.xlsx"
    summary = write_billing_workbook(billing_run(lines, holds), workbook)
    sheets = convert(workbook, tmp_path)
    shown = {(row[1], row[23]) for name in summary.sheet_names[1:-1] for row in sheets[name][5:] if row[0] != "Total"}
    assert shown == {(typed, typed) for typed in INJECTIONS}
    assert {(row[2], row[7]) for row in sheets["Holds"][5:]} == {(typed, typed) for typed in INJECTIONS}
