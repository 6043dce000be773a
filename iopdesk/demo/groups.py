"""The demo clinic's therapy groups: their weekly schedule, facilitators, topics and the shared
(client-free) part of each session's note.

Each site runs a morning IOP block (Mon–Fri 9:00, 180 min) for five-day clients, an evening
block for three-day clients, and shorter add-on groups (relapse prevention, psychoeducation,
twelve-step facilitation, a multi-family group). Busy clinics run several sections of a group
so that none grows past about fifteen members.
"""

from __future__ import annotations

import datetime as dt
import math
import random
from dataclasses import dataclass, field

from iopdesk.demo.cast import Cast
from iopdesk.demo.writer import BulkWriter
from iopdesk.models import GroupFacilitator, GroupScheduleSlot, TherapyGroup

MON, TUE, WED, THU, FRI = range(5)
DAY_CODES = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class GroupTemplate:
    name: str
    group_type: str
    role: str  # "morning", "evening" or "addon"
    weekdays: tuple[int, ...]
    starts: dt.time
    minutes: int
    billing_code: str = "90853"
    modality: str = "Group psychotherapy"


SITE_TEMPLATES = (
    (
        GroupTemplate("Morning IOP", "process", "morning", (MON, TUE, WED, THU, FRI), dt.time(9),
                      180),
        GroupTemplate("Evening IOP", "cbt_dbt_skills", "evening", (MON, TUE, THU), dt.time(18), 180,
                      modality="CBT/DBT skills group"),
        GroupTemplate("Relapse Prevention", "relapse_prevention", "addon", (WED,), dt.time(13), 90),
        GroupTemplate("Recovery Psychoeducation", "psychoeducation", "addon", (TUE, THU), dt.time(13),
                      60, modality="Psychoeducation"),
        GroupTemplate("Twelve-Step Facilitation", "twelve_step", "addon", (FRI,), dt.time(13), 60),
        GroupTemplate("Family Night", "multi_family", "addon", (WED,), dt.time(18), 90, "90849",
                      "Multiple-family group psychotherapy"),
    ),
    (
        GroupTemplate("Morning IOP", "cbt_dbt_skills", "morning", (MON, TUE, WED, THU, FRI),
                      dt.time(9), 180, modality="CBT/DBT skills group"),
        GroupTemplate("Evening IOP", "process", "evening", (MON, TUE, WED, THU), dt.time(18), 180),
        GroupTemplate("Relapse Prevention", "relapse_prevention", "addon", (TUE,), dt.time(13), 90),
    ),
)

TOPICS = {
    "process": ("Coping with shame in early recovery", "Repairing trust with family",
                "Getting through weekends sober", "Anger and resentment", "Grief and loss",
                "Setting boundaries with using friends", "Loneliness and connection",
                "Returning to work", "Handling criticism", "What recovery means to me"),
    "cbt_dbt_skills": ("Identifying automatic thoughts", "Common thinking traps",
                       "Distress tolerance: TIPP skills", "Urge surfing", "Opposite action",
                       "Wise mind", "DEAR MAN and asking for what you need", "Radical acceptance",
                       "Chain analysis of a lapse", "Behavioral activation", "Check the facts"),
    "psychoeducation": ("How alcohol affects the brain", "Stages of change",
                        "Post-acute withdrawal symptoms", "Sleep and recovery",
                        "Nutrition in early recovery", "Medications for opioid use disorder",
                        "Overdose prevention and naloxone", "Depression and substance use",
                        "Stress and the body"),
    "relapse_prevention": ("Mapping personal triggers", "High-risk situations",
                           "Warning signs before a lapse", "Building a relapse prevention plan",
                           "Coping with cravings", "Lapse versus relapse", "Refusal skills",
                           "Listing recovery supports"),
    "twelve_step": ("Step one: powerlessness and unmanageability", "Finding a sponsor",
                    "Choosing a home group", "Step two and hope", "Service in recovery",
                    "Mutual-help options beyond twelve-step meetings"),
    "multi_family": ("Communication without blame", "Family roles in addiction",
                     "Supporting recovery without enabling", "Rebuilding trust at home",
                     "Self-care for family members", "Setting family boundaries"),
}
ACTIVITIES = (
    "opened with a check-in round and reviewed group agreements",
    "presented the topic with a handout and guided discussion",
    "led a skills demonstration followed by paired practice",
    "used role-play to rehearse the skill",
    "facilitated a process discussion linking the topic to members' weeks",
    "closed with a brief mindfulness exercise and weekly goals",
)


@dataclass
class DemoGroup:
    """A group section with its members of the moment (episode states, see `roster`)."""

    id: str
    site: int
    template: GroupTemplate
    facilitators: list
    members: list = field(default_factory=list)

    @property
    def ends(self) -> dt.time:
        start = dt.datetime.combine(dt.date(2000, 1, 1), self.template.starts)
        return (start + dt.timedelta(minutes=self.template.minutes)).time()


def sections_needed(census: float, share: float) -> int:
    """Sections that keep a group at fifteen members or fewer when `share` of the census attends."""
    return max(1, math.ceil(census * share / 15))


def write_groups(writer: BulkWriter, rng: random.Random, cast: Cast, census: list[float],
                 founded: dt.datetime) -> list[DemoGroup]:
    """Every group section of both sites with its schedule slots and two facilitators."""
    groups = writer.table(TherapyGroup, "name", "group_type", "site", "default_minutes",
                          "billing_code", "active")
    slots = writer.table(GroupScheduleSlot, "group", "weekday", "starts_at", "minutes")
    facilitators = writer.table(GroupFacilitator, "group", "staff")
    shares = {"morning": 0.6, "evening": 0.4, "addon": 0.5 / 3}
    out: list[DemoGroup] = []
    for site, templates in enumerate(SITE_TEMPLATES):
        staff = cast.facilitators(site)
        for template in templates:
            count = sections_needed(census[site], shares[template.role])
            for number in range(count):
                name = template.name if count == 1 else f"{template.name} {chr(65 + number % 26)}"
                if number >= 26:
                    name += str(number // 26 + 1)
                writer.origin_site = cast.sites[site].id
                group_id = writer.add(groups, founded, name, template.group_type,
                                      cast.sites[site].id, template.minutes, template.billing_code,
                                      True)
                for weekday in template.weekdays:
                    writer.add(slots, founded, group_id, weekday, template.starts, template.minutes)
                lead = staff[len(out) % len(staff)]
                pair = [lead]
                if len(staff) > 1:
                    pair.append(staff[(len(out) + 1 + rng.randrange(len(staff) - 1)) % len(staff)])
                for member in pair:
                    writer.add(facilitators, founded, group_id, member.id)
                out.append(DemoGroup(group_id, site, template, pair))
    writer.origin_site = cast.sites[0].id
    return out


def shared_note(rng: random.Random, group: DemoGroup, topic: str, present: int, late: int) -> str:
    """The part of a session note copied to every attendee's chart: no client is identified."""
    t = group.template
    lateness = f", {late} arrived late" if late else ""
    return (f"{t.modality}, {t.minutes} minutes ({t.starts:%H:%M}–{group.ends:%H:%M}). "
            f"Topic: {topic}. {present} members present{lateness}. Facilitators "
            f"{rng.choice(ACTIVITIES)}; then "
            f"{rng.choice(ACTIVITIES)}. {len(group.facilitators)} facilitator(s) present.")
