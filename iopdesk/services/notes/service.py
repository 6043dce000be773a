"""Clinical notes: drafts, reading (narrative only for clinical roles), signing, co-signature and
addenda, for individual, group, family, medication-management and case-management notes.

Invariants: reading a note's text needs `chart.read_narrative` (a biller sees that a note exists,
its date, type and status, never its words); every read of a note body is audited; a signed note
never changes (every call that would change it raises RecordLocked; corrections are addenda,
appended, authored, dated and hashed); only the author signs, after every section of the format
is filled; a note by staff needing co-signature waits as "awaiting_cosign" until their supervisor
co-signs it; a note's date is neither in the future nor before the client's admission. Signing
(content hash and status) is done by `signing_values` alone, for single notes and group sessions.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable, Iterable

from iopdesk.audit import chain as audit
from iopdesk.audit.sealing import seal
from iopdesk.clinical.name_rules import NameOverride, Person, checked_overrides
from iopdesk.clinical.note_formats import lookup_format, note_kind
from iopdesk.clinical.note_rules import (
    KEEP,
    SIGNED_STATES,
    check_links,
    check_service_date,
    family_session_link,
    group_note_problem,
    group_session_link,
    note_duration,
    objective_ids_by_note,
    objectives_by_client,
    replace_objectives,
    signing_problem,
    signing_values,
    with_goal_filled,
)
from iopdesk.clinical.note_rules import place_of_service as pos_code
from iopdesk.clinical.staff import acting_staff, staff_for
from iopdesk.errors import ConcurrentEdit, NotFound, RecordLocked, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import utcnow
from iopdesk.kernel.text_limits import NOTE_SECTION, STATEMENT
from iopdesk.kernel.validation import as_date, as_time, bounded_text, required_text
from iopdesk.models import Client, Note, NoteAddendum, Staff
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.services.notes.name_review import NameReview, scan_signed_notes
from iopdesk.services.notes.names import (
    findings_for,
    people_in_care,
    person,
    record_overrides,
    refuse_if_named,
)
from iopdesk.services.notes.views import (
    AddendumView,
    NoteListItem,
    NoteView,
    list_items,
    list_query,
    note_view,
)
from iopdesk.storage.records import as_uuid, content_hash, update_versioned

__all__ = ["KEEP", "AddendumView", "NoteListItem", "NoteService", "NoteView"]


def _note_uuid(note_id) -> uuid.UUID:
    return as_uuid(note_id, "note")


class NoteService(Service):
    def create_draft(
        self,
        client_id,
        *,
        kind: str,
        note_format: str,
        service_date: dt.date | str,
        starts_at: dt.time | str | None = None,
        ends_at: dt.time | str | None = None,
        minutes: int | None = None,
        sections: dict | None = None,
        participants: str = "",
        objective_ids=(),
        group_session_id=None,
        family_session_id=None,
        place_of_service: str | None = None,
    ) -> tuple[NoteView, Changes]:
        """Start a draft note for a client, in the client's open episode on that date (if any).

        Minutes come from the start and end times when both are given. Raises ValidationError
        naming the field: unknown kind or format, a date in the future or before admission, end
        not after start, minutes over the span or over 24 hours, an objective not on this
        client's plans, a session of another kind or client; NotFound for an unknown client.
        """
        self.actor.require("note.write")
        fmt = lookup_format(note_format)
        kind = note_kind(kind)
        check_links(kind, fmt.code, group_session_id, family_session_id)
        when = as_date(service_date, "service_date", "Date of service")
        start, end, mins = note_duration(starts_at, ends_at, minutes)
        pos = pos_code(place_of_service, self._clinic.site.place_of_service)
        text = bounded_text(participants, "participants", "Participants", STATEMENT)
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            episode_id = check_service_date(cid, when)
            objectives = objectives_by_client({cid: list(objective_ids)})[cid]
            group_id = group_session_link(cid, group_session_id)
            family_id = family_session_link(cid, family_session_id)
            author = acting_staff(self.actor)
            note = Note.create(
                client=cid, episode=episode_id, kind=kind, note_format=fmt.code, service_date=when,
                starts_at=start, ends_at=end, minutes=mins, place_of_service=pos, participants=text,
                author=author, sections=with_goal_filled(fmt, fmt.clean(sections), objectives),
                cosign_required=author.needs_cosign, group_session=group_id, family_session=family_id,
            )
            replace_objectives({note.id: [o for o, _ in objectives]})
            self._audit("create", "note", note.id, client_id=cid)
        return self._view(note), Changes.of("note", client_id=cid)

    def list_for_client(self, client_id) -> list[NoteListItem]:
        """Every note of a client, newest first, without narrative (any chart reader)."""
        self.actor.require("chart.read")
        query = list_query().where(Note.client == client_uuid(client_id)).order_by(
            Note.service_date.desc(), Note.created_at.desc())
        return list_items(query)

    def unsigned_for(self, author=None) -> list[NoteListItem]:
        """Drafts still to finish by `author` (username or id; default: the acting user), oldest first."""
        self.actor.require("chart.read")
        staff_id = staff_for(author, "Author", "author", active_only=False).id if author else acting_staff(self.actor).id
        query = list_query().where((Note.author == staff_id) & (Note.status == "draft")).order_by(
            Note.service_date, Note.created_at)
        return list_items(query)

    def cosign_queue(self, supervisor=None) -> list[NoteListItem]:
        """Notes awaiting `supervisor`'s co-signature (default: the acting user), oldest first:
        those of their supervisees and of authors who have no supervisor."""
        self.actor.require("note.cosign")
        sup_id = staff_for(supervisor, "Supervisor", "supervisor", active_only=False).id if supervisor else acting_staff(self.actor).id
        query = list_query().where(
            (Note.status == "awaiting_cosign") & (Note.author != sup_id)
            & ((Staff.supervisor == sup_id) | Staff.supervisor.is_null())
        ).order_by(Note.service_date, Note.signed_at)
        return list_items(query)

    def get(self, note_id) -> NoteView:
        """A note with its text and addenda; needs `chart.read_narrative`. The read is audited."""
        self.actor.require_for_client("chart.read_narrative", lambda: self._note(note_id).client_id)
        note = self._note(note_id)
        with self.db.atomic():
            self._audit("read", "note", note.id, client_id=note.client_id)
        return self._view(note)

    def save_draft(
        self,
        note_id,
        expected_version: int,
        sections: dict,
        *,
        service_date=KEEP,
        starts_at=KEEP,
        ends_at=KEEP,
        minutes=KEEP,
        objective_ids=KEEP,
        participants=KEEP,
    ) -> tuple[NoteView, Changes]:
        """Autosave a draft: replace its sections and, when given, its date of service, times,
        minutes, objectives and participants (None clears a time). Only the author edits a draft.
        A new date keeps the note (its id and history) and moves it to the episode open that day.

        Raises RecordLocked for a signed note, ConcurrentEdit when someone saved since
        `expected_version`, ValidationError naming the field (a date in the future or before admission; a new date for a group or family session's note, whose date is the session's).
        """
        self.actor.require("note.write")
        with self.db.atomic():
            note = self._draft_for_edit(note_id, "sections")
            self._require_author(note, "change this draft")
            fmt = lookup_format(note.note_format)
            start = note.starts_at if starts_at is KEEP else as_time(starts_at, "starts_at", "Start time")
            end = note.ends_at if ends_at is KEEP else as_time(ends_at, "ends_at", "End time")
            times_changed = (start, end) != (note.starts_at, note.ends_at)
            if minutes is KEEP:
                minutes = None if times_changed and start and end else note.minutes
            start, end, mins = note_duration(start, end, minutes)
            if objective_ids is KEEP:
                objective_ids = objective_ids_by_note([note.id]).get(note.id, [])
            objectives = objectives_by_client({note.client_id: list(objective_ids)})[note.client_id]
            values = dict(
                sections=with_goal_filled(fmt, fmt.clean(sections), objectives),
                starts_at=start, ends_at=end, minutes=mins,
            )
            if participants is not KEEP:
                values["participants"] = bounded_text(participants, "participants", "Participants", STATEMENT)
            if service_date is not KEEP:
                values.update(self._moved_date(note, service_date))
            update_versioned(note, expected_version, **values)
            replace_objectives({note.id: [o for o, _ in objectives]})
            self._audit("update", "note", note.id, client_id=note.client_id)
        return self._view(note), Changes.of("note", client_id=note.client_id)

    @staticmethod
    def _moved_date(note: Note, service_date) -> dict:
        when = as_date(service_date, "service_date", "Date of service")
        if when == note.service_date:
            return {}
        if note.group_session_id or note.family_session_id:
            raise ValidationError("Date of service: a session's note takes the date of its session.",
                                  field="service_date")
        return {"service_date": when, "episode": check_service_date(note.client_id, when)}

    def delete_draft(self, note_id, expected_version: int | None = None) -> Changes:
        """Delete a draft (only its author). Raises RecordLocked for a signed note,
        ConcurrentEdit when it changed since `expected_version`."""
        self.actor.require("note.write")
        with self.db.atomic():
            note = self._draft_for_edit(note_id, "status")
            self._require_author(note, "delete this draft")
            query = Note.delete().where((Note.id == note.id) & (Note.status == "draft"))
            if expected_version is not None:
                query = query.where(Note.version == expected_version)
            if query.execute() != 1:
                raise ConcurrentEdit("This note was changed since you opened it; reload it. Nothing was deleted.")
            self._audit("delete", "note", note.id, client_id=note.client_id)
        return Changes.of("note", client_id=note.client_id)

    def sign(self, note_id, expected_version: int, *,
             overrides: Iterable[NameOverride | dict] = ()) -> tuple[NoteView, Changes]:
        """Sign and lock a note (only its author). Staff needing co-signature leave it
        "awaiting_cosign". Raises RecordLocked if already signed, ValidationError listing what
        is missing (sections, minutes; for a group note attendance and the shared part), and
        OtherClientNamed (naming the field, carrying the findings) when the note names another
        client — another member of its group session, any member in the session's shared part,
        or another client in care in full — and no override covers the words. Each override used
        is kept in the audit trail with the sign event, in the same transaction."""
        self.actor.require("note.sign")
        overrides = checked_overrides(overrides)
        with audit.batched():  # one transaction; the sign, seal and override events written together
            note = self._draft_for_edit(note_id, "status")
            self._require_author(note, "sign this note")
            problem = signing_problem(note, lookup_format(note.note_format)) or group_note_problem(note)
            if problem:
                raise problem
            findings = findings_for(note, overrides)
            refuse_if_named(findings)
            signer = acting_staff(self.actor)
            objectives = objective_ids_by_note([note.id]).get(note.id, [])
            values = signing_values(note, objectives, signer, utcnow())
            update_versioned(note, expected_version, **values)
            self._audit("sign", "note", note.id, client_id=note.client_id,
                        detail={"hash": values["content_hash"], "status": values["status"],
                                "attestation": self.attestation("note", values["signed_at"])})
            seal(note, provenance="sign", actor=self.actor)
            record_overrides(self.actor, note.id, note.client_id, findings, overrides, any_note=True)
        return self._view(note), Changes.of("note", client_id=note.client_id)

    def sign_new(self, create: Callable[[], tuple[NoteView, Changes]], *,
                 overrides: Iterable[NameOverride | dict] = ()) -> tuple[NoteView, Changes]:
        """Create a note with `create` (a call to `create_draft`) and sign it, in one transaction:
        when the draft or the signature is refused, for whatever reason, no note is left behind.
        Raises what `create_draft` and `sign` raise."""
        self.actor.require("note.sign")
        with self.db.atomic():
            draft, _ = create()
            return self.sign(draft.id, draft.version, overrides=overrides)

    def naming_other_clients(self, *, progress: Callable[[int, int], None] | None = None,
                             cancelled: Callable[[], bool] | None = None) -> NameReview:
        """Every signed note that names another client (see `notes.name_review`), for administrators and
        supervisors (`note.review_names`): whose note, date of service, author, the names found
        and the note id, never the rest of the text. Words overridden at signing are left out.
        Reading note text for this is audited: one "name_review" event for the scan and a "read"
        of each note listed (whose names were shown), with the clients it names."""
        self.actor.require("note.review_names")
        review = scan_signed_notes(progress=progress, cancelled=cancelled)
        with audit.batched():
            self._audit("name_review", "note", None, detail={
                "scanned": review.scanned, "total": review.total, "listed": len(review.notes)})
            for found in review.notes:
                self._audit("read", "note", found.note_id, client_id=found.client_id, detail={
                    "purpose": "names of other clients",
                    "named_client_ids": sorted({named for _, named, _, _ in found.names})})
        return review

    def name_people(self, client_id) -> tuple[Person, list[Person]]:
        """(the client's names, every client in care): what a screen checks a note against while
        it is typed (`iopdesk.clinical.name_checks.note_findings`). One query for all clients in care."""
        self.actor.require("chart.read")
        cid = client_uuid(client_id)
        if not Client.select().where(Client.id == cid).exists():
            raise NotFound(f"No client with id {client_id}.")
        return person(cid), people_in_care()

    def cosign(self, note_id, expected_version: int, *, comment: str = "") -> tuple[NoteView, Changes]:
        """Co-sign a note awaiting co-signature: only the author's supervisor (any holder of
        `note.cosign` when the author has none), never one's own note. The comment is kept in
        the audit trail. Raises RecordLocked if already co-signed, ValidationError otherwise."""
        self.actor.require("note.cosign")
        comment = bounded_text(comment, "comment", "Co-signature comment", STATEMENT)
        with self.db.atomic():
            note = self._note(note_id)
            if note.status == "cosigned":
                raise RecordLocked("This note is already co-signed; add an addendum instead.", field="status")
            if note.status != "awaiting_cosign":
                why = "its author has not signed it yet" if note.status == "draft" else "it needs none"
                raise ValidationError(f"Co-signature: {why}.", field="status")
            if note.author_id == self.actor.id:
                raise ValidationError("Co-signature: a supervisor cannot co-sign their own note.",
                                      field="cosigned_by")
            author = Staff.get_by_id(note.author_id)
            if author.supervisor_id is not None and author.supervisor_id != self.actor.id:
                name = Staff.get_by_id(author.supervisor_id).display_name
                raise ValidationError(
                    f"Co-signature: only {name}, {author.display_name}'s supervisor, co-signs this note.",
                    field="cosigned_by")
            cosigned_at = utcnow()
            update_versioned(note, expected_version, status="cosigned", cosigned_by=self.actor.id,
                             cosigned_at=cosigned_at)
            self._audit("cosign", "note", note.id, client_id=note.client_id,
                        detail={"comment": comment,
                                "attestation": self.attestation("cosign", cosigned_at)})
            seal(note, provenance="co-sign", actor=self.actor)
        return self._view(note), Changes.of("note", client_id=note.client_id)

    def add_addendum(self, note_id, text: str) -> tuple[AddendumView, Changes]:
        """Append a signed, dated addendum by the acting clinician to a signed note; the note
        itself never changes. Raises ValidationError for a draft or a blank text."""
        self.actor.require("note.write")
        body = required_text(text, "text", "Addendum", max_length=NOTE_SECTION)
        with self.db.atomic():
            note = self._note(note_id)
            if note.status not in SIGNED_STATES:
                raise ValidationError("Addendum: the note is still a draft; edit it instead.", field="text")
            author = acting_staff(self.actor)
            now = utcnow()
            digest = content_hash({"note": note.id, "note_hash": note.content_hash, "text": body,
                                   "author": author.id, "signed_at": now})
            row = NoteAddendum.create(note=note, author=author, text=body, signed_at=now, content_hash=digest)
            self._audit("addendum", "note", note.id, client_id=note.client_id,
                        detail={"addendum": row.id, "hash": digest})
            seal(row, provenance="addendum", actor=self.actor)
            number = NoteAddendum.select().where(NoteAddendum.note == note.id).count()
        view = AddendumView(str(row.id), f"Addendum {number}", author.display_name, body, now, digest)
        return view, Changes.of("note", client_id=note.client_id)

    # -- helpers --------------------------------------------------------------------------
    def _note(self, note_id) -> Note:
        note = Note.get_or_none(Note.id == _note_uuid(note_id))
        if note is None:
            raise NotFound(f"No note with id {note_id}.")
        return note

    def _draft_for_edit(self, note_id, field: str) -> Note:
        note = self._note(note_id)
        if note.status in SIGNED_STATES:
            raise RecordLocked(
                "This note is signed and cannot be changed; add an addendum instead.", field=field
            )
        return note

    def _require_author(self, note: Note, what: str) -> None:
        if note.author_id != self.actor.id:
            raise ValidationError(f"Only the author can {what}.", field="author")

    @staticmethod
    def _view(note: Note) -> NoteView:
        return note_view(note)
