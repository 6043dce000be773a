"""The idle lock: after minutes without keyboard or mouse input (or on Ctrl+L) the workstation
hides every client's data until the same person types their password again. Ctrl+L locks
from any window of the application.

`IdleLock` watches the whole application's input through an event filter and restarts a timer on
each key, click, wheel or mouse move. Locking switches the main window's frame to a
`LockScreenWidget` (so every page widget is hidden), hides the other top-level windows (chart and
session windows, dialogs) and remembers which were open; unlocking with the signed-in user's
password shows them again and returns to the same page with the same focus. "Sign in as someone
else" signs the first person out and hands over to the `LoginDialog`; their drafts are already
in the database, so their windows are closed rather than shown to the next person.
"""

from __future__ import annotations

import time

import shiboken6
from PySide6.QtCore import QEvent, QKeyCombination, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import IopDeskError
from ui.login_dialog import LoginDialog
from ui.operations import user_message

INPUT_EVENTS = frozenset({
    QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.MouseMove,
    QEvent.Type.Wheel, QEvent.Type.TouchBegin, QEvent.Type.ShortcutOverride,
})
LOCK_KEYS = QKeyCombination(Qt.KeyboardModifier.ControlModifier, Qt.Key.Key_L)


class LockScreenWidget(QWidget):
    """The locked screen: who is signed in, a password field, Unlock and Sign in as someone else."""

    unlock_requested = Signal(str)
    switch_user_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("lockScreen")
        self.setAccessibleName(self.tr("Locked"))
        panel = QFrame(objectName="lockPanel")
        panel.setFrameShape(QFrame.Shape.StyledPanel)
        title = QLabel(self.tr("IOP Desk is locked"), objectName="pageTitle")
        self.who_label = QLabel(objectName="lockUser")
        self.who_label.setWordWrap(True)
        hint = QLabel(self.tr("Client information is hidden. Type your password to continue where "
                              "you left off."), objectName="hint")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.password_edit = QLineEdit(objectName="lockPassword")
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setAccessibleName(self.tr("Password"))
        password_label = QLabel(self.tr("&Password:"))
        password_label.setBuddy(self.password_edit)
        self.error_label = QLabel(objectName="fieldError")
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Unlock problem"))
        self.error_label.hide()
        self.unlock_button = QPushButton(self.tr("Unlock"), objectName="unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.setAccessibleName(self.tr("Unlock"))
        self.switch_button = QPushButton(self.tr("Sign in as someone else…"), objectName="switchUser")
        self.switch_button.setAccessibleName(self.tr("Sign in as someone else"))

        self.password_edit.returnPressed.connect(self._submit)
        self.unlock_button.clicked.connect(self._submit)
        self.switch_button.clicked.connect(self.switch_user_requested)

        box = QVBoxLayout(panel)
        box.setContentsMargins(28, 24, 28, 24)
        box.setSpacing(12)
        box.addWidget(title)
        box.addWidget(self.who_label)
        box.addWidget(hint)
        box.addWidget(password_label)
        box.addWidget(self.password_edit)
        box.addWidget(self.error_label)
        buttons = QHBoxLayout()
        buttons.addWidget(self.switch_button)
        buttons.addStretch(1)
        buttons.addWidget(self.unlock_button)
        box.addLayout(buttons)
        panel.setMaximumWidth(self.fontMetrics().averageCharWidth() * 70)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(panel, 3)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.setTabOrder(self.password_edit, self.unlock_button)
        self.setTabOrder(self.unlock_button, self.switch_button)

    def prepare(self, display_name: str, username: str) -> None:
        self.who_label.setText(self.tr("Signed in as {name} ({username})").format(
            name=display_name, username=username))
        self.password_edit.clear()
        self.error_label.hide()
        self.password_edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.show()
        self.password_edit.clear()
        self.password_edit.setFocus()

    def _submit(self) -> None:
        self.unlock_requested.emit(self.password_edit.text())


class IdleLock(QObject):
    """Locks `window` after `timeout_ms` without input; `window` provides `frame` (a
    QStackedWidget with the workspace), `set_locked(bool)` and `signed_in(dialog)`. The time is
    the clinic's `clinic.settings.idle_lock_minutes()` (ONC §170.315(d)(5) automatic access
    time-out, 1 to 30 minutes), never a value from the user's own settings file."""

    locked = Signal()
    unlocked = Signal()
    signed_out = Signal()

    def __init__(self, window, clinic: Clinic, timeout_ms: int) -> None:
        super().__init__(window)
        self.window = window
        self.clinic = clinic
        self.screen = LockScreenWidget()
        window.frame.addWidget(self.screen)
        self.screen.unlock_requested.connect(self.try_unlock)
        self.screen.switch_user_requested.connect(self.switch_user)
        self._is_locked = False
        self._workspace: QWidget | None = None
        self._focus: QWidget | None = None
        self._hidden: list[QWidget] = []
        self._last_restart = 0.0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.lock)
        self.set_timeout_ms(timeout_ms)
        QApplication.instance().installEventFilter(self)

    def set_timeout_ms(self, timeout_ms: int) -> None:
        """Lock after `timeout_ms` without input from now on (the clinic's setting, read at sign-in
        and when an administrator changes it); the idle time starts again unless locked."""
        self.timeout_ms = max(1, int(timeout_ms))
        # Restarting the timer on every mouse move is wasteful; once per this many seconds is enough.
        self._throttle = min(1.0, self.timeout_ms / 10000)
        self.timer.setInterval(self.timeout_ms)
        if not self._is_locked:
            self.timer.start()

    @property
    def is_locked(self) -> bool:
        return self._is_locked

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self._is_locked:
            return False
        if (event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent)
                and event.keyCombination() == LOCK_KEYS and isinstance(watched, QWidget)
                and watched.window() is not self.window):
            # Ctrl+L in a chart or session window locks too (the main window has its own action).
            self.lock()
            return True
        if event.type() in INPUT_EVENTS:
            now = time.monotonic()
            if now - self._last_restart >= self._throttle:
                self._last_restart = now
                self.timer.start()
        return False

    def stop(self) -> None:
        """Stop watching (the window is closing)."""
        self.timer.stop()
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)

    # -- locking ---------------------------------------------------------------------------
    def lock(self) -> None:
        """Hide all client data behind the lock screen (nothing happens if already locked)."""
        if self._is_locked:
            return
        self._is_locked = True
        self.timer.stop()
        self._focus = QApplication.focusWidget()
        self._workspace = self.window.frame.currentWidget()
        self._hidden = []
        for widget in QApplication.topLevelWidgets():
            if widget is self.window or not widget.isVisible():
                continue
            widget.hide()
            if widget.windowType() not in (Qt.WindowType.ToolTip, Qt.WindowType.Popup):
                self._hidden.append(widget)
        self.window.frame.setCurrentWidget(self.screen)
        self.window.set_locked(True)
        actor = self.clinic.actor
        self.screen.prepare(actor.display_name, actor.username)
        self.locked.emit()

    def try_unlock(self, password: str) -> bool:
        """Unlock if `password` is the signed-in user's; otherwise say why and stay locked."""
        if not self._is_locked:
            return True
        try:
            self.clinic.users.login(self.clinic.actor.username, password)
        except IopDeskError as error:
            self.screen.show_error(user_message(error))
            return False
        self._unlock(restore=True)
        return True

    def _unlock(self, restore: bool) -> None:
        self._is_locked = False
        self.window.frame.setCurrentWidget(self._workspace or self.window.frame.widget(0))
        self.window.set_locked(False)
        hidden, self._hidden = self._hidden, []
        for widget in hidden:
            if not shiboken6.isValid(widget):
                continue
            if restore:
                widget.show()
            else:
                widget.close()
        focus, self._focus = self._focus, None
        if restore and focus is not None and shiboken6.isValid(focus):
            focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self.screen.password_edit.clear()
        self._last_restart = time.monotonic()
        self.timer.start()
        self.unlocked.emit()

    def switch_user(self) -> None:
        """Sign the locked-out person out and let someone else sign in; cancel signs out for good."""
        self.clinic.logout()
        dialog = LoginDialog(self.clinic, self.window)
        if dialog.exec() != LoginDialog.DialogCode.Accepted:
            self.signed_out.emit()
            return
        self._unlock(restore=False)
        self.window.signed_in(dialog)
