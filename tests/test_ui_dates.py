"""Every screen writes dates one way: MM/DD/YYYY, 24-hour times, stamps in local time."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from ui.dates import date_edit, date_text, long_date_text, stamp_text, time_edit, time_text


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


def test_clinical_dates_read_month_day_year():
    """A date of service prints as on a claim form; a dose time prints as entered."""
    assert date_text(dt.date(2026, 3, 4)) == "03/04/2026"
    assert date_text(dt.datetime(2026, 3, 4, 7, 5)) == "03/04/2026 07:05"
    assert date_text(None) == ""
    assert time_text(dt.time(13, 40)) == "13:40"
    assert long_date_text(dt.date(2026, 11, 24)) == "Tuesday 11/24/2026"


def test_signed_stamp_is_shown_in_the_workstation_time_zone(new_york_time):
    """A note signed at 15:30 UTC shows 10:30 on a New York workstation."""
    assert stamp_text(dt.datetime(2026, 11, 24, 15, 30)) == "11/24/2026 10:30"
    assert stamp_text(dt.datetime(2026, 11, 24, 15, 30, tzinfo=dt.UTC)) == "11/24/2026 10:30"


def test_date_and_time_edits_take_the_clinic_formats(qtbot):
    """The edits a clinician types into show the same formats the tables print."""
    day = date_edit(dt.date(2026, 2, 9), latest=dt.date(2026, 2, 10))
    clock = time_edit(dt.time(9, 5))
    qtbot.addWidget(day)
    qtbot.addWidget(clock)
    assert day.text() == "02/09/2026"
    assert day.maximumDate().toPython() == dt.date(2026, 2, 10)
    assert clock.text() == "09:05"
