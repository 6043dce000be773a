"""Every screen writes dates one way: MM/DD/YYYY, times in the clinic's format, stamps in local time."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from ui.dates import date_text, long_date_text, stamp_text, time_format, time_text, use_time_format


@pytest.fixture
def new_york_time():
    """Run the test as a workstation in New York (UTC-5 in November)."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = "America/New_York"
    time.tzset()
    yield
    if before is None:
        os.environ.pop("TZ")
    else:
        os.environ["TZ"] = before
    time.tzset()


@pytest.fixture
def clinic_on_24_hours():
    """Screens write times as a clinic set to the 24-hour clock does, for this test only."""
    use_time_format("24h")
    yield
    use_time_format("12h")


def test_clinical_dates_read_month_day_year():
    """A date of service prints as on a claim form; a dose time prints as entered, as US clinics write it."""
    assert time_format() == "12h"
    assert date_text(dt.date(2026, 3, 4)) == "03/04/2026"
    assert date_text(dt.datetime(2026, 3, 4, 7, 5)) == "03/04/2026 7:05 AM"
    assert date_text(None) == ""
    assert time_text(dt.time(13, 40)) == "1:40 PM"
    assert long_date_text(dt.date(2026, 11, 24)) == "Tuesday 11/24/2026"


def test_a_clinic_on_the_24_hour_clock_sees_24_hour_times(clinic_on_24_hours):
    assert time_text(dt.time(9, 30)) == "09:30" and time_text(dt.time(13, 40)) == "13:40"
    assert date_text(dt.datetime(2026, 3, 4, 7, 5)) == "03/04/2026 07:05"


def test_signed_stamp_is_shown_in_the_workstation_time_zone(new_york_time):
    """A note signed at 15:30 UTC shows 10:30 AM on a New York workstation."""
    assert stamp_text(dt.datetime(2026, 11, 24, 15, 30)) == "11/24/2026 10:30 AM"
    assert stamp_text(dt.datetime(2026, 11, 24, 15, 30, tzinfo=dt.UTC)) == "11/24/2026 10:30 AM"
