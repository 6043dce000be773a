"""`DateField` and `TimeField`: the one way a date or a time of day is typed anywhere in `ui/`.

Typed text is taken whole and read by `iopdesk.kernel.formats` (the one rule), never completed, rolled
over or clamped: 13/45/2020, 04/12 or 04/12/91 is refused with a message under the field that
names it ("Date of birth: there is no month 13."), and so is a date outside the field's range or a
required field left blank. The message goes as soon as the text is fixed. Tabbing into the field
or double-clicking it selects all of it, so what is typed replaces it whole (a double-click in a
plain line edit selects only "04" of 04/12/1991). A date field has a calendar button (also
Alt+Down or F4) that fills it. Leaving a field writes a good value in the clinic's format
(MM/DD/YYYY; times as `ui.dates.time_format()`), and a time field takes "9:30 am" as well as
"09:30".

API: `value()` (a date or time, None when blank; raises EntryError for text that is not one),
`set_value()`, `problem()` (the message, or None), `show_problem()`, `add_beside()` (a label kept
on the field's line, such as a note's minutes), `edited` (the person typed
or picked) and `valueChanged(value)` (a new good value). Forms call `entries_ready(fields)` before
they save: it shows every field's problem, focuses the first, and says whether to go on, so a form
never saves while a field holds text that is not a date or time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QKeyEvent, QMouseEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk.kernel import clock, formats
from iopdesk.kernel.formats import EntryError
from ui.dates import qdate, time_format


class EntryLineEdit(QLineEdit):
    """The line a date or time is typed in: a double-click selects all of it; Alt+Down or F4 asks
    for the calendar (`popup_requested`)."""

    popup_requested = Signal()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        super().mouseDoubleClickEvent(event)
        self.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        alt_down = event.key() == Qt.Key.Key_Down and event.modifiers() & Qt.KeyboardModifier.AltModifier
        if alt_down or event.key() == Qt.Key.Key_F4:
            self.popup_requested.emit()
            return
        super().keyPressEvent(event)


class CalendarPopup(QFrame):
    """A month calendar in a popup; a click or Enter on a day picks it (`picked(date)`)."""

    picked = Signal(object)

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("calendarPopup")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.calendar = QCalendarWidget(self)
        self.calendar.setGridVisible(True)
        self.calendar.setVerticalHeaderFormat(QCalendarWidget.VerticalHeaderFormat.NoVerticalHeader)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.calendar)
        self.calendar.clicked.connect(self._pick)
        self.calendar.activated.connect(self._pick)

    def _pick(self, day: QDate) -> None:
        self.hide()
        self.picked.emit(day.toPython())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape:
            self.hide()
            return
        super().keyPressEvent(event)


class EntryField(QWidget):
    """What a date field and a time field share: the line, the message under it, the signals."""

    edited = Signal()
    valueChanged = Signal(object)

    def __init__(self, name: str, *, optional: bool, parent: QWidget | None) -> None:
        super().__init__(parent)
        self._name = name
        self._optional = optional
        self.line_edit = EntryLineEdit(self)
        self.line_edit.setObjectName("entryText")
        self.problem_label = QLabel(self)
        self.problem_label.setObjectName("entryProblem")
        self.problem_label.setWordWrap(True)
        self.problem_label.setProperty("fieldError", True)
        self.problem_label.setAccessibleName(self.tr("Problem"))
        font = self.problem_label.font()
        font.setBold(True)
        self.problem_label.setFont(font)
        # A message reads on one or two lines even where the field itself is narrow.
        self.problem_label.setMinimumWidth(self.problem_label.fontMetrics().averageCharWidth() * 44)
        self.problem_label.hide()
        self.row = QHBoxLayout()
        self.row.setContentsMargins(0, 0, 0, 0)
        self.row.addWidget(self.line_edit)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(self.row)
        layout.addWidget(self.problem_label)
        self.setFocusProxy(self.line_edit)
        self.setAccessibleName(name)
        self._last: object = None
        self.line_edit.textEdited.connect(self._typed)
        self.line_edit.editingFinished.connect(self._finished)

    # -- for subclasses --------------------------------------------------------------------
    def _parse(self, text: str):
        raise NotImplementedError

    def _format(self, value) -> str:
        raise NotImplementedError

    def _blank_problem(self) -> str:
        raise NotImplementedError

    def _out_of_range(self, value) -> str | None:
        return None

    # -- reading ---------------------------------------------------------------------------
    def name(self) -> str:
        """The field's name as messages say it ("Date of birth")."""
        return self._name

    def text(self) -> str:
        return self.line_edit.text()

    def problem(self) -> str | None:
        """Why the text cannot be saved, naming the field; None when it can."""
        try:
            value = self._parse(self.text())
        except EntryError as error:
            return self.tr("{field}: {reason}").format(field=self._name, reason=error.reason)
        if value is None:
            return None if self._optional else self._blank_problem()
        return self._out_of_range(value)

    def value(self):
        """The value typed, None when blank. Raises EntryError (with `problem()`'s message) when
        the text is not one: check `problem()` or `entries_ready` first."""
        message = self.problem()
        if message is not None:
            raise EntryError(message)
        return self._parse(self.text())

    # -- writing ---------------------------------------------------------------------------
    def set_value(self, value) -> None:
        """Show `value` (None: blank) in the clinic's format; clears any message."""
        self.line_edit.setText(self._format(value) if value is not None else "")
        self.show_problem(None)
        self._changed(value)

    def show_problem(self, message: str | None) -> None:
        """Show `message` under the field (a domain refusal naming it, too); None clears it."""
        self.problem_label.setText(message or "")
        self.problem_label.setVisible(bool(message))

    def check(self) -> bool:
        """Show the text's problem under the field (or clear it); True when there is none."""
        message = self.problem()
        self.show_problem(message)
        return message is None

    def add_beside(self, widget: QWidget) -> None:
        """Show `widget` right of the typed text, above the message line (the minutes of a note,
        the weekday of a date), so a message never pushes it aside."""
        self.row.insertWidget(self.row.count() - 1, widget)

    def focus_and_select(self) -> None:
        """Put the cursor in the field with its text selected, so retyping replaces it whole."""
        self.line_edit.setFocus(Qt.FocusReason.OtherFocusReason)
        self.line_edit.selectAll()

    def setReadOnly(self, read_only: bool) -> None:  # noqa: N802 (Qt's name, as on QLineEdit)
        self.line_edit.setReadOnly(read_only)

    def isReadOnly(self) -> bool:  # noqa: N802
        return self.line_edit.isReadOnly()

    def setAccessibleName(self, name: str) -> None:  # noqa: N802
        super().setAccessibleName(name)
        self.line_edit.setAccessibleName(name)

    # -- reacting --------------------------------------------------------------------------
    def _changed(self, value) -> None:
        if value != self._last:
            self._last = value
            self.valueChanged.emit(value)

    def _typed(self, _text: str = "") -> None:
        message = self.problem()
        if message is None:
            self.show_problem(None)
            self._changed(self._parse(self.text()))
        elif self.problem_label.isVisible():
            self.show_problem(message)
        self.edited.emit()

    def _finished(self) -> None:
        if self.isReadOnly():
            return
        if self.check():
            value = self._parse(self.text())
            shown = self._format(value) if value is not None else ""
            if shown != self.text():
                self.line_edit.setText(shown)


class DateField(EntryField):
    """A date typed as MM/DD/YYYY (see the module docstring), with a calendar popup. `earliest`
    and `latest` are refused outside, with a message, never clamped; `optional` takes blank."""

    def __init__(self, name: str, value: dt.date | None = None, *, optional: bool = False,
                 earliest: dt.date | None = None, latest: dt.date | None = None,
                 calendar_start: dt.date | None = None, parent: QWidget | None = None) -> None:
        super().__init__(name, optional=optional, parent=parent)
        self.earliest, self.latest = earliest, latest
        self._calendar_start = calendar_start
        self.line_edit.setPlaceholderText(formats.DATE_HINT)
        self.line_edit.setMaximumWidth(self.line_edit.fontMetrics().horizontalAdvance("00/00/00000") + 18)
        self.calendar_button = QToolButton(self)
        self.calendar_button.setObjectName("calendarButton")
        self.calendar_button.setText("▾")
        self.calendar_button.setToolTip(self.tr("Calendar (Alt+Down)"))
        self.calendar_button.setAccessibleName(self.tr("Calendar for {field}").format(field=name))
        self.calendar_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.row.addWidget(self.calendar_button)
        self.row.addStretch(1)
        self.popup: CalendarPopup | None = None
        self.calendar_button.clicked.connect(self.show_calendar)
        self.line_edit.popup_requested.connect(self.show_calendar)
        if value is not None:
            self.set_value(value)

    def value(self) -> dt.date | None:
        return super().value()

    def set_range(self, earliest: dt.date | None, latest: dt.date | None) -> None:
        """Refuse dates before `earliest` or after `latest` (None: no limit)."""
        self.earliest, self.latest = earliest, latest
        if self.problem_label.isVisible():
            self.check()

    def setReadOnly(self, read_only: bool) -> None:  # noqa: N802
        super().setReadOnly(read_only)
        self.calendar_button.setEnabled(not read_only)

    def _parse(self, text: str) -> dt.date | None:
        return formats.parse_date(text)

    def _format(self, value: dt.date) -> str:
        return formats.date_text(value)

    def _blank_problem(self) -> str:
        return self.tr("{field}: type the date ({hint}).").format(field=self._name, hint=formats.DATE_HINT)

    def _out_of_range(self, value: dt.date) -> str | None:
        shown = formats.date_text(value)
        if self.latest is not None and value > self.latest:
            if self.latest == clock.today():
                return self.tr("{field}: {day} is in the future.").format(field=self._name, day=shown)
            return self.tr("{field}: {day} is after {latest}, the latest date it takes.").format(
                field=self._name, day=shown, latest=formats.date_text(self.latest))
        if self.earliest is not None and value < self.earliest:
            return self.tr("{field}: {day} is before {earliest}, the earliest date it takes.").format(
                field=self._name, day=shown, earliest=formats.date_text(self.earliest))
        return None

    # -- the calendar ----------------------------------------------------------------------
    def show_calendar(self) -> CalendarPopup | None:
        """Open the month calendar under the field at its date (else today); a day picked there
        fills the field."""
        if self.isReadOnly() or not self.isEnabled():
            return None
        if self.popup is None:
            self.popup = CalendarPopup(self.line_edit)
            self.popup.picked.connect(self._picked)
        calendar = self.popup.calendar
        calendar.setDateRange(qdate(self.earliest or dt.date(1900, 1, 1)), qdate(self.latest or dt.date(2199, 12, 31)))
        try:
            shown = self.value()
        except EntryError:
            shown = None
        start = shown or self._calendar_start or clock.today()
        calendar.setSelectedDate(qdate(start))
        calendar.setCurrentPage(start.year, start.month)
        self.popup.adjustSize()
        self.popup.move(self.line_edit.mapToGlobal(self.line_edit.rect().bottomLeft()))
        self.popup.show()
        calendar.setFocus(Qt.FocusReason.PopupFocusReason)
        return self.popup

    def _picked(self, day: dt.date) -> None:
        self.set_value(day)
        self.line_edit.setFocus(Qt.FocusReason.PopupFocusReason)
        self.edited.emit()


class TimeField(EntryField):
    """A time of day, typed "9:30 am", "09:30" or "0930" and shown in the clinic's format. With
    `within` (a group session's start and end) it reads times as a roster does (see
    `iopdesk.kernel.formats.parse_time`)."""

    def __init__(self, name: str, value: dt.time | None = None, *, optional: bool = False,
                 within: tuple[dt.time, dt.time] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(name, optional=optional, parent=parent)
        self.within = within
        self.line_edit.setPlaceholderText(formats.time_hint(time_format()))
        self.line_edit.setMaximumWidth(self.line_edit.fontMetrics().horizontalAdvance("12:59 PM00") + 18)
        self.row.addStretch(1)
        self.line_edit.returnPressed.connect(self._finished)
        if value is not None:
            self.set_value(value)

    def value(self) -> dt.time | None:
        return super().value()

    def _parse(self, text: str) -> dt.time | None:
        return formats.parse_time(text, within=self.within)

    def _format(self, value: dt.time) -> str:
        return formats.time_text(value, time_format())

    def _blank_problem(self) -> str:
        return self.tr("{field}: type the time ({hint}).").format(
            field=self._name, hint=formats.time_hint(time_format()))


def entries_ready(fields: Iterable[EntryField], *, focus: bool = True) -> bool:
    """Show each field's problem under it; with `focus`, put the cursor in the first field with
    one. True when every field holds a date or time it takes (the form may save)."""
    first = None
    for field in fields:
        if not field.check() and first is None:
            first = field
    if first is not None and focus:
        first.focus_and_select()
    return first is None
