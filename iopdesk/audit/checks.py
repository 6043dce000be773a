"""Every check of the audit trail in one place, so its findings reach people: `iopdesk check`
(Clinic.check), the start-up alarm (AuditService.startup_check) and Admin ▸ Audit all ask here.

Sources, chain first: the keyed chain itself (iopdesk/audit/chain.py), then the checks beside it
(`beside_chain`), each returning a list of Finding (iopdesk/audit/findings.py): the trail's
anchor on this workstation (iopdesk/audit/anchor.py), the guard triggers (iopdesk/audit/guards.py)
and the seal of every signed record (iopdesk/audit/sealing.py).
"""

from __future__ import annotations

from iopdesk.audit import anchor, chain
from iopdesk.audit.findings import Finding
from iopdesk.audit.guards import guard_findings
from iopdesk.audit.sealing import recent_seal_findings, seal_findings
from iopdesk.models import AuditEvent


def chain_finding(report: chain.ChainReport) -> list[Finding]:
    """The chain check's answer (chain.ChainReport) as findings: none when it verified."""
    if report.ok:
        return []
    record = f"audit event {report.broken_seq}" if report.broken_seq else ""
    return [Finding("chain", record, report.problem)]


def beside_chain(*, recent: bool) -> list[Finding]:
    """The findings of the checks beside the chain itself: the trail's anchor on this
    workstation, the guard triggers, and the seal of every signed record. `recent`: the start-up's
    fast subset, only the records sealed since the last checkpoint; call it before
    `chain.verify_recent()`, which moves that checkpoint."""
    seals = recent_seal_findings() if recent else seal_findings()
    # Records first: with the triggers dropped, some forty guard lines would bury the edited record.
    return anchor.anchor_findings() + seals + guard_findings(AuditEvent._meta.database)


def collect(*, recent: bool) -> list[Finding]:
    """Every finding, the chain's first: the whole trail (`iopdesk check`), or with `recent` what
    the start-up check looks at (this site's events since the last check, the anchor; fast on a
    large clinic)."""
    beside = beside_chain(recent=recent)  # first: the recent chain check moves the checkpoint
    report = chain.verify_recent() if recent else chain.verify_chain()
    return chain_finding(report) + beside
