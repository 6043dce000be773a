"""Stable claim lines and export batches: the same range gives the same lines, an export marks
them, new-only shows what is new or changed, and every export is audited without PHI."""

from __future__ import annotations

import datetime as dt

import pytest

from iopdesk.errors import PermissionDenied
from iopdesk.models import AuditEvent, BillableService, ExportBatch
from iopdesk.permissions import SYSTEM
from tests.billing_fixtures import (
    DAY,
    admit_client,
    attend_group,
    bill,
    define_group,
    override_rules,
    setup_payers_and_npis,
    write_note,
)
from tests.conftest import ADMIN_PASSWORD

EARLIER = DAY - dt.timedelta(days=1)


@pytest.fixture
def two_days(staffed_clinic):
    """Marisol (Medicare) and Jordan (self-pay) attend the 3-hour group on two days and each has
    an individual session on the second day."""
    setup_payers_and_npis()
    clinic = staffed_clinic
    marisol = admit_client(clinic)
    jordan = admit_client(clinic, "Jordan", "Blackwood", payer="SELF", member_id="")
    group = define_group(clinic)
    attend_group(clinic, group, [marisol, jordan], day=EARLIER)
    attend_group(clinic, group, [marisol, jordan], day=DAY, enroll=False)
    write_note(clinic, marisol[0], minutes=45)
    write_note(clinic, jordan[0], minutes=60, start="11:00")
    return clinic, marisol[0], jordan[0]


def _export(clinic, run, name="billing-2026-11.xlsx"):
    return clinic.billing.record_export(run, file_name=name)


def test_running_the_same_range_twice_gives_identical_lines_in_identical_order(two_days):
    """Two runs over the same two days: the same line ids, the same lines, no new rows stored."""
    clinic, marisol, jordan = two_days
    first = bill(clinic, EARLIER, DAY)
    stored = BillableService.select().count()
    second = bill(clinic, EARLIER, DAY)
    assert first.lines == second.lines and first.holds == second.holds
    assert stored == BillableService.select().count() == 6
    assert [(x.payer_code, x.mrn, x.service_date, x.code) for x in first.lines] == [
        ("MCR", marisol.mrn, EARLIER, "H0015"), ("MCR", marisol.mrn, DAY, "90834"), ("MCR", marisol.mrn, DAY, "H0015"),
        ("SELF", jordan.mrn, EARLIER, "H0015"), ("SELF", jordan.mrn, DAY, "90837"), ("SELF", jordan.mrn, DAY, "H0015")]
    one_day = bill(clinic, DAY, DAY)
    assert {x.line_id for x in one_day.lines} < {x.line_id for x in first.lines}


def test_an_export_marks_its_lines_and_is_audited_without_phi(two_days):
    """Bo exports the two days: a batch of 6 lines, each line marked, one audit event naming the
    range and file but no client."""
    clinic, marisol, _ = two_days
    run = bill(clinic, EARLIER, DAY)
    batch, changes = _export(clinic, run)
    assert changes.touches("billing")
    assert (batch.line_count, batch.exported_by, batch.range_from, batch.range_to) == (6, "Bo Biller", EARLIER, DAY)
    row = ExportBatch.get_by_id(batch.id)
    assert row.line_count == 6 and row.filters == ""
    assert BillableService.select().where(BillableService.export_batch == row.id).count() == 6
    assert BillableService.select().where(BillableService.exported_hash == BillableService.line_hash).count() == 6
    event = AuditEvent.select().where(AuditEvent.action == "export").get()
    assert event.actor == "biller" and event.client_id is None
    assert event.detail == {"range_from": EARLIER.isoformat(), "range_to": DAY.isoformat(), "filters": "",
                            "lines": 6, "file_name": "billing-2026-11.xlsx"}
    assert marisol.mrn not in str(event.detail)
    again = bill(clinic, EARLIER, DAY)
    assert {x.export_batch for x in again.lines} == {batch.id}
    assert not any(x.changed_since_export for x in again.lines)
    assert clinic.billing.batches() == [batch]


def test_new_only_after_an_export_shows_nothing_new(two_days):
    """After exporting everything, a new-only run of the same range has no lines; a new session
    afterwards is the only new line."""
    clinic, marisol, _ = two_days
    _export(clinic, bill(clinic, EARLIER, DAY))
    assert bill(clinic, EARLIER, DAY, new_only=True).lines == ()
    write_note(clinic, marisol, author="prescriber", kind="med_management", minutes=25)
    fresh = bill(clinic, EARLIER, DAY, new_only=True)
    assert [(x.code, x.export_batch) for x in fresh.lines] == [("99213", "")]
    counts = clinic.billing.counts(EARLIER, DAY)
    assert (counts.lines, counts.new_lines, counts.changed_lines, counts.holds) == (7, 1, 0, 0)
    assert counts.charge_cents == sum(x.charge_cents for x in bill(clinic, EARLIER, DAY).lines)


def test_a_line_changed_after_export_is_flagged(two_days):
    """A second diagnosis added to Marisol's episode after the export changes her lines: they are
    flagged, keep their ids and batch, and new-only shows them."""
    clinic, marisol, _ = two_days
    run = bill(clinic, EARLIER, DAY)
    batch, _ = _export(clinic, run)
    clinic.login("clinician", ADMIN_PASSWORD)
    episode = clinic.episodes.current(marisol.id)
    clinic.episodes.add_diagnosis(episode.id, code="F32.1", description="Major depressive disorder, moderate",
                                  primary=False, noted_on=EARLIER)
    after = bill(clinic, EARLIER, DAY)
    changed = [x for x in after.lines if x.changed_since_export]
    assert {x.mrn for x in changed} == {marisol.mrn} and len(changed) == 3
    assert all(x.export_batch == batch.id and "F32.1" in x.diagnoses for x in changed)
    assert {x.line_id for x in changed} <= {x.line_id for x in run.lines}
    assert [x.line_id for x in bill(clinic, EARLIER, DAY, new_only=True).lines] == [x.line_id for x in changed]
    _export(clinic, after)
    assert not any(x.changed_since_export for x in bill(clinic, EARLIER, DAY).lines)


def test_an_exported_day_that_is_no_longer_billable_is_listed_as_a_hold(two_days):
    """The administrator raises the minimum to 200 minutes after an export: the exported H0015
    days become holds to void or correct, and the groups bill as discrete 90853 lines."""
    clinic, marisol, _ = two_days
    _export(clinic, bill(clinic, EARLIER, DAY))
    override_rules({"per_diem": {"min_minutes": 200}})
    run = bill(clinic, EARLIER, DAY)
    assert sorted({x.code for x in run.lines}) == ["90834", "90837", "90853"]
    void = [h for h in run.holds if h.action == "Void or correct the claim with the payer"]
    assert len(void) == 4 and all(h.what == "H0015 exported line" for h in void)


def test_site_and_payer_filters_narrow_the_run(two_days):
    """Filtering by the self-pay payer leaves Jordan's lines only; the main site has them all."""
    clinic, _, jordan = two_days
    assert {x.mrn for x in bill(clinic, EARLIER, DAY, payer="SELF").lines} == {jordan.mrn}
    assert len(bill(clinic, EARLIER, DAY, site="MAIN").lines) == 6
    assert clinic.billing.payers()[0] == ("BHH", "Blue Heron Health (test)")
    assert ("MAIN", "Main clinic") in clinic.billing.sites()


def test_only_a_signed_in_user_with_billing_export_records_an_export(two_days):
    """A clinician cannot record an export nor list batches; the system account cannot either."""
    clinic, _, _ = two_days
    run = bill(clinic, EARLIER, DAY)
    clinic.login("clinician", ADMIN_PASSWORD)
    with pytest.raises(PermissionDenied):
        _export(clinic, run)
    with pytest.raises(PermissionDenied):
        clinic.billing.batches()
    clinic.actor = SYSTEM
    with pytest.raises(PermissionDenied):
        _export(clinic, run)
    assert ExportBatch.select().count() == 0
