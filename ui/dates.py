"""How every screen writes and takes dates and times: the one place that decides.

The clinic writes dates MM/DD/YYYY, as on its claims, printed plans and billing sheets, and times
on the 24-hour clock (HH:MM), which is what a facilitator types fastest in the roster. Clinical
dates and times are shown as entered; record stamps (signed, raised, sign-in) are stored in UTC and
shown in the workstation's time zone (`stamp_text`). Every label, table cell and date
or time edit in `ui/` goes through here, so no screen follows the system locale while another
prints MM/DD/YYYY.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QTime
from PySide6.QtWidgets import QDateEdit, QTimeEdit, QWidget

from iopdesk import clock

DATE_FORMAT = "MM/dd/yyyy"
TIME_FORMAT = "HH:mm"


def date_text(value: dt.date | dt.datetime | None) -> str:
    """A clinical date as MM/DD/YYYY (a clinical date and time, such as a dose given, adds HH:MM
    as entered); blank for None."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return f"{value:%m/%d/%Y %H:%M}"
    return f"{value:%m/%d/%Y}"


def stamp_text(value: dt.datetime | None) -> str:
    """A stored record stamp (UTC: signed at, raised at, last sign-in) in local time."""
    return "" if value is None else f"{local(value):%m/%d/%Y %H:%M}"


def time_text(value: dt.time | dt.datetime | None) -> str:
    """A time of day as HH:MM on the 24-hour clock; blank for None."""
    if value is None:
        return ""
    return f"{value:%H:%M}"


def long_date_text(day: dt.date) -> str:
    """A day with its weekday, for page headings: "Tuesday 11/24/2026"."""
    return f"{day:%A} {day:%m/%d/%Y}"


def local(stamp: dt.datetime) -> dt.datetime:
    """A stored stamp in the workstation's time zone; naive stamps are stored UTC."""
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone().replace(tzinfo=None)


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def date_edit(value: dt.date | None = None, *, parent: QWidget | None = None,
              latest: dt.date | None = None) -> QDateEdit:
    """A MM/DD/YYYY date edit with a calendar popup, set to `value` (default today)."""
    edit = QDateEdit(parent)
    edit.setDisplayFormat(DATE_FORMAT)
    edit.setCalendarPopup(True)
    if latest is not None:
        edit.setMaximumDate(qdate(latest))
    edit.setDate(qdate(value) if value is not None else qdate(clock.today()))
    return edit


def time_edit(value: dt.time | None = None, *, parent: QWidget | None = None) -> QTimeEdit:
    """An HH:MM (24-hour) time edit set to `value` (default midnight)."""
    edit = QTimeEdit(parent)
    edit.setDisplayFormat(TIME_FORMAT)
    if value is not None:
        edit.setTime(QTime(value.hour, value.minute))
    return edit
