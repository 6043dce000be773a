"""The Measures tab of a client's chart: every standard measure, its trend and its administrations.

On the left, one row per measure defined in `resources/measures/` (PHQ-9, GAD-7, C-SSRS, …) with
the client's last total, band and date and whether it is due by the client's schedule
(`clinic.measures.schedules`). On the right, the selected measure's trend chart over its severity
bands (`MeasureChartWidget`) above the table of its administrations (date, total, band, flags)
from `clinic.measures.history`. "Enter measure…" (Ctrl+N) opens `MeasureEntryDialog` on the
selected measure for anyone who may record measures; the tab refreshes when `ops.changes_applied`
carries the "measure" kind for this client.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QGroupBox, QHBoxLayout, QPushButton, QSplitter, QVBoxLayout, QWidget

from iopdesk import Clinic
from iopdesk.clinical.measures import MeasureDefinition, measure
from iopdesk.kernel import clock
from reports.jobs import PrintRequest
from ui.chart import RowsTableModel, date_text, make_table_view
from ui.chart.measure_chart import MeasureChartWidget
from ui.chart.measure_entry import MeasureEntryDialog
from ui.chart.measure_items import measure_codes
from ui.operations import Operations
from ui.print_preview import print_action


@dataclass(frozen=True)
class MeasureRow:
    """One measure as the client has it: the last result (if any) and its schedule (if any)."""

    code: str
    name: str
    last_on: dt.date | None
    last_total: int | None
    last_band: str
    due_on: dt.date | None


def total_flags(definition: MeasureDefinition, point) -> str:
    """The flags a result carries. History rows hold no answers, so only the measure's rules on the
    total can be read from a point; an item rule (PHQ-9 item 9) shows when the service says so."""
    flagged = getattr(point, "flags", None)
    if flagged:
        return "; ".join(flagged)
    messages = [rule["message"] for rule in definition.flag_rules
                if "total_at_least" in rule["when"] and point.total >= rule["when"]["total_at_least"]]
    if getattr(point, "safety_flag", False) and not any("safety" == r["kind"] for r in definition.flag_rules
                                                        if "total_at_least" in r["when"]):
        messages.insert(0, "Safety follow-up")
    return "; ".join(messages)


class MeasuresTab(QWidget):
    """Measures, the selected measure's trend and its administrations for one client."""

    KINDS = ("measure",)

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.entry_dialog: MeasureEntryDialog | None = None
        self.setObjectName("measuresTab")
        today = clock.today()
        self.measures_model = RowsTableModel((
            (self.tr("Measure"), lambda m: m.code),
            (self.tr("Last"), lambda m: "" if m.last_total is None else m.last_total),
            (self.tr("Band"), lambda m: m.last_band),
            (self.tr("Given"), lambda m: date_text(m.last_on)),
            (self.tr("Due"), lambda m: self._due_text(m.due_on, today)),
        ), self)
        self.measures_view = make_table_view(self.measures_model, self.tr("Measures"))
        self.measures_view.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.history_model = RowsTableModel((
            (self.tr("Date given"), lambda p: date_text(p.administered_on)),
            (self.tr("Total"), lambda p: p.total),
            (self.tr("Band"), lambda p: p.band),
            (self.tr("Flags"), lambda p: total_flags(self.definition, p)),
        ), self)
        self.history_view = make_table_view(self.history_model, self.tr("Administrations"))
        self.chart = MeasureChartWidget()
        self.definition: MeasureDefinition = measure(measure_codes()[0])

        self.enter_button = QPushButton(self.tr("&Enter measure…"), objectName="enterMeasure")
        self.enter_button.setAccessibleName(self.tr("Enter measure"))
        self.enter_button.clicked.connect(self.enter_measure)
        self.enter_action = QAction(self.tr("Enter measure"), self)
        self.enter_action.setShortcut(QKeySequence(QKeySequence.StandardKey.New))
        self.enter_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.enter_action.triggered.connect(self.enter_measure)
        self.addAction(self.enter_action)
        self.enter_button.setToolTip(self.enter_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
        self.can_record = clinic.actor.can("measure.write")
        self.enter_button.setEnabled(self.can_record)
        self.enter_action.setEnabled(self.can_record)
        if not self.can_record:
            self.enter_button.setToolTip(self.tr("Your role cannot record measures."))

        left = QGroupBox(self.tr("Measures"))
        left.setAccessibleName(self.tr("Measures"))
        left_layout = QVBoxLayout(left)
        left_layout.addWidget(self.measures_view, 1)
        self.print_action = print_action(self, clinic, ops, lambda: ("measures", PrintRequest(self.client_id)))
        self.print_button = QPushButton(self.tr("&Print…"), objectName="printMeasures")
        self.print_button.setToolTip(self.print_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
        self.print_button.setEnabled(self.print_action.isEnabled())
        self.print_button.clicked.connect(self.print_action.trigger)
        buttons = QHBoxLayout()
        buttons.addWidget(self.enter_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        left_layout.addLayout(buttons)
        self.chart_group = QGroupBox()
        QVBoxLayout(self.chart_group).addWidget(self.chart)
        self.history_group = QGroupBox()
        QVBoxLayout(self.history_group).addWidget(self.history_view)
        right = QSplitter(Qt.Orientation.Vertical)
        right.addWidget(self.chart_group)
        right.addWidget(self.history_group)
        right.setStretchFactor(0, 3)
        right.setStretchFactor(1, 2)
        splitter = QSplitter(Qt.Orientation.Horizontal, objectName="measuresSplitter")
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 5)
        splitter.setChildrenCollapsible(False)
        self.splitter = splitter
        QVBoxLayout(self).addWidget(splitter)
        self.setTabOrder(self.measures_view, self.enter_button)
        self.setTabOrder(self.enter_button, self.history_view)
        ops.changes_applied.connect(self._changes_applied)
        self.refresh()
        view, header = self.measures_view, self.measures_view.horizontalHeader()
        left_width = (sum(max(view.sizeHintForColumn(c), header.sectionSizeHint(c))
                          for c in range(self.measures_model.columnCount()))
                      + view.verticalScrollBar().sizeHint().width() + view.frameWidth() * 2
                      + left_layout.contentsMargins().left() * 4)
        splitter.setSizes([left_width, max(left_width, self.fontMetrics().averageCharWidth() * 110)])

    def _due_text(self, due_on: dt.date | None, today: dt.date) -> str:
        if due_on is None:
            return self.tr("not scheduled")
        if due_on < today:
            return self.tr("overdue since {day}").format(day=date_text(due_on))
        if due_on == today:
            return self.tr("due today")
        return self.tr("due {day}").format(day=date_text(due_on))

    # -- data -------------------------------------------------------------------------------
    def refresh(self) -> None:
        selected = self.selected_code()
        due = {s.measure: s.next_due_on for s in self.clinic.measures.schedules(self.client_id)}
        self.histories = {code: self.clinic.measures.history(self.client_id, code) for code in measure_codes()}
        rows = []
        for code in measure_codes():
            points = self.histories[code]
            last = points[-1] if points else None
            rows.append(MeasureRow(code, measure(code).name, last and last.administered_on,
                                   last and last.total, last.band if last else "", due.get(code)))
        self.measures_model.set_rows(rows)
        if selected is None:  # first showing: the measure given most recently, else the first
            given = [r for r in rows if r.last_on is not None]
            selected = max(given, key=lambda r: r.last_on).code if given else rows[0].code
        self.select_measure(selected)

    def select_measure(self, code: str) -> None:
        code = measure(code).code
        row = next(i for i, r in enumerate(self.measures_model.rows()) if r.code == code)
        self.measures_view.selectRow(row)
        self._selection_changed()

    def selected_code(self) -> str | None:
        row = self.measures_model.row_value(self.measures_view.currentIndex().row())
        return row.code if row else None

    def _selection_changed(self) -> None:
        code = self.selected_code()
        if code is None:
            return
        self.definition = measure(code)
        points = self.histories.get(code, [])
        self.chart_group.setTitle(self.tr("{code} trend").format(code=code))
        self.chart_group.setAccessibleName(self.chart_group.title())
        self.history_group.setTitle(self.tr("{code} administrations").format(code=code))
        self.history_group.setAccessibleName(self.history_group.title())
        self.chart.show_points(self.definition, points)
        self.history_model.set_rows(list(reversed(points)))  # newest first in the table

    def _changes_applied(self, changes) -> None:
        if (not changes.client_ids or self.client_id in changes.client_ids) and changes.touches(*self.KINDS):
            self.refresh()

    # -- entering ---------------------------------------------------------------------------
    def enter_measure(self) -> MeasureEntryDialog | None:
        """Open the entry dialog on the selected measure (one at a time per chart)."""
        if not self.can_record:
            return None
        if self.entry_dialog is not None and self.entry_dialog.isVisible():
            self.entry_dialog.raise_()
            self.entry_dialog.activateWindow()
            return self.entry_dialog
        if self.entry_dialog is not None:
            self.entry_dialog.deleteLater()
        dialog = MeasureEntryDialog(self.clinic, self.ops, self.client_id, self.selected_code() or "PHQ-9",
                                    parent=self)
        dialog.accepted.connect(lambda: dialog.saved and self.select_measure(dialog.saved.measure))
        self.entry_dialog = dialog
        dialog.open()
        return dialog

    def may_close(self) -> bool:
        """The chart may close unless an entry with answers stays open after asking."""
        dialog = self.entry_dialog
        if dialog is None or not dialog.isVisible():
            return True
        dialog.reject()
        return not dialog.isVisible()
