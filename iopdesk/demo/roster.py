"""Who comes to the demo clinic and when: clients, their episodes of care and how each one goes.

Admissions are spread uniformly over the history window. Each episode gets its track, substance,
shift (morning five days a week or evening three), schedule changes (step-down from five to three
days, from level 2.1 to 1), outcome and length (6–12 weeks when completed, shorter otherwise);
some clients come back for another episode (`READMISSION`); a few are still at intake. Everything
is decided here, before any row is written, from one seeded generator; `ensure_every_stage` then
nudges a few plans so that even a small demo shows every stage. Memory is proportional to
clients, not to rows. `OUTCOMES`, `EARLY_WEEKS` and `READMISSION` are what set the data volume.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from dataclasses import dataclass, field

from iopdesk.demo import clinical, names
from iopdesk.demo.cast import PAYER_WEIGHTS, Member
from iopdesk.demo.groups import FRI, MON, THU, TUE, WED, DemoGroup

OUTCOMES = (("completed", 60), ("left_against_advice", 18), ("transferred", 8),
            ("terminated_by_program", 5), ("incarcerated", 4), ("other", 5), ("death", 1))
TRACKS = (("substance_use", 65), ("co_occurring", 28), ("mental_health", 7))
EARLY_WEEKS = {"left_against_advice": (2, 7), "transferred": (2, 8),
               "terminated_by_program": (2, 8), "incarcerated": (1, 7), "other": (1, 8),
               "death": (1, 8)}
READMISSION = 0.3


@dataclass(slots=True)
class Step:
    effective_on: dt.date
    level: str
    days_per_week: int
    weekdays: tuple[int, ...]


@dataclass(slots=True)
class ClientPlan:
    index: int
    who: names.Person
    dob: dt.date
    site: int
    payer: str
    member_id: str
    registered_on: dt.date
    mrn: str = ""
    id: str = ""


@dataclass(slots=True)
class EpisodePlan:
    """One episode as decided up front; the loop fills the runtime fields (id, groups, counts)."""

    index: int
    client: ClientPlan
    registered_on: dt.date
    admit_on: dt.date | None
    planned_end: dt.date
    outcome: str
    track: str
    substance: str | None
    shift: str
    steps: list[Step]
    reliability: float
    drop_from: dt.date | None
    family: bool
    addon: bool
    readmission: bool = False
    readmitted_later: bool = False
    revoke_consent: bool = False
    # filled while writing
    id: str = ""
    clinician: Member | None = None
    groups: list[DemoGroup] = field(default_factory=list)
    objectives: list[tuple[str, str, str]] = field(default_factory=list)  # id, text, goal
    plan_from: dt.date | None = None
    attended: int = 0
    missed: int = 0
    individual: int = 0
    family_sessions: int = 0
    first_phq: int | None = None
    last_phq: int | None = None
    dx_codes: tuple[str, ...] = ()
    meds: tuple[str, ...] = ()

    def ends_on(self, as_of: dt.date) -> dt.date | None:
        """The discharge date, or None while the episode is still open on `as_of`."""
        return self.planned_end if self.planned_end < as_of else None

    def step_on(self, day: dt.date) -> Step:
        current = self.steps[0]
        for step in self.steps:
            if step.effective_on <= day:
                current = step
        return current


def weekday_on_or_before(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=max(0, day.weekday() - 4))


def weekday_on_or_after(day: dt.date) -> dt.date:
    return day + dt.timedelta(days=(7 - day.weekday()) % 7 if day.weekday() > 4 else 0)


def _member_id(rng: random.Random, payer: str) -> str:
    if payer == "SELF" or rng.random() < 0.06:
        return ""
    if payer == "MCR":
        letters = "ACDEFGHJKMNPQRTUVWXY"
        shape = "NAANAANAANN"  # the Medicare beneficiary identifier's pattern (synthetic values)
        return "".join(str(rng.randrange(1 if i == 0 else 0, 10)) if kind == "N"
                       else rng.choice(letters) for i, kind in enumerate(shape))
    return f"{payer}{rng.randrange(10**8, 10**9)}"


def ascii_name(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(ch for ch in plain.lower() if ch.isalnum())


def _client(rng: random.Random, index: int, registered: dt.date) -> ClientPlan:
    who = names.person(rng)
    age = min(70, max(18, int(rng.triangular(18, 70, 33))))
    dob = registered - dt.timedelta(days=age * 365 + rng.randrange(365))
    if age >= 65 and rng.random() < 0.8:
        payer = "MCR"
    else:
        payer = clinical.pick_weighted(rng, PAYER_WEIGHTS)
    site = 0 if rng.random() < 0.7 else 1
    return ClientPlan(index, who, dob, site, payer, _member_id(rng, payer), registered)


def _steps(rng: random.Random, admit: dt.date, end: dt.date, shift: str,
           outcome: str) -> list[Step]:
    days = (end - admit).days
    if shift == "morning":
        steps = [Step(admit, "2.1", 5, (MON, TUE, WED, THU, FRI))]
        if days >= 35 and rng.random() < 0.6:
            steps.append(Step(weekday_on_or_after(admit + dt.timedelta(days=rng.randrange(21, 36))),
                              "2.1", 3, (MON, WED, FRI)))
    else:
        steps = [Step(admit, "2.1", 3, (MON, TUE, THU))]
    if outcome == "completed" and days >= 49 and rng.random() < 0.3:
        last = weekday_on_or_after(end - dt.timedelta(days=rng.randrange(7, 15)))
        if last > steps[-1].effective_on:
            steps.append(Step(last, "1", 1, (WED,) if shift == "morning" else (TUE,)))
    return steps


def plan_episode(rng: random.Random, index: int, client: ClientPlan, admit: dt.date,
                 registered: dt.date, *, readmission: bool = False) -> EpisodePlan:
    outcome = clinical.pick_weighted(rng, OUTCOMES)
    if outcome == "completed":
        weeks = rng.randrange(6, 13)
        length = weeks * 7 - rng.randrange(0, 3)
    else:
        low, high = EARLY_WEEKS[outcome]
        length = rng.randrange(low * 7, high * 7 + 1)
    end = weekday_on_or_before(admit + dt.timedelta(days=length))
    end = max(end, admit)
    track = clinical.pick_weighted(rng, TRACKS)
    substance = None
    if track != "mental_health":
        substance = clinical.pick_weighted(rng, clinical.SUBSTANCE_WEIGHTS)
    shift = "morning" if rng.random() < 0.6 else "evening"
    completed = outcome == "completed"
    drop_from = None
    if outcome == "left_against_advice":
        drop_from = end - dt.timedelta(days=rng.randrange(7, 15))
    return EpisodePlan(
        index=index, client=client, registered_on=registered, admit_on=admit, planned_end=end,
        outcome=outcome, track=track, substance=substance, shift=shift,
        steps=_steps(rng, admit, end, shift, outcome),
        reliability=rng.uniform(0.88, 0.97) if completed else rng.uniform(0.72, 0.9),
        drop_from=drop_from, family=rng.random() < 0.35, addon=rng.random() < 0.65,
        readmission=readmission, revoke_consent=rng.random() < 0.03,
    )


def plan_roster(rng: random.Random, clients: int, start: dt.date,
                as_of: dt.date) -> tuple[list[ClientPlan], list[EpisodePlan]]:
    """Clients (sorted by registration, MRNs assigned) and their episodes (sorted by admission)."""
    span = max(1, (as_of - start).days)
    waiting = min(clients, max(2, round(clients * 0.02)))
    people: list[ClientPlan] = []
    episodes: list[EpisodePlan] = []
    for index in range(clients):
        if index < clients - waiting:
            admit = weekday_on_or_after(start + dt.timedelta(days=rng.randrange(span)))
            if admit >= as_of:
                admit = weekday_on_or_before(as_of - dt.timedelta(days=1))
            registered = admit - dt.timedelta(days=rng.randrange(1, 7))
            client = _client(rng, index, registered)
            people.append(client)
            episodes.append(plan_episode(rng, 0, client, admit, registered))
        else:
            registered = as_of - dt.timedelta(days=rng.randrange(0, 6))
            client = _client(rng, index, registered)
            people.append(client)
            episodes.append(plan_episode(rng, 0, client, registered, registered))
            episodes[-1].admit_on = None
    position = 0
    while position < len(episodes):
        episode = episodes[position]
        position += 1
        end = episode.planned_end
        if (episode.admit_on is None or episode.outcome == "death"
                or end >= as_of - dt.timedelta(days=21) or rng.random() >= READMISSION):
            continue
        admit = weekday_on_or_after(end + dt.timedelta(days=rng.randrange(21, 281)))
        if admit < as_of - dt.timedelta(days=1):
            registered = admit - dt.timedelta(days=rng.randrange(1, 5))
            episodes.append(plan_episode(rng, 0, episode.client, admit, registered,
                                         readmission=True))
            episode.readmitted_later = True
    _assign_mrns(people)
    episodes.sort(key=lambda e: (e.admit_on or e.registered_on, e.client.index, e.readmission))
    for number, episode in enumerate(episodes):
        episode.index = number
    return people, episodes


def _assign_mrns(people: list[ClientPlan]) -> None:
    people.sort(key=lambda c: (c.registered_on, c.index))
    counters = [0, 0]
    for client in people:
        counters[client.site] += 1
        client.mrn = f"{('MAIN', 'EAST')[client.site]}-{counters[client.site]:06d}"


def ensure_every_stage(episodes: list[EpisodePlan], as_of: dt.date) -> None:
    """Nudge a few plans so intake, new admission, step-down and discharge all appear."""
    admitted = [e for e in episodes if e.admit_on is not None and not e.readmission]
    if not admitted:
        return
    recent = as_of - dt.timedelta(days=6)
    movable = [e for e in admitted if not e.readmitted_later]
    if movable and not any(e.admit_on >= recent for e in admitted):
        newest = max(movable, key=lambda e: e.admit_on)
        newest.admit_on = weekday_on_or_before(as_of - dt.timedelta(days=2))
        newest.registered_on = min(newest.registered_on, newest.admit_on)
        newest.planned_end = as_of + dt.timedelta(days=42)
        first = newest.steps[0]
        newest.steps = [Step(newest.admit_on, "2.1", first.days_per_week, first.weekdays)]
        newest.drop_from = None
    if not any(len(e.steps) > 1 and e.steps[1].effective_on < min(e.planned_end, as_of)
               for e in admitted):
        long_enough = [e for e in admitted if e.shift == "morning"
                       and (min(e.planned_end, as_of) - e.admit_on).days >= 24]
        if long_enough:
            chosen = long_enough[0]
            when = weekday_on_or_after(chosen.admit_on + dt.timedelta(days=21))
            chosen.steps = [chosen.steps[0], Step(when, "2.1", 3, (MON, WED, FRI))]
    if not any(e.planned_end < as_of for e in admitted):
        oldest = min(admitted, key=lambda e: e.admit_on)
        if oldest.admit_on < as_of - dt.timedelta(days=1):
            stay = min(3, (as_of - oldest.admit_on).days - 1)
            oldest.planned_end = oldest.admit_on + dt.timedelta(days=stay)
            oldest.outcome = "left_against_advice"
            oldest.steps = oldest.steps[:1]
            oldest.drop_from = None
    if not any(e.revoke_consent for e in admitted):
        admitted[0].revoke_consent = True
