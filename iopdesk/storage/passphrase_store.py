"""The clinic passphrase kept in the operating system's keyring, where one is available.

An encrypted clinic file asks for its passphrase at start; a person may choose to have this
computer remember it (Windows Credential Manager, macOS Keychain, the Secret Service on Linux),
through the `keyring` package. The entry is named by the service "IOP Desk" and the clinic
file's resolved path, so two clinics on one computer keep two passphrases.

A keyring is a convenience, never a requirement: no backend (keyring's fail or null backend), a
locked or unreachable keyring (no D-Bus session, a refused unlock) or any other keyring error
means "not available": `stored_passphrase` returns None, `remember_passphrase` False, and the
person is asked as before. Log lines say what happened and never carry the passphrase.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

SERVICE = "IOP Desk"

log = logging.getLogger(__name__)


def _entry(db_path: str | os.PathLike) -> str:
    """The keyring user name for a clinic file: its resolved path."""
    return str(Path(os.fspath(db_path)).expanduser().resolve())


def _backend():
    """The keyring backend in use, or None when there is none that can keep a secret."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception as exc:  # an import or configuration problem of the keyring package
        log.info("OS keyring not available: %s", type(exc).__name__)
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    chained = getattr(backend, "backends", None)
    if chained is not None and not list(chained):
        return None
    return backend


def keyring_available() -> bool:
    """Whether this computer has an OS keyring that could remember the passphrase."""
    return _backend() is not None


def stored_passphrase(db_path: str | os.PathLike) -> str | None:
    """The passphrase remembered for the clinic file at `db_path`, or None (none remembered, or
    no keyring available)."""
    backend = _backend()
    if backend is None:
        return None
    try:
        value = backend.get_password(SERVICE, _entry(db_path))
    except Exception as exc:  # keyring.errors.KeyringError, a D-Bus or backend failure
        log.info("OS keyring could not be read: %s", type(exc).__name__)
        return None
    return value or None


def remember_passphrase(db_path: str | os.PathLike, passphrase: str) -> bool:
    """Keep the passphrase for the clinic file at `db_path` in the OS keyring; False when no
    keyring is available or it refused."""
    backend = _backend()
    if backend is None or not passphrase:
        return False
    try:
        backend.set_password(SERVICE, _entry(db_path), passphrase)
    except Exception as exc:
        log.info("OS keyring could not keep the clinic passphrase: %s", type(exc).__name__)
        return False
    log.info("Clinic passphrase remembered in the OS keyring")
    return True


def forget_passphrase(db_path: str | os.PathLike) -> None:
    """Remove the remembered passphrase for the clinic file at `db_path` (nothing if none)."""
    backend = _backend()
    if backend is None:
        return
    try:
        from keyring.errors import PasswordDeleteError

        try:
            backend.delete_password(SERVICE, _entry(db_path))
        except PasswordDeleteError:
            return
    except Exception as exc:
        log.info("OS keyring could not forget the clinic passphrase: %s", type(exc).__name__)
        return
    log.info("Clinic passphrase forgotten by the OS keyring")
