"""The child side of the parallel-guess test: one workstation guessing a colleague's password.

`guess` opens the clinic file, waits on the shared barrier so every guesser starts at the same
moment, then tries wrong passwords and puts each refusal's words on the queue.
"""

from __future__ import annotations

import datetime as dt

import iopdesk
from iopdesk.errors import AuthenticationFailed
from iopdesk.kernel import clock


def guess(path: str, today: str, username: str, tries: int, barrier, refusals) -> None:
    clock.pin(dt.date.fromisoformat(today))  # the parent's pinned clinic day
    clinic = iopdesk.open_clinic(path, create=False)
    try:
        barrier.wait(timeout=120)
        for attempt in range(tries):
            try:
                clinic.login(username, f"a guess, number {attempt}")
            except AuthenticationFailed as refused:
                refusals.put(str(refused))
            else:
                refusals.put("signed in")
    finally:
        clinic.close()
