"""ONC 170.315(d)(7) end-user device encryption: a satellite laptop's clinic file is encrypted at
rest (SQLCipher, AES-256, key from a passphrase); without the passphrase it reveals nothing, and
its WAL and its backups are encrypted too."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import iopdesk
from iopdesk.cli.main import main as cli
from iopdesk.errors import PassphraseRequired, ValidationError
from iopdesk.storage.encryption import encrypt_clinic, encrypted_copy
from tests.conftest import ADMIN_PASSWORD

PASSPHRASE = "blue river stone 42"
NAMES = (b"Zephyrine", b"Quarrington", b"Wilhelmina", b"Oyelaran")


@pytest.fixture
def laptop_file(tmp_path, staffed_sqlite_template) -> Path:
    path = tmp_path / "laptop.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    with iopdesk.open_clinic(str(path)) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        clinic.clients.register(legal_first="Zephyrine", legal_last="Quarrington", dob="1970-02-02", sex="F")
    return path


def _no_names(path: Path) -> None:
    if path.exists():
        data = path.read_bytes()
        assert not any(name in data for name in NAMES), path.name


def test_an_encrypted_clinic_file_reveals_no_client_name(laptop_file):
    """After `encrypt`, neither the file nor the WAL of later writes holds a client's name."""
    assert b"Quarrington" in laptop_file.read_bytes()
    encrypt_clinic(laptop_file, PASSPHRASE)
    _no_names(laptop_file)
    with iopdesk.open_clinic(str(laptop_file), passphrase=PASSPHRASE) as clinic:
        clinic.login("clinician", ADMIN_PASSWORD)
        clinic.clients.register(legal_first="Wilhelmina", legal_last="Oyelaran", dob="1971-02-02", sex="F")
        _no_names(Path(str(laptop_file) + "-wal"))
        assert [c.legal_name for c in clinic.clients.search("Quarr")] == ["Zephyrine Quarrington"]
        assert clinic.check().ok
    _no_names(laptop_file)


def test_without_the_passphrase_the_clinic_does_not_open(laptop_file, monkeypatch):
    """No passphrase, or a wrong one, is refused with a message naming the passphrase."""
    monkeypatch.delenv("IOPDESK_DB_PASSPHRASE", raising=False)
    encrypt_clinic(laptop_file, PASSPHRASE)
    with pytest.raises(PassphraseRequired, match="encrypted") as missing:
        iopdesk.open_clinic(str(laptop_file))
    assert missing.value.field == "passphrase"
    with pytest.raises(PassphraseRequired, match="does not open"):
        iopdesk.open_clinic(str(laptop_file), passphrase="wrong words entirely")
    monkeypatch.setenv("IOPDESK_DB_PASSPHRASE", PASSPHRASE)
    iopdesk.open_clinic(str(laptop_file)).close()


def test_a_backup_of_an_encrypted_clinic_is_encrypted(laptop_file, tmp_path):
    """The copy made while the clinic is open holds every row and no readable name."""
    encrypt_clinic(laptop_file, PASSPHRASE)
    with iopdesk.open_clinic(str(laptop_file), passphrase=PASSPHRASE):
        counts = encrypted_copy(laptop_file, PASSPHRASE, tmp_path / "backup.sqlite")
    assert counts["client"] == 1
    _no_names(tmp_path / "backup.sqlite")
    with iopdesk.open_clinic(str(tmp_path / "backup.sqlite"), passphrase=PASSPHRASE) as copy:
        assert copy.clients.count() == 1


def test_an_encrypted_backup_restores_into_an_encrypted_clinic(laptop_file, tmp_path, monkeypatch):
    """`iopdesk restore` of an encrypted backup needs its passphrase, checks it, and writes a new
    encrypted clinic holding the client, with no readable name; a wrong passphrase writes nothing."""
    from iopdesk.backup.copies import backup_to_folder, restore_backup

    monkeypatch.delenv("IOPDESK_DB_PASSPHRASE", raising=False)
    encrypt_clinic(laptop_file, PASSPHRASE)
    with iopdesk.open_clinic(str(laptop_file), passphrase=PASSPHRASE) as clinic:
        backup = backup_to_folder(clinic, tmp_path / "backups").path
    target = tmp_path / "restored.sqlite"
    with pytest.raises(PassphraseRequired, match="^Passphrase: the backup .* is encrypted"):
        restore_backup(backup, target)
    with pytest.raises(PassphraseRequired, match="does not open the backup"):
        restore_backup(backup, target, key="wrong words entirely")
    assert not target.exists() and not list(tmp_path.glob("restored.sqlite*"))
    report = restore_backup(backup, target, key=PASSPHRASE)
    assert report.audit_events > 0
    _no_names(target)
    with iopdesk.open_clinic(str(target), passphrase=PASSPHRASE) as restored:
        restored.login("clinician", ADMIN_PASSWORD)
        assert [c.legal_name for c in restored.clients.search("Quarr")] == ["Zephyrine Quarrington"]
        assert restored.check().ok


def test_a_weak_passphrase_or_an_encrypted_file_is_refused_and_nothing_changes(laptop_file):
    """Encrypting with a short passphrase, or twice, says why and leaves the file as it was."""
    before = laptop_file.read_bytes()
    with pytest.raises(ValidationError, match="at least 12") as weak:
        encrypt_clinic(laptop_file, "short")
    assert weak.value.field == "passphrase" and laptop_file.read_bytes() == before
    encrypt_clinic(laptop_file, PASSPHRASE)
    with pytest.raises(ValidationError, match="already encrypted"):
        encrypt_clinic(laptop_file, PASSPHRASE)


def test_iopdesk_encrypt_from_the_terminal(laptop_file, monkeypatch, capsys):
    """`iopdesk encrypt` takes the passphrase from the environment and says what to keep safe."""
    monkeypatch.setenv("IOPDESK_DB_PASSPHRASE", PASSPHRASE)
    assert cli(["encrypt", "--db", str(laptop_file)]) == 0
    assert "keep it safe" in capsys.readouterr().out
    _no_names(laptop_file)
