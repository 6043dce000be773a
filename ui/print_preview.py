"""Print preview: see a client's document as it will print, then print it or save it as a PDF.

`PrintPreviewDialog(clinic, ops, code, request)` asks who the copy is for (`PrintAudienceWidget`):
for use in the program (the default), the staff copy of a document that has one (the sign-in sheet
with MRNs), or released outside the program to a recipient offered from the client's valid
consents. The PDF is written off the GUI thread (`ops.run`) into a private
temporary folder, shown with QtPdf (all pages, fit to width, with the page count) and deleted when
the dialog closes. Print… (Ctrl+P) draws each page on the chosen printer; Save as PDF… (Ctrl+S)
proposes a file name with no name in it (MRN and document type). A copy released outside the
program is written, and logged in the client's disclosure log, once per file printed or saved,
through `reports.jobs.print_document(…, recipient=…)`; the preview of a release shows the release
pages but logs nothing (`ui.printing.write_copy`). A refused release (no consent covers the
recipient) shows the domain's message under the recipient and leaves Print and Save disabled.
Screens offer "Print…" through `print_action` (or `open_print_preview`).
"""

from __future__ import annotations

import shutil
import tempfile
import weakref
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QStandardPaths, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import IopDeskError
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.clock import today
from iopdesk.kernel.files import replacing
from reports.jobs import PrintRequest, PrintResult, kind_of
from reports.page import default_file_name
from ui.operations import Operations, user_message
from ui.print_audience import PrintAudienceWidget
from ui.printing import note_print_target, record_copy, render_pdf, write_copy

__all__ = ["PrintPreviewDialog", "note_print_target", "open_print_preview", "print_action"]


class PrintPreviewDialog(QDialog):
    """One document's preview with Print and Save; see the module docstring. Invariant: Print and
    Save are enabled only while the preview shown is the document for the audience chosen."""

    def __init__(self, clinic: Clinic, ops: Operations, code: str, request: PrintRequest,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic, self.ops, self.code, self.request = clinic, ops, code, request
        self.result: PrintResult | None = None
        self.shown_file: Path | None = None
        self.shown_recipient: str | None = None  # whom the preview shown is released to (None: the program)
        self.pending = False  # a preview is being written
        self.busy = False  # a released copy is being written
        self._generation = 0
        self._releases = 0
        self._closed = False
        self._folder = Path(tempfile.mkdtemp(prefix="iopdesk-print-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, str(self._folder), ignore_errors=True)
        self.mrn = ""
        if request.client_id:
            try:
                self.mrn = clinic.clients.summary(request.client_id, audit_read=False).mrn
            except IopDeskError:
                pass
        self.setObjectName("printPreview")
        self.setWindowTitle(self.tr("Print preview"))
        self.setAccessibleName(self.tr("Print preview"))
        self.setSizeGripEnabled(True)
        self._build()
        self.finished.connect(self._dialog_closed)
        metrics = self.fontMetrics()
        self.resize(metrics.averageCharWidth() * 125, metrics.lineSpacing() * 56)
        self.regenerate()

    # -- building ----------------------------------------------------------------------------
    def _build(self) -> None:
        try:
            staff_copy = kind_of(self.code).staff_copy
        except IopDeskError:  # an unknown document: the preview says so
            staff_copy = ""
        self.audience = PrintAudienceWidget(self._consented_recipients(), can_release=bool(self.request.client_id),
                                            staff_copy=staff_copy)
        self.internal_radio, self.release_radio = self.audience.internal_radio, self.audience.release_radio
        self.recipient_box, self.recipient_error = self.audience.recipient_box, self.audience.recipient_error
        self.audience.chosen.connect(self.regenerate)
        self.audience.typing.connect(self._recipient_typed)

        self.description_label = QLabel(objectName="documentDescription")
        self.description_label.setWordWrap(True)
        self.description_label.setAccessibleName(self.tr("Document"))
        font = self.description_label.font()
        font.setBold(True)
        self.description_label.setFont(font)
        self.pages_label = QLabel(objectName="pageCount")
        self.pages_label.setAccessibleName(self.tr("Page count"))
        self.message_label = QLabel(objectName="printMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("Message"))
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.hide()

        self.document = QPdfDocument(self)
        self.view = QPdfView(self)
        self.view.setObjectName("pdfView")
        self.view.setAccessibleName(self.tr("Preview of the document"))
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.print_button = QPushButton(self.tr("&Print…"), objectName="printButton")
        self.save_button = QPushButton(self.tr("&Save as PDF…"), objectName="saveButton")
        self.close_button = QPushButton(self.tr("Close"), objectName="closeButton")
        self.print_action = QAction(self.tr("Print…"), self)
        self.print_action.setShortcut(QKeySequence.StandardKey.Print)
        self.save_action = QAction(self.tr("Save as PDF…"), self)
        self.save_action.setShortcut(QKeySequence.StandardKey.Save)
        for action, button, slot in ((self.print_action, self.print_button, self.print_copy),
                                     (self.save_action, self.save_button, self.save_copy)):
            action.triggered.connect(lambda _checked=False, s=slot: s())
            button.clicked.connect(lambda _checked=False, s=slot: s())
            button.setToolTip(action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
            self.addAction(action)
        self.close_button.clicked.connect(self.reject)
        self.close_button.setToolTip(self.tr("Esc"))
        for button in (self.print_button, self.save_button, self.close_button):
            button.setAutoDefault(False)
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))

        top = QHBoxLayout()
        top.addWidget(self.description_label, 1)
        top.addWidget(self.pages_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.audience)
        layout.addLayout(top)
        layout.addWidget(self.message_label)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        for first, second in ((self.internal_radio, self.release_radio), (self.release_radio, self.recipient_box),
                              (self.recipient_box, self.view), (self.view, self.print_button),
                              (self.print_button, self.save_button), (self.save_button, self.close_button)):
            self.setTabOrder(first, second)

    def _consented_recipients(self) -> list[str]:
        """Recipients named on the client's consents valid today, newest signed first."""
        if not self.request.client_id:
            return []
        try:
            consents = self.clinic.consents.list_for_client(self.request.client_id)
        except IopDeskError:
            return []
        day, names = today(), []
        for consent in consents:
            if consent.covers_on(day) and consent.recipient not in names:
                names.append(consent.recipient)
        return names

    # -- state -------------------------------------------------------------------------------
    def recipient(self) -> str | None:
        """Who the copy is released to; None for use in the program ("" when not yet named)."""
        return self.audience.recipient()

    def chosen_request(self) -> PrintRequest:
        """What to print for the audience chosen: the staff copy when it is chosen."""
        return replace(self.request, staff_copy=self.audience.staff_copy())

    def _recipient_typed(self) -> None:
        self.pending = True
        self._update_buttons()

    def _update_buttons(self) -> None:
        ready = self.shown_file is not None and not self.pending and not self.busy
        for widget in (self.print_button, self.save_button, self.print_action, self.save_action):
            widget.setEnabled(ready)

    def _show_problem(self, error: BaseException | None) -> None:
        """The domain's message: under the recipient when it names the recipient, else above the preview."""
        text = user_message(error) if error is not None else ""
        on_recipient = getattr(error, "field", None) == "recipient"
        self.audience.show_refusal(text if on_recipient else None)
        self._tell("" if on_recipient else text)

    def _tell(self, text: str) -> None:
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    # -- the preview -------------------------------------------------------------------------
    def regenerate(self) -> None:
        """Write the preview for the audience chosen, off the GUI thread, and show it when done."""
        self._generation += 1
        generation, recipient = self._generation, self.recipient()
        self._show_problem(None)
        if recipient == "":
            self.pending = False
            self._show_preview(None)
            self.audience.show_refusal(self.tr("Recipient: name who receives the copy, as on the client's consent."))
            return
        self.pending = True
        self._update_buttons()
        self.pages_label.setText(self.tr("Preparing the preview…"))
        out = self._folder / f"preview-{generation}.pdf"
        clinic, code, request = self.clinic, self.code, self.chosen_request()
        self.ops.run(lambda: write_copy(clinic, code, request, out, recipient, log=False),
                     on_success=lambda result: self._preview_written(generation, out, result, recipient),
                     on_failure=lambda error: self._preview_failed(generation, error))

    def _preview_written(self, generation: int, out: Path, result: PrintResult, recipient: str | None) -> None:
        if self._closed or generation != self._generation:
            out.unlink(missing_ok=True)
            return
        self.pending = False
        self._show_preview(out)
        if self.document.status() != QPdfDocument.Status.Ready:
            self._show_preview(None)
            self._tell(self.tr("The preview could not be shown."))
            return
        self.result, self.shown_recipient = result, recipient
        self.description_label.setText(result.description)
        self.setWindowTitle(self.tr("Print preview — {what}").format(what=result.description))
        pages = self.document.pageCount()
        self.pages_label.setText(self.tr("1 page") if pages == 1 else self.tr("{n} pages").format(n=pages))
        if recipient:
            self._tell(self.tr("A copy for {who}, with the release pages and the consent. Printing or saving it "
                               "records the release in the client's disclosure log.").format(who=recipient))

    def _preview_failed(self, generation: int, error: BaseException) -> None:
        if self._closed or generation != self._generation:
            return
        self.pending = False
        self._show_preview(None)
        self._show_problem(error)

    def _show_preview(self, path: Path | None) -> None:
        old, self.shown_file = self.shown_file, path
        self.document.close()
        if old is not None and old != path:
            old.unlink(missing_ok=True)
        if path is not None:
            self.document.load(str(path))
        else:
            self.result = None
            self.description_label.clear()
            self.pages_label.clear()
        self._update_buttons()

    # -- printing and saving -----------------------------------------------------------------
    def default_name(self) -> str:
        """MRN, document type and today's date: no name or diagnosis in the file name."""
        return default_file_name(self.mrn, self.code, today())

    def print_copy(self) -> None:
        """Ask for a printer and print the document (a released copy is written and logged first)."""
        if not self.print_button.isEnabled():
            return
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setDocName(self.default_name())
        dialog = QPrintDialog(printer, self)
        dialog.setMinMax(1, max(1, self.document.pageCount()))
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        if self.shown_recipient is None:
            if self._record_copy():
                self._print_file(printer, self.document, None)
            return

        def released(path: Path, result: PrintResult) -> None:
            document = QPdfDocument(self)
            document.load(str(path))
            self._print_file(printer, document, result)
            document.close()
            document.deleteLater()
        self._releases += 1
        self._write_release(self._folder / f"release-{self._releases}.pdf", released)

    def _print_file(self, printer: QPrinter, document: QPdfDocument, result: PrintResult | None) -> None:
        sent = render_pdf(document, printer)
        if not sent:
            self._tell(self.tr("Nothing was printed: the printer could not be opened."))
            return
        where = printer.printerName() or printer.outputFileName()
        pages = self.tr("1 page") if sent == 1 else self.tr("{n} pages").format(n=sent)
        self._tell(self.tr("Sent {pages} to {where}.").format(pages=pages, where=where) + self._released_text(result))

    def save_copy(self) -> None:
        """Ask where, then save the PDF there (a released copy is written and logged for that file)."""
        if not self.save_button.isEnabled():
            return
        folder = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
        chosen, _filter = QFileDialog.getSaveFileName(self, self.tr("Save as PDF"),
                                                      str(Path(folder) / self.default_name()),
                                                      self.tr("PDF documents (*.pdf)"))
        if not chosen:
            return
        target = Path(chosen if chosen.lower().endswith(".pdf") else chosen + ".pdf")
        if self.shown_recipient is None:
            if self._record_copy():
                self._copy_to(self.shown_file, target, None)
        else:  # written beside the target, so a folder that refuses the file refuses it before the log
            self._write_release(target, self._saved_release, chosen=True)

    def _record_copy(self) -> bool:
        """Audit the copy kept in the program before it is printed or saved (one quick insert)."""
        try:
            record_copy(self.clinic, self.chosen_request(), self.result.description)
        except IopDeskError as error:
            self._show_problem(error)
            return False
        return True

    def _saved_release(self, target: Path, result: PrintResult) -> None:
        self._tell(self.tr("Saved {path}.").format(path=target) + self._released_text(result))

    def _copy_to(self, source: Path, target: Path, result: PrintResult | None) -> None:
        try:
            with replacing(target) as partial:
                shutil.copyfile(source, partial)
        except OSError as error:
            self._tell(self.tr("Could not save {path}: {why}").format(path=target, why=error.strerror or error))
            return
        self._tell(self.tr("Saved {path}.").format(path=target) + self._released_text(result))

    def _released_text(self, result: PrintResult | None) -> str:
        if result is None or result.disclosure is None:
            return ""
        return " " + self.tr("Released to {who}; recorded in the disclosure log.").format(
            who=result.disclosure.recipient)

    def _write_release(self, out: Path, then: Callable[[Path, PrintResult], None], *,
                       chosen: bool = False) -> None:
        """Write the released copy to `out` through print_document (consent checked, disclosure logged
        once), off the GUI thread; then hand the file to `then`. A `chosen` file (Save as PDF) is
        written all or nothing and kept; a scratch file is removed once `then` has it."""
        clinic, code, request, recipient = self.clinic, self.code, self.request, self.shown_recipient
        self.busy = True
        self._update_buttons()
        self._tell(self.tr("Writing the released copy…"))

        def done(result: PrintResult) -> None:
            self.busy = False
            self.ops.announce(Changes.of("disclosure", client_id=request.client_id))
            if not self._closed:
                self._update_buttons()
                then(out, result)
            if not chosen:
                out.unlink(missing_ok=True)

        def failed(error: BaseException) -> None:
            self.busy = False
            if not chosen:
                out.unlink(missing_ok=True)
            if not self._closed:
                self._update_buttons()
                self._show_problem(error)

        def work() -> PrintResult:
            if not chosen:
                return write_copy(clinic, code, request, out, recipient, log=True)
            with replacing(out) as partial:  # a folder that refuses the file refuses it before the log
                return write_copy(clinic, code, request, partial, recipient, log=True)

        self.ops.run(work, on_success=done, on_failure=failed)

    # -- closing -----------------------------------------------------------------------------
    def _dialog_closed(self, _result: int) -> None:
        self._closed = True
        self.audience.typing_timer.stop()
        self.document.close()
        self._cleanup()


def open_print_preview(parent: QWidget, clinic: Clinic, ops: Operations, code: str,
                       request: PrintRequest) -> PrintPreviewDialog:
    """Open the print preview of `code` for `request` over `parent` (window-modal, deleted on close)."""
    dialog = PrintPreviewDialog(clinic, ops, code, request, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.open()
    return dialog


def print_action(widget: QWidget, clinic: Clinic, ops: Operations,
                 target: Callable[[], tuple[str, PrintRequest] | None], text: str | None = None) -> QAction:
    """A "Print…" action (Ctrl+P) on `widget` previewing the document `target()` names as (code,
    request); a falsy `target()` prints nothing. Disabled for a role that may not print charts."""
    action = QAction(text or widget.tr("Print…"), widget)
    action.setShortcut(QKeySequence.StandardKey.Print)
    action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
    action.setEnabled(clinic.actor.can("print.chart"))

    def triggered(_checked: bool = False) -> None:
        chosen = target()
        if chosen:
            open_print_preview(widget, clinic, ops, *chosen)
    action.triggered.connect(triggered)
    widget.addAction(action)
    return action
