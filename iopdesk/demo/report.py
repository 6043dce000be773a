"""`DemoReport`: what the demo generator wrote, how long it took, and how to sign in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

MAIN_TABLES = (
    ("client", "clients"), ("episode", "episodes"), ("staff", "staff"), ("therapy_group", "groups"),
    ("group_session", "group sessions"), ("attendance", "attendance rows"), ("note", "notes"),
    ("treatment_plan", "treatment plans"), ("drug_screen", "drug screens"),
    ("measure_result", "measure results"), ("discharge", "discharges"), ("alert", "alerts"),
)


@dataclass(frozen=True)
class DemoReport:
    """Rows written per table (table name → count) and the wall time it took."""

    clinic_name: str
    seed: int
    weeks: int
    as_of: dt.date
    counts: Mapping[str, int]
    active_episodes: int
    seconds: float
    password: str

    @property
    def total_rows(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """A short summary for the command line."""
        main = ", ".join(f"{self.counts.get(table, 0):,} {label}" for table, label in MAIN_TABLES)
        return "\n".join((
            f"Demo clinic {self.clinic_name!r}: {self.weeks} weeks up to {self.as_of:%Y-%m-%d}, "
            f"seed {self.seed}.",
            f"Wrote {self.total_rows:,} rows in {self.seconds:.1f} s: {main}.",
            f"{self.active_episodes:,} clients are in treatment now.",
            "Sign in as admin, clinician, supervisor, prescriber, biller or intern; "
            f"password {self.password}.",
        ))
