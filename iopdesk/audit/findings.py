"""What `iopdesk check`, the start-up check and Admin ▸ Audit report: one finding per record.

A finding names the record it is about in the clinic's words ("signed note 0190…", "treatment
plan version 2 of client …") and says in one sentence what differs, so an administrator can open
that record and follow docs/SECURITY.md. The checks that produce findings live beside what they
check (seals, guard triggers, the trail's anchor); this module only gives them one shape.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Finding:
    """One thing found wrong: `area` is "chain", "seal", "guard" or "anchor"; `record` names the
    record ("" when the finding is about the whole trail); `problem` is one sentence."""

    area: str
    record: str
    problem: str
    client_id: str | None = None

    def line(self) -> str:
        """The finding as one line of `iopdesk check` output."""
        return f"{self.area}: {self.record}: {self.problem}" if self.record else f"{self.area}: {self.problem}"

