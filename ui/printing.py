"""The parts of printing that are not the preview dialog: the one seam to `reports.jobs`
(`write_copy`), drawing a PDF's pages onto a printer (`render_pdf`), and which document a note
prints as (`note_print_target`). Kept apart so the dialog holds only its widgets and their states.
"""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize
from PySide6.QtGui import QPainter
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPrintSupport import QPrinter

from iopdesk import Clinic
from reports.jobs import PrintRequest, PrintResult, log_released_copy, print_document

MAX_PRINT_DPI = 300  # a Letter page at 600 dpi is a 134 MB image; 300 dpi prints text crisply


def write_copy(clinic: Clinic, code: str, request: PrintRequest, out, recipient: str | None = None, *,
               log: bool = True) -> PrintResult:
    """Write document `code` to `out`: the one seam between the print dialog and reports.jobs.

    With `log` (a copy that leaves the screen) the print is audited and a release logged once;
    without it (the on-screen preview) the consent is still checked and the release pages laid
    out, but nothing is recorded until `record_copy`.
    """
    return print_document(clinic, code, request, out, recipient=recipient, log_release=log)


def record_copy(clinic: Clinic, request: PrintRequest, description: str) -> None:
    """Audit that the previewed copy kept in the program was printed or saved."""
    log_released_copy(clinic, request, None, description)


def render_pdf(document: QPdfDocument, printer: QPrinter) -> int:
    """Draw the pages of `document` (the printer's page range, else all) onto `printer`, each fitted
    to the printable area at the printer's resolution (at most MAX_PRINT_DPI); returns the pages sent."""
    first, last = 0, document.pageCount() - 1
    if printer.printRange() == QPrinter.PrintRange.PageRange and printer.fromPage() > 0:
        first, last = printer.fromPage() - 1, min(last, max(printer.toPage(), printer.fromPage()) - 1)
    painter = QPainter()
    if last < first or not painter.begin(printer):
        return 0
    area = printer.pageRect(QPrinter.Unit.DevicePixel)
    dpi = min(printer.resolution(), MAX_PRINT_DPI)
    try:
        for number in range(first, last + 1):
            if number > first:
                printer.newPage()
            points = document.pagePointSize(number)
            scale = min(area.width() / points.width(), area.height() / points.height())
            image = document.render(number, QSize(round(points.width() * dpi / 72), round(points.height() * dpi / 72)))
            painter.drawImage(QRectF(0, 0, points.width() * scale, points.height() * scale), image)
    finally:
        painter.end()
    return last - first + 1


def note_print_target(view) -> tuple[str, PrintRequest] | None:
    """What printing a note prints: a group note through its group session, any other note by itself."""
    if view is None:
        return None
    if view.group_session_id:
        return "group-note", PrintRequest(view.client_id, view.group_session_id)
    return "progress-note", PrintRequest(view.client_id, view.id)
