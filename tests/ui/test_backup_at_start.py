"""A damaged clinic file at start: the app refuses it and offers the latest good backup."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from iopdesk.backup.copies import backup_to_folder
from tests.domain.test_backup import damage
from ui.app import run_app


def test_the_app_refuses_a_damaged_clinic_and_names_the_backup_to_restore(qtbot, restore_qapp, sqlite_clinic,
                                                                            tmp_path, monkeypatch):
    """Starting on a damaged clinic file shows one message naming the latest good backup and how to
    restore it; the app exits without writing to the file."""
    monkeypatch.setattr("iopdesk.paths.data_dir", lambda: tmp_path / "userdata")
    from iopdesk.paths import backup_dir

    good = backup_to_folder(sqlite_clinic, backup_dir()).path
    sqlite_clinic.close()
    path = tmp_path / "clinic.sqlite"
    damage(path, pages=(5, 6, 7))
    before = path.read_bytes()
    shown = []
    monkeypatch.setattr(QMessageBox, "critical", lambda parent, title, text: shown.append((title, text)))
    monkeypatch.setattr("ui.restore_offer.ask_restore",
                        lambda damage, damaged_path, parent=None: shown.append(("offer", str(damage))) and False)
    assert run_app(["--db", str(path)]) == 2  # the person chose Quit in the offer to restore
    assert shown and "damaged" in shown[0][1] and str(good) in shown[0][1] and "iopdesk restore" in shown[0][1]
    assert path.read_bytes() == before
