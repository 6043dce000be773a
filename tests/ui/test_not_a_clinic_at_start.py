"""Starting the app on a path that holds something else (issue 19, item 5): a zero-byte file or a
picture renamed .sqlite is told in one message box and the app exits 2, never making a new empty
clinic there; a file nobody can read without a passphrase asks for it with the one sentence that
fits both an encrypted clinic and anything else. The file keeps every byte either way."""

from __future__ import annotations

import os

import pytest
from PySide6.QtWidgets import QMessageBox

from ui.app import run_app
from ui.passphrase_dialog import PassphraseDialog


@pytest.fixture
def refusals_shown(monkeypatch, tmp_path) -> list[tuple[str, str]]:
    """The message boxes the app shows (title, text), and this test's own config folder (where a
    new clinic's audit key would go)."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    shown: list[tuple[str, str]] = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    return shown


@pytest.mark.parametrize(("content", "said"), [
    (b"", "is an empty file (0 bytes), not a clinic database"),
    (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 8, "is a PNG image, not a clinic database"),
], ids=["zero-bytes", "png"])
def test_the_app_refuses_a_file_that_is_not_a_clinic_and_creates_nothing(qtbot, tmp_path, refusals_shown, content, said):
    path = tmp_path / "clinic.sqlite"
    path.write_bytes(content)
    assert run_app(["--db", str(path)]) == 2
    assert len(refusals_shown) == 1 and said in refusals_shown[0][1] and str(path) in refusals_shown[0][1]
    assert path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.sqlite"]


def test_an_unreadable_file_asks_for_a_passphrase_in_words_that_fit_both(qtbot, tmp_path, refusals_shown, monkeypatch):
    path = tmp_path / "clinic.sqlite"
    content = os.urandom(8192)
    path.write_bytes(content)
    problems = []

    def cancel(dialog):
        problems.append(dialog.problem_label.text())
        return PassphraseDialog.DialogCode.Rejected

    monkeypatch.setattr(PassphraseDialog, "exec", cancel)
    assert run_app(["--db", str(path)]) == 0
    assert problems == [f"{path} is not a clinic database, or an encrypted one: enter its passphrase."]
    assert refusals_shown == [] and path.read_bytes() == content
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clinic.sqlite"]
