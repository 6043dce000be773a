"""The Billing page driven as a biller would: choose a range, read the preview, export to Excel.

Most tests run over a small demo clinic (15 clients, 8 weeks up to 03/18/2026, generated once per
session and copied per test, the clinic clock pinned to that day) with the real `clinic.billing` and the
real `reports.billing_xlsx`; the workbook is read back with openpyxl and the batches through the
service. A hand-made billing service (`FakeBillingService`, the brief's API over fixed lines) covers
what the demo cannot show on demand, such as a line changed after its export.
"""

from __future__ import annotations

import datetime as dt
import shutil
import threading
import uuid

import openpyxl
import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QComboBox,
    QFileDialog,
    QLabel,
    QProgressDialog,
    QPushButton,
    QTableView,
    QWidget,
)

import iopdesk
from iopdesk.demo import generate
from iopdesk.kernel import clock
from iopdesk.kernel.changes import Changes
from iopdesk.kernel.formats import money_text
from iopdesk.services.billing.views import (
    BillingCounts,
    BillingHold,
    BillingLine,
    BillingRun,
    ExportBatchView,
)
from tests.conftest import ADMIN_PASSWORD
from ui.billing_page import BillingPage
from ui.dates import date_text
from ui.operations import Operations

TODAY = dt.date(2026, 3, 18)
DEMO_PASSWORD = "demo-pass-2026"
FEB_1, FEB_28 = dt.date(2026, 2, 1), dt.date(2026, 2, 28)


def _line(n: int, day: dt.date, *, payer: str = "MCD", code: str = "90853", cents: int = 4500,
          batch: str = "", changed: bool = False) -> BillingLine:
    return BillingLine(
        line_id=f"L{n:04d}", client_id=f"c{n}", mrn=f"M{1000 + n}", client_name=f"Client{n}, Pat",
        dob=dt.date(1990, 1, 1), payer_code=payer, payer_name={"MCD": "Medicaid", "BCB": "Blue Cross"}[payer],
        member_id=f"MID{n}", authorization="", service_date=day, place_of_service="11", code=code,
        modifiers=("HQ",) if code == "90853" else (), units=1, minutes=60, diagnoses=("F11.20",),
        diagnosis_pointer="A", rendering_name="Cleo Clinician", rendering_npi="1234567893",
        supervising_name="", supervising_npi="", charge_cents=cents, source="group attendance",
        note_id=f"n{n}", note_status="signed", site_code="MAIN", export_batch=batch,
        changed_since_export=changed)


def _hold(n: int, day: dt.date, reason: str, action: str) -> BillingHold:
    return BillingHold(client_id=f"h{n}", mrn=f"M{2000 + n}", client_name=f"Held{n}, Kim", payer_code="MCD",
                       site_code="MAIN", service_date=day, what="90834 individual session, 45 min",
                       who="Ira Intern", reason=reason, action=action, note_id=f"hn{n}")


class FakeBillingService:
    """The billing API of the brief over fixed lines and holds; exports are remembered in memory."""

    def __init__(self, lines, holds, *, gate: threading.Event | None = None) -> None:
        self.lines, self.holds, self.gate = list(lines), list(holds), gate
        self.exported: dict[str, str] = {}  # line id -> batch id
        self.recorded: list[ExportBatchView] = []

    def sites(self):
        return [("MAIN", "Main clinic"), ("EAST", "East office")]

    def payers(self):
        return [("BCB", "Blue Cross"), ("MCD", "Medicaid")]

    def _chosen(self, rows, start, end, site, payer):
        return [r for r in rows if start <= r.service_date <= end and site in (None, r.site_code)
                and payer in (None, r.payer_code)]

    def run(self, range_from, range_to, *, site=None, payer=None, new_only=False) -> BillingRun:
        if self.gate is not None:
            self.gate.wait(5)
        lines = [line if line.line_id not in self.exported else
                 BillingLine(**{**line.__dict__, "export_batch": self.exported[line.line_id]})
                 for line in self._chosen(self.lines, range_from, range_to, site, payer)]
        if new_only:
            lines = [line for line in lines if not line.export_batch]
        return BillingRun("Riverside IOP", range_from, range_to, site, payer, new_only,
                          dt.datetime(2026, 3, 18, 15, 0), tuple(lines),
                          tuple(self._chosen(self.holds, range_from, range_to, site, None)))

    def counts(self, range_from, range_to, *, site=None, payer=None) -> BillingCounts:
        run = self.run(range_from, range_to, site=site, payer=payer)
        return BillingCounts(len(run.lines), len(run.holds), sum(not x.export_batch for x in run.lines),
                             sum(x.changed_since_export for x in run.lines), sum(x.charge_cents for x in run.lines))

    def record_export(self, run: BillingRun, *, file_name: str, place_file=None):
        if place_file is not None:
            place_file()
        batch = ExportBatchView(str(uuid.uuid4()), dt.datetime(2026, 3, 18, 15, 5), "Bo Biller", run.range_from,
                                run.range_to, "", len(run.lines))
        self.exported.update({line.line_id: batch.id for line in run.lines})
        self.recorded.insert(0, batch)
        return batch, Changes.of("billing")

    def batches(self, limit: int = 20):
        return self.recorded[:limit]


FEBRUARY = [_line(i, dt.date(2026, 2, 2 + i), cents=4500 + i) for i in range(6)]
MARCH = [_line(10 + i, dt.date(2026, 3, 2 + i), payer="BCB", code="90834", cents=12000) for i in range(3)]
HOLDS = [_hold(1, dt.date(2026, 3, 4), "note awaiting co-signature by Sam Supervisor",
               "Supervisor co-signs the note"),
         _hold(2, dt.date(2026, 3, 5), "client has no member id", "Front desk adds the Medicaid member id")]


RUNNING: list[Operations] = []  # this test's Operations, settled before its clinic closes


def _settle(qtbot) -> None:
    """Wait for the test's background work: a worker still running when the clinic closes would keep
    a connection open into whatever database the next test opens."""
    try:
        qtbot.waitUntil(lambda: not any(shiboken6.isValid(ops) and ops.busy for ops in RUNNING), timeout=10000)
    finally:
        RUNNING.clear()


@pytest.fixture(scope="session")
def billing_demo_template(tmp_path_factory, sqlite_template) -> str:
    path = tmp_path_factory.mktemp("billing-demo") / "clinic.sqlite"
    shutil.copyfile(sqlite_template, path)
    with iopdesk.open_clinic(str(path)) as clinic:
        generate(clinic, clients=15, weeks=8, seed=3, as_of=TODAY)
    return str(path)


@pytest.fixture
def billing_demo(qtbot, tmp_path, billing_demo_template):
    """The small demo clinic on 03/18/2026 with the real billing service; nobody signed in yet."""
    clock.pin(TODAY)
    path = tmp_path / "clinic.sqlite"
    shutil.copyfile(billing_demo_template, path)
    opened = iopdesk.open_clinic(str(path))
    yield opened
    _settle(qtbot)
    opened.close()


@pytest.fixture
def clinic_with_fake_billing(qtbot, tmp_path, clinic_file):
    """A staffed clinic on 03/18/2026 whose billing is the hand-made service above."""
    clock.pin(TODAY)
    path = clinic_file
    opened = iopdesk.open_clinic(str(path))
    opened.billing = FakeBillingService(FEBRUARY + MARCH, HOLDS)
    yield opened
    _settle(qtbot)
    opened.close()


def _page(qtbot, clinic, user: str = "biller", password: str = DEMO_PASSWORD) -> BillingPage:
    clinic.login(user, password)
    ops = Operations()
    RUNNING.append(ops)
    page = BillingPage(clinic, ops)
    qtbot.addWidget(page)
    page.resize(1200, 800)
    page.show()
    return page


def _figures(page: BillingPage) -> dict[str, str]:
    return {key: label.text() for key, label in page.figures.items()}


def _expected(counts) -> dict[str, str]:
    return {"lines": f"{counts.lines:,}", "holds": f"{counts.holds:,}", "new": f"{counts.new_lines:,}",
            "changed": f"{counts.changed_lines:,}", "charge": money_text(counts.charge_cents)}


def _line_ids_in(path) -> list[str]:
    """The Line ID column of every payer sheet in the workbook at `path`."""
    found = []
    for sheet in openpyxl.load_workbook(path, read_only=True).worksheets:
        rows = list(sheet.iter_rows(values_only=True))
        header = next((i for i, row in enumerate(rows) if "Line ID" in row), None)
        if header is None:
            continue
        column = rows[header].index("Line ID")
        found += [row[column] for row in rows[header + 1:]
                  if len(row) > column and row[column] and row[0] != "Total"]
    return found


def test_biller_sees_last_months_counts_then_the_last_two_weeks_after_changing_the_range(qtbot, billing_demo):
    """February is counted by default; "Last 2 weeks" counts 03/05–03/18 instead, as the service does."""
    page = _page(qtbot, billing_demo)
    assert (page.from_edit.value(), page.to_edit.value()) == (FEB_1, FEB_28)
    february = billing_demo.billing.counts(FEB_1, FEB_28)
    qtbot.waitUntil(lambda: _figures(page) == _expected(february), timeout=5000)
    assert february.lines > 50 and february.charge_cents > 0
    qtbot.mouseClick(page.two_weeks_button, Qt.MouseButton.LeftButton)
    fortnight = billing_demo.billing.counts(dt.date(2026, 3, 5), TODAY)
    assert fortnight != february
    qtbot.waitUntil(lambda: _figures(page) == _expected(fortnight), timeout=5000)
    assert page.to_edit.value() == TODAY
    page.payer_combo.setCurrentIndex(page.payer_combo.findData("MCD"))
    medicaid = billing_demo.billing.counts(dt.date(2026, 3, 5), TODAY, payer="MCD")
    qtbot.waitUntil(lambda: _figures(page) == _expected(medicaid), timeout=5000)


def test_biller_reads_each_hold_with_its_reason_and_what_to_do(qtbot, billing_demo, qtmodeltester):
    """The month lists by itself: every claim line, and every hold with who, why and what to do."""
    page = _page(qtbot, billing_demo)
    run = billing_demo.billing.run(FEB_1, FEB_28)
    assert run.holds
    qtbot.waitUntil(lambda: page.holds_model.rowCount() == len(run.holds), timeout=5000)
    shown = [[page.holds_model.index(r, c).data() for c in range(7)] for r in range(len(run.holds))]
    assert shown == [[date_text(h.service_date), h.mrn, h.client_name, h.what, h.who, h.reason, h.action]
                     for h in run.holds]
    assert any("3 h minimum" in row[5] for row in shown)
    assert page.lines_model.rowCount() == len(run.lines)
    first = run.lines[0]
    assert [page.lines_model.index(0, c).data() for c in (0, 1, 4, 8, 10)] == [
        date_text(first.service_date), first.mrn, first.code, money_text(first.charge_cents), "New"]
    assert page.holds_title.text() == f"&Holds ({len(run.holds)})"
    qtmodeltester.check(page.lines_model)
    qtmodeltester.check(page.holds_model)


def test_biller_exports_february_to_the_chosen_file_and_a_batch_is_recorded(qtbot, billing_demo, tmp_path,
                                                                           monkeypatch, qtmodeltester):
    """Ctrl+E suggests a name without PHI, writes every line to the chosen file and records one batch."""
    target = tmp_path / "out" / "february.xlsx"
    target.parent.mkdir()
    asked = []

    def save_as(parent, caption, suggested, filters):
        asked.append(suggested)
        return str(target), filters

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_as)
    page = _page(qtbot, billing_demo)
    run = billing_demo.billing.run(FEB_1, FEB_28)
    qtbot.waitUntil(lambda: page.lines_model.rowCount() == len(run.lines), timeout=5000)
    page.activateWindow()
    qtbot.keyClick(page.lines_view, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: page.message.text().startswith("Exported"), timeout=10000)
    assert asked and asked[0].endswith("billing_2026-02-01_2026-02-28.xlsx")
    assert page.message.text() == f"Exported {len(run.lines)} lines ({len(run.holds)} on hold) to {target}"
    assert page.show_folder_button.isVisibleTo(page)
    assert sorted(_line_ids_in(target)) == sorted(line.line_id for line in run.lines)
    batches = billing_demo.billing.batches()
    assert len(batches) == 1 and batches[0].line_count == len(run.lines)
    assert (batches[0].range_from, batches[0].range_to) == (FEB_1, FEB_28)
    assert all(line.export_batch == batches[0].id for line in billing_demo.billing.run(FEB_1, FEB_28).lines)
    qtbot.waitUntil(lambda: page.batches_model.rowCount() == 1, timeout=5000)
    assert page.batches_model.index(0, 5).data() == str(len(run.lines))
    qtbot.waitUntil(lambda: _figures(page)["new"] == "0" and page.lines_model.rowCount() > 0, timeout=5000)
    assert page.lines_model.index(0, 10).data() == "Exported"
    qtbot.mouseClick(page.new_only_check, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.run is not None and page.run.new_only, timeout=5000)
    assert page.lines_model.rowCount() == 0
    qtmodeltester.check(page.batches_model)


def test_cancelling_an_export_leaves_no_file_and_no_batch(qtbot, billing_demo, tmp_path, monkeypatch):
    """Cancel in the progress dialog while the export runs: no workbook on disk and nothing recorded."""
    target = tmp_path / "cancelled.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    page = _page(qtbot, billing_demo)
    qtbot.waitUntil(lambda: page.lines_model.rowCount() > 0, timeout=5000)
    gate, real_run = threading.Event(), billing_demo.billing.run

    def held_run(*args, **kwargs):
        gate.wait(5)  # the export is under way until the biller has pressed Cancel
        return real_run(*args, **kwargs)

    monkeypatch.setattr(billing_demo.billing, "run", held_run)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    dialogs = page.findChildren(QProgressDialog)
    assert len(dialogs) == 1
    qtbot.mouseClick(dialogs[0].findChild(QPushButton), Qt.MouseButton.LeftButton)
    gate.set()
    qtbot.waitUntil(lambda: "cancelled" in page.message.text(), timeout=10000)
    assert page.message.text() == "Export cancelled: no file was written and nothing was recorded."
    assert not target.exists() and list(tmp_path.glob("*.xlsx*")) == []
    assert billing_demo.billing.batches() == []
    assert page.export_button.isEnabled() and not page.show_folder_button.isVisibleTo(page)


def test_clinician_without_billing_access_sees_a_polite_message(qtbot, billing_demo):
    """A clinician opening Billing reads why it is closed to them and sees no billing controls."""
    page = _page(qtbot, billing_demo, user="clinician")
    assert page.refused
    assert "ask an administrator" in page.refusal_label.text()
    assert not hasattr(page, "export_button") and not hasattr(page, "lines_model")
    assert page.findChildren(QTableView) == [] and page.findChildren(QPushButton) == []


def test_an_export_to_a_folder_that_is_gone_says_why_and_records_nothing(qtbot, billing_demo, tmp_path, monkeypatch):
    """A save path in a missing folder gives a plain sentence naming the file, not a traceback."""
    target = tmp_path / "gone" / "billing.xlsx"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *args: (str(target), ""))
    page = _page(qtbot, billing_demo)
    qtbot.waitUntil(lambda: page.lines_model.rowCount() > 0, timeout=5000)
    qtbot.mouseClick(page.export_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.message.text().startswith("Export failed"), timeout=5000)
    assert str(target) in page.message.text() and "Traceback" not in page.message.text()
    assert billing_demo.billing.batches() == [] and not target.parent.exists()
    assert page.export_button.isEnabled() and not page.show_folder_button.isVisibleTo(page)


def test_every_billing_control_is_named_and_reached_from_the_keyboard(qtbot, billing_demo):
    """Each focusable control has an accessible name, every label its buddy, and Tab reaches them all."""
    page = _page(qtbot, billing_demo)
    focusable = [w for w in page.findChildren(QWidget) if w.isVisibleTo(page)
                 and w.focusPolicy() & Qt.FocusPolicy.TabFocus
                 and not isinstance(w.parent(), (QAbstractSpinBox, QComboBox))]
    assert len(focusable) >= 13
    assert [w for w in focusable if not w.accessibleName()] == []
    labels = [label for label in page.findChildren(QLabel) if "&" in label.text()]
    assert len(labels) >= 7 and all(label.buddy() is not None for label in labels)
    page.activateWindow()
    page.from_edit.setFocus()
    seen = []
    for _ in range(20):
        current = page.focusWidget()
        assert current is not None
        seen.append(current)
        qtbot.keyClick(current, Qt.Key.Key_Tab)
    for widget in (page.to_edit, page.this_month_button, page.payer_combo, page.new_only_check,
                   page.export_button, page.lines_view, page.holds_view, page.batches_view):
        assert any(w is widget or widget.isAncestorOf(w) for w in seen), widget.objectName()


def test_the_main_windows_billing_section_is_the_billing_page(qtbot, billing_demo, tmp_path):
    """The main window's Billing section is this page, and it counts last month once shown."""
    from PySide6.QtCore import QSettings

    from ui.main_window import MainWindow

    billing_demo.login("biller", DEMO_PASSWORD)
    window = MainWindow(billing_demo, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    RUNNING.append(window.ops)
    qtbot.addWidget(window)
    window.show()
    window.show_section("billing")
    page = window.page("billing")
    assert isinstance(page, BillingPage) and page.objectName() == "billingPage"
    february = billing_demo.billing.counts(FEB_1, FEB_28)
    qtbot.waitUntil(lambda: _figures(page) == _expected(february), timeout=5000)
    qtbot.waitUntil(lambda: page.lines_model.rowCount() == february.lines and not window.ops.busy, timeout=5000)


def test_a_line_changed_after_export_is_flagged_in_bold(qtbot, clinic_with_fake_billing):
    """A claim line the record changed after its export reads "Changed since export", in bold."""
    clinic_with_fake_billing.billing.lines[0] = _line(0, dt.date(2026, 2, 2), batch="b1", changed=True)
    page = _page(qtbot, clinic_with_fake_billing, password=ADMIN_PASSWORD)
    qtbot.waitUntil(lambda: page.lines_model.rowCount() == 6, timeout=3000)
    assert _figures(page)["changed"] == "1" and _figures(page)["new"] == "5"
    assert _figures(page)["charge"] == "$270.15"
    status = page.lines_model.index(0, 10)
    assert status.data() == "Changed since export"
    assert status.data(Qt.ItemDataRole.FontRole).bold()
    assert page.lines_model.index(1, 10).data(Qt.ItemDataRole.FontRole) is None
