"""`clinic.billing`: claim lines and holds derived from the record for a date range, kept with
stable line ids, and export batches.

`run()` reads the record in a fixed number of queries (`billing.record`), codes it by the rules
in `resources/billing_rules.toml` with the clinic's overrides (`billing.rules`, `billing.derive`),
applies holds (`billing.holds`), upserts the lines (`billing.store`) and returns a frozen
`BillingRun`. A biller sees codes, dates, amounts and note ids, never note narrative. Every run
and every export is audited without PHI in the detail.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from iopdesk.audit.sealing import seal
from iopdesk.clinical.program_rules import rule
from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.validation import as_date
from iopdesk.models import ExportBatch, Payer, Site
from iopdesk.services.base import Service
from iopdesk.services.billing.derive import Candidate, Deriver
from iopdesk.services.billing.holds import HoldChecker, diagnosis_pointer
from iopdesk.services.billing.record import authorization_window, canonical_id, read_record
from iopdesk.services.billing.rules import billing_rules
from iopdesk.services.billing.store import (
    HASHED_FIELDS,
    VANISHED,
    VanishedLine,
    batch_rows,
    mark_exported,
    store_lines,
    values_hash,
)
from iopdesk.services.billing.views import (
    BillingCounts,
    BillingHold,
    BillingLine,
    BillingRun,
    ExportBatchView,
)

MAX_RANGE_DAYS = 366
NOTE_STATUS = {"signed": "signed", "cosigned": "co-signed"}


def _filters(site: str | None, payer: str | None, new_only: bool) -> str:
    parts = [f"site {site}" if site else "", f"payer {payer}" if payer else "", "new only" if new_only else ""]
    return ", ".join(p for p in parts if p)


def _line_values(c: Candidate) -> dict:
    """What the claim line of a billable candidate says (every field but its id and export state)."""
    client, note = c.client, (c.note if c.kind != "per_diem" else None)
    rendering, supervising = c.rendering, c.supervising
    return dict(
        client_id=client.client_id, mrn=client.mrn, client_name=client.claim_name, dob=client.dob,
        payer_code=client.payer_code, payer_name=client.payer_name, member_id=client.member_id,
        authorization=c.authorization, service_date=c.service_date, place_of_service=c.place_of_service,
        code=c.code, modifiers=tuple(c.modifiers), units=c.units, minutes=c.minutes, diagnoses=c.diagnoses,
        diagnosis_pointer=diagnosis_pointer(c.diagnoses), rendering_name=rendering.name,
        rendering_npi=rendering.npi, supervising_name=supervising.name if supervising else "",
        supervising_npi=supervising.npi if supervising else "", charge_cents=c.charge_cents, source=c.source,
        note_id=canonical_id(note.id) if note else "", note_status=NOTE_STATUS.get(note.status, "") if note else "",
        site_code=c.site_code)


def _hold(c: Candidate) -> BillingHold:
    pending = next((n for n in c.notes if n.status not in NOTE_STATUS), None) or c.note
    return BillingHold(
        client_id=c.client.client_id, mrn=c.client.mrn, client_name=c.client.claim_name,
        payer_code=c.client.payer_code, site_code=c.site_code, service_date=c.service_date, what=c.what,
        who=c.rendering.name if c.rendering else "", reason=c.hold[0], action=c.hold[1],
        note_id=canonical_id(pending.id) if pending else "")


def _vanished_hold(v: VanishedLine) -> BillingHold:
    return BillingHold(
        client_id=v.client_id, mrn=v.mrn, client_name=v.client_name, payer_code=v.payer_code,
        site_code=v.site_code, service_date=v.service_date, what=f"{v.code} exported line",
        who="", reason=f"exported in batch {v.export_batch} but {VANISHED}",
        action="Void or correct the claim with the payer", note_id=v.note_id)


class BillingService(Service):
    def run(self, range_from: dt.date | str, range_to: dt.date | str, *, site: str | None = None,
            payer: str | None = None, new_only: bool = False) -> BillingRun:
        """Claim lines and holds for services dated `range_from`..`range_to` (inclusive), for one
        site and payer when given; with new_only, only lines never exported or changed since.

        Lines are stored (stable line ids; running the same range again gives the same ids in
        the same order). Raises PermissionDenied without billing.read; ValidationError naming
        the field for a bad range, an unknown site or payer, or unusable billing rules.
        """
        self.actor.require("billing.read")
        start, end = self._range(range_from, range_to)
        site_code, payer_code = self._site_filter(site), self._payer_filter(payer)
        with self.db.atomic():
            lines, holds = self._derive(start, end)
            self._audit("run", "billing", detail={
                "range_from": start.isoformat(), "range_to": end.isoformat(), "site": site_code,
                "payer": payer_code, "new_only": bool(new_only), "lines": len(lines), "holds": len(holds)})
        if site_code:
            lines = [x for x in lines if x.site_code == site_code]
            holds = [h for h in holds if h.site_code == site_code]
        if payer_code:
            lines = [x for x in lines if x.payer_code == payer_code]
            holds = [h for h in holds if h.payer_code == payer_code]
        if new_only:
            lines = [x for x in lines if not x.export_batch or x.changed_since_export]
        return BillingRun(
            clinic_name=self._clinic.setting("clinic_name", ""), range_from=start, range_to=end,
            site_code=site_code, payer_code=payer_code, new_only=bool(new_only), generated_at=utcnow(),
            lines=tuple(lines), holds=tuple(holds), time_format=rule("display", "time_format"))

    def counts(self, range_from: dt.date | str, range_to: dt.date | str, *, site: str | None = None,
               payer: str | None = None) -> BillingCounts:
        """The preview before exporting: lines, holds, new and changed lines, total charge."""
        result = self.run(range_from, range_to, site=site, payer=payer)
        return BillingCounts(
            lines=len(result.lines), holds=len(result.holds),
            new_lines=sum(1 for x in result.lines if not x.export_batch),
            changed_lines=sum(1 for x in result.lines if x.changed_since_export),
            charge_cents=sum(x.charge_cents for x in result.lines))

    def record_export(self, run: BillingRun, *, file_name: str,
                      place_file: Callable[[], None] | None = None) -> tuple[ExportBatchView, Changes]:
        """Record that `run` was exported to `file_name`: a new batch, each line marked with it and
        the hash of what was exported, and an "export" audit event (range, filters, line count,
        file name), in one transaction. `place_file` runs last in that transaction (moving the
        written file into place), so the export is recorded only when its file is in place; what
        it raises undoes the record. Raises PermissionDenied without billing.export or for the
        system (an export has a person behind it)."""
        self.actor.require("billing.export")
        if self.actor.id is None:
            raise PermissionDenied("Sign in as a staff member to export billing.")
        name = (file_name or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
        if not name:
            raise ValidationError("File name: give the name of the exported file.", field="file_name")
        filters = _filters(run.site_code, run.payer_code, run.new_only)
        with self.db.atomic():
            batch = ExportBatch.create(exported_at=utcnow(), exported_by=self.actor.id, range_from=run.range_from,
                                       range_to=run.range_to, filters=filters, line_count=len(run.lines))
            mark_exported(batch.id, list(run.lines))
            self._audit("export", "export_batch", batch.id, detail={
                "range_from": run.range_from.isoformat(), "range_to": run.range_to.isoformat(),
                "filters": filters, "lines": len(run.lines), "file_name": name})
            seal(batch, provenance="billing export", actor=self.actor)
            if place_file is not None:
                place_file()
        view = ExportBatchView(str(batch.id), batch.exported_at, self.actor.display_name, run.range_from,
                               run.range_to, filters, len(run.lines))
        return view, Changes.of("billing")

    def batches(self, limit: int = 20) -> list[ExportBatchView]:
        """The newest export batches first."""
        self.actor.require("billing.read")
        return [ExportBatchView(str(i), at, who, start, end, filters, count)
                for i, at, who, start, end, filters, count in batch_rows(max(1, int(limit)))]

    def payers(self) -> list[tuple[str, str]]:
        """(code, name) of the active payers, by code."""
        self.actor.require("billing.read")
        return list(Payer.select(Payer.code, Payer.name).where(Payer.active == True)  # noqa: E712
                    .order_by(Payer.code).tuples())

    def sites(self) -> list[tuple[str, str]]:
        """(code, name) of the clinic's sites, by code."""
        self.actor.require("billing.read")
        return list(Site.select(Site.code, Site.name).order_by(Site.code).tuples())

    # -- internals -------------------------------------------------------------------------------
    def _derive(self, start: dt.date, end: dt.date) -> tuple[list[BillingLine], list[BillingHold]]:
        rules = billing_rules()
        window = authorization_window(start, end)
        snap = read_record(window, end, notes_from=window if rules.authorizes_notes else start)
        candidates = Deriver(snap, rules, start).candidates()
        HoldChecker(snap, rules).settle(candidates)
        in_range = [c for c in candidates if start <= c.service_date <= end]
        billable = [(c, _line_values(c)) for c in in_range if c.hold is None]
        hashed = [(c, values, values_hash([values[name] for name in HASHED_FIELDS])) for c, values in billable]
        stored, vanished = store_lines([(c, digest) for c, _, digest in hashed], start, end)
        lines = []
        for c, values, digest in hashed:
            row = stored[c.key]
            lines.append(BillingLine(line_id=row.line_id, export_batch=row.export_batch,
                                     changed_since_export=bool(row.exported_hash) and row.exported_hash != digest,
                                     **values))
        lines.sort(key=lambda x: (x.payer_code, x.mrn, x.service_date, x.code, x.line_id))
        holds = [_hold(c) for c in in_range if c.hold is not None] + [_vanished_hold(v) for v in vanished]
        holds.sort(key=lambda h: (h.service_date, h.mrn, h.what, h.reason))
        return lines, holds

    @staticmethod
    def _range(range_from, range_to) -> tuple[dt.date, dt.date]:
        start = as_date(range_from, "range_from", "From")
        end = as_date(range_to, "range_to", "To")
        if end < start:
            raise ValidationError("To: the range ends before it starts.", field="range_to")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise ValidationError(f"To: a billing range is at most {MAX_RANGE_DAYS} days.", field="range_to")
        return start, end

    @staticmethod
    def _site_filter(site: str | None) -> str | None:
        code = (site or "").strip().upper() or None
        if code and not Site.select().where(Site.code == code).exists():
            raise ValidationError(f"Site: no site with code {code!r}.", field="site")
        return code

    @staticmethod
    def _payer_filter(payer: str | None) -> str | None:
        code = (payer or "").strip().upper() or None
        if code and not Payer.select().where(Payer.code == code).exists():
            raise ValidationError(f"Payer: no payer with code {code!r}.", field="payer")
        return code
