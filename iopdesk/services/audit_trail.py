"""Reading the audit trail: chain checks, the audit report, and the clinic's audit key.

The audit report answers "who saw or changed what, when, for which client", filtered by client
MRN, user and local dates and sorted in SQL by any of its columns; reading it needs
`admin.audit` and is itself audited (once per new query, not per page). There are no audit
settings: every read and write of client information is always audited, and nobody can turn
that off. Findings of the checks (the chain, the workstation's anchor of the trail, …) are listed
for an administrator, who alone may acknowledge a trail rolled back outside the app. The audit key's export needs an administrator (it is audited); installing a key needs
no one, since only the key matching this database's fingerprint is accepted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path

import peewee

from iopdesk.audit import anchor as audit_anchor
from iopdesk.audit import chain as audit
from iopdesk.audit import keys as audit_keys
from iopdesk.audit.anchor import Anchor
from iopdesk.audit.checks import beside_chain, collect
from iopdesk.audit.findings import Finding
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.validation import as_date
from iopdesk.models import AuditEvent, Client
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid

SORT_FIELDS = ("when", "user", "action", "what", "client", "detail")
MAX_PAGE = 5000


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    occurred_at: dt.datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None


@dataclass(frozen=True)
class AuditRow:
    """One line of the audit report; `when` is local time (timezone-aware)."""

    seq: int
    when: dt.datetime
    user: str
    action: str
    what: str
    client_mrn: str
    detail: str


@dataclass(frozen=True)
class AuditFilter:
    client_mrn: str | None = None
    actor: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None


def _utc_bound(day: dt.date) -> dt.datetime:
    """Local midnight starting `day`, as the naive UTC the trail stores."""
    local = dt.datetime.combine(day, dt.time()).astimezone()
    return local.astimezone(dt.UTC).replace(tzinfo=None)


def _detail_text(detail) -> str:
    value = json.loads(detail) if isinstance(detail, str) else (detail or {})
    if not value:
        return ""
    return ", ".join(f"{k}: {v}" for k, v in sorted(value.items()))


class AuditService(Service):
    def verify(self) -> audit.ChainReport:
        """Recompute the hash chain (anyone may check; the answer holds no PHI)."""
        return audit.verify_chain()

    def startup_check(self) -> audit.ChainReport:
        """The quick check run when the app opens: this site's events since the last check, and
        the trail against this workstation's anchor (and whatever else `findings.beside_chain`
        checks at start-up). Its problem, if any, is the alarm to show."""
        found = beside_chain(recent=True)  # first: verify_recent moves the checkpoint it reads
        report = audit.verify_recent()
        if not report.ok:
            return report
        if found:
            return audit.ChainReport(False, report.events, "; ".join(f.line() for f in found))
        return report

    def findings(self, *, recent: bool = False) -> list[Finding]:
        """Every finding of the checks (the chain, the anchor, …), each naming its record, for
        Admin ▸ Audit (admin only; the findings hold no client information)."""
        self.actor.require("admin.audit")
        return collect(recent=recent)

    def acknowledge_rollback(self, reason: str) -> Anchor:
        """An administrator accepts that the trail is older than this workstation's anchor (a
        restore made outside IOP Desk, e.g. pg_restore or an old file copied back): audited
        ("acknowledge_rollback", with the reason and the anchor it contradicted), after which the
        anchor follows the trail again. Returns the anchor acknowledged.

        PermissionDenied without admin.audit; ValidationError (field "reason") without a reason,
        or when the trail contradicts no anchor here.
        """
        self.actor.require("admin.audit")
        reason = " ".join((reason or "").split())
        if not reason:
            raise ValidationError("Reason: say why the audit trail is older than this workstation's anchor "
                                  "(e.g. which backup was restored, and by whom).", field="reason")
        try:
            anchor = audit_anchor.contradicted()
        except audit_anchor.AnchorAltered as exc:
            anchor, altered = None, str(exc)
        else:
            altered = ""
        if anchor is None and not altered:
            raise ValidationError("Reason: the audit trail contradicts no anchor on this workstation; there is "
                                  "nothing to acknowledge.", field="reason")
        with self.db.atomic():
            seq, head_hash = audit_anchor.head()
            detail = {"reason": reason[:500], "trail_ends_at": seq}
            if anchor is not None:
                detail.update(anchor_seq=anchor.seq, anchor_hash=anchor.hash, anchor_at=anchor.at)
            else:
                detail["anchor_problem"] = altered
            self._audit("acknowledge_rollback", "audit_trail", None, detail=detail)
            audit_anchor.move_to_head(audit_keys.database_key(create=False))
        return anchor or audit_anchor.Anchor("", seq, head_hash, "")

    def for_client(self, client_id) -> list[AuditEntry]:
        """Who saw or changed what in one client's chart (admin only)."""
        self.actor.require("admin.audit")
        query = (
            AuditEvent.select(
                AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.action,
                AuditEvent.entity, AuditEvent.entity_id,
            )
            .where(AuditEvent.client_id == client_uuid(client_id))
            .order_by(AuditEvent.seq)
            .tuples()
        )
        return [AuditEntry(*row) for row in query]

    # -- the audit report ------------------------------------------------------------------
    def _where(self, filters: AuditFilter):
        condition = peewee.Value(True)
        if filters.client_mrn:
            mrn = filters.client_mrn.strip().upper()
            client = Client.select(Client.id).where(Client.mrn == mrn).first()
            if client is None:
                raise ValidationError(f"Client MRN: no client with MRN {mrn}.", field="client_mrn")
            condition &= AuditEvent.client_id == client.id
        if filters.actor and filters.actor.strip():
            condition &= peewee.fn.LOWER(AuditEvent.actor) == filters.actor.strip().lower()
        start = as_date(filters.date_from, "date_from", "From") if filters.date_from else None
        end = as_date(filters.date_to, "date_to", "To") if filters.date_to else None
        if start and end and end < start:
            raise ValidationError("To: the end date is before the start date.", field="date_to")
        if start:
            condition &= AuditEvent.occurred_at >= _utc_bound(start)
        if end:
            condition &= AuditEvent.occurred_at < _utc_bound(end + dt.timedelta(days=1))
        return condition

    def report(self, client_mrn: str | None = None, actor: str | None = None,
               date_from: dt.date | str | None = None, date_to: dt.date | str | None = None, *,
               order_by: str = "when", descending: bool = False, limit: int = 500,
               offset: int = 0) -> list[AuditRow]:
        """Audit events matching the filters (all optional; dates are local and inclusive),
        sorted by `order_by` (one of SORT_FIELDS), a page of `limit` from `offset`.

        Needs admin.audit (PermissionDenied). ValidationError naming the field for an unknown
        MRN, a bad date, an end before the start, or an unknown sort field.
        """
        self.actor.require("admin.audit")
        if order_by not in SORT_FIELDS:
            raise ValidationError(f"Sort: choose one of {', '.join(SORT_FIELDS)}.", field="order_by")
        filters = AuditFilter(client_mrn, actor, date_from, date_to)
        condition = self._where(filters)
        column = {"when": AuditEvent.occurred_at, "user": AuditEvent.actor, "action": AuditEvent.action,
                  "what": AuditEvent.entity, "client": Client.mrn, "detail": AuditEvent.detail}[order_by]
        keys = [column.desc(), AuditEvent.seq.desc()] if descending else [column.asc(), AuditEvent.seq.asc()]
        if order_by != "when":
            keys.insert(1, AuditEvent.occurred_at.desc() if descending else AuditEvent.occurred_at.asc())
        query = (AuditEvent.select(AuditEvent.seq, AuditEvent.occurred_at, AuditEvent.actor, AuditEvent.action,
                                   AuditEvent.entity, AuditEvent.entity_id, Client.mrn, AuditEvent.detail)
                 .join(Client, peewee.JOIN.LEFT_OUTER, on=(AuditEvent.client_id == Client.id))
                 .where(condition).order_by(*keys)
                 .limit(max(1, min(int(limit), MAX_PAGE))).offset(max(0, int(offset))).tuples())
        rows = [
            AuditRow(seq, when.replace(tzinfo=dt.UTC).astimezone(), user, action,
                     f"{entity} {entity_id}" if entity_id else entity, mrn or "", _detail_text(detail))
            for seq, when, user, action, entity, entity_id, mrn, detail in query
        ]
        if offset == 0:
            with self.db.atomic():
                asked = {"client": filters.client_mrn, "user": filters.actor, "from": filters.date_from,
                         "to": filters.date_to}
                self._audit("read", "audit_report", None,
                            detail={k: str(v) for k, v in asked.items() if v})
        return rows

    def report_count(self, client_mrn: str | None = None, actor: str | None = None,
                     date_from: dt.date | str | None = None, date_to: dt.date | str | None = None) -> int:
        """How many events `report` would list with these filters (needs admin.audit)."""
        self.actor.require("admin.audit")
        condition = self._where(AuditFilter(client_mrn, actor, date_from, date_to))
        return AuditEvent.select().where(condition).count()

    # -- the audit key -----------------------------------------------------------------------
    def _clinic_id(self) -> str:
        return str(self._clinic.setting("clinic_id", ""))

    def export_key(self, out: str | Path) -> Path:
        """Write the clinic's audit key to `out` for another workstation or site (admin only,
        audited). AuditKeyMissing when this computer has no key or the file exists."""
        self.actor.require("admin.audit")
        with self.db.atomic():
            audit_keys.database_key(create=False)
            path = audit_keys.export_key(self._clinic_id(), out)
            self._audit("export", "audit_key", None, detail={"file": Path(out).name})
        return path

    def import_key(self, source: str | Path) -> Path:
        """Install the audit key in `source` on this computer. Refused (AuditKeyMissing) unless it
        is this clinic database's key; anyone may do it, since no other key is accepted."""
        try:
            key = audit_keys.parse_key(Path(source).read_text(encoding="ascii"), source)
        except (OSError, UnicodeDecodeError) as exc:
            raise NotFound(f"Audit key: cannot read {source}: {exc}", field="file") from None
        stored = self._clinic.setting(audit_keys.FINGERPRINT_SETTING)
        if stored is not None and stored != audit_keys.fingerprint(key):
            raise audit_keys.AuditKeyMissing(f"Audit key: {source} is not this clinic's audit key; "
                                             "nothing was installed.", field="file")
        return audit_keys.install_key(self._clinic_id(), key)
