"""Two workstations saving the same record: one save wins, the other is refused with both versions."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest

from iopdesk.audit import chain as audit
from iopdesk.errors import ConcurrentEdit
from iopdesk.kernel import clock
from iopdesk.models import Client, Note, Payer
from iopdesk.permissions import Actor
from iopdesk.storage.db import release_thread_connection
from iopdesk.storage.records import update_versioned

YESTERDAY = clock.today() - dt.timedelta(days=1)
DAP = {"data": "Client described cravings after a family visit.",
       "assessment": "Cravings are lower than at admission.",
       "plan": "Practise urge surfing."}


def _staff(username: str) -> Actor:
    return Actor(id=None, username=username, display_name=username.title(), roles=frozenset())


def _save_client(clinic, row: Client, who: str, **values) -> None:
    """One workstation's save of a client's contact details: versioned update plus its audit event."""
    with clinic.db.atomic():
        update_versioned(row, row.version, **values)
        audit.record(_staff(who), "update", "client", row.id, client_id=row.id)


def _race(clinic, client_id, saves: dict[str, dict], *, read_inside: bool, pause: float = 0.0):
    """Each workstation (a thread with its own connection) reads the client and saves its values
    at the same moment; returns {who: None or the ConcurrentEdit}."""
    outcome: dict[str, object] = {}
    ready = threading.Barrier(len(saves))
    first_read = {who: Client.get_by_id(client_id) for who in saves}

    def workstation(who: str, values: dict) -> None:
        try:
            if read_inside:
                with clinic.db.atomic():
                    row = Client.get_by_id(client_id)
                    ready.wait(5)
                    time.sleep(pause)
                    update_versioned(row, row.version, **values)
                    audit.record(_staff(who), "update", "client", row.id, client_id=row.id)
            else:
                ready.wait(5)
                _save_client(clinic, first_read[who], who, **values)
            outcome[who] = None
        except ConcurrentEdit as error:
            outcome[who] = error
        finally:
            release_thread_connection()

    threads = [threading.Thread(target=workstation, args=item) for item in saves.items()]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    return outcome


@pytest.fixture
def client_row(admitted_client) -> Client:
    clinic, client, _ = admitted_client
    return Client.get_by_id(client.id)


def test_second_save_of_a_client_is_refused_with_both_versions(admitted_client, client_row):
    """The front desk and the clinician open Marisol's chart; the clinician's later save is refused and
    shows the front desk's phone number next to hers, and the front desk's number stays."""
    clinic, client, _ = admitted_client
    payer = Payer.create(name="Blue Ridge Health", code="BRH")
    front_desk, clinician = Client.get_by_id(client.id), Client.get_by_id(client.id)
    version = front_desk.version
    _save_client(clinic, front_desk, "frontdesk", phone="555-0100", payer=payer)

    with pytest.raises(ConcurrentEdit) as refused:
        _save_client(clinic, clinician, "clinician", phone="555-0199", payer=None)
    error = refused.value
    assert "was changed by frontdesk at" in str(error) and "your changes were not saved" in str(error)
    assert error.changed_by == "frontdesk"
    assert isinstance(error.changed_at, dt.datetime)
    assert error.changed_at.strftime("%Y-%m-%d %H:%M") in str(error)
    assert error.theirs == {"phone": "555-0100", "payer": payer.id}
    assert error.mine == {"phone": "555-0199", "payer": None}
    stored = Client.get_by_id(client.id)
    assert (stored.phone, stored.payer_id, stored.version) == ("555-0100", payer.id, version + 1)


def test_two_workstations_racing_on_one_client_give_one_success_and_one_conflict(admitted_client, client_row):
    """Two workstations that read Marisol's record save at the same instant on their own connections:
    exactly one save wins, the other gets the winner's values, nothing is silently overwritten."""
    clinic, client, _ = admitted_client
    version = client_row.version
    saves = {"frontdesk": {"phone": "555-0100", "email": "m.q@example.org"},
             "clinician": {"phone": "555-0199", "email": "marisol@example.org"}}
    outcome = _race(clinic, client.id, saves, read_inside=False)

    winners = [who for who, result in outcome.items() if result is None]
    losers = [result for result in outcome.values() if isinstance(result, ConcurrentEdit)]
    assert len(winners) == 1 and len(losers) == 1
    winner, error = winners[0], losers[0]
    loser = next(who for who in saves if who != winner)
    assert error.changed_by == winner
    assert error.theirs == saves[winner] and error.mine == saves[loser]
    stored = Client.get_by_id(client.id)
    assert {"phone": stored.phone, "email": stored.email} == saves[winner]
    assert stored.version == version + 1


@pytest.mark.parametrize("staffed_clinic", [pytest.param("postgres", marks=pytest.mark.postgres)],
                         indirect=True)
def test_concurrent_transactions_on_the_server_let_exactly_one_save_win(admitted_client, client_row):
    """On the clinic server, two transactions each read the client, pause, then save: the row
    version lets exactly one commit and the other is refused with the winner's values."""
    clinic, client, _ = admitted_client
    version = client_row.version
    saves = {"east": {"preferred_name": "Mari"}, "west": {"preferred_name": "Sol"}}
    outcome = _race(clinic, client.id, saves, read_inside=True, pause=0.2)

    winners = [who for who, result in outcome.items() if result is None]
    assert len(winners) == 1, outcome
    error = outcome["west" if winners[0] == "east" else "east"]
    assert isinstance(error, ConcurrentEdit)
    assert error.theirs == saves[winners[0]] and error.changed_by == winners[0]
    stored = Client.get_by_id(client.id)
    assert stored.preferred_name == saves[winners[0]]["preferred_name"] and stored.version == version + 1


def test_second_save_of_a_draft_note_shows_the_first_workstations_text(admitted_client):
    """The clinician saves a draft on one workstation, then on another that still had the old
    version: refused, with the first workstation's sections as `theirs` and the second's as `mine`."""
    clinic, client, _ = admitted_client
    note, _ = clinic.notes.create_draft(client.id, kind="individual", note_format="DAP",
                                        service_date=YESTERDAY, starts_at="10:00", ends_at="10:50",
                                        sections=DAP)
    first = {**DAP, "plan": "Practise urge surfing; call sponsor daily."}
    second = {**DAP, "plan": "Review trigger log next session."}
    saved, _ = clinic.notes.save_draft(note.id, note.version, first)

    with pytest.raises(ConcurrentEdit) as refused:
        clinic.notes.save_draft(note.id, note.version, second)
    error = refused.value
    assert error.changed_by == "clinician"
    assert error.theirs["sections"]["plan"] == first["plan"]
    assert error.mine["sections"]["plan"] == second["plan"]
    assert set(error.theirs) == set(error.mine)
    stored = Note.get_by_id(note.id)
    assert stored.sections["plan"] == first["plan"] and stored.version == saved.version
