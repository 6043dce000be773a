"""What billing reads from the record for a date range, in a fixed number of queries (no query per
client or per day), reading rows raw: attended group sessions with their group and site, the notes that can be
billed (group, individual, family, medication management) with their family session's kind, the
clients with payer and member id, their episodes with level-of-care history, diagnoses,
authorizations, and the staff who render or co-sign. The result is plain data (`RecordSnapshot`)
that the derivation turns into lines and holds without touching the database again.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

import peewee

from iopdesk.clinical.attendance import ATTENDED
from iopdesk.models import (
    Attendance,
    Authorization,
    Client,
    Diagnosis,
    Episode,
    FamilySession,
    GroupSession,
    LevelOfCareChange,
    Note,
    Payer,
    Site,
    Staff,
    TherapyGroup,
)

BILLED_NOTE_KINDS = ("group", "individual", "family", "med_management")


@dataclass(frozen=True)
class ClientRow:
    id: object  # raw, as read
    client_id: str  # printed form
    mrn: str
    claim_name: str
    dob: dt.date
    payer_code: str
    payer_name: str
    member_id: str
    site_code: str


@dataclass(frozen=True)
class StaffRow:
    id: uuid.UUID
    name: str
    npi: str
    credentials: str
    needs_cosign: bool


@dataclass(frozen=True)
class AttendanceRow:
    id: uuid.UUID
    client_id: uuid.UUID
    service_date: dt.date
    minutes: int
    session_id: uuid.UUID
    group_name: str
    billing_code: str
    site_code: str
    place_of_service: str
    lead_id: uuid.UUID | None


@dataclass(frozen=True)
class NoteRow:
    id: uuid.UUID
    client_id: uuid.UUID
    episode_id: uuid.UUID | None
    kind: str
    service_date: dt.date
    starts_at: dt.time | None
    minutes: int
    place_of_service: str
    status: str
    author_id: uuid.UUID
    cosign_required: bool
    cosigned_by: uuid.UUID | None
    group_session_id: uuid.UUID | None
    family_kind: str | None


@dataclass(frozen=True)
class EpisodeRow:
    id: uuid.UUID
    client_id: uuid.UUID
    admitted_on: dt.date
    discharged_on: dt.date | None
    track: str
    level: str
    level_changes: tuple[tuple[dt.date, str], ...]  # (effective_on, level), oldest first

    def covers(self, day: dt.date) -> bool:
        return self.admitted_on <= day and (self.discharged_on is None or day <= self.discharged_on)

    def level_on(self, day: dt.date) -> str:
        level = None
        for effective, to_level in self.level_changes:
            if effective <= day:
                level = to_level
        return level or self.level


@dataclass(frozen=True)
class AuthorizationRow:
    id: uuid.UUID
    client_id: uuid.UUID
    payer_code: str
    number: str
    service_code: str
    starts_on: dt.date
    ends_on: dt.date
    units_authorized: int | None


@dataclass
class RecordSnapshot:
    clients: dict[uuid.UUID, ClientRow] = field(default_factory=dict)
    staff: dict[uuid.UUID, StaffRow] = field(default_factory=dict)
    supervisors: dict[uuid.UUID, uuid.UUID] = field(default_factory=dict)
    attendance: list[AttendanceRow] = field(default_factory=list)
    notes: list[NoteRow] = field(default_factory=list)
    episodes: dict[uuid.UUID, list[EpisodeRow]] = field(default_factory=dict)  # by client
    diagnoses: dict[uuid.UUID, list[tuple]] = field(default_factory=dict)  # by episode
    authorizations: dict[uuid.UUID, list[AuthorizationRow]] = field(default_factory=dict)  # by client

    def group_note(self) -> dict[tuple[uuid.UUID, uuid.UUID], NoteRow]:
        """Each client's group note by (group session, client)."""
        return {(n.group_session_id, n.client_id): n for n in self.notes
                if n.kind == "group" and n.group_session_id is not None}

    def episode_on(self, client_id: uuid.UUID, day: dt.date, episode_id: uuid.UUID | None = None):
        episodes = self.episodes.get(client_id, [])
        if episode_id is not None:
            for row in episodes:
                if row.id == episode_id:
                    return row
        covering = [e for e in episodes if e.covers(day)]
        return max(covering, key=lambda e: e.admitted_on) if covering else None


def canonical_id(value) -> str:
    """A raw id as read (hex text on SQLite, a UUID on PostgreSQL) in its usual printed form."""
    return str(value) if isinstance(value, uuid.UUID) else str(uuid.UUID(value))


def _date(value) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value[:10])


def raw_rows(query) -> list[tuple]:
    """The rows of a query as the driver returns them: peewee's per-value conversion costs about
    20 microseconds a row, too much for a month of a large clinic. Ids stay raw (compare them only
    with other raw ids); dates go through `_date`."""
    return query.model._meta.database.execute_sql(*query.sql()).fetchall()


def authorization_window(range_from: dt.date, range_to: dt.date) -> dt.date:
    """The earliest start of an authorization running in the range: units used from then on
    count against it, so derivation starts there (one query)."""
    earliest = (Authorization.select(peewee.fn.MIN(Authorization.starts_on))
                .where((Authorization.starts_on <= range_to) & (Authorization.ends_on >= range_from))
                .scalar())
    return min(range_from, _date(earliest)) if earliest else range_from


def read_record(date_from: dt.date, date_to: dt.date, *, notes_from: dt.date | None = None) -> RecordSnapshot:
    """Everything billing needs for services dated `date_from`..`date_to` (eight queries);
    individual, family and medication-management notes only from `notes_from` on (group notes
    and attendance from `date_from`, for counting authorization units)."""
    snap = RecordSnapshot()
    notes_from = notes_from or date_from
    in_range = GroupSession.session_date.between(date_from, date_to)
    attendance = (Attendance.select(
        Attendance.id, Attendance.client, GroupSession.session_date, Attendance.minutes, GroupSession.id,
        TherapyGroup.name, TherapyGroup.billing_code, Site.code, Site.place_of_service,
        GroupSession.lead_facilitator)
        .join(GroupSession).join(TherapyGroup).join(Site)
        .where(in_range & Attendance.status.in_(ATTENDED) & (Attendance.minutes > 0))
        .order_by(GroupSession.session_date, GroupSession.starts_at, Attendance.id))
    snap.attendance = [AttendanceRow(a, c, _date(d), m, s, g, code, site, pos, lead)
                       for a, c, d, m, s, g, code, site, pos, lead in raw_rows(attendance)]
    wanted = Note.service_date.between(notes_from, date_to) | (
        (Note.kind == "group") & Note.service_date.between(date_from, date_to))
    notes = (Note.select(
        Note.id, Note.client, Note.episode, Note.kind, Note.service_date, Note.starts_at, Note.minutes,
        Note.place_of_service, Note.status, Note.author, Note.cosign_required, Note.cosigned_by,
        Note.group_session, FamilySession.kind)
        .join(FamilySession, peewee.JOIN.LEFT_OUTER, on=(Note.family_session == FamilySession.id))
        .where(wanted & Note.kind.in_(BILLED_NOTE_KINDS))
        .order_by(Note.service_date, Note.starts_at, Note.id))
    snap.notes = [NoteRow(i, c, e, k, _date(d), t, m, pos, st, a, bool(req), cos, g, fk)
                  for i, c, e, k, d, t, m, pos, st, a, req, cos, g, fk in raw_rows(notes)]
    _read_staff(snap)
    if not snap.attendance and not snap.notes:
        return snap
    served = list({a.client_id for a in snap.attendance} | {n.client_id for n in snap.notes})
    query = (Client.select(Client.id, Client.mrn, Client.legal_last, Client.legal_first, Client.dob,
                           Payer.code, Payer.name, Client.member_id, Site.code)
             .join(Payer, peewee.JOIN.LEFT_OUTER).switch(Client).join(Site))
    for cid, mrn, last, first, dob, payer_code, payer_name, member_id, site in _for_clients(query, Client.id, served):
        snap.clients[cid] = ClientRow(cid, canonical_id(cid), mrn, f"{last}, {first}", _date(dob), payer_code or "",
                                      payer_name or "", (member_id or "").strip(), site)
    _read_episodes(snap, served)
    query = (Authorization.select(Authorization.id, Authorization.client, Payer.code, Authorization.number,
                                  Authorization.service_code, Authorization.starts_on, Authorization.ends_on,
                                  Authorization.units_authorized)
             .join(Payer).where(Authorization.starts_on <= date_to).order_by(Authorization.starts_on, Authorization.id))
    for a, c, payer, number, code, starts, ends, units in _for_clients(query, Authorization.client, served):
        snap.authorizations.setdefault(c, []).append(
            AuthorizationRow(a, c, payer, number, code or "", _date(starts), _date(ends), units))
    return snap


def _for_clients(query, column, client_ids: list, chunk: int = 5000) -> list[tuple]:
    """Raw rows of `query` for these clients (a fixed few statements: one per 5,000 clients)."""
    rows: list[tuple] = []
    for start in range(0, len(client_ids), chunk):
        rows.extend(raw_rows(query.where(column.in_(client_ids[start:start + chunk]))))
    return rows


def _read_episodes(snap: RecordSnapshot, served: list) -> None:
    changes: dict = defaultdict(list)
    rows = _for_clients(Episode.select(Episode.id, Episode.client, Episode.admitted_on, Episode.discharged_on,
                                       Episode.track, Episode.level_of_care), Episode.client, served)
    history = (LevelOfCareChange.select(LevelOfCareChange.episode, LevelOfCareChange.effective_on,
                                        LevelOfCareChange.to_level)
               .join(Episode).order_by(LevelOfCareChange.effective_on, LevelOfCareChange.created_at))
    for episode_id, effective, level in _for_clients(history, Episode.client, served):
        changes[episode_id].append((_date(effective), level))
    for episode_id, client_id, admitted, discharged, track, level in rows:
        snap.episodes.setdefault(client_id, []).append(EpisodeRow(
            episode_id, client_id, _date(admitted), _date(discharged), track, level,
            tuple(changes.get(episode_id, ()))))
    query = (Diagnosis.select(Diagnosis.episode, Diagnosis.code, Diagnosis.is_primary, Diagnosis.noted_on,
                              Diagnosis.resolved_on)
             .join(Episode).order_by(Diagnosis.noted_on, Diagnosis.code))
    for episode_id, code, primary, noted, resolved in _for_clients(query, Episode.client, served):
        snap.diagnoses.setdefault(episode_id, []).append((code, bool(primary), _date(noted), _date(resolved)))


def _read_staff(snap: RecordSnapshot) -> None:
    query = Staff.select(Staff.id, Staff.display_name, Staff.npi, Staff.credentials, Staff.needs_cosign,
                         Staff.supervisor)
    for sid, name, npi, credentials, needs_cosign, supervisor in raw_rows(query):
        snap.staff[sid] = StaffRow(sid, name, npi or "", credentials or "", bool(needs_cosign))
        if supervisor is not None:
            snap.supervisors[sid] = supervisor
