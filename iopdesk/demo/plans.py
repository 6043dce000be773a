"""Treatment plans for demo episodes: problems → goals → objectives → interventions, and the
30-day reviews with progress per objective.

A plan takes effect a few days after admission and is signed by the primary clinician and the
client; the newest admissions have only a draft or no plan yet (the plan-due list has work).
Objectives carry a `lineage` id so later versions can follow them.
"""

from __future__ import annotations

import datetime as dt
import random

from iopdesk.demo import clinical
from iopdesk.demo.roster import EpisodePlan
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import (
    ObjectiveProgress,
    PlanGoal,
    PlanIntervention,
    PlanObjective,
    PlanProblem,
    PlanReview,
    TreatmentPlan,
)
from iopdesk.storage.records import content_hash

REVIEW_EVERY = 30
RATINGS = (("some_progress", 45), ("met", 20), ("significant_progress", 20), ("no_progress", 10),
           ("regressed", 5))
STRENGTHS = ("supportive sibling", "stable housing", "employed part time", "motivated by children",
             "prior period of sobriety", "good insight", "engaged with a faith community",
             "enjoys exercise", "connected to a sponsor")
BARRIERS = ("transportation", "unstable housing", "chronic pain", "using partner", "work schedule",
            "limited phone access", "childcare", "legal stress", "financial strain")
SUD_OBJECTIVES = (
    "Attend at least 90% of scheduled IOP sessions over the next 30 days.",
    "Identify five personal triggers and a coping response for each.",
    "Provide negative drug screens for four consecutive weeks.",
    "Attend two mutual-help meetings a week and report on each in group.",
    "Write a relapse prevention plan and review it with the counselor.",
    "Use a craving log daily and bring it to individual sessions.",
)
MH_OBJECTIVES = (
    "Reduce the PHQ-9 score below 10.",
    "Schedule two behavioral activation activities a week.",
    "Practise a grounding skill daily and record its use.",
    "Reduce the GAD-7 score below 10.",
    "Keep a regular sleep schedule five nights a week.",
)
ENV_OBJECTIVES = (
    "Name three sober supports and contact one each week.",
    "Meet the case manager about housing options.",
    "Attend one family session with a support person.",
    "Plan and complete one sober leisure activity a week.",
)
PACE = ("steady", "uneven", "good", "slow")
CONTINUED = ("", " with schedule adjustment", " with added supports")
SOURCES = ("client reports", "record shows", "screens show")
FINDINGS = ("fewer cravings", "better attendance", "more use of skills", "ongoing stress",
            "a recent lapse")
INTERVENTIONS = (
    ("Group psychotherapy (IOP)", "3-5 days a week"), ("Individual counseling", "weekly"),
    ("Urine drug screening", "weekly"), ("Relapse prevention group", "weekly"),
    ("CBT skills practice", "each group day"), ("Family session", "every two weeks"),
    ("Medication management", "monthly"), ("Case management", "as needed"),
)


def _problems(rng: random.Random,
              episode: EpisodePlan) -> list[tuple[str, str, str, tuple[str, ...]]]:
    """(statement, diagnosis code, goal, objective bank) for each problem of the plan."""
    out = []
    if episode.substance:
        word = clinical.SUBSTANCE_WORDS[episode.substance]
        code = clinical.SUD_CODES[episode.substance][0]
        out.append((f"Continued use of {word} despite harm to health, work and relationships.",
                    code, f"Achieve and keep abstinence from {word}.", SUD_OBJECTIVES))
    if episode.track != "substance_use":
        code = episode.dx_codes[1 if episode.substance and len(episode.dx_codes) > 1 else 0]
        out.append(("Depressed mood, worry and poor sleep that make recovery harder.", code,
                    "Reduce mood and anxiety symptoms to a manageable level.", MH_OBJECTIVES))
    if len(out) < 2 or rng.random() < 0.5:
        out.append(("Few sober supports and stress at home.", "",
                    "Build a recovery environment that supports change.", ENV_OBJECTIVES))
    return out


def write_plan(writer: BulkWriter, rng: random.Random, episode: EpisodePlan, effective: dt.date,
               last_day: dt.date, as_of: dt.date, *, draft: bool) -> None:
    """Write the plan (and its reviews up to `last_day`); fills `episode.objectives`."""
    t = writer.table(TreatmentPlan, "episode", "client", "plan_version", "status", "effective_on",
                     "review_due_on", "strengths", "barriers", "services", "referrals",
                     "primary_counselor", "clinician_signed_at", "clinician_signed_by",
                     "client_signed_on", "client_signature_name", "content_hash", "previous")
    problems_t = writer.table(PlanProblem, "plan", "position", "statement", "diagnosis_code")
    goals_t = writer.table(PlanGoal, "problem", "position", "statement")
    objectives_t = writer.table(PlanObjective, "goal", "position", "statement", "target_date",
                                "status", "lineage")
    interventions_t = writer.table(PlanIntervention, "objective", "position", "modality",
                                   "frequency", "responsible", "description")
    clinician = episode.clinician
    created = dt.datetime.combine(effective, dt.time(14, rng.randrange(60)))
    signed_at = None if draft else created + dt.timedelta(minutes=rng.randrange(20, 90))
    plan_id = writer.ids.at(created)
    content: list = []
    objectives = []
    for p_pos, (statement, code, goal, bank) in enumerate(_problems(rng, episode)):
        problem_id = writer.add(problems_t, created, plan_id, p_pos, statement, code)
        goal_id = writer.add(goals_t, created, problem_id, 0, goal)
        for o_pos, text in enumerate(rng.sample(bank, rng.randrange(1, 3))):
            target = effective + dt.timedelta(days=rng.choice((30, 45, 60)))
            lineage = writer.ids.at(created)
            objective_id = writer.add(objectives_t, created, goal_id, o_pos, text, target,
                                      "active", lineage)
            objectives.append((objective_id, text, goal))
            content.append((statement, goal, text, str(target)))
            chosen = rng.sample(INTERVENTIONS, rng.randrange(1, 3))
            for i_pos, (modality, frequency) in enumerate(chosen):
                writer.add(interventions_t, created, objective_id, i_pos, modality, frequency,
                           clinician.id, f"{modality} to support: {text.lower()}")
    strengths = ", ".join(rng.sample(STRENGTHS, 2))
    barriers = ", ".join(rng.sample(BARRIERS, 2))
    services = "IOP groups, weekly individual counseling, weekly drug screens"
    digest = None
    if signed_at:
        digest = content_hash({"items": content, "strengths": strengths, "barriers": barriers,
                               "signed_at": signed_at})
    writer.add_with_id(
        t, plan_id, created, episode.id, episode.client.id, 1, "draft" if draft else "signed",
        effective, effective + dt.timedelta(days=REVIEW_EVERY), strengths, barriers, services,
        "Primary care follow-up" if rng.random() < 0.4 else "", clinician.id, signed_at,
        clinician.id if signed_at else None, effective if signed_at else None,
        episode.client.who.full if signed_at else "", digest, None, updated=signed_at)
    episode.objectives = objectives
    episode.plan_from = effective
    if not draft:
        _reviews(writer, rng, episode, plan_id, effective,
                 min(last_day, as_of - dt.timedelta(days=1)))


def _reviews(writer: BulkWriter, rng: random.Random, episode: EpisodePlan, plan_id: str,
             effective: dt.date, last_day: dt.date) -> None:
    """A signed review every 30 days with a progress rating for each objective."""
    reviews_t = writer.table(PlanReview, "plan", "reviewed_on", "reviewer", "summary",
                             "next_review_on", "signed_at", "content_hash")
    progress_t = writer.table(ObjectiveProgress, "review", "objective", "rating", "comment")
    day = effective + dt.timedelta(days=REVIEW_EVERY)
    number = 0
    while day <= last_day:
        number += 1
        when = dt.datetime.combine(day, dt.time(15, rng.randrange(60)))
        summary = (f"Review {number}: {rng.choice(PACE)} progress; attendance "
                   f"{rng.choice(('consistent', 'mostly consistent', 'irregular'))}. "
                   f"Plan continued{rng.choice(CONTINUED)}.")
        signed = when + dt.timedelta(minutes=30)
        digest = content_hash({"plan": plan_id, "reviewed_on": day, "summary": summary,
                               "signed_at": signed})
        review_id = writer.add(reviews_t, when, plan_id, day, episode.clinician.id, summary,
                               day + dt.timedelta(days=REVIEW_EVERY), signed, digest,
                               updated=signed)
        for objective_id, _text, _goal in episode.objectives:
            rating = clinical.pick_weighted(rng, RATINGS)
            comment = (f"{rating.replace('_', ' ').capitalize()}; {rng.choice(SOURCES)} "
                       f"{rng.choice(FINDINGS)}.")
            writer.add(progress_t, when, review_id, objective_id, rating, comment)
        day += dt.timedelta(days=REVIEW_EVERY)
