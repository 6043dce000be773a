"""A damaged clinic file is detected at open, never written to, and the latest good backup offered
(issue 8, item 7): a smashed header is told from an encrypted file, and the app restores the backup
into a new file next to the damaged one and opens it."""

from __future__ import annotations

import os
import shutil

import pytest
from keyring.backends import fail
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QAbstractButton, QApplication, QMessageBox

import iopdesk
from iopdesk.errors import DatabaseDamaged, PassphraseRequired
from iopdesk.models import Note
from iopdesk.storage.file_kind import is_encrypted_file, looks_like_damaged_sqlite
from tests.domain import test_passphrase_store
from tests.domain.test_backup import damage
from ui import restore_offer
from ui.app import run_app
from ui.login_dialog import LoginDialog
from ui.passphrase_dialog import RESTORE, PassphraseDialog

PASSPHRASE = test_passphrase_store.PASSPHRASE


def smash(path, start: int, length: int) -> None:
    data = bytearray(path.read_bytes())
    data[start:start + length] = bytes((i * 37 + 11) % 256 for i in range(length))
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("length", [100, 4096], ids=["header", "whole-first-page"])
def test_a_damaged_first_page_is_refused_as_damaged_naming_the_backup_not_as_encrypted(backed_up, length):
    """A plain clinic file whose header (or whole first page) is garbage is not taken for an
    encrypted one: DatabaseDamaged naming the latest good backup, and the file is not written."""
    path, backup = backed_up
    smash(path, 0, length)
    before = path.read_bytes()
    assert looks_like_damaged_sqlite(path) and not is_encrypted_file(path)
    for passphrase in (None, "a passphrase it never had"):
        with pytest.raises(DatabaseDamaged) as err:
            iopdesk.open_clinic(str(path), passphrase=passphrase)
        assert not isinstance(err.value, PassphraseRequired)
        assert err.value.backup == backup and str(backup) in str(err.value)
        assert "will not write" in str(err.value)
    assert path.read_bytes() == before


def test_a_damaged_page_in_the_middle_is_refused_naming_the_backup(backed_up):
    """quick_check finds garbage pages in the middle: DatabaseDamaged with the backup, file unchanged."""
    path, backup = backed_up
    damage(path, pages=(4, 5, 6))
    before = path.read_bytes()
    with pytest.raises(DatabaseDamaged) as err:
        iopdesk.open_clinic(str(path), create=False)
    assert err.value.backup == backup and path.read_bytes() == before


def test_an_encrypted_clinic_is_still_recognised_as_encrypted(tmp_path, staffed_sqlite_template, use_keyring):
    """SQLCipher leaves no structure: the file is encrypted, the passphrase is asked for and opens it;
    random bytes are not taken for a damaged SQLite file either."""
    pytest.importorskip("sqlcipher3")
    from iopdesk.storage.encryption import encrypt_clinic

    use_keyring(fail.Keyring())
    path = tmp_path / "laptop.sqlite"
    shutil.copyfile(staffed_sqlite_template, path)
    encrypt_clinic(path, PASSPHRASE)
    assert is_encrypted_file(path) and not looks_like_damaged_sqlite(path)
    with pytest.raises(PassphraseRequired):
        iopdesk.open_clinic(str(path))
    iopdesk.open_clinic(str(path), passphrase=PASSPHRASE).close()
    noise = tmp_path / "noise.bin"
    for size in (4096, 65536, 600_000):
        noise.write_bytes(os.urandom(size))
        assert not looks_like_damaged_sqlite(noise)


def click_in_message_box(name: str, seen: list) -> None:
    """When a modal message box shows, record its texts, screenshot it, and click its button `name`."""
    def poll():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append((box.windowTitle(), box.text(), box.informativeText()))
            if os.environ.get("IOPDESK_SCREENSHOTS"):
                box.grab().save(os.path.join(os.environ["IOPDESK_SCREENSHOTS"], "damaged-clinic-offer.png"))
            box.findChild(QAbstractButton, name).click()
        else:
            QTimer.singleShot(20, poll)

    QTimer.singleShot(20, poll)


class SignInSeen:
    """Stands in for the sign-in dialog: records which clinic it was shown for and cancels."""

    shown: list = []
    DialogCode = LoginDialog.DialogCode

    def __init__(self, clinic, *args, **kwargs) -> None:
        SignInSeen.shown.append((str(clinic.db.database), Note.select().count()))

    def exec(self):
        return LoginDialog.DialogCode.Rejected


@pytest.fixture
def sign_in(monkeypatch):
    SignInSeen.shown = []
    monkeypatch.setattr("ui.app.LoginDialog", SignInSeen)
    return SignInSeen.shown


@pytest.fixture
def told(monkeypatch, restore_qapp):
    messages = []
    monkeypatch.setattr(QMessageBox, "information", lambda parent, title, text: messages.append(("info", text)))
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: messages.append(("critical", text)))
    return messages


def test_the_app_restores_the_latest_backup_into_a_new_file_and_opens_it(qtbot, backed_up, sign_in, told):
    """At start the damaged file is refused and the backup offered; restoring writes a new
    <name>-restored-… file with the backup's notes, opens it for sign-in, and the damaged file's
    bytes are unchanged."""
    path, backup = backed_up
    smash(path, 0, 100)
    before = path.read_bytes()
    offers = []
    click_in_message_box("restoreBackup", offers)
    assert run_app(["--db", str(path)]) == 0  # the stand-in sign-in cancels
    assert offers and offers[0][0] == "Clinic file damaged" and str(path) in offers[0][1]
    restored = [p for p in path.parent.glob("clinic-restored-*.sqlite")]
    assert len(restored) == 1
    assert sign_in == [(str(restored[0]), 1)]  # the backup held one note; the later one is lost
    assert told[0][0] == "info" and str(restored[0]) in told[0][1] and "untouched" in told[0][1]
    assert path.read_bytes() == before
    with iopdesk.open_clinic(str(restored[0]), create=False) as clinic:
        assert clinic.check().ok and Note.select().count() == 1


def test_quitting_the_offer_leaves_everything_as_it_was(qtbot, backed_up, sign_in, told):
    """Quit: exit status 2, no restored file, nothing written to the damaged file."""
    path, _ = backed_up
    damage(path, pages=(4, 5, 6))
    before = path.read_bytes()
    offers = []
    click_in_message_box("quit", offers)
    assert run_app(["--db", str(path)]) == 2
    assert offers and not list(path.parent.glob("*restored*")) and not sign_in
    assert path.read_bytes() == before


def test_a_failed_restore_says_why_and_exits_with_status_2(qtbot, backed_up, sign_in, told, monkeypatch):
    """The backup turns out damaged while restoring: a clear message, exit status 2, no sign-in."""
    path, backup = backed_up
    damage(path, pages=(4, 5, 6))

    def broken(file, target, **kwargs):
        raise DatabaseDamaged(f"The backup {file} is damaged (page 3); choose an older backup.")

    monkeypatch.setattr(restore_offer, "restore_backup", broken)
    click_in_message_box("restoreBackup", [])
    assert run_app(["--db", str(path)]) == 2
    assert told and told[-1][0] == "critical" and "could not be restored" in told[-1][1]
    assert str(backup) in told[-1][1] and "untouched" in told[-1][1] and not sign_in


def test_when_no_passphrase_works_the_passphrase_dialog_offers_the_backup(qtbot, backed_up, sign_in, told,
                                                                         use_keyring, monkeypatch):
    """A file that only looks encrypted: after a wrong passphrase the dialog offers the latest plain
    backup; choosing it restores into a new file and opens it without a second question."""
    pytest.importorskip("sqlcipher3")
    from iopdesk.storage.encryption import encrypt_clinic

    use_keyring(fail.Keyring())
    path, _ = backed_up
    encrypt_clinic(path, PASSPHRASE)  # stands for a file whose every byte is garbage
    before = path.read_bytes()
    seen = []

    def fake_exec(dialog):
        seen.append(not dialog.restore_button.isHidden())
        if len(seen) == 1:
            dialog.passphrase_edit.setText("the passphrase I always use")
            return PassphraseDialog.DialogCode.Accepted
        return RESTORE

    monkeypatch.setattr(PassphraseDialog, "exec", fake_exec)
    monkeypatch.setattr(restore_offer, "ask_restore", lambda *a, **k: pytest.fail("asked twice"))
    assert run_app(["--db", str(path)]) == 0
    assert seen == [False, True]
    restored = list(path.parent.glob("clinic-restored-*.sqlite"))
    assert len(restored) == 1 and sign_in == [(str(restored[0]), 1)]
    assert path.read_bytes() == before
