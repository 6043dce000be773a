"""Responsiveness through the widgets on the scale clinic: search-as-you-type and opening a chart.

Measured as a person experiences it: from the key press in the search box to the results model
holding the new rows, and from asking for a chart to the window showing its overview, both on
the GUI thread with the event loop turning (`QApplication.processEvents`).
"""

from __future__ import annotations

import random
import time
from pathlib import Path

from .harness import Figure

PREFIXES = ("gar", "ng", "mar", "sm", "al", "o'b", "kow", "ch", "jo", "ad", "ze", "ri", "pa", "wa", "li")
SEARCH_TARGET = 0.050
CHART_TARGET = 0.150


def _settle(app, still_busy) -> None:
    app.processEvents()
    while still_busy():
        app.processEvents()


def run(scale_path: Path, work_dir: Path) -> list[Figure]:
    import os

    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QSettings
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    import iopdesk
    from ui.clients_page import ClientsPage
    from ui.operations import Operations

    from ..offscreen import quiet_offscreen_notes
    from .harness import working_copy

    quiet_offscreen_notes()
    app = QApplication.instance() or QApplication([])
    clinic = iopdesk.open_clinic(str(working_copy(scale_path, work_dir)))
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
    for client_id in rng.sample(client_ids, min(25, len(client_ids))):
        began = time.perf_counter()
        window = page.open_chart(client_id)
        _settle(app, lambda: ops.busy)
        opening.append(time.perf_counter() - began)
        window.close()
        window.deleteLater()
        app.processEvents()
        QTest.qWait(1)
    page.close()
    clinic.close()
    count = f"{clinic_size(scale_path)}"
    return [
        Figure(f"client search, keystroke to results ({count})", tuple(keystrokes), SEARCH_TARGET),
        Figure(f"open a client chart through the widgets ({count})", tuple(opening), CHART_TARGET),
    ]


def clinic_size(path: Path) -> str:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return f"{conn.execute('SELECT COUNT(*) FROM client').fetchone()[0]:,} clients"


