"""The clinic's group sessions on one day, for the Groups page and the front desk: every session
with its type, facilitators and how many of its roster attended, in a fixed number of queries
however many groups run that day.

A session's roster is the clients enrolled in its group on the session's date plus anyone whose
attendance was recorded (the same people `GroupService.roster` lists); "attended" counts present,
late arrivals and early departures.
"""

from __future__ import annotations

import datetime as dt
import uuid
from dataclasses import dataclass

from iopdesk.clinical.attendance import gets_group_note
from iopdesk.models import (
    Attendance,
    GroupEnrollment,
    GroupSession,
    SessionFacilitator,
    TherapyGroup,
)
from iopdesk.services.groups.setup import SessionView, session_views


@dataclass(frozen=True)
class DaySession:
    """A session of the day with its roster counts; `mine` when the given staff member facilitates."""

    session: SessionView
    group_type: str
    enrolled: int
    recorded: int
    attended: int
    mine: bool


def sessions_on(day: dt.date, staff_id: uuid.UUID | None) -> list[DaySession]:
    """Every group session on `day`, by start time (six queries); `mine` when `staff_id` leads or
    co-facilitates it."""
    views = session_views(GroupSession.session_date == day)
    if not views:
        return []
    ids = [uuid.UUID(v.id) for v in views]
    group_ids = {uuid.UUID(v.group_id) for v in views}
    types = dict(TherapyGroup.select(TherapyGroup.id, TherapyGroup.group_type)
                 .where(TherapyGroup.id.in_(list(group_ids))).tuples())
    roster: dict[uuid.UUID, set[uuid.UUID]] = {g: set() for g in group_ids}
    enrolled = GroupEnrollment.select(GroupEnrollment.group, GroupEnrollment.client).where(
        GroupEnrollment.group.in_(list(group_ids)) & (GroupEnrollment.enrolled_on <= day)
        & (GroupEnrollment.ended_on.is_null() | (GroupEnrollment.ended_on >= day)))
    for group_id, client_id in enrolled.tuples():
        roster[group_id].add(client_id)
    recorded: dict[uuid.UUID, dict[uuid.UUID, str]] = {s: {} for s in ids}
    for session_id, client_id, status in Attendance.select(
            Attendance.session, Attendance.client, Attendance.status).where(Attendance.session.in_(ids)).tuples():
        recorded[session_id][client_id] = status
    mine: set[uuid.UUID] = set()
    if staff_id is not None:
        mine = {s for (s,) in SessionFacilitator.select(SessionFacilitator.session).where(
            SessionFacilitator.session.in_(ids) & (SessionFacilitator.staff == staff_id)).tuples()}
        mine |= {s for (s,) in GroupSession.select(GroupSession.id).where(
            GroupSession.id.in_(ids) & (GroupSession.lead_facilitator == staff_id)).tuples()}
    result = []
    for view, session_id in zip(views, ids, strict=True):
        statuses = recorded[session_id]
        people = roster[uuid.UUID(view.group_id)] | set(statuses)
        result.append(DaySession(
            view, types[uuid.UUID(view.group_id)], len(people), len(statuses),
            sum(1 for status in statuses.values() if gets_group_note(status)), session_id in mine))
    return result
