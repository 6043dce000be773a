"""Every check of the audit trail in one place, so its findings reach people: `iopdesk check`
(Clinic.check), the start-up alarm (AuditService.startup_check) and Admin ▸ Audit all ask here.

Sources, chain first: the keyed chain itself (iopdesk/audit/chain.py), then the checks beside it
(`beside_chain`), each returning a list of Finding (iopdesk/audit/findings.py): the trail's
anchor on this workstation (iopdesk/audit/anchor.py), and the seals of signed records and the
guard triggers as they join (one line each).
"""

from __future__ import annotations

from iopdesk.audit import anchor, chain
from iopdesk.audit.findings import Finding


def chain_finding(report: chain.ChainReport) -> list[Finding]:
    """The chain check's answer (chain.ChainReport) as findings: none when it verified."""
    if report.ok:
        return []
    record = f"audit event {report.broken_seq}" if report.broken_seq else ""
    return [Finding("chain", record, report.problem)]


def beside_chain(*, recent: bool) -> list[Finding]:
    """The findings of the checks beside the chain itself, one line per source: the trail's
    anchor on this workstation (and the seals and guard triggers). `recent`: the start-up's
    fast subset."""
    return anchor.anchor_findings()


def collect(*, recent: bool) -> list[Finding]:
    """Every finding, the chain's first: the whole trail (`iopdesk check`), or with `recent` what
    the start-up check looks at (this site's events since the last check, the anchor; fast on a
    large clinic)."""
    report = chain.verify_recent() if recent else chain.verify_chain()
    return chain_finding(report) + beside_chain(recent=recent)
