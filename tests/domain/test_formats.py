"""Dates and times are read the way they were typed, whole, or refused with the reason."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.kernel.formats import EntryError, datetime_text, parse_date, parse_time, time_text


@pytest.mark.parametrize(("typed", "reason"), [
    ("13/45/2020", "there is no month 13."),
    ("02/30/2021", "February 2021 has 28 days."),
    ("04/31/2026", "April 2026 has 30 days."),
    ("04/12", "type the year too (MM/DD/YYYY)."),
    ("04/12/", "type the year too (MM/DD/YYYY)."),
    ("04/12/91", "type the year in full (MM/DD/YYYY)."),
    ("041291", "“041291” is not a date; type it as MM/DD/YYYY."),
    ("April 12", "“April 12” is not a date; type it as MM/DD/YYYY."),
])
def test_an_impossible_or_partial_date_is_refused_with_the_reason(typed, reason):
    """Nothing is completed, rolled over or clamped: the reason says what to fix."""
    with pytest.raises(EntryError) as refused:
        parse_date(typed)
    assert refused.value.reason == reason
    assert typed in str(refused.value)


@pytest.mark.parametrize("typed", ["04/12/1991", "4/12/1991", "04121991", "1991-04-12", " 04 / 12 / 1991 "])
def test_a_whole_date_is_taken_as_typed(typed):
    """Month, day and year as written: April 12, 1991, never January or December."""
    assert parse_date(typed) == dt.date(1991, 4, 12)


def test_a_blank_date_or_time_is_no_value():
    assert parse_date("  ") is None and parse_time("") is None


@pytest.mark.parametrize("typed", ["9:30 am", "9:30 AM", "9:30a.m.", "09:30", "0930", "930", "9.30"])
def test_a_morning_time_is_taken_in_either_clock(typed):
    """What a US clinician writes and what a 24-hour clock writes both mean 09:30."""
    assert parse_time(typed) == dt.time(9, 30)


@pytest.mark.parametrize(("typed", "reason"), [
    ("13:00 pm", "with AM or PM the hour is 1 to 12."),
    ("25:00", "there is no hour 25."),
    ("9:75", "there is no minute 75."),
    ("9", "add the minutes (9:00) or AM/PM (9 am)."),
    ("half past", "“half past” is not a time; type it as 9:30 AM or 09:30."),
])
def test_a_time_that_does_not_exist_is_refused(typed, reason):
    with pytest.raises(EntryError) as refused:
        parse_time(typed)
    assert refused.value.reason == reason


@pytest.mark.parametrize(("typed", "expected"), [
    ("0925", dt.time(9, 25)), ("925", dt.time(9, 25)), ("9", dt.time(9, 0)), ("9:25", dt.time(9, 25)),
    ("1:25", dt.time(13, 25)), ("125", dt.time(13, 25)), ("1:25 am", dt.time(1, 25)), ("13:25", dt.time(13, 25)),
])
def test_a_roster_time_is_read_within_its_session(typed, expected):
    """At the roster of a 9:00–14:00 session "1:25" is 13:25 and a bare hour is taken."""
    assert parse_time(typed, within=(dt.time(9), dt.time(14))) == expected


def test_times_are_written_in_the_clinic_s_format():
    """12h writes 9:30 AM and 1:05 PM, as US clinics write them; 24h writes 09:30 and 13:05."""
    morning, afternoon = dt.time(9, 30), dt.time(13, 5)
    assert (time_text(morning, "12h"), time_text(afternoon, "12h")) == ("9:30 AM", "1:05 PM")
    assert (time_text(morning, "24h"), time_text(afternoon, "24h")) == ("09:30", "13:05")
    assert (time_text(dt.time(0, 15), "12h"), time_text(dt.time(12, 0), "12h")) == ("12:15 AM", "12:00 PM")
    assert datetime_text(dt.datetime(2026, 12, 7, 16, 45), "12h") == "12/07/2026 4:45 PM"
    assert datetime_text(dt.datetime(2026, 12, 7, 16, 45), "24h") == "12/07/2026 16:45"


def test_dates_and_money_are_written_one_way_for_screens_documents_and_exports() -> None:
    """A clinical date, a dose's date and time, a heading's day and a charge read the same wherever shown."""
    from iopdesk.kernel.formats import clinical_date_text, money_text, weekday_date_text

    assert clinical_date_text(dt.date(2026, 3, 4)) == "03/04/2026"
    assert clinical_date_text(dt.datetime(2026, 3, 4, 8, 5), "24h") == "03/04/2026 08:05"
    assert clinical_date_text(None) == ""
    assert weekday_date_text(dt.date(2026, 11, 24)) == "Tuesday 11/24/2026"
    assert (money_text(123456), money_text(5), money_text(-1200), money_text(0)) == (
        "$1,234.56", "$0.05", "-$12.00", "$0.00")
