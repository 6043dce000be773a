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
"""A name or short label (a person, a recipient, a provider, a relationship, a topic): the longest
real names with credentials and titles stay under 100 characters; 200 is two lines of a form."""

STATEMENT = 2_000
"""One statement or comment: a plan problem, goal or objective, a review comment on one objective,
a consent's information or purpose, an alert, a co-signature comment, a family contact's comments,
an intake comment. A careful statement is a sentence or three (~300 characters); 2,000 is most of
a printed page."""

NARRATIVE = 10_000
"""A narrative field of a plan or discharge: strengths, barriers, services, referrals, the review
summary, the discharge reason detail and aftercare, an alert's resolution, an emergency-access
reason or review, an address block. Such a field rarely passes 1,500 characters; 10,000 is about
four printed pages."""

NOTE_SECTION = 20_000
"""One section of a progress or group note (Subjective, Data, Assessment, Plan, the group's shared
part, a member's individualized part) or an addendum: a thorough section is 1,000–3,000
characters; 20,000 is about eight printed pages, far above any real note."""

NOTE_TOTAL = 50_000
"""All the sections of one note together (plus its participants line): about twenty printed
pages, so a note can have one very long section but not four at their limit."""

__all__ = ["NAME", "NARRATIVE", "NOTE_SECTION", "NOTE_TOTAL", "STATEMENT"]
