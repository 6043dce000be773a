"""Responsiveness through the widgets on the scale clinic: search-as-you-type and opening a chart.

Measured as a person experiences it: from the key press in the search box to the results model
holding the new rows, and from asking for a chart to the window showing its overview, its notes
list and its treatment plan, all on the GUI thread with the event loop turning
(`QApplication.processEvents`). Each floor replays the reads those steps made, recorded from
peewee, with raw sqlite3 on the same file.
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from tools.bench.harness import Figure, plan_note, raw_read_floor, recorded_statements

PREFIXES = ("gar", "ng", "mar", "sm", "al", "o'b", "kow", "ch", "jo", "ad", "ze", "ri", "pa", "wa", "li")
SEARCH_TARGET = 0.020
CHART_TARGET = 0.100


def _settle(app, still_busy) -> None:
    """Turn the event loop until `still_busy()` is false, sleeping between events as app.exec()
    does (spinning processEvents would starve the worker thread of the GIL)."""
    from PySide6.QtCore import QEventLoop

    app.processEvents()
    while still_busy():
        app.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)


def run(scale_path: Path, work_dir: Path) -> list[Figure]:
    """`scale_path`: a working copy of the scale clinic (this writes audit events to it)."""
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import iopdesk
    from tools.offscreen import quiet_offscreen_notes
    from ui.clients_page import ClientsPage
    from ui.operations import Operations

    quiet_offscreen_notes()
    app = QApplication.instance() or QApplication([])
    clinic = iopdesk.open_clinic(str(scale_path))  # the run's working copy of the scale clinic
    clinic.login("clinician", "demo-pass-2026")
    ops = Operations()
    page = ClientsPage(clinic, ops, settings=QSettings(str(work_dir / "ui.ini"), QSettings.Format.IniFormat))
    page.resize(1100, 700)
    page.show()

    keystrokes: list[float] = []
    for prefix in PREFIXES * 2:
        page.search_edit.clear()
        _settle(app, page.search_timer.isActive)
        for char in prefix:
            began = time.perf_counter()
            QTest.keyClick(page.search_edit, char)
            _settle(app, page.search_timer.isActive)
            keystrokes.append(time.perf_counter() - began)

    rng = random.Random(11)
    client_ids = [row.id for prefix in PREFIXES for row in clinic.clients.search(prefix, limit=5)]
    opening: list[float] = []
    def open_chart(client_id):
        window = page.open_chart(client_id)
        _settle(app, lambda: ops.busy)
        for tab in ("notes", "plan"):
            window.show_tab(tab)
            _settle(app, lambda: ops.busy)
        return window

    def close(window) -> None:
        window.close()
        window.deleteLater()
        app.processEvents()
        QTest.qWait(1)

    sample = rng.sample(client_ids, min(25, len(client_ids)))
    for client_id in sample:
        began = time.perf_counter()
        window = open_chart(client_id)
        opening.append(time.perf_counter() - began)
        close(window)

    page.search_edit.clear()
    _settle(app, page.search_timer.isActive)
    typed = recorded_statements(clinic.db, lambda: [(QTest.keyClick(page.search_edit, c),
                                                     _settle(app, page.search_timer.isActive)) for c in "gar"])
    charted = recorded_statements(clinic.db, lambda: close(open_chart(sample[0])))
    page.close()
    clinic.close()
    count = f"{clinic_size(scale_path)}"
    search_floor = raw_read_floor(scale_path, typed) / 3
    chart_floor = raw_read_floor(scale_path, charted)
    return [
        Figure(f"client search, keystroke to results ({count})", tuple(keystrokes), SEARCH_TARGET,
               floor=search_floor, note=f"floor: the search query in raw sqlite3; {plan_note(scale_path, typed)}"),
        Figure(f"open a client chart: overview, notes list, plan ({count})", tuple(opening), CHART_TARGET,
               floor=chart_floor, note=f"floor: its {sum(1 for s, _ in charted if s.lstrip()[:6].upper() == 'SELECT')} "
                                       f"reads in raw sqlite3; {plan_note(scale_path, charted)}"),
    ]


def clinic_size(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return f"{conn.execute('SELECT COUNT(*) FROM client').fetchone()[0]:,} clients"


