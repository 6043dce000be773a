"""Standard measures given to clients (PHQ-9, GAD-7, C-SSRS, …): recording, trends, and when
each is due.

Invariants: answers are scored only by `iopdesk.clinical.measures.score`; a refused answer saves nothing;
a result with a safety flag (PHQ-9 item 9 endorsed, C-SSRS high risk) raises a "safety" alert
in the same transaction; a client has at most one schedule per measure, and recording that
measure moves its next due date to the administration date plus the interval (never backwards).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from iopdesk.clinical.measures import measure, score
from iopdesk.clinical.program_rules import rule
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today
from iopdesk.kernel.validation import as_date
from iopdesk.models import Client, Episode, MeasureResult, MeasureSchedule
from iopdesk.services.alerts import caseload_of, raise_alert
from iopdesk.services.base import Service
from iopdesk.services.clients import client_uuid
from iopdesk.storage.records import as_uuid, update_versioned


@dataclass(frozen=True)
class MeasureResultView:
    id: str
    client_id: str
    episode_id: str | None
    measure: str
    administered_on: dt.date
    answers: dict
    total: int
    band: str
    subscales: dict
    safety_flag: bool
    flags: tuple[str, ...]


@dataclass(frozen=True)
class MeasurePoint:
    administered_on: dt.date
    total: int
    band: str
    safety_flag: bool = False  # an answer that needs same-day safety follow-up (e.g. PHQ-9 item 9)


@dataclass(frozen=True)
class MeasureTrend:
    measure: str
    points: tuple[MeasurePoint, ...]

    @property
    def first(self) -> MeasurePoint:
        return self.points[0]

    @property
    def last(self) -> MeasurePoint:
        return self.points[-1]

    @property
    def change(self) -> int:
        return self.last.total - self.first.total


@dataclass(frozen=True)
class ScheduleView:
    client_id: str
    measure: str
    every_days: int
    next_due_on: dt.date


@dataclass(frozen=True)
class DueMeasure:
    client_id: str
    client_name: str
    mrn: str
    measure: str
    due_on: dt.date
    overdue: bool


def _every_days(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 366:
        raise ValidationError("Every (days): a whole number of days from 1 to 366.", field="every_days")
    return value


class MeasureService(Service):
    def record(self, client_id, measure_code: str, *, administered_on: dt.date | str,
               answers: dict | list) -> tuple[MeasureResultView, Changes]:
        """Score and store one administration; a safety flag raises a "safety" alert with it.

        Raises ValidationError naming the field or item: an unknown measure, a date in the
        future or before the client's birth, a missing or out-of-range answer. Nothing is saved then.
        """
        self.actor.require("measure.write")
        day = as_date(administered_on, "administered_on", "Date given")
        if day > today():
            raise ValidationError("Date given: cannot be in the future.", field="administered_on")
        scored = score(measure_code, answers)
        cid = client_uuid(client_id)
        with self.db.atomic():
            client = Client.get_or_none(Client.id == cid)
            if client is None:
                raise NotFound(f"No client with id {client_id}.")
            if day < client.dob:
                raise ValidationError("Date given: before the client's date of birth.",
                                      field="administered_on")
            episode = (
                Episode.select(Episode.id)
                .where((Episode.client == cid) & (Episode.admitted_on <= day)
                       & (Episode.discharged_on.is_null() | (Episode.discharged_on >= day)))
                .order_by(Episode.admitted_on.desc())
                .first()
            )
            row = MeasureResult.create(
                client=cid, episode=episode.id if episode else None, measure=scored.measure,
                administered_on=day, answers=scored.answers, total=scored.total, band=scored.band,
                subscales=scored.subscales, safety_flag=scored.needs_safety_follow_up,
                entered_by=self.actor.id,
            )
            self._audit("create", "measure_result", row.id, client_id=cid,
                        detail={"measure": scored.measure, "total": scored.total})
            changes = Changes.of("measure", client_id=cid)
            for flag in scored.flags:
                if flag.kind == "safety":
                    raise_alert(self.actor, cid, "safety", flag.message, source_id=row.id)
                    changes |= Changes.of("alert", client_id=cid)
            schedule = MeasureSchedule.get_or_none((MeasureSchedule.client == cid)
                                                   & (MeasureSchedule.measure == scored.measure))
            if schedule is not None:
                following = day + dt.timedelta(days=schedule.every_days)
                if following > schedule.next_due_on:
                    update_versioned(schedule, schedule.version, next_due_on=following)
        return self._result_view(row, scored.flags), changes

    def history(self, client_id, measure_code: str) -> list[MeasurePoint]:
        """One measure's results for a client, oldest first (for a trend line), each with its safety flag."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        code = measure(measure_code).code
        query = (
            MeasureResult.select(MeasureResult.administered_on, MeasureResult.total, MeasureResult.band,
                                 MeasureResult.safety_flag)
            .where((MeasureResult.client == client_uuid(client_id)) & (MeasureResult.measure == code))
            .order_by(MeasureResult.administered_on, MeasureResult.created_at)
            .tuples()
        )
        return [MeasurePoint(*row) for row in query]

    def first_and_last(self, client_id, episode_id) -> tuple[MeasureTrend, ...]:
        """Per measure given during the episode (admission to discharge, or today), its results
        oldest first with `first`, `last` and `change`: what the discharge summary compares."""
        self.actor.require_for_client("chart.read_narrative", client_id)
        episode = Episode.get_or_none(Episode.id == as_uuid(episode_id, "episode"))
        if episode is None or episode.client_id != client_uuid(client_id):
            raise NotFound(f"No episode with id {episode_id} for this client.")
        return measure_trends(episode.client_id, episode.admitted_on, episode.discharged_on or today())


    # -- schedules ------------------------------------------------------------------------
    def set_schedule(self, client_id, measure_code: str, *, every_days: int, starting_on: dt.date | str
                     ) -> tuple[ScheduleView, Changes]:
        """Give a measure every `every_days` days, first due `starting_on` (replaces any schedule
        of that measure). Raises ValidationError for an unknown measure or an interval outside 1–366."""
        self.actor.require("measure.write")
        code = measure(measure_code).code
        every = _every_days(every_days)
        first = as_date(starting_on, "starting_on", "First due")
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            self._upsert_schedule(cid, code, every, first)
        return ScheduleView(str(cid), code, every, first), Changes.of("measure", client_id=cid)

    def schedule_defaults(self, client_id, starting_on: dt.date | str
                          ) -> tuple[list[ScheduleView], Changes]:
        """Schedule the program's default measures (rule measures.default_schedule), each at its own
        default interval, first due `starting_on`; measures already scheduled are left as they are."""
        self.actor.require("measure.write")
        first = as_date(starting_on, "starting_on", "First due")
        cid = client_uuid(client_id)
        with self.db.atomic():
            if not Client.select().where(Client.id == cid).exists():
                raise NotFound(f"No client with id {client_id}.")
            have = {m for (m,) in MeasureSchedule.select(MeasureSchedule.measure)
                    .where(MeasureSchedule.client == cid).tuples()}
            for code in rule("measures", "default_schedule"):
                definition = measure(code)
                if definition.code not in have and definition.default_every_days:
                    self._upsert_schedule(cid, definition.code, definition.default_every_days, first)
        return self.schedules(cid), Changes.of("measure", client_id=cid)

    def schedules(self, client_id) -> list[ScheduleView]:
        """A client's measure schedules by measure."""
        self.actor.require("chart.read")
        query = (
            MeasureSchedule.select(MeasureSchedule.client, MeasureSchedule.measure,
                                   MeasureSchedule.every_days, MeasureSchedule.next_due_on)
            .where(MeasureSchedule.client == client_uuid(client_id))
            .order_by(MeasureSchedule.measure)
            .tuples()
        )
        return [ScheduleView(str(c), m, e, d) for c, m, e, d in query]

    def due(self, *, on: dt.date | str | None = None, clinician=None) -> list[DueMeasure]:
        """Measures due by `on` (default today) for clients in treatment, optionally one
        clinician's caseload; soonest due first. `overdue` means due before `on`."""
        self.actor.require("chart.read")
        day = as_date(on, "on", "Date") if on else today()
        query = (
            MeasureSchedule.select(MeasureSchedule.client, Client.legal_first, Client.legal_last,
                                   Client.mrn, MeasureSchedule.measure, MeasureSchedule.next_due_on)
            .join(Client, on=(MeasureSchedule.client == Client.id))
        )
        query = caseload_of(query, clinician).where(MeasureSchedule.next_due_on <= day)
        query = query.order_by(MeasureSchedule.next_due_on, Client.legal_last,
                               MeasureSchedule.measure).tuples()
        return [DueMeasure(str(c), f"{first} {last}", mrn, m, due, due < day)
                for c, first, last, mrn, m, due in query]

    # -- helpers --------------------------------------------------------------------------
    def _upsert_schedule(self, cid, code: str, every: int, first: dt.date) -> None:
        row = MeasureSchedule.get_or_none((MeasureSchedule.client == cid)
                                          & (MeasureSchedule.measure == code))
        if row is None:
            row = MeasureSchedule.create(client=cid, measure=code, every_days=every, next_due_on=first)
            action = "create"
        else:
            update_versioned(row, row.version, every_days=every, next_due_on=first)
            action = "update"
        self._audit(action, "measure_schedule", row.id, client_id=cid,
                    detail={"measure": code, "every_days": every, "next_due_on": first})

    @staticmethod
    def _result_view(row: MeasureResult, flags) -> MeasureResultView:
        return MeasureResultView(
            id=str(row.id), client_id=str(row.client_id),
            episode_id=str(row.episode_id) if row.episode_id else None, measure=row.measure,
            administered_on=row.administered_on, answers=dict(row.answers), total=row.total, band=row.band,
            subscales=dict(row.subscales), safety_flag=row.safety_flag,
            flags=tuple(f.message for f in flags),
        )

def measure_trends(client_id, since: dt.date, until: dt.date) -> tuple[MeasureTrend, ...]:
    """The client's measure totals from `since` to `until` (inclusive), per measure, oldest first."""
    trends: dict[str, list[MeasurePoint]] = {}
    query = (MeasureResult.select(MeasureResult.measure, MeasureResult.administered_on, MeasureResult.total,
                                  MeasureResult.band)
             .where((MeasureResult.client == client_id) & MeasureResult.administered_on.between(since, until))
             .order_by(MeasureResult.measure, MeasureResult.administered_on, MeasureResult.created_at).tuples())
    for code, day, total, band in query:
        trends.setdefault(code, []).append(MeasurePoint(day, total, band))
    return tuple(MeasureTrend(code, tuple(points)) for code, points in trends.items())
