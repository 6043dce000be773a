"""How much text each kind of field holds: the one place the limits live.

Every limit is far above anything a clinic writes in practice, so no honest record meets one; they
exist so a pasted log file, a stuck key or a hostile script cannot store megabytes that every later
screen, print, export and sync must carry (issue 19: a 5 MB note section saved and signed in under
a second, then never printed). Printing stays correct for longer records already stored
(`reports.blocks.passage` splits, never truncates). A printed page holds about 2,500 characters of
9.5 pt text, so the page counts below are what a field at its limit prints as.

The services enforce these through `iopdesk.kernel.validation` (`bounded_text`, `required_text`,
`check_length`): the refusal names the field, the limit and the length typed, nothing is saved,
and the screen keeps what was typed (a field never changes what was typed into it).
"""

from __future__ import annotations

NAME = 200
"""A name or short label: a recipient, a provider or contact, a group's topic and modality, a
diagnosis description, a client's preferred name, pronouns, gender identity, phone, member ID (and
the default of `required_text`). The longest real names with credentials stay under 100
characters; 200 is two lines of a form."""

STATEMENT = 2_000
"""One statement or comment: a plan problem, goal or objective, a consent's information or purpose,
an alert, a co-signature comment, a note's participants line, a family contact's comments, an
intake comment, a level-of-care change reason, a referral's barriers, a disclosure description, an
emergency-access reason or review note. A careful statement is a sentence or three (~300
characters); 2,000 is most of a printed page."""

NARRATIVE = 10_000
"""A narrative field of a plan, review or discharge: strengths, barriers, services, referrals, an
intervention's description, the review summary and its comment on each objective, the discharge
reason detail and aftercare plan, an alert's resolution. Such a field rarely passes 1,500
characters; 10,000 is about four printed pages."""

NOTE_SECTION = 20_000
"""One section of a progress or group note (Subjective, Data, Assessment, Plan, a member's
individualized part), a group session's shared part, or an addendum: a thorough section is
1,000–3,000 characters; 20,000 is about eight printed pages, far above any real note."""

NOTE_TOTAL = 50_000
"""All the sections of one note together: about twenty printed pages, so a note can have one very
long section but not all of them at their limit."""

__all__ = ["NAME", "NARRATIVE", "NOTE_SECTION", "NOTE_TOTAL", "STATEMENT"]
