"""A blank sign-in sheet for one group session, used in the room: the group, date, time and
facilitators, then one row per client on the session's roster, named as the clinic addresses them
(preferred first name and last name), with Time in, Time out and Signature to fill by hand, blank
rows for walk-ins, and a signature line for each facilitator. The sheet is about no one client, so
the page footer names no one, but it identifies clients of the program and carries the Part 2
notice whenever the program has a Part 2 track.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer, TableStyle

from iopdesk.formats import DEFAULT_TIME_FORMAT, time_text
from iopdesk.services.disclosures import DocumentContext
from iopdesk.services.group_setup import GROUP_TYPE_LABELS, GroupView, SessionView
from iopdesk.services.groups import RosterRow

from .blocks import data_table, date_text, label_grid, para, signature_block
from .group_note_pdf import load_session
from .jobs import PrintRequest, document_kind
from .page import FRAME_WIDTH, build_pdf
from .progress_note_pdf import span_text
from .styles import RULE

WALK_IN_ROWS = 4  # at least; more fill the sheet up to MIN_ROWS
MIN_ROWS = 10
ROW_HEIGHT = 9 * mm
WIDTHS = (9 * mm, 55 * mm, 20 * mm, 20 * mm, FRAME_WIDTH - 104 * mm)


def _write_here() -> Spacer:
    """An empty cell tall enough to write in by hand."""
    return Spacer(0, ROW_HEIGHT - 6)


def _ruled(table):
    """The shared record table with column lines, so each box can be written in by hand."""
    table.setStyle(TableStyle([("INNERGRID", (0, 0), (-1, -1), 0.4, RULE), ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                               ("VALIGN", (0, 1), (1, -1), "MIDDLE")]))
    return table


def build_sign_in_story(session: SessionView, group: GroupView, roster: list[RosterRow],
                        walk_ins: int | None = None, *, style: str = DEFAULT_TIME_FORMAT) -> list[Flowable]:
    """The sheet: session facts, one row per client on the roster, walk-in rows, facilitator lines
    (times in the clinic's `style`)."""
    facts = [
        ("Group", group.name), ("Group type", GROUP_TYPE_LABELS.get(group.group_type, group.group_type)),
        ("Date", f"{session.session_date:%A}, {date_text(session.session_date)}"),
        ("Time", span_text(session.starts_at, session.ends_at, session.minutes, style)),
        ("Facilitators", ", ".join(session.facilitators) or "—"), ("Topic", session.topic or "—"),
    ]
    rows = [(str(n), r.addressed_as or r.display_name, "", "", _write_here())
            for n, r in enumerate(roster, start=1)]
    walk_ins = max(WALK_IN_ROWS, MIN_ROWS - len(roster)) if walk_ins is None else walk_ins
    rows += [(str(n), "", "", "", _write_here()) for n in range(len(roster) + 1, len(roster) + walk_ins + 1)]
    story: list[Flowable] = [
        para("Group sign-in sheet", "title"),
        para(f"{group.name} · {date_text(session.session_date)} · "
             f"{time_text(session.starts_at, style)}–{time_text(session.ends_at, style)}", "subtitle"),
        label_grid(facts, FRAME_WIDTH),
        Spacer(0, 3 * mm),
        para("Please sign in when you arrive and write the time; sign out if you leave before the end. "
             f"Enrolled members: {len(roster)}. Walk-ins use the blank rows at the end.", "small"),
        Spacer(0, 2 * mm),
        _ruled(data_table(("#", "Name", "Time in", "Time out", "Signature"), rows, WIDTHS)),
    ]
    names = session.facilitators or ("",)
    story += [CondPageBreak(12 * mm + 16 * mm * len(names)), para("Facilitators", "subheading")]
    for name in names:
        story += [Spacer(0, 2 * mm), signature_block("Facilitator", name or None, None, FRAME_WIDTH)]
    return story


def write_sign_in(clinic, request: PrintRequest, context: DocumentContext, out, release) -> str:
    """Print the sign-in sheet of group session `request.target_id`."""
    session, group, roster = load_session(clinic, request, "the session to print a sign-in sheet for")
    description = (f"Sign-in sheet, {group.name}, {date_text(session.session_date)} "
                   f"{time_text(session.starts_at, context.time_format)}")
    build_pdf(out, context, title="Sign-in sheet", subject=description,
              story=build_sign_in_story(session, group, roster, style=context.time_format), release=release)
    return description


document_kind("sign-in", "Sign-in sheet", write_sign_in, needs_client=False)
