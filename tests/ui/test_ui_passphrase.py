"""The passphrase dialog at start: the OS keyring opens an encrypted clinic with no prompt, a stale
remembered passphrase brings the prompt back, "Remember on this computer" appears only where a
keyring exists, and without one everything works through the prompt."""

from __future__ import annotations

import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt

from iopdesk.storage.passphrase_store import remember_passphrase, stored_passphrase
from tests.domain import test_passphrase_store as store
from ui.app import open_with_passphrase, run_app
from ui.passphrase_dialog import PassphraseDialog

PASSPHRASE = store.PASSPHRASE


def answer_with(monkeypatch, *answers):
    """Replace the dialog's exec: each call takes the next (passphrase, remember, result) answer and
    records the dialog's state; returns the list of recorded states."""
    seen = []
    queue = list(answers)

    def fake_exec(dialog):
        if not queue:
            pytest.fail("the passphrase dialog was shown once too often")
        passphrase, remember, result = queue.pop(0)
        seen.append({"problem": dialog.problem_label.text(), "checkbox": not dialog.remember_box.isHidden(),
                     "restore": not dialog.restore_button.isHidden()})
        dialog.passphrase_edit.setText(passphrase)
        dialog.remember_box.setChecked(remember)
        return result

    monkeypatch.setattr(PassphraseDialog, "exec", fake_exec)
    return seen


ACCEPT = PassphraseDialog.DialogCode.Accepted
REJECT = PassphraseDialog.DialogCode.Rejected


def test_with_the_passphrase_in_the_keyring_the_clinic_opens_with_no_prompt(qtbot, memory_keyring,
                                                                             encrypted_clinic, monkeypatch):
    """A remembered passphrase opens the clinic; the dialog is never shown."""
    remember_passphrase(encrypted_clinic, PASSPHRASE)
    seen = answer_with(monkeypatch)
    clinic = open_with_passphrase(str(encrypted_clinic))
    try:
        assert clinic is not None and clinic.check().ok
    finally:
        clinic.close()
    assert seen == []


def test_remember_on_this_computer_keeps_the_passphrase_once_it_opened_the_clinic(
        qtbot, memory_keyring, encrypted_clinic, monkeypatch):
    """A wrong passphrase is not remembered even when asked; the right one is, and opens next time."""
    seen = answer_with(monkeypatch, ("not the passphrase!", True, ACCEPT), (PASSPHRASE, True, ACCEPT))
    open_with_passphrase(str(encrypted_clinic)).close()
    assert [s["checkbox"] for s in seen] == [True, True]
    assert "does not open" in seen[1]["problem"]
    assert stored_passphrase(encrypted_clinic) == PASSPHRASE
    answer_with(monkeypatch)
    open_with_passphrase(str(encrypted_clinic)).close()


def test_a_stale_keyring_passphrase_is_forgotten_and_the_prompt_appears(qtbot, memory_keyring,
                                                                         encrypted_clinic, monkeypatch):
    """The passphrase was changed elsewhere: the old entry goes, the dialog says why and asks."""
    remember_passphrase(encrypted_clinic, "an older passphrase 2024")
    seen = answer_with(monkeypatch, (PASSPHRASE, False, ACCEPT))
    open_with_passphrase(str(encrypted_clinic)).close()
    assert len(seen) == 1 and "remembered on this computer no longer opens" in seen[0]["problem"]
    assert stored_passphrase(encrypted_clinic) is None  # not checked: not remembered again


def test_without_a_keyring_the_checkbox_is_hidden_and_the_prompt_opens_the_clinic(
        qtbot, use_keyring, encrypted_clinic, monkeypatch):
    """keyring's fail backend: no "Remember" checkbox, nothing stored, the typed passphrase works."""
    use_keyring(fail.Keyring())
    seen = answer_with(monkeypatch, (PASSPHRASE, True, ACCEPT))
    clinic = open_with_passphrase(str(encrypted_clinic))
    assert clinic is not None
    clinic.close()
    assert seen[0]["checkbox"] is False and seen[0]["restore"] is False
    assert seen[0]["problem"].endswith("is not a clinic database, or an encrypted one: enter its passphrase.")


def test_cancelling_the_prompt_exits_quietly(qtbot, restore_qapp, use_keyring, encrypted_clinic, monkeypatch):
    """Cancel at the passphrase: no clinic, the app exits with status 0."""
    use_keyring(fail.Keyring())
    answer_with(monkeypatch, ("", False, REJECT))
    assert open_with_passphrase(str(encrypted_clinic)) is None
    answer_with(monkeypatch, ("", False, REJECT))
    assert run_app(["--db", str(encrypted_clinic)]) == 0


def test_the_dialog_returns_the_typed_passphrase_and_the_remember_choice(qtbot):
    """Typing and ticking in the real dialog; a hidden checkbox never says "remember"."""
    dialog = PassphraseDialog("clinic.sqlite is not a clinic database, or an encrypted one: enter its passphrase.",
                              keyring=True)
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.passphrase_edit, PASSPHRASE)
    dialog.remember_box.setChecked(True)
    qtbot.mouseClick(dialog.open_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == ACCEPT and dialog.passphrase() == PASSPHRASE and dialog.remember()
    assert dialog.passphrase_edit.echoMode() == dialog.passphrase_edit.EchoMode.Password
    hidden = PassphraseDialog("…", keyring=False)
    qtbot.addWidget(hidden)
    hidden.remember_box.setChecked(True)
    assert hidden.remember_box.isHidden() and not hidden.remember()
    assert hidden.restore_button.isHidden()
