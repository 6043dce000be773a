"""The child side of the crash test: a clinician writing notes in a loop until killed.

`write_notes` opens the clinic, signs in once, then forever: starts a draft, autosaves it, signs
it. After each transaction COMMITS it reports on the pipe what is now durable: "draft ID VERSION
HASH" after an autosave (HASH: the saved sections' content hash) and "signed ID" after signing. A
message is one small write on a pipe, so a kill leaves it whole or absent, never half sent.
"""

from __future__ import annotations

import datetime as dt

import iopdesk
from iopdesk.kernel import clock
from iopdesk.storage.records import content_hash

PASSWORD = "correct horse battery"
YESTERDAY = clock.today() - dt.timedelta(days=1)


def sections(n: int) -> dict:
    return {"data": f"Session {n}: talked through the week's cravings and a trigger at work.",
            "assessment": f"Coping plan used {n % 5} times; mood steadier.",
            "plan": "Keep the trigger log; practise urge surfing before next session."}


def write_notes(path: str, client_id: str, report) -> None:
    clinic = iopdesk.open_clinic(path, create=False)
    clinic.login("clinician", PASSWORD)
    report.send_bytes(b"ready")
    n = 0
    while True:
        n += 1
        draft, _ = clinic.notes.create_draft(client_id, kind="individual", note_format="DAP",
                                             service_date=YESTERDAY, starts_at="10:00", ends_at="10:50",
                                             sections={"data": "…"})
        saved, _ = clinic.notes.save_draft(draft.id, draft.version, sections(n))
        report.send_bytes(f"draft {saved.id} {saved.version} {content_hash(saved.sections)}".encode())
        signed, _ = clinic.notes.sign(saved.id, saved.version)
        report.send_bytes(f"signed {signed.id}".encode())
