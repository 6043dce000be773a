"""Discharge: a draft summary assembled from the record (see `discharge.summary`), edited by the
clinician (reason detail, aftercare plan, aftercare referrals), then signed — which closes the
episode.

Invariants: one discharge per episode; the discharge date is neither before admission nor in the
future; the reason is one of `resources/discharge_reasons.json`; a signed discharge never
changes (its `content_hash` covers the summary, texts and referrals); signing locks the
discharge, marks the episode discharged on the discharge date and ends its group enrollments in
one transaction — if any write fails, the episode stays open and the discharge a draft. The
summary is due `discharge.summary_due_days` after the discharge date.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.audit.sealing import seal
from iopdesk.clinical.program_rules import rule
from iopdesk.clinical.staff import staff_for
from iopdesk.errors import NotFound, RecordLocked, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today, utcnow
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.text_limits import NAME, NARRATIVE, STATEMENT
from iopdesk.kernel.validation import as_date, bounded_text, required_text
from iopdesk.models import AftercareReferral, Client, Discharge, Episode, GroupEnrollment, Staff
from iopdesk.services.base import Service
from iopdesk.services.discharge.summary import DischargeSummary, assemble, summary_view
from iopdesk.services.emergency_access import client_of_episode
from iopdesk.services.episodes import episode_uuid
from iopdesk.services.work_items import WorkItem, display_name
from iopdesk.storage.records import as_uuid, content_hash, fetch, update_versioned

LOCKED = "This discharge summary is signed and cannot be changed."


@lru_cache(maxsize=1)
def discharge_reasons() -> dict[str, str]:
    """Reason code → label, in the order shipped."""
    data = json.loads(resources.path("discharge_reasons.json").read_text(encoding="utf-8"))
    return {row["code"]: row["label"] for row in data["reasons"]}


@dataclass(frozen=True)
class ReferralView:
    id: str
    provider: str
    service: str
    appointment_on: dt.date | None
    contact: str
    barriers: str


@dataclass(frozen=True)
class DischargeView:
    id: str
    episode_id: str
    client_id: str
    status: str
    discharged_on: dt.date
    due_on: dt.date
    reason: str
    reason_label: str
    reason_detail: str
    aftercare: str
    summary: DischargeSummary
    referrals: tuple[ReferralView, ...]
    version: int
    signed_at: dt.datetime | None
    signed_by: str
    content_hash: str | None
    signed_by_credentials: str = ""  # e.g. "LPC", printed after the signer's name


def _reason(code: str | None) -> str:
    if not code:
        raise ValidationError("Reason: choose why the client is leaving.", field="reason")
    if code not in discharge_reasons():
        raise ValidationError(f"Reason: {code!r} is not one of {', '.join(discharge_reasons())}.", field="reason")
    return code


def _date_and_reason(discharged_on, reason: str, reason_detail: str) -> tuple[dt.date, str]:
    day = as_date(discharged_on, "discharged_on", "Discharge date")
    code = _reason(reason)
    if code == "other" and not (reason_detail or "").strip():
        raise ValidationError("Reason detail: say what the other reason is.", field="reason_detail")
    if day > today():
        raise ValidationError("Discharge date: cannot be in the future.", field="discharged_on")
    return day, code


def _check_after_admission(day: dt.date, episode: Episode) -> None:
    if day < episode.admitted_on:
        raise ValidationError(f"Discharge date: before the admission date ({date_text(episode.admitted_on)}).",
                              field="discharged_on")


def discharge_hash(row: Discharge, signed_by, signed_at: dt.datetime) -> str:
    """What a discharge signature covers: summary, dates, reason, aftercare and referrals."""
    referrals = [[r.provider, r.service, r.appointment_on, r.contact, r.barriers]
                 for r in row.referrals.order_by(AftercareReferral.created_at)]
    return content_hash({"summary": row.summary, "discharged_on": row.discharged_on,
                         "reason": row.reason, "reason_detail": row.reason_detail,
                         "aftercare": row.aftercare, "referrals": referrals,
                         "signed_by": str(signed_by), "signed_at": signed_at})


class DischargeService(Service):
    def draft(self, episode_id, *, discharged_on: dt.date | str, reason: str, reason_detail: str = "",
              aftercare: str = "") -> tuple[DischargeView, Changes]:
        """Start the discharge of an open episode with its summary assembled from the record.

        Raises ValidationError naming the field: discharge date before admission or in the future
        (discharged_on), unknown reason or "other" without detail (reason, reason_detail), an
        episode already discharged or with a discharge started (episode).
        """
        self.actor.require("discharge.write")
        day, code = _date_and_reason(discharged_on, reason, reason_detail)
        detail = bounded_text(reason_detail, "reason_detail", "Reason detail", NARRATIVE)
        aftercare = bounded_text(aftercare, "aftercare", "Aftercare", NARRATIVE)
        with self.db.atomic():
            episode = Episode.get_or_none(Episode.id == episode_uuid(episode_id))
            if episode is None:
                raise NotFound(f"No episode with id {episode_id}.")
            _check_after_admission(day, episode)
            if episode.status != "active":
                raise ValidationError("This episode is already discharged.", field="episode")
            if Discharge.select().where(Discharge.episode == episode.id).exists():
                raise ValidationError("This episode already has a discharge in progress; edit that one.",
                                      field="episode")
            row = Discharge.create(episode=episode.id, discharged_on=day, reason=code, reason_detail=detail,
                                   aftercare=aftercare, summary=assemble(episode, day))
            self._audit("create", "discharge", row.id, client_id=episode.client_id, detail={"reason": code})
        return self._view(row), Changes.of("discharge", client_id=episode.client_id)

    def check_draft(self, episode_id, *, discharged_on: dt.date | str, reason: str | None,
                    reason_detail: str = "") -> None:
        """Raise what `draft` (or `refresh` of a draft) would raise about this date and reason,
        writing nothing, so a screen can drop a message once it no longer holds."""
        self.actor.require("discharge.write")
        day, _code = _date_and_reason(discharged_on, reason, reason_detail)
        episode = Episode.get_or_none(Episode.id == episode_uuid(episode_id))
        if episode is None:
            raise NotFound(f"No episode with id {episode_id}.")
        _check_after_admission(day, episode)

    def refresh(self, discharge_id, *, expected_version: int, discharged_on: dt.date | str | None = None,
                reason: str | None = None) -> tuple[DischargeView, Changes]:
        """Assemble the draft's summary again from the record (e.g. after a late note was
        signed), optionally for a corrected discharge date or reason; texts and referrals are kept.

        Raises RecordLocked once signed, ConcurrentEdit if someone saved since `expected_version`,
        ValidationError naming the field for a date or reason `draft` would refuse.
        """
        self.actor.require("discharge.write")
        with self.db.atomic():
            row = self._draft(discharge_id)
            episode = Episode.get_by_id(row.episode_id)
            day, code = _date_and_reason(discharged_on or row.discharged_on, reason or row.reason,
                                         row.reason_detail)
            _check_after_admission(day, episode)
            update_versioned(row, expected_version, summary=assemble(episode, day), discharged_on=day,
                             reason=code)
            self._audit("update", "discharge", row.id, client_id=episode.client_id,
                        detail={"op": "refresh", "discharged_on": day, "reason": code})
        return self._view(row), Changes.of("discharge", client_id=episode.client_id)

    def update_summary_text(self, discharge_id, *, expected_version: int, aftercare: str | None = None,
                            reason_detail: str | None = None) -> tuple[DischargeView, Changes]:
        """Edit the aftercare plan or the reason detail of a draft. Raises RecordLocked once signed,
        ConcurrentEdit if someone saved since `expected_version`."""
        self.actor.require("discharge.write")
        values = {k: bounded_text(v, k, label, NARRATIVE)
                  for k, label, v in (("aftercare", "Aftercare", aftercare),
                                      ("reason_detail", "Reason detail", reason_detail)) if v is not None}
        with self.db.atomic():
            row = self._draft(discharge_id)
            if row.reason == "other" and values.get("reason_detail", row.reason_detail) == "":
                raise ValidationError("Reason detail: say what the other reason is.", field="reason_detail")
            update_versioned(row, expected_version, **values)
            client_id = self._client_of(row)
            self._audit("update", "discharge", row.id, client_id=client_id, detail={"fields": sorted(values)})
        return self._view(row), Changes.of("discharge", client_id=client_id)

    def add_referral(self, discharge_id, *, expected_version: int, provider: str, service: str,
                     appointment_on: dt.date | str | None = None, contact: str = "", barriers: str = ""
                     ) -> tuple[DischargeView, Changes]:
        """Add an aftercare referral (provider, service, appointment, contact, barriers) to a draft."""
        self.actor.require("discharge.write")
        values = {
            "provider": required_text(provider, "provider", "Provider"),
            "service": required_text(service, "service", "Service"),
            "appointment_on": as_date(appointment_on, "appointment_on", "Appointment date") if appointment_on else None,
            "contact": bounded_text(contact, "contact", "Contact", NAME),
            "barriers": bounded_text(barriers, "barriers", "Barriers", STATEMENT),
        }
        with self.db.atomic():
            row = self._draft(discharge_id)
            update_versioned(row, expected_version)
            referral = AftercareReferral.create(discharge=row.id, **values)
            client_id = self._client_of(row)
            self._audit("create", "aftercare_referral", referral.id, client_id=client_id)
        return self._view(row), Changes.of("discharge", client_id=client_id)

    def remove_referral(self, referral_id, *, expected_version: int) -> tuple[DischargeView, Changes]:
        """Remove an aftercare referral from a draft (`expected_version` is the discharge's)."""
        self.actor.require("discharge.write")
        with self.db.atomic():
            referral = AftercareReferral.get_or_none(AftercareReferral.id == as_uuid(referral_id, "referral"))
            if referral is None:
                raise NotFound(f"No aftercare referral with id {referral_id}.")
            row = self._draft(referral.discharge_id)
            update_versioned(row, expected_version)
            AftercareReferral.delete().where(AftercareReferral.id == referral.id).execute()
            client_id = self._client_of(row)
            self._audit("delete", "aftercare_referral", referral.id, client_id=client_id)
        return self._view(row), Changes.of("discharge", client_id=client_id)

    def sign(self, discharge_id, *, expected_version: int) -> tuple[DischargeView, Changes]:
        """Sign the discharge: lock it (content hash), mark the episode discharged on the discharge
        date and end its group enrollments — all in one transaction.

        Raises RecordLocked if already signed, ConcurrentEdit if changed since `expected_version`,
        ValidationError if the episode was closed meanwhile.
        """
        self.actor.require("discharge.write")
        with self.db.atomic():
            row, episode = self._signable(discharge_id)
            signed_at = utcnow()
            digest = discharge_hash(row, self.actor.id, signed_at)
            update_versioned(row, expected_version, status="signed", signed_at=signed_at,
                             signed_by=self.actor.id, content_hash=digest)
            update_versioned(episode, episode.version, status="discharged", discharged_on=row.discharged_on)
            GroupEnrollment.update(ended_on=row.discharged_on, version=GroupEnrollment.version + 1,
                                   updated_at=signed_at).where(
                (GroupEnrollment.episode == episode.id)
                & (GroupEnrollment.ended_on.is_null() | (GroupEnrollment.ended_on > row.discharged_on))
            ).execute()
            self._audit("sign", "discharge", row.id, client_id=episode.client_id,
                        detail={"hash": digest, "reason": row.reason,
                                "attestation": self.attestation("discharge", signed_at)})
            seal(row, provenance="discharge sign", actor=self.actor)
        changes = Changes.of("discharge", "episode", "enrollment", client_id=episode.client_id)
        return self._view(row), changes

    def check_sign(self, discharge_id) -> None:
        """Raise what `sign` would raise about the draft now (signed meanwhile, episode closed),
        writing nothing: the screen asks before it shows the attestation."""
        self.actor.require("discharge.write")
        self._signable(discharge_id)

    # -- reading ------------------------------------------------------------------------------
    def get(self, discharge_id) -> DischargeView:
        self.actor.require_for_client("chart.read_narrative",
                                      lambda: self._client_of(fetch(Discharge, discharge_id, "discharge")))
        row = fetch(Discharge, discharge_id, "discharge")
        return self._view(row)

    def for_episode(self, episode_id) -> DischargeView | None:
        self.actor.require_for_client("chart.read_narrative", lambda: client_of_episode(episode_id))
        row = Discharge.get_or_none(Discharge.episode == episode_uuid(episode_id))
        return self._view(row) if row else None

    def summaries_due(self, clinician: str | None = None, *, on: dt.date | str | None = None) -> list[WorkItem]:
        """Unsigned discharge summaries (of one primary clinician's episodes, if given), each due
        `discharge.summary_due_days` after its discharge date; overdue ones are marked. One query."""
        self.actor.require("chart.read")
        day = as_date(on or today(), "on", "Date")
        days = rule("discharge", "summary_due_days")
        query = (Discharge.select(Discharge.id, Discharge.episode, Discharge.discharged_on, Client.id, Client.mrn,
                                  Client.preferred_name, Client.legal_first, Client.legal_last)
                 .join(Episode).join(Client)
                 .where(Discharge.status == "draft"))
        if clinician is not None:
            query = query.where(Episode.primary_clinician == staff_for(clinician, "Clinician", "clinician").id)
        items = []
        for did, episode_id, discharged, cid, mrn, pref, first, last in query.tuples():
            due = discharged + dt.timedelta(days=days)
            items.append(WorkItem(
                kind="discharge_summary", client_id=str(cid), mrn=mrn, client_name=display_name(pref, first, last),
                what="Discharge summary", why=f"discharged {date_text(discharged)}; summary due {date_text(due)}",
                target=f"discharge:{did}", record_id=str(did), episode_id=str(episode_id), due_on=due,
                overdue=due < day))
        return sorted(items, key=lambda i: (i.due_on, i.client_name))

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _draft(discharge_id) -> Discharge:
        row = fetch(Discharge, discharge_id, "discharge")
        if row.status != "draft":
            raise RecordLocked(LOCKED, field="discharge")
        return row

    def _signable(self, discharge_id) -> tuple[Discharge, Episode]:
        row = self._draft(discharge_id)
        episode = Episode.get_by_id(row.episode_id)
        if episode.status != "active":
            raise ValidationError("This episode is already discharged.", field="episode")
        return row, episode

    @staticmethod
    def _client_of(row: Discharge):
        return Episode.select(Episode.client).where(Episode.id == row.episode_id).scalar()

    @staticmethod
    def _view(row: Discharge) -> DischargeView:
        episode = Episode.get_by_id(row.episode_id)
        signer, credentials = (Staff.select(Staff.display_name, Staff.credentials).where(Staff.id == row.signed_by_id)
                               .tuples().first() if row.signed_by_id else None) or ("", "")
        referrals = tuple(
            ReferralView(str(r.id), r.provider, r.service, r.appointment_on, r.contact, r.barriers)
            for r in AftercareReferral.select().where(AftercareReferral.discharge == row.id)
            .order_by(AftercareReferral.created_at))
        return DischargeView(
            id=str(row.id), episode_id=str(row.episode_id), client_id=str(episode.client_id), status=row.status,
            discharged_on=row.discharged_on,
            due_on=row.discharged_on + dt.timedelta(days=rule("discharge", "summary_due_days")),
            reason=row.reason, reason_label=discharge_reasons().get(row.reason, row.reason),
            reason_detail=row.reason_detail, aftercare=row.aftercare, summary=summary_view(row.summary),
            referrals=referrals, version=row.version, signed_at=row.signed_at, signed_by=signer or "",
            content_hash=row.content_hash, signed_by_credentials=credentials or "",
        )
