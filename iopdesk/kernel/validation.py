"""Field checks shared by every service: each failure names the field and the reason."""

from __future__ import annotations

import datetime as dt
import re

from iopdesk.errors import ValidationError
from iopdesk.kernel import text_limits
from iopdesk.kernel.clock import today

NPI_RE = re.compile(r"^\d{10}$")


def check_length(text: str, field: str, label: str, limit: int) -> str:
    """`text` unchanged when it holds at most `limit` characters (`iopdesk.kernel.text_limits`);
    else a ValidationError naming the field, the limit and the length typed."""
    if len(text) > limit:
        raise ValidationError(f"{label}: at most {limit:,} characters; this has {len(text):,}. "
                              "Shorten it (nothing was saved).", field=field)
    return text


def required_text(value: str | None, field: str, label: str, *, max_length: int = text_limits.NAME) -> str:
    """Text that must be given, stripped, at most `max_length` characters."""
    text = (value or "").strip()
    if not text:
        raise ValidationError(f"{label}: this field is required.", field=field)
    return check_length(text, field, label, max_length)


def bounded_text(value: str | None, field: str, label: str, limit: int) -> str:
    """Optional free text, stripped (blank is ""), at most `limit` characters."""
    return check_length((value or "").strip(), field, label, limit)


def as_date(value: dt.date | str | None, field: str, label: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        raise ValidationError(f"{label}: {value!r} is not a date (use YYYY-MM-DD).", field=field) from None


def date_of_birth(value: dt.date | str | None) -> dt.date:
    dob = as_date(value, "dob", "Date of birth")
    if dob > today():
        raise ValidationError("Date of birth: cannot be in the future.", field="dob")
    if dob < dt.date(1900, 1, 1):
        raise ValidationError("Date of birth: before 1900; check the year.", field="dob")
    return dob


def _npi_check_digit(nine_digits: str) -> int:
    """Luhn check digit over the NPI body prefixed with 80840, as CMS specifies."""
    total = 0
    for i, d in enumerate(reversed([int(c) for c in "80840" + nine_digits])):
        if i % 2 == 0:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return (10 - total % 10) % 10


def npi(value: str | None, field: str = "npi") -> str | None:
    """A National Provider Identifier: 10 digits with a valid check digit; blank means none."""
    text = (value or "").strip()
    if not text:
        return None
    if not NPI_RE.match(text):
        raise ValidationError("NPI: must be exactly 10 digits.", field=field)
    if _npi_check_digit(text[:9]) != int(text[9]):
        raise ValidationError("NPI: the check digit does not match; check for a typo.", field=field)
    return text


def make_npi(nine_digits: str) -> str:
    """Complete a 9-digit NPI body with its check digit (for synthetic demo staff)."""
    return nine_digits + str(_npi_check_digit(nine_digits))

def as_time(value: dt.time | dt.datetime | str | None, field: str, label: str) -> dt.time | None:
    """A clock time from a time or "HH:MM[:SS]" text; blank is None. ValidationError names `field`."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.time()
    if isinstance(value, dt.time):
        return value
    try:
        return dt.time.fromisoformat(str(value).strip())
    except ValueError:
        raise ValidationError(f"{label}: {value!r} is not a time (use HH:MM).", field=field) from None
