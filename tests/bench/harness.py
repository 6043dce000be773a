"""The benchmark harness: a cached scale clinic, timing with medians and p95, a table, targets.

Each benchmark is a function returning a `Figure` (what was measured, the samples in seconds, the
target); the harness prints one table and exits non-zero when any median misses its target, so
`make bench` fails loudly when the product gets slower. The scale clinic (10,000 clients, five
years) is generated once per seed into `.bench/` and copied for each run that writes.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CACHE = ROOT / ".bench"


@dataclass(frozen=True)
class Figure:
    name: str
    samples: tuple[float, ...]
    target: float | None
    unit: str = "ms"
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def p95(self) -> float:
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]

    @property
    def ok(self) -> bool:
        return self.target is None or self.median <= self.target


def time_calls(call: Callable[[], object], repeat: int, warmup: int = 2) -> tuple[float, ...]:
    """Wall-clock seconds of `repeat` calls after `warmup` unmeasured ones."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        began = time.perf_counter()
        call()
        samples.append(time.perf_counter() - began)
    return tuple(samples)


def scale_clinic(clients: int = 10_000, weeks: int = 260, seed: int = 7) -> Path:
    """The cached scale clinic file for this size and seed, generated on first use."""
    import datetime as dt

    import iopdesk
    from iopdesk.demo import generate

    CACHE.mkdir(exist_ok=True)
    path = CACHE / f"scale-{clients}c-{weeks}w-seed{seed}.sqlite"
    if path.exists():
        return path
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    print(f"bench: generating the scale clinic ({clients:,} clients, {weeks} weeks); cached for next time",
          file=sys.stderr)
    began = time.perf_counter()
    with iopdesk.open_clinic(str(partial)) as clinic:
        generate(clinic, clients=clients, weeks=weeks, seed=seed, as_of=dt.date(2026, 11, 20),
                 progress=lambda text: print(text, file=sys.stderr))
        clinic.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(partial, path)
    print(f"bench: scale clinic ready in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return path


def working_copy(source: Path, folder: Path) -> Path:
    """A copy of a cached clinic for benchmarks that write."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def report(figures: Iterable[Figure]) -> int:
    """Print the table; return the exit status (1 when a target is missed)."""
    figures = list(figures)
    print(f"{'benchmark':58} {'median':>10} {'p95':>10} {'target':>10}  result")
    for f in figures:
        scale = 1000.0 if f.unit == "ms" else 1.0  # ms figures hold seconds; others are in their unit
        target = f"{f.target * scale:.1f}" if f.target is not None else "-"
        status = "ok" if f.ok else "MISSED"
        print(f"{f.name:58} {f.median * scale:>10.2f} {f.p95 * scale:>10.2f} {target:>10}  {status} "
              f"({f.unit}){'  ' + f.note if f.note else ''}")
    missed = [f.name for f in figures if not f.ok]
    if missed:
        print("missed targets: " + ", ".join(missed))
        return 1
    return 0
