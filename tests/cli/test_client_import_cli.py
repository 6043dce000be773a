"""`iopdesk import client DIR --db FILE [--trust FINGERPRINT]` (issue 19, item 3): the signer's
fingerprint is shown and must be confirmed; a refused import leaves nothing behind: no clinic
file at --db (nor its -wal or -journal, nor an audit key made for it), and an existing clinic
keeps every row it had."""

from __future__ import annotations

import sqlite3
import uuid

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import iopdesk
from iopdesk.audit import keys
from iopdesk.cli.main import main
from iopdesk.interchange.signing import signer_of
from tests.conftest import ADMIN_PASSWORD
from tests.security.forged_exports import forged, two_notes_of_one_day


@pytest.fixture
def day_record(clinic_file, tmp_path):
    """Tomasz's record (two signed notes of one day) exported from the staffed clinic: (folder, fingerprint)."""
    manifest, _ = two_notes_of_one_day(clinic_file, tmp_path / "export")
    return tmp_path / "export", manifest.signer


def _audit_keys() -> set[str]:
    folder = keys.key_file("any").parent
    return {p.name for p in folder.iterdir()} if folder.is_dir() else set()


def _nothing_at(target) -> None:
    """No clinic file at `target`, nor a temporary or a -wal/-journal/-shm of one beside it."""
    assert sorted(p.name for p in target.parent.iterdir() if target.name in p.name) == []


def test_a_new_clinic_is_made_only_once_the_signer_is_confirmed(day_record, tmp_path, capsys):
    """Without --trust the refusal shows the fingerprint and creates nothing; a wrong one likewise;
    the fingerprint read out by the exporting clinic makes the clinic and says the key is now trusted."""
    folder, fingerprint = day_record
    target = tmp_path / "arrivals.sqlite"
    known = _audit_keys()
    assert main(["import", "client", str(folder), "--db", str(target)]) == 2
    said = capsys.readouterr().err
    assert "iopdesk: Signer: this export is signed with the key" in said and fingerprint in said
    _nothing_at(target)
    wrong = signer_of(Ed25519PrivateKey.generate()).fingerprint
    assert main(["import", "client", str(folder), "--db", str(target), "--trust", wrong]) == 2
    assert f"Trust: {wrong} is not the fingerprint" in capsys.readouterr().err
    _nothing_at(target)
    assert _audit_keys() == known
    assert main(["import", "client", str(folder), "--db", str(target), "--trust", fingerprint]) == 0
    assert f"signed with the key {fingerprint} (now trusted by this clinic)" in capsys.readouterr().out
    with sqlite3.connect(target) as connection:
        assert connection.execute("SELECT count(*) FROM note").fetchone()[0] == 2
    assert main(["check", "--db", str(target)]) == 0


def test_an_import_refused_after_the_new_clinic_was_made_leaves_no_file_and_no_key(day_record, tmp_path, capsys):
    """A record whose episode names a clinician in neither the export nor the new clinic, signed by
    a key the administrator confirmed: refused while filling the new clinic, which is then removed
    with its audit key."""
    folder, _ = day_record
    forger = Ed25519PrivateKey.generate()
    forged(folder, "tables/episode.json", lambda row: row.update(primary_clinician_id=str(uuid.uuid4())), key=forger)
    target = tmp_path / "arrivals.sqlite"
    known = _audit_keys()
    assert main(["import", "client", str(folder), "--db", str(target),
                 "--trust", signer_of(forger).fingerprint]) == 2
    assert "primary_clinician_id points at a staff row" in capsys.readouterr().err
    _nothing_at(target)
    assert _audit_keys() == known


def test_a_forged_import_into_an_existing_clinic_changes_none_of_its_rows(day_record, tmp_path, capsys):
    """An existing (empty) clinic file refuses the edited export and keeps every table as it was."""
    folder, _ = day_record
    target = tmp_path / "arrivals.sqlite"
    assert main(["--db", str(target), "check"]) == 2  # no clinic there: `check` never creates one
    _nothing_at(target)
    iopdesk.open_clinic(str(target)).close()
    with sqlite3.connect(target) as connection:
        before = [connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for (n,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    forged(folder, "tables/note.json", lambda row: row.update(status="draft"), key=None)
    assert main(["import", "client", str(folder), "--db", str(target)]) == 2
    assert "Manifest: manifest.json does not match its signature" in capsys.readouterr().err
    with sqlite3.connect(target) as connection:
        after = [connection.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for (n,) in connection.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    assert after == before


def test_administrators_read_out_their_export_key_and_see_whom_they_trust(day_record, clinic_file, tmp_path,
                                                                          capsys, monkeypatch):
    """The exporting clinic's administrator reads its fingerprint from `iopdesk audit export-keys`
    (to say it over the phone); the importing clinic lists the key it confirmed, with who and when."""
    folder, fingerprint = day_record
    monkeypatch.setenv("IOPDESK_ADMIN_PASSWORD", ADMIN_PASSWORD)
    assert main(["audit", "export-keys", "--as", "admin", "--db", str(clinic_file)]) == 0
    [own] = [line for line in capsys.readouterr().out.splitlines() if line.startswith("this clinic")]
    assert fingerprint in own
    target = tmp_path / "arrivals.sqlite"
    monkeypatch.setenv("IOPDESK_PASSWORD", ADMIN_PASSWORD)
    assert main(["user", "add", "ada", "--name", "Ada Admin", "--role", "admin", "--db", str(target)]) == 0
    assert main(["import", "client", str(folder), "--as", "ada", "--db", str(target), "--trust", fingerprint]) == 0
    capsys.readouterr()
    assert main(["audit", "export-keys", "--as", "ada", "--csv", "--db", str(target)]) == 0
    rows = capsys.readouterr().out.splitlines()
    assert rows[0] == "key,clinic,fingerprint,trusted at (UTC),trusted by"
    [trusted] = [row for row in rows if row.startswith("trusted,")]
    assert fingerprint in trusted and trusted.endswith(",ada")
    assert not any(fingerprint in row for row in rows if row.startswith("this clinic"))
