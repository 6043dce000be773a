"""Printing speed on the scale clinic: a treatment plan and a discharge summary, each from the request
to the finished PDF in memory (reading the record through the services included), and a batch of
500 plans, whose resident memory must not grow with the number printed.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

from tools.bench.harness import Figure

PLAN_TARGET = 0.150
DISCHARGE_TARGET = 0.150
BATCH = 500
BATCH_GROWTH_TARGET_MB = 20.0


def _rss_mb() -> float:
    """The resident set now (/proc VmRSS): a peak (ru_maxrss) would hide growth under an earlier
    benchmark's higher peak."""
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:")) / 1024


def _targets() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(client, plan) for every signed plan, and (client, discharge) for every signed summary."""
    from iopdesk.models import Discharge, Episode, TreatmentPlan

    plans = sorted((str(c), str(p)) for c, p in TreatmentPlan.select(TreatmentPlan.client, TreatmentPlan.id)
                   .where(TreatmentPlan.status == "signed").tuples())
    discharges = sorted((str(c), str(d)) for c, d in Discharge.select(Episode.client, Discharge.id).join(Episode)
                        .where(Discharge.status == "signed").tuples())
    return plans, discharges


def _timed(clinic, code: str, targets: list[tuple[str, str]], repeat: int) -> tuple[float, ...]:
    from reports.jobs import PrintRequest, print_document

    for client_id, target_id in targets[:2]:  # warm up fonts and caches
        print_document(clinic, code, PrintRequest(client_id, target_id), io.BytesIO())
    samples = []
    for i in range(repeat):
        request = PrintRequest(*targets[i % len(targets)])
        began = time.perf_counter()
        print_document(clinic, code, request, io.BytesIO())
        samples.append(time.perf_counter() - began)
    return tuple(samples)


def run(clinic_path: Path, work_dir: Path) -> list[Figure]:
    import iopdesk
    from reports.jobs import PrintRequest, print_document

    clinic = iopdesk.open_clinic(str(clinic_path))  # a working copy: printing is audited
    clinic.login("clinician", "demo-pass-2026")
    planned, discharged = _targets()
    figures = [
        Figure(f"treatment plan PDF ({len(planned):,} signed plans)",
               _timed(clinic, "plan", planned, 40), PLAN_TARGET),
        Figure(f"discharge summary PDF ({len(discharged):,} signed summaries)",
               _timed(clinic, "discharge", discharged, 40), DISCHARGE_TARGET),
    ]
    began = time.perf_counter()
    after_first_50 = 0.0
    for i in range(BATCH):
        print_document(clinic, "plan", PrintRequest(*planned[i % len(planned)]), io.BytesIO())
        if i == 49:
            after_first_50 = _rss_mb()
    growth = _rss_mb() - after_first_50
    seconds = time.perf_counter() - began
    figures.append(Figure(f"{BATCH} plans in a batch: resident memory growth after the first 50",
                          (growth,), BATCH_GROWTH_TARGET_MB, unit="MB",
                          note=f"{seconds:.1f} s for the batch, resident set {_rss_mb():.0f} MB at its end"))
    clinic.close()
    return figures
