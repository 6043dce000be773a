"""Printing speed on the scale clinic: a treatment plan and a discharge summary, each from the request
to the finished PDF in memory (reading the record through the services included), a batch of
500 plans, whose resident memory must not grow with the number printed, and a progress note of
500 KB of ordinary sentences (issue 19: 50 s before printing became linear in text length; such a
note is over today's limits, `iopdesk.kernel.text_limits`, but may be stored from before them).
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
LONG_NOTE_CHARS = 500_000
LONG_NOTE_TARGET_S = 5.0


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


def _long_note() -> tuple[str, str]:
    """(client, note) of a new draft copied from an individual note of the working copy, its first
    section 500 KB of numbered sentences in paragraphs, written straight into the file."""
    from iopdesk.clinical.note_formats import lookup_format
    from iopdesk.models import Note

    base = Note.select().where(Note.kind == "individual").order_by(Note.id).first()
    sentences = [f"Sentence {i}: the client described a trigger at work and the coping skill used." for i in
                 range(LONG_NOTE_CHARS // 80 + 1)]
    body = "\n".join(" ".join(sentences[i:i + 12]) for i in range(0, len(sentences), 12))[:LONG_NOTE_CHARS]
    first = lookup_format(base.note_format).sections[0].key
    note = Note.create(client=base.client_id, episode=base.episode_id, kind="individual",
                       note_format=base.note_format, service_date=base.service_date, minutes=base.minutes,
                       author=base.author_id, sections={first: body}, status="draft")
    return str(base.client_id), str(note.id)


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
    figures.append(Figure(f"progress note of {LONG_NOTE_CHARS // 1000} KB of sentences PDF",
                          _timed(clinic, "progress-note", [_long_note()], 3), LONG_NOTE_TARGET_S, unit="s"))
    clinic.close()
    return figures
