"""The one clock the domain reads, so tests can move time and records agree on "now".

Stored timestamps are naive UTC; clinical dates (date of service, admission) are local calendar
dates of the clinic and are stored as dates.
"""

from __future__ import annotations

import datetime as dt


def utcnow() -> dt.datetime:
    """Current UTC time, naive, to the microsecond."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def today() -> dt.date:
    """The clinic's calendar date (local time of this workstation)."""
    return dt.date.today()
