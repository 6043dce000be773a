"""The print preview dialog driven through its widgets over a real SQLite clinic: previewing a
document off the GUI thread, saving it under a name with no client name in it, printing it, and
releasing a copy outside the program only under the client's consent, logged once per file.

Each test gets a copy of the staffed clinic with Marisol (substance use track) admitted two weeks
ago and the clinician signed in; "test-letter" is a small two-page document registered here so the
dialog can be tested before the real document modules exist.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import QApplication, QDialog, QFileDialog, QMessageBox

from iopdesk.kernel import clock
from iopdesk.models import AuditEvent
from reports.blocks import para
from reports.jobs import PrintRequest, document_kind
from reports.page import build_pdf
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from tests.domain.test_consents import consent_fields
from ui import print_preview
from ui.operations import Operations
from ui.print_preview import PrintPreviewDialog

COURT = "Harbor County Drug Court"


def write_test_letter(clinic, request, context, out, release) -> str:
    """A two-page letter: enough to test paging, the frame and the release pages."""
    story = [para("A letter about attendance", "title")]
    story += [para(f"Paragraph {n}: Marisol attended every group session this week. " * 6) for n in range(40)]
    description = "Attendance letter"
    build_pdf(out, context, title="Attendance letter", subject=description, story=story, release=release)
    return description


document_kind("test-letter", "Attendance letter", write_test_letter)


@pytest.fixture
def chart_of_marisol(clinician_sqlite):
    """(clinic, client): Marisol admitted two weeks ago, the clinician signed in."""
    client, _episode = admit_marisol(clinician_sqlite)
    return clinician_sqlite, client


def open_preview(qtbot, clinic, client, code="test-letter", target=None) -> PrintPreviewDialog:
    dialog = PrintPreviewDialog(clinic, Operations(), code, PrintRequest(client.id, target))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.pending, timeout=10000)
    return dialog


def choose_release(qtbot, dialog, recipient: str) -> None:
    """Pick "Release outside the program" and type the recipient, as a user does, then press Enter."""
    qtbot.mouseClick(dialog.release_radio, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.pending, timeout=10000)
    dialog.recipient_box.lineEdit().clear()
    qtbot.keyClicks(dialog.recipient_box.lineEdit(), recipient)
    qtbot.keyClick(dialog.recipient_box.lineEdit(), Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.pending, timeout=10000)


def save_as(monkeypatch, qtbot, dialog, path: Path) -> None:
    """Ctrl+S with the save dialog answering `path`; waits until the file is there."""
    asked = {}

    def answer(parent, caption, start, filters):
        asked["start"] = start
        return str(path), filters
    monkeypatch.setattr(QFileDialog, "getSaveFileName", answer)
    qtbot.keyClick(dialog.view, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: "Saved" in dialog.message_label.text(), timeout=10000)
    return asked["start"]


def test_preview_shows_every_page_of_the_document(qtbot, chart_of_marisol):
    """The letter is written off the GUI thread and shown with its page count; Print and Save are ready."""
    clinic, client = chart_of_marisol
    dialog = open_preview(qtbot, clinic, client)
    assert dialog.document.pageCount() >= 2
    assert dialog.pages_label.text() == f"{dialog.document.pageCount()} pages"
    assert dialog.description_label.text() == "Attendance letter"
    assert dialog.print_button.isEnabled() and dialog.save_button.isEnabled()
    assert dialog.internal_radio.isChecked() and not dialog.recipient_box.isEnabled()


def test_saving_writes_the_pdf_under_a_name_without_the_clients_name(qtbot, chart_of_marisol, tmp_path, monkeypatch):
    """Ctrl+S proposes MRN and document type only, and writes a readable PDF at the chosen path."""
    clinic, client = chart_of_marisol
    dialog = open_preview(qtbot, clinic, client)
    assert printed_copies() == 0  # a preview is not a copy
    target = tmp_path / "out" / "letter.pdf"
    target.parent.mkdir()
    start = save_as(monkeypatch, qtbot, dialog, target)
    assert printed_copies() == 1
    name = Path(start).name
    assert name == f"{client.mrn}_test-letter_{clock.today():%Y-%m-%d}.pdf"
    assert "Marisol" not in name and "Quintana" not in name
    pages = [page.extract_text() for page in PdfReader(target).pages]
    assert len(pages) == dialog.document.pageCount()
    assert "A letter about attendance" in pages[0] and f"Page 1 of {len(pages)}" in pages[0]
    assert clinic.disclosures.log(client.id) == []


def printed_copies() -> int:
    return AuditEvent.select().where(AuditEvent.action == "print").count()


def printer_answers(monkeypatch, paper: Path) -> None:
    """The print dialog is accepted with a PDF printer writing `paper` (standing in for paper)."""
    class PrintDialogStub:
        def __init__(self, printer, parent):
            printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            printer.setOutputFileName(str(paper))
            printer.setResolution(72)

        def setMinMax(self, low, high):
            pass

        def exec(self):
            return QDialog.DialogCode.Accepted
    monkeypatch.setattr(print_preview, "QPrintDialog", PrintDialogStub)


def test_printing_sends_every_page_to_the_printer(qtbot, chart_of_marisol, tmp_path, monkeypatch):
    """Ctrl+P asks for a printer and draws each page on it."""
    clinic, client = chart_of_marisol
    dialog = open_preview(qtbot, clinic, client)
    paper = tmp_path / "printed.pdf"
    printer_answers(monkeypatch, paper)
    qtbot.keyClick(dialog.view, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    pages = dialog.document.pageCount()
    assert dialog.message_label.text() == f"Sent {pages} pages to {paper}."
    printed = PdfReader(paper)
    assert len(printed.pages) == pages
    assert printed.pages[0].images, "each page is drawn as the rendered page image"
    assert clinic.disclosures.log(client.id) == []


def test_release_without_consent_is_refused_inline_and_cannot_be_printed(qtbot, chart_of_marisol):
    """No consent names the drug court: the domain's refusal shows under the recipient; Print and
    Save stay disabled and nothing is logged."""
    clinic, client = chart_of_marisol
    dialog = open_preview(qtbot, clinic, client)
    choose_release(qtbot, dialog, COURT)
    assert dialog.recipient_error.isVisible()
    assert f"no valid, unexpired consent covers disclosure to {COURT}" in dialog.recipient_error.text()
    assert not dialog.print_button.isEnabled() and not dialog.save_button.isEnabled()
    assert not dialog.print_action.isEnabled() and not dialog.save_action.isEnabled()
    assert dialog.document.pageCount() == 0
    assert clinic.disclosures.log(client.id) == []


def test_release_under_consent_is_logged_once_when_saved(qtbot, chart_of_marisol, tmp_path, monkeypatch):
    """The court's consent is offered as recipient; the preview logs nothing, Save writes the copy
    with its release pages and logs exactly one disclosure."""
    clinic, client = chart_of_marisol
    clinic.consents.record(client.id, **consent_fields())
    dialog = open_preview(qtbot, clinic, client)
    assert [dialog.recipient_box.itemText(i) for i in range(dialog.recipient_box.count())] == [COURT]
    qtbot.mouseClick(dialog.release_radio, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.pending, timeout=10000)
    assert dialog.recipient_box.currentText() == COURT and not dialog.recipient_error.isVisible()
    assert dialog.save_button.isEnabled()
    assert clinic.disclosures.log(client.id) == []

    target = tmp_path / "released.pdf"
    save_as(monkeypatch, qtbot, dialog, target)
    assert "Released to Harbor County Drug Court" in dialog.message_label.text()
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert "Released outside the program" in text and COURT in text
    assert sorted(p.name for p in tmp_path.glob("*.pdf*")) == ["released.pdf"]
    log = clinic.disclosures.log(client.id)
    assert [(d.recipient, d.description) for d in log] == [(COURT, "Attendance letter (PDF)")]


def test_closing_the_dialog_deletes_its_temporary_files(qtbot, chart_of_marisol):
    """The preview lives in a private temporary folder that is gone once the dialog closes."""
    clinic, client = chart_of_marisol
    dialog = open_preview(qtbot, clinic, client)
    folder = dialog.shown_file.parent
    assert folder.is_dir() and dialog.shown_file.exists()
    qtbot.keyClick(dialog.view, Qt.Key.Key_Escape)
    assert not dialog.isVisible() and not folder.exists()


def test_an_unknown_document_is_shown_as_a_message_not_a_traceback(qtbot, chart_of_marisol):
    """A missing document type reads as the domain's sentence above the empty preview."""
    clinic, client = chart_of_marisol
    dialog = open_preview(qtbot, clinic, client, code="no-such-document")
    assert "is not one of" in dialog.message_label.text()
    assert not dialog.print_button.isEnabled()


@pytest.mark.skipif(importlib.util.find_spec("reports.plan_pdf") is None, reason="reports/plan_pdf.py not yet written")
def test_ctrl_p_in_the_plan_tab_previews_the_shown_plan(qtbot, chart_of_marisol):
    """With a signed plan shown, Ctrl+P opens the preview of that version."""
    from tests.domain.test_plans import signed_plan
    from ui.chart.plan_tab import PlanTab

    clinic, client = chart_of_marisol
    episode = clinic.episodes.current(client.id)
    plan = signed_plan(clinic, episode)
    tab = PlanTab(clinic, Operations(), client.id)
    qtbot.addWidget(tab)
    tab.show()
    tab.activateWindow()
    qtbot.waitUntil(tab.isActiveWindow)
    tab.tree.setFocus()
    qtbot.keyClick(tab.tree, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    dialog = tab.findChild(PrintPreviewDialog)
    assert dialog is not None and dialog.request == PrintRequest(client.id, plan.id)
    qtbot.waitUntil(lambda: not dialog.pending, timeout=10000)
    assert dialog.document.pageCount() >= 1 and dialog.print_button.isEnabled()
    assert "Treatment plan" in dialog.description_label.text()
    dialog.reject()


def press_ctrl_p(qtbot, widget) -> PrintPreviewDialog:
    """Show `widget`, press Ctrl+P where the focus is, and return the preview that opened, once written."""
    qtbot.addWidget(widget)
    widget.show()
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.setFocus()
    qtbot.keyClick(QApplication.focusWidget() or widget, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    dialog = widget.findChild(PrintPreviewDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: not dialog.pending, timeout=10000)
    return dialog


def test_ctrl_p_on_the_discharge_tab_previews_the_discharge_only_once_started(qtbot, chart_of_marisol):
    """Without a discharge Print is disabled; with the draft on record Ctrl+P previews that discharge."""
    from ui.chart.discharge_tab import DischargeTab

    clinic, client = chart_of_marisol
    tab = DischargeTab(clinic, Operations(), client.id)
    assert not tab.print_action.isEnabled() and not tab.print_button.isEnabled()
    view, changes = clinic.discharge.draft(clinic.episodes.current(client.id).id, discharged_on=clock.today(),
                                           reason="completed")
    tab.refresh()
    dialog = press_ctrl_p(qtbot, tab)
    assert (dialog.code, dialog.request) == ("discharge", PrintRequest(client.id, view.id))
    assert dialog.print_button.isEnabled() and "Discharge" in dialog.description_label.text()
    dialog.reject()


def test_ctrl_p_in_the_note_editor_previews_the_saved_progress_note(qtbot, chart_of_marisol):
    """An individual note prints as a progress note of that note id."""
    from ui.chart.note_editor import NoteEditorDialog

    clinic, client = chart_of_marisol
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=clock.today(), sections={"data": "Reviewed triggers."})
    editor = NoteEditorDialog(clinic, Operations(), client.id, note.id, autosave_ms=60_000)
    dialog = press_ctrl_p(qtbot, editor)
    assert (dialog.code, dialog.request) == ("progress-note", PrintRequest(client.id, note.id))
    assert dialog.document.pageCount() >= 1
    dialog.reject()


def test_ctrl_p_on_the_measures_tab_previews_the_measure_report(qtbot, chart_of_marisol):
    """The Measures tab prints every measure of the client."""
    from ui.chart.measures_tab import MeasuresTab

    clinic, client = chart_of_marisol
    tab = MeasuresTab(clinic, Operations(), client.id)
    dialog = press_ctrl_p(qtbot, tab)
    assert (dialog.code, dialog.request) == ("measures", PrintRequest(client.id))
    assert dialog.print_button.isEnabled()
    dialog.reject()


def test_ctrl_p_in_the_group_session_window_previews_its_sign_in_sheet(qtbot, chart_of_marisol, monkeypatch):
    """A session's sign-in sheet is about no one client: it cannot be released, and its file name has no MRN."""
    from ui.group_session.session_window import GroupSessionWindow

    clinic, client = chart_of_marisol
    today_ = clock.today()
    clinic.login("supervisor", ADMIN_PASSWORD)
    group, _ = clinic.groups.define_group("Morning process group", "process", default_minutes=180,
                                          facilitators=["clinician"], schedule=[(day, "09:00") for day in range(7)])
    clinic.groups.enroll(group.id, client.id, today_ - dt.timedelta(days=1))
    clinic.groups.generate_sessions(group.id, today_, today_)
    clinic.login("clinician", ADMIN_PASSWORD)
    session_id = next(s.session_id for s in clinic.caseload.today(on=today_).sessions)
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Discard)
    window = GroupSessionWindow(clinic, Operations(), session_id)
    window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
    dialog = press_ctrl_p(qtbot, window)
    assert (dialog.code, dialog.request) == ("sign-in", PrintRequest(None, session_id))
    assert not dialog.release_radio.isEnabled() and dialog.default_name() == f"sign-in_{today_:%Y-%m-%d}.pdf"
    assert dialog.print_button.isEnabled()
    dialog.reject()


def test_printing_a_released_copy_logs_one_disclosure(qtbot, chart_of_marisol, tmp_path, monkeypatch):
    """Printed for the court under its consent: every page reaches the printer, one disclosure is logged."""
    clinic, client = chart_of_marisol
    clinic.consents.record(client.id, **consent_fields())
    dialog = open_preview(qtbot, clinic, client)
    choose_release(qtbot, dialog, COURT.lower())  # matched to the name on the consent
    pages = dialog.document.pageCount()
    paper = tmp_path / "printed.pdf"
    printer_answers(monkeypatch, paper)
    qtbot.mouseClick(dialog.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: "Sent" in dialog.message_label.text(), timeout=10000)
    assert f"Released to {COURT}; recorded in the disclosure log." in dialog.message_label.text()
    assert len(PdfReader(paper).pages) == pages
    assert [d.recipient for d in clinic.disclosures.log(client.id)] == [COURT]
