"""The measure report of one client: for every standard measure given to them (or one, when asked),
its trend chart over the measure's severity bands (`reports.measure_chart_pdf`), the first and
latest results with the change between them, and a table of every administration (date, total,
band, safety flag). Results come from `clinic.measures.history`, bands and ranges from the measure
definitions in `resources/measures/`, the same ones the Measures tab draws.
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from iopdesk.clinical.measures import MeasureDefinition, measure, measure_definitions
from iopdesk.services.disclosures import DocumentContext
from iopdesk.services.measures import MeasurePoint
from reports.blocks import data_table, date_text, markup, para, text
from reports.jobs import PrintRequest, document_kind
from reports.measure_chart_pdf import trend_chart
from reports.page import FRAME_WIDTH, build_pdf

SAFETY_WORDS = "Yes — safety follow-up"


def change_text(points: list[MeasurePoint]) -> str:
    """"First 14 (Moderate) on 09/01/2026; latest 6 (Mild) on 11/20/2026; change −8." """
    first, last = points[0], points[-1]
    if len(points) == 1:
        return f"Given once: {first.total} ({first.band}) on {date_text(first.administered_on)}."
    change = last.total - first.total
    sign = "+" if change > 0 else "−" if change < 0 else "±"
    return (f"First {first.total} ({first.band}) on {date_text(first.administered_on)}; latest {last.total} "
            f"({last.band}) on {date_text(last.administered_on)}; change {sign}{abs(change)} over "
            f"{len(points)} administrations.")


def measure_story(definition: MeasureDefinition, points: list[MeasurePoint]) -> list[Flowable]:
    """One measure: heading, summary line, chart, administrations table."""
    flagged = sum(1 for p in points if p.safety_flag)
    summary = text(change_text(points))
    if flagged:
        summary += f" <b>Safety follow-up needed on {flagged} result{'s' if flagged > 1 else ''}.</b>"
    rows = [(date_text(p.administered_on), str(p.total), p.band, SAFETY_WORDS if p.safety_flag else "No")
            for p in reversed(points)]
    return [
        KeepTogether([
            para(f"{definition.code} — {definition.name}", "heading"),
            para(f"{definition.period}. Possible totals {definition.bands[0].low}–{definition.max_total}; "
                 "higher is more severe.", "small"),
            markup(summary),
            trend_chart(definition, points, FRAME_WIDTH, 150 if len(points) > 1 else 105),
            Spacer(0, 2 * mm),
        ]),
        data_table(("Date given", "Total", "Band", "Safety flag"), rows,
                   (32 * mm, 20 * mm, FRAME_WIDTH - 102 * mm, 50 * mm)),
        Spacer(0, 4 * mm),
    ]


def build_measures_story(histories: list[tuple[MeasureDefinition, list[MeasurePoint]]],
                         context: DocumentContext, only: str | None = None) -> list[Flowable]:
    """The report: a title, then each measure with results, those given most often (the trends) first."""
    given = sorted(((d, p) for d, p in histories if p), key=lambda item: (-len(item[1]), item[0].code))
    total = sum(len(p) for _, p in given)
    scope = f"{only} results" if only else "Standard measures"
    story: list[Flowable] = [
        para("Measure report", "title"),
        para(f"{scope} of {context.client_name} · {total} administration{'s' if total != 1 else ''} of "
             f"{len(given)} measure{'s' if len(given) != 1 else ''}", "subtitle"),
    ]
    if not given:
        story.append(para(f"No {only or 'measure'} results have been recorded for this client.", "body"))
        return story
    story.append(para("Each chart shows the totals by date over the measure's severity bands (lightest = "
                      "mildest); the table lists every administration, newest first.", "small"))
    for definition, points in given:
        story += measure_story(definition, points)
    return story


def write_measures(clinic, request: PrintRequest, context: DocumentContext, out, release) -> str:
    """Print every measure given to client `request.client_id`, or only measure `request.target_id`."""
    definitions = [measure(request.target_id)] if request.target_id else list(measure_definitions().values())
    histories = [(d, clinic.measures.history(request.client_id, d.code)) for d in definitions]
    given = [d.code for d, points in histories if points]
    only = definitions[0].code if request.target_id else None
    description = (f"Measure report ({', '.join(given)})" if given
                   else f"Measure report (no {only or 'measure'} results)")
    build_pdf(out, context, title="Measure report", subject=description,
              story=build_measures_story(histories, context, only), release=release)
    return description


document_kind("measures", "Measure report", write_measures)
