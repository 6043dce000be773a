"""Synthetic demo and scale data for IOP Desk: `generate(clinic, …)` fills an empty clinic with
invented clients, staff, groups and years of plausible records, the same for the same seed.

Used by `iopdesk demo` (the CLI), by the app's first run and by tests that need a populated
clinic. No real person appears: names come from built-in lists and phone numbers from the
fictional 555-01xx range.
"""

from iopdesk.demo.generator import generate
from iopdesk.demo.report import DemoReport

__all__ = ["DemoReport", "generate"]
