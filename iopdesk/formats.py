"""How dates and times are written and read back as text, everywhere: screens, documents, messages.

Dates are MM/DD/YYYY, as on US claims and charts. Times follow the clinic's setting (program rule
`display.time_format`): "12h" writes "9:30 AM", as US clinics write it, "24h" writes "09:30".
Reading is strict, because a date or time that is guessed is a record that lies: typed text is
taken whole or refused with the reason (`EntryError`), never completed, rolled over or clamped.
"13/45/2020" is refused (there is no month 13), "04/12" is refused (no year), "2/30/2021" is
refused (February 2021 has 28 days). A time takes "9:30 am", "9:30 PM", "09:30", "21:30", "0930"
or "9 am", whatever the display setting.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

TIME_FORMATS = ("12h", "24h")
DEFAULT_TIME_FORMAT = "12h"
DATE_HINT = "MM/DD/YYYY"

_US_DATE = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d+)")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NO_YEAR = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]?")
_TIME = re.compile(
    r"(?P<h>\d{1,2})(?:\s*[:.]\s*(?P<m>\d{2}))?\s*(?P<ampm>[ap])?\.?\s*(?:m\.?)?"
    r"|(?P<hhmm>\d{3,4})\s*(?P<ampm2>[ap])?\.?\s*(?:m\.?)?")


class EntryError(ValueError):
    """Typed text that is not a date or time; the message says why, without the field's name
    (the caller names the field)."""


def date_text(value: dt.date | None) -> str:
    """A clinical date as MM/DD/YYYY; blank for None."""
    return "" if value is None else f"{value:%m/%d/%Y}"


def time_text(value: dt.time | dt.datetime | None, style: str = DEFAULT_TIME_FORMAT) -> str:
    """A time of day in the clinic's style: "9:30 AM" (12h) or "09:30" (24h); blank for None."""
    if value is None:
        return ""
    if style == "24h":
        return f"{value:%H:%M}"
    hour = value.hour % 12 or 12
    return f"{hour}:{value:%M} {'AM' if value.hour < 12 else 'PM'}"


def time_hint(style: str = DEFAULT_TIME_FORMAT) -> str:
    """What to type in a time field, for its placeholder."""
    return "h:mm AM/PM" if style == "12h" else "HH:MM"


def parse_date(text: str) -> dt.date | None:
    """The date typed as MM/DD/YYYY (or YYYY-MM-DD); None for blank. Raises EntryError with the
    reason for anything else: a missing part, a two-digit year, a month or day that does not exist."""
    typed = (text or "").strip()
    if not typed:
        return None
    if match := _ISO_DATE.fullmatch(typed):
        year, month, day = (int(g) for g in match.groups())
    elif match := _US_DATE.fullmatch(typed):
        month, day, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
        if len(year_text) != 4:
            raise EntryError(f"“{typed}”: type the year in full ({DATE_HINT}).")
        year = int(year_text)
    elif _NO_YEAR.fullmatch(typed):
        raise EntryError(f"“{typed}”: type the year too ({DATE_HINT}).")
    else:
        raise EntryError(f"“{typed}” is not a date; type it as {DATE_HINT}.")
    if not 1 <= month <= 12:
        raise EntryError(f"“{typed}”: there is no month {month}.")
    if year < 1:
        raise EntryError(f"“{typed}”: there is no year {year}.")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise EntryError(f"“{typed}”: {calendar.month_name[month]} {year} has {last} days.")
    return dt.date(year, month, day)


def parse_time(text: str) -> dt.time | None:
    """The time typed as "9:30 am", "9:30 PM", "09:30", "21:30", "0930" or "9 am"; None for blank.
    Raises EntryError with the reason for anything else (an hour or minute that does not exist,
    "13:00 pm")."""
    typed = (text or "").strip()
    if not typed:
        return None
    match = _TIME.fullmatch(typed.lower())
    if not match:
        raise EntryError(f"“{typed}” is not a time; type it as 9:30 AM or 09:30.")
    if match.group("hhmm"):
        digits, half = match.group("hhmm"), match.group("ampm2")
        hour, minute = int(digits[:-2]), int(digits[-2:])
    else:
        hour, minute, half = int(match.group("h")), int(match.group("m") or 0), match.group("ampm")
        if match.group("m") is None and half is None:
            raise EntryError(f"“{typed}”: add the minutes (9:00) or AM/PM (9 am).")
    if minute > 59:
        raise EntryError(f"“{typed}”: there is no minute {minute}.")
    if half:
        if not 1 <= hour <= 12:
            raise EntryError(f"“{typed}”: with AM or PM the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "p" else 0)
    elif hour > 23:
        raise EntryError(f"“{typed}”: there is no hour {hour}.")
    return dt.time(hour, minute)
