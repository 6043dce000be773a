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


def chain_finding(report) -> list[Finding]:
    """The chain check's answer (chain.ChainReport) as findings: none when it verified."""
    if report.ok:
        return []
    record = f"audit event {report.broken_seq}" if report.broken_seq else ""
    return [Finding("chain", record, report.problem)]


def beside_chain(*, recent: bool) -> list[Finding]:
    """The findings of the checks beside the chain itself, one line per source: the trail's
    anchor on this workstation (and the seals and guard triggers). `recent`: the start-up's
    fast subset."""
    from iopdesk.audit import anchor

    return anchor.anchor_findings()


def collect(*, recent: bool) -> list[Finding]:
    """Every finding, the chain's first: the whole trail (`iopdesk check`), or with `recent` what
    the start-up check looks at (this site's events since the last check, the anchor; fast on a
    large clinic)."""
    from iopdesk.audit import chain

    report = chain.verify_recent() if recent else chain.verify_chain()
    return chain_finding(report) + beside_chain(recent=recent)
