"""A clinic path that holds something else stays as it was (issue 19, item 5).

Someone points `--db` at a truncated clinic (zero bytes), a picture renamed .sqlite, a CSV, a
spreadsheet or another program's SQLite database. Every command that opens a clinic refuses it
with one line saying what the file is and exits 2; the file keeps every byte, nothing is created
beside it, and no audit key is made for a clinic that does not exist. A file nobody can read
without a passphrase gets the one sentence that fits both an encrypted clinic and anything else.
"""

from __future__ import annotations

import gzip
import io
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest

from iopdesk.cli.main import main
from reports.export_cli import main as export_main
from reports.print_cli import main as print_main
from tests.conftest import ADMIN_PASSWORD


def _zip() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return buffer.getvalue()


def _sqlite_of_another_program(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE recipe (name TEXT, minutes INTEGER)")
        connection.execute("INSERT INTO recipe VALUES ('soup', 40)")
    connection.close()


def _empty_sqlite(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA user_version = 1")  # a header, no tables
    connection.close()


FILES = {
    "zero bytes": (lambda path: path.write_bytes(b""), "is an empty file (0 bytes), not a clinic database"),
    "png": (lambda path: path.write_bytes(b"\x89PNG\r\n\x1a\n" + os.urandom(3000)), "is a PNG image"),
    "jpeg": (lambda path: path.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF" + os.urandom(3000)), "is a JPEG image"),
    "pdf": (lambda path: path.write_bytes(b"%PDF-1.7\n" + os.urandom(3000)), "is a PDF document"),
    "xlsx": (lambda path: path.write_bytes(_zip()), "is a ZIP archive (an .xlsx or .docx document is one)"),
    "gzip": (lambda path: path.write_bytes(gzip.compress(os.urandom(3000))), "is a GZIP archive"),
    "csv": (lambda path: path.write_text("mrn,name\nM0001,Ray Okafor\n", encoding="utf-8"),
            "is a text file (CSV, notes or the like)"),
    "tiny": (lambda path: path.write_bytes(b"\x00\x01\x02"), "is a file of 3 bytes, too small to be a database"),
    "sqlite of another program": (_sqlite_of_another_program,
                                  "is a database of another program (1 table: recipe), not a clinic database"),
    "sqlite with no tables": (_empty_sqlite, "is an empty database (no tables), not a clinic database"),
    "unreadable bytes": (lambda path: path.write_bytes(os.urandom(8192)),
                         "is not a clinic database, or an encrypted one: enter its passphrase."),
}

COMMANDS = {
    "check": lambda db: main(["--db", db, "check"]),
    "migrate": lambda db: main(["--db", db, "migrate"]),
    "demo": lambda db: main(["--db", db, "demo", "--clients", "2", "--weeks", "1"]),
    "user add": lambda db: main(["--db", db, "user", "add", "ada", "--name", "Ada Admin", "--role", "admin"]),
    "audit": lambda db: main(["--db", db, "audit", "--as", "admin"]),
    "settings": lambda db: main(["--db", db, "settings", "show"]),
    "notes": lambda db: main(["--db", db, "notes", "naming-others", "--as", "admin"]),
    "sync status": lambda db: main(["--db", db, "sync", "status"]),
    "encrypt": lambda db: main(["--db", db, "encrypt"]),
    "backup": lambda db: main(["--db", db, "backup", "--out", str(Path(db).with_name("backup.sqlite"))]),
    "print": lambda db: print_main(["plan", "--client", "M0001", "--user", "admin", "--db", db]),
    "export": lambda db: export_main(["billing", "--from", "2026-01-01", "--to", "2026-01-31",
                                      "--user", "biller", "--db", db]),
}


@pytest.fixture
def no_key_folder(tmp_path, monkeypatch) -> Path:
    """This test's own config folder, where a new clinic's audit key would be written."""
    folder = tmp_path / "config"
    monkeypatch.setenv("XDG_CONFIG_HOME", str(folder))
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("IOPDESK_DB_PASSPHRASE", "")
    return folder


@pytest.mark.parametrize("kind", FILES)
def test_check_refuses_a_file_that_is_not_a_clinic_and_leaves_it_as_it_was(kind, tmp_path, no_key_folder, capsys):
    """`iopdesk check` on each kind of wrong file: exit 2, one line naming it, not a byte changed."""
    make, said = FILES[kind]
    path = tmp_path / "clinic.sqlite"
    make(path)
    before = path.read_bytes()
    assert main(["--db", str(path), "check"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and said in err and str(path) in err
    assert path.read_bytes() == before
    assert {p.name for p in tmp_path.iterdir()} <= {"clinic.sqlite", "config"}
    assert not no_key_folder.exists() or not list(no_key_folder.rglob("*.key"))


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_that_opens_a_clinic_refuses_a_zero_byte_file(command, tmp_path, no_key_folder, capsys):
    """A truncated clinic is never turned into a new empty one, by any command."""
    path = tmp_path / "clinic.sqlite"
    path.write_bytes(b"")
    assert COMMANDS[command](str(path)) == 2
    assert "is an empty file (0 bytes), not a clinic database" in capsys.readouterr().err
    assert path.read_bytes() == b""
    assert {p.name for p in tmp_path.iterdir()} <= {"clinic.sqlite", "config"}
    assert not no_key_folder.exists() or not list(no_key_folder.rglob("*.key"))


@pytest.mark.parametrize("command", ["check", "print", "export", "audit"])
def test_a_picture_renamed_sqlite_is_called_a_picture_not_encrypted(command, tmp_path, no_key_folder, capsys):
    path = tmp_path / "clinic.sqlite"
    FILES["png"][0](path)
    before = path.read_bytes()
    assert COMMANDS[command](str(path)) == 2
    err = capsys.readouterr().err
    assert "is a PNG image, not a clinic database" in err and "encrypted" not in err
    assert path.read_bytes() == before


@pytest.mark.parametrize("command", ["check", "audit", "settings", "notes", "sync status"])
def test_commands_that_read_a_clinic_do_not_create_one_at_a_missing_path(command, tmp_path, no_key_folder,
                                                                        capsys):
    """Only demo, the first `user add`, `server init` and the app's first start make a clinic."""
    path = tmp_path / "nothing-here.sqlite"
    assert COMMANDS[command](str(path)) == 2
    assert "No clinic database at" in capsys.readouterr().err
    assert not path.exists() and not no_key_folder.exists()


def test_a_real_clinic_still_opens(clinic_file, capsys):
    """The checks before opening do not stand in the way of a clinic file."""
    assert main(["--db", str(clinic_file), "check"]) == 0
    assert "audit trail: ok" in capsys.readouterr().out
