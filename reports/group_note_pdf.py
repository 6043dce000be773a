"""One client's copy of a group session note: the group and its type, date and time, this client's
attendance (status, arrival or departure, minutes attended), the facilitators, topic and modality,
the shared part, this client's individualized sections and the plan objectives addressed, the
signature stamps (or "DRAFT — not signed"), addenda, and an attendance roster on which every other
member appears by initials only. Other members' names never reach the page: any name of another
member written in the shared part or in this client's sections is printed as that member's
initials (the domain warns the facilitator about such names before signing; this is the last guard).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Spacer

from iopdesk.clinical.attendance import STATUS_WORDS, gets_group_note
from iopdesk.errors import ValidationError
from iopdesk.kernel.formats import DEFAULT_TIME_FORMAT, time_text
from iopdesk.services.disclosures import DocumentContext
from iopdesk.services.groups.notes import names_as_initials
from iopdesk.services.groups.service import RosterRow
from iopdesk.services.groups.setup import GROUP_TYPE_LABELS, GroupView, SessionView
from iopdesk.services.notes.service import NoteView
from reports.blocks import date_text, heading, label_grid, markup, para, passage, text
from reports.jobs import PrintRequest, document_kind
from reports.page import FRAME_WIDTH, build_pdf
from reports.progress_note_pdf import (
    DRAFT_BANNER,
    addenda_story,
    note_description,
    objectives_story,
    sections_story,
    signatures_story,
    span_text,
    status_banner,
)

ROSTER_MARKS = {"late_arrival": "late", "left_early": "left early"}


def attendance_text(row: RosterRow, session: SessionView, style: str = DEFAULT_TIME_FORMAT) -> str:
    """"Late arrival at 9:25 AM; attended 155 of 180 minutes" (or the absence)."""
    if row.status is None:
        return "Attendance not recorded"
    if not gets_group_note(row.status):
        return STATUS_WORDS[row.status].capitalize()
    what = {"present": "Present for the whole session",
            "late_arrival": f"Late arrival at {time_text(row.arrived_at, style)}",
            "left_early": f"Left early at {time_text(row.left_at, style)}"}[row.status]
    return f"{what}; attended {row.minutes or 0} of {session.minutes} minutes"


def roster_text(me: RosterRow, roster: list[RosterRow]) -> tuple[int, str]:
    """(members present, "M.A., J.B. (late), …"): the other attendees by initials only."""
    present = [r for r in roster if gets_group_note(r.status)]
    others = [f"{r.initials}{' (' + ROSTER_MARKS[r.status] + ')' if r.status in ROSTER_MARKS else ''}"
              for r in sorted(present, key=lambda r: r.initials.casefold()) if r.client_id != me.client_id]
    return len(present), ", ".join(others) or "none"


def initials_only(me: RosterRow, roster: list[RosterRow]):
    """A function writing every other member's names in a text as their initials."""
    others = [(set(r.name_words), r.initials) for r in roster if r.client_id != me.client_id]
    return lambda value: names_as_initials(value, others, set(me.name_words))


def build_group_note_story(session: SessionView, group: GroupView, me: RosterRow, roster: list[RosterRow],
                           note: NoteView | None, context: DocumentContext) -> list[Flowable]:
    """The client's copy of the session note (`note` None when the client has no group note, e.g. absent)."""
    mask = initials_only(me, roster)
    count, others = roster_text(me, roster)
    draft = note is not None and note.status == "draft"
    style = context.time_format
    facts = [
        ("Client", context.client_name), ("MRN", context.mrn),
        ("Group", group.name), ("Group type", GROUP_TYPE_LABELS.get(group.group_type, group.group_type)),
        ("Date", date_text(session.session_date)),
        ("Session time", span_text(session.starts_at, session.ends_at, session.minutes, style)),
        ("Attendance", attendance_text(me, session, style)),
        ("Minutes attended", str(me.minutes or 0) if me.status else "—"),
        ("Facilitators", ", ".join(session.facilitators) or "—"),
        ("Billing code", group.billing_code),
        ("Topic", mask(session.topic) or "—"), ("Modality", mask(session.modality) or "—"),
    ]
    story: list[Flowable] = [
        para(f"Group note{' — ' + DRAFT_BANNER if draft else ''}", "title"),
        para(f"{group.name} · {date_text(session.session_date)} · "
             f"{time_text(session.starts_at, style)}–{time_text(session.ends_at, style)}", "subtitle"),
    ]
    if note is not None:
        story += status_banner(note)
    story += [label_grid(facts, FRAME_WIDTH), Spacer(0, 2 * mm)]
    story += heading("Shared part (the same in every member's chart)")
    shared = mask((session.shared_note or "").strip())
    story += passage(shared) if shared else [para("The shared part has not been written yet.", "small")]
    story += heading("Attendance roster", "subheading")
    story.append(markup(f"<b>Members present: {count}.</b> Other members present (initials only): "
                        f"{text(others)}"))
    story.append(para("Other members are identified by initials only, to protect their confidentiality.",
                      "small"))
    story += heading(f"Individualized part — {context.client_name}")
    if note is None:
        why = attendance_text(me, session, style).lower()
        story.append(para(f"No individualized note for this session ({why}).", "small"))
        return story
    story += [*sections_story(note, mask), *objectives_story(note), *signatures_story(note, style),
              *addenda_story(note, style)]
    return story


def load_session(clinic, request: PrintRequest, what: str) -> tuple[SessionView, GroupView, list[RosterRow]]:
    """The group session `request.target_id` names, its group and its roster (group note, sign-in
    sheet). ValidationError (target_id) when no session is named."""
    if not request.target_id:
        raise ValidationError(f"Group session: choose {what} (target_id).", field="target_id")
    session = clinic.groups.session(request.target_id)
    return session, clinic.groups.get_group(session.group_id), clinic.groups.roster(session.id)


def write_group_note(clinic, request: PrintRequest, context: DocumentContext, out, release) -> str:
    """Print client `request.client_id`'s copy of group session `request.target_id`."""
    session, group, roster = load_session(clinic, request, "the session whose note to print")
    me = next((r for r in roster if r.client_id == context.client_id), None)
    if me is None:
        raise ValidationError("Group session: this client is not on the session's roster.", field="target_id")
    note = clinic.notes.get(me.note_id) if me.note_id else None
    if note is not None:
        description = note_description(f"Group note, {group.name}", note)
    else:
        description = f"Group note, {group.name}, {date_text(session.session_date)}, no individualized part"
    build_pdf(out, context, title="Group note", subject=description,
              story=build_group_note_story(session, group, me, roster, note, context), release=release)
    return description


document_kind("group-note", "Group note", write_group_note)
