"""How dates, times and money are written and read back as text, everywhere: screens, documents,
messages.

Dates are MM/DD/YYYY, as on US claims and charts; money is integer cents written as dollars
("$1,234.56"). Times follow the clinic's setting (program rule
`display.time_format`): "12h" writes "9:30 AM", as US clinics write it, "24h" writes "09:30".
Reading is strict, because a date or time that is guessed is a record that lies: typed text is
taken whole or refused with the reason (`EntryError`), never completed, rolled over or clamped.
"13/45/2020" is refused (there is no month 13), "04/12" is refused (no year), "2/30/2021" is
refused (February 2021 has 28 days). A time takes "9:30 am", "9:30 PM", "09:30", "21:30", "0930"
or "9 am", whatever the display setting. Eight digits ("04121991") are read as MMDDYYYY. At a
group session's roster a time is read within the session (`within`): "0925", "925" and a bare "9"
are taken, and an afternoon session takes "1:25" as 13:25.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

TIME_FORMATS = ("12h", "24h")
DEFAULT_TIME_FORMAT = "12h"
DATE_HINT = "MM/DD/YYYY"

_US_DATE = re.compile(r"(\d{1,2})\s*[/.-]\s*(\d{1,2})\s*[/.-]\s*(\d+)")
_DIGITS_DATE = re.compile(r"(\d{2})(\d{2})(\d{4})")
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_NO_YEAR = re.compile(r"\d{1,2}\s*[/.-]\s*\d{1,2}\s*[/.-]?")
_TIME = re.compile(
    r"(?P<h>\d{1,2})(?:\s*[:.h]\s*(?P<m>\d{2}))?\s*(?P<ampm>[ap])?\.?\s*(?:m\.?)?"
    r"|(?P<hhmm>\d{3,4})\s*(?P<ampm2>[ap])?\.?\s*(?:m\.?)?")


class EntryError(ValueError):
    """Typed text that is not a date or time. `str(error)` quotes the text and says why;
    `reason` says why without quoting it, for a message that names the field instead
    ("Date of birth: there is no month 13.")."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


def _refused(typed: str, reason: str) -> EntryError:
    return EntryError(f"“{typed}”: {reason}", reason)


def _not_a(what: str, typed: str, hint: str) -> EntryError:
    return EntryError(f"“{typed}” is not a {what}; type it as {hint}.")


def date_text(value: dt.date | None) -> str:
    """A clinical date as MM/DD/YYYY; blank for None."""
    return "" if value is None else f"{value:%m/%d/%Y}"


def clinical_date_text(value: dt.date | dt.datetime | None, style: str = DEFAULT_TIME_FORMAT) -> str:
    """A clinical date as MM/DD/YYYY; a clinical date and time (a dose given) adds the time as
    entered, in `style`; blank for None."""
    if isinstance(value, dt.datetime):
        return datetime_text(value, style)
    return date_text(value)


def weekday_date_text(day: dt.date) -> str:
    """A day with its weekday, for headings: "Tuesday 11/24/2026"."""
    return f"{day:%A} {date_text(day)}"


def money_text(cents: int) -> str:
    """Integer cents as dollars: 123456 → "$1,234.56" (a credit shows as "-$12.00")."""
    sign = "-" if cents < 0 else ""
    dollars, rest = divmod(abs(int(cents)), 100)
    return f"{sign}${dollars:,}.{rest:02d}"


def time_text(value: dt.time | dt.datetime | None, style: str = DEFAULT_TIME_FORMAT, *,
              seconds: bool = False) -> str:
    """A time of day in the clinic's style: "9:30 AM" (12h) or "09:30" (24h), with ":15" seconds
    when asked (an audit trail); blank for None."""
    if value is None:
        return ""
    tail = f":{value:%S}" if seconds else ""
    if style == "24h":
        return f"{value:%H:%M}{tail}"
    hour = value.hour % 12 or 12
    return f"{hour}:{value:%M}{tail} {'AM' if value.hour < 12 else 'PM'}"


def datetime_text(value: dt.datetime | None, style: str = DEFAULT_TIME_FORMAT, *, seconds: bool = False) -> str:
    """A date and time of day: "12/07/2026 9:30 AM" (12h) or "12/07/2026 09:30" (24h)."""
    return "" if value is None else f"{date_text(value.date())} {time_text(value, style, seconds=seconds)}"


def check_time_format(style: str) -> str:
    """`style` when it is one of TIME_FORMATS; ValueError otherwise."""
    if style not in TIME_FORMATS:
        raise ValueError(f"time format {style!r} is not one of {', '.join(TIME_FORMATS)}")
    return style


def time_hint(style: str = DEFAULT_TIME_FORMAT) -> str:
    """What to type in a time field, for its placeholder."""
    return "h:mm AM/PM" if style == "12h" else "HH:MM"


def parse_date(text: str) -> dt.date | None:
    """The date typed as MM/DD/YYYY, MMDDYYYY or YYYY-MM-DD; None for blank. Raises EntryError with
    the reason for anything else: a missing part, a two-digit year, a month or day that does not
    exist. Nothing is completed, rolled over or clamped."""
    typed = (text or "").strip()
    if not typed:
        return None
    if match := _ISO_DATE.fullmatch(typed):
        year, month, day = (int(g) for g in match.groups())
    elif match := _US_DATE.fullmatch(typed) or _DIGITS_DATE.fullmatch(typed):
        month, day, year_text = int(match.group(1)), int(match.group(2)), match.group(3)
        if len(year_text) != 4:
            raise _refused(typed, f"type the year in full ({DATE_HINT}).")
        year = int(year_text)
    elif _NO_YEAR.fullmatch(typed):
        raise _refused(typed, f"type the year too ({DATE_HINT}).")
    else:
        raise _not_a("date", typed, DATE_HINT)
    if not 1 <= month <= 12:
        raise _refused(typed, f"there is no month {month}.")
    if year < 1:
        raise _refused(typed, f"there is no year {year}.")
    last = calendar.monthrange(year, month)[1]
    if not 1 <= day <= last:
        raise _refused(typed, f"{calendar.month_name[month]} {year} has {last} days.")
    return dt.date(year, month, day)


def parse_time(text: str, *, within: tuple[dt.time, dt.time] | None = None) -> dt.time | None:
    """The time typed as "9:30 am", "9:30 PM", "09:30", "21:30", "0930" or "9 am"; None for blank.
    Raises EntryError with the reason for anything else (an hour or minute that does not exist,
    "13:00 pm").

    `within` (a group session's start and end) reads the time the way a facilitator types it at
    the roster: a bare hour ("9") is taken, and a morning hour typed without AM or PM that only
    fits the session in the afternoon ("1:25" in a 12:00–15:00 session) is taken as PM."""
    typed = (text or "").strip()
    if not typed:
        return None
    match = _TIME.fullmatch(typed.lower())
    if not match:
        raise _not_a("time", typed, "9:30 AM or 09:30")
    if match.group("hhmm"):
        digits, half = match.group("hhmm"), match.group("ampm2")
        hour, minute = int(digits[:-2]), int(digits[-2:])
    else:
        hour, minute, half = int(match.group("h")), int(match.group("m") or 0), match.group("ampm")
        if match.group("m") is None and half is None and within is None:
            raise _refused(typed, "add the minutes (9:00) or AM/PM (9 am).")
    if minute > 59:
        raise _refused(typed, f"there is no minute {minute}.")
    if half:
        if not 1 <= hour <= 12:
            raise _refused(typed, "with AM or PM the hour is 1 to 12.")
        hour = hour % 12 + (12 if half == "p" else 0)
    elif hour > 23:
        raise _refused(typed, f"there is no hour {hour}.")
    value = dt.time(hour, minute)
    if within is not None and not half and hour < 12 and not within[0] <= value <= within[1]:
        afternoon = dt.time(hour + 12, minute)
        if within[0] <= afternoon <= within[1]:
            return afternoon
    return value
