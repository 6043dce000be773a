"""`generate()`: fill an empty clinic with a deterministic synthetic history, one week at a time.

The roster (who comes, when, and how their episode goes) is planned up front; then a day loop
walks the history window: intake and admission rows on the admission day (including the
episode's individual, family, medication, screen and measure records), the day's group sessions
with attendance and notes, and discharges after the last day's groups. Rows are flushed in bulk
and committed every few weeks (about `TRANSACTION_ROWS` rows; each commit costs an fsync), so
memory depends on the clinic's census, not on its history. Rows carry the site where their
clinical work happened as `origin_site` (as if each site had entered its own), and timestamps
derived from their clinical dates. Randomness comes only from `random.Random` streams named after
the seed (roster, cast, days, notes, one per episode) and ids from `demo.ids`, so the same seed and
`as_of` give the same rows.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
from collections import defaultdict
from collections.abc import Callable
from types import MappingProxyType

from iopdesk.audit import chain as audit
from iopdesk.audit.sealing import seal_arrived
from iopdesk.demo import cast as cast_mod
from iopdesk.demo import groups as groups_mod
from iopdesk.demo import plans
from iopdesk.demo.closing import Closer, finish_summaries
from iopdesk.demo.episodes import Intake
from iopdesk.demo.followup import FollowUp
from iopdesk.demo.ids import IdMaker
from iopdesk.demo.meds import MedsWriter
from iopdesk.demo.notes import NoteWriter
from iopdesk.demo.report import DemoReport
from iopdesk.demo.roster import EpisodePlan, ensure_every_stage, plan_roster, weekday_on_or_after
from iopdesk.demo.sessions import SessionRunner
from iopdesk.demo.writer import BulkWriter
from iopdesk.errors import ValidationError
from iopdesk.kernel import clock
from iopdesk.models import Client, ClinicSetting, Site, Staff
from iopdesk.passwords import hash_password
from iopdesk.permissions import SYSTEM

MAX_CLIENTS = 200_000
MAX_WEEKS = 1040
TRANSACTION_ROWS = 50_000


def peak_census(episodes: list[EpisodePlan], start: dt.date, as_of: dt.date) -> list[float]:
    """The largest number of clients in treatment at once, per site, over the window."""
    span = (as_of - start).days + 2
    deltas = [[0] * span, [0] * span]
    for episode in episodes:
        if episode.admit_on is None:
            continue
        site = episode.client.site
        deltas[site][(episode.admit_on - start).days] += 1
        deltas[site][(min(episode.planned_end, as_of) - start).days + 1] -= 1
    peaks = []
    for row in deltas:
        running = peak = 0
        for delta in row:
            running += delta
            peak = max(peak, running)
        peaks.append(float(peak))
    return peaks


class _Run:
    """The state of one generation run (writers, cast, groups) and its per-episode steps."""

    def __init__(self, seed: int, as_of: dt.date, writer: BulkWriter, cast: cast_mod.Cast,
                 groups: list[groups_mod.DemoGroup]) -> None:
        self.seed, self.as_of, self.writer = seed, as_of, writer
        self.cast, self.groups = cast, groups
        self.site_ids = [site.id for site in cast.sites]
        self.notes = NoteWriter(writer, random.Random(f"{seed}/notes"), as_of, cast.supervisor)
        self.meds = MedsWriter(writer, as_of)
        self.intake = Intake(writer, cast, groups, as_of)
        self.follow = FollowUp(writer, self.notes, self.meds, as_of)
        self.closer = Closer(writer, as_of)
        self.sessions = SessionRunner(writer, self.notes, random.Random(f"{seed}/days"), as_of)
        self.waiting: dict[dt.date, list[EpisodePlan]] = defaultdict(list)
        self.admitting: dict[dt.date, list[EpisodePlan]] = defaultdict(list)
        self.leaving: dict[dt.date, list[EpisodePlan]] = defaultdict(list)

    def rng(self, episode: EpisodePlan) -> random.Random:
        return random.Random(f"{self.seed}/episode/{episode.index}")

    def register_waiting(self, episode: EpisodePlan) -> None:
        rng = self.rng(episode)
        site = episode.client.site
        self.writer.origin_site = self.site_ids[site]
        staff = self.cast.facilitators(site)[episode.index % len(self.cast.facilitators(site))]
        self.intake.write_client(rng, episode.client)
        self.intake.write_asam(rng, episode, staff, waiting=True)
        self.follow.intake_screens(rng, episode, staff)
        self.follow.mood_measures(rng, episode, staff, waiting=True)

    def admit(self, episode: EpisodePlan) -> None:
        rng = self.rng(episode)
        site = episode.client.site
        self.writer.origin_site = self.site_ids[site]
        clinician = self.intake.pick_clinician(site)
        if not episode.client.id:
            self.intake.write_client(rng, episode.client)
        family = self.intake.admit(rng, episode, clinician)
        self.intake.write_asam(rng, episode, clinician, waiting=False)
        self.follow.intake_screens(rng, episode, clinician)
        self._plan(rng, episode)
        prescriber = self.cast.prescribers[site]
        last = self.follow.last_day(episode)
        prescribed = self.meds.medications(rng, episode, prescriber, last)
        mat = sorted({drug.screens_as for drug, *_rest in prescribed if drug.screens_as})
        self.meds.screens_for(rng, episode, clinician, last, mat)
        self.follow.mood_measures(rng, episode, clinician)
        self.follow.individual_notes(rng, episode)
        self.follow.med_notes(rng, episode, prescriber, prescribed)
        self.follow.family_sessions_for(rng, episode, family)

    def _plan(self, rng: random.Random, episode: EpisodePlan) -> None:
        effective = weekday_on_or_after(episode.admit_on + dt.timedelta(days=rng.randrange(2, 7)))
        reviews_until = min(episode.planned_end, self.as_of - dt.timedelta(days=1))
        if episode.admit_on >= self.as_of - dt.timedelta(days=7):
            if effective < self.as_of and rng.random() < 0.5:
                plans.write_plan(self.writer, rng, episode, effective, reviews_until, self.as_of,
                                 draft=True)
        elif effective <= reviews_until:
            plans.write_plan(self.writer, rng, episode, effective, reviews_until, self.as_of,
                             draft=False)

    def schedule(self, episodes: list[EpisodePlan]) -> None:
        """Index the planned episodes by the day their intake or admission happens."""
        for episode in episodes:
            if episode.admit_on is None:
                self.waiting[episode.registered_on].append(episode)
            else:
                self.admitting[episode.admit_on].append(episode)

    def day(self, day: dt.date) -> None:
        """Intakes and admissions, then the day's groups, then the day's discharges."""
        writer = self.writer
        for episode in self.waiting.pop(day, ()):
            self.register_waiting(episode)
            writer.maybe_flush()
        for episode in self.admitting.pop(day, ()):
            self.admit(episode)
            writer.maybe_flush()
            end = episode.ends_on(self.as_of)
            if end is not None:
                self.leaving[end].append(episode)
        if day.weekday() < 5:
            self.sessions.run_day(day, self.groups, self.site_ids)
        for episode in self.leaving.pop(day, ()):
            self.discharge(episode, day)
            writer.maybe_flush()

    def discharge(self, episode: EpisodePlan, day: dt.date) -> None:
        self.writer.origin_site = self.site_ids[episode.client.site]
        self.closer.discharge(random.Random(f"{self.seed}/discharge/{episode.index}"), episode, day)
        self.intake.release(episode)


def generate(
    clinic,
    clients: int = 120,
    weeks: int = 26,
    seed: int = 1,
    progress: Callable[[str], None] | None = None,
    as_of: dt.date | None = None,
    workers: int = 0,
) -> DemoReport:
    """Fill an empty clinic with `clients` synthetic clients over `weeks` weeks up to `as_of`.

    Raises ValidationError if the clinic already has clients or the sizes are out of range.
    The same seed and `as_of` give the same rows (ids included), except the audit trail, the
    clinic id and the password hashes; the main site keeps its id. One audit event records it.
    `workers`: helper processes for the discharge summaries (see `closing.finish_summaries`).
    """
    if not 1 <= clients <= MAX_CLIENTS:
        raise ValidationError(f"Clients: give a number from 1 to {MAX_CLIENTS:,}.", field="clients")
    if not 1 <= weeks <= MAX_WEEKS:
        raise ValidationError(f"Weeks: give a number from 1 to {MAX_WEEKS}.", field="weeks")
    if Client.select().exists() or Staff.select().exists():
        raise ValidationError("Demo data goes only into an empty clinic; this one already has "
                              "clients or staff accounts.", field="db")
    say = progress or (lambda _text: None)
    began = time.perf_counter()
    as_of = as_of or clock.today()
    start = as_of - dt.timedelta(weeks=weeks)
    founded = dt.datetime.combine(start - dt.timedelta(days=30), dt.time(8))
    people, episodes = plan_roster(random.Random(f"{seed}/roster"), clients, start, as_of)
    ensure_every_stage(episodes, as_of)
    census = peak_census(episodes, start, as_of)
    say(f"demo: planned {len(people):,} clients and {len(episodes):,} episodes over {weeks} weeks")

    main_id = clinic.site.id.hex
    writer = BulkWriter(clinic.db, IdMaker(f"{seed}/ids"), main_id)
    cast_rng = random.Random(f"{seed}/cast")
    password_hash = hash_password(cast_mod.DEMO_PASSWORD)
    with clinic.db.atomic():
        sites = cast_mod.write_sites(writer, cast_rng, main_id, founded)
        payers = cast_mod.write_payers(writer, founded)
        cast = cast_mod.write_staff(writer, cast_rng, password_hash, founded, sites,
                                    max(3, math.ceil(sum(census) / 12)))
        cast.payers = payers
        groups = groups_mod.write_groups(writer, cast_rng, cast, census, founded)
        writer.flush()
    clinic.site = Site.get_by_id(clinic.site.id)
    run = _Run(seed, as_of, writer, cast, groups)

    run.schedule(episodes)
    total_days = (as_of - start).days + 7
    week_starts = list(range(0, total_days, 7))
    position, next_report = 0, 0.1
    while position < len(week_starts):
        with clinic.db.atomic():
            began_at = writer.rows
            while position < len(week_starts) and writer.rows - began_at < TRANSACTION_ROWS:
                first = start + dt.timedelta(days=week_starts[position])
                for offset in range(7):
                    if week_starts[position] + offset < total_days:
                        run.day(first + dt.timedelta(days=offset))
                position += 1
                done = position / len(week_starts)
                if done >= next_report:
                    say(f"demo: {done:.0%} (up to {first + dt.timedelta(days=6):%Y-%m-%d}, "
                        f"{writer.rows:,} rows)")
                    next_report = math.floor(done * 10 + 1e-9) / 10 + 0.1
            writer.flush()

    say("demo: assembling discharge summaries")
    finish_summaries(clinic.db, workers=workers)
    active = sum(1 for e in episodes if e.admit_on is not None and e.ends_on(as_of) is None)
    with clinic.db.atomic():
        writer.origin_site = main_id
        details = {"seed": seed, "clients": clients, "weeks": weeks, "as_of": as_of.isoformat()}
        writer.add(writer.table(ClinicSetting, "key", "value"), founded, "demo", details)
        writer.flush()
        counts = dict(sorted(writer.counts.items()))
        audit.record(SYSTEM, "generate", "demo", None, detail={**details, "counts": counts})
        seal_arrived("demo")
    return DemoReport(cast_mod.CLINIC_NAME, seed, weeks, as_of, MappingProxyType(counts), active,
                      time.perf_counter() - began, cast_mod.DEMO_PASSWORD)
