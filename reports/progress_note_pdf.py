"""A client's progress note on paper: an individual, family, medication-management or case-management
note in its format (SOAP, DAP, BIRP, GIRP: the section labels come from `iopdesk.clinical.note_formats`),
with the date of service, times and minutes, participants, the plan objectives addressed, the
author and credentials, the signature and co-signature stamps (or a clear DRAFT banner), and every
addendum with its author and time. Times are written in the clinic's format (`context.time_format`,
"12h" or "24h"). The pieces a group note shares with it (the status banner, the
objectives, signatures and addenda) are here too and reused by `reports.group_note_pdf`.
"""

from __future__ import annotations

import datetime as dt

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from iopdesk.clinical.note_formats import lookup_format
from iopdesk.errors import ValidationError
from iopdesk.kernel.formats import DEFAULT_TIME_FORMAT, time_text
from iopdesk.services.disclosures import DocumentContext
from iopdesk.services.notes.service import NoteView
from reports.blocks import (
    date_text,
    heading,
    label_grid,
    markup,
    para,
    passage,
    signature_block,
    stamp_text,
    text,
)
from reports.jobs import PrintRequest, document_kind
from reports.page import FRAME_WIDTH, build_pdf

KIND_LABELS = {"individual": "Individual session note", "group": "Group note", "family": "Family session note",
               "med_management": "Medication management note", "case_management": "Case management note"}
STATUS_WORDS = {"draft": "Draft (not signed)", "signed": "Signed", "awaiting_cosign": "Signed, awaiting co-signature",
                "cosigned": "Signed and co-signed"}
DRAFT_BANNER = "DRAFT — not signed"


def span_text(start: dt.time | None, end: dt.time | None, minutes: int | None,
              style: str = DEFAULT_TIME_FORMAT) -> str:
    """"10:00 AM–10:50 AM (50 minutes)" (times in the clinic's `style`), or just the minutes when
    the times are not recorded."""
    span = f"{time_text(start, style)}–{time_text(end, style)}" if start and end else ""
    amount = f"{minutes} minutes" if minutes else "minutes not recorded"
    return f"{span} ({amount})" if span else amount


def status_banner(note: NoteView) -> list[Flowable]:
    """A boxed line at the top: DRAFT for an unsigned note, the co-signature still owed otherwise."""
    if note.status == "draft":
        return [markup(f"<b>{DRAFT_BANNER}.</b> This note is a draft: it is not complete, not part of the "
                       "signed record and may still change.", "notice")]
    if note.status == "awaiting_cosign":
        return [markup("<b>Awaiting co-signature.</b> Signed by its author; the supervisor's co-signature is "
                       "still required before this note is complete.", "notice")]
    return []


def objectives_story(note: NoteView) -> list[Flowable]:
    """The plan objectives the note addresses, one per line."""
    story = heading("Plan objectives addressed", "subheading")
    if not note.objectives:
        return [*story, para("None recorded.", "small")]
    return [*story, *(markup(f"•&nbsp;&nbsp;{text(statement)}") for _, statement in note.objectives)]


def sections_story(note: NoteView, replace=lambda value: value) -> list[Flowable]:
    """Each section of the note's format under its label, in the format's order (`replace` may
    rewrite the text, e.g. other group members' names as initials)."""
    story: list[Flowable] = []
    for section in lookup_format(note.note_format).sections:
        body = replace((note.sections.get(section.key) or "").strip())
        story += [*heading(section.label, "subheading"), *(passage(body) if body else [para("(blank)", "small")])]
    return story


def signatures_story(note: NoteView, style: str = DEFAULT_TIME_FORMAT) -> list[Flowable]:
    """Who signed and co-signed, when, and the content fingerprint; DRAFT — not signed otherwise."""
    story = heading("Signatures")
    if note.status == "draft":
        story.append(markup(f"<b>{DRAFT_BANNER}.</b> Author: {text(note.author)}"
                            f"{', ' + text(note.author_credentials) if note.author_credentials else ''}."))
        return story
    story.append(signature_block("Author", note.author, note.signed_at, FRAME_WIDTH, note.author_credentials,
                                 style=style))
    if note.cosigned_by and note.cosigned_at:
        story.append(signature_block("Co-signature (supervisor)", note.cosigned_by, note.cosigned_at, FRAME_WIDTH,
                                     note.cosigner_credentials, style=style))
    elif note.cosign_required:
        story.append(markup("<b>Co-signature (supervisor)</b><br/>Not yet co-signed.", "cell"))
        story.append(Spacer(0, 4))
    if note.content_hash:
        story.append(para(f"Signed content fingerprint (SHA-256): {note.content_hash}", "small"))
    return story


def addenda_story(note: NoteView, style: str = DEFAULT_TIME_FORMAT) -> list[Flowable]:
    """Every addendum in order, each with its author, time and fingerprint; the note itself is unchanged."""
    if not note.addenda:
        return []
    story = heading("Addenda")
    for addendum in note.addenda:
        first, *rest = passage(addendum.text)
        story += [
            KeepTogether([para(f"{addendum.label} — {addendum.author}, {stamp_text(addendum.signed_at, style)}",
                               "subheading"), first]),
            *rest,
            para(f"Fingerprint (SHA-256): {addendum.content_hash}", "small"),
            Spacer(0, 4),
        ]
    return story


def note_description(label: str, note: NoteView) -> str:
    """"Individual session note (DAP), 11/20/2026, signed 11/21/2026" (or ", draft")."""
    if note.status == "draft":
        state = "draft"
    elif note.status == "cosigned" and note.cosigned_at:
        state = f"co-signed {date_text(note.cosigned_at.date())}"
    else:
        state = f"signed {date_text(note.signed_at.date())}" if note.signed_at else note.status
    return f"{label}, {date_text(note.service_date)}, {state}"


def build_progress_note_story(note: NoteView, context: DocumentContext) -> list[Flowable]:
    """The whole note, from its title to the addenda."""
    kind = KIND_LABELS.get(note.kind, "Note")
    fmt = lookup_format(note.note_format)
    author = note.author + (f", {note.author_credentials}" if note.author_credentials else "")
    style = context.time_format
    facts = [
        ("Client", context.client_name), ("MRN", context.mrn),
        ("Date of service", date_text(note.service_date)), ("Time", span_text(note.starts_at, note.ends_at,
                                                                             note.minutes, style)),
        ("Format", f"{fmt.code} ({', '.join(s.label for s in fmt.sections)})"),
        ("Place of service", note.place_of_service),
        ("Author", author), ("Status", STATUS_WORDS.get(note.status, note.status)),
        ("Participants", note.participants or "Not recorded"), ("Addenda", str(len(note.addenda)) if note.addenda else "None"),
    ]
    return [
        para(f"{kind}{' — ' + DRAFT_BANNER if note.status == 'draft' else ''}", "title"),
        para(f"{fmt.code} note · date of service {date_text(note.service_date)} · "
             f"{span_text(note.starts_at, note.ends_at, note.minutes, style)}", "subtitle"),
        *status_banner(note),
        label_grid(facts, FRAME_WIDTH),
        Spacer(0, 2 * mm),
        *objectives_story(note),
        *heading(f"{fmt.code} note"),
        *sections_story(note),
        *signatures_story(note, style),
        *addenda_story(note, style),
    ]


def write_progress_note(clinic, request: PrintRequest, context: DocumentContext, out, release) -> str:
    """Print note `request.target_id` of client `request.client_id`."""
    if not request.target_id:
        raise ValidationError("Note: choose the note to print (target_id).", field="target_id")
    note = clinic.notes.get(request.target_id)
    if note.client_id != context.client_id:
        raise ValidationError("Note: this note belongs to another client.", field="target_id")
    if note.kind == "group":
        raise ValidationError("Note: a group note prints as a group note, with its session's shared part.",
                              field="target_id")
    label = f"{KIND_LABELS.get(note.kind, 'Note')} ({note.note_format})"
    description = note_description(label, note)
    build_pdf(out, context, title=KIND_LABELS.get(note.kind, "Progress note"), subject=description,
              story=build_progress_note_story(note, context), release=release)
    return description


document_kind("progress-note", "Progress note", write_progress_note)
