"""`iopdesk --self-test`: prove an installed IOP Desk works on this machine, without touching the
user's data: a temporary clinic, a note written, signed and read back, a PDF and a billing
workbook printed, the file's integrity checked, and Qt started offscreen with a window drawn.

For clinic IT after installing (and for the bundle test): one line per step, then
"self-test: ok" and status 0; the first failure prints "self-test: FAILED: …" and status 1.
Everything happens in a temporary folder that the user data, log and settings folders point
into for the duration, so the real clinic, settings and keyring are never read or written.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
import traceback
import zipfile
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from iopdesk.kernel import clock

PASSWORD = "self-test horse battery staple"
NOTE = {"data": "Self-test: client described a calm week.",
        "assessment": "Stable; coping plan in use.",
        "plan": "Continue weekly sessions."}
# What the self-test sets while it runs; HOME matters to platformdirs on macOS, APPDATA on Windows.
SANDBOX_VARS = ("HOME", "XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
                "APPDATA", "LOCALAPPDATA", "IOPDESK_DB", "IOPDESK_DB_PASSPHRASE", "PYTHON_KEYRING_BACKEND",
                "QT_QPA_PLATFORM")


class SelfTestFailed(Exception):
    """A step did not give what it should; the message says which and how."""


@contextmanager
def sandbox(folder: Path):
    """Point the user data, log, settings folders and keyring into `folder` until the block ends.

    The environment covers Qt's settings and platformdirs on Linux; `iopdesk.paths` is also
    pointed there directly, because on Windows and macOS platformdirs asks the system instead."""
    from iopdesk import paths

    saved_paths = paths.data_dir, paths.log_dir
    paths.data_dir = lambda: folder / "data" / paths.APP_NAME
    paths.log_dir = lambda: folder / "state" / paths.APP_NAME / "log"
    saved = {name: os.environ.get(name) for name in SANDBOX_VARS}
    for name in ("HOME", "APPDATA", "LOCALAPPDATA"):
        os.environ[name] = str(folder / "home")
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        os.environ[name] = str(folder / name.split("_")[1].lower())
    os.environ.pop("IOPDESK_DB", None)
    os.environ.pop("IOPDESK_DB_PASSPHRASE", None)
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    try:
        yield
    finally:
        paths.data_dir, paths.log_dir = saved_paths
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _check(condition: bool, problem: str) -> None:
    if not condition:
        raise SelfTestFailed(problem)


def run_steps(folder: Path, say: Callable[[str], None]) -> None:
    """Every step, in order, inside `folder` (already sandboxed); raises on the first failure."""
    import iopdesk
    from iopdesk.paths import data_dir

    say(f"version: IOP Desk {iopdesk.__version__}, Python {sys.version.split()[0]}")
    _check(Path(folder) in data_dir().parents, f"the data folder {data_dir()} is not in the test folder")
    data_dir().mkdir(parents=True)
    clinic = iopdesk.open_clinic()
    with clinic:
        info = clinic.info()
        say(f"clinic: created {info.database} (schema version {info.schema_version})")
        _check(info.database.startswith(str(folder)), f"the clinic {info.database} is outside the test folder")
        _people_and_note(clinic, folder, say)
        rows = clinic.db.execute_sql("PRAGMA integrity_check").fetchall()
        _check(rows == [("ok",)], f"integrity check: {rows[:3]}")
        report = clinic.check()
        _check(report.ok, "clinic check: " + "; ".join(report.lines))
        say("integrity: ok (" + "; ".join(report.lines) + ")")
    _qt_window(folder, say)


def _people_and_note(clinic, folder: Path, say: Callable[[str], None]) -> None:
    clinic.users.add("admin", PASSWORD, display_name="Self Test Admin", roles=["admin"])
    clinic.login("admin", PASSWORD)
    clinic.users.add("clinician", PASSWORD, display_name="Self Test Clinician", roles=["clinician"],
                     credentials="LPC")
    say("users: admin and clinician created")
    clinic.login("clinician", PASSWORD)
    client, _ = clinic.clients.register(legal_first="Testa", legal_last="Selfcheck", dob="1990-01-01", sex="F")
    yesterday = clock.today() - dt.timedelta(days=1)
    episode, _ = clinic.episodes.admit(client.id, admitted_on=yesterday - dt.timedelta(days=6),
                                       track_code="substance_use", level="2.1", primary_clinician="clinician")
    say(f"client: registered and admitted (episode {episode.id})")
    draft, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                         service_date=yesterday, starts_at="10:00", ends_at="10:50",
                                         sections=NOTE)
    clinic.notes.sign(draft.id, draft.version)
    note = clinic.notes.get(draft.id)
    _check(note.status == "signed", f"the note is {note.status!r} after signing")
    for key, text in NOTE.items():
        _check(note.sections.get(key) == text, f"note section {key!r} reads back as {note.sections.get(key)!r}")
    say("note: written, signed and read back unchanged")
    clinic.plans.create_initial(episode.id)
    _print_pdfs(clinic, client.id, note.id, folder, say)
    clinic.login("admin", PASSWORD)
    _billing_workbook(clinic, yesterday, folder, say)


def _print_pdfs(clinic, client_id: str, note_id: str, folder: Path, say: Callable[[str], None]) -> None:
    from reports.jobs import PrintRequest, print_document

    for code, target in (("plan", None), ("progress-note", note_id)):
        out = folder / f"{code}.pdf"
        print_document(clinic, code, PrintRequest(client_id=client_id, target_id=target), out)
        head = out.read_bytes()[:5]
        _check(head == b"%PDF-", f"{out.name} does not start with %PDF- ({head!r})")
        say(f"pdf: {out.name} printed ({out.stat().st_size:,} bytes)")


def _billing_workbook(clinic, day: dt.date, folder: Path, say: Callable[[str], None]) -> None:
    import openpyxl

    from reports.billing_xlsx import write_billing_workbook

    out = folder / "billing.xlsx"
    summary = write_billing_workbook(clinic.billing.run(day - dt.timedelta(days=30), day), out)
    _check(zipfile.is_zipfile(out), f"{out.name} is not a zip (xlsx) file")
    workbook = openpyxl.load_workbook(out, read_only=True)
    sheets = workbook.sheetnames
    workbook.close()
    _check(bool(sheets), f"{out.name} has no sheets")
    say(f"xlsx: {out.name} written ({summary.lines} lines, {summary.holds} holds, sheets {', '.join(sheets)})")


def _qt_window(folder: Path, say: Callable[[str], None]) -> None:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtGui import QImage
    from PySide6.QtWidgets import QApplication, QLabel

    from ui.icons import app_icon

    app = QApplication.instance() or QApplication(["iopdesk", "-platform", os.environ["QT_QPA_PLATFORM"]])
    label = QLabel("IOP Desk self-test")
    label.setWindowIcon(app_icon())
    label.resize(240, 60)
    image = QImage(label.size(), QImage.Format.Format_ARGB32)
    image.fill(0)
    label.render(image)
    label.deleteLater()
    _check(not image.isNull() and not app_icon().isNull(), "Qt could not draw a window or load the icon")
    out = folder / "window.png"
    _check(image.save(str(out)), f"Qt could not save {out.name} (image plugins missing?)")
    say(f"qt: {app.platformName()} platform, a window drawn (PySide6 {pyside_version})")


def main() -> int:
    """Run the self-test; 0 when every step passed, 1 otherwise."""
    def say(line: str) -> None:
        print(line, flush=True)

    with tempfile.TemporaryDirectory(prefix="iopdesk-self-test-") as name:
        folder = Path(name).resolve()
        with sandbox(folder):
            try:
                run_steps(folder, say)
            except Exception as exc:  # any failure is reported, never a crash
                if not isinstance(exc, SelfTestFailed):
                    traceback.print_exc(file=sys.stderr)
                say(f"self-test: FAILED: {type(exc).__name__}: {exc}")
                return 1
            finally:
                from iopdesk.storage.db import database

                if database.obj is not None and not database.obj.is_closed():
                    database.obj.close()
    say("self-test: ok")
    return 0
