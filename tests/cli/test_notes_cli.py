"""`iopdesk notes naming-others`: the supervisor's list of signed notes that name another client,
at the terminal and as CSV; a clinician is refused."""

from __future__ import annotations

import csv
import io

from iopdesk.cli.main import EXIT_ERROR, main
from iopdesk.storage.db import database
from tests.cli_runs import run_cli
from tests.conftest import ADMIN_PASSWORD
from tests.domain.test_groups import admit
from tests.domain.test_name_signing import legacy_note


def test_the_list_of_notes_naming_another_client_at_the_terminal_and_as_csv(admitted_client, capsys, monkeypatch):
    """One of Marisol's notes names Jordan Blackwood: listed with MRN, date, author and the name."""
    clinic, client, _ = admitted_client
    admit(clinic, "Jordan", "Blackwood")
    note_id = legacy_note(clinic, client.id, "Rode in with Jordan Blackwood.", monkeypatch)
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    code, text = run_cli(clinic, capsys, "notes", "naming-others", "--db", clinic.url, "--as", "supervisor")
    assert code == 0 and "1 signed note(s) name another client" in text
    assert client.mrn in text and "Cleo Clinician" in text and "“Jordan Blackwood” (J.B.)" in text and note_id in text
    capsys.readouterr()
    assert main(["notes", "naming-others", "--db", clinic.url, "--as", "admin", "--csv"]) == 0
    database.initialize(clinic.db)
    out = capsys.readouterr().out
    rows = list(csv.reader(io.StringIO(out)))
    assert rows[0][:5] == ["client", "date", "type", "author", "name found"]
    assert rows[1][0] == client.mrn and rows[1][-1] == note_id and rows[1][5] == "data"
    code, text = run_cli(clinic, capsys, "notes", "naming-others", "--db", clinic.url, "--as", "clinician")
    assert code == EXIT_ERROR and "not allowed to list signed notes that name another client" in text
