"""What billing hands to the spreadsheet writer and the Billing screen: claim lines, holds, counts
and export batches, as frozen read models. Amounts are integer cents; dates are dates of service.

A claim line is derived from the record (group attendance, a signed note, an IOP day), never typed;
a hold is a service that cannot be billed yet, with its reason and what to do about it. Lines come
in one stable order (payer, client MRN, date of service, code, line id) so exporting the same range
twice gives the same rows in the same order.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class BillingLine:
    """One claim line (CMS-1500 service line)."""

    line_id: str
    client_id: str
    mrn: str
    client_name: str  # "Last, First" as on a claim
    dob: dt.date
    payer_code: str
    payer_name: str
    member_id: str
    authorization: str  # authorization number, "" when the payer needs none
    service_date: dt.date
    place_of_service: str
    code: str
    modifiers: tuple[str, ...]  # up to 4
    units: int
    minutes: int
    diagnoses: tuple[str, ...]  # ICD-10-CM codes, primary first (at most 12)
    diagnosis_pointer: str  # letters into `diagnoses`, e.g. "A" or "AB"
    rendering_name: str
    rendering_npi: str
    supervising_name: str  # "" unless billed under a supervisor
    supervising_npi: str
    charge_cents: int
    source: str  # what it comes from, in the clinic's words: "group attendance", "individual note", "IOP day"
    note_id: str  # "" for a line not backed by one note (an IOP day)
    note_status: str  # "signed", "co-signed", "" when no note
    site_code: str
    export_batch: str  # "" until exported
    changed_since_export: bool  # exported, then the record changed what this line says


@dataclass(frozen=True)
class BillingHold:
    """A service that cannot be billed yet."""

    client_id: str
    mrn: str
    client_name: str
    payer_code: str
    site_code: str
    service_date: dt.date
    what: str  # "90834 individual session, 45 min" / "H0015 IOP day, 2 h 50 min"
    who: str  # the clinician who rendered it
    reason: str  # "note awaiting co-signature by Sam Supervisor"
    action: str  # "Supervisor co-signs the note"
    note_id: str


@dataclass(frozen=True)
class BillingCounts:
    """The Billing screen's preview before exporting."""

    lines: int
    holds: int
    new_lines: int  # never exported
    changed_lines: int  # exported, then changed
    charge_cents: int


@dataclass(frozen=True)
class BillingRun:
    """Everything one export writes, for one date range and optional site and payer."""

    clinic_name: str
    range_from: dt.date
    range_to: dt.date
    site_code: str | None
    payer_code: str | None
    new_only: bool
    generated_at: dt.datetime  # UTC
    lines: tuple[BillingLine, ...]
    holds: tuple[BillingHold, ...]
    time_format: str = "12h"  # the clinic's program rule display.time_format, for the "Generated" line


@dataclass(frozen=True)
class ExportBatchView:
    id: str
    exported_at: dt.datetime
    exported_by: str
    range_from: dt.date
    range_to: dt.date
    filters: str
    line_count: int
