"""`iopdesk client duplicates|merge`: the administrator lists the charts registered twice, sees
both side by side and what moves (a dry run changes nothing), then merges; a clinician is refused."""

from __future__ import annotations

import uuid

from iopdesk.cli.main import EXIT_ERROR
from iopdesk.models import Client, Note
from tests.cli_runs import run_cli
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_backup import YESTERDAY, write_note


def test_an_admin_lists_duplicates_dry_runs_and_merges_at_the_terminal(clinician_sqlite, capsys, monkeypatch):
    clinic = clinician_sqlite
    kept, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03", sex="F")
    again, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03", sex="F",
                                       allow_duplicate=True)
    clinic.episodes.admit(again.id, admitted_on=YESTERDAY, track_code="substance_use", level="2.1",
                          primary_clinician="clinician")
    note = write_note(clinic, again.id)
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)

    code, text = run_cli(clinic, capsys, "client", "duplicates", "--db", clinic.url, "--as", "admin")
    assert code == 0 and f"{kept.mrn}" in text and f"{again.mrn}" in text and "1 client(s) registered twice" in text

    merge = ("client", "merge", "--db", clinic.url, "--as", "admin", "--keep", kept.mrn, "--merge", again.mrn)
    code, text = run_cli(clinic, capsys, *merge, "--dry-run")
    assert code == 0 and "Dana Whitfield" in text and "Moves to the kept chart: episodes of care (1), notes (1)." in text
    assert "Nothing was changed." in text
    assert Client.get_by_id(uuid.UUID(again.id)).merged_into_id is None

    code, text = run_cli(clinic, capsys, *merge)  # no terminal here: --yes is needed
    assert code == EXIT_ERROR and "--yes" in text
    code, text = run_cli(clinic, capsys, *merge, "--yes")
    assert code == 0 and f"Merged {again.mrn} into {kept.mrn}" in text
    assert Note.get_by_id(note.id).client_id == uuid.UUID(kept.id)

    code, text = run_cli(clinic, capsys, "check", "--db", clinic.url)
    assert code == 0, text
    code, text = run_cli(clinic, capsys, *merge, "--yes")
    assert code == EXIT_ERROR and f"{again.mrn} was already merged into {kept.mrn}" in text


def test_a_clinician_may_not_merge_charts(clinician_sqlite, capsys, monkeypatch):
    clinic = clinician_sqlite
    kept, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03")
    again, _ = clinic.clients.register(legal_first="Dana", legal_last="Whitfield", dob="1985-02-03",
                                       allow_duplicate=True)
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    code, text = run_cli(clinic, capsys, "client", "merge", "--db", clinic.url, "--as", "clinician",
                         "--keep", kept.mrn, "--merge", again.mrn, "--yes")
    assert code == EXIT_ERROR and "merge a client registered twice into one chart" in text
