"""Attendance rules of a level of care: hours a week from recorded group attendance, and the flags
a clinician must see (under the level's weekly minimum, absences in a row, a long gap, a stay past
its expected length).

Weeks run Monday to Sunday. Hours count the minutes of attendance rows that were attended
(present, late arrival, left early) at group sessions dated inside the episode; absences are
the absent (excused or no-show) rows. The minimum is the level of care in force at the end of the
week (`levels_of_care.json`), the adolescent one when the client is younger than
`attendance.adolescent_age_below` that week. Every number a flag uses is a program rule. Reads
only; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import peewee

from iopdesk.clinical.attendance import ATTENDED
from iopdesk.clinical.program_rules import level_of_care, rule
from iopdesk.clinical.staff import staff_for
from iopdesk.errors import NotFound
from iopdesk.kernel.clock import today
from iopdesk.kernel.formats import date_text
from iopdesk.kernel.validation import as_date
from iopdesk.models import Attendance, Client, Episode, GroupSession, LevelOfCareChange
from iopdesk.services.base import Service
from iopdesk.services.episodes import episode_uuid
from iopdesk.services.work_items import WorkItem, display_name

ABSENT = ("absent_excused", "absent_unexcused")


@dataclass(frozen=True)
class WeekHours:
    week_start: dt.date
    week_end: dt.date
    minutes: int
    days_attended: int
    sessions_missed: int
    level: str
    min_hours: float | None
    complete: bool

    @property
    def hours(self) -> float:
        return round(self.minutes / 60, 2)

    @property
    def under_minimum(self) -> bool:
        return bool(self.min_hours) and self.hours < self.min_hours


# What makes each flag go: flags are computed from the record, never stored, so no one resolves
# one by hand; the chart says this where it lists them among the active alerts.
FLAG_CLEARS = {
    "under_minimum": "Clears when that week's attended hours reach the minimum (attendance recorded or "
                     "corrected), and by itself once the week is more than a week past.",
    "absent_in_a_row": "Clears when the client next attends a scheduled session.",
    "gap": "Clears when the client next attends a session.",
    "past_expected_length": "Clears when the client is discharged.",
}


@dataclass(frozen=True)
class AttendanceFlag:
    kind: str
    reason: str
    since: dt.date | None = None

    @property
    def clears_when(self) -> str:
        """What makes the flag go (it is computed, so it cannot be resolved by hand)."""
        return FLAG_CLEARS.get(self.kind, "Clears when the attendance record no longer shows it.")


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def _age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def min_hours(level: str, dob: dt.date, day: dt.date, adolescent_below: int) -> float | None:
    """The weekly minimum of `level` for a client born on `dob`, on `day` (adolescent minimum
    under the age `adolescent_below`)."""
    return level_of_care(level).min_hours(_age_on(dob, day) < adolescent_below)


def _week_reason(week: WeekHours) -> str:
    return (f"{week.hours:g} hours in the week of {date_text(week.week_start)}; level {week.level} needs "
            f"at least {week.min_hours:g}")


class AttendanceRuleService(Service):
    def hours_by_week(self, episode_id, weeks: int = 4, *, on: dt.date | str | None = None) -> list[WeekHours]:
        """The last `weeks` weeks of the episode up to the week holding `on` (default today),
        oldest first, never before the week of admission nor after discharge."""
        self.actor.require("chart.read")
        day = as_date(on or today(), "on", "Date")
        episode, dob = self._episode(episode_id)
        last_day = min(day, episode.discharged_on or day)
        first_week = max(week_start(last_day) - dt.timedelta(weeks=max(weeks, 1) - 1),
                         week_start(episode.admitted_on))
        rows = self._rows(episode, first_week, last_day)
        levels = self._levels(episode)
        below = rule("attendance", "adolescent_age_below")
        result = []
        start = first_week
        while start <= last_day:
            end = start + dt.timedelta(days=6)
            in_week = [r for r in rows if start <= r[0] <= end]
            attended = [r for r in in_week if r[1] in ATTENDED]
            level = _level_on(levels, min(end, last_day), episode.level_of_care)
            result.append(WeekHours(
                week_start=start, week_end=end, minutes=sum(r[2] for r in attended),
                days_attended=len({r[0] for r in attended}),
                sessions_missed=sum(1 for r in in_week if r[1] in ABSENT), level=level,
                min_hours=min_hours(level, dob, start, below), complete=end < day,
            ))
            start += dt.timedelta(days=7)
        return result

    def flags(self, episode_id, *, on: dt.date | str | None = None) -> list[AttendanceFlag]:
        """What the attendance rules flag for an episode on `on` (default today), each naming its
        reason: under the level's minimum last complete week, or this week once its last scheduled
        day has come; absent `attendance.absent_in_a_row_flag` scheduled days in a row; no attended
        session for more than `attendance.max_gap_days`; in treatment past the expected weeks."""
        self.actor.require("chart.read")
        day = as_date(on or today(), "on", "Date")
        episode, _dob = self._episode(episode_id)
        found: list[AttendanceFlag] = []
        schedule = [d for d in episode.schedule_days.split(",") if d]
        last_scheduled = max((("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN").index(d) for d in schedule),
                             default=6)
        for week in self.hours_by_week(episode.id, 2, on=day):
            counts = week.complete or day.weekday() >= last_scheduled
            if counts and week.week_start >= episode.admitted_on and week.under_minimum:
                found.append(AttendanceFlag("under_minimum", f"Under the minimum: {_week_reason(week)}.",
                                            week.week_start))
        rows = self._rows(episode, episode.admitted_on, day)
        found += self._absence_flags(rows, episode, day)
        expected_end = episode.admitted_on + dt.timedelta(weeks=episode.expected_weeks)
        if episode.status == "active" and day > expected_end:
            weeks_in = (day - episode.admitted_on).days // 7
            found.append(AttendanceFlag(
                "past_expected_length",
                f"In treatment {weeks_in} weeks; expected length was {episode.expected_weeks} weeks "
                f"(to {date_text(expected_end)}).", expected_end))
        return found

    def clients_under_minimum(self, clinician: str | None = None, *, on: dt.date | str | None = None
                              ) -> list[WorkItem]:
        """Clients in an open episode (of one primary clinician, if given) whose attended hours in
        the last complete week before `on` were under their level's minimum. Two queries."""
        self.actor.require("chart.read")
        day = as_date(on or today(), "on", "Date")
        start = week_start(day) - dt.timedelta(days=7)
        end = start + dt.timedelta(days=6)
        minutes = (Attendance.select(Attendance.client.alias("client_id"),
                                     peewee.fn.SUM(Attendance.minutes).alias("minutes"))
                   .join(GroupSession)
                   .where(GroupSession.session_date.between(start, end) & Attendance.status.in_(ATTENDED))
                   .group_by(Attendance.client))
        query = (Episode.select(Episode.id, Client.id, Client.mrn, Client.preferred_name, Client.legal_first,
                                Client.legal_last, Client.dob, Episode.level_of_care, minutes.c.minutes)
                 .join(Client)
                 .join(minutes, peewee.JOIN.LEFT_OUTER, on=(minutes.c.client_id == Client.id))
                 .where((Episode.status == "active") & (Episode.admitted_on <= start)))
        if clinician is not None:
            query = query.where(Episode.primary_clinician == staff_for(clinician, "Clinician", "clinician").id)
        rows = list(query.tuples())
        later = {}
        if rows:
            changes = (LevelOfCareChange.select(LevelOfCareChange.episode, LevelOfCareChange.from_level)
                       .where(LevelOfCareChange.effective_on > end)
                       .order_by(LevelOfCareChange.effective_on.desc(), LevelOfCareChange.created_at.desc()))
            later = {e: lvl for e, lvl in changes.tuples() if lvl}
        below = rule("attendance", "adolescent_age_below")
        items = []
        for episode_id, cid, mrn, pref, first, last, dob, level, total in rows:
            level = later.get(episode_id, level)
            week = WeekHours(start, end, int(total or 0), 0, 0, level, min_hours(level, dob, start, below), True)
            if week.under_minimum:
                items.append(WorkItem(
                    kind="under_minimum", client_id=str(cid), mrn=mrn, client_name=display_name(pref, first, last),
                    what="Under the attendance minimum", why=_week_reason(week),
                    target=f"client:{cid}/attendance", episode_id=str(episode_id), due_on=start))
        return sorted(items, key=lambda i: i.client_name)

    # -- helpers ------------------------------------------------------------------------------
    @staticmethod
    def _episode(episode_id) -> tuple[Episode, dt.date]:
        row = (Episode.select(Episode, Client.dob).join(Client)
               .where(Episode.id == episode_uuid(episode_id)).objects().first())
        if row is None:
            raise NotFound(f"No episode with id {episode_id}.")
        return row, row.dob

    @staticmethod
    def _rows(episode: Episode, start: dt.date, end: dt.date) -> list[tuple[dt.date, str, int]]:
        """(session date, status, minutes) of the client's attendance in the episode, oldest first."""
        start = max(start, episode.admitted_on)
        end = min(end, episode.discharged_on or end)
        return list(Attendance.select(GroupSession.session_date, Attendance.status, Attendance.minutes)
                    .join(GroupSession)
                    .where((Attendance.client == episode.client_id)
                           & GroupSession.session_date.between(start, end))
                    .order_by(GroupSession.session_date, GroupSession.starts_at).tuples())

    @staticmethod
    def _levels(episode: Episode) -> list[tuple[dt.date, str]]:
        return list(LevelOfCareChange.select(LevelOfCareChange.effective_on, LevelOfCareChange.to_level)
                    .where(LevelOfCareChange.episode == episode.id)
                    .order_by(LevelOfCareChange.effective_on, LevelOfCareChange.created_at).tuples())

    @staticmethod
    def _absence_flags(rows, episode: Episode, day: dt.date) -> list[AttendanceFlag]:
        found = []
        by_day: dict[dt.date, set[str]] = {}
        for session_date, status, _minutes in rows:
            by_day.setdefault(session_date, set()).add(status)
        in_a_row, since = 0, None
        for session_date in sorted(by_day, reverse=True):
            statuses = by_day[session_date]
            if statuses & set(ATTENDED):
                break
            if statuses & set(ABSENT):
                in_a_row, since = in_a_row + 1, session_date
        limit = rule("attendance", "absent_in_a_row_flag")
        if in_a_row >= limit:
            found.append(AttendanceFlag(
                "absent_in_a_row", f"Absent {in_a_row} scheduled days in a row (since {date_text(since)}).", since))
        attended_days = [d for d, statuses in by_day.items() if statuses & set(ATTENDED)]
        last = max(attended_days, default=None)
        gap = (day - (last or episode.admitted_on)).days
        if episode.status == "active" and gap > rule("attendance", "max_gap_days"):
            what = f"last attended {date_text(last)}" if last else f"none since admission {date_text(episode.admitted_on)}"
            found.append(AttendanceFlag(
                "gap", f"No attended session for {gap} days ({what}); the limit is "
                f"{rule('attendance', 'max_gap_days')} days.", last or episode.admitted_on))
        return found


def _level_on(levels: list[tuple[dt.date, str]], day: dt.date, default: str) -> str:
    current = levels[0][1] if levels else default
    for effective, level in levels:
        if effective <= day:
            current = level
    return current
