"""Therapy groups and their sessions: defining a group with its weekly schedule and facilitators,
generating sessions, enrolment, the roster, attendance, and the session's notes (shared part,
each attendee's individualized part, the name checks, signing them all — with overrides, and a
preview of what would be signed for the attestation).

Invariants: sessions are generated at most once per group, date and start time; a client is
enrolled only while in an open episode, and once at a time per group; every write to a session
(attendance, shared part, sections, signing) is one transaction whatever the number of clients,
with a constant number of queries apart from one audit event per client touched; the shared part
cannot change once a note of the session is signed (it is copied to every attendee's chart).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

import peewee

from iopdesk.audit import chain as audit
from iopdesk.audit.sealing import seal, seal_rows
from iopdesk.clinical.name_checks import session_findings
from iopdesk.clinical.name_rules import Finding, NameOverride, Person, checked_overrides
from iopdesk.clinical.note_rules import SIGNED_STATES
from iopdesk.clinical.program_rules import rule
from iopdesk.clinical.staff import acting_staff
from iopdesk.errors import NotFound, RecordLocked, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.text_limits import NAME, NOTE_SECTION
from iopdesk.kernel.validation import as_date, check_length
from iopdesk.models import (
    Attendance,
    Client,
    GroupEnrollment,
    GroupSession,
    Note,
    SessionFacilitator,
    Staff,
)
from iopdesk.services.clients import client_uuid
from iopdesk.services.groups.attendance import save_attendance, session_attendance
from iopdesk.services.groups.day import DaySession, sessions_on
from iopdesk.services.groups.notes import (
    BlockedSection,
    SessionWarning,
    SignAllResult,
    save_sections,
    session_participants,
    session_people,
    shared_fields,
    sign_session,
)
from iopdesk.services.groups.setup import GroupSetup, GroupView, SessionView, session_views
from iopdesk.services.groups.sign_in_sheet import SignInSheets
from iopdesk.services.notes.names import record_overrides
from iopdesk.services.notes.service import NoteView, note_view
from iopdesk.storage.records import as_uuid, update_versioned

__all__ = [
    "AttendanceEntry", "BlockedSection", "ClientSection", "EnrollmentView", "GroupService", "GroupView",
    "NameOverride", "RosterRow", "SessionView", "SessionWarning", "SignAllResult",
]


@dataclass(frozen=True)
class EnrollmentView:
    id: str
    group_id: str
    client_id: str
    episode_id: str
    enrolled_on: dt.date
    ended_on: dt.date | None


@dataclass(frozen=True)
class RosterRow:
    """One client on a session's roster, as the facilitator's screen shows them."""

    client_id: str
    mrn: str
    display_name: str
    initials: str
    status: str | None
    arrived_at: dt.time | None
    left_at: dt.time | None
    minutes: int | None
    note_id: str | None
    note_status: str | None
    objectives: tuple[tuple[str, str], ...]
    addressed_as: str = ""  # preferred (or legal) first name + last name, for the sign-in sheet
    name_words: tuple[str, ...] = ()  # every name the client goes by, to keep out of others' charts
    person: Person | None = None  # legal first, last and preferred name, for the live name checks


@dataclass(frozen=True)
class AttendanceEntry:
    client_id: object
    status: str
    arrived_at: dt.time | str | None = None
    left_at: dt.time | str | None = None
    minutes: int | None = None


@dataclass(frozen=True)
class ClientSection:
    client_id: object
    sections: dict = field(default_factory=dict)
    objective_ids: tuple = ()


def _session_uuid(session_id) -> uuid.UUID:
    return as_uuid(session_id, "group session")


def _changes(kinds: Iterable[str], client_ids: Iterable) -> Changes:
    return Changes(frozenset(kinds), frozenset(str(c) for c in client_ids))


class GroupService(GroupSetup, SignInSheets):
    # -- enrolment --------------------------------------------------------------------------
    def enroll(self, group_id, client_id, enrolled_on: dt.date | str) -> tuple[EnrollmentView, Changes]:
        """Enrol a client in an open episode. Raises ValidationError naming the field: no open
        episode, a date before admission, already enrolled; NotFound for an unknown group or client."""
        self.actor.require("group.run")
        when = as_date(enrolled_on, "enrolled_on", "Enrolled on")
        cid = client_uuid(client_id)
        with self.db.atomic():
            group = self._group(group_id)
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            episode = self._open_episode(cid)
            if when < episode.admitted_on:
                raise ValidationError("Enrolled on: before the client's admission.", field="enrolled_on")
            if GroupEnrollment.select().where(
                (GroupEnrollment.group == group.id) & (GroupEnrollment.client == cid)
                & (GroupEnrollment.ended_on.is_null() | (GroupEnrollment.ended_on >= when))
            ).exists():
                raise ValidationError("Client: already enrolled in this group.", field="client_id")
            row = GroupEnrollment.create(group=group, client=cid, episode=episode, enrolled_on=when)
            self._audit("create", "enrollment", row.id, client_id=cid, detail={"group": group.id})
        return self._enrollment_view(row), _changes(["enrollment"], [cid])

    def end_enrollment(self, group_id, client_id, ended_on: dt.date | str) -> tuple[EnrollmentView, Changes]:
        """End a client's current enrolment. Raises ValidationError for an end before it began,
        NotFound when the client is not enrolled."""
        self.actor.require("group.run")
        when = as_date(ended_on, "ended_on", "Ended on")
        cid = client_uuid(client_id)
        with self.db.atomic():
            group = self._group(group_id)
            row = GroupEnrollment.get_or_none(
                (GroupEnrollment.group == group.id) & (GroupEnrollment.client == cid)
                & GroupEnrollment.ended_on.is_null())
            if row is None:
                raise NotFound("This client is not enrolled in this group.", field="client_id")
            if when < row.enrolled_on:
                raise ValidationError("Ended on: before the enrolment began.", field="ended_on")
            GroupEnrollment.update(ended_on=when, version=GroupEnrollment.version + 1).where(
                GroupEnrollment.id == row.id).execute()
            row.ended_on = when
            self._audit("update", "enrollment", row.id, client_id=cid, detail={"ended_on": when})
        return self._enrollment_view(row), _changes(["enrollment"], [cid])

    def day_sessions(self, day: dt.date | str) -> list[DaySession]:
        """Every group session of the clinic on `day`, by start time, with roster and attendance
        counts; `mine` marks those the signed-in user facilitates. A fixed number of queries."""
        self.actor.require("chart.read")
        return sessions_on(as_date(day, "day", "Day"), self.actor.id)

    # -- the session -----------------------------------------------------------------------
    def roster(self, session_id) -> list[RosterRow]:
        """Clients enrolled on the session's date (and anyone with attendance recorded), by last
        name, with attendance, group note and the active objectives of their latest plan."""
        self.actor.require("chart.read_narrative")
        session = self._session(session_id)
        attendance = session_attendance(session.id)
        notes = {c: (i, s) for c, i, s in Note.select(Note.client, Note.id, Note.status).where(
            Note.group_session == session.id).tuples()}
        people = self._people(session, set(attendance) | set(notes))
        offered = self._objectives_offered([uuid.UUID(p.client_id) for p in people])
        rows = []
        for person, mrn in zip(people, self._mrns(people), strict=True):
            cid = uuid.UUID(person.client_id)
            status, arrived, left, minutes = attendance.get(cid, (None, None, None, None))
            note_id, note_status = notes.get(cid, (None, None))
            rows.append(RosterRow(person.client_id, mrn, person.display_name, person.initials, status,
                                  arrived, left, minutes, str(note_id) if note_id else None, note_status,
                                  tuple(offered.get(cid, ())), person.addressed_as, tuple(sorted(person.words())),
                                  person))
        return rows

    def record_attendance(self, session_id, client_id, status: str, arrived_at=None, left_at=None,
                          minutes: int | None = None) -> Changes:
        """Record (or correct) one client's attendance; see `save_session` for the rules."""
        entry = AttendanceEntry(client_id, status, arrived_at, left_at, minutes)
        return self.save_session(session_id, attendance=[entry])[1]

    def save_shared_note(self, session_id, topic: str, modality: str, shared_note: str) -> tuple[SessionView, Changes]:
        """Save the shared part (topic, modality, narrative) copied into every attendee's chart."""
        return self.save_session(session_id, topic=topic, modality=modality, shared_note=shared_note)

    def save_client_section(self, session_id, client_id, sections: dict, objective_ids=()) -> tuple[NoteView, Changes]:
        """Create or update one attendee's group note (GROUP format); see `save_session`."""
        _, changes = self.save_session(session_id, sections=[ClientSection(client_id, sections, tuple(objective_ids))])
        cid = client_uuid(client_id)
        note = Note.get((Note.group_session == _session_uuid(session_id)) & (Note.client == cid))
        return note_view(note), changes

    def save_session(
        self, session_id, *, topic: str | None = None, modality: str | None = None,
        shared_note: str | None = None, attendance: Iterable[AttendanceEntry] = (),
        sections: Iterable[ClientSection] = (), expected_version: int | None = None,
    ) -> tuple[SessionView, Changes]:
        """Save a session at once, in one transaction: the shared part (when any of topic,
        modality, shared note is given), attendance (upserted; minutes from arrival to departure
        within the session; present is the whole session; absent and cancelled are 0) and each
        attendee's individualized section (their group note draft, minutes = attendance minutes).

        Raises ValidationError naming the field (unknown status, times outside the session,
        arrival after departure, minutes over the session's length, a client not enrolled, a
        section for a client who did not attend), RecordLocked for a signed note or a shared part
        that signed notes already carry. Nothing is saved when anything is refused. With
        `expected_version` (the session's version when the screen read it) a save made meanwhile
        at another workstation is refused with ConcurrentEdit naming who and when.
        """
        attendance, sections = list(attendance), list(sections)
        shared = (topic, modality, shared_note) != (None, None, None)
        if attendance or shared:
            self.actor.require("group.run")
        if sections:
            self.actor.require("note.write")
        if not (attendance or shared or sections):
            self.actor.require("group.run")
        kinds, touched = {"group_session"}, set()
        with audit.batched():  # one transaction; its ~30 audit events chained in one write
            session = self._session(session_id)
            if expected_version is not None:
                update_versioned(session, expected_version)
            if shared:
                self._save_shared(session, topic, modality, shared_note)
            if attendance:
                entries = self._unique({client_uuid(e.client_id): (e.status, e.arrived_at, e.left_at, e.minutes)
                                        for e in attendance}, len(attendance))
                allowed = {uuid.UUID(p.client_id) for p in self._people(session, set())} | set(
                    session_attendance(session.id))
                for cid in save_attendance(session, entries, allowed):
                    self._audit("attendance", "group_session", session.id, client_id=cid,
                                detail={"status": entries[cid][0]})
                    touched.add(cid)
                kinds |= {"attendance", "note"}
                self._mark_held(session)
            if sections:
                touched |= self._save_sections(session, sections)
                kinds.add("note")
        return session_views(GroupSession.id == session.id)[0], _changes(kinds, touched)

    def warnings(self, session_id, overrides: Iterable[NameOverride | dict] = ()) -> list[Finding]:
        """What the facilitator checks before signing, read from the saved session: another
        member's name in a section (blocking for a full name or a name theirs alone in the group,
        a warning for a name members share), near-identical text across clients (a warning), any
        member's name in the shared part (blocking the session). See `iopdesk.clinical.name_checks`."""
        self.actor.require("chart.read_narrative")
        session = self._session(session_id)
        sections = self.saved_sections(session.id)
        attendance = session_attendance(session.id)
        people = self._people(session, set(attendance) | {uuid.UUID(c) for c in sections})
        return session_findings(people, sections, shared_fields(session),
                                threshold=float(rule("group_notes", "similarity_warning")),
                                overrides=checked_overrides(overrides))

    def saved_sections(self, session_id) -> dict[str, dict[str, str]]:
        """Client id → the saved GROUP sections of each note of the session (one query), for the
        screen's checks of clients whose section it has not opened."""
        self.actor.require("chart.read_narrative")
        sid = _session_uuid(session_id)
        return {str(c): s for c, s in Note.select(Note.client, Note.sections).where(
            Note.group_session == sid).tuples()}

    def sign_all(self, session_id, overrides: Iterable[NameOverride | dict] = ()) -> tuple[SignAllResult, Changes]:
        """Sign, in one transaction, every complete group note of the session that the acting
        user wrote (all GROUP sections filled, the client attended) and that names no other
        client; list every other client with the reason, and each section held back by a name
        (`blocked`, with its findings). A section naming another member — in full, or by a name
        theirs alone in the group — is signed only when an override with a reason covers each
        such name (`NameOverride(words, named_client_id, reason, note_of=client id)`; note_of
        None for the shared part); each override used is kept in the audit trail. Nothing is
        signed while the shared part is empty or names a member. Notes of staff needing
        co-signature wait for their supervisor, as any note does."""
        self.actor.require("note.sign")
        overrides = checked_overrides(overrides)
        with audit.batched():  # one transaction; every note's sign event chained in one write
            session = self._session(session_id)
            signer = acting_staff(self.actor)
            attendance = session_attendance(session.id)
            result, signed, findings = self._sign_session(session, attendance, signer, overrides, write=True)
            attested = self.attestation("group_session", signed[0].signed_at) if signed else ""
            for note in signed:
                self._audit("sign", "note", note.id, client_id=note.client_id,
                            detail={"hash": note.content_hash, "status": note.status, "session": session.id,
                                    "attestation": attested})
                mine = [f for f in findings if f.client_id in (str(note.client_id), None)]
                record_overrides(self.actor, note.id, note.client_id, mine, overrides)
            if signed:
                seal_rows("note", [n.id for n in signed], provenance="group session sign-off", actor=self.actor)
                seal(session, provenance="group session sign-off", actor=self.actor)
        return result, _changes(["note"], result.signed)

    def sign_preview(self, session_id, overrides: Iterable[NameOverride | dict] = ()) -> SignAllResult:
        """What `sign_all` would sign now with these overrides, and what it would leave out and
        why; writes nothing. The screen lists it in the attestation before signing."""
        self.actor.require("note.sign")
        overrides = checked_overrides(overrides)
        session = self._session(session_id)
        signer = acting_staff(self.actor)
        return self._sign_session(session, session_attendance(session.id), signer, overrides, write=False)[0]

    def _sign_session(self, session: GroupSession, attendance: dict, signer: Staff,
                      overrides: list[NameOverride], *, write: bool):
        people = self._people(session, set(attendance))
        clients = [uuid.UUID(p.client_id) for p in people]
        shared = shared_fields(session)

        def check(sections: dict[str, dict]) -> list[Finding]:
            known = {p.client_id for p in people}
            extra = {uuid.UUID(c) for c in sections if c not in known}
            members = people + [p for p in self._people(session, extra) if p.client_id not in known] \
                if extra else people
            return session_findings(members, sections, shared, overrides=overrides)

        return sign_session(session, clients, attendance, signer, check=check, write=write,
                            lock=isinstance(self.db, peewee.PostgresqlDatabase))

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _unique(entries: dict, given: int) -> dict:
        if len(entries) != given:
            raise ValidationError("Client: listed twice for this session.", field="client_id")
        return entries

    def _save_shared(self, session: GroupSession, topic, modality, shared_note) -> None:
        if Note.select().where((Note.group_session == session.id) & Note.status.in_(SIGNED_STATES)).exists():
            raise RecordLocked("Shared note: notes of this session are signed and carry it; add an addendum "
                               "to a note instead.", field="shared_note")
        values = {"topic": (topic if topic is not None else session.topic).strip(),
                  "modality": (modality if modality is not None else session.modality).strip(),
                  "shared_note": (shared_note if shared_note is not None else session.shared_note).strip()}
        if not values["topic"]:
            raise ValidationError("Topic: this field is required.", field="topic")
        check_length(values["topic"], "topic", "Topic", NAME)
        check_length(values["modality"], "modality", "Modality", NAME)
        check_length(values["shared_note"], "shared_note", "Shared note", NOTE_SECTION)
        GroupSession.update(version=GroupSession.version + 1, **values).where(GroupSession.id == session.id).execute()
        self._audit("update", "group_session", session.id, detail={"topic": values["topic"]})

    @staticmethod
    def _mark_held(session: GroupSession) -> None:
        if session.status == "scheduled" and Attendance.select().where(
                (Attendance.session == session.id) & (Attendance.minutes > 0)).exists():
            GroupSession.update(status="held", version=GroupSession.version + 1).where(
                GroupSession.id == session.id).execute()

    def _save_sections(self, session: GroupSession, sections: list[ClientSection]) -> set[uuid.UUID]:
        entries = self._unique({client_uuid(s.client_id): (s.sections, list(s.objective_ids)) for s in sections},
                               len(sections))
        names = [n for (n,) in Staff.select(Staff.display_name).join(
            SessionFacilitator, on=(SessionFacilitator.staff == Staff.id)).where(
            SessionFacilitator.session == session.id).order_by(Staff.display_name).tuples()]
        place = self._group_site(session).place_of_service or "57"
        saved = save_sections(session, session_attendance(session.id), entries, acting_staff(self.actor),
                              session_participants(names), place)
        for cid, (note_id, action) in saved.items():
            self._audit(action, "note", note_id, client_id=cid, detail={"session": session.id})
        return set(saved)

    def _session(self, session_id) -> GroupSession:
        session = GroupSession.get_or_none(GroupSession.id == _session_uuid(session_id))
        if session is None:
            raise NotFound(f"No group session with id {session_id}.")
        return session

    @staticmethod
    def _people(session: GroupSession, also: set) -> list[Person]:
        """Clients enrolled on the session's date plus `also`, ordered by last and first name."""
        return session_people(session, also)

    @staticmethod
    def _mrns(people: list[Person]) -> list[str]:
        ids = [uuid.UUID(p.client_id) for p in people]
        mrns = dict(Client.select(Client.id, Client.mrn).where(Client.id.in_(ids)).tuples()) if ids else {}
        return [mrns[i] for i in ids]

    @staticmethod
    def _enrollment_view(row: GroupEnrollment) -> EnrollmentView:
        return EnrollmentView(str(row.id), str(row.group_id), str(row.client_id), str(row.episode_id),
                              row.enrolled_on, row.ended_on)
