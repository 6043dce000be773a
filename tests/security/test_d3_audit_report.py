"""ONC 170.315(d)(3) Audit report(s): an administrator sorts and filters who saw or changed what.

The report filters by client MRN, user and local dates, sorts by any column in SQL, is refused
to staff without admin.audit, is itself audited, and the same report (and a client's accounting
of disclosures) comes out of `iopdesk audit`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from iopdesk.cli.main import main
from iopdesk.errors import PermissionDenied, ValidationError
from iopdesk.kernel import clock
from iopdesk.models import AuditEvent
from iopdesk.services.audit_trail import SORT_FIELDS
from iopdesk.storage.db import database
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_consents import consent_fields


def _second_client(clinic):
    clinic.login("supervisor", ADMIN_PASSWORD)
    other, _ = clinic.clients.register(legal_first="Jonah", legal_last="Whitfield", dob="1985-07-30")
    clinic.clients.summary(other.id)
    return other


def test_admin_sees_who_opened_and_changed_one_clients_chart(admitted_client):
    """Filtering by MRN shows only Marisol's events, oldest first, with user, action and what."""
    clinic, client, _episode = admitted_client
    other = _second_client(clinic)
    clinic.login("admin", ADMIN_PASSWORD)
    rows = clinic.audit.report(client_mrn=client.mrn)
    assert rows and {r.client_mrn for r in rows} == {client.mrn}
    assert other.mrn not in {r.client_mrn for r in rows}
    assert ("clinician", "create") in {(r.user, r.action) for r in rows}
    assert [r.seq for r in rows] == sorted(r.seq for r in rows)
    assert all(r.when.tzinfo is not None for r in rows)
    assert any(r.what.startswith("episode ") for r in rows)


def test_the_report_filters_by_user_and_local_dates(admitted_client):
    """The supervisor's events only; a date range of tomorrow has none; today has all."""
    clinic, _client, _episode = admitted_client
    _second_client(clinic)
    clinic.login("admin", ADMIN_PASSWORD)
    mine = clinic.audit.report(actor="Supervisor")
    assert mine and {r.user for r in mine} == {"supervisor"}
    today = clock.today()
    assert clinic.audit.report(date_from=today + dt.timedelta(days=1)) == []
    count = clinic.audit.report_count(date_from=today, date_to=today)
    assert len(clinic.audit.report(date_from=today, date_to=today, limit=5000)) == count


@pytest.mark.parametrize("field", SORT_FIELDS)
def test_every_column_sorts_both_ways(admitted_client, field):
    """Sorting by any column orders the rows by it, ascending or descending."""
    clinic, _client, _episode = admitted_client
    _second_client(clinic)
    clinic.login("admin", ADMIN_PASSWORD)
    attribute = {"when": "when", "user": "user", "action": "action", "what": "what", "client": "client_mrn",
                 "detail": "detail"}[field]
    up = clinic.audit.report(order_by=field, limit=5000)
    down = clinic.audit.report(order_by=field, descending=True, limit=5000)
    assert len(down) == len(up) + 1  # reading the report was audited in between
    if field in ("when", "user", "action"):
        values = [getattr(r, attribute) for r in up]
        assert values == sorted(values)
        values = [getattr(r, attribute) for r in down]
        assert values == sorted(values, reverse=True)
    else:
        assert [getattr(r, attribute) for r in up] != [getattr(r, attribute) for r in up[::-1]]


def test_paging_reads_each_event_once(admitted_client):
    """Two pages of ten follow each other without overlap."""
    clinic, _client, _episode = admitted_client
    clinic.login("admin", ADMIN_PASSWORD)
    first = clinic.audit.report(limit=10)
    second = clinic.audit.report(limit=10, offset=10)
    assert not {r.seq for r in first} & {r.seq for r in second}


def test_only_an_administrator_reads_the_report_and_reading_it_is_audited(admitted_client):
    """A clinician is refused; the admin's query is itself in the trail, with its filters."""
    clinic, client, _episode = admitted_client
    with pytest.raises(PermissionDenied):
        clinic.audit.report()
    clinic.login("admin", ADMIN_PASSWORD)
    clinic.audit.report(client_mrn=client.mrn)
    event = AuditEvent.select().order_by(AuditEvent.seq.desc()).first()
    assert (event.actor, event.action, event.entity) == ("admin", "read", "audit_report")
    assert event.detail["client"] == client.mrn


def test_bad_filters_are_refused_naming_the_field(admitted_client):
    """An unknown MRN, a date that is not one, an end before the start, a bad sort."""
    clinic, _client, _episode = admitted_client
    clinic.login("admin", ADMIN_PASSWORD)
    for kwargs, field in (({"client_mrn": "NOPE-1"}, "client_mrn"), ({"date_from": "31/12/2026"}, "date_from"),
                          ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "date_to"),
                          ({"order_by": "password"}, "order_by")):
        with pytest.raises(ValidationError) as caught:
            clinic.audit.report(**kwargs)
        assert caught.value.field == field


def _cli(clinic, capsys, monkeypatch, *argv) -> tuple[int, str]:
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    capsys.readouterr()
    code = main([*argv[:1], "--db", clinic.url, "--as", "admin", *argv[1:]])
    database.initialize(clinic.db)
    return code, capsys.readouterr().out


def test_iopdesk_audit_prints_a_clients_trail_as_csv(admitted_client, capsys, monkeypatch):
    """`iopdesk audit --client MRN --from --to --sort user --csv` writes a header and the rows."""
    clinic, client, _episode = admitted_client
    today = clock.today().isoformat()
    code, out = _cli(clinic, capsys, monkeypatch, "audit", "--client", client.mrn, "--from", today, "--to", today,
                     "--sort", "user", "--csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0] == ["when", "user", "action", "what", "client", "detail"]
    assert len(rows) > 2 and {r[4] for r in rows[1:]} == {client.mrn}
    assert [r[1] for r in rows[1:]] == sorted(r[1] for r in rows[1:])


def test_iopdesk_audit_disclosures_lists_the_accounting_for_a_client(admitted_client, capsys, monkeypatch):
    """Each release under consent appears with date, time, client, user, recipient, description."""
    clinic, client, _episode = admitted_client
    clinic.consents.record(client.id, **consent_fields())
    clinic.disclosures.record_release(client.id, "Harbor County Drug Court", "Attendance letter, November")
    code, out = _cli(clinic, capsys, monkeypatch, "audit", "disclosures", "--client", client.mrn)
    assert code == 0
    header, line = out.splitlines()[:2]
    assert header.split() == ["date", "time", "client", "user", "recipient", "description"]
    assert client.mrn in line and "Cleo Clinician" in line and "Harbor County Drug Court" in line
    assert "Attendance letter, November" in line
