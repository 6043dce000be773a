"""The clinic passphrase remembered by the OS keyring (issue 8, item 1: "or supplied by the OS keyring
where available"): an encrypted clinic opens without a prompt, a stale passphrase is forgotten, no
keyring means the prompt as before, and the passphrase never reaches a log file."""

from __future__ import annotations

import logging

import pytest
from keyring.backend import KeyringBackend
from keyring.backends import fail
from keyring.errors import KeyringLocked, PasswordDeleteError

import iopdesk
from iopdesk.errors import PassphraseRequired
from iopdesk.logs import FILE_NAME, configure_logging
from iopdesk.storage.passphrase_store import (
    SERVICE,
    forget_passphrase,
    keyring_available,
    remember_passphrase,
    stored_passphrase,
)

PASSPHRASE = "amber lantern quiet 77"


class MemoryKeyring(KeyringBackend):
    """A keyring that keeps its secrets in a dict: tests never touch the real OS keyring."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.entries.get((service, username))

    def set_password(self, service, username, password):
        self.entries[(service, username)] = password

    def delete_password(self, service, username):
        if (service, username) not in self.entries:
            raise PasswordDeleteError("no such entry")
        del self.entries[(service, username)]


class LockedKeyring(MemoryKeyring):
    """A keyring the person did not unlock: every call fails."""

    def get_password(self, service, username):
        raise KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise KeyringLocked("locked")

    def delete_password(self, service, username):
        raise KeyringLocked("locked")


def test_a_remembered_passphrase_is_kept_per_clinic_file_under_iop_desk(memory_keyring, tmp_path):
    """Remember, read back and forget, keyed by the service "IOP Desk" and the resolved file path."""
    path = tmp_path / "clinic.sqlite"
    assert keyring_available() and stored_passphrase(path) is None
    assert remember_passphrase(path, PASSPHRASE)
    assert memory_keyring.entries == {(SERVICE, str(path.resolve())): PASSPHRASE}
    assert stored_passphrase(tmp_path / "." / "clinic.sqlite") == PASSPHRASE
    assert stored_passphrase(tmp_path / "other.sqlite") is None
    forget_passphrase(path)
    forget_passphrase(path)  # forgetting twice is no error
    assert stored_passphrase(path) is None and memory_keyring.entries == {}


@pytest.mark.parametrize("backend", [fail.Keyring, LockedKeyring], ids=["no-backend", "locked"])
def test_no_keyring_or_a_locked_one_means_not_available_quietly(use_keyring, tmp_path, backend):
    """Without a usable keyring nothing is remembered and nothing fails."""
    use_keyring(backend())
    path = tmp_path / "clinic.sqlite"
    assert stored_passphrase(path) is None
    assert remember_passphrase(path, PASSPHRASE) is False
    forget_passphrase(path)
    assert keyring_available() is (backend is LockedKeyring)  # a locked keyring exists, it just refuses


def test_an_encrypted_clinic_opens_with_the_passphrase_from_the_keyring(memory_keyring, encrypted_clinic):
    """With its passphrase in the keyring the clinic opens with no passphrase given (the CLI too)."""
    with pytest.raises(PassphraseRequired):
        iopdesk.open_clinic(str(encrypted_clinic))
    remember_passphrase(encrypted_clinic, PASSPHRASE)
    with iopdesk.open_clinic(str(encrypted_clinic)) as clinic:
        assert clinic.check().ok
    from iopdesk.cli.main import main as cli

    assert cli(["--db", str(encrypted_clinic), "check"]) == 0


def test_a_stale_keyring_passphrase_is_forgotten_and_the_passphrase_asked_for(memory_keyring, encrypted_clinic):
    """A remembered passphrase that no longer opens the file is removed; the person is asked."""
    remember_passphrase(encrypted_clinic, "an older passphrase 2024")
    with pytest.raises(PassphraseRequired, match="remembered on this computer no longer opens") as err:
        iopdesk.open_clinic(str(encrypted_clinic))
    assert err.value.field == "passphrase"
    assert stored_passphrase(encrypted_clinic) is None
    iopdesk.open_clinic(str(encrypted_clinic), passphrase=PASSPHRASE).close()


def test_the_environment_and_an_explicit_passphrase_come_before_the_keyring(memory_keyring, encrypted_clinic,
                                                                              monkeypatch):
    """An explicit or $IOPDESK_DB_PASSPHRASE passphrase is used as given; the keyring entry stays."""
    remember_passphrase(encrypted_clinic, "an older passphrase 2024")
    iopdesk.open_clinic(str(encrypted_clinic), passphrase=PASSPHRASE).close()
    monkeypatch.setenv("IOPDESK_DB_PASSPHRASE", PASSPHRASE)
    iopdesk.open_clinic(str(encrypted_clinic)).close()
    assert stored_passphrase(encrypted_clinic) == "an older passphrase 2024"


def test_no_backend_leaves_the_prompt_as_before(use_keyring, encrypted_clinic):
    """Keyring's fail backend: PassphraseRequired without a passphrase, the passphrase opens it."""
    use_keyring(fail.Keyring())
    with pytest.raises(PassphraseRequired, match="or an encrypted one: enter its passphrase"):
        iopdesk.open_clinic(str(encrypted_clinic))
    iopdesk.open_clinic(str(encrypted_clinic), passphrase=PASSPHRASE).close()


def test_the_passphrase_never_reaches_a_log_file(use_keyring, encrypted_clinic, tmp_path):
    """Remembering, a stale entry, a locked keyring and opening at DEBUG level: no passphrase logged."""
    folder = tmp_path / "logs"
    levels = {name: logging.getLogger(name).level for name in ("", "iopdesk", "reports", "ui")}
    handlers = list(logging.getLogger().handlers)
    configure_logging(logging.DEBUG, folder)
    try:
        memory = use_keyring(MemoryKeyring())
        remember_passphrase(encrypted_clinic, "an older passphrase 2024")
        with pytest.raises(PassphraseRequired):
            iopdesk.open_clinic(str(encrypted_clinic))
        remember_passphrase(encrypted_clinic, PASSPHRASE)
        iopdesk.open_clinic(str(encrypted_clinic)).close()
        assert memory.entries
        use_keyring(LockedKeyring())
        assert not remember_passphrase(encrypted_clinic, PASSPHRASE)
        assert stored_passphrase(encrypted_clinic) is None
        for handler in logging.getLogger().handlers:
            handler.flush()
        text = "\n".join(p.read_text(encoding="utf-8") for p in folder.glob(FILE_NAME + "*"))
    finally:
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for handler in list(logging.getLogger().handlers):
            if handler not in handlers:
                logging.getLogger().removeHandler(handler)
                handler.close()
    assert "OS keyring" in text and "KeyringLocked" in text
    assert PASSPHRASE not in text and "an older passphrase" not in text
    for word in ("amber", "lantern"):
        assert word not in text
