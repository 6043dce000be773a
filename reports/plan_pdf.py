"""The printed treatment plan: one version of a client's plan with its status (draft, signed,
superseded), the client's identifiers, the episode of care and its diagnoses, the plan's
strengths, barriers, services and referrals, then each problem with its goals as tables of
measurable objectives (target date, status, last review rating) and their interventions (modality,
frequency, who is responsible), the review schedule with past reviews, and the signatures — who
signed and when, or blank lines to sign on paper while the plan is a draft.

`write_plan` gathers the read models through the clinic's services (`PlanDocument`) and
`build_plan_story` lays them out, so the layout can be tested without a clinic. The client
identifier grid and the diagnosis table are shared with the discharge summary.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from reportlab.lib.units import mm
from reportlab.platypus import CondPageBreak, Flowable, KeepTogether, Spacer

from iopdesk.clinical.program_rules import levels_of_care, tracks
from iopdesk.errors import NotFound, ValidationError
from iopdesk.kernel.formats import DEFAULT_TIME_FORMAT
from iopdesk.services.clients import ClientSummary
from iopdesk.services.disclosures import DocumentContext
from iopdesk.services.episodes import DiagnosisView, EpisodeView
from iopdesk.services.plans.reviews import ReviewView
from iopdesk.services.plans.views import ObjectiveView, PlanView
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

W = FRAME_WIDTH
WEEKDAY_NAMES = {"MON": "Mon", "TUE": "Tue", "WED": "Wed", "THU": "Thu", "FRI": "Fri", "SAT": "Sat", "SUN": "Sun"}
OBJECTIVE_STATUS = {"active": "Active", "met": "Met", "discontinued": "Discontinued"}


@dataclass(frozen=True)
class PlanDocument:
    """Everything the printed plan shows, read through the clinic's services."""

    plan: PlanView
    client: ClientSummary
    episode: EpisodeView
    diagnoses: tuple[DiagnosisView, ...]
    reviews: tuple[ReviewView, ...]
    versions: tuple[tuple[str, int, str, dt.date], ...]  # (plan id, version, status, effective date)


# -- shared with the discharge summary -------------------------------------------------------------
def local_day(stamp: dt.datetime | None) -> dt.date | None:
    """The local calendar day of a stored UTC stamp (what a signature date reads on paper)."""
    if stamp is None:
        return None
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone().date()


def level_label(code: str) -> str:
    level = levels_of_care().get(code)
    return level.label if level else code


def track_label(code: str) -> str:
    return tracks().get(code, code)


def schedule_text(episode: EpisodeView) -> str:
    days = ", ".join(WEEKDAY_NAMES.get(d, d) for d in episode.schedule_days)
    return f"{episode.days_per_week} ({days})" if days else str(episode.days_per_week)


def client_grid(client: ClientSummary) -> Flowable:
    """Name, preferred name, DOB, MRN, pronouns and payer, two pairs to a row."""
    payer = client.payer + (f" · member {client.member_id}" if client.payer and client.member_id else "")
    return label_grid([
        ("Client", client.legal_name), ("MRN", client.mrn),
        ("Preferred name", client.preferred_name or "—"), ("Date of birth", date_text(client.dob)),
        ("Pronouns", client.pronouns or "—"), ("Payer", payer or "Self-pay / none on file"),
    ], W)


def diagnosis_table(diagnoses, *, show_dates: bool = True) -> Flowable:
    """ICD-10-CM code and description, the primary one marked; with dates noted and resolved."""
    if not diagnoses:
        return para("No diagnoses recorded.", "small")
    if not show_dates:
        return data_table(("ICD-10", "Diagnosis", "Primary"),
                          [(d.code, d.description, "Primary" if d.is_primary else "") for d in diagnoses],
                          (22 * mm, W - 42 * mm, 20 * mm), bold_first_column=True)
    rows = [(d.code, d.description, "Primary" if d.is_primary else "Secondary", date_text(d.noted_on),
             f"Resolved {date_text(d.resolved_on)}" if d.resolved_on else "Active") for d in diagnoses]
    return data_table(("ICD-10", "Diagnosis", "Rank", "Noted", "Status"), rows,
                      (22 * mm, W - 92 * mm, 20 * mm, 22 * mm, 28 * mm), bold_first_column=True)


def words(value: str, empty: str = "Not recorded.") -> list[Flowable]:
    """Free text from the record (a `passage`, however long), or a quiet placeholder when it is blank."""
    return passage(value.strip(), "body") if value and value.strip() else [para(empty, "small")]


# -- the plan --------------------------------------------------------------------------------------
def status_line(plan: PlanView, versions) -> str:
    """"Signed 11/20/2026", "DRAFT — not signed" or "Superseded by version 3"."""
    if plan.status == "signed":
        return f"Signed {date_text(local_day(plan.clinician_signed_at))}"
    if plan.status == "superseded":
        later = [v for _, v, s, _ in versions if v > plan.plan_version and s != "draft"]
        return f"Superseded by version {min(later)}" if later else "Superseded"
    return "DRAFT — not signed"


def describe(plan: PlanView) -> str:
    """What was printed, for the PDF subject and the disclosure log."""
    if plan.status == "signed":
        return (f"Treatment plan, version {plan.plan_version}, signed "
                f"{date_text(local_day(plan.clinician_signed_at))}")
    if plan.status == "superseded":
        return f"Treatment plan, version {plan.plan_version}, superseded"
    return f"Treatment plan, version {plan.plan_version}, draft (not signed)"


def _last_ratings(doc: PlanDocument) -> dict[str, tuple[str, dt.date]]:
    """Objective lineage → (latest rating label, review date), from reviews of this version or earlier."""
    version_of = {pid: v for pid, v, _, _ in doc.versions}
    latest: dict[str, tuple[str, dt.date]] = {}
    for review in sorted(doc.reviews, key=lambda r: r.reviewed_on):
        if review.signed_at is None or version_of.get(review.plan_id, 0) > doc.plan.plan_version:
            continue
        for p in review.progress:
            latest[p.lineage or p.objective_id] = (p.rating_label, review.reviewed_on)
    return latest


def _interventions_cell(objective: ObjectiveView) -> Flowable:
    lines = []
    for i in objective.interventions:
        line = f"<b>{text(i.modality)}</b> · {text(i.frequency)}"
        line += f"<br/><font size='7.5' color='#52606d'>Responsible: {text(i.responsible or 'Not assigned')}</font>"
        if i.description.strip():
            line += f"<br/><i>{text(i.description.strip())}</i>"
        lines.append(line)
    return markup("<br/>".join(lines) if lines else "<i>None yet</i>", "cell")


def _objective_rows(number: str, goal, ratings) -> list:
    rows = []
    for k, o in enumerate(goal.objectives, start=1):
        status = f"<b>{text(OBJECTIVE_STATUS.get(o.status, o.status))}</b>"
        rating = ratings.get(o.lineage) or ratings.get(o.id)
        status += (f"<br/>{text(rating[0])}<br/><font size='7.5' color='#52606d'>reviewed "
                   f"{date_text(rating[1])}</font>") if rating else "<br/><font size='7.5' color='#52606d'>Not reviewed yet</font>"
        rows.append((f"{number}.{k}", o.statement, date_text(o.target_date), markup(status, "cell"),
                     _interventions_cell(o)))
    return rows


def _height(flowables) -> float:
    """How tall these flowables are at the frame's width, spacing included."""
    total = 0.0
    for f in flowables:
        total += f.wrap(W, 10_000)[1] + f.getSpaceBefore() + f.getSpaceAfter()
    return total


OBJECTIVE_HEADER = ("No.", "Objective", "Target date", "Status · last review",
                    "Interventions (modality · frequency · responsible)")
OBJECTIVE_WIDTHS = (14 * mm, W - 14 * mm - 21 * mm - 29 * mm - 62 * mm, 21 * mm, 29 * mm, 62 * mm)


def _goal_story(number: str, goal, ratings) -> tuple[list[Flowable], float]:
    """A goal's line and its objectives table, and the height of the line with the table's first
    row, or at most 35 mm of it (kept on one page so a goal never ends a page alone)."""
    line = markup(f"<b>Goal {number}:</b> {text(goal.statement)}", "body")
    if not goal.objectives:
        empty = para("No objectives yet.", "small")
        return [Spacer(0, 4), line, empty], _height([line, empty]) + 4
    rows = _objective_rows(number, goal, ratings)
    first = data_table(OBJECTIVE_HEADER, rows[:1], OBJECTIVE_WIDTHS)
    table = data_table(OBJECTIVE_HEADER, rows, OBJECTIVE_WIDTHS, bold_first_column=True)
    return [Spacer(0, 4), line, table], min(_height([line, first]) + 4, 35 * mm)  # a tall row splits (data_table)


def problems_story(doc: PlanDocument) -> list[Flowable]:
    """Each problem, its goals, and per goal one table of objectives with their interventions."""
    plan = doc.plan
    section = heading("Problems, goals, objectives and interventions")
    if not plan.problems:
        return [*section, para("No problems have been added to this plan yet.", "small")]
    story: list[Flowable] = []
    described = {d.code: d.description for d in doc.diagnoses}
    ratings = _last_ratings(doc)
    for p_no, problem in enumerate(plan.problems, start=1):
        lead = [*([section[-1]] if p_no == 1 else []), para(f"Problem {p_no}: {problem.statement}", "subheading")]
        if problem.diagnosis_code:
            dx = described.get(problem.diagnosis_code, "")
            lead.append(para(f"Related diagnosis: {problem.diagnosis_code}{' — ' + dx if dx else ''}", "small"))
        if not problem.goals:
            lead.append(para("No goals yet.", "small"))
        goals = [_goal_story(f"{p_no}.{g_no}", goal, ratings) for g_no, goal in enumerate(problem.goals, start=1)]
        first_goal = goals[0][1] if goals else 0
        story += [CondPageBreak(_height(lead) + first_goal + 6), *lead]
        for k, (flowables, needed) in enumerate(goals):
            story += ([CondPageBreak(needed + 6)] if k else []) + flowables
    return story


def _next_review(doc: PlanDocument) -> str:
    plan = doc.plan
    if plan.status == "superseded":
        return "— (a later version is in force)"
    mine = [r.next_review_on for r in doc.reviews if r.plan_id == plan.id and r.next_review_on]
    due = max([plan.review_due_on, *mine]) if plan.review_due_on else (max(mine) if mine else None)
    return date_text(due) or "—"


def reviews_story(doc: PlanDocument) -> list[Flowable]:
    plan = doc.plan
    story = heading("Review schedule")
    story.append(label_grid([
        ("Effective date", date_text(plan.effective_on)), ("Next review due", _next_review(doc)),
        ("Last reviewed", date_text(plan.last_reviewed_on) or "Not yet reviewed"),
        ("Reviews this episode", str(len(doc.reviews))),
    ], W))
    if doc.reviews:
        version_of = {pid: v for pid, v, _, _ in doc.versions}
        rows = [(date_text(r.reviewed_on), str(version_of.get(r.plan_id, "")), r.reviewer, r.summary,
                 date_text(r.next_review_on)) for r in doc.reviews]
        story += [Spacer(0, 6), data_table(("Reviewed", "Version", "Reviewer", "Summary", "Next due"),
                                                      rows, (22 * mm, 16 * mm, 34 * mm, W - 94 * mm, 22 * mm))]
    return story


def signatures_story(doc: PlanDocument, style: str = DEFAULT_TIME_FORMAT) -> list[Flowable]:
    """The clinician's signature (its time in the clinic's `style`) and the client's, or lines to sign."""
    plan = doc.plan
    story = heading("Signatures")
    if plan.clinician_signed_at:
        story.append(signature_block("Clinician", plan.clinician_signed_by, plan.clinician_signed_at, W,
                                     plan.clinician_signed_credentials, style=style))
    else:
        story.append(signature_block("Clinician", plan.primary_counselor, None, W))
    if plan.client_signature_name and plan.client_signed_on:
        story.append(KeepTogether([
            markup("<b>Client</b>", "cell"),
            markup(f"Signed by {text(plan.client_signature_name)} on {date_text(plan.client_signed_on)}", "cell"),
            Spacer(0, 4)]))
    else:
        story.append(signature_block("Client", doc.client.legal_name, None, W))
    facts = [f"Plan version {plan.plan_version}"]
    if plan.previous_id:
        earlier = {pid: v for pid, v, _, _ in doc.versions}.get(plan.previous_id)
        facts.append(f"revises version {earlier}" if earlier else "revises an earlier version")
    if plan.content_hash:
        facts.append(f"signature fingerprint {plan.content_hash[:16]}")
    story.append(para(" · ".join(facts), "small"))
    return story


def build_plan_story(doc: PlanDocument, context: DocumentContext) -> list[Flowable]:
    """The whole printed plan as flowables (no clinic needed)."""
    plan, episode = doc.plan, doc.episode
    story: list[Flowable] = [
        para("Treatment plan", "title"),
        para(f"Version {plan.plan_version} · {status_line(plan, doc.versions)} · effective "
             f"{date_text(plan.effective_on)}", "subtitle"),
    ]
    if plan.status == "draft":
        story.append(markup("<b>DRAFT — not signed.</b> This plan is not in force until the clinician and "
                            "the client sign it.", "notice"))
    elif plan.status == "superseded":
        story.append(markup(f"<b>{text(status_line(plan, doc.versions))}.</b> This version is kept as it was "
                            "signed; it is no longer the plan in force.", "notice"))
    discharged = f"Discharged {date_text(episode.discharged_on)}" if episode.discharged_on else "Active"
    counselor = plan.primary_counselor or episode.primary_clinician
    story += [
        *heading("Client"), client_grid(doc.client),
        *heading("Episode of care"),
        label_grid([
            ("Admitted", date_text(episode.admitted_on)), ("Level of care", level_label(episode.level_of_care)),
            ("Days a week", schedule_text(episode)), ("Track", track_label(episode.track)),
            ("Primary clinician", episode.primary_clinician), ("Plan counselor", counselor),
            ("Episode", discharged),
        ], W),
        *heading("Diagnoses"), diagnosis_table(doc.diagnoses),
        *heading("Strengths, barriers and services"),
        para("Strengths", "subheading"), *words(plan.strengths),
        para("Barriers", "subheading"), *words(plan.barriers),
        para("Services", "subheading"), *words(plan.services),
        para("Referrals", "subheading"), *words(plan.referrals, "None."),
        *problems_story(doc),
        *reviews_story(doc),
        *signatures_story(doc, context.time_format),
    ]
    return story


def load_plan_document(clinic, request, context: DocumentContext) -> PlanDocument:
    """The plan asked for (or the current one of the client's latest episode) and what goes with it.
    NotFound when there is no such plan; ValidationError when it is another client's."""
    if request.target_id:
        plan = clinic.plans.get(request.target_id)
        if plan.client_id != context.client_id:
            raise ValidationError("Treatment plan: this plan belongs to another client; nothing was printed.",
                                  field="target_id")
    else:
        episode = clinic.episodes.latest(request.client_id)
        if episode is None:
            raise NotFound(f"{context.client_name} has never been admitted, so there is no treatment plan to print.")
        plan = clinic.plans.current_plan(episode.id)
        if plan is None:
            raise NotFound(f"{context.client_name} has no treatment plan in the current episode yet.")
    return PlanDocument(
        plan=plan, client=clinic.clients.summary(request.client_id, audit_read=False),
        episode=clinic.episodes.get(plan.episode_id),
        diagnoses=tuple(clinic.episodes.diagnoses(plan.episode_id)),
        reviews=tuple(clinic.plans.reviews(plan.episode_id)),
        versions=tuple(clinic.plans.versions(plan.episode_id)),
    )


def write_plan(clinic, request, context: DocumentContext, out, release) -> str:
    """Print one version of a client's treatment plan to `out`; returns its description."""
    doc = load_plan_document(clinic, request, context)
    description = describe(doc.plan)
    build_pdf(out, context, title="Treatment plan", subject=description, story=build_plan_story(doc, context),
              release=release)
    return description


document_kind("plan", "Treatment plan", write_plan)
