"""Defining therapy groups and generating their sessions: name, type, site, billing code,
facilitators and weekly schedule; the sessions of a date range; reading groups and sessions.

Invariants: a group has at least one facilitator (active clinicians; the first listed leads its
sessions) and a weekly schedule of slots that end the day they start; an active group's name is
unique at its site; generating sessions never duplicates a session of the same group, date and
start time, so it can be run again over any range.
"""

from __future__ import annotations

import datetime as dt
import re
import uuid
from dataclasses import dataclass

import peewee

from iopdesk.clinical.attendance import span_minutes
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.validation import as_date, as_time, required_text
from iopdesk.models import (
    Episode,
    GroupFacilitator,
    GroupScheduleSlot,
    GroupSession,
    PlanGoal,
    PlanObjective,
    PlanProblem,
    SessionFacilitator,
    Site,
    Staff,
    StaffRole,
    TherapyGroup,
    TreatmentPlan,
)
from iopdesk.services.base import Service
from iopdesk.services.episodes import OPEN_STATUSES, WEEKDAYS
from iopdesk.storage.records import as_uuid, fetch, insert_records

GROUP_TYPES = ("process", "cbt_dbt_skills", "psychoeducation", "relapse_prevention", "twelve_step",
               "multi_family")
GROUP_TYPE_LABELS = {"process": "Process", "cbt_dbt_skills": "CBT/DBT skills", "psychoeducation": "Psychoeducation",
                     "relapse_prevention": "Relapse prevention", "twelve_step": "Twelve-step",
                     "multi_family": "Multi-family"}
BILLING_CODE_RE = re.compile(r"^[A-Z0-9]{5}$")
MIN_MINUTES, MAX_MINUTES = 15, 720


@dataclass(frozen=True, order=True)
class ScheduleSlot:
    weekday: int  # 0 = Monday
    starts_at: dt.time
    minutes: int

    @property
    def day(self) -> str:
        return WEEKDAYS[self.weekday]


@dataclass(frozen=True)
class GroupView:
    id: str
    name: str
    group_type: str
    site_code: str
    default_minutes: int
    billing_code: str
    facilitators: tuple[str, ...]  # usernames, the lead first
    schedule: tuple[ScheduleSlot, ...]
    active: bool
    version: int


@dataclass(frozen=True)
class SessionView:
    id: str
    group_id: str
    group_name: str
    session_date: dt.date
    starts_at: dt.time
    ends_at: dt.time
    minutes: int
    status: str
    topic: str
    modality: str
    shared_note: str
    lead_facilitator: str | None
    facilitators: tuple[str, ...]  # display names
    version: int


def _minutes(value, field: str, label: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not MIN_MINUTES <= value <= MAX_MINUTES:
        raise ValidationError(f"{label}: between {MIN_MINUTES} and {MAX_MINUTES} minutes.", field=field)
    return value


def _slot(item, default_minutes: int) -> ScheduleSlot:
    parts = tuple(item) if isinstance(item, (tuple, list)) else ()
    if len(parts) not in (2, 3):
        raise ValidationError("Schedule: each slot is (weekday, start time[, minutes]).", field="schedule")
    day = parts[0]
    if isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
        weekday = day
    elif isinstance(day, str) and day.strip().upper()[:3] in WEEKDAYS:
        weekday = WEEKDAYS.index(day.strip().upper()[:3])
    else:
        raise ValidationError(f"Schedule: {day!r} is not a weekday (0–6 or MON…SUN).", field="schedule")
    start = as_time(parts[1], "schedule", "Schedule")
    if start is None:
        raise ValidationError("Schedule: each slot needs a start time.", field="schedule")
    minutes = _minutes(parts[2] if len(parts) == 3 else default_minutes, "schedule", "Schedule")
    if span_minutes(start, dt.time(23, 59)) + 1 < minutes:
        raise ValidationError("Schedule: a session must end on the day it starts.", field="schedule")
    return ScheduleSlot(weekday, start, minutes)


def _ends(start: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(dt.date(2000, 1, 1), start) + dt.timedelta(minutes=minutes)).time()


def session_views(where) -> list[SessionView]:
    """Sessions matching `where`, by date and start, with their facilitators (two queries)."""
    Lead = Staff.alias()
    query = (
        GroupSession.select(GroupSession, TherapyGroup.name, Lead.display_name)
        .join(TherapyGroup, on=(GroupSession.group == TherapyGroup.id))
        .switch(GroupSession)
        .join(Lead, peewee.JOIN.LEFT_OUTER, on=(GroupSession.lead_facilitator == Lead.id))
        .where(where)
        .order_by(GroupSession.session_date, GroupSession.starts_at, GroupSession.id)
        .objects()
    )
    rows = list(query)
    facilitators: dict[uuid.UUID, list[str]] = {}
    if rows:
        names = (
            SessionFacilitator.select(SessionFacilitator.session, Staff.display_name)
            .join(Staff, on=(SessionFacilitator.staff == Staff.id))
            .where(SessionFacilitator.session.in_([r.id for r in rows]))
            .order_by(SessionFacilitator.created_at, SessionFacilitator.id)
            .tuples()
        )
        for session_id, name in names:
            facilitators.setdefault(session_id, []).append(name)
    return [
        SessionView(str(r.id), str(r.group_id), r.name, r.session_date, r.starts_at, r.ends_at,
                    span_minutes(r.starts_at, r.ends_at), r.status, r.topic, r.modality, r.shared_note,
                    r.display_name, tuple(facilitators.get(r.id, ())), r.version)
        for r in rows
    ]


class GroupSetup(Service):
    def define_group(
        self, name: str, group_type: str, *, site_code: str | None = None, default_minutes: int = 180,
        billing_code: str = "90853", facilitators=(), schedule=(),
    ) -> tuple[GroupView, Changes]:
        """Define a group with its facilitators (usernames, the lead first) and weekly schedule
        of (weekday 0–6 or "MON", "09:00"[, minutes]). Raises ValidationError naming the field."""
        self.actor.require("group.define")
        title = required_text(name, "name", "Group name", max_length=100)
        if group_type not in GROUP_TYPES:
            raise ValidationError(f"Group type: {group_type!r} is not one of {', '.join(GROUP_TYPES)}.",
                                  field="group_type")
        minutes = _minutes(default_minutes, "default_minutes", "Default length")
        code = (billing_code or "").strip().upper()
        if not BILLING_CODE_RE.match(code):
            raise ValidationError("Billing code: a five-character CPT/HCPCS code such as 90853 or H0005.",
                                  field="billing_code")
        slots = [_slot(item, minutes) for item in schedule]
        if not slots:
            raise ValidationError("Schedule: add at least one weekly slot.", field="schedule")
        if len({(s.weekday, s.starts_at) for s in slots}) != len(slots):
            raise ValidationError("Schedule: the same weekday and start time is listed twice.", field="schedule")
        usernames = [str(u).strip().lower() for u in facilitators]
        if not usernames or len(set(usernames)) != len(usernames):
            raise ValidationError("Facilitators: name at least one, each once.", field="facilitators")
        with self.db.atomic():
            site = self._site(site_code)
            if TherapyGroup.select().where((TherapyGroup.site == site.id) & TherapyGroup.active
                                           & (peewee.fn.LOWER(TherapyGroup.name) == title.lower())).exists():
                raise ValidationError(f"Group name: {title!r} already exists at this site.", field="name")
            staff = dict(
                Staff.select(Staff.username, Staff.id).join(StaffRole, on=(StaffRole.staff == Staff.id))
                .where(Staff.username.in_(usernames) & Staff.active
                       & StaffRole.role.in_(("clinician", "supervisor"))).tuples())
            unknown = next((u for u in usernames if u not in staff), None)
            if unknown:
                raise ValidationError(f"Facilitators: {unknown!r} is not an active clinician.", field="facilitators")
            group = TherapyGroup.create(name=title, group_type=group_type, site=site, default_minutes=minutes,
                                        billing_code=code)
            insert_records(GroupFacilitator, [{"group": group.id, "staff": staff[u]} for u in usernames])
            insert_records(GroupScheduleSlot, [{"group": group.id, "weekday": s.weekday, "starts_at": s.starts_at,
                                                "minutes": s.minutes} for s in slots])
            self._audit("create", "group", group.id, detail={"name": title, "type": group_type})
        return self.get_group(group.id), Changes.of("group")

    def get_group(self, group_id) -> GroupView:
        self.actor.require("chart.read")
        group = self._group(group_id)
        usernames = [u for (u,) in Staff.select(Staff.username).join(
            GroupFacilitator, on=(GroupFacilitator.staff == Staff.id)).where(
            GroupFacilitator.group == group.id).order_by(GroupFacilitator.created_at, GroupFacilitator.id).tuples()]
        slots = GroupScheduleSlot.select(GroupScheduleSlot.weekday, GroupScheduleSlot.starts_at,
                                         GroupScheduleSlot.minutes).where(GroupScheduleSlot.group == group.id)
        return GroupView(str(group.id), group.name, group.group_type, self._group_site_code(group),
                         group.default_minutes, group.billing_code, tuple(usernames),
                         tuple(sorted(ScheduleSlot(*s) for s in slots.tuples())), group.active, group.version)

    def generate_sessions(self, group_id, from_date: dt.date | str, to_date: dt.date | str
                          ) -> tuple[list[SessionView], Changes]:
        """Create the sessions of every scheduled slot from `from_date` to `to_date` (inclusive)
        that do not exist yet, led by the first facilitator. Raises ValidationError for a range
        that ends before it starts or spans more than a year, or an inactive group."""
        self.actor.require("group.define")
        first = as_date(from_date, "from_date", "From")
        last = as_date(to_date, "to_date", "To")
        if last < first:
            raise ValidationError("To: before the first date.", field="to_date")
        if (last - first).days > 366:
            raise ValidationError("To: generate at most a year of sessions at once.", field="to_date")
        with self.db.atomic():
            group = self._group(group_id)
            if not group.active:
                raise ValidationError("Group: this group is no longer active.", field="group")
            slots = list(GroupScheduleSlot.select().where(GroupScheduleSlot.group == group.id))
            leads = [s for (s,) in GroupFacilitator.select(GroupFacilitator.staff).where(
                GroupFacilitator.group == group.id).order_by(GroupFacilitator.created_at, GroupFacilitator.id).tuples()]
            existing = set(GroupSession.select(GroupSession.session_date, GroupSession.starts_at).where(
                (GroupSession.group == group.id) & GroupSession.session_date.between(first, last)).tuples())
            rows = []
            for offset in range((last - first).days + 1):
                day = first + dt.timedelta(days=offset)
                for slot in slots:
                    if slot.weekday == day.weekday() and (day, slot.starts_at) not in existing:
                        rows.append({"group": group.id, "session_date": day, "starts_at": slot.starts_at,
                                     "ends_at": _ends(slot.starts_at, slot.minutes),
                                     "lead_facilitator": leads[0] if leads else None})
            insert_records(GroupSession, rows)
            insert_records(SessionFacilitator, [{"session": r["id"], "staff": s} for r in rows for s in leads])
            self._audit("generate", "group", group.id, detail={"from": first, "to": last, "sessions": len(rows)})
        created = session_views(GroupSession.id.in_([r["id"] for r in rows])) if rows else []
        return created, Changes.of("group_session") if rows else Changes()

    def sessions(self, group_id, from_date: dt.date | str, to_date: dt.date | str) -> list[SessionView]:
        """A group's sessions in a date range, by date and start time."""
        self.actor.require("chart.read")
        first, last = as_date(from_date, "from_date", "From"), as_date(to_date, "to_date", "To")
        return session_views((GroupSession.group == self._group(group_id).id)
                             & GroupSession.session_date.between(first, last))

    def session(self, session_id) -> SessionView:
        self.actor.require("chart.read")
        found = session_views(GroupSession.id == as_uuid(session_id, "group session"))
        if not found:
            raise NotFound(f"No group session with id {session_id}.")
        return found[0]

    # -- helpers ---------------------------------------------------------------------------
    def _site(self, site_code: str | None) -> Site:
        if not site_code:
            return self._clinic.site
        site = Site.get_or_none(Site.code == site_code.strip().upper())
        if site is None:
            raise ValidationError(f"Site: no site with code {site_code!r}.", field="site_code")
        return site

    @staticmethod
    def _group(group_id) -> TherapyGroup:
        group = fetch(TherapyGroup, group_id, "group")
        return group

    @staticmethod
    def _group_site_code(group: TherapyGroup) -> str:
        return Site.select(Site.code).where(Site.id == group.site_id).scalar() or ""

    @staticmethod
    def _group_site(session: GroupSession) -> Site:
        return Site.select().join(TherapyGroup, on=(TherapyGroup.site == Site.id)).where(
            TherapyGroup.id == session.group_id).get()

    @staticmethod
    def _open_episode(client_id: uuid.UUID) -> Episode:
        episode = Episode.get_or_none((Episode.client == client_id) & Episode.status.in_(OPEN_STATUSES))
        if episode is None:
            raise ValidationError("Client: has no open episode; admit the client first.", field="client_id")
        return episode

    @staticmethod
    def _objectives_offered(client_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[tuple[str, str]]]:
        """Active objectives of each client's latest plan in their open episode (two queries)."""
        if not client_ids:
            return {}
        plans = (
            TreatmentPlan.select(TreatmentPlan.id, TreatmentPlan.client, TreatmentPlan.plan_version)
            .join(Episode, on=(TreatmentPlan.episode == Episode.id))
            .where(TreatmentPlan.client.in_(client_ids) & Episode.status.in_(OPEN_STATUSES))
            .tuples()
        )
        latest: dict[uuid.UUID, tuple[uuid.UUID, int]] = {}
        for plan_id, client_id, version in plans:
            if client_id not in latest or version > latest[client_id][1]:
                latest[client_id] = (plan_id, version)
        owner = {plan_id: client_id for client_id, (plan_id, _) in latest.items()}
        out: dict[uuid.UUID, list[tuple[str, str]]] = {}
        if not owner:
            return out
        objectives = (
            PlanObjective.select(PlanObjective.id, PlanObjective.statement, PlanProblem.plan)
            .join(PlanGoal).join(PlanProblem)
            .where(PlanProblem.plan.in_(list(owner)) & (PlanObjective.status == "active"))
            .order_by(PlanProblem.position, PlanGoal.position, PlanObjective.position)
            .tuples()
        )
        for objective_id, statement, plan_id in objectives:
            out.setdefault(owner[plan_id], []).append((str(objective_id), statement))
        return out
