"""The admin command line: clear one-line errors, a first admin, migrate and check."""

from __future__ import annotations

import sqlite3

import pytest

import iopdesk
from iopdesk.cli.main import main


def test_version_prints_the_program_version(capsys):
    """`iopdesk --version` names the release."""
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert iopdesk.__version__ in capsys.readouterr().out


def test_first_admin_is_created_from_the_command_line(tmp_path, monkeypatch, capsys):
    """IT creates the first admin of a new clinic; a second account needs that admin's password."""
    db = str(tmp_path / "clinic.sqlite")
    monkeypatch.setenv("IOPDESK_PASSWORD", "correct horse battery")
    assert main(["--db", db, "user", "add", "ada", "--name", "Ada Admin", "--role", "admin"]) == 0
    assert "Created ada (admin)" in capsys.readouterr().out

    assert main(["--db", db, "user", "add", "cleo", "--name", "Cleo", "--role", "clinician"]) == 2
    assert "--as ADMIN" in capsys.readouterr().err

    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", "wrong password")
    assert main(["--db", db, "user", "add", "cleo", "--name", "Cleo", "--role", "clinician", "--as", "ada"]) == 2
    assert "Wrong user name or password" in capsys.readouterr().err

    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", "correct horse battery")
    assert main(["--db", db, "user", "add", "cleo", "--name", "Cleo", "--role", "clinician", "--as", "ada"]) == 0


def test_check_passes_then_catches_a_tampered_audit_trail(tmp_path, monkeypatch, capsys):
    """`iopdesk check` exits 0 on a healthy clinic and non-zero, naming the event, after tampering."""
    db = tmp_path / "clinic.sqlite"
    monkeypatch.setenv("IOPDESK_PASSWORD", "correct horse battery")
    main(["--db", str(db), "user", "add", "ada", "--name", "Ada Admin", "--role", "admin"])
    capsys.readouterr()
    assert main(["--db", str(db), "check"]) == 0
    out = capsys.readouterr().out
    assert "storage: ok" in out and "audit trail: ok" in out

    with sqlite3.connect(db) as conn:
        conn.execute('DROP TRIGGER "audit_guard_audit_event_upd"')  # as someone with the file could
        conn.execute("UPDATE audit_event SET action = 'read' WHERE seq = 1")
    assert main(["--db", str(db), "check"]) == 3
    assert "audit event 1 was altered" in capsys.readouterr().out


def test_migrate_status_lists_applied_migrations(tmp_path, capsys):
    """`iopdesk migrate` upgrades; `--status` lists what is applied."""
    db = str(tmp_path / "clinic.sqlite")
    assert main(["--db", db, "migrate"]) == 0
    assert main(["--db", db, "migrate", "--status"]) == 0
    out = capsys.readouterr().out
    assert "[x] 0001_initial" in out and "[ ]" not in out


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--db", "mysql://x/y", "check"], "Unsupported database address"),
        (["--db", "/no/such/folder/clinic.sqlite", "check"], "No clinic database at"),
        (["--db", "postgresql://nobody@127.0.0.1:1/none", "check"], "Cannot open the clinic database"),
    ],
)
def test_bad_database_address_gives_one_clear_line(argv, message, capsys):
    """A wrong --db prints one line saying what is wrong and exits non-zero, no traceback."""
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_db_option_is_accepted_after_the_command(tmp_path, capsys):
    """`iopdesk check --db FILE` works like `iopdesk --db FILE check`."""
    db = str(tmp_path / "clinic.sqlite")
    assert main(["migrate", "--db", db]) == 0
    assert main(["check", "--db", db]) == 0
    assert "schema: ok" in capsys.readouterr().out
