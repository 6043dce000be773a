"""A clinician's day in one read: group sessions they facilitate today, notes to sign, notes
awaiting their co-signature, plans due, measures due, consents expiring, safety alerts, clients
under the attendance minimum and discharge summaries due; for administrators also open sync
conflicts and sites out of contact (`clinic.sync.attention()`).

"Their clients" are the clients of open episodes whose primary clinician they are. Each list is
one or two joined queries whatever the caseload size (never a query per client), so the whole
day stays well under 100 ms on a 10,000-client database. Items carry the client (id, MRN,
display name), what and why, and a `target` telling the UI where the work is done. Reads only.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from iopdesk.clinical.program_rules import rule
from iopdesk.clinical.staff import staff_for
from iopdesk.errors import ValidationError
from iopdesk.kernel.clock import today
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.validation import as_date
from iopdesk.models import (
    Alert,
    Client,
    Consent,
    Episode,
    GroupSession,
    MeasureSchedule,
    Note,
    SessionFacilitator,
    Staff,
    StaffRole,
    TherapyGroup,
)
from iopdesk.services.base import Service
from iopdesk.services.work_items import WorkItem, display_name

SAFETY_KINDS = ("safety", "unexpected_positive")
NOTE_WORDS = {"individual": "Individual", "group": "Group", "family": "Family",
              "med_management": "Medication management", "case_management": "Case management"}


@dataclass(frozen=True)
class SessionItem:
    session_id: str
    group: str
    session_date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    status: str
    role: str
    target: str


@dataclass(frozen=True)
class Caseload:
    clinician_id: str
    clinician: str
    on: dt.date
    sessions: tuple[SessionItem, ...]
    unsigned_notes: tuple[WorkItem, ...]
    cosign_queue: tuple[WorkItem, ...]
    plans_due: tuple[WorkItem, ...]
    measures_due: tuple[WorkItem, ...]
    expiring_consents: tuple[WorkItem, ...]
    safety_alerts: tuple[WorkItem, ...]
    under_minimum: tuple[WorkItem, ...]
    discharges_due: tuple[WorkItem, ...]
    sync_attention: tuple[WorkItem, ...] = ()  # administrators: open sync conflicts, sites out of contact

    @property
    def work_count(self) -> int:
        """How many items need doing (sessions not counted)."""
        return sum(len(getattr(self, name)) for name in (
            "unsigned_notes", "cosign_queue", "plans_due", "measures_due", "expiring_consents",
            "safety_alerts", "under_minimum", "discharges_due", "sync_attention"))


_CLIENT = (Client.id, Client.mrn, Client.preferred_name, Client.legal_first, Client.legal_last)


def _item(kind: str, row: tuple, what: str, why: str, target: str, **extra) -> WorkItem:
    cid, mrn, pref, first, last = row[:5]
    return WorkItem(kind=kind, client_id=str(cid), mrn=mrn, client_name=display_name(pref, first, last),
                    what=what, why=why, target=target.replace("{client}", str(cid)), **extra)


class CaseloadService(Service):
    def today(self, clinician: str | None = None, *, on: dt.date | str | None = None) -> Caseload:
        """The day's work of `clinician` (user name or id; default: the signed-in user) on `on`
        (default today). Raises ValidationError (field clinician) for an unknown user, or when
        no one is signed in and no clinician is named."""
        self.actor.require("chart.read")
        day = as_date(on or today(), "on", "Date")
        if clinician is None and self.actor.id is None:
            raise ValidationError("Clinician: sign in or name the clinician whose caseload to show.",
                                  field="clinician")
        staff = staff_for(clinician, "Clinician", "clinician") if clinician is not None else Staff.get_by_id(
            self.actor.id)
        clinic = self._clinic
        return Caseload(
            clinician_id=str(staff.id), clinician=staff.display_name, on=day,
            sessions=self._sessions(staff, day),
            unsigned_notes=self._unsigned(staff),
            cosign_queue=self._cosign(staff),
            plans_due=tuple(clinic.plans.plans_due(day, staff.username)),
            measures_due=self._measures(staff, day),
            expiring_consents=self._consents(staff, day),
            safety_alerts=self._alerts(staff),
            under_minimum=tuple(clinic.attendance.clients_under_minimum(staff.username, on=day)),
            discharges_due=tuple(clinic.discharge.summaries_due(staff.username, on=day)),
            sync_attention=tuple(clinic.sync.attention()),
        )

    # -- one query per list -------------------------------------------------------------------
    @staticmethod
    def _theirs(query: peewee.ModelSelect, staff: Staff) -> peewee.ModelSelect:
        """Narrow a query joined to Client to the clients of `staff`'s open episodes."""
        return query.join(Episode, on=(Episode.client == Client.id)).where(
            (Episode.status == "active") & (Episode.primary_clinician == staff.id))

    @staticmethod
    def _sessions(staff: Staff, day: dt.date) -> tuple[SessionItem, ...]:
        co = SessionFacilitator.select(SessionFacilitator.session).where(SessionFacilitator.staff == staff.id)
        query = (GroupSession.select(GroupSession.id, TherapyGroup.name, GroupSession.session_date,
                                     GroupSession.starts_at, GroupSession.ends_at, GroupSession.status,
                                     GroupSession.lead_facilitator)
                 .join(TherapyGroup)
                 .where((GroupSession.session_date == day)
                        & ((GroupSession.lead_facilitator == staff.id) | GroupSession.id.in_(co)))
                 .order_by(GroupSession.starts_at, TherapyGroup.name).tuples())
        return tuple(
            SessionItem(str(sid), name, date, starts, ends, status,
                        "lead" if lead == staff.id else "co-facilitator", f"session:{sid}")
            for sid, name, date, starts, ends, status, lead in query)

    @staticmethod
    def _unsigned(staff: Staff) -> tuple[WorkItem, ...]:
        query = (Note.select(*_CLIENT, Note.id, Note.kind, Note.service_date).join(Client)
                 .where((Note.author == staff.id) & (Note.status == "draft"))
                 .order_by(Note.service_date, Note.created_at).tuples())
        return tuple(
            _item("unsigned_note", row, f"{NOTE_WORDS.get(row[6], row[6])} note to sign",
                  f"draft from {date_text(row[7])}", f"note:{row[5]}", record_id=str(row[5]), due_on=row[7])
            for row in query)

    @staticmethod
    def _cosign(staff: Staff) -> tuple[WorkItem, ...]:
        """Notes awaiting co-signature by their author's supervisor (as `clinic.notes.cosign_queue`);
        empty for someone who is not a supervisor."""
        if not StaffRole.select().where((StaffRole.staff == staff.id) & (StaffRole.role == "supervisor")).exists():
            return ()
        author = Staff.alias()
        query = (Note.select(*_CLIENT, Note.id, Note.kind, Note.service_date, author.display_name).join(Client)
                 .switch(Note).join(author, on=(Note.author == author.id))
                 .where((Note.status == "awaiting_cosign") & (Note.author != staff.id)
                        & ((author.supervisor == staff.id) | author.supervisor.is_null()))
                 .order_by(Note.service_date, Note.signed_at).tuples())
        return tuple(
            _item("cosign", row, f"{NOTE_WORDS.get(row[6], row[6])} note to co-sign",
                  f"by {row[8]}, {date_text(row[7])}", f"note:{row[5]}", record_id=str(row[5]), due_on=row[7])
            for row in query)

    def _measures(self, staff: Staff, day: dt.date) -> tuple[WorkItem, ...]:
        query = self._theirs(MeasureSchedule.select(*_CLIENT, MeasureSchedule.measure, MeasureSchedule.next_due_on)
                             .join(Client), staff)
        query = query.where(MeasureSchedule.next_due_on <= day).order_by(MeasureSchedule.next_due_on)
        return tuple(
            _item("measure_due", row, f"{row[5]} due", f"due {date_text(row[6])}", "client:{client}/measures",
                  due_on=row[6], overdue=row[6] < day)
            for row in query.tuples())

    def _consents(self, staff: Staff, day: dt.date) -> tuple[WorkItem, ...]:
        until = day + dt.timedelta(days=rule("consents", "expiring_within_days"))
        query = self._theirs(Consent.select(*_CLIENT, Consent.id, Consent.recipient, Consent.expires_on)
                             .join(Client), staff)
        query = query.where(Consent.revoked_on.is_null() & Consent.expires_on.between(day, until)).order_by(
            Consent.expires_on)
        return tuple(
            _item("consent_expiring", row, "Consent expiring", f"to {row[6]}, expires {date_text(row[7])}",
                  f"consent:{row[5]}", record_id=str(row[5]), due_on=row[7])
            for row in query.tuples())

    def _alerts(self, staff: Staff) -> tuple[WorkItem, ...]:
        query = self._theirs(Alert.select(*_CLIENT, Alert.id, Alert.kind, Alert.message, Alert.raised_at)
                             .join(Client), staff)
        query = query.where(Alert.resolved_at.is_null() & Alert.kind.in_(SAFETY_KINDS)).order_by(Alert.raised_at)
        return tuple(
            _item("safety_alert", row, "Safety alert" if row[6] == "safety" else "Unexpected positive screen",
                  row[7], f"alert:{row[5]}", record_id=str(row[5]), due_on=row[8].date())
            for row in query.tuples())
