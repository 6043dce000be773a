"""One clinic day of demo groups: the sessions on the schedule, who attended, and the group notes.

Every scheduled group meets once per scheduled date; a session is shared by its members. Before
`as_of` sessions are held (or cancelled on holidays and when nobody came, with no attendance
taken); from `as_of` on they are only scheduled. Each member expected that day gets an
attendance row (present, late arrival, left early, absent excused or unexcused) whose minutes and
times agree and never exceed the session's length; each member who came gets a group note by the
session's lead facilitator, in the GROUP format (the individualized part) with the participants
line the group-notes service writes.
"""

from __future__ import annotations

import datetime as dt
import random

from iopdesk.clinical.attendance import gets_group_note
from iopdesk.demo import phrases
from iopdesk.demo.groups import TOPICS, DemoGroup, shared_note
from iopdesk.demo.notes import NoteWriter, objective_for
from iopdesk.demo.roster import EpisodePlan
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import Attendance, GroupSession, SessionFacilitator
from iopdesk.services.groups.notes import session_participants


def is_holiday(day: dt.date) -> bool:
    """New Year's Day, Memorial Day, Independence Day, Labor Day, Thanksgiving, Christmas."""
    m, d, wd = day.month, day.day, day.weekday()
    return ((m, d) in ((1, 1), (7, 4), (12, 25))
            or (m == 5 and wd == 0 and d >= 25) or (m == 9 and wd == 0 and d <= 7)
            or (m == 11 and wd == 3 and 22 <= d <= 28))


def _clock(day: dt.date, time: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(day, time) + dt.timedelta(minutes=minutes)).time()


class SessionRunner:
    def __init__(self, writer: BulkWriter, notes: NoteWriter, rng: random.Random,
                 as_of: dt.date) -> None:
        self.writer, self.notes, self.rng, self.as_of = writer, notes, rng, as_of
        self.sessions = writer.table(GroupSession, "group", "session_date", "starts_at", "ends_at",
                                     "status", "topic", "modality", "shared_note",
                                     "lead_facilitator")
        self.facilitators = writer.table(SessionFacilitator, "session", "staff")
        self.attendance = writer.table(Attendance, "session", "client", "status", "arrived_at",
                                       "left_at", "minutes")

    def run_day(self, day: dt.date, groups: list[DemoGroup], site_ids: list[str]) -> None:
        """Every group that meets on `day`, in a fixed order."""
        weekday = day.weekday()
        holiday = is_holiday(day)
        for group in groups:
            if weekday not in group.template.weekdays:
                continue
            self.writer.origin_site = site_ids[group.site]
            primary = group.template.role != "addon"
            expected = [e for e in group.members if e.admit_on <= day
                        and (not primary or weekday in e.step_on(day).weekdays)]
            self._session(day, group, expected, holiday)
            self.writer.maybe_flush()

    def _status(self, episode, day: dt.date) -> str:
        rng = self.rng
        if episode.drop_from is not None and day >= episode.drop_from:
            return "absent_unexcused" if rng.random() < 0.9 else "absent_excused"
        if rng.random() < episode.reliability:
            roll = rng.random()
            return "late_arrival" if roll < 0.06 else "left_early" if roll < 0.11 else "present"
        return "absent_excused" if rng.random() < 0.45 else "absent_unexcused"

    def _session(self, day: dt.date, group: DemoGroup, expected: list[EpisodePlan],
                 holiday: bool) -> None:
        rng, w = self.rng, self.writer
        template = group.template
        starts, ends = template.starts, group.ends
        lead = group.facilitators[(day.toordinal() // 7) % len(group.facilitators)]
        begun = dt.datetime.combine(day, starts)
        finished = dt.datetime.combine(day, ends)
        created = begun - dt.timedelta(days=14)
        topic = rng.choice(TOPICS[template.group_type])
        if holiday:
            w.add(self.sessions, created, group.id, day, starts, ends, "cancelled", "",
                  template.modality, "Clinic closed for the holiday.", lead.id,
                  updated=begun - dt.timedelta(days=1))
            return
        if day >= self.as_of:
            session_id = w.ids.at(created)
            w.add_with_id(self.sessions, session_id, created, group.id, day, starts, ends, "scheduled", topic,
                          template.modality, "", lead.id)
            for member in group.facilitators:
                w.add(self.facilitators, created, session_id, member.id)
            return
        statuses = [self._status(e, day) for e in expected]
        present = sum(1 for s in statuses if gets_group_note(s))
        if not present:
            w.add(self.sessions, created, group.id, day, starts, ends, "cancelled", "",
                  template.modality, "No members attended; the session was not held.", lead.id,
                  updated=begun)
            return
        session_id = w.ids.at(created)
        shared = shared_note(rng, group, topic, present, statuses.count("late_arrival"))
        w.add_with_id(self.sessions, session_id, created, group.id, day, starts, ends, "held", topic,
                      template.modality, shared, lead.id, updated=finished)
        for member in group.facilitators:
            w.add(self.facilitators, finished, session_id, member.id)
        setting = f"Facilitators led a {template.modality.lower()} session"
        participants = session_participants([m.display_name for m in group.facilitators])
        seen: set[tuple] = set()
        for episode, status in zip(expected, statuses, strict=True):
            arrived, left, minutes = _times(rng, day, group, status)
            w.add(self.attendance, finished, session_id, episode.client.id, status, arrived, left,
                  minutes)
            if not gets_group_note(status):
                episode.missed += 1
                continue
            episode.attended += 1
            objective_id, objective, goal = objective_for(rng, episode, day)
            ctx = phrases.NoteContext("GROUP", setting, minutes, template.minutes, status, topic,
                                      objective, goal, episode.step_on(day).days_per_week,
                                      (day - episode.admit_on).days // 7)
            sections = phrases.compose(rng, ctx)
            while tuple(sections.values()) in seen:
                sections = phrases.compose(rng, ctx)
            seen.add(tuple(sections.values()))
            self.notes.add(episode, lead, "group", day, arrived, minutes, sections,
                           participants=participants, group_session=session_id,
                           objective_id=objective_id, note_format="GROUP")


def _times(rng: random.Random, day: dt.date, group: DemoGroup, status: str) -> tuple:
    """Arrival, departure and minutes attended; minutes never exceed the session's length."""
    starts, ends, length = group.template.starts, group.ends, group.template.minutes
    if status == "present":
        return starts, ends, length
    if status == "late_arrival":
        late_by = rng.randrange(10, 46)
        return _clock(day, starts, late_by), ends, length - late_by
    if status == "left_early":
        early_by = rng.randrange(15, 61)
        return starts, _clock(day, ends, -early_by), length - early_by
    return None, None, 0
