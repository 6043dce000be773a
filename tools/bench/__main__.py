"""`python -m tools.bench` (`make bench`): build or reuse the scale clinic, run every benchmark, print the table.

Exits 1 when a median misses its target. `IOPDESK_BENCH_CLIENTS`/`IOPDESK_BENCH_WEEKS` shrink the
clinic for a quick look (the targets are meant for the full 10,000 clients and five years);
`IOPDESK_BENCH_ONLY=ui,startup` (groups: ui, startup, clinical, pdf, billing, sync, postgres) runs
some groups. A full run at full size also writes its table into docs/BENCHMARKS.md, so the figures
there are the ones printed here. Every group that writes works on one working copy of the scale
clinic made for this run; the cached clinic is never written.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import time
from pathlib import Path

from tools.bench.harness import (
    ROOT,
    Figure,
    machine_lines,
    report,
    scale_clinic,
    table_lines,
    working_copy,
)

DEMO = (120, 26)  # the clinic `make run` opens: 120 clients, 26 weeks
GROUPS = ("ui", "startup", "clinical", "pdf", "billing", "sync", "postgres")
DOCS = ROOT / "docs" / "BENCHMARKS.md"
BEGIN, END = "<!-- bench:begin -->", "<!-- bench:end -->"


def main() -> int:
    began = time.perf_counter()
    clients = int(os.environ.get("IOPDESK_BENCH_CLIENTS", 10_000))
    weeks = int(os.environ.get("IOPDESK_BENCH_WEEKS", 260))
    chosen = os.environ.get("IOPDESK_BENCH_ONLY", "")
    only = set(filter(None, chosen.split(","))) or set(GROUPS)
    figures: list[Figure] = []

    def group(name: str):
        return importlib.import_module(f"{__package__}.bench_{name}")

    with tempfile.TemporaryDirectory(prefix="iopdesk-bench-") as tmp:
        work = Path(tmp)
        scale = scale_clinic(clients, weeks)
        copy = working_copy(scale, work / "scale") if only & {"ui", "pdf", "billing"} else None
        if "ui" in only:
            figures += group("ui").run(copy, work / "ui")
        # before "clinical", which pins the clinic clock to the scale clinic's day
        if "postgres" in only:
            if group("postgres").available() is None:
                print("PostgreSQL: no server available (set IOPDESK_BENCH_PG or install PostgreSQL), skipped")
            else:
                figures += group("postgres").run(work / "postgres")
        if "startup" in only:
            figures += group("startup").run(scale, work / "clinic")  # shares its copy with "clinical"
        if "clinical" in only:
            figures += group("clinical").run(scale, work / "clinic")
        if "pdf" in only:
            figures += group("pdf").run(copy, work / "pdf")
        if "billing" in only:
            figures += group("billing").run(work / "billing", copy)
        if "sync" in only:
            figures += group("sync").run(scale_clinic(*DEMO, seed=1), work / "sync")
    seconds = time.perf_counter() - began
    machine = machine_lines(scale, seconds)
    for line in machine:
        print(line)
    status = report(figures)
    if not chosen and (clients, weeks) == (10_000, 260):
        write_docs(machine, table_lines(figures))
        print(f"bench: table written to {DOCS.relative_to(ROOT)}")
    return status


def write_docs(machine: list[str], table: list[str]) -> None:
    """Replace the table between the markers in docs/BENCHMARKS.md with this run's."""
    text = DOCS.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    block = "\n".join([BEGIN, "", *[f"    {line}" for line in machine], "", *table, "", END])
    DOCS.write_text(head + block + tail, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
