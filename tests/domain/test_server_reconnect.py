"""A workstation on the clinic server (PostgreSQL) when the server restarts: it reconnects by
itself, says "connection lost" in words, and a save cut off while committing is checked (saved
once, or reported not saved), never doubled, never silently dropped.

These restart a server of their own (`restartable_pg_server`; the shared server keeps running).
"""

from __future__ import annotations

import random
import threading
import time

import peewee
import psycopg
import pytest

from iopdesk.models import Client
from iopdesk.storage import server_connection
from iopdesk.storage.db import database, server_reachable, transaction_outcome
from iopdesk.storage.server_connection import (
    COMMITTED,
    CommitUncertain,
    ConnectionLost,
    SavedThenLost,
    start_of_action,
)
from tests.conftest import clinic_on_restartable_server

pytestmark = pytest.mark.postgres


@pytest.fixture
def server_workstation(restartable_pg_server):
    """(server, clinic): a clinic on a server of its own, opened as a workstation would (the system acts)."""
    yield from clinic_on_restartable_server(restartable_pg_server)


def register(clinic, last: str):
    """Register a client, as one action (the UI marks each save so: start_of_action)."""
    start_of_action()
    return clinic.clients.register(legal_first="Robin", legal_last=last, dob="1990-05-01")


def clients_named(last: str) -> int:
    return Client.select().where(Client.legal_last == last).count()


def test_a_workstation_keeps_working_after_the_clinic_server_restarts(server_workstation):
    server, clinic = server_workstation
    register(clinic, "Before")
    server.restart()
    register(clinic, "After")  # the broken connection was dropped, not handed out again
    assert clients_named("Before") == clients_named("After") == 1

    server.pause()
    try:
        with pytest.raises(ConnectionLost, match="clinic server cannot be reached.*what you typed is kept"):
            register(clinic, "While away")
        assert not server_reachable()
    finally:
        server.resume()
    assert server_reachable()
    register(clinic, "Back")
    assert clients_named("While away") == 0 and clients_named("Back") == 1


def test_saves_while_the_server_restarts_are_each_saved_once_or_reported_not_saved(server_workstation):
    server, clinic = server_workstation
    outcomes: dict[str, object] = {}
    stop = threading.Event()

    def front_desk() -> None:
        number = 0
        while not stop.is_set():
            number += 1
            last = f"Restart{number:04d}"
            try:
                register(clinic, last)
                outcomes[last] = "saved"
            except SavedThenLost:
                outcomes[last] = "saved"  # stored; only reading it back was cut off
            except CommitUncertain as error:
                outcomes[last] = error
            except ConnectionLost:
                outcomes[last] = "not saved"
                time.sleep(0.02)
        database.close()

    writer = threading.Thread(target=front_desk)
    writer.start()
    try:
        chance = random.Random(20)
        for _ in range(6):
            time.sleep(chance.uniform(0.1, 0.5))
            server.restart()
        time.sleep(0.3)
    finally:
        stop.set()
        writer.join(60)
    said = list(outcomes.values())
    assert said.count("saved") > 10 and "not saved" in said
    for last, outcome in outcomes.items():
        found = clients_named(last)
        if outcome == "saved":
            assert found == 1, last
        elif outcome == "not saved":
            assert found == 0, last
        else:  # uncertain: the server now says which, and the database agrees
            assert found == (1 if transaction_outcome(outcome.transaction_id) == COMMITTED else 0), last
    mrns = [c.mrn for c in Client.select(Client.mrn)]
    assert len(mrns) == len(set(mrns))


def _cut_connection(db) -> None:
    db._state.conn.close()
    raise peewee.OperationalError("server closed the connection unexpectedly") from psycopg.OperationalError(
        "server closed the connection unexpectedly")


def test_a_save_whose_commit_answer_was_lost_is_found_saved_once(server_workstation, monkeypatch):
    _, clinic = server_workstation
    original = peewee.Database.commit

    def applied_then_cut(db):
        original(db)  # the server applied it; the answer never reached the workstation
        _cut_connection(db)

    monkeypatch.setattr(peewee.Database, "commit", applied_then_cut)
    summary, _ = register(clinic, "Answer Lost")
    monkeypatch.setattr(peewee.Database, "commit", original)
    assert clients_named("Answer Lost") == 1
    assert Client.get(Client.legal_last == "Answer Lost").mrn == summary.mrn
    report = clinic.check()  # the audit trail and its anchor followed the commit, once
    assert report.ok, report.lines


def test_a_save_cut_off_before_the_server_committed_is_reported_not_saved(server_workstation, monkeypatch):
    _, clinic = server_workstation
    original = peewee.Database.commit
    monkeypatch.setattr(peewee.Database, "commit", _cut_connection)
    with pytest.raises(ConnectionLost, match="Nothing was saved") as refused:
        register(clinic, "Cut Off")
    monkeypatch.setattr(peewee.Database, "commit", original)
    assert not isinstance(refused.value, CommitUncertain)
    assert clients_named("Cut Off") == 0
    register(clinic, "Cut Off")  # saving again makes the one record
    assert clients_named("Cut Off") == 1


def test_a_commit_the_server_could_not_confirm_is_checked_once_it_is_back(server_workstation, monkeypatch):
    server, clinic = server_workstation
    monkeypatch.setattr(server_connection.ReconnectingServer, "commit_check_seconds", 0.5)
    original = peewee.Database.commit

    def applied_then_server_away(db):
        original(db)
        server.pause()
        _cut_connection(db)

    monkeypatch.setattr(peewee.Database, "commit", applied_then_server_away)
    try:
        with pytest.raises(CommitUncertain, match="checks once the server is back") as uncertain:
            register(clinic, "Unconfirmed")
    finally:
        monkeypatch.setattr(peewee.Database, "commit", original)
        server.resume()
    assert transaction_outcome(uncertain.value.transaction_id) == COMMITTED
    assert clients_named("Unconfirmed") == 1
