"""How every screen writes dates and times: the one place that decides.

The clinic writes dates MM/DD/YYYY, as on its claims, printed plans and billing sheets, and times
in the clinic's format (program rule `display.time_format`: "12h" writes 9:30 AM, as US clinics
write it, "24h" writes 09:30). The main window reads that rule when it opens (`follow_clinic`) and
again when an administrator changes it; every label, table cell and date or time field in `ui/`
writes through here, so no screen follows the system locale while another prints MM/DD/YYYY.
Clinical dates and times are shown as entered; record stamps (signed, raised, sign-in) are stored
in UTC and shown in the workstation's time zone (`stamp_text`). The text itself is made by
`iopdesk.kernel.formats`, which the printed documents use too.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate

from iopdesk.kernel import formats

DATE_FORMAT = "MM/dd/yyyy"
_display = {"time_format": formats.DEFAULT_TIME_FORMAT}


def time_format() -> str:
    """The clinic's time format every screen writes now: "12h" or "24h"."""
    return _display["time_format"]


def use_time_format(style: str) -> None:
    """Write times in `style` ("12h" or "24h") from now on; ValueError for anything else."""
    _display["time_format"] = formats.check_time_format(style)


def follow_clinic(clinic) -> None:
    """Write times as `clinic` is set to (its program rule `display.time_format`)."""
    use_time_format(clinic.settings.time_format())


def date_text(value: dt.date | dt.datetime | None) -> str:
    """A clinical date as MM/DD/YYYY (a clinical date and time, such as a dose given, adds the time
    as entered, in the clinic's format); blank for None."""
    return formats.clinical_date_text(value, time_format())


def stamp_text(value: dt.datetime | None) -> str:
    """A stored record stamp (UTC: signed at, raised at, last sign-in) in local time."""
    return "" if value is None else formats.datetime_text(local(value), time_format())


def time_text(value: dt.time | dt.datetime | None, *, seconds: bool = False) -> str:
    """A time of day in the clinic's format ("9:30 AM" or "09:30"); blank for None."""
    return formats.time_text(value, time_format(), seconds=seconds)


def long_date_text(day: dt.date) -> str:
    """A day with its weekday, for page headings: "Tuesday 11/24/2026"."""
    return formats.weekday_date_text(day)


def local(stamp: dt.datetime) -> dt.datetime:
    """A stored stamp in the workstation's time zone; naive stamps are stored UTC."""
    aware = stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=dt.UTC)
    return aware.astimezone().replace(tzinfo=None)


def qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)
