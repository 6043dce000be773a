"""`WorkItem`: one line of a clinician's to-do lists (plans due, discharge summaries due, clients
under the attendance minimum, notes to sign…), the same shape wherever it comes from.

Every item names the client (id, MRN, display name), says what is to be done and why, and carries
a `target` telling the UI where it is resolved ("plan:<id>", "note:<id>", "client:<id>/measures").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkItem:
    kind: str
    client_id: str
    mrn: str
    client_name: str
    what: str
    why: str
    target: str
    record_id: str | None = None
    episode_id: str | None = None
    due_on: dt.date | None = None
    overdue: bool = False


def display_name(preferred: str, legal_first: str, legal_last: str) -> str:
    """The name a clinic uses day to day: preferred first name (or legal first) and last name."""
    return f"{(preferred or legal_first).strip()} {legal_last.strip()}".strip()
