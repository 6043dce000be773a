"""`python -m tests.bench`: build or reuse the scale clinic, run every benchmark, print the table.

Exits 1 when a median misses its target. `IOPDESK_BENCH_CLIENTS`/`IOPDESK_BENCH_WEEKS` shrink the
clinic for a quick look (the targets are meant for the full 10,000 clients and five years);
`IOPDESK_BENCH_ONLY=pdf` (or `ui`, `billing`, `sync`) runs one group. PDFs are timed on the demo-sized clinic.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from . import bench_billing, bench_pdf, bench_sync, bench_ui
from .harness import report, scale_clinic

DEMO = (120, 26)  # the clinic `make run` opens: 120 clients, 26 weeks


def main() -> int:
    clients = int(os.environ.get("IOPDESK_BENCH_CLIENTS", 10_000))
    weeks = int(os.environ.get("IOPDESK_BENCH_WEEKS", 260))
    only = set(filter(None, os.environ.get("IOPDESK_BENCH_ONLY", "ui,pdf,billing,sync").split(",")))
    figures = []
    with tempfile.TemporaryDirectory(prefix="iopdesk-bench-") as tmp:
        if "ui" in only:
            figures += bench_ui.run(scale_clinic(clients, weeks), Path(tmp) / "ui")
        if "pdf" in only:
            figures += bench_pdf.run(scale_clinic(*DEMO, seed=1), Path(tmp) / "pdf")
        if "billing" in only:
            figures += bench_billing.run(Path(tmp) / "billing")
        if "sync" in only:
            figures += bench_sync.run(scale_clinic(*DEMO, seed=1), Path(tmp) / "sync")
    return report(figures)


if __name__ == "__main__":
    sys.exit(main())
