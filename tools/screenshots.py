"""`make screenshots`: a PNG of every main screen, on a fresh demo clinic, into docs/screenshots/.

Run as `python -m tools.screenshots [folder]` (offscreen works). It generates a small synthetic
clinic (60 clients, 12 weeks, seed 3) in a temporary folder, signs in as the demo clinician and
walks the app as a clinician would: sign-in, Today, client search, registration, every chart tab,
the note editor, the plan review, measure entry, the discharge wizard, the Groups page, a group
session, the lock screen and a satellite's Admin page with a sync conflict; then the first page of every printed document (PDF → PNG with
poppler's `pdftoppm`). Settings go to the temporary folder, never to the user's. Every
window is grabbed at a fixed size so the pictures compare from run to run.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

DEMO_PASSWORD = "demo-pass-2026"
WINDOW_SIZE = (1280, 800)
DIALOG_SIZE = (900, 700)


def settle(app, ops=None, seconds: float = 5.0) -> None:
    """Let queued events, timers and background operations finish (at most `seconds`)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        if ops is None or not ops.busy:
            break
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()


class Shooter:
    """Saves grabs of widgets under `folder`, listing what it wrote."""

    def __init__(self, app, folder: Path) -> None:
        self.app = app
        self.folder = folder
        self.written: list[str] = []

    def shoot(self, widget, name: str, size: tuple[int, int] | None = None, ops=None) -> None:
        if size is not None:
            widget.resize(*size)
        widget.show()
        settle(self.app, ops)
        path = self.folder / f"{name}.png"
        if not widget.grab().save(str(path)):
            raise RuntimeError(f"could not write {path}")
        self.written.append(path.name)


def _pick_client() -> str:
    """The demo clinician's active client with a signed plan whose chart has the most to show:
    family sessions and medications, then the most measures given."""
    from peewee import fn

    from iopdesk.models import (
        Episode,
        FamilySession,
        MeasureResult,
        Medication,
        Staff,
        TreatmentPlan,
    )

    with_plan = TreatmentPlan.select(TreatmentPlan.episode).where(TreatmentPlan.status == "signed")
    candidates = dict(Episode.select(Episode.client, Episode.id)
                      .join(Staff, on=(Episode.primary_clinician == Staff.id))
                      .where((Staff.username == "clinician") & (Episode.status == "active")
                             & Episode.id.in_(with_plan)).tuples())
    if not candidates:
        raise RuntimeError("the demo clinic has no active client of the demo clinician with a plan")
    families = dict(FamilySession.select(FamilySession.client, fn.COUNT(FamilySession.id))
                    .where(FamilySession.client.in_(list(candidates))).group_by(FamilySession.client).tuples())
    measures = dict(MeasureResult.select(MeasureResult.client, fn.COUNT(MeasureResult.id))
                    .where(MeasureResult.client.in_(list(candidates))).group_by(MeasureResult.client).tuples())
    medicated = {c for (c,) in Medication.select(Medication.client).where(
        Medication.client.in_(list(candidates))).tuples()}
    best = max(sorted(candidates, key=str), key=lambda c: (
        (c in families) + (c in medicated), measures.get(c, 0), families.get(c, 0)))
    return str(best)


def _discharged_client() -> str | None:
    """A client whose discharge summary is signed."""
    from iopdesk.models import Discharge, Episode

    row = (Discharge.select(Episode.client).join(Episode).where(Discharge.status == "signed")
           .order_by(Discharge.discharged_on.desc(), Episode.client).tuples().first())
    return str(row[0]) if row else None


def take_screenshots(folder: Path, work: Path) -> list[str]:
    """Build the demo clinic in `work`, write every screen to `folder`; returns the file names."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    os.environ["XDG_CONFIG_HOME"] = str(work / "config")
    os.environ["XDG_DATA_HOME"] = str(work / "data")
    from PySide6.QtCore import QCoreApplication, QSettings, Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QMessageBox

    import iopdesk
    from iopdesk.demo import generate
    from iopdesk.kernel import clock
    from tools.offscreen import quiet_offscreen_notes
    from ui.app import load_style_sheet
    from ui.icons import app_icon
    from ui.login_dialog import LoginDialog
    from ui.main_window import MainWindow
    from ui.settings import APPLICATION, ORGANIZATION

    quiet_offscreen_notes()
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setWindowIcon(app_icon())
    load_style_sheet(app)
    QMessageBox.question = _answer_safely  # nothing here may wait for a click
    folder.mkdir(parents=True, exist_ok=True)
    shooter = Shooter(app, folder)

    clinic = iopdesk.open_clinic(str(work / "demo.sqlite"))
    generate(clinic, clients=60, weeks=12, seed=3)

    login = LoginDialog(clinic)
    QTest.keyClicks(login.username_edit, "clinician")
    shooter.shoot(login, "login")
    clinic.login("clinician", DEMO_PASSWORD)
    login.close()

    settings = QSettings(str(work / "iopdesk.ini"), QSettings.Format.IniFormat)
    window = MainWindow(clinic, settings, previous_login=clock.utcnow() - dt.timedelta(hours=17))
    ops = window.ops
    shooter.shoot(window, "today", WINDOW_SIZE, ops)

    window.show_section("clients")
    clients = window.page("clients")
    clients.search_edit.setFocus()
    QTest.keyClicks(clients.search_edit, "ma")
    settle(app, ops)
    shooter.shoot(window, "clients", WINDOW_SIZE, ops)
    clients.register_client()
    shooter.shoot(clients.register_dialog, "register", ops=ops)
    _refused_date_screen(shooter, clients.register_dialog, ops)
    clients.register_dialog.reject()

    client_id = _pick_client()
    chart = clients.open_chart(client_id)
    for tab in ("overview", "notes", "plan", "family", "meds", "measures", "consents", "discharge"):
        chart.show_tab(tab)
        shooter.shoot(chart, f"chart-{tab}", WINDOW_SIZE, ops)
    _note_screens(shooter, chart, ops)
    _dialog_screens(shooter, chart, ops)
    chart.close()

    discharged = _discharged_client()
    if discharged is not None:
        done = clients.open_chart(discharged, tab="discharge")
        shooter.shoot(done, "chart-discharge-signed", WINDOW_SIZE, ops)
        done.close()

    window.show_section("groups")
    groups = window.page("groups")
    day = _day_with_group(clinic)
    groups.set_day(day)
    shooter.shoot(window, "groups", WINDOW_SIZE, ops)
    groups.table.setFocus()
    QTest.keyClick(groups.table, Qt.Key.Key_Return)
    settle(app, ops)
    for session_window in list(groups.windows.values())[:1]:
        shooter.shoot(session_window, "group-session", (1400, 820), ops)
        _blocked_section_screens(shooter, session_window, ops)
        session_window.setWindowModified(False)
        session_window.close()

    shooter.written += _pdf_pages(clinic, folder, work, client_id, discharged, day)

    billing = _billing_screen(clinic, settings)
    shooter.shoot(billing, "billing", WINDOW_SIZE, billing.ops)
    billing.close()
    clinic.login("clinician", DEMO_PASSWORD)

    window.show_section("today")
    window.lock()
    shooter.shoot(window, "lock", WINDOW_SIZE, ops)
    settle(app, ops)
    clinic.close()
    _admin_sync_screen(shooter, work, settings)
    return shooter.written


def _note_screens(shooter: Shooter, chart, ops) -> None:
    notes = chart.tab_widgets.get("notes")
    if notes is None:
        return
    rows = (notes.model.note_at(r) for r in range(notes.model.rowCount()))
    signed = next((n for n in rows if n.status != "draft"), None)
    if signed is not None:
        editor = notes.open_editor(signed.id)
        if editor is not None:
            shooter.shoot(editor, "note-signed", DIALOG_SIZE, ops)
            editor.close()
    editor = notes.open_editor(None, kind="individual", note_format="DAP")
    if editor is not None:
        shooter.shoot(editor, "note-editor", DIALOG_SIZE, ops)
        editor.setWindowModified(False)
        editor.reject()


def _dialog_screens(shooter: Shooter, chart, ops) -> None:
    """The plan review, a PHQ-9 half entered, and the discharge wizard's record page."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    review = chart.tab_widgets["plan"].review_plan()
    if review is not None:
        shooter.shoot(review, "plan-review", DIALOG_SIZE, ops)
        review.reject()

    measures = chart.tab_widgets["measures"]
    measures.select_measure("PHQ-9")
    entry = measures.enter_measure()
    if entry is not None:
        entry.show()
        entry.activateWindow()
        shooter.app.processEvents()
        entry.rows[0].focus()
        for digit in (1, 2, 1, 1, 0, 1, 2):  # each digit answers the item with the focus and moves on
            QTest.keyClick(QApplication.focusWidget() or entry, Qt.Key(Qt.Key.Key_0 + digit))
        shooter.shoot(entry, "measure-entry", None, ops)
        entry.reject()

    discharge = chart.tab_widgets["discharge"]
    wizard = discharge.open_wizard()
    if wizard is not None:
        page = wizard.reason_page
        page.reason_box.setCurrentIndex(page.reason_box.findData("completed"))
        wizard.next()
        shooter.shoot(wizard, "discharge-wizard", DIALOG_SIZE, ops)
        wizard.reject()


def _refused_date_screen(shooter: Shooter, dialog, ops) -> None:
    """The date of birth typed as 13/45/2020 and Save pressed: refused under the field, as typed."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    QTest.keyClicks(dialog.fields["legal_first"], "Rosa")
    QTest.keyClicks(dialog.fields["legal_last"], "Delgado")
    line = dialog.dob_edit.line_edit
    QTest.mouseDClick(line, Qt.MouseButton.LeftButton)
    QTest.keyClicks(line, "13/45/2020")
    dialog.save_button.click()
    shooter.shoot(dialog, "register-refused-date", ops=ops)


def _blocked_section_screens(shooter: Shooter, window, ops) -> None:
    """An attendee's section naming another member in full: blocked while typed (no Save), then
    Sign all's attestation listing what will and will not be signed (shot, then cancelled)."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from ui.group_session import signing

    rows = [r for r in window.model.rows() if r.note_status not in ("signed", "awaiting_cosign", "cosigned")]
    if len(rows) < 2:
        return
    writer, named = rows[0], rows[1]
    if not window.shared_edit.toPlainText().strip():
        window.shared_edit.setFocus()
        QTest.keyClicks(window.shared_edit, "Members practised naming a criticism and answering it calmly.")
    texts = {"participation": "Took part in the role play.", "response": "Tried the calm reply twice.",
             "progress": "Used the reply without prompting.", "risk": "None noted today."}
    for row, plan in ((named, "Practise the calm reply at home."),
                      (writer, f"Will sit next to {named.person.first} {named.person.last} again.")):
        window.roster.setCurrentIndex(window.model.index(window.model.row_of(row.client_id), 0))
        window.roster.setFocus()
        if window.model.attendance(window.model.row_of(row.client_id))[0] is None:
            QTest.keyClick(window.roster, Qt.Key.Key_P)
            window.roster.setCurrentIndex(window.model.index(window.model.row_of(row.client_id), 0))
        for key, text in {**texts, "plan": plan}.items():
            editor = window.editor.editors[key]
            if not editor.toPlainText().strip():
                editor.setFocus()
                QTest.keyClicks(editor, text)
    settle(shooter.app, ops, 1.0)
    time.sleep(0.5)
    settle(shooter.app, ops, 1.0)
    shooter.shoot(window, "group-session-blocked", (1400, 820), ops)

    def shoot_and_cancel(parent, title, attestation, **lists):
        from ui.attestation_dialog import AttestationDialog

        dialog = AttestationDialog(title, attestation, parent=parent, **lists)
        shooter.shoot(dialog, "attestation-sign-all", ops=ops)
        dialog.close()
        return False

    real = signing.confirm_signature
    signing.confirm_signature = shoot_and_cancel
    try:
        window.sign_all()
    finally:
        signing.confirm_signature = real


def _answer_safely(_parent, _title, _text, buttons=None, _default=None):
    """Stand-in for QMessageBox.question while shooting: discard unsaved input, else agree."""
    from PySide6.QtWidgets import QMessageBox

    discard = QMessageBox.StandardButton.Discard
    return discard if buttons is not None and buttons & discard else QMessageBox.StandardButton.Yes


def _pdf_pages(clinic, folder: Path, work: Path, client_id: str, discharged: str | None, day: dt.date) -> list[str]:
    """The first page of each printed document, as PNG (needs poppler's pdftoppm)."""
    import shutil
    import subprocess

    from iopdesk.models import Note
    from reports.jobs import PrintRequest, print_document

    if shutil.which("pdftoppm") is None:
        print("screenshots: pdftoppm not found (apt install poppler-utils); PDF pages skipped", file=sys.stderr)
        return []
    group_note = (Note.select(Note.group_session).where((Note.client == client_id) & Note.group_session.is_null(False)
                                                        & (Note.status != "draft"))
                  .order_by(Note.service_date.desc()).tuples().first())
    progress_note = (Note.select(Note.id).where((Note.client == client_id) & Note.group_session.is_null()
                                                & (Note.status != "draft"))
                     .order_by(Note.service_date.desc()).tuples().first())
    sessions = [s.session.id for s in clinic.groups.day_sessions(day) if s.mine]
    jobs = [("plan", PrintRequest(client_id)), ("measures", PrintRequest(client_id))]
    if discharged:
        jobs.append(("discharge", PrintRequest(discharged)))
    if group_note:
        jobs.append(("group-note", PrintRequest(client_id, str(group_note[0]))))
    if progress_note:
        jobs.append(("progress-note", PrintRequest(client_id, str(progress_note[0]))))
    if sessions:
        jobs.append(("sign-in", PrintRequest(None, sessions[0])))
    written = []
    for code, request in jobs:
        pdf = work / f"{code}.pdf"
        print_document(clinic, code, request, pdf)
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                        str(folder / f"pdf-{code}")], check=True)
        written.append(f"pdf-{code}.png")
    return written


def _billing_screen(clinic, settings):
    """The biller's main window on the Billing page: last month, counts and lines loaded (the
    page waits ~300 ms after a change before counting, then fills the tables off the GUI thread)."""
    from PySide6.QtWidgets import QApplication

    from ui.main_window import MainWindow

    clinic.login("biller", DEMO_PASSWORD)
    window = MainWindow(clinic, settings)
    window.resize(*WINDOW_SIZE)
    window.show()
    window.show_section("billing")
    began = time.monotonic()
    while time.monotonic() - began < 10 and (time.monotonic() - began < 1.5 or window.ops.busy):
        QApplication.processEvents()
        time.sleep(0.02)
    return window


def _admin_sync_screen(shooter: Shooter, work: Path, settings) -> None:
    """A satellite (NORTH, joined from the demo clinic) on the Admin page right after Sync now
    brought a conflict: a client's phone changed at both sites. Opens the satellite last, as the
    process's one clinic; the demo clinic must be closed before."""
    import iopdesk
    from iopdesk.models import Client
    from iopdesk.services.sync import join_as_satellite
    from iopdesk.storage.records import update_versioned
    from ui.main_window import MainWindow
    from ui.sync_panel import MAIN_URL_KEY

    main, north = str(work / "demo.sqlite"), str(work / "north.sqlite")
    join_as_satellite(main, north, site_code="NORTH", site_name="Harbor Light Recovery — Northside")

    def set_phone(client_id, phone):
        row = Client.get(Client.id == client_id)
        update_versioned(row, row.version, phone=phone)

    with iopdesk.open_clinic(main):
        client_id = Client.select(Client.id).order_by(Client.mrn).tuples().first()[0]
        set_phone(client_id, "(555) 201-4410")
    clinic = iopdesk.open_clinic(north)
    set_phone(client_id, "(555) 201-7788")
    clinic.login("admin", DEMO_PASSWORD)
    settings.setValue(MAIN_URL_KEY, main)
    window = MainWindow(clinic, settings)
    window.resize(*WINDOW_SIZE)
    window.show()
    window.show_section("admin")
    window.page("admin").sync_panel.sync_now()
    settle(shooter.app, window.ops, 30)
    shooter.shoot(window, "admin-sync", WINDOW_SIZE, window.ops)
    window.close()
    clinic.close()


def _day_with_group(clinic) -> dt.date:
    """The most recent day (today or before) with a group session of the demo clinician."""
    from iopdesk.kernel import clock

    day = clock.today()
    for _ in range(21):
        if any(s.mine for s in clinic.groups.day_sessions(day)):
            return day
        day -= dt.timedelta(days=1)
    return clock.today()


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    folder = Path(args[0]) if args else Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    with tempfile.TemporaryDirectory(prefix="iopdesk-shots-") as work:
        written = take_screenshots(folder, Path(work))
    print(f"wrote {len(written)} screenshots to {folder}: {', '.join(written)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
