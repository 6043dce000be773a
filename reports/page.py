"""The page every document is printed on: US Letter, a header naming the clinic and the document,
and a footer on every page with the client's name, MRN and date of birth, the confidentiality line,
the 42 CFR Part 2 notice for substance use records, who printed it and when, and "Page X of Y".

`build_pdf(out, context, title=…, subject=…, story=[…])` lays out the flowables and writes the file
(a path or a binary stream), with title, author (the clinic) and subject in the PDF's metadata. A
released copy gets the release pages at the end (`reports.release`). "Page X of Y" needs the page
count, so the canvas keeps each page's drawing state until the end of one document; nothing is kept
between documents, so printing hundreds in a batch stays in constant memory.
"""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from reportlab.lib.pagesizes import LETTER
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas as pdf_canvas
from reportlab.platypus import BaseDocTemplate, Flowable, Frame, PageTemplate

from iopdesk.services.disclosures import DocumentContext
from reports.blocks import date_text, stamp_text
from reports.fonts import BODY_FONT, BOLD_FONT, printable, register_fonts
from reports.release import Release, release_story
from reports.styles import INK, MUTED, RULE

PAGE_WIDTH, PAGE_HEIGHT = LETTER
MARGIN = 18 * mm
HEADER_HEIGHT = 14 * mm
FOOTER_HEIGHT = 20 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN


class _NumberedCanvas(pdf_canvas.Canvas):
    """Writes "Page X of Y" on every page once the total is known (at save)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []

    def showPage(self) -> None:  # noqa: N802 (ReportLab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self.setFont(BODY_FONT, 7.5)
            self.setFillColor(INK)
            self.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 4 * mm, f"Page {self._pageNumber} of {total}")
            super().showPage()
        self._pages = []
        super().save()


def _frame_page(context: DocumentContext, title: str):
    def draw(canvas: pdf_canvas.Canvas, _doc) -> None:
        canvas.saveState()
        top = PAGE_HEIGHT - MARGIN
        canvas.setFillColor(INK)
        canvas.setFont(BOLD_FONT, 9)
        canvas.drawString(MARGIN, top - 4 * mm, printable(context.clinic_name or context.site_name))
        canvas.setFont(BODY_FONT, 7.5)
        canvas.setFillColor(MUTED)
        site = " · ".join(part for part in (context.site_name, context.site_address.replace("\n", ", "),
                                            context.site_phone) if part)
        canvas.drawString(MARGIN, top - 8 * mm, printable(site[:120]))
        canvas.setFillColor(INK)
        canvas.setFont(BOLD_FONT, 9)
        canvas.drawRightString(PAGE_WIDTH - MARGIN, top - 4 * mm, printable(title))
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, top - 10 * mm, PAGE_WIDTH - MARGIN, top - 10 * mm)

        base = MARGIN + FOOTER_HEIGHT - 6 * mm
        canvas.line(MARGIN, base + 3.5 * mm, PAGE_WIDTH - MARGIN, base + 3.5 * mm)
        canvas.setFont(BOLD_FONT, 8)
        if context.mrn:
            canvas.drawString(MARGIN, base, printable(f"{context.client_name} · MRN {context.mrn} · DOB {date_text(context.dob)}"))
        canvas.setFont(BODY_FONT, 7)
        line = base - 3.6 * mm
        canvas.drawString(MARGIN, line, context.confidentiality)
        if context.part2_notice:
            line -= 3.4 * mm
            canvas.setFont(BOLD_FONT, 7)
            canvas.drawString(MARGIN, line, context.part2_notice)
        canvas.setFont(BODY_FONT, 7.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, MARGIN - 4 * mm,
                          printable(f"Printed {stamp_text(context.printed_at, context.time_format)} by {context.printed_by}"))
        canvas.restoreState()
    return draw


def build_pdf(out: str | Path | BinaryIO, context: DocumentContext, *, title: str, subject: str,
              story: list[Flowable], release: Release | None = None) -> None:
    """Lay out `story` on the clinic's pages and write the PDF to `out`; with a `release`
    the release pages and consent copy follow the document."""
    register_fonts()
    if release is not None:
        story = [*story, *release_story(release, context, subject, FRAME_WIDTH)]
    target = str(out) if isinstance(out, Path) else out
    doc = BaseDocTemplate(
        target, pagesize=LETTER, leftMargin=MARGIN, rightMargin=MARGIN,
        topMargin=MARGIN + HEADER_HEIGHT, bottomMargin=MARGIN + FOOTER_HEIGHT,
        title=f"{title} — {context.mrn}" if context.mrn else title, author=context.clinic_name or context.site_name, subject=subject,
        creator="IOP Desk", producer="IOP Desk (ReportLab)", invariant=0,
    )
    frame = Frame(MARGIN, MARGIN + FOOTER_HEIGHT, FRAME_WIDTH, PAGE_HEIGHT - 2 * MARGIN - HEADER_HEIGHT - FOOTER_HEIGHT,
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0, id="body")
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=_frame_page(context, title))])
    doc.build(story, canvasmaker=_NumberedCanvas)


def default_file_name(mrn: str, document: str, day) -> str:
    """A file name with no name or diagnosis in it: MRN (when the document is one client's),
    document type and date only."""
    safe = "".join(ch if ch.isalnum() or ch == "-" else "-" for ch in mrn)
    return "_".join(part for part in (safe, document, f"{day:%Y-%m-%d}") if part) + ".pdf"
