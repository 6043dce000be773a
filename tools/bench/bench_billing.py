"""Billing export speed and memory: a month of the scale clinic through `clinic.billing.run` and the
workbook writer, and 30,000 synthetic claim lines (500 clients, a month of daily services) through
the writer alone, compared with xlsxwriter's constant-memory mode writing the same rows (the
fastest Python writer: our floor).

Peak memory is measured in a fresh interpreter: its peak resident set (/proc VmHWM; ru_maxrss would
carry the bench's own peak over the child's fork and exec) after the export minus the resident set
(/proc VmRSS) just before it, so imports and earlier benchmarks do not count;
tracemalloc is not used because it slows openpyxl's per-cell work several times over. Progress is
exercised: every timed write passes a callback and the figures' notes say how often it was called.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tools.bench.harness import ROOT, Figure, scale_clinic, working_copy

LINES = 30_000
CLIENTS = 500
EXPORT_TARGET_S = 8.0
MEMORY_TARGET_MB = 200.0
MONTH = (dt.date(2026, 10, 1), dt.date(2026, 10, 31))  # the scale clinic's last full month (as of 2026-11-20)
DEMO_PASSWORD = "demo-pass-2026"
CODES = (("H0015", ("HQ",), 180, 1, 21000), ("90853", ("HQ",), 60, 1, 4500), ("90834", (), 45, 1, 11000),
         ("90837", (), 60, 1, 14500), ("90847", ("HR",), 50, 1, 12000), ("99213", (), 20, 1, 9500))
PAYERS = (("MCD", "Cascadia Health Plan"), ("MCR", "Medicare Part B"), ("BHH", "Blue Heron Health"),
          ("SMH", "Summit Mutual Health"), ("SELF", "Self-pay"))


def synthetic_run(lines: int = LINES, clients: int = CLIENTS):
    """A month of claim lines for `clients` clients, sorted as the service sorts them."""
    from iopdesk.services.billing.views import BillingHold, BillingLine, BillingRun

    out = []
    for i in range(lines):
        client = i % clients
        code, modifiers, minutes, units, cents = CODES[(i // clients) % len(CODES)]
        payer_code, payer_name = PAYERS[client % len(PAYERS)]
        supervised = client % 7 == 0
        out.append(BillingLine(
            line_id=f"{i:032x}", client_id=f"{client:032x}", mrn=f"MAIN-{client:06d}",
            client_name=f"Surname{client}, Given{client}", dob=dt.date(1970 + client % 40, 1 + client % 12, 1 + client % 28),
            payer_code=payer_code, payer_name=payer_name, member_id=f"M{client:09d}",
            authorization=f"AUTH-{client:05d}" if payer_code == "MCD" else "", service_date=MONTH[0] + dt.timedelta(days=i % 31),
            place_of_service="57", code=code, modifiers=modifiers, units=units, minutes=minutes,
            diagnoses=("F11.20", "F41.1"), diagnosis_pointer="AB", rendering_name=f"Clinician {client % 12}",
            rendering_npi=f"1{client % 12:09d}", supervising_name="Sam Supervisor" if supervised else "",
            supervising_npi="1992753880" if supervised else "", charge_cents=cents, source="group attendance",
            note_id=f"{i + 7:032x}", note_status="co-signed" if supervised else "signed",
            site_code="MAIN" if client % 4 else "EAST", export_batch="", changed_since_export=False))
    out.sort(key=lambda x: (x.payer_code, x.mrn, x.service_date, x.code, x.line_id))
    holds = [BillingHold(f"{c:032x}", f"MAIN-{c:06d}", f"Surname{c}, Given{c}", "MCD", "MAIN", MONTH[0],
                         "90834 individual session, 45 min", "Clinician 1", "note unsigned",
                         "Clinician signs the note", f"{c:032x}") for c in range(0, clients, 3)]
    return BillingRun("Harbor Recovery IOP", *MONTH, None, None, False, dt.datetime(2026, 11, 1, tzinfo=dt.UTC),
                      tuple(out), tuple(holds))


def write_with_xlsxwriter(run, path: Path) -> None:
    """The same payer-sheet rows and cell types through xlsxwriter's constant-memory mode."""
    import xlsxwriter

    from reports.billing_sheets import DATE, INT, LINE_COLUMNS, MONEY

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False})
    formats = {DATE: wb.add_format({"num_format": "mm/dd/yyyy"}), MONEY: wb.add_format({"num_format": '"$"#,##0.00'})}
    sheets: dict[str, object] = {}
    rows: dict[str, int] = {}
    for line in run.lines:
        ws = sheets.get(line.payer_code)
        if ws is None:
            ws = sheets[line.payer_code] = wb.add_worksheet(line.payer_code)
            ws.write_row(4, 0, [c.header for c in LINE_COLUMNS])
            rows[line.payer_code] = 5
        r = rows[line.payer_code]
        for c, column in enumerate(LINE_COLUMNS):
            value = column.value(line)
            if column.kind == DATE:
                ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()), formats[DATE])
            elif column.kind == MONEY:
                ws.write_number(r, c, float(value), formats[MONEY])
            elif column.kind == INT:
                ws.write_number(r, c, value)
            elif value:
                ws.write_string(r, c, value)
        rows[line.payer_code] = r + 1
    wb.close()


def _timed(call, repeat: int) -> tuple[float, ...]:
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return tuple(samples)


_CHILD = """
import json, sys, time
sys.path.insert(0, {root!r})
mode, target, out = sys.argv[1], sys.argv[2], sys.argv[3]
from reports.billing_xlsx import write_billing_workbook
from tools.bench.bench_billing import MONTH, DEMO_PASSWORD, synthetic_run

def rss_mb(field="VmRSS:"):  # the current resident set, or with "VmHWM:" its peak, from /proc
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith(field)) / 1024

if mode == "clinic":
    import iopdesk
    clinic = iopdesk.open_clinic(target)
    clinic.login("biller", DEMO_PASSWORD)
    make = lambda: clinic.billing.run(*MONTH)
else:
    make = synthetic_run
base = rss_mb()
began = time.perf_counter()
run = make()
before_write = rss_mb()
summary = write_billing_workbook(run, out, progress=lambda done, total: True)
seconds = time.perf_counter() - began
peak = rss_mb("VmHWM:")
print(json.dumps({{"growth_mb": peak - base, "writer_mb": max(0.0, peak - before_write), "peak_mb": peak,
                  "seconds": seconds, "lines": summary.lines}}))
"""


def _fresh_process(mode: str, target: str, out: Path) -> dict:
    """One export in a fresh interpreter: peak RSS minus the resident set before the run was made
    (growth_mb), and minus the resident set once the run existed (writer_mb)."""
    result = subprocess.run([sys.executable, "-c", _CHILD.format(root=str(ROOT)), mode, target, str(out)],
                            capture_output=True, text=True, timeout=600, cwd=ROOT)
    if result.returncode != 0:
        raise RuntimeError(f"bench_billing child failed: {result.stderr.strip()[-400:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _synthetic_figures(work_dir: Path, repeat: int) -> list[Figure]:
    from reports.billing_xlsx import write_billing_workbook

    run = synthetic_run()
    calls: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> bool:
        calls.append((done, total))
        return True

    ours = _timed(lambda: write_billing_workbook(run, work_dir / "openpyxl.xlsx", progress=progress), repeat)
    floor = _timed(lambda: write_with_xlsxwriter(run, work_dir / "xlsxwriter.xlsx"), repeat)
    ratio = min(ours) / min(floor)
    memory = _fresh_process("synthetic", "", work_dir / "memory.xlsx")
    size_mb = (work_dir / "openpyxl.xlsx").stat().st_size / 1e6
    return [
        Figure(f"billing workbook, {LINES:,} synthetic lines, {CLIENTS} clients: openpyxl write-only", ours,
               EXPORT_TARGET_S, unit="s", floor=statistics.median(floor),
               note=f"{size_mb:.1f} MB file; progress called {len(calls) // repeat}x per export, last {calls[-1]}"),
        Figure(f"same {LINES:,} rows with xlsxwriter constant_memory (the floor)", floor, None, unit="s",
               note=f"openpyxl / xlsxwriter = {ratio:.2f}x (best of {repeat})"),
        Figure(f"billing workbook, {LINES:,} lines: peak RSS growth (fresh process)",
               (memory["growth_mb"],), MEMORY_TARGET_MB, unit="MB",
               note=f"run data included; the writer alone {memory['writer_mb']:.0f} MB; peak RSS "
                    f"{memory['peak_mb']:.0f} MB"),
    ]


def _clinic_figures(clinic_path: Path, work_dir: Path, repeat: int) -> list[Figure]:
    import iopdesk
    from reports.billing_xlsx import write_billing_workbook

    copy = clinic_path  # a working copy: the billing run stores the month's lines
    clinic = iopdesk.open_clinic(str(copy))
    clinic.login("biller", DEMO_PASSWORD)
    clinic.billing.run(*MONTH)  # the first run stores the month's lines; an export usually follows a preview
    calls: list[tuple[int, int]] = []
    last: dict = {}

    def export() -> None:
        run = clinic.billing.run(*MONTH)
        last["summary"] = write_billing_workbook(run, work_dir / "month.xlsx",
                                                 progress=lambda done, total: calls.append((done, total)) or True)

    samples = _timed(export, repeat)
    clinic.close()
    summary = last["summary"]
    memory = _fresh_process("clinic", str(copy), work_dir / "month-memory.xlsx")
    name = f"billing export, a month of {clinic_path.stem} ({summary.lines:,} lines, {summary.holds:,} holds)"
    return [
        Figure(name + ": clinic.billing.run + write", samples, EXPORT_TARGET_S, unit="s",
               note=f"progress called {len(calls) // repeat}x per export"),
        Figure("that export: peak RSS growth (fresh process)", (memory["growth_mb"],), MEMORY_TARGET_MB,
               unit="MB", note=f"billing.run included; the writer alone {memory['writer_mb']:.0f} MB; peak RSS "
                              f"{memory['peak_mb']:.0f} MB; {memory['seconds']:.1f} s"),
    ]


def run(work_dir: Path, clinic_path: Path | None = None, repeat: int = 3) -> list[Figure]:
    """The billing figures; `clinic_path` is a working copy of a clinic, by default a copy of the cached
    scale clinic (10,000 clients, five years) made here."""
    work_dir.mkdir(parents=True, exist_ok=True)
    figures = _synthetic_figures(work_dir, repeat)
    if os.environ.get("IOPDESK_BENCH_BILLING_SYNTHETIC_ONLY") != "1":
        clinic_path = clinic_path or working_copy(scale_clinic(), work_dir / "clinic")
        figures += _clinic_figures(clinic_path, work_dir, repeat)
    return figures


if __name__ == "__main__":  # python -m tools.bench.bench_billing: this group alone
    import tempfile

    from tools.bench.harness import report

    with tempfile.TemporaryDirectory(prefix="iopdesk-bench-billing-") as tmp:
        sys.exit(report(run(Path(tmp))))
