"""Cold start on the scale clinic, as a person launching IOP Desk experiences it, and its memory.

Each run launches a fresh interpreter (`tools.bench.startup_child`) that opens a copy of the
10,000-client clinic, signs a clinician in, builds the main window as `ui.app.run_app` does and
turns the event loop until Today shows the caseload; the time is taken here, from the launch to
the child's line saying the window is ready (interpreter start included), and the child reports
its own phases (imports, open with its integrity check, sign-in, window, first page). The floor
is an interpreter that imports sqlite3, opens the same file and runs SELECT 1. The second figure
is the peak RSS of those runs: opening the clinic must not read the file into memory, so it is
set beside an interpreter holding nothing but PySide6 and a QApplication (the floor there).
The third is the start-up audit check alone (`clinic.audit.startup_check`: this site's events
since the last check, the head's seal, and the trail against this workstation's anchor), in
process, each time after a day's worth of new events (a group session's, written untimed); its
floor reads the same rows with raw sqlite3.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from tools.bench.harness import ROOT, Figure, working_copy

START_TARGET = 1.5  # seconds, launch to an interactive main window
RSS_TARGET = 250.0  # MB: Qt and the app's code (~150 MB) plus headroom; the file is ~2 GB
RUNS = 5
AUDIT_CHECK_TARGET = 0.100  # seconds: start-up audit check, newest events and the anchor
AUDIT_CHECK_RUNS = 15
NEW_EVENTS = 40  # about one group session's save (15 attendees) and a few reads
USER = "clinician3"  # ten open episodes and two group sessions on the scale clinic's last day
AS_OF = "2026-11-20"  # the day the scale clinic is generated as of
FLOOR_CODE = ("import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); c.execute('SELECT 1').fetchone(); "
              "print('{}', flush=True)")


def _env() -> dict[str, str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    env.pop("PYTHONDONTWRITEBYTECODE", None)  # an installed app runs from cached bytecode
    return env


def launch(args: list[str]) -> tuple[float, dict]:
    """Seconds from spawning `python args…` to its first stdout line, and that line as JSON."""
    began = time.perf_counter()
    child = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=_env(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    elapsed = time.perf_counter() - began
    _, errors = child.communicate(timeout=120)
    if child.returncode != 0 or not line.strip():
        raise RuntimeError(f"bench: {' '.join(args[:3])} failed ({child.returncode}): {errors.strip()[-2000:]}")
    return elapsed, json.loads(line)


def clinic_copy(scale_path: Path, work_dir: Path) -> Path:
    """The writable copy of the scale clinic in `work_dir` (made once; signing in writes)."""
    target = work_dir / scale_path.name
    if not target.exists():
        working_copy(scale_path, work_dir)
        os.sync()  # the copy's write-back must not stall the first timed commits
    return target


def time_audit_check(path: Path) -> tuple[tuple[float, ...], tuple[float, ...], int]:
    """Samples of the start-up audit check after NEW_EVENTS new events each, the raw-SQL floor's
    samples, and the trail's length."""
    import sqlite3

    import iopdesk
    from iopdesk.audit import chain
    from iopdesk.permissions import SYSTEM

    clinic = iopdesk.open_clinic(str(path), create=False)
    try:
        assert clinic.audit.startup_check().ok, "bench: the scale clinic's trail does not verify"
        samples, floors = [], []
        for _ in range(AUDIT_CHECK_RUNS):
            with chain.batched():
                for _ in range(NEW_EVENTS):
                    chain.record(SYSTEM, "read", "clinic")
            began = time.perf_counter()
            report = clinic.audit.startup_check()
            samples.append(time.perf_counter() - began)
            assert report.ok, report.problem
        site = str(clinic.site.id).replace("-", "")
        events = clinic.db.execute_sql("SELECT count(*) FROM audit_event").fetchone()[0]
    finally:
        clinic.close()
    raw = sqlite3.connect(path)
    try:
        for _ in range(AUDIT_CHECK_RUNS):
            began = time.perf_counter()
            seq, _hash = raw.execute("SELECT seq, event_hash FROM audit_head WHERE name = 'main'").fetchone()
            raw.execute("SELECT event_hash FROM audit_event WHERE origin_site = ? AND seq = ?", (site, seq)).fetchone()
            raw.execute("SELECT * FROM audit_event WHERE origin_site = ? AND seq > ? ORDER BY seq",
                        (site, seq - NEW_EVENTS)).fetchall()
            floors.append(time.perf_counter() - began)
    finally:
        raw.close()
    return tuple(samples), tuple(floors), events


def run(scale_path: Path, work_dir: Path) -> list[Figure]:
    path = clinic_copy(scale_path, work_dir)
    app_args = ["-m", "tools.bench.startup_child", "app", str(path), USER, str(work_dir / "startup-ui.ini"), AS_OF]
    launch(app_args)  # writes bytecode, moves the audit checkpoint: what any second start finds
    runs = [launch(app_args) for _ in range(RUNS)]
    floor = statistics.median(launch(["-c", FLOOR_CODE, str(path)])[0] for _ in range(RUNS))
    bare = statistics.median(launch(["-m", "tools.bench.startup_child", "bare"])[1]["maxrss_mb"] for _ in range(3))

    def phase(name: str) -> float:
        return statistics.median(report["phases"][name] for _, report in runs)

    spawn = [elapsed for elapsed, _ in runs]
    inside = statistics.median(report["ready_s"] for _, report in runs)
    interpreter = statistics.median(elapsed - report["ready_s"] for elapsed, report in runs)
    note = (f"{USER}, {runs[0][1]['work_items']} items; interpreter {interpreter:.2f} s, then imports "
            f"{phase('imports'):.2f}, open {phase('open_clinic') - phase('qapplication'):.2f} (quick_check "
            f"{phase('quick_check_s'):.2f}), sign-in {phase('sign_in') - phase('open_clinic'):.2f}, window "
            f"{phase('main_window') - phase('sign_in'):.2f}, first page {phase('first_page') - phase('main_window'):.2f}"
            f" (in-process total {inside:.2f} s)")
    size_gb = path.stat().st_size / 1e9
    rss = tuple(report["maxrss_mb"] for _, report in runs)
    rss_note = (f"peak RSS at first page; file {size_gb:.1f} GB; floor = interpreter with PySide6 and a "
                f"QApplication ({bare:.0f} MB); app adds {statistics.median(rss) - bare:.0f} MB")
    audit_samples, audit_floor, events = time_audit_check(path)
    return [
        Figure("cold start to the main window, launch to first page (10,000 clients)", tuple(spawn), START_TARGET,
               unit="s", note=note, floor=floor),
        Figure("memory after opening the clinic (peak RSS)", rss, RSS_TARGET, unit="MB", note=rss_note, floor=bare),
        Figure(f"start-up audit check: {NEW_EVENTS} new events and the workstation's anchor", audit_samples,
               AUDIT_CHECK_TARGET,
               note=f"trail of {events:,} events; recomputes only the new ones, the head's seal and the anchor's "
                    "event; floor: the same rows read with raw sqlite3", floor=statistics.median(audit_floor)),
    ]
