"""`python -m tests.bench`: build or reuse the scale clinic, run every benchmark, print the table.

Exits 1 when a median misses its target. `IOPDESK_BENCH_CLIENTS`/`IOPDESK_BENCH_WEEKS` shrink the
clinic for a quick look (the targets are meant for the full 10,000 clients and five years).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from . import bench_ui
from .harness import report, scale_clinic


def main() -> int:
    clients = int(os.environ.get("IOPDESK_BENCH_CLIENTS", 10_000))
    weeks = int(os.environ.get("IOPDESK_BENCH_WEEKS", 260))
    scale = scale_clinic(clients, weeks)
    with tempfile.TemporaryDirectory(prefix="iopdesk-bench-") as tmp:
        figures = bench_ui.run(scale, Path(tmp))
    return report(figures)


if __name__ == "__main__":
    sys.exit(main())
