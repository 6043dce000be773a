"""Log files never carry a client's name, MRN or date of birth (issue 8, item 8; ONC privacy criteria)."""

from __future__ import annotations

import datetime as dt
import logging

import iopdesk
from iopdesk.kernel import clock
from iopdesk.logs import FILE_NAME, redact, register_phi

DEMO_PASSWORD = "demo-pass-2026"
SYNTHETIC = {"first": "Zephyrine", "last": "Quillfeather-Okonkwo", "dob": "1987-03-09"}


def _log_text(folder) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted(folder.glob(FILE_NAME + "*")))


def test_the_filter_blanks_mrns_dates_and_registered_names_in_messages_and_tracebacks(log_folder):
    """Even a careless log line loses the MRN, the date of birth and a registered name."""
    register_phi("Wilhelmina Stroud")
    log = logging.getLogger("iopdesk.test")
    log.info("opened chart %s born %s for %s", "MAIN-000123", "04/12/1991", "Wilhelmina Stroud")
    try:
        raise ValueError("Client Wilhelmina Stroud, DOB 1991-04-12")
    except ValueError:
        log.exception("failed")
    text = _log_text(log_folder)
    assert "opened chart [mrn] born [date] for [phi]" in text
    for secret in ("MAIN-000123", "04/12/1991", "1991-04-12", "Wilhelmina", "Stroud"):
        assert secret not in text
    assert " INFO test_logging_no_phi: " in text and "ValueError" in text
    assert redact("id 01a17cc2-7080-71ad-80a3-9c5121d6bc73, 3 rows") == "id 01a17cc2-7080-71ad-80a3-9c5121d6bc73, 3 rows"


def test_a_day_of_work_at_debug_level_leaves_no_phi_in_the_log(log_folder, tmp_path, monkeypatch):
    """Register, admit, note and sign, group sessions (demo), print, export billing, sync, a refused
    command: the log says what happened, and no client's name, MRN or birth date appears in it."""
    from iopdesk.cli.main import main as cli_main
    from iopdesk.demo import generate
    from reports.export_cli import main as export_main
    from reports.jobs import PrintRequest, print_document
    from reports.print_cli import main as print_main

    path = tmp_path / "clinic.sqlite"
    with iopdesk.open_clinic(str(path)) as clinic:
        generate(clinic, clients=6, weeks=4, seed=5)
        clinic.login("clinician", DEMO_PASSWORD)
        client, _ = clinic.clients.register(legal_first=SYNTHETIC["first"], legal_last=SYNTHETIC["last"],
                                            dob=SYNTHETIC["dob"], sex="F")
        episode, _ = clinic.episodes.admit(client.id, admitted_on=clock.today() - dt.timedelta(days=3),
                                           track_code="substance_use", level="2.1", primary_clinician="clinician")
        note, _ = clinic.notes.create_draft(
            client.id, kind="individual", note_format="DAP", service_date=clock.today() - dt.timedelta(days=1),
            starts_at="10:00", ends_at="10:50",
            sections={"data": f"{SYNTHETIC['first']} reported cravings.", "assessment": "Stable.", "plan": "Continue."})
        clinic.notes.sign(note.id, note.version)
        print_document(clinic, "progress-note", PrintRequest(client.id, note.id), tmp_path / "note.pdf")
        clinic.login("admin", DEMO_PASSWORD)
        satellite = next(s for s in clinic.sync.sites() if s.code != clinic.site.code)
        clinic.sync.export_file(tmp_path / "east.sync", for_site=satellite.code, plain=True)
        from iopdesk.models import Client

        people = [(c.legal_first, c.legal_last, c.mrn, c.dob) for c in Client.select()]
        mrn = client.mrn
    monkeypatch.setenv("IOPDESK_PASSWORD", DEMO_PASSWORD)
    today = clock.today()
    assert export_main(["billing", "--from", str(today - dt.timedelta(weeks=4)), "--to", str(today),
                        "--out", str(tmp_path / "billing.xlsx"), "--db", str(path), "--user", "biller"]) == 0
    assert print_main(["progress-note", "--client", mrn, "--db", str(path), "--user", "clinician"]) == 2
    assert print_main(["measures", "--client", "NOPE-000001", "--db", str(path), "--user", "clinician"]) == 2
    assert cli_main(["check", "--db", str(path)]) == 0
    text = _log_text(log_folder)
    assert "iopdesk print refused: ValidationError" in text and "command check" in text
    lowered = text.lower()
    for first, last, record_mrn, dob in people:
        for secret in (first, last, record_mrn, dob.isoformat(), f"{dob:%m/%d/%Y}"):
            if len(secret) >= 4:
                assert secret.lower() not in lowered, f"{secret!r} reached the log"
