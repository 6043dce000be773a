"""A blank sign-in sheet for one group session, used in the room: the group, date, time and
facilitators, then one row per client on the session's roster, with Time in, Time out and
Signature to fill by hand, blank rows for walk-ins, and a signature line for each facilitator.
Every member sees the sheet and signs it, so members are named as `clinic.groups.sign_in_sheet`
names them under the program rule `sign_in_sheet.member_names` (by default the first name the
room knows and the last initial, "Marisol Q."). The staff copy (`PrintRequest.staff_copy`), kept by
the program and never passed around the room, adds an MRN column and says so in its title. The
sheet is about no one client, so the page footer names no one, but it identifies clients of the
program and carries the Part 2 notice whenever the program has a Part 2 track.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer, TableStyle

from iopdesk.errors import ValidationError
from iopdesk.kernel.formats import DEFAULT_TIME_FORMAT, time_text
from iopdesk.services.disclosures import DocumentContext
from iopdesk.services.groups.setup import GROUP_TYPE_LABELS
from iopdesk.services.groups.sign_in_sheet import SignInSheet
from reports.blocks import data_table, date_text, label_grid, para, signature_block
from reports.jobs import PrintRequest, document_kind
from reports.page import FRAME_WIDTH, build_pdf
from reports.progress_note_pdf import span_text
from reports.styles import RULE

WALK_IN_ROWS = 4  # at least; more fill the sheet up to MIN_ROWS
MIN_ROWS = 10
ROW_HEIGHT = 9 * mm
WIDTHS = (9 * mm, 55 * mm, 20 * mm, 20 * mm, FRAME_WIDTH - 104 * mm)
STAFF_WIDTHS = (9 * mm, 50 * mm, 27 * mm, 18 * mm, 18 * mm, FRAME_WIDTH - 122 * mm)
NAME_NOTE = {"first_last_initial": "Members are listed by first name and last initial. ",
             "full": ""}


def _write_here() -> Spacer:
    """An empty cell tall enough to write in by hand."""
    return Spacer(0, ROW_HEIGHT - 6)


def _ruled(table, last_printed: int):
    """The shared record table with column lines, so each box can be written in by hand; the
    printed columns (up to `last_printed`) centred in their tall rows."""
    table.setStyle(TableStyle([("INNERGRID", (0, 0), (-1, -1), 0.4, RULE), ("BOX", (0, 0), (-1, -1), 0.6, RULE),
                               ("VALIGN", (0, 1), (last_printed, -1), "MIDDLE")]))
    return table


def build_sign_in_story(sheet: SignInSheet, walk_ins: int | None = None, *,
                        style: str = DEFAULT_TIME_FORMAT) -> list[Flowable]:
    """The sheet: session facts, one row per client on the roster, walk-in rows, facilitator lines
    (times in the clinic's `style`)."""
    session, group, staff = sheet.session, sheet.group, sheet.staff_copy
    facts = [
        ("Group", group.name), ("Group type", GROUP_TYPE_LABELS.get(group.group_type, group.group_type)),
        ("Date", f"{session.session_date:%A}, {date_text(session.session_date)}"),
        ("Time", span_text(session.starts_at, session.ends_at, session.minutes, style)),
        ("Facilitators", ", ".join(session.facilitators) or "—"), ("Topic", session.topic or "—"),
    ]
    count = len(sheet.rows)
    rows = [(str(n), r.name, *((r.mrn,) if staff else ()), "", "", _write_here())
            for n, r in enumerate(sheet.rows, start=1)]
    walk_ins = max(WALK_IN_ROWS, MIN_ROWS - count) if walk_ins is None else walk_ins
    rows += [(str(n), "", *(("",) if staff else ()), "", "", _write_here())
             for n in range(count + 1, count + walk_ins + 1)]
    header = ("#", "Name", *(("MRN",) if staff else ()), "Time in", "Time out", "Signature")
    if staff:
        about = ("Staff copy with MRNs, for the program's records: do not pass it around the room; members sign "
                 f"the members' copy, which prints no MRN. Enrolled members: {count}.")
    else:
        about = (f"{NAME_NOTE.get(sheet.name_style, '')}Please sign in when you arrive and write the time; sign "
                 f"out if you leave before the end. Enrolled members: {count}. Walk-ins use the blank rows at "
                 "the end.")
    story: list[Flowable] = [
        para("Group sign-in sheet — staff copy" if staff else "Group sign-in sheet", "title"),
        para(f"{group.name} · {date_text(session.session_date)} · "
             f"{time_text(session.starts_at, style)}–{time_text(session.ends_at, style)}", "subtitle"),
        label_grid(facts, FRAME_WIDTH),
        Spacer(0, 3 * mm),
        para(about, "small"),
        Spacer(0, 2 * mm),
        _ruled(data_table(header, rows, STAFF_WIDTHS if staff else WIDTHS), len(header) - 4),
    ]
    names = session.facilitators or ("",)
    story += [CondPageBreak(12 * mm + 16 * mm * len(names)), para("Facilitators", "subheading")]
    for name in names:
        story += [Spacer(0, 2 * mm), signature_block("Facilitator", name or None, None, FRAME_WIDTH)]
    return story


def write_sign_in(clinic, request: PrintRequest, context: DocumentContext, out, release) -> str:
    """Print the sign-in sheet of group session `request.target_id` (the staff copy when asked)."""
    if not request.target_id:
        raise ValidationError("Group session: choose the session to print a sign-in sheet for (target_id).",
                              field="target_id")
    sheet = clinic.groups.sign_in_sheet(request.target_id, staff_copy=request.staff_copy)
    session, group = sheet.session, sheet.group
    what = "Sign-in sheet (staff copy, with MRNs)" if sheet.staff_copy else "Sign-in sheet"
    description = (f"{what}, {group.name}, {date_text(session.session_date)} "
                   f"{time_text(session.starts_at, context.time_format)}")
    build_pdf(out, context, title="Sign-in sheet", subject=description,
              story=build_sign_in_story(sheet, style=context.time_format), release=release)
    return description


document_kind("sign-in", "Sign-in sheet", write_sign_in, needs_client=False, staff_copy="with MRNs")
