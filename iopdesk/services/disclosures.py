"""What a printed document needs from the clinic, and the 42 CFR Part 2 gate on releasing it.

`document_context` gives every printed page its frame: clinic and site, the client's name and MRN,
who printed it and when, the confidentiality line, and whether the client's records are Part 2
records (a substance use or co-occurring episode: program rule `confidentiality.part2_tracks`),
in which case every page carries the short redisclosure notice.

A document released outside the program needs a valid, unexpired consent covering the recipient
(`release_consent`, which writes nothing); once the document is written, `record_release` logs the
disclosure (who, what, when, to whom, under which consent) with its audit event. Without a consent
the release is refused naming the recipient, and nothing is logged. A signed note that names
another client (`withheld_notes`) is never released: printing it for a recipient is refused
(`check_note_releasable`) and an export for a recipient leaves it out and lists it as withheld. A copy kept inside the program
is audited as a print (`record_print`).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass
from functools import lru_cache

import resources
from iopdesk.audit.sealing import seal
from iopdesk.clinical.program_rules import rule
from iopdesk.clinical.staff import acting_staff
from iopdesk.errors import ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today, utcnow
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.text_limits import STATEMENT
from iopdesk.kernel.validation import required_text
from iopdesk.models import Client, Disclosure, Episode, Staff
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.services.consents import ConsentView
from iopdesk.services.notes.name_review import NamedNote, scan_signed_notes


@lru_cache(maxsize=1)
def notices() -> dict[str, str]:
    """The printed notices from resources/notices.toml (confidentiality, part2_short, part2_full)."""
    with resources.path("notices.toml").open("rb") as fh:
        return {key: " ".join(str(value).split()) for key, value in tomllib.load(fh).items()}


@dataclass(frozen=True)
class DocumentContext:
    """The frame of every page of a client's document."""

    clinic_name: str
    site_name: str
    site_address: str
    site_phone: str
    client_id: str  # blank for a document about no one client (a session's sign-in sheet)
    client_name: str
    mrn: str
    dob: dt.date | None
    part2: bool
    printed_by: str
    printed_at: dt.datetime  # UTC
    confidentiality: str
    part2_notice: str  # the short form for every page; blank when Part 2 does not apply
    part2_full_notice: str
    time_format: str = "12h"  # the clinic's program rule display.time_format: "12h" or "24h"


@dataclass(frozen=True)
class DisclosureView:
    id: str
    client_id: str
    recipient: str
    description: str
    consent_id: str | None
    disclosed_by: str
    disclosed_at: dt.datetime


class DisclosureService(Service):
    def document_context(self, client_id=None) -> DocumentContext:
        """The page frame for printing one client's document (needs `print.chart`). Without a
        client (a group's sign-in sheet) the footer names no one; such a sheet still identifies
        clients of the program, so it carries the Part 2 notice whenever the program has a Part 2
        track."""
        self.actor.require("print.chart")
        part2_tracks = list(rule("confidentiality", "part2_tracks"))
        if client_id is None:
            client, part2 = None, bool(part2_tracks)
        else:
            cid = client_uuid(client_id)
            client = Client.get_or_none(Client.id == cid)
            if client is None:
                raise ValidationError(f"Client: no client with id {client_id}.", field="client_id")
            part2 = Episode.select().where((Episode.client == cid) & Episode.track.in_(part2_tracks)).exists()
        site = self._clinic.site
        text = notices()
        return DocumentContext(
            clinic_name=self._clinic.setting("clinic_name", ""), site_name=site.name,
            site_address=site.address, site_phone=site.phone,
            client_id=str(client.id) if client else "",
            client_name=f"{client.legal_first} {client.legal_last}" if client else "",
            mrn=client.mrn if client else "", dob=client.dob if client else None,
            part2=part2, printed_by=acting_staff(self.actor).display_name,
            printed_at=utcnow().replace(microsecond=0), confidentiality=text["confidentiality"],
            part2_notice=text["part2_short"] if part2 else "", part2_full_notice=text["part2_full"],
            time_format=rule("display", "time_format"),
        )

    def release_consent(self, client_id, recipient: str, *, on: dt.date | None = None) -> ConsentView:
        """The consent under which a document may go to `recipient`. Raises ValidationError
        (recipient) when the name is blank or no valid, unexpired, unrevoked consent covers them."""
        self.actor.require("print.chart")
        name = required_text(recipient, "recipient", "Recipient", max_length=200)
        consent = self._clinic.consents.valid_consent_for(client_id, name, on=on or today())
        if consent is None:
            raise ValidationError(
                f"Recipient: no valid, unexpired consent covers disclosure to {name}; record the client's "
                "consent first. Nothing was released.", field="recipient")
        return consent

    def withheld_notes(self, client_id) -> list[NamedNote]:
        """The client's signed notes that name another client (`notes.name_review`): kept out of every
        release outside the program (a printed copy for a recipient, an export for a recipient)
        until the program decides otherwise; each needs an addendum. Needs `print.chart` or
        `chart.export`; shows no note text."""
        if not self.actor.can("chart.export"):
            self.actor.require("print.chart")
        return scan_signed_notes(client_uuid(client_id)).notes

    def check_note_releasable(self, client_id, *, note_id=None, group_session_id=None) -> None:
        """Raise ValidationError (document) when the note (or the client's note of the group
        session) names another client: such a note is never released outside the program."""
        for held in self.withheld_notes(client_id):
            if (note_id and held.note_id == str(note_id)) or (
                    group_session_id and held.group_session_id == str(group_session_id)):
                raise ValidationError(
                    f"Document: this note of {date_text(held.service_date)} names another client "
                    f"({held.names_text}), so it is kept out of releases; an addendum can note the "
                    "error. Nothing was released.", field="document")

    def record_release(self, client_id, recipient: str, description: str) -> tuple[DisclosureView, Changes]:
        """Log a document released to `recipient` under the consent that covers them today, with its
        audit event, in one transaction. Raises ValidationError (recipient) without a consent."""
        consent = self.release_consent(client_id, recipient)
        what = required_text(description, "description", "Description", max_length=STATEMENT)
        cid = client_uuid(client_id)
        with self.db.atomic():
            row = Disclosure.create(client=cid, consent=consent.id, disclosed_at=utcnow().replace(microsecond=0),
                                    disclosed_by=acting_staff(self.actor).id, recipient=recipient.strip(),
                                    description=what)
            self._audit("disclose", "disclosure", row.id, client_id=cid,
                        detail={"recipient": row.recipient, "consent": consent.id, "what": what})
            seal(row, provenance="disclosure", actor=self.actor)
        return self._view(row), Changes.of("disclosure", client_id=cid)

    def record_print(self, client_id, description: str) -> None:
        """Audit that a client's document was printed or saved inside the program (who, what, when)."""
        self.actor.require("print.chart")
        what = required_text(description, "description", "Description", max_length=STATEMENT)
        cid = client_uuid(client_id) if client_id else None
        with self.db.atomic():
            self._audit("print", "document", None, client_id=cid, detail={"what": what})

    def log(self, client_id) -> list[DisclosureView]:
        """Every disclosure of a client's records, newest first."""
        self.actor.require("chart.read")
        query = (Disclosure.select(Disclosure, Staff.display_name)
                 .join(Staff, on=(Disclosure.disclosed_by == Staff.id))
                 .where(Disclosure.client == client_uuid(client_id))
                 .order_by(Disclosure.disclosed_at.desc(), Disclosure.id.desc()).objects())
        return [self._view(row, row.display_name) for row in query]

    @staticmethod
    def _view(row: Disclosure, by: str | None = None) -> DisclosureView:
        if by is None:
            by = Staff.get_by_id(row.disclosed_by_id).display_name
        return DisclosureView(str(row.id), str(row.client_id), row.recipient, row.description,
                              str(row.consent_id) if row.consent_id else None, by, row.disclosed_at)
