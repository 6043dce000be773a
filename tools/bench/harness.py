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
# Outside the clone, so a fresh clone on this machine reuses the clinics built before (they are
# deterministic per size and seed); $IOPDESK_BENCH_CACHE moves it.
CACHE = Path(os.environ.get("IOPDESK_BENCH_CACHE") or Path.home() / ".cache" / "iopdesk" / "bench")


@dataclass(frozen=True)
class Figure:
    name: str
    samples: tuple[float, ...]
    target: float | None
    unit: str = "ms"
    note: str = ""
    floor: float | None = None  # median of the same work done with raw sqlite3 SQL, same unit as samples

    @property
    def ratio(self) -> float | None:
        """How many times the floor (the physical-limit anchor) this figure's median is."""
        return self.median / self.floor if self.floor else None

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

    CACHE.mkdir(parents=True, exist_ok=True)
    path = CACHE / f"scale-{clients}c-{weeks}w-seed{seed}.sqlite"
    if path.exists():
        _upgrade_once(path)
        return path
    partial = path.with_suffix(".partial")
    for leftover in CACHE.glob(partial.name + "*"):
        leftover.unlink()
    print(f"bench: generating the scale clinic ({clients:,} clients, {weeks} weeks); cached for next time",
          file=sys.stderr)
    began = time.perf_counter()
    with iopdesk.open_clinic(str(partial)) as clinic:
        generate(clinic, clients=clients, weeks=weeks, seed=seed, as_of=dt.date(2026, 11, 20),
                 progress=lambda text: print(text, file=sys.stderr), workers=os.cpu_count() or 1)
        clinic.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    os.replace(partial, path)
    print(f"bench: scale clinic ready in {time.perf_counter() - began:.0f} s", file=sys.stderr)
    return path


def _upgrade_once(path: Path) -> None:
    """Bring a cached clinic built by an older schema up to date once, in the cache, so no
    benchmark times (or repeats) a migration."""
    import iopdesk
    from iopdesk.storage.schema import schema_status

    with iopdesk.open_clinic(str(path), create=False) as clinic:  # upgrades when behind
        status = schema_status(clinic.db)
        clinic.db.execute_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    assert not status.pending, f"bench: {path} did not upgrade"


def working_copy(source: Path, folder: Path) -> Path:
    """A copy of a cached clinic for benchmarks that write."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / source.name
    shutil.copyfile(source, target)
    return target


def report(figures: Iterable[Figure]) -> int:
    """Print the table; return the exit status (1 when a target is missed)."""
    figures = list(figures)
    for line in table_lines(figures):
        print(line)
    missed = [f.name for f in figures if not f.ok]
    if missed:
        print("missed targets: " + ", ".join(missed))
        return 1
    return 0


def _cells(f: Figure) -> tuple[str, ...]:
    scale = 1000.0 if f.unit == "ms" else 1.0  # ms figures hold seconds; others are in their unit
    target = f"{f.target * scale:.1f}" if f.target is not None else "-"
    floor = f"{f.floor * scale:.2f}" if f.floor else "-"
    ratio = f"{f.ratio:.1f}x" if f.ratio else "-"
    return (f.name, f.unit, f"{f.median * scale:.2f}", f"{f.p95 * scale:.2f}", target, floor, ratio,
            "ok" if f.ok else "MISSED", f.note)


HEADER = ("benchmark", "unit", "median", "p95", "target", "floor", "x floor", "result", "note")


def table_lines(figures: list[Figure]) -> list[str]:
    """The table `make bench` prints (a Markdown table, so docs/BENCHMARKS.md holds the same text)."""
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "|".join(["---"] + ["--:"] * 6 + ["---", "---"]) + "|"]
    for f in figures:
        lines.append("| " + " | ".join(cell.replace("|", "/") for cell in _cells(f)) + " |")
    return lines


def recorded_statements(db, call: Callable[[], object]) -> list[tuple[str, tuple]]:
    """Every SQL statement (with its parameters) that `call` makes peewee run on `db`, from any
    thread: what a raw-sqlite3 floor replays."""
    seen: list[tuple[str, tuple]] = []
    original = db.execute_sql

    def recording(sql, params=None, *args, **kwargs):
        seen.append((sql, tuple(params or ())))
        return original(sql, params, *args, **kwargs)

    db.execute_sql = recording
    try:
        call()
    finally:
        del db.execute_sql
    return seen


def raw_read_floor(path: Path, statements: list[tuple[str, tuple]], repeat: int = 20) -> float:
    """Median seconds to run the reads among `statements` with Python's sqlite3 on `path` and
    fetch every row: the same queries without peewee, services or widgets (writes are left out)."""
    import sqlite3

    reads = [(sql, params) for sql, params in statements if sql.lstrip()[:6].upper() in ("SELECT", "WITH R")]
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        def replay() -> None:
            for sql, params in reads:
                connection.execute(sql, params).fetchall()
        return statistics.median(time_calls(replay, repeat))
    finally:
        connection.close()


def plan_note(path: Path, statements: list[tuple[str, tuple]]) -> str:
    """What a figure's note says about the query plans of the reads it timed."""
    scans = large_table_scans(path, statements)
    if not scans:
        return "no read scans a table of 10,000+ rows"
    return "SCANS: " + "; ".join(scans)


def large_table_scans(path: Path, statements: list[tuple[str, tuple]], min_rows: int = 10_000) -> list[str]:
    """The reads among `statements` whose SQLite query plan reads a whole table of at least
    `min_rows` rows (what an index should have spared), as "table: start of the SQL"."""
    import re
    import sqlite3

    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        sizes: dict[str, int] = {}
        found: dict[str, str] = {}
        for sql, params in statements:
            if sql.lstrip()[:6].upper() not in ("SELECT", "WITH R") or "WHERE (0 = 1)" in sql:
                continue  # a read over an empty id list reads nothing whatever its plan says
            for *_ids, detail in connection.execute("EXPLAIN QUERY PLAN " + sql, params):
                match = re.match(r"SCAN (\w+)", detail)
                if match is None:
                    continue
                alias = match.group(1)
                table = re.search(rf'"(\w+)" AS "{alias}"', sql)
                table = table.group(1) if table else alias
                if table not in sizes:
                    exists = connection.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?",
                                                (table,)).fetchone()
                    sizes[table] = connection.execute(f'SELECT COUNT(*) FROM "{table}"').fetchone()[0] if exists else 0
                if sizes[table] >= min_rows:
                    found.setdefault(f"{table}: {' '.join(sql.split())[:120]}", "")
        return list(found)
    finally:
        connection.close()


def machine_lines(scale: Path, seconds: float) -> list[str]:
    """What the figures were measured on: printed above the table and kept with it in the docs."""
    import platform
    import sqlite3

    cpu = next((line.split(":", 1)[1].strip() for line in _read("/proc/cpuinfo").splitlines()
                if line.startswith("model name")), platform.processor() or "unknown CPU")
    memory = next((int(line.split()[1]) // 1024 for line in _read("/proc/meminfo").splitlines()
                   if line.startswith("MemTotal")), 0)
    with sqlite3.connect(f"file:{scale}?mode=ro", uri=True) as conn:
        counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                  for t in ("client", "episode", "attendance", "note", "group_session")}
    return [
        f"machine: {cpu}, {os.cpu_count()} CPUs, {memory:,} MB RAM; {platform.system()} {platform.release()}",
        f"software: Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}",
        f"scale clinic: {scale.name} ({scale.stat().st_size / 1e9:.1f} GB): "
        + ", ".join(f"{n:,} {t.replace('_', ' ')}s" for t, n in counts.items()),
        f"whole run: {seconds / 60:.1f} min",
    ]


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""
