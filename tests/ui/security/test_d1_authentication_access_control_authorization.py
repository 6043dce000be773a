"""ONC 170.315(d)(1) on screen: a user changes their own password from the File menu. The domain's
side of (d)(1) is tests/security/test_d1_authentication_access_control_authorization.py; this part
needs Qt, so it runs with the widget tests."""

from __future__ import annotations

from tests.conftest import ADMIN_PASSWORD
from tests.security.test_d1_authentication_access_control_authorization import NEW_PASSWORD


def test_change_password_dialog_from_the_file_menu(qtbot, sqlite_clinic, tmp_path):
    """File ▸ Change Password… opens the dialog; a mismatch and a weak password are told under the
    fields; a good one is saved."""
    import os
    from pathlib import Path

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QDialog

    from ui.main_window import MainWindow
    from ui.password_dialog import ChangePasswordDialog

    clinic = sqlite_clinic
    clinic.users.add("admin", ADMIN_PASSWORD, display_name="Ada Admin", roles=["admin"])
    clinic.login("admin", ADMIN_PASSWORD)
    window = MainWindow(clinic, settings=QSettings(str(tmp_path / "ui.ini"), QSettings.Format.IniFormat))
    qtbot.addWidget(window)
    action = window.findChild(type(window.lock_action), "changePasswordAction")
    assert action is not None and "Password" in action.text()

    dialog = ChangePasswordDialog(clinic, window)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.old_edit, ADMIN_PASSWORD)
    qtbot.keyClicks(dialog.new_edit, NEW_PASSWORD)
    qtbot.keyClicks(dialog.confirm_edit, NEW_PASSWORD + "x")
    dialog.change()
    assert dialog.error_label.text().startswith("New password again:")
    dialog.confirm_edit.clear()
    dialog.new_edit.clear()
    qtbot.keyClicks(dialog.new_edit, "Password1234")
    qtbot.keyClicks(dialog.confirm_edit, "Password1234")
    dialog.change()
    assert "commonly used" in dialog.error_label.text()
    folder = Path(os.environ.get("IOPDESK_SHOTS", tmp_path))
    folder.mkdir(parents=True, exist_ok=True)
    dialog.resize(620, 320)
    assert dialog.grab().save(str(folder / "password_dialog.png"))
    for edit in (dialog.new_edit, dialog.confirm_edit):
        edit.clear()
        qtbot.keyClicks(edit, NEW_PASSWORD)
    dialog.change()
    assert dialog.result() == QDialog.DialogCode.Accepted
    window.idle_lock.stop()
    clinic.logout()
    assert clinic.login("admin", NEW_PASSWORD).username == "admin"
