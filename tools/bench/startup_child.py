"""The process `bench_startup` launches: start IOP Desk on a clinic file the way `ui.app.run_app`
does, up to the main window painted with its first page's data, and print one JSON line.

`python -m tools.bench.startup_child app CLINIC_FILE USER INI_FILE [YYYY-MM-DD]` opens the clinic
(`open_clinic`, integrity check and migrations included), signs USER in with the demo password as
the sign-in dialog would (`LoginDialog.sign_in` without its window: the dialog only waits for a
person), builds `MainWindow` exactly as `run_app` does (per-user settings in INI_FILE instead of
the user's own), shows it and turns the event loop until Today has loaded its caseload and no
`Operations` job is running; then prints `{"ready_s": …, "phases": {…}, "maxrss_mb": …}` and
exits at once (closing the window would start the sign-out backup). The date pins the clinic's
"today" (the scale clinic is generated as of 2026-11-20). `python -m tools.bench.startup_child
bare` prints the peak RSS of an interpreter with PySide6's widgets and a QApplication only.
"""

import time

STARTED = time.perf_counter()

import datetime as dt  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import sys  # noqa: E402

DEMO_PASSWORD = "demo-pass-2026"


def maxrss_mb() -> float:
    """This process's peak resident set size. On Linux it is VmHWM, the high-water mark of this
    program's own memory: ru_maxrss would report the bench parent's peak, which a child started
    by fork carries over its exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            return next(int(line.split()[1]) for line in status if line.startswith("VmHWM:")) / 1024
    except (OSError, StopIteration):
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run_app_until_ready(path: str, username: str, ini: str, day: dt.date | None) -> dict:
    phases: dict[str, float] = {}

    def mark(name: str) -> None:
        phases[name] = time.perf_counter() - STARTED

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QCoreApplication, QEventLoop, QSettings
    from PySide6.QtWidgets import QApplication

    from iopdesk import open_clinic
    from iopdesk.kernel import clock
    from iopdesk.storage import integrity
    from iopdesk.storage.db import set_interactive_thread
    from tools.offscreen import quiet_offscreen_notes
    from ui.app import load_style_sheet
    from ui.icons import app_icon
    from ui.main_window import MainWindow
    from ui.restore_offer import check_in_background
    from ui.settings import APPLICATION, ORGANIZATION

    mark("imports")
    if day is not None:
        clock.pin(day)
    checked = {}
    quick_check = integrity.quick_check

    def timed_quick_check(db):
        began = time.perf_counter()
        try:
            return quick_check(db)
        finally:
            checked["quick_check"] = time.perf_counter() - began

    integrity.quick_check = timed_quick_check
    quiet_offscreen_notes()
    QCoreApplication.setOrganizationName(ORGANIZATION)
    QCoreApplication.setApplicationName(APPLICATION)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    app.setWindowIcon(app_icon())
    load_style_sheet(app)
    mark("qapplication")
    clinic = open_clinic(path, create=False, defer_large_check=True)  # as ui.app does
    set_interactive_thread()
    mark("open_clinic")
    previous = clinic.users.get(username).last_login_at  # as LoginDialog.sign_in
    clinic.login(username, DEMO_PASSWORD)
    mark("sign_in")
    window = MainWindow(clinic, settings=QSettings(ini, QSettings.Format.IniFormat), previous_login=previous)
    mark("main_window")
    window.show()
    if clinic.integrity_deferred:  # as ui.app does: the full storage check runs on a worker
        check_in_background(window, clinic)
    app.processEvents()
    while window.today_page.is_loading() or window.ops.busy:  # sleep between events, as app.exec() does
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    app.processEvents()  # paint the filled tables
    mark("first_page")
    if window.today_page.caseload is None:
        raise SystemExit("bench: the Today page did not load its caseload")
    phases["quick_check_s"] = checked.get("quick_check", 0.0)
    result = {"ready_s": time.perf_counter() - STARTED, "phases": phases, "maxrss_mb": maxrss_mb(),
              "work_items": window.today_page.caseload.work_count}
    clinic.close()
    return result


def bare() -> dict:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([sys.argv[0]])
    return {"ready_s": time.perf_counter() - STARTED, "maxrss_mb": maxrss_mb()}


def main(argv: list[str]) -> None:
    if argv[0] == "bare":
        result = bare()
    else:
        path, username, ini = argv[1:4]
        day = dt.date.fromisoformat(argv[4]) if len(argv) > 4 else None
        result = run_app_until_ready(path, username, ini, day)
    print(json.dumps(result), flush=True)
    os._exit(0)  # no teardown: the window's close would take the sign-out backup


if __name__ == "__main__":
    main(sys.argv[1:])
