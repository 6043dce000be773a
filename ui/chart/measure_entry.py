"""`MeasureEntryDialog`: enter one administration of a standard measure (PHQ-9, GAD-7, …).

The clinician picks the measure and the date given (not in the future), then answers one row per
item: the item text and its answer choices as radio buttons. From the keyboard a digit chooses the
answer in that position (0 for the first choice; on a PHQ-9 the digit is the score) and moves on
to the next item that is asked (Up and Down move between items, Tab leaves the list), Delete
clears the current item, and after the last item the
focus lands on Save. Every answer updates the score line through `iopdesk.clinical.measures.score`: the
total and severity band once every item is answered, before that the total so far and "n of m
items answered"; a safety flag (PHQ-9 item 9 endorsed, C-SSRS high risk) shows at once in a
highlighted banner. Items asked only after another answer (C-SSRS) are enabled when asked.
Save (Ctrl+S, or Enter on the button) records through `clinic.measures.record`; a refusal is
shown next to the item or date it names. Closing with answers entered asks first.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeyEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QDialog,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.clinical.measures import MeasureScore, measure, score
from iopdesk.errors import IopDeskError
from iopdesk.kernel import clock
from ui.chart.measure_items import MeasureItemRow, asked, emphasise, lower_bound, measure_codes
from ui.date_fields import DateField, entries_ready
from ui.operations import Operations, user_message
from ui.storage_retry import run_with_retry


class MeasureEntryDialog(QDialog):
    """Answers for one administration. Invariant: `score_label` always shows what
    `iopdesk.clinical.measures.score` makes of the answers on screen; nothing is stored until Save."""

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, measure_code: str = "PHQ-9", *,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.saved = None
        self._updating = False
        self.rows: list[MeasureItemRow] = []
        self.setObjectName("measureEntryDialog")
        self.setAccessibleName(self.tr("Enter measure"))
        self.setSizeGripEnabled(True)

        self.measure_box = QComboBox(objectName="measureBox")
        for code in measure_codes():
            self.measure_box.addItem(f"{code} — {measure(code).name}", code)
        self.measure_box.setAccessibleName(self.tr("Measure"))
        self.date_edit = DateField(self.tr("Date given"), clock.today(), latest=clock.today())
        self.date_error = QLabel(objectName="administered_onError")
        self.date_error.setWordWrap(True)
        self.date_error.setProperty("fieldError", True)
        self.date_error.hide()
        self.period_label = QLabel(objectName="measurePeriod")
        self.period_label.setWordWrap(True)
        form = QFormLayout()
        for text, widget in ((self.tr("&Measure:"), self.measure_box), (self.tr("&Date given:"), self.date_edit)):
            label = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        form.addRow("", self.date_error)

        self.scroll = QScrollArea(objectName="measureItems")
        self.scroll.setWidgetResizable(True)
        self.scroll.setAccessibleName(self.tr("Items"))

        self.score_label = QLabel(objectName="scoreLine")
        self.score_label.setAccessibleName(self.tr("Score"))
        font = self.score_label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        self.score_label.setFont(font)
        self.safety_label = QLabel(objectName="safetyFlag")
        self.safety_label.setAccessibleName(self.tr("Safety flag"))
        self.safety_label.setWordWrap(True)
        self.safety_label.setMargin(6)
        self.safety_label.setFont(font)
        emphasise(self.safety_label, QPalette.ColorRole.Highlight)
        self.safety_label.hide()
        self.flags_label = QLabel(objectName="measureFlags")
        self.flags_label.setAccessibleName(self.tr("Flags"))
        self.flags_label.setWordWrap(True)
        self.flags_label.hide()
        self.message_label = QLabel(objectName="fieldError")
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("Problem"))
        self.message_label.hide()

        self.save_button = QPushButton(self.tr("&Save"), objectName="saveButton")
        self.cancel_button = QPushButton(self.tr("Cancel"), objectName="cancelButton")
        for button in (self.save_button, self.cancel_button):
            button.setAutoDefault(True)
            button.setDefault(False)
            button.setAccessibleName(button.text().replace("&", ""))
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        save = QAction(self.tr("Save"), self)
        save.setShortcut(QKeySequence(QKeySequence.StandardKey.Save))
        save.triggered.connect(self.save)
        self.addAction(save)
        self.save_button.setToolTip(save.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.period_label)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.safety_label)
        layout.addWidget(self.score_label)
        layout.addWidget(self.flags_label)
        layout.addWidget(self.message_label)
        layout.addLayout(buttons)

        index = max(0, self.measure_box.findData(measure(measure_code).code))
        self.measure_box.setCurrentIndex(index)
        screen = self.screen().availableGeometry()
        self.resize(min(screen.width(), self.fontMetrics().averageCharWidth() * 120),
                    min(screen.height() * 9 // 10, self.fontMetrics().lineSpacing() * 46))
        self._build_items()
        self._shown_index = index
        self.measure_box.currentIndexChanged.connect(self._measure_changed)
        QApplication.instance().focusChanged.connect(self._focus_changed)
        self.finished.connect(lambda _r: QApplication.instance().focusChanged.disconnect(self._focus_changed))

    # -- items --------------------------------------------------------------------------
    @property
    def code(self) -> str:
        return self.measure_box.currentData()

    def _measure_changed(self, index: int) -> None:
        if index == self._shown_index:
            return
        if self.answers() and QMessageBox.question(
                self, self.tr("Change measure"),
                self.tr("Discard the answers entered for this {code}?").format(code=self.definition.code),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel) != QMessageBox.StandardButton.Discard:
            self.measure_box.setCurrentIndex(self._shown_index)
            return
        self._shown_index = index
        self._build_items()

    def _build_items(self) -> None:
        definition = measure(self.code)
        self.definition = definition
        self.setWindowTitle(self.tr("Enter {code}[*]").format(code=definition.code))
        options = {item.options for item in definition.items}
        shared = len(options) == 1
        legend = ""
        if shared:
            legend = ": " + " · ".join(f"{position} = {label}"
                                       for position, (_code, label) in enumerate(definition.items[0].options))
        self.period_label.setText(self.tr("{period}{legend}. A digit answers the current item "
                                          "(0 = first choice) and moves to the next.").format(
            period=definition.period.rstrip("."), legend=legend))
        body = QWidget()
        grid = QGridLayout(body)
        grid.setColumnStretch(1, 1)
        grid.setHorizontalSpacing(self.fontMetrics().averageCharWidth() * 2)
        row = 0
        if shared:
            for position, (_code, label) in enumerate(definition.items[0].options):
                header = QLabel(f"{label}\n({position})")
                header.setAlignment(Qt.AlignmentFlag.AlignCenter)
                header.setWordWrap(True)
                header.setMaximumWidth(self.fontMetrics().averageCharWidth() * 16)
                grid.addWidget(header, row, 2 + position)
            row += 1
        self.rows = []
        for item in definition.items:
            item_row = MeasureItemRow(self, item, show_labels=not shared)
            item_row.group.idToggled.connect(self._answer_changed)
            grid.addWidget(item_row.number, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(item_row.text, row, 1)
            if shared:
                for position, button in enumerate(item_row.buttons):
                    grid.addWidget(button, row, 2 + position, Qt.AlignmentFlag.AlignCenter)
            else:
                choices = QHBoxLayout()
                for button in item_row.buttons:
                    choices.addWidget(button)
                choices.addStretch(1)
                row += 1
                grid.addLayout(choices, row, 1, 1, 1)
            row += 1
            grid.addWidget(item_row.error, row, 1, 1, -1)
            row += 1
            self.rows.append(item_row)
        grid.setRowStretch(row, 1)
        self.scroll.setWidget(body)
        self._fit_width(body)
        self._update_score()
        self.rows[0].focus()

    def _fit_width(self, body: QWidget) -> None:
        """Widen the dialog (within the screen) so the longest row of choices needs no sideways scrolling."""
        margins = self.layout().contentsMargins()
        needed = (body.minimumSizeHint().width() + self.scroll.verticalScrollBar().sizeHint().width()
                  + 2 * self.scroll.frameWidth() + margins.left() + margins.right())
        if needed > self.width():
            self.resize(min(self.screen().availableGeometry().width(), needed), self.height())

    def answers(self) -> dict[str, int]:
        """The answers on screen by item key (unanswered items left out)."""
        return {r.item.key: r.answer() for r in self.rows if r.answer() is not None}

    def asked_rows(self) -> list[MeasureItemRow]:
        return [r for r in self.rows if r.buttons[0].isEnabled()]

    def _answer_changed(self, _id: int, checked: bool) -> None:
        if checked:  # a cleared item updates the score itself (Delete)
            self._update_score()

    def _update_score(self) -> None:
        if self._updating:
            return
        self._updating = True
        try:
            self._show_score()
        finally:
            self._updating = False

    def _show_score(self) -> None:
        answers: dict[str, int] = {}
        for item_row in self.rows:
            on = asked(item_row.item, answers)
            item_row.set_asked(on)
            if on and item_row.answer() is not None:
                answers[item_row.item.key] = item_row.answer()
        total_asked = len(self.asked_rows())
        answered = len(answers)
        progress = self.tr("{n} of {m} items answered").format(n=answered, m=total_asked)
        complete = answered == total_asked
        result: MeasureScore = score(self.code, answers if complete else lower_bound(self.rows_items(), answers))
        if complete:
            self.score_label.setText(self.tr("Total {total} · {band} · {progress}").format(
                total=result.total, band=result.band, progress=progress))
        else:
            self.score_label.setText(self.tr("Total so far {total} · {progress}").format(
                total=result.total, progress=progress) if answered else progress)
        self.current_score = result if complete else None
        safety = [f.message for f in result.flags if f.kind == "safety"]
        others = [f.message for f in result.flags if f.kind != "safety"]
        self.safety_label.setText("⚠ " + "\n⚠ ".join(safety) if safety else "")
        self.safety_label.setVisible(bool(safety))
        self.flags_label.setText("\n".join(others))
        self.flags_label.setVisible(bool(others))
        self.setWindowModified(answered > 0 and self.saved is None)

    def rows_items(self):
        return [r.item for r in self.rows]

    # -- keyboard -----------------------------------------------------------------------
    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(watched, QRadioButton):
            item_row = next((r for r in self.rows if watched in r.buttons), None)
            if item_row is not None and self._item_key(item_row, event):
                return True
        return super().eventFilter(watched, event)

    def _item_key(self, item_row: MeasureItemRow, event: QKeyEvent) -> bool:
        key = event.key()
        if Qt.Key.Key_0 <= key <= Qt.Key.Key_9 and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            if item_row.choose(key - Qt.Key.Key_0):
                self._focus_after(item_row)
            return True
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace):
            item_row.clear()
            self._update_score()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Down):
            self._focus_after(item_row)
            return True
        if key == Qt.Key.Key_Up:
            before = [r for r in self.rows[:self.rows.index(item_row)] if r.buttons[0].isEnabled()]
            if before:
                before[-1].focus()
            return True
        return False

    def _focus_after(self, item_row: MeasureItemRow) -> None:
        following = self.rows[self.rows.index(item_row) + 1:]
        target = next((r for r in following if r.buttons[0].isEnabled()), None)
        if target is None:
            self.save_button.setFocus(Qt.FocusReason.TabFocusReason)
        else:
            target.focus()

    def _focus_changed(self, _old, new) -> None:
        for item_row in self.rows:
            emphasise(item_row.text, QPalette.ColorRole.Highlight if new in item_row.buttons else None)
            if new in item_row.buttons:
                self.scroll.ensureWidgetVisible(item_row.text)
                self.scroll.ensureWidgetVisible(new)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not isinstance(
                self.focusWidget(), QPushButton):
            return  # Enter saves only on the Save button
        super().keyPressEvent(event)

    # -- saving -------------------------------------------------------------------------
    def save(self) -> bool:
        """Record the administration; a refusal is shown next to what it names. True once saved."""
        for label in [self.date_error, self.message_label] + [r.error for r in self.rows]:
            label.hide()
        if not entries_ready([self.date_edit]):
            return False
        try:
            recorded = run_with_retry(self, lambda: self.clinic.measures.record(
                self.client_id, self.code, administered_on=self.date_edit.value(),
                answers=self.answers()), on_refused=self._show_error)
        except IopDeskError as error:
            self._show_error(error)
            return False
        if recorded is None:
            return False
        view, changes = recorded
        self.saved = view
        self.setWindowModified(False)
        self.ops.announce(changes)
        self.accept()
        return True

    def _show_error(self, error: IopDeskError) -> None:
        field = error.field or ""
        item_row = next((r for r in self.rows if field == f"answers.{r.item.key}"), None)
        if item_row is not None:
            item_row.error.setText(user_message(error))
            item_row.error.show()
            item_row.focus()
            self.scroll.ensureWidgetVisible(item_row.error)
        elif field == "administered_on":
            self.date_error.setText(user_message(error))
            self.date_error.show()
            self.date_edit.setFocus()
        else:
            self.message_label.setText(user_message(error))
            self.message_label.show()

    def reject(self) -> None:
        """Close (Esc, Cancel, the window's X), asking first when answers would be lost."""
        if self.saved is None and self.answers():
            answer = QMessageBox.question(
                self, self.tr("Unsaved answers"), self.tr("Save this {code} before closing?").format(
                    code=self.code),
                QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Save)
            if answer == QMessageBox.StandardButton.Cancel or (
                    answer == QMessageBox.StandardButton.Save and not self.save()):
                return
            if answer == QMessageBox.StandardButton.Save:
                return  # save() closed the dialog
        self.setWindowModified(False)
        super().reject()
