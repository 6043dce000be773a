"""Phrase banks and composers for the text of demo notes (group, individual, family, medication).

Payers treat identical per-client text across a group as an audit flag, so each note is built from
several independent random picks (cravings and mood ratings, triggers, skills, observations,
homework, the client's own plan objective) and the session composer re-rolls the rare collision.
Text says "Client", never a name; other group members are never named. Section keys follow
`resources/note_templates.json`: SOAP, DAP, BIRP or GIRP for individual and family notes, GROUP
(the individualized part) for group notes, as the group-notes service writes them.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

FORMAT_KEYS = {
    "SOAP": ("subjective", "objective", "assessment", "plan"),
    "DAP": ("data", "assessment", "plan"),
    "BIRP": ("behavior", "intervention", "response", "plan"),
    "GIRP": ("goal", "intervention", "response", "plan"),
    "GROUP": ("participation", "response", "progress", "risk", "plan"),
}

TRIGGERS = (
    "payday", "conflict with a partner", "boredom in the evenings", "driving past an old using spot",
    "work stress", "poor sleep", "a family gathering", "a text from an old using contact",
    "loneliness after work", "chronic back pain", "an argument with a sibling", "a court date",
    "weekend parties", "money worries", "anniversary of a loss", "feeling left out at work",
)
QUOTES = (
    "I didn't think I'd make it through the weekend, but I did.",
    "Work has been stressful and the old urges came back.",
    "I used the breathing exercise when I wanted to walk out.",
    "My kids noticed I'm more patient lately.",
    "I'm tired of starting over.",
    "I told my sister the truth for the first time.",
    "Mornings are the hardest part.",
    "I deleted some numbers from my phone.",
    "I keep thinking one won't hurt.",
    "I slept through the night twice this week.",
    "I went to a meeting on my own.",
    "I'm scared of what happens when the program ends.",
    "I felt judged at the pharmacy and almost left.",
    "I called my sponsor instead of going out.",
)
APPEARANCE = (
    "casually dressed and well groomed", "neatly dressed", "appropriately dressed, appeared tired",
    "dressed for work", "fair hygiene, dressed for the weather", "well groomed and alert",
)
AFFECT = (
    "euthymic", "bright", "constricted", "anxious", "mildly irritable", "tearful at times",
    "flat early, brighter by the end", "congruent with stated mood", "guarded",
)
SPEECH = ("normal rate and volume", "soft but clear", "slightly pressured", "goal-directed")
PARTICIPATION = (
    "actively shared personal examples", "listened and offered feedback to peers",
    "spoke briefly when prompted", "volunteered to role-play a refusal", "asked clarifying questions",
    "shared for the first time in group", "was quiet but attentive", "challenged a peer respectfully",
    "completed the worksheet and read part of it aloud", "stayed engaged throughout",
)
SKILLS = (
    "urge surfing", "a HALT check-in", "opposite action", "a thought record", "5-4-3-2-1 grounding",
    "refusal skills", "calling a support person", "paced breathing", "DEAR MAN", "a sleep routine",
    "a daily schedule", "a gratitude list", "playing the tape forward", "self-soothing with senses",
    "a pros and cons list", "a values check", "checking the facts", "a mindful walk",
)
TECHNIQUES = (
    "motivational interviewing", "Socratic questioning", "role-play", "a skills worksheet",
    "guided imagery", "a chain analysis", "cognitive restructuring", "psychoeducation with handouts",
    "a check-in round", "reflective listening", "behavioral rehearsal", "a values card sort",
)
PROGRESS = (
    "making steady progress", "making partial progress", "showing early progress",
    "showing limited progress", "progressing more slowly this week", "maintaining gains",
)
RISK = (
    "Denied suicidal or homicidal ideation; no safety concerns observed.",
    "No signs of intoxication or withdrawal observed.",
    "Denied thoughts of self-harm; safety plan remains current.",
    "Reported no use since the last session; no risk concerns noted.",
    "Reported one lapse this week; safety reviewed, no acute risk.",
)
HOMEWORK = (
    "practise {skill} daily", "attend two mutual-help meetings", "log cravings with their triggers",
    "call a support person before the weekend", "complete the trigger worksheet",
    "write down three warning signs", "keep a sleep diary", "plan one sober activity",
    "share the relapse prevention plan with a support person", "try {skill} when cravings rise",
)
ARRIVAL = {
    "present": ("on time", "on time and ready", "a few minutes early"),
    "late_arrival": ("late", "late, after the check-in", "late, citing transportation"),
    "left_early": ("on time", "on time", "on time and ready"),
}
STATUS_WORDS = {
    "present": "full session",
    "late_arrival": "arrived late",
    "left_early": "left early for an appointment",
}


@dataclass(frozen=True)
class NoteContext:
    """What a note may say about one client's session (no names)."""

    fmt: str
    setting: str
    minutes: int
    length: int
    status: str
    topic: str
    objective: str
    goal: str
    days_per_week: int
    week: int


FAMILY_REPORTS = (
    "Family reported calmer evenings at home and fewer arguments.",
    "Family described worry when Client comes home late.",
    "Family said they are unsure how to respond to cravings.",
    "Family noticed Client keeping to the daily schedule.",
    "Family reported feeling exhausted and asked about support groups.",
)


def _progress(rng: random.Random, week: int) -> str:
    return PROGRESS[min(len(PROGRESS) - 1, rng.randrange(3) + (2 if week < 2 else 0))]


def _subjective(rng: random.Random) -> str:
    craving = rng.randrange(0, 9)
    mood = rng.randrange(3, 10)
    roll = rng.random()
    if roll < 0.4:
        return (f"Client reported cravings at {craving}/10 since the last session, mostly around "
                f"{rng.choice(TRIGGERS)}, and rated mood {mood}/10.")
    if roll < 0.75:
        return (f'Client stated, "{rng.choice(QUOTES)}" Rated mood {mood}/10 and cravings '
                f"{craving}/10.")
    return (f"Client described a week shaped by {rng.choice(TRIGGERS)} and said "
            f"{rng.choice(SKILLS)} helped. Cravings {craving}/10, mood {mood}/10.")


def _objective(rng: random.Random, ctx: NoteContext) -> str:
    if ctx.status == "family_only":
        return (f"Family members arrived on time; affect {rng.choice(AFFECT)}. Session lasted "
                f"{ctx.minutes} minutes; Client not present by design.")
    status = ctx.status if ctx.status in ARRIVAL else "present"
    return (f"Client arrived {rng.choice(ARRIVAL[status])}; {rng.choice(APPEARANCE)}; affect "
            f"{rng.choice(AFFECT)}; speech {rng.choice(SPEECH)}. Attended {ctx.minutes} of "
            f"{ctx.length} minutes ({STATUS_WORDS.get(status, 'full session')}).")


def _assessment(rng: random.Random, ctx: NoteContext) -> str:
    return (f"Client is {_progress(rng, ctx.week)} toward the objective "
            f'"{ctx.objective.rstrip(".")}". '
            f"{rng.choice(RISK)}")


def _intervention(rng: random.Random, ctx: NoteContext) -> str:
    return (f"{ctx.setting} on {ctx.topic.lower()} using {rng.choice(TECHNIQUES)}; Client was "
            f"coached on {rng.choice(SKILLS)} and linked it to {rng.choice(TRIGGERS)}.")


def _response(rng: random.Random) -> str:
    first, second = rng.sample(PARTICIPATION, 2)
    return f"Client {first} and {second}. Identified {rng.choice(SKILLS)} as a skill to use this week."


def _plan(rng: random.Random, ctx: NoteContext) -> str:
    homework = rng.choice(HOMEWORK).format(skill=rng.choice(SKILLS))
    days = f"{ctx.days_per_week}-day" if ctx.days_per_week > 1 else "weekly"
    return (f"Continue the {days} schedule (week {ctx.week + 1} of treatment). Client agreed to "
            f"{homework} before the next session.")


def compose(rng: random.Random, ctx: NoteContext) -> dict[str, str]:
    """The sections of one note in its format, each filled with client-specific text."""
    out: dict[str, str] = {}
    for key in FORMAT_KEYS[ctx.fmt]:
        if key in ("subjective", "data", "behavior"):
            text = rng.choice(FAMILY_REPORTS) if ctx.status == "family_only" else _subjective(rng)
            if key != "subjective":
                text += " " + _objective(rng, ctx)
        elif key == "objective":
            text = _objective(rng, ctx)
        elif key == "assessment":
            text = _assessment(rng, ctx)
        elif key == "participation":
            text = f"Client {rng.choice(PARTICIPATION)}. {_objective(rng, ctx)}"
        elif key == "progress":
            text = (f"Client is {_progress(rng, ctx.week)} toward the objective "
                    f'"{ctx.objective.rstrip(".")}". '
                    f"{_subjective(rng)}")
        elif key == "risk":
            text = rng.choice(RISK)
        elif key == "intervention":
            text = _intervention(rng, ctx)
        elif key == "response":
            text = _response(rng) + (" " + _assessment(rng, ctx) if ctx.fmt == "BIRP" else "")
            if ctx.fmt == "GROUP":
                text += f" Linked {ctx.topic.lower()} to {rng.choice(TRIGGERS)}."
        elif key == "goal":
            text = f'Goal: {ctx.goal} Objective addressed: "{ctx.objective.rstrip(".")}".'
        else:
            text = _plan(rng, ctx)
        out[key] = text
    return out


MED_RESPONSE = ("tolerated well", "partial response", "good response", "mild side effects")
MED_NOTES = (
    "Reviewed adherence, side effects and cravings.", "Discussed sleep and appetite changes.",
    "Client reports the current dose holds cravings through the day.",
    "Client asked about tapering; discussed risks and timing.",
    "Reviewed recent drug screen with the client.",
)


def med_sections(rng: random.Random, drug: str, dose: str, week: int) -> dict[str, str]:
    """A short SOAP medication-management note."""
    return {
        "subjective": f"{rng.choice(MED_NOTES)} {_subjective(rng)}",
        "objective": f"Alert and oriented; {rng.choice(APPEARANCE)}; affect {rng.choice(AFFECT)}.",
        "assessment": f"{drug} {dose}: {rng.choice(MED_RESPONSE)}. {rng.choice(RISK)}",
        "plan": f"Continue {drug}; follow up in {rng.choice((2, 4))} weeks "
                f"(treatment week {week + 1}).",
    }


def family_context_words(kind: str) -> str:
    return {
        "with_client": "Family session with Client and family present",
        "without_client": "Family session without Client present",
    }.get(kind, "Family session")
