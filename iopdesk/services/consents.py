"""Part 2 consents: the client's written permission to disclose substance use treatment records.

A consent is recorded only with every element 42 CFR Part 2 requires: the client (patient), who
may disclose, what information, the recipient, the purpose, the client's acknowledged right to
revoke, an expiration date or event, and who signed and when. Invariants: a consent on file had
every element (the right to revoke was acknowledged, or it was refused); it never expires before
it was signed; a revoked consent stays on file with its revocation date and covers nothing from
that date; a consent that expires on an event (not a date) covers its recipient until revoked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from iopdesk.audit.sealing import seal
from iopdesk.clinical.program_rules import rule
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today
from iopdesk.kernel.text_limits import STATEMENT
from iopdesk.kernel.validation import as_date, required_text
from iopdesk.models import Client, Consent, Staff
from iopdesk.services.alerts import caseload_of
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.storage.records import as_uuid, fetch, update_versioned


@dataclass(frozen=True)
class ConsentView:
    id: str
    client_id: str
    discloser: str
    recipient: str
    information: str
    purpose: str
    signed_by: str
    signed_on: dt.date
    expires_on: dt.date | None
    expiration_event: str
    revoked_on: dt.date | None
    recorded_by: str
    version: int

    def covers_on(self, day: dt.date) -> bool:
        """Signed by `day`, not yet expired and not revoked on or before it."""
        return (
            self.signed_on <= day
            and (self.expires_on is None or day <= self.expires_on)
            and (self.revoked_on is None or day < self.revoked_on)
        )


@dataclass(frozen=True)
class ExpiringConsent:
    consent_id: str
    client_id: str
    client_name: str
    mrn: str
    recipient: str
    expires_on: dt.date
    days_left: int


def _recipient_key(name: str) -> str:
    return " ".join((name or "").split()).lower()


class ConsentService(Service):
    def record(
        self,
        client_id,
        *,
        discloser: str,
        information: str,
        recipient: str,
        purpose: str,
        revocation_acknowledged: bool,
        signed_by: str,
        signed_on: dt.date | str,
        expires_on: dt.date | str | None = None,
        expiration_event: str = "",
    ) -> tuple[ConsentView, Changes]:
        """Record a signed Part 2 consent.

        Raises ValidationError naming the missing or wrong element: who may disclose, the
        information, the recipient, the purpose, the right to revoke not acknowledged, neither an
        expiration date nor an event, an expiration before signing, the signer, a signing date in
        the future or before the client's birth.
        """
        self.actor.require("consent.write")
        discloser = required_text(discloser, "discloser", "Who may disclose")
        information = required_text(information, "information", "Information to disclose", max_length=STATEMENT)
        recipient = required_text(recipient, "recipient", "Recipient")
        purpose = required_text(purpose, "purpose", "Purpose of the disclosure", max_length=STATEMENT)
        if revocation_acknowledged is not True:
            raise ValidationError(
                "Right to revoke: the client must be told, and acknowledge, that the consent can be "
                "revoked.", field="revocation_acknowledged",
            )
        event = (expiration_event or "").strip()
        expires = as_date(expires_on, "expires_on", "Expiration date") if expires_on else None
        if expires is None and not event:
            raise ValidationError(
                "Expiration: give the date or the event on which the consent expires.", field="expires_on"
            )
        signer = required_text(signed_by, "signed_by", "Signed by")
        if signed_on in (None, ""):
            raise ValidationError("Date signed: this field is required.", field="signed_on")
        signed = as_date(signed_on, "signed_on", "Date signed")
        if signed > today():
            raise ValidationError("Date signed: cannot be in the future.", field="signed_on")
        if expires is not None and expires < signed:
            raise ValidationError("Expiration date: before the date the consent was signed.",
                                  field="expires_on")
        cid = client_uuid(client_id)
        with self.db.atomic():
            client = Client.get_or_none(Client.id == cid)
            if client is None:
                raise NotFound(f"No client with id {client_id}.")
            if signed < client.dob:
                raise ValidationError("Date signed: before the client's date of birth.", field="signed_on")
            row = Consent.create(
                client=cid, discloser=discloser, recipient=recipient, information=information,
                purpose=purpose, signed_on=signed, signed_by=signer, expires_on=expires,
                expiration_event=event, recorded_by=self.actor.id,
            )
            self._audit("create", "consent", row.id, client_id=cid,
                        detail={"recipient": recipient, "revocation_acknowledged": True})
            seal(row, provenance="consent", actor=self.actor)
        return self.get(row.id), Changes.of("consent", client_id=cid)

    def revoke(self, consent_id, revoked_on: dt.date | str) -> tuple[ConsentView, Changes]:
        """Record the client's revocation; the consent stays on file and covers nothing from
        `revoked_on`. Raises ValidationError for a date in the future or before signing, or a
        consent already revoked."""
        self.actor.require("consent.write")
        when = as_date(revoked_on, "revoked_on", "Date revoked")
        if when > today():
            raise ValidationError("Date revoked: cannot be in the future.", field="revoked_on")
        with self.db.atomic():
            row = fetch(Consent, consent_id, "consent")
            if row.revoked_on is not None:
                raise ValidationError(
                    f"Date revoked: this consent was already revoked on {row.revoked_on}.",
                    field="revoked_on")
            if when < row.signed_on:
                raise ValidationError("Date revoked: before the consent was signed.", field="revoked_on")
            update_versioned(row, row.version, revoked_on=when)
            self._audit("revoke", "consent", row.id, client_id=row.client_id, detail={"revoked_on": when})
            seal(row, provenance="revocation", actor=self.actor)
        return self.get(row.id), Changes.of("consent", client_id=row.client_id)

    def get(self, consent_id) -> ConsentView:
        self.actor.require("chart.read")
        views = self._views(Consent.id == as_uuid(consent_id, "consent"))
        if not views:
            raise NotFound(f"No consent with id {consent_id}.")
        return views[0]

    def list_for_client(self, client_id) -> list[ConsentView]:
        """Every consent of a client, revoked and expired ones too, newest signed first."""
        self.actor.require("chart.read")
        return self._views(Consent.client == client_uuid(client_id))

    def valid_consent_for(self, client_id, recipient: str, *, on: dt.date | str | None = None
                          ) -> ConsentView | None:
        """The consent that covers disclosure to `recipient` (name compared ignoring case and
        spacing) on `on` (default today), the most recently signed if several; None if none does."""
        self.actor.require("chart.read")
        day = as_date(on, "on", "Date") if on else today()
        key = _recipient_key(recipient)
        for view in self._views(Consent.client == client_uuid(client_id)):
            if _recipient_key(view.recipient) == key and view.covers_on(day):
                return view
        return None

    def expiring(self, *, within_days: int | None = None, on: dt.date | str | None = None,
                 clinician=None) -> list[ExpiringConsent]:
        """Unrevoked consents of clients in treatment expiring between `on` (default today) and
        `within_days` later (default: rule consents.expiring_within_days), soonest first;
        optionally one clinician's caseload."""
        self.actor.require("chart.read")
        day = as_date(on, "on", "Date") if on else today()
        window = int(rule("consents", "expiring_within_days") if within_days is None else within_days)
        if window < 0:
            raise ValidationError("Within days: cannot be negative.", field="within_days")
        query = (
            Consent.select(Consent.id, Consent.client, Client.legal_first, Client.legal_last, Client.mrn,
                           Consent.recipient, Consent.expires_on)
            .join(Client, on=(Consent.client == Client.id))
        )
        query = caseload_of(query, clinician).where(
            Consent.revoked_on.is_null()
            & (Consent.expires_on >= day)
            & (Consent.expires_on <= day + dt.timedelta(days=window))
        )
        return [
            ExpiringConsent(str(i), str(c), f"{first} {last}", mrn, recipient, expires,
                            (expires - day).days)
            for i, c, first, last, mrn, recipient, expires in query.order_by(Consent.expires_on).tuples()
        ]

    @staticmethod
    def _views(where) -> list[ConsentView]:
        query = (
            Consent.select(
                Consent.id, Consent.client, Consent.discloser, Consent.recipient, Consent.information,
                Consent.purpose, Consent.signed_by, Consent.signed_on, Consent.expires_on,
                Consent.expiration_event, Consent.revoked_on, Staff.display_name, Consent.version,
            )
            .join(Staff, peewee.JOIN.LEFT_OUTER, on=(Consent.recorded_by == Staff.id))
            .where(where)
            .order_by(Consent.signed_on.desc(), Consent.created_at.desc())
            .tuples()
        )
        return [
            ConsentView(str(i), str(c), d, r, info, p, sb, so, ex, ev, rv, by or "", v)
            for i, c, d, r, info, p, sb, so, ex, ev, rv, by, v in query
        ]
