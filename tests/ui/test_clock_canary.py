"""The canary of the shifted pass: CI runs the suite a second time with the clinic clock a year
ahead (`.ci/run`, `make test-ahead`), naming the date twice: IOPDESK_TEST_TODAY pins the clock
(tests/conftest.py) and IOPDESK_TEST_EXPECT_TODAY tells this test what that pass must have seen.

A green shifted pass means something only if it really ran on that date: the variable renamed,
conftest no longer pinning, an xdist worker that missed it, or the product asking the computer
instead of the clinic clock would each leave a pass that quietly ran on today's date. These tests
fail then. They compare with the computer's real date, the one calendar read the guard in
test_clinic_clock.py allows in tests. A pass that asks for no shifted date skips them.
"""

from __future__ import annotations

import datetime as dt
import os

import pytest
from PySide6.QtWidgets import QLineEdit

from iopdesk.kernel import clock
from iopdesk.kernel.formats import date_text
from tests.conftest import ADMIN_PASSWORD, admit_marisol
from ui.chart.note_editor import NoteEditorDialog
from ui.operations import Operations

EXPECTED = os.environ.get("IOPDESK_TEST_EXPECT_TODAY", "")
pytestmark = pytest.mark.skipif(not EXPECTED, reason="no shifted date asked for (IOPDESK_TEST_EXPECT_TODAY)")
DAP = {"data": "Attended all three groups.", "assessment": "Engaged.", "plan": "Continue."}


@pytest.fixture
def shifted_day() -> dt.date:
    """The date the shifted pass was asked to run on."""
    return dt.date.fromisoformat(EXPECTED)


def within_a_day(stamp: dt.date, day: dt.date) -> bool:
    """A stamp's date may be a day off the clinic's (UTC against local time, or midnight passing
    during the run); a year off is what the canary is for."""
    return abs((stamp - day).days) <= 1


def test_the_shifted_pass_runs_on_the_date_it_was_asked_for_not_the_computers(shifted_day, today):
    """The clinic clock, the `today` fixture and the running clock are on the asked date, which is
    not the computer's."""
    assert shifted_day != dt.date.today(), (
        f"asked to run shifted to {shifted_day}, which is the computer's own date: the pass proves nothing")
    assert clock.pinned() == clock.today() == today == shifted_day
    assert within_a_day(clock.now().date(), shifted_day) and within_a_day(clock.utcnow().date(), shifted_day)


def test_the_product_sees_the_shifted_date_end_to_end(qtbot, clinician_sqlite, shifted_day):
    """An admission today, the caseload of the day, a signed note's stamp, the audit trail and
    the attestation the clinician confirms all carry the shifted date, and a new note's service
    date field shows it."""
    clinic = clinician_sqlite
    client, episode = admit_marisol(clinic, days_ago=0)
    assert episode.admitted_on == shifted_day
    assert clinic.caseload.today().on == shifted_day

    editor = NoteEditorDialog(clinic, Operations(), client.id)
    qtbot.addWidget(editor)
    shown = [edit.text() for edit in editor.findChildren(QLineEdit)]
    assert date_text(shifted_day) in shown, f"a new note's fields show {shown}, not {date_text(shifted_day)}"

    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP", service_date=shifted_day,
                                        starts_at="10:00", ends_at="10:50", sections=DAP)
    signed, _ = clinic.notes.sign(note.id, note.version)
    assert within_a_day(signed.signed_at.date(), shifted_day)
    assert any(date_text(shifted_day + dt.timedelta(days=n)) in clinic.notes.attestation("note") for n in (-1, 0, 1))

    clinic.logout()
    clinic.login("admin", ADMIN_PASSWORD)
    trail = clinic.audit.for_client(client.id)
    assert trail and all(within_a_day(entry.occurred_at.date(), shifted_day) for entry in trail)
