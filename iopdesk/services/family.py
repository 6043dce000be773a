"""Family work: family members as contacts of a client, and family therapy sessions with their note.

Invariants: a family member belongs to one client; the consent that covers them (their release
of information) is a consent of that same client and not revoked when linked; a family session is
with the client, without the client, or a multi-family group, ends after it starts, and its
participants are family members of that client (at least one when the client is absent); every
session gets a draft family note in the same transaction, written through the note service.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from iopdesk.clinical.staff import clinician_for
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today
from iopdesk.kernel.text_limits import STATEMENT
from iopdesk.kernel.validation import as_date, bounded_text, required_text
from iopdesk.models import (
    Client,
    Consent,
    FamilyMember,
    FamilySession,
    FamilySessionParticipant,
    Note,
    Staff,
)
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.storage.records import as_uuid, fetch, update_versioned

SESSION_KINDS = {
    "with_client": "Family therapy with the client",
    "without_client": "Family therapy without the client",
    "multi_family": "Multi-family group",
}


@dataclass(frozen=True)
class FamilyMemberView:
    id: str
    client_id: str
    name: str
    relationship: str
    phone: str
    consent_id: str | None
    consent_covers: bool
    comments: str
    version: int


@dataclass(frozen=True)
class FamilySessionView:
    id: str
    client_id: str
    kind: str
    session_date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    minutes: int
    clinician: str
    participants: tuple[str, ...]
    note_id: str | None


def _time(value: dt.time | str, field: str, label: str) -> dt.time:
    if isinstance(value, dt.time):
        return value.replace(second=0, microsecond=0)
    try:
        return dt.time.fromisoformat(str(value).strip()).replace(second=0, microsecond=0)
    except ValueError:
        raise ValidationError(f"{label}: {value!r} is not a time (use HH:MM).", field=field) from None


def _consent_for_member(client_id, consent_id) -> Consent | None:
    if consent_id is None:
        return None
    consent = Consent.get_or_none(Consent.id == as_uuid(consent_id, "consent"))
    if consent is None or consent.client_id != client_id:
        raise ValidationError("Consent: not a consent of this client.", field="consent_id")
    if consent.revoked_on is not None:
        raise ValidationError(f"Consent: revoked on {consent.revoked_on}.", field="consent_id")
    return consent


class FamilyService(Service):
    # -- contacts -------------------------------------------------------------------------
    def add_member(self, client_id, *, name: str, relationship: str, phone: str = "",
                   consent_id=None, comments: str = "") -> tuple[FamilyMemberView, Changes]:
        """Add a family member as a contact of the client.

        Raises ValidationError naming the field: a blank name or relationship, a consent that is
        not this client's or is revoked.
        """
        self.actor.require("family.write")
        name = required_text(name, "name", "Name")
        relationship = required_text(relationship, "relationship", "Relationship", max_length=60)
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            consent = _consent_for_member(cid, consent_id)
            row = FamilyMember.create(client=cid, name=name, relationship=relationship,
                                      phone=(phone or "").strip(), consent=consent,
                                      comments=bounded_text(comments, "comments", "Comments", STATEMENT))
            self._audit("create", "family_member", row.id, client_id=cid)
        return self._member_views(FamilyMember.id == row.id)[0], Changes.of("family", client_id=cid)

    def link_consent(self, member_id, consent_id, *, expected_version: int
                     ) -> tuple[FamilyMemberView, Changes]:
        """Link (or with None, unlink) the consent covering a family member.

        Raises ValidationError for a consent of another client or a revoked one; ConcurrentEdit.
        """
        self.actor.require("family.write")
        with self.db.atomic():
            member = fetch(FamilyMember, member_id, "family member")
            consent = _consent_for_member(member.client_id, consent_id)
            update_versioned(member, expected_version, consent=consent)
            self._audit("update", "family_member", member.id, client_id=member.client_id,
                        detail={"consent": str(consent.id) if consent else None})
        return (self._member_views(FamilyMember.id == member.id)[0],
                Changes.of("family", client_id=member.client_id))

    def contacts(self, client_id, *, on: dt.date | str | None = None) -> list[FamilyMemberView]:
        """A client's family members by name, each saying whether their consent covers them on
        `on` (default today)."""
        self.actor.require("chart.read")
        day = as_date(on, "on", "Date") if on else today()
        return self._member_views(FamilyMember.client == client_uuid(client_id), on=day)

    # -- sessions -------------------------------------------------------------------------
    def record_session(
        self,
        client_id,
        *,
        kind: str,
        session_date: dt.date | str,
        starts_at: dt.time | str,
        ends_at: dt.time | str,
        participants: list | tuple = (),
        clinician: str | None = None,
        note_format: str = "DAP",
        sections: dict | None = None,
    ) -> tuple[FamilySessionView, Changes]:
        """Record a family session and start its draft family note (one transaction).

        `participants` are family member ids of this client; `clinician` a user name (default:
        the acting user). Raises ValidationError naming the field: an unknown kind, a future date,
        an end not after the start, a participant who is not this client's family member, no
        participant for a session without the client, a clinician who is not a clinician.
        """
        self.actor.require("family.write")
        if kind not in SESSION_KINDS:
            raise ValidationError(f"Session type: {kind!r} is not one of {', '.join(SESSION_KINDS)}.",
                                  field="kind")
        day = as_date(session_date, "session_date", "Session date")
        if day > today():
            raise ValidationError("Session date: cannot be in the future.", field="session_date")
        start = _time(starts_at, "starts_at", "Start time")
        end = _time(ends_at, "ends_at", "End time")
        if end <= start:
            raise ValidationError("End time: must be after the start time.", field="ends_at")
        member_ids = list(dict.fromkeys(as_uuid(p, "family member") for p in participants))
        if kind == "without_client" and not member_ids:
            raise ValidationError(
                "Participants: a family session without the client needs at least one family member.",
                field="participants",
            )
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            theirs = {
                m for (m,) in FamilyMember.select(FamilyMember.id)
                .where((FamilyMember.client == cid) & FamilyMember.id.in_(member_ids))
                .tuples()
            }
            stranger = next((m for m in member_ids if m not in theirs), None)
            if stranger is not None:
                raise ValidationError(f"Participants: {stranger} is not a family member of this client.",
                                      field="participants")
            who = self._clinician(clinician)
            session = FamilySession.create(client=cid, kind=kind, session_date=day, starts_at=start,
                                           ends_at=end, clinician=who)
            if member_ids:
                FamilySessionParticipant.insert_many(
                    [{"session": session.id, "family_member": m} for m in member_ids]
                ).execute()
            self._audit("create", "family_session", session.id, client_id=cid,
                        detail={"kind": kind, "participants": len(member_ids)})
            present = [name for (name,) in FamilyMember.select(FamilyMember.name)
                       .where(FamilyMember.id.in_(member_ids)).order_by(FamilyMember.name).tuples()]
            if kind != "without_client":
                present.insert(0, "client")
            self._clinic.notes.create_draft(
                cid, kind="family", note_format=note_format, service_date=day, starts_at=start,
                ends_at=end, sections=sections, participants=", ".join(present),
                family_session_id=session.id,
            )
        view = self._session_views(FamilySession.id == session.id)[0]
        return view, Changes.of("family", "note", client_id=cid)

    def sessions(self, client_id) -> list[FamilySessionView]:
        """A client's family sessions, newest first, with participants' names and the note id."""
        self.actor.require("chart.read")
        return self._session_views(FamilySession.client == client_uuid(client_id))

    # -- helpers --------------------------------------------------------------------------
    def _clinician(self, clinician: str | None) -> Staff:
        return clinician_for(clinician if clinician is not None else self.actor.id, "Clinician", "clinician")

    @staticmethod
    def _member_views(where, on: dt.date | None = None) -> list[FamilyMemberView]:
        day = on or today()
        query = (
            FamilyMember.select(
                FamilyMember.id, FamilyMember.client, FamilyMember.name, FamilyMember.relationship,
                FamilyMember.phone, FamilyMember.consent, Consent.signed_on, Consent.expires_on,
                Consent.revoked_on, FamilyMember.comments, FamilyMember.version,
            )
            .join(Consent, peewee.JOIN.LEFT_OUTER, on=(FamilyMember.consent == Consent.id))
            .where(where)
            .order_by(FamilyMember.name)
            .tuples()
        )
        views = []
        for i, c, name, rel, phone, consent, signed, expires, revoked, comments, version in query:
            covers = (consent is not None and signed <= day and (expires is None or day <= expires)
                      and (revoked is None or day < revoked))
            views.append(FamilyMemberView(str(i), str(c), name, rel, phone,
                                          str(consent) if consent else None, covers, comments, version))
        return views

    @staticmethod
    def _session_views(where) -> list[FamilySessionView]:
        rows = list(
            FamilySession.select(
                FamilySession.id, FamilySession.client, FamilySession.kind, FamilySession.session_date,
                FamilySession.starts_at, FamilySession.ends_at, Staff.display_name,
            )
            .join(Staff, on=(FamilySession.clinician == Staff.id))
            .where(where)
            .order_by(FamilySession.session_date.desc(), FamilySession.starts_at.desc())
            .tuples()
        )
        ids = [r[0] for r in rows]
        if not ids:
            return []
        names: dict = {}
        for session_id, name in (
            FamilySessionParticipant.select(FamilySessionParticipant.session, FamilyMember.name)
            .join(FamilyMember)
            .where(FamilySessionParticipant.session.in_(ids))
            .order_by(FamilyMember.name)
            .tuples()
        ):
            names.setdefault(session_id, []).append(name)
        notes = dict(Note.select(Note.family_session, Note.id).where(Note.family_session.in_(ids)).tuples())
        return [
            FamilySessionView(
                id=str(i), client_id=str(c), kind=kind, session_date=day, starts_at=start, ends_at=end,
                minutes=(end.hour * 60 + end.minute) - (start.hour * 60 + start.minute),
                clinician=clinician, participants=tuple(names.get(i, ())),
                note_id=str(notes[i]) if i in notes else None,
            )
            for i, c, kind, day, start, end, clinician in rows
        ]
