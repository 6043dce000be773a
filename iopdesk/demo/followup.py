"""What happens to a demo episode outside the groups: weekly individual sessions, medication
visits, family sessions, measures every two weeks (PHQ-9, GAD-7; AUDIT and DAST-10 at intake)
with safety alerts, and the measure schedule of clients still in treatment.

Everything is written at admission from the episode's own generator, dated as it would have
happened, and stops at discharge, at a client's drop-out or the day before `as_of`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator

from iopdesk.clinical.measures import score
from iopdesk.demo import clinical, phrases
from iopdesk.demo.cast import Member
from iopdesk.demo.meds import MedsWriter
from iopdesk.demo.notes import NoteWriter, objective_for
from iopdesk.demo.roster import EpisodePlan
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import FamilySession, FamilySessionParticipant, MeasureResult, MeasureSchedule

INDIVIDUAL_TOPICS = (
    "the past week's cravings", "the relapse prevention plan", "recent measure scores",
    "stress at home", "work and recovery", "sleep and routine", "the step-down plan",
    "a recent lapse", "grief and loss", "building sober supports", "anger triggers",
    "discharge and aftercare planning",
)
FAMILY_TOPICS = ("Communication at home", "Boundaries and enabling", "Rebuilding trust",
                 "Relapse warning signs the family notices", "Planning for discharge")
SAFETY_FOLLOW_UP = ("Safety assessment completed the same day; C-SSRS screener low risk; "
                    "safety plan reviewed with the client.")
MEASURE_EVERY = 14


def workdays(first: dt.date, last: dt.date, every: int) -> Iterator[dt.date]:
    """Dates from `first` every `every` days up to `last`, each moved off the weekend."""
    day = first
    while day <= last:
        while day.weekday() > 4:
            day += dt.timedelta(days=1)
        if day > last:
            return
        yield day
        day += dt.timedelta(days=every)


class FollowUp:
    def __init__(self, writer: BulkWriter, notes: NoteWriter, meds: MedsWriter,
                 as_of: dt.date) -> None:
        self.writer, self.notes, self.meds, self.as_of = writer, notes, meds, as_of
        w = writer
        self.results = w.table(MeasureResult, "client", "episode", "measure", "administered_on",
                               "answers", "total", "band", "subscales", "safety_flag", "entered_by")
        self.schedules = w.table(MeasureSchedule, "client", "measure", "every_days", "next_due_on")
        self.family_sessions = w.table(FamilySession, "client", "kind", "session_date",
                                       "starts_at", "ends_at", "clinician")
        self.participants = w.table(FamilySessionParticipant, "session", "family_member")

    def last_day(self, episode: EpisodePlan) -> dt.date:
        """The last day the client is seen: discharge, drop-out or the day before `as_of`."""
        last = min(episode.planned_end, self.as_of - dt.timedelta(days=1))
        if episode.drop_from is not None:
            last = min(last, episode.drop_from - dt.timedelta(days=1))
        return last

    # -- measures ---------------------------------------------------------------------------
    def measure(self, rng: random.Random, client_id: str, episode_id: str | None, name: str,
                day: dt.date, severity: float, staff: Member, *, risky: bool = False) -> int:
        """One measure scored by `iopdesk.clinical.measures` and stored as the measure service stores it;
        a safety flag (PHQ-9 item 9 above zero) raises a safety alert."""
        scored = score(name, clinical.answers_for(rng, name, severity, risky=risky))
        when = dt.datetime.combine(day, dt.time(9, rng.randrange(60)))
        safety = scored.needs_safety_follow_up
        result_id = self.writer.add(self.results, when, client_id, episode_id, scored.measure, day,
                                    scored.answers, scored.total, scored.band, scored.subscales,
                                    safety, staff.id)
        for flag in scored.flags:
            if flag.kind == "safety":
                self.meds.alert(rng, client_id, "safety", flag.message,
                                when + dt.timedelta(minutes=20), staff.id, result_id, staff,
                                SAFETY_FOLLOW_UP)
        return scored.total

    def intake_screens(self, rng: random.Random, episode: EpisodePlan, staff: Member) -> None:
        """AUDIT and DAST-10 on the day of registration."""
        client, day, used = episode.client, episode.registered_on, episode.substance
        alcohol = (0.6 + rng.random() * 0.3) if used == "alcohol" else (0.1 + rng.random() * 0.25)
        drugs = ((0.5 + rng.random() * 0.35) if used not in (None, "alcohol")
                 else (0.05 + rng.random() * 0.25))
        self.measure(rng, client.id, episode.id or None, "AUDIT", day, alcohol, staff)
        self.measure(rng, client.id, episode.id or None, "DAST-10", day, drugs, staff)

    def mood_measures(self, rng: random.Random, episode: EpisodePlan, staff: Member, *,
                      waiting: bool = False) -> None:
        """PHQ-9 and GAD-7 at intake, then every two weeks while in treatment."""
        base = rng.uniform(0.5, 0.8) if episode.track != "substance_use" else rng.uniform(0.2, 0.5)
        improve = 0.55 if episode.outcome == "completed" else 0.2
        first = episode.registered_on if waiting else episode.admit_on
        last = first if waiting else self.last_day(episode)
        client_id, episode_id = episode.client.id, episode.id or None
        last_given = None
        for day in _every(first, last, MEASURE_EVERY):
            weeks = (day - first).days / 7
            severity = base * (1 - improve * min(1.0, weeks / 10)) + rng.uniform(-0.08, 0.08)
            severity = max(0.0, severity)
            risky = rng.random() < (0.05 if severity > 0.5 else 0.01)
            phq = self.measure(rng, client_id, episode_id, "PHQ-9", day, severity, staff,
                               risky=risky)
            self.measure(rng, client_id, episode_id, "GAD-7", day, severity * 0.9, staff)
            if episode.first_phq is None:
                episode.first_phq = phq
            episode.last_phq = phq
            last_given = day
        if waiting or last_given is None or episode.ends_on(self.as_of) is not None:
            return
        when = dt.datetime.combine(episode.admit_on, dt.time(9))
        updated = dt.datetime.combine(last_given, dt.time(9))
        for name in ("PHQ-9", "GAD-7"):
            self.writer.add(self.schedules, when, client_id, name, MEASURE_EVERY,
                            last_given + dt.timedelta(days=MEASURE_EVERY), updated=updated)

    # -- sessions outside groups ------------------------------------------------------------
    def individual_notes(self, rng: random.Random, episode: EpisodePlan) -> None:
        """A weekly individual session with the primary clinician (30–60 minutes)."""
        clinician: Member = episode.clinician
        first = episode.admit_on + dt.timedelta(days=rng.randrange(1, 4))
        for day in workdays(first, self.last_day(episode), 7):
            minutes = rng.choice((30, 38, 45, 50, 53, 55, 60))
            hour = rng.randrange(13, 16) if episode.shift == "morning" else 16
            starts = dt.time(hour, rng.choice((0, 15, 30)) if hour < 16 else 0)
            objective_id, objective, goal = objective_for(rng, episode, day)
            ctx = phrases.NoteContext(
                clinician.note_format, "Counselor held an individual session", minutes, minutes,
                "present", rng.choice(INDIVIDUAL_TOPICS), objective, goal,
                episode.step_on(day).days_per_week, (day - episode.admit_on).days // 7)
            place = "57" if rng.random() < 0.88 else rng.choice(("02", "10"))
            self.notes.add(episode, clinician, "individual", day, starts, minutes,
                           phrases.compose(rng, ctx), participants="Client", place=place,
                           objective_id=objective_id)
            episode.individual += 1

    def med_notes(self, rng: random.Random, episode: EpisodePlan, prescriber: Member,
                  prescribed: list) -> None:
        """A medication visit every four weeks for clients the clinic prescribes for."""
        for drug, _med_id, start, dose in prescribed[:1]:
            for day in workdays(max(start, episode.admit_on), self.last_day(episode), 28):
                sections = phrases.med_sections(rng, drug.name, dose,
                                                (day - episode.admit_on).days // 7)
                self.notes.add(episode, prescriber, "med_management", day, dt.time(14, 30),
                               rng.choice((20, 25, 30)), sections, participants="Client",
                               note_format="SOAP")

    def family_sessions_for(self, rng: random.Random, episode: EpisodePlan,
                            members: list[str]) -> None:
        """Family sessions about every two weeks, with or without the client, and their notes."""
        if not members:
            return
        clinician: Member = episode.clinician
        first = episode.admit_on + dt.timedelta(days=rng.randrange(7, 12))
        for day in workdays(first, self.last_day(episode), 14):
            if rng.random() >= 0.8:
                continue
            kind = "with_client" if rng.random() < 0.75 else "without_client"
            minutes = rng.choice((50, 55, 60))
            starts = dt.time(16, rng.choice((0, 30)) if episode.shift == "morning" else 0)
            ends = (dt.datetime.combine(day, starts) + dt.timedelta(minutes=minutes)).time()
            when = dt.datetime.combine(day, ends)
            session_id = self.writer.add(self.family_sessions, when, episode.client.id, kind, day,
                                         starts, ends, clinician.id)
            present = members if len(members) == 1 or rng.random() < 0.5 else [rng.choice(members)]
            for member_id in present:
                self.writer.add(self.participants, when, session_id, member_id)
            objective_id, objective, goal = objective_for(rng, episode, day)
            ctx = phrases.NoteContext(
                clinician.note_format, phrases.family_context_words(kind), minutes, minutes,
                "present" if kind == "with_client" else "family_only", rng.choice(FAMILY_TOPICS),
                objective, goal, episode.step_on(day).days_per_week,
                (day - episode.admit_on).days // 7)
            who = "Client and " if kind == "with_client" else ""
            self.notes.add(episode, clinician, "family", day, starts, minutes,
                           phrases.compose(rng, ctx),
                           participants=f"{who}{len(present)} family member(s)",
                           family_session=session_id, objective_id=objective_id)
            episode.family_sessions += 1


def _every(first: dt.date, last: dt.date, days: int) -> Iterator[dt.date]:
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=days)
