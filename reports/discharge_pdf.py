"""The printed discharge summary: the client's identifiers, the episode (admitted, discharged, length
of stay, level of care, track, primary clinician), the reason for discharge, every part of the
summary the domain assembled from the record (diagnoses at admission and at discharge, services
received and the attendance rate, progress per plan goal and objective, first and last measure
scores with the change, medications at discharge), the clinician's aftercare plan and referrals,
and the signature — or, for a draft, a clear "DRAFT — not signed" and a blank line to sign on.

`write_discharge` gathers the read models through the clinic's services (`DischargeDocument`) and
`build_discharge_story` lays them out; the chart's screen (ui/chart/discharge_html.py) shows the
same sections.
"""

from __future__ import annotations

from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, Spacer

from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.formats import DEFAULT_TIME_FORMAT
from iopdesk.services.clients import ClientSummary
from iopdesk.services.discharge.service import DischargeView
from iopdesk.services.disclosures import DocumentContext
from iopdesk.services.episodes import EpisodeView
from reports.blocks import (
    data_table,
    date_text,
    heading,
    label_grid,
    markup,
    para,
    passage,
    signature_block,
    text,
)
from reports.jobs import document_kind
from reports.page import FRAME_WIDTH, build_pdf
from reports.plan_pdf import (
    client_grid,
    diagnosis_table,
    level_label,
    local_day,
    track_label,
    words,
)

W = FRAME_WIDTH


@dataclass(frozen=True)
class DischargeDocument:
    """Everything the printed discharge summary shows, read through the clinic's services."""

    discharge: DischargeView
    client: ClientSummary
    episode: EpisodeView


def describe(view: DischargeView) -> str:
    """What was printed, for the PDF subject and the disclosure log."""
    if view.status == "signed":
        return (f"Discharge summary, discharged {date_text(view.discharged_on)}, signed "
                f"{date_text(local_day(view.signed_at))}")
    return f"Discharge summary, discharged {date_text(view.discharged_on)}, draft (not signed)"


def _stay(view: DischargeView) -> str:
    s = view.summary
    if not (s.admitted_on and s.discharged_on):
        return ""
    days = (s.discharged_on - s.admitted_on).days + 1
    return f"{days} day{'s' if days != 1 else ''}"


def services_story(view: DischargeView) -> list[Flowable]:
    s = view.summary.services
    if s.attendance_rate is None:
        rate = "no group sessions scheduled"
    else:
        rate = f"{s.attendance_rate:.0%} attendance"
    rows = [
        ("Group sessions attended", f"{s.group_sessions_attended} of {s.group_sessions_scheduled} scheduled ({rate})"),
        ("Individual sessions", str(s.individual_sessions)),
        ("Family sessions", str(s.family_sessions)),
        ("Medication management visits", str(s.med_management_visits)),
    ]
    return [*heading("Services received"),
            data_table(("Service", "Received"), rows, (70 * mm, W - 70 * mm), bold_first_column=True)]


def progress_story(view: DischargeView) -> list[Flowable]:
    goals = view.summary.goals
    story = heading("Progress per plan goal and objective")
    if not goals:
        return [*story, para("No treatment plan on record for this episode.", "small")]
    widths = (W - 22 * mm - 38 * mm - 55 * mm, 22 * mm, 38 * mm, 55 * mm)
    problem, p_no, g_no = None, 0, 0
    for goal in goals:
        lines = []
        if goal.problem != problem:
            problem, p_no, g_no = goal.problem, p_no + 1, 0
            lines.append(markup(f"<b>Problem {p_no}:</b> {text(goal.problem)}", "body"))
        g_no += 1
        lines.append(markup(f"<b>Goal {p_no}.{g_no}:</b> {text(goal.goal)}", "body"))
        rows = []
        for o in goal.objectives:
            rated = f"<b>{text(o.rating_label)}</b>"
            if o.rated_on:
                rated += f"<br/><font size='7.5' color='#52606d'>reviewed {date_text(o.rated_on)}</font>"
            rows.append((o.statement, date_text(o.target_date), markup(rated, "cell"), o.comment))
        story += [CondPageBreak(30 * mm), Spacer(0, 4), *lines,
                  data_table(("Objective", "Target date", "Progress at discharge", "Comment"), rows,
                                        widths)]
    return story


def measures_story(view: DischargeView) -> list[Flowable]:
    measures = view.summary.measures
    story = heading("Measures: first and last scores")
    if not measures:
        return [*story, para("No measures were given during the episode.", "small")]
    rows = []
    for m in measures:
        change = f"{m.change:+d}" if m.times_given > 1 else "— (given once)"
        rows.append((m.measure, f"{m.first_total} · {m.first_band}\n{date_text(m.first_on)}",
                     f"{m.last_total} · {m.last_band}\n{date_text(m.last_on)}", change, str(m.times_given)))
    return [*story, data_table(("Measure", "First score", "Last score", "Change", "Times given"), rows,
                               (30 * mm, (W - 80 * mm) / 2, (W - 80 * mm) / 2, 30 * mm, 20 * mm),
                               bold_first_column=True),
            para("Change is the last total minus the first; whether lower is better depends on the measure "
                 "(lower is better on the PHQ-9 and GAD-7).", "small")]


def medications_story(view: DischargeView) -> list[Flowable]:
    meds = view.summary.medications
    story = heading("Medications at discharge")
    if not meds:
        return [*story, para("No active medications at discharge.", "small")]
    rows = [(m.drug + (" (MAT)" if m.is_mat else ""), m.dose, m.frequency, m.route, m.prescriber) for m in meds]
    return [*story, data_table(("Medication", "Dose", "Frequency", "Route", "Prescriber"), rows,
                               (W - 128 * mm, 26 * mm, 34 * mm, 28 * mm, 40 * mm), bold_first_column=True)]


def aftercare_story(view: DischargeView) -> list[Flowable]:
    story = [*heading("Aftercare plan"), *words(view.aftercare, "No aftercare plan written yet."),
             *heading("Aftercare referrals")]
    if not view.referrals:
        return [*story, para("No aftercare referrals.", "small")]
    rows = [(r.provider, r.service, date_text(r.appointment_on) or "Not booked", r.contact, r.barriers or "None noted")
            for r in view.referrals]
    return [*story, data_table(("Provider", "Service", "Appointment", "Contact", "Barriers"), rows,
                                          (38 * mm, 36 * mm, 24 * mm, 38 * mm, W - 136 * mm),
                                          bold_first_column=True)]


def signature_story(view: DischargeView, doc: DischargeDocument, style: str = DEFAULT_TIME_FORMAT) -> list[Flowable]:
    story = heading("Signature")
    if view.status == "signed" and view.signed_at:
        story.append(signature_block("Clinician", view.signed_by, view.signed_at, W, view.signed_by_credentials,
                                     style=style))
        if view.content_hash:
            story.append(para(f"Signed summaries are locked · signature fingerprint {view.content_hash[:16]}",
                              "small"))
    else:
        story += [markup(f"<b>DRAFT — not signed.</b> Summary due {date_text(view.due_on)}.", "body"),
                  Spacer(0, 4), signature_block("Clinician", doc.episode.primary_clinician, None, W)]
    return story


def build_discharge_story(doc: DischargeDocument, context: DocumentContext) -> list[Flowable]:
    """The whole printed discharge summary as flowables (no clinic needed)."""
    view, episode, s = doc.discharge, doc.episode, doc.discharge.summary
    if view.status == "signed":
        status = f"Signed {date_text(local_day(view.signed_at))} by {view.signed_by}"
    else:
        status = "DRAFT — not signed"
    story: list[Flowable] = [
        para("Discharge summary", "title"),
        para(f"Discharged {date_text(view.discharged_on)} · {status}", "subtitle"),
    ]
    if view.status != "signed":
        story.append(markup(f"<b>DRAFT — not signed.</b> This summary may still change; it is due "
                            f"{date_text(view.due_on)}.", "notice"))
    reason = markup(f"<b>{text(view.reason_label)}</b>", "body")
    story += [
        *heading("Client"), client_grid(doc.client),
        *heading("Episode of care"),
        label_grid([
            ("Admitted", date_text(s.admitted_on or episode.admitted_on)),
            ("Discharged", date_text(view.discharged_on)),
            ("Length of stay", _stay(view)), ("Level of care", level_label(s.level_of_care or episode.level_of_care)),
            ("Track", track_label(s.track or episode.track)), ("Primary clinician", episode.primary_clinician),
        ], W),
        *heading("Reason for discharge"), reason,
        *(passage(view.reason_detail.strip(), "body") if view.reason_detail.strip() else []),
        *heading("Diagnoses at admission"), diagnosis_table(s.diagnoses_at_admission, show_dates=False),
        *heading("Diagnoses at discharge"), diagnosis_table(s.diagnoses_at_discharge, show_dates=False),
        *services_story(view),
        *progress_story(view),
        *measures_story(view),
        *medications_story(view),
        *aftercare_story(view),
        *signature_story(view, doc, context.time_format),
    ]
    return story


def load_discharge_document(clinic, request, context: DocumentContext) -> DischargeDocument:
    """The discharge asked for (or that of the client's latest episode) and what goes with it.
    NotFound when there is none; ValidationError when it is another client's."""
    if request.target_id:
        view = clinic.discharge.get(request.target_id)
        if view.client_id != context.client_id:
            raise ValidationError("Discharge summary: this discharge belongs to another client; nothing was "
                                  "printed.", field="target_id")
    else:
        episode = clinic.episodes.latest(request.client_id)
        view = clinic.discharge.for_episode(episode.id) if episode else None
        if view is None:
            raise NotFound(f"{context.client_name} has no discharge summary for the latest episode.")
    return DischargeDocument(view, clinic.clients.summary(request.client_id, audit_read=False), clinic.episodes.get(view.episode_id))


def write_discharge(clinic, request, context: DocumentContext, out, release) -> str:
    """Print a client's discharge summary to `out`; returns its description."""
    doc = load_discharge_document(clinic, request, context)
    description = describe(doc.discharge)
    build_pdf(out, context, title="Discharge summary", subject=description,
              story=build_discharge_story(doc, context), release=release)
    return description


document_kind("discharge", "Discharge summary", write_discharge)
