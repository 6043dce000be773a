"""The one clock the domain, the reports and the screens read, so tests can move time and records
agree on "now".

Stored timestamps are naive UTC; clinical dates (date of service, admission) are local calendar
dates of the clinic and are stored as dates. Nothing outside this module reads the calendar
(`date.today()`, `datetime.now()`, `QDate.currentDate()` …): a test enforces it, so the suite
can pin "today" to any date (`pin`) and every rule, default and screen moves with it.

A pinned clock keeps running: "today" is the pinned date and "now" is the real time shifted by
the same whole number of days, so stamps still order and idle timers still elapse.
"""

from __future__ import annotations

import datetime as dt

_shift = dt.timedelta(0)
_pinned: dt.date | None = None


def utcnow() -> dt.datetime:
    """Current UTC time, naive, to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None) + _shift


def now() -> dt.datetime:
    """The workstation's local date and time, naive (a note's default times, a file's name)."""
    return dt.datetime.now() + _shift


def today() -> dt.date:
    """The clinic's calendar date (local time of this workstation)."""
    return _pinned if _pinned is not None else dt.date.today()


def pin(day: dt.date) -> None:
    """Make `day` today for this process (tests only): `today()` returns it and `now()` and
    `utcnow()` run on, shifted by whole days from the real calendar."""
    global _shift, _pinned
    _shift = dt.timedelta(days=(day - dt.date.today()).days)
    _pinned = day


def unpin() -> None:
    """Back to the real calendar."""
    global _shift, _pinned
    _shift, _pinned = dt.timedelta(0), None


def pinned() -> dt.date | None:
    """The pinned date, or None when the clock follows the real calendar."""
    return _pinned
