"""Twelve workstations guess one clinician's password three times each at the same moment.

Real processes (spawned, as separate workstations would be) open the same clinic file and start
together on a barrier. Counting a wrong password is one UPDATE in the database, so the 36 guesses
lock the account at exactly the policy's count (five), every guesser is told the same sentence,
and the audit trail tells the counted failures from the ones refused because the account was
already locked.
"""

from __future__ import annotations

import multiprocessing
from collections import Counter

import pytest

import iopdesk
from iopdesk.models import AuditEvent, Staff
from iopdesk.services.users import SIGN_IN_REFUSED, max_failures
from tests.security import sign_in_guesser

GUESSERS = 12
TRIES = 3


@pytest.mark.slow  # twelve interpreters start: some 20 s on two cores
def test_parallel_wrong_guesses_lock_the_account_at_exactly_the_policy_count(clinic_file, today):
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(GUESSERS)
    refusals = context.Queue()
    guessers = [context.Process(target=sign_in_guesser.guess,
                                args=(str(clinic_file), today.isoformat(), "clinician", TRIES, barrier, refusals))
                for _ in range(GUESSERS)]
    for guesser in guessers:
        guesser.start()
    answers = [refusals.get(timeout=180) for _ in range(GUESSERS * TRIES)]
    for guesser in guessers:
        guesser.join(timeout=60)
        assert guesser.exitcode == 0

    assert Counter(answers) == {SIGN_IN_REFUSED: GUESSERS * TRIES}
    with iopdesk.open_clinic(str(clinic_file), create=False):
        clinician = Staff.get(Staff.username == "clinician")
        assert clinician.failed_logins == max_failures()
        assert clinician.locked_until is not None
        reasons = Counter(event.detail["reason"] for event in AuditEvent.select().where(
            (AuditEvent.action == "login_failed") & (AuditEvent.actor == "clinician")))
        assert reasons == {"wrong password": max_failures(), "locked": GUESSERS * TRIES - max_failures()}
        assert AuditEvent.select().where(AuditEvent.action == "account_locked").count() == 1
