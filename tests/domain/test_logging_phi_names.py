"""Clients read or written through the client service have their names kept out of the log file
(issue 8, item 8): the service registers them with the log filter, only the rows it returns."""

from __future__ import annotations

import logging
import time

import pytest

from iopdesk import logs
from tests.conftest import ADMIN_PASSWORD
from tests.security import test_logging_no_phi

NAMES = {"legal_first": "Zebulonia", "legal_last": "Threadgoode-Abara", "preferred_name": "Zebby",
         "dob": "1979-06-21", "sex": "F"}
OTHER = {"legal_first": "Ottoline", "legal_last": "Vasquez-Marlowe", "dob": "1990-01-15", "sex": "F"}


_log_text = test_logging_no_phi._log_text


@pytest.fixture
def two_clients(staffed_clinic, log_folder):
    """Two registered clients; the register of PHI strings is emptied afterwards, as in a new session."""
    clinic = staffed_clinic
    clinic.login("clinician", ADMIN_PASSWORD)
    first, _ = clinic.clients.register(**NAMES)
    clinic.clients.register(**OTHER)
    logs._registered.clear()
    logs._registered_pattern[0] = None
    return clinic, first, log_folder


def test_a_searched_clients_name_is_blanked_in_a_later_log_line(two_clients):
    """After a search finds Zebulonia, a careless INFO or DEBUG line naming her shows [phi] instead."""
    clinic, _, folder = two_clients
    rows = clinic.clients.search("Threadgoode")
    assert [r.legal_name for r in rows] == ["Zebulonia Threadgoode-Abara"]
    log = logging.getLogger("iopdesk.test")
    log.info("opened the chart of %s %s", "Zebulonia", "Threadgoode-Abara")
    log.debug("called her %s", "Zebby")
    text = _log_text(folder)
    assert "opened the chart of [phi] [phi]" in text and "called her [phi]" in text
    for secret in ("Zebulonia", "Threadgoode", "Zebby"):
        assert secret not in text


def test_search_registers_only_the_rows_it_returns(two_clients):
    """The other client was not found, so her name is not registered (nothing is registered in bulk)."""
    clinic, _, _ = two_clients
    clinic.clients.search("Zeb")
    assert {"zebulonia", "threadgoode-abara", "zebby", "1979-06-21"} <= logs._registered
    assert not {"ottoline", "vasquez-marlowe"} & logs._registered


def test_opening_a_chart_or_finding_it_by_mrn_or_registering_it_registers_the_name(two_clients):
    """The chart header, a lookup by MRN and a new registration all feed the log filter."""
    clinic, first, folder = two_clients
    clinic.clients.summary(first.id)
    assert {"zebulonia", first.mrn.lower()} <= logs._registered
    logs._registered.clear()
    clinic.clients.by_mrn(first.mrn)
    assert "threadgoode-abara" in logs._registered
    clinic.clients.register(legal_first="Percival", legal_last="Nakagawa-Stroud", dob="1970-07-07", sex="M")
    logging.getLogger("iopdesk.test").info("saved %s", "Percival Nakagawa-Stroud")
    assert "Nakagawa" not in _log_text(folder)


@pytest.mark.parametrize("staffed_clinic", ["sqlite"], indirect=True)
def test_a_search_among_many_clients_registers_only_the_page_it_returns(staffed_clinic, log_folder, monkeypatch):
    """A search among 2,000 matching clients returning 50 rows registers 50 clients, and the
    registration (a set add each) takes well under a millisecond per client."""
    import iopdesk.services.clients as clients_module
    from iopdesk.models import Client, Site

    site = Site.get(Site.is_main == True)  # noqa: E712
    Client.insert_many([{"mrn": f"MAIN-{9000 + n:06d}", "legal_first": f"Garnet{n:04d}",
                         "legal_last": f"Gardner{n:04d}", "dob": "1980-01-01", "sex": "U", "site": site.id}
                        for n in range(2000)]).execute()
    staffed_clinic.login("clinician", ADMIN_PASSWORD)
    calls = []
    monkeypatch.setattr(clients_module, "register_phi", lambda *values: calls.append(values))
    rows = staffed_clinic.clients.search("gar", limit=50)
    assert len(rows) == 50 and len(calls) == 50
    started = time.perf_counter()
    for values in calls:
        logs.register_phi(*values)
    assert len(logs._registered) >= 100 and time.perf_counter() - started < 0.05
