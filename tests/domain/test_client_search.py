"""Finding a client at the front desk: by name start, preferred name, MRN or date of birth."""

from __future__ import annotations

import pytest

from iopdesk.errors import PermissionDenied
from tests.conftest import ADMIN_PASSWORD


@pytest.fixture
def front_desk(staffed_clinic):
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    people = [
        ("Marisol", "García", "1991-04-12", ""),
        ("Gareth", "Owens", "1975-09-30", ""),
        ("Alejandro", "Garza", "1988-01-02", "Alex"),
        ("Zoë", "Ångström-Nguyễn", "2000-02-29", ""),
        ("Percy", "100%_Sure", "1990-01-01", ""),
    ]
    ids = {}
    for first, last, dob, preferred in people:
        row, _ = clinic.clients.register(legal_first=first, legal_last=last, dob=dob, preferred_name=preferred)
        ids[first] = row
    return clinic, ids


def test_typing_the_start_of_a_name_finds_last_first_and_preferred_names(front_desk):
    """'gar' finds García and Garza by last name and Gareth by first name, any case."""
    clinic, _ = front_desk
    assert sorted(r.legal_name for r in clinic.clients.search("GAR")) == [
        "Alejandro Garza", "Gareth Owens", "Marisol García"]
    assert [r.legal_name for r in clinic.clients.search("alex")] == ["Alejandro Garza"]
    assert clinic.clients.search("alex")[0].display_name == "Alex (Alejandro) Garza"


def test_first_and_last_name_starts_together(front_desk):
    """'mar gar' narrows to Marisol García."""
    clinic, _ = front_desk
    assert [r.legal_name for r in clinic.clients.search("mar gar")] == ["Marisol García"]


def test_mrn_and_date_of_birth(front_desk):
    """An MRN (whole, partial or just its number) or a DOB in either common format finds the client."""
    clinic, ids = front_desk
    mrn = ids["Gareth"].mrn
    assert [r.mrn for r in clinic.clients.search(mrn.lower())] == [mrn]
    assert mrn in [r.mrn for r in clinic.clients.search(mrn.split("-")[1])]
    assert [r.legal_name for r in clinic.clients.search("09/30/1975")] == ["Gareth Owens"]
    assert [r.legal_name for r in clinic.clients.search("1975-09-30")] == ["Gareth Owens"]


def test_wildcards_typed_by_the_user_match_themselves(front_desk):
    """'%' or '_' in the search box are letters, not wildcards."""
    clinic, _ = front_desk
    assert clinic.clients.search("%") == []
    assert [r.legal_name for r in clinic.clients.search("100%_")] == ["Percy 100%_Sure"]


def test_accented_names_are_found(front_desk):
    """Names with accents and non-Latin letters are found by their start."""
    clinic, _ = front_desk
    assert [r.legal_name for r in clinic.clients.search("Zoë")] == ["Zoë Ångström-Nguyễn"]


def test_search_needs_chart_access(front_desk):
    """Someone signed in without chart access gets a refusal, not a list of names."""
    clinic, _ = front_desk
    from iopdesk.permissions import Actor

    clinic.actor = Actor(id=None, username="kiosk", display_name="Kiosk", roles=frozenset())
    with pytest.raises(PermissionDenied):
        clinic.clients.search("gar")


def test_recently_opened_clients_are_named_in_one_read_in_the_order_given(front_desk):
    """The recent-charts list names its clients in the order kept, skipping ids that are gone or
    malformed, and naming them is not a chart read (nothing audited)."""
    from iopdesk.models import AuditEvent

    clinic, _ = front_desk
    gareth, marisol = clinic.clients.search("Gareth")[0], clinic.clients.search("Marisol")[0]
    events = AuditEvent.select().count()
    rows = clinic.clients.named([gareth.id, "not-an-id", "0" * 32, marisol.id])
    assert [(r.id, r.display_name) for r in rows] == [(gareth.id, "Gareth Owens"), (marisol.id, "Marisol García")]
    assert AuditEvent.select().count() == events
    assert clinic.clients.named([]) == []
