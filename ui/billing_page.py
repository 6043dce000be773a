"""The Billing page: choose a date range, site and payer, preview what would be billed, export it.

The filters (from/to dates, defaulting to the previous calendar month, with "Last month", "This
month" and "Last 2 weeks" buttons; site; payer; only lines not exported yet) drive a preview:
`clinic.billing.counts` runs off the GUI thread ~300 ms after the last change and fills the lines,
holds, new, changed and total-charge figures; the claim lines and holds tables are filled from
`clinic.billing.run` when "Preview lines" is pressed, or by themselves when the range is small.
"Export to Excel…" (Ctrl+E) asks where to save, then runs, writes and records the export in
`ui.billing_export` with a cancellable progress dialog, and says where the file went. Recent
export batches are listed underneath. Work runs only while the page is shown (changes announced
while it is hidden reload it when next shown). Without billing access the page says so politely.
"""

from __future__ import annotations

from pathlib import Path

import shiboken6
from PySide6.QtCore import Qt, QTimer, QUrl
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from iopdesk.errors import PermissionDenied
from iopdesk.kernel.formats import money_text
from ui.billing_export import (
    BillingFilters,
    ExportOutcome,
    ExportProgressRelay,
    default_file_name,
    empty_run,
    export_billing,
)
from ui.billing_filters import BillingFilterBar
from ui.billing_models import batches_model, claim_lines_model, holds_model
from ui.chart import make_table_view
from ui.dates import date_text
from ui.operations import Operations, user_message

AUTO_PREVIEW_LIMIT = 2000  # lines + holds listed without pressing "Preview lines"
REFRESH_KINDS = ("note", "attendance", "group_session", "episode", "client", "diagnosis", "authorization",
                 "payer", "billing", "export_batch", "staff")


class BillingPage(QWidget):
    """Preview and export billing for a date range; refuses politely without billing access."""

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.counts = None
        self.run = None
        self.last_export: ExportOutcome | None = None
        self._generation = 0
        self._exporting = False
        self._own_changes = None  # this page's export, already refreshed for
        self.setObjectName("billingPage")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 20, 24, 16)
        layout.addWidget(QLabel(self.tr("Billing"), objectName="pageTitle"))
        try:
            if not clinic.actor.can("billing.read"):
                raise PermissionDenied("no billing access")
            sites, payers = clinic.billing.sites(), clinic.billing.payers()
        except PermissionDenied:
            self._build_refusal(layout)
            return
        self._build_filters(layout, sites, payers)
        self._build_preview(layout)
        self._connect()
        self._stale = True  # counted and listed when first shown, and again after changes while hidden

    def showEvent(self, event) -> None:
        super().showEvent(event)
        if not self.refused and self._stale:
            self._stale = False
            self.filters_changed()
            self.refresh_batches()

    def _put_off(self) -> bool:
        """True while the page is hidden: it loads again when next shown instead of working unseen."""
        if self.isVisible():
            return False
        self._stale = True
        return True

    def _alive(self, callback):
        """`callback`, skipped if this page was deleted while the work ran (a new user signed in)."""
        def guarded(*args):
            if shiboken6.isValid(self):
                callback(*args)
        return guarded

    # -- building ------------------------------------------------------------------------
    def _build_refusal(self, layout: QVBoxLayout) -> None:
        self.refused = True
        self.refusal_label = QLabel(self.tr(
            "Billing is for billing staff and administrators. Your account does not include billing "
            "access; if your work needs it, please ask an administrator."), objectName="refusal")
        self.refusal_label.setWordWrap(True)
        self.refusal_label.setAccessibleName(self.tr("No billing access"))
        self.refusal_label.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        layout.addWidget(self.refusal_label)
        layout.addStretch(1)

    def _build_filters(self, layout: QVBoxLayout, sites, payers) -> None:
        self.refused = False
        self.filter_bar = BillingFilterBar(sites, payers)
        bar = self.filter_bar
        self.from_edit, self.to_edit = bar.from_edit, bar.to_edit
        self.last_month_button, self.this_month_button = bar.last_month_button, bar.this_month_button
        self.two_weeks_button = bar.two_weeks_button
        self.site_combo, self.payer_combo, self.new_only_check = bar.site_combo, bar.payer_combo, bar.new_only_check
        layout.addWidget(bar)

    def _build_preview(self, layout: QVBoxLayout) -> None:
        self.figures: dict[str, QLabel] = {}
        row = QHBoxLayout()
        for key, name in (("lines", self.tr("Claim lines")), ("holds", self.tr("On hold")),
                          ("new", self.tr("New")), ("changed", self.tr("Changed since export")),
                          ("charge", self.tr("Total charge"))):
            figure = QLabel("–", objectName=f"count_{key}")
            figure.setProperty("figure", True)
            font = figure.font()
            font.setBold(True)
            font.setPointSizeF(font.pointSizeF() * 1.3)
            figure.setFont(font)
            figure.setAccessibleName(name)
            caption = QLabel(name)
            caption.setForegroundRole(QPalette.ColorRole.PlaceholderText)
            box = QVBoxLayout()
            box.setSpacing(0)
            box.addWidget(figure)
            box.addWidget(caption)
            row.addLayout(box)
            row.addSpacing(20)
            self.figures[key] = figure
        row.addStretch(1)
        self.preview_button = QPushButton(self.tr("Pre&view lines"), objectName="previewLines")
        self.preview_button.setAccessibleName(self.tr("Preview lines"))
        self.export_button = QPushButton(self.tr("E&xport to Excel…"), objectName="exportExcel")
        self.export_button.setAccessibleName(self.tr("Export to Excel"))
        self.export_button.setToolTip(self.tr("Export the claim lines and holds to a workbook (Ctrl+E)"))
        self.export_button.setEnabled(self.clinic.actor.can("billing.export"))
        layout.addLayout(row)

        self.message = QLabel(objectName="billingMessage")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.setAccessibleName(self.tr("Billing status"))
        self.show_folder_button = QPushButton(self.tr("Show in f&older"), objectName="showInFolder")
        self.show_folder_button.setAccessibleName(self.tr("Show the exported file in its folder"))
        self.show_folder_button.hide()
        status = QHBoxLayout()
        status.addWidget(self.message, 1)
        status.addWidget(self.show_folder_button)
        status.addWidget(self.preview_button)
        status.addWidget(self.export_button)
        layout.addLayout(status)

        self.lines_model = claim_lines_model(self)
        self.holds_model = holds_model(self)
        self.batches_model = batches_model(self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, objectName="billingSplitter")
        self.splitter.setChildrenCollapsible(False)
        self.lines_view, self.lines_title = self._titled_table(self.lines_model, "claimLines",
                                                               self.tr("Claim &lines"))
        self.holds_view, self.holds_title = self._titled_table(self.holds_model, "holds", self.tr("&Holds"))
        self.batches_view, _ = self._titled_table(self.batches_model, "exportBatches",
                                                  self.tr("&Recent exports"))
        hold_header = self.holds_view.horizontalHeader()
        hold_header.setStretchLastSection(False)
        for column in (5, 6):  # why, what to do: share the width; the full text is in the tooltip
            hold_header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        batch_header = self.batches_view.horizontalHeader()
        batch_header.setStretchLastSection(False)
        batch_header.setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setStretchFactor(2, 1)
        layout.addWidget(self.splitter, 1)

        self.export_action = QAction(self.tr("Export to Excel…"), self, objectName="exportAction")
        self.export_action.setShortcut(QKeySequence("Ctrl+E"))
        self.export_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.export_action.setEnabled(self.export_button.isEnabled())
        self.addAction(self.export_action)

        order = (self.filter_bar.tab_order[-1], self.show_folder_button, self.preview_button, self.export_button,
                 self.lines_view, self.holds_view, self.batches_view)
        for first, second in zip(order, order[1:], strict=False):
            self.setTabOrder(first, second)

    def _titled_table(self, model, name: str, title: str):
        part = QWidget()
        box = QVBoxLayout(part)
        box.setContentsMargins(0, 6, 0, 0)
        label = QLabel(title, objectName=f"{name}Title")
        view = make_table_view(model, title.replace("&", ""))
        view.setObjectName(name)
        label.setBuddy(view)
        box.addWidget(label)
        box.addWidget(view, 1)
        self.splitter.addWidget(part)
        return view, label

    def _connect(self) -> None:
        self._counts_timer = QTimer(self, singleShot=True, interval=300)
        self._counts_timer.timeout.connect(self.refresh_counts)
        self.filter_bar.changed.connect(self.filters_changed)
        self.preview_button.clicked.connect(self.preview_lines)
        self.export_button.clicked.connect(self.export)
        self.export_action.triggered.connect(self.export)
        self.show_folder_button.clicked.connect(self.show_in_folder)
        self.ops.changes_applied.connect(self._changes_applied)

    # -- filters and preview --------------------------------------------------------------
    def filters(self) -> BillingFilters:
        return self.filter_bar.filters()

    def filters_changed(self) -> None:
        """The filters moved: what is listed is stale; count again once the biller stops typing."""
        self._generation += 1
        self.run = None
        self.lines_model.set_rows([])
        self.holds_model.set_rows([])
        self._set_titles()
        self.schedule_counts()

    def schedule_counts(self) -> None:
        for figure in self.figures.values():
            figure.setText("…")
        self._counts_timer.start()

    def refresh_counts(self) -> None:
        """Count lines, holds and the charge for the filters, off the GUI thread."""
        if self._put_off():
            return
        generation, chosen = self._generation, self.filters()
        self.ops.run(lambda: self.clinic.billing.counts(chosen.range_from, chosen.range_to,
                                                        site=chosen.site, payer=chosen.payer),
                     on_success=self._alive(lambda counts: self._show_counts(generation, counts)),
                     on_failure=self._alive(lambda error: self._failed(generation, error)), parent=self)

    def _show_counts(self, generation: int, counts) -> None:
        if generation != self._generation:
            return
        self.counts = counts
        self.figures["lines"].setText(f"{counts.lines:,}")
        self.figures["holds"].setText(f"{counts.holds:,}")
        self.figures["new"].setText(f"{counts.new_lines:,}")
        self.figures["changed"].setText(f"{counts.changed_lines:,}")
        self.figures["charge"].setText(money_text(counts.charge_cents))
        if self.run is None and counts.lines + counts.holds <= AUTO_PREVIEW_LIMIT:
            self.preview_lines()
        elif self.run is None:
            self._set_titles(self.tr("press Preview lines to list them"))

    def preview_lines(self) -> None:
        """Fetch the claim lines and holds for the filters, off the GUI thread."""
        if self._put_off():
            return
        generation, chosen = self._generation, self.filters()
        self.preview_button.setEnabled(False)
        self._set_titles(self.tr("loading…"))
        self.ops.run(lambda: self.clinic.billing.run(chosen.range_from, chosen.range_to, site=chosen.site,
                                                     payer=chosen.payer, new_only=chosen.new_only),
                     on_success=self._alive(lambda run: self._show_run(generation, run)),
                     on_failure=self._alive(lambda error: self._failed(generation, error)), parent=self)

    def _show_run(self, generation: int, run) -> None:
        self.preview_button.setEnabled(True)
        if generation != self._generation:
            return
        self.run = run
        self.lines_model.set_rows(run.lines)
        self.holds_model.set_rows(run.holds)
        self._set_titles()

    def _set_titles(self, pending: str = "") -> None:
        lines = self.tr("Claim &lines")
        holds = self.tr("&Holds")
        if self.run is not None:
            lines += f" ({len(self.run.lines):,})"
            holds += f" ({len(self.run.holds):,})"
        elif pending:
            lines += f" — {pending}"
        self.lines_title.setText(lines)
        self.holds_title.setText(holds)

    def _failed(self, generation: int, error: BaseException) -> None:
        self.preview_button.setEnabled(True)
        if generation == self._generation:
            self.message.setText(user_message(error))

    def refresh_batches(self) -> None:
        if self._put_off():
            return
        self.ops.run(lambda: self.clinic.billing.batches(),
                     on_success=self._alive(self.batches_model.set_rows),
                     on_failure=self._alive(lambda error: self.message.setText(user_message(error))),
                     parent=self)

    def _changes_applied(self, changes) -> None:
        if self._exporting or changes is self._own_changes or not changes.touches(*REFRESH_KINDS):
            return
        if not self.isVisible():
            self._stale = True
            return
        self.filters_changed()
        self.refresh_batches()

    # -- export ---------------------------------------------------------------------------
    def export(self) -> None:
        """Ask where to save, then run, write and record the export with progress and Cancel."""
        if self._exporting or not self.export_button.isEnabled():
            return
        chosen = self.filters()
        name = default_file_name(self.run if self.run is not None and self._run_matches(chosen)
                                 else empty_run(self.clinic.info().clinic_name, chosen))
        folder = Path(self.last_export.path).parent if self.last_export else Path.home()
        path, _ = QFileDialog.getSaveFileName(self, self.tr("Export billing to Excel"), str(folder / name),
                                              self.tr("Excel workbook (*.xlsx)"))
        if not path:
            return
        if not path.lower().endswith(".xlsx"):
            path += ".xlsx"
        self._exporting = True
        self.export_button.setEnabled(False)
        self.export_action.setEnabled(False)
        self.show_folder_button.hide()
        self.message.setText(self.tr("Exporting {range}…").format(range=self._range_text(chosen)))
        relay = ExportProgressRelay(self)
        self.ops.run(lambda cancelled: export_billing(self.clinic, chosen, Path(path), cancelled=cancelled,
                                                      relay=relay),
                     on_success=self._alive(lambda result: self._exported(result, relay)),
                     on_failure=self._alive(lambda error: self._export_failed(error, relay)),
                     progress=self.tr("Exporting billing to {file}…").format(file=Path(path).name), parent=self)
        dialog = self.findChildren(QProgressDialog)[-1] if self.findChildren(QProgressDialog) else None
        if dialog is not None:
            dialog.setWindowTitle(self.tr("Export to Excel"))
            dialog.setAutoReset(False)
            dialog.setAutoClose(False)
            relay.progressed.connect(lambda done, total: self._progressed(dialog, done, total))

    def _progressed(self, dialog: QProgressDialog, done: int, total: int) -> None:
        if not shiboken6.isValid(dialog) or dialog.wasCanceled() or total <= 0:
            return
        dialog.setMaximum(total)
        dialog.setValue(min(done, total))

    def _run_matches(self, chosen: BillingFilters) -> bool:
        run = self.run
        return (run.range_from, run.range_to, run.site_code, run.payer_code, run.new_only) == (
            chosen.range_from, chosen.range_to, chosen.site, chosen.payer, chosen.new_only)

    def _range_text(self, chosen: BillingFilters) -> str:
        return f"{date_text(chosen.range_from)}–{date_text(chosen.range_to)}"

    def _export_done(self, relay: ExportProgressRelay) -> None:
        self._exporting = False
        can = self.clinic.actor.can("billing.export")
        self.export_button.setEnabled(can)
        self.export_action.setEnabled(can)
        relay.deleteLater()

    def _exported(self, result, relay: ExportProgressRelay) -> None:
        self._export_done(relay)
        outcome: ExportOutcome = result[0] if isinstance(result, tuple) else result
        self._own_changes = result[-1] if isinstance(result, tuple) else None
        if outcome.cancelled:
            self.message.setText(self.tr("Export cancelled: no file was written and nothing was recorded."))
            return
        self.last_export = outcome
        self.message.setText(self.tr("Exported {lines} lines ({holds} on hold) to {file}").format(
            lines=f"{outcome.lines:,}", holds=f"{outcome.holds:,}", file=str(outcome.path)))
        self.show_folder_button.show()
        self.filters_changed()
        self.refresh_batches()

    def _export_failed(self, error: BaseException, relay: ExportProgressRelay) -> None:
        self._export_done(relay)
        self.message.setText(self.tr("Export failed: {reason}").format(reason=user_message(error)))

    def show_in_folder(self) -> None:
        """Open the folder holding the last exported file in the system's file manager."""
        if self.last_export is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(Path(self.last_export.path).parent)))

