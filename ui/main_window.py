"""The IOP Desk main window: a section list on the left, the chosen section on the right.

Sections are Today (the signed-in clinician's caseload), Clients, Groups, Billing and Admin
(site sync and its conflicts); Ctrl+1…5 switch between them and Ctrl+F goes to the
client search. The window owns the `Operations` (`window.ops`) every page shares, an `IdleLock`
that hides client data after the clinic's idle-lock minutes or on Ctrl+L, and a status bar naming the signed-in
user, their previous sign-in, the site and the database, and (where the clinic syncs) the sync
status, which opens Admin when clicked. It remembers its size and place per user through
`ui.settings`. Every screen writes times in the clinic's format (`ui.dates.follow_clinic`), read
when the window opens and again when an administrator changes it. Every section but Today is
imported and built the first time it is shown (start-up stays fast on a large clinic); while a
page's module is missing the section shows a "coming" placeholder instead.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from ui.audit_alarm import install_audit_alarm
from ui.backup_schedule import BackupSchedule
from ui.dates import follow_clinic, stamp_text
from ui.icons import app_icon
from ui.idle_lock import IdleLock
from ui.operations import Operations
from ui.server_connection import ServerBanner
from ui.settings import forget_idle_minutes, ui_settings
from ui.sync_status import SyncStatusLabel
from ui.today_page import TodayPage

SECTIONS = ("today", "clients", "groups", "billing", "admin")
GEOMETRY_KEY = "main_window/geometry"
CHART_TABS = {"note": "notes", "plan": "plan", "consent": "consents", "alert": "overview"}


def make_clients_page(clinic: Clinic, ops: Operations, settings: QSettings) -> QWidget | None:
    """The Clients page, or None while `ui.clients_page` does not exist yet."""
    try:
        from ui.clients_page import ClientsPage
    except ImportError as error:
        if error.name not in ("ui.clients_page", __package__ + ".clients_page"):
            raise
        return None
    return ClientsPage(clinic, ops, settings=settings)


def make_groups_page(clinic: Clinic, ops: Operations) -> QWidget | None:
    """The Groups page, or None while `ui.groups_page` does not exist yet."""
    try:
        from ui.groups_page import GroupsPage
    except ImportError as error:
        if error.name not in ("ui.groups_page", __package__ + ".groups_page"):
            raise
        return None
    return GroupsPage(clinic, ops)


def make_billing_page(clinic: Clinic, ops: Operations) -> QWidget | None:
    """The Billing page, or None while `ui.billing_page` does not exist yet."""
    try:
        from ui.billing_page import BillingPage
    except ImportError as error:
        if error.name not in ("ui.billing_page", __package__ + ".billing_page"):
            raise
        return None
    return BillingPage(clinic, ops) if hasattr(clinic, "billing") else None


def make_admin_page(clinic: Clinic, ops: Operations, settings: QSettings) -> QWidget | None:
    """The Admin page (site sync and conflicts), or None while the clinic has no sync service."""
    from ui.admin_page import AdminPage

    return AdminPage(clinic, ops, settings) if hasattr(clinic, "sync") else None


class MainWindow(QMainWindow):
    """The workstation's one main window, bound to an open clinic and its signed-in user."""

    def __init__(self, clinic: Clinic, settings: QSettings | None = None,
                 parent: QWidget | None = None, *, previous_login: dt.datetime | None = None,
                 idle_ms: int | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.settings = settings if settings is not None else ui_settings()
        self.ops = Operations(self)
        self.info = clinic.info()
        follow_clinic(clinic)  # before any page writes a time
        self.ops.changes_applied.connect(self._settings_changed)
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("IOP Desk — {clinic}").format(clinic=self.info.clinic_name))
        self.setWindowIcon(app_icon())

        self.titles = {
            "today": self.tr("Today"),
            "clients": self.tr("Clients"),
            "groups": self.tr("Groups"),
            "billing": self.tr("Billing"),
            "admin": self.tr("Admin"),
        }
        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setAccessibleName(self.tr("Sections"))
        self.navigation.setAccessibleDescription(self.tr("Choose the part of IOP Desk to work in"))
        self.navigation.setMaximumWidth(self.fontMetrics().averageCharWidth() * 28)
        self.navigation.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Expanding)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for key in SECTIONS:
            item = QListWidgetItem(self.titles[key], self.navigation)
            item.setData(Qt.ItemDataRole.UserRole, key)
        self.pages = QStackedWidget(objectName="pages")
        self.pages.setAccessibleName(self.tr("Current section"))
        self._build_pages()
        self.navigation.currentRowChanged.connect(self._show_section)

        workspace = QWidget(objectName="workspace")
        column = QVBoxLayout(workspace)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(0)
        self.server_banner = ServerBanner(parent=workspace)  # shown while the clinic server is away
        column.addWidget(self.server_banner)
        layout = QHBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.pages, 1)
        column.addLayout(layout, 1)
        self.frame = QStackedWidget(objectName="frame")
        self.frame.addWidget(workspace)
        self.setCentralWidget(self.frame)

        self._build_menus()
        self._build_status_bar()
        install_audit_alarm(self)
        self.show_signed_in(previous_login)

        forget_idle_minutes(self.settings)
        self._idle_ms = idle_ms  # a test's own idle time; otherwise the clinic's setting
        self.idle_lock = IdleLock(self, clinic, self._idle_lock_ms())
        self.idle_lock.signed_out.connect(self.close)
        self.idle_lock.unlocked.connect(self._follow_idle_lock_setting)
        self.backup_schedule = BackupSchedule(self, clinic)  # every 24 h, and at sign-out if stale

        self.navigation.setCurrentRow(0)
        self.navigation.setFocus()
        self._restore_geometry()

    def _settings_changed(self, changes) -> None:
        """An administrator set a program rule: times are written, and the workstation locks, as
        it now says."""
        if changes.touches("settings"):
            follow_clinic(self.clinic)
            self._follow_idle_lock_setting()

    def _idle_lock_ms(self) -> int:
        if self._idle_ms is not None:
            return self._idle_ms
        return self.clinic.settings.idle_lock_minutes() * 60_000

    def _follow_idle_lock_setting(self) -> None:
        """Read the clinic's idle-lock minutes again: at sign-in (and unlock, which is one), and
        when an administrator changes them, so a change made elsewhere arrives by the next unlock."""
        self.idle_lock.set_timeout_ms(self._idle_lock_ms())

    # -- pages ---------------------------------------------------------------------------
    def _build_pages(self) -> None:
        """(Re)create the pages for the signed-in user; a new user gets fresh pages.

        Today and the section on show are built now; every other section is built the first
        time it is shown (or asked for through `page`), so start-up neither imports nor fills
        pages nobody has opened yet (the Groups page alone costs about half a second)."""
        current = max(self.pages.currentIndex(), 0)
        while self.pages.count():
            old = self.pages.widget(0)
            self.pages.removeWidget(old)
            old.deleteLater()
        self.today_page = TodayPage(self.clinic, self.ops)
        self.today_page.open_target.connect(self.open_target)
        self._built = {"today"}
        for key in SECTIONS:
            page = self.today_page if key == "today" else QWidget()
            page.setObjectName(f"{key}Page")
            page.setAccessibleName(self.titles[key])
            self.pages.addWidget(page)
        self._ensure_page(SECTIONS[current])
        self.pages.setCurrentIndex(current)

    def _ensure_page(self, key: str) -> QWidget:
        """The page of section `key`, built (in place of its empty stand-in) on first use."""
        index = SECTIONS.index(key)
        if key in self._built:
            return self.pages.widget(index)
        builders = {
            "clients": lambda: make_clients_page(self.clinic, self.ops, self.settings),
            "groups": lambda: make_groups_page(self.clinic, self.ops),
            "billing": lambda: make_billing_page(self.clinic, self.ops),
            "admin": lambda: make_admin_page(self.clinic, self.ops, self.settings),
        }
        page = builders[key]() or self._build_pending_page(self.titles[key])
        page.setObjectName(f"{key}Page")
        page.setAccessibleName(self.titles[key])
        self._built.add(key)
        shown = self.pages.currentIndex() == index
        stand_in = self.pages.widget(index)
        self.pages.insertWidget(index, page)
        self.pages.removeWidget(stand_in)
        stand_in.deleteLater()
        if shown:
            self.pages.setCurrentIndex(index)
        return page

    def _build_pending_page(self, title: str) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(32, 28, 32, 24)
        outer.setSpacing(12)
        label = QLabel(title, objectName="pageTitle")
        label.setAccessibleName(title)
        outer.addWidget(label)
        hint = QLabel(self.tr("This section is coming in the workstation release."), objectName="hint")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        outer.addWidget(hint)
        outer.addStretch(1)
        return page

    def page(self, key: str) -> QWidget:
        """The page of section `key` (built now if it was not yet)."""
        return self._ensure_page(key)

    def _show_section(self, row: int) -> None:
        if row >= 0:
            self._ensure_page(SECTIONS[row])
            self.pages.setCurrentIndex(row)

    def show_section(self, key: str) -> None:
        """Switch to a section by its key ("today", "clients", …)."""
        self.navigation.setCurrentRow(SECTIONS.index(key))

    def current_section(self) -> str:
        return SECTIONS[self.pages.currentIndex()]

    def find_client(self) -> None:
        """Ctrl+F: go to Clients and put the cursor in its search."""
        self.show_section("clients")
        page = self.page("clients")
        if hasattr(page, "focus_search"):
            page.focus_search()

    def open_target(self, target: str) -> None:
        """Open where a Today item's work is done: a client's chart, a group session, or Admin (sync)."""
        kind, _, rest = target.partition(":")
        if kind == "admin":
            self.show_section("admin")
            return
        if kind == "session":
            groups = self.page("groups")
            if hasattr(groups, "open_session"):
                groups.open_session(rest)
            return
        client_id = self.today_page.client_for(target)
        clients = self.page("clients")
        if client_id is None or not hasattr(clients, "open_chart"):
            return
        tab = rest.split("/", 1)[1] if kind == "client" and "/" in rest else CHART_TABS.get(kind)
        clients.open_chart(client_id, tab=tab)

    # -- menus ---------------------------------------------------------------------------
    def _build_menus(self) -> None:
        self.lockable_actions: list[QAction] = []
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        self.lock_action = QAction(self.tr("&Lock"), self, objectName="lockAction")
        self.lock_action.setShortcut(QKeySequence("Ctrl+L"))
        self.lock_action.setStatusTip(self.tr("Hide client information until you type your password"))
        self.lock_action.triggered.connect(self.lock)
        file_menu.addAction(self.lock_action)
        self.lockable_actions.append(self.lock_action)
        password_action = QAction(self.tr("Change &Password…"), self, objectName="changePasswordAction")
        password_action.triggered.connect(self.change_password)
        file_menu.addAction(password_action)
        self.lockable_actions.append(password_action)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu(self.tr("&Go"))
        for number, key in enumerate(SECTIONS, start=1):
            action = QAction(self.titles[key], self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, k=key: self.show_section(k))
            go_menu.addAction(action)
            self.lockable_actions.append(action)
        go_menu.addSeparator()
        find_action = QAction(self.tr("&Find Client…"), self, objectName="findClientAction")
        find_action.setShortcut(QKeySequence.StandardKey.Find)
        find_action.triggered.connect(self.find_client)
        go_menu.addAction(find_action)
        self.lockable_actions.append(find_action)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about_action = QAction(self.tr("&About IOP Desk"), self, objectName="aboutAction")
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self._show_about)
        help_menu.addAction(about_action)

    def change_password(self) -> None:
        """File ▸ Change Password…: the signed-in user sets a new password (ui/password_dialog.py)."""
        from ui.password_dialog import ChangePasswordDialog

        if not self.clinic.actor.is_system:
            ChangePasswordDialog(self.clinic, self).exec()

    def _show_about(self) -> None:
        """Help ▸ About IOP Desk: version, database and schema, folders (ui/about_dialog.py)."""
        from ui.about_dialog import AboutDialog

        dialog = AboutDialog(self.clinic, self)
        dialog.exec()
        dialog.deleteLater()

    # -- status bar and signing in -------------------------------------------------------
    def _build_status_bar(self) -> None:
        self.user_label = QLabel(objectName="userText")
        self.user_label.setAccessibleName(self.tr("Signed-in user"))
        self.last_login_label = QLabel(objectName="lastLoginText")
        self.last_login_label.setAccessibleName(self.tr("Previous sign-in"))
        self.status_label = QLabel(objectName="statusText")
        self.status_label.setText(self.tr("Site: {site} ({code}) · Database: {database}").format(
            site=self.info.site_name, code=self.info.site_code, database=self.info.database))
        self.status_label.setAccessibleName(self.tr("Site and database"))
        self.status_label.setToolTip(self.status_label.text())
        # A long database path must not force a wide window; the tooltip has the full text.
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.user_label)
        self.statusBar().addWidget(self.last_login_label)
        self.statusBar().addWidget(self.status_label, 1)
        self.sync_status_label = SyncStatusLabel(self.clinic, self.ops, self.statusBar())
        self.sync_status_label.admin_requested.connect(lambda: self.show_section("admin"))
        self.statusBar().addPermanentWidget(self.sync_status_label)

    def show_signed_in(self, previous_login: dt.datetime | None) -> None:
        """Name the signed-in user (and roles) and when they last signed in, in the status bar."""
        actor = self.clinic.actor
        roles = ", ".join(sorted(actor.roles)) or self.tr("no role")
        if actor.is_system:
            self.user_label.setText(self.tr("Not signed in"))
        else:
            self.user_label.setText(self.tr("{name} ({roles})").format(name=actor.display_name,
                                                                      roles=roles))
        if previous_login is None:
            self.last_login_label.setText(self.tr("Last sign-in: never") if not actor.is_system else "")
        else:
            self.last_login_label.setText(self.tr("Last sign-in: {when}").format(when=stamp_text(previous_login)))

    def signed_in(self, dialog) -> None:
        """Someone else signed in from the lock screen: fresh pages and status for them."""
        self._build_pages()
        self.show_signed_in(dialog.previous_login)
        self.show_section("today")
        self._follow_idle_lock_setting()

    # -- locking -------------------------------------------------------------------------
    def lock(self) -> None:
        """Ctrl+L: hide client data behind the lock screen now."""
        self.idle_lock.lock()

    def set_locked(self, locked: bool) -> None:
        """Called by the idle lock: section actions do nothing while locked."""
        for action in self.lockable_actions:
            action.setEnabled(not locked)

    def is_locked(self) -> bool:
        return self.idle_lock.is_locked

    # -- geometry ------------------------------------------------------------------------
    def _restore_geometry(self) -> None:
        saved = self.settings.value(GEOMETRY_KEY)
        if saved is not None and self.restoreGeometry(saved):
            return
        screen = QApplication.primaryScreen()
        if screen is None:
            self.resize(1100, 720)
            return
        available = screen.availableGeometry()
        self.resize(min(1100, int(available.width() * 0.9)), min(720, int(available.height() * 0.9)))

    def closeEvent(self, event: QCloseEvent) -> None:
        self.settings.setValue(GEOMETRY_KEY, self.saveGeometry())
        self.settings.sync()
        super().closeEvent(event)
        if event.isAccepted():
            self.idle_lock.stop()
