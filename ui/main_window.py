"""The IOP Desk main window: a section list on the left, the chosen section on the right.

This is the frame the workstation screens will live in. For now the Today section shows a welcome
panel about the clinic database this workstation is connected to (names of the clinic and site,
where the database is, schema version, how many client and staff records it holds: counts only,
never a client's name), and the other sections say they are not built yet. The window remembers
its size and place per user through `ui.settings`.
"""

from __future__ import annotations

from PySide6.QtCore import QDate, QLocale, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

import iopdesk
import resources
from iopdesk import Clinic

from .settings import ui_settings

SECTIONS = ("today", "clients", "groups", "billing", "admin")
GEOMETRY_KEY = "main_window/geometry"


def app_icon() -> QIcon:
    return QIcon(str(resources.path("icons", "iopdesk.svg")))


class MainWindow(QMainWindow):
    """The workstation's one main window, bound to an open clinic."""

    def __init__(self, clinic: Clinic, settings: QSettings | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.settings = settings if settings is not None else ui_settings()
        self.info = clinic.info()
        self.setObjectName("mainWindow")
        self.setWindowTitle(self.tr("IOP Desk — {clinic}").format(clinic=self.info.clinic_name))
        self.setWindowIcon(app_icon())

        titles = {
            "today": self.tr("Today"),
            "clients": self.tr("Clients"),
            "groups": self.tr("Groups"),
            "billing": self.tr("Billing"),
            "admin": self.tr("Admin"),
        }
        self.navigation = QListWidget(objectName="navigation")
        self.navigation.setAccessibleName(self.tr("Sections"))
        self.navigation.setAccessibleDescription(self.tr("Choose the part of IOP Desk to work in"))
        self.navigation.setFixedWidth(200)
        self.navigation.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.pages = QStackedWidget(objectName="pages")
        self.pages.setAccessibleName(self.tr("Current section"))
        for key in SECTIONS:
            item = QListWidgetItem(titles[key], self.navigation)
            item.setData(Qt.ItemDataRole.UserRole, key)
            page = self._build_today_page() if key == "today" else self._build_pending_page(titles[key])
            page.setObjectName(f"{key}Page")
            page.setAccessibleName(titles[key])
            self.pages.addWidget(page)
        self.navigation.currentRowChanged.connect(self._show_section)

        central = QWidget(objectName="central")
        layout = QHBoxLayout(central)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.navigation)
        layout.addWidget(self.pages, 1)
        self.setCentralWidget(central)

        self._build_menus(titles)
        self.status_label = QLabel(objectName="statusText")
        self.status_label.setText(self.tr("Site: {site} ({code}) · Database: {database}").format(
            site=self.info.site_name, code=self.info.site_code, database=self.info.database))
        self.status_label.setAccessibleName(self.tr("Site and database"))
        self.status_label.setToolTip(self.status_label.text())
        # A long database path must not force a wide window; the tooltip has the full text.
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.statusBar().addWidget(self.status_label, 1)

        self.navigation.setCurrentRow(0)
        self.navigation.setFocus()
        self._restore_geometry()

    # -- pages ---------------------------------------------------------------------------
    def _build_today_page(self) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(32, 28, 32, 24)
        outer.setSpacing(16)
        outer.addWidget(self._page_title(self.tr("Today")))
        self.date_label = self._hint("")
        outer.addWidget(self.date_label)

        panel = QFrame(objectName="welcomePanel")
        panel.setAccessibleName(self.tr("Welcome"))
        panel.setMaximumWidth(720)
        box = QVBoxLayout(panel)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(12)
        heading = QLabel(self.tr("Welcome to {clinic}").format(clinic=self.info.clinic_name),
                         objectName="panelTitle")
        heading.setWordWrap(True)
        box.addWidget(heading)
        box.addWidget(self._hint(self.tr("This workstation is connected to the clinic database below.")))

        form = QFormLayout()
        form.setHorizontalSpacing(24)
        form.setVerticalSpacing(8)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.site_value = self._value(self.tr("Site"))
        self.database_value = self._value(self.tr("Database"))
        self.database_value.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.schema_value = self._value(self.tr("Schema version"))
        self.clients_value = self._value(self.tr("Client records"))
        self.staff_value = self._value(self.tr("Staff accounts"))
        for label, value in (
            (self.tr("Site:"), self.site_value),
            (self.tr("Database:"), self.database_value),
            (self.tr("Schema version:"), self.schema_value),
            (self.tr("Client records:"), self.clients_value),
            (self.tr("Staff accounts:"), self.staff_value),
        ):
            form.addRow(label, value)
        box.addLayout(form)
        outer.addWidget(panel)
        outer.addWidget(self._hint(self.tr(
            "Clients, Groups, Billing and Admin are being built and will arrive with the "
            "workstation release.")))
        outer.addStretch(1)
        self.refresh_today()
        return page

    def _build_pending_page(self, title: str) -> QWidget:
        page = QWidget()
        outer = QVBoxLayout(page)
        outer.setContentsMargins(32, 28, 32, 24)
        outer.setSpacing(12)
        outer.addWidget(self._page_title(title))
        outer.addWidget(self._hint(self.tr(
            "This section is coming in the workstation release.")))
        outer.addStretch(1)
        return page

    def _page_title(self, text: str) -> QLabel:
        label = QLabel(text, objectName="pageTitle")
        label.setAccessibleName(text)
        return label

    def _hint(self, text: str) -> QLabel:
        label = QLabel(text, objectName="hint")
        label.setWordWrap(True)
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        return label

    def _value(self, name: str) -> QLabel:
        label = QLabel()
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def refresh_today(self) -> None:
        """Re-read the clinic facts and counts shown on the Today page."""
        locale = QLocale()
        info = self.clinic.info()
        self.date_label.setText(locale.toString(QDate.currentDate(), QLocale.FormatType.LongFormat))
        self.site_value.setText(self.tr("{site} ({code})").format(site=info.site_name, code=info.site_code))
        self.database_value.setText(info.database)
        self.database_value.setToolTip(info.database)
        self.schema_value.setText(str(info.schema_version))
        self.clients_value.setText(locale.toString(self.clinic.clients.count()))
        self.staff_value.setText(locale.toString(self.clinic.users.count()))

    def _show_section(self, row: int) -> None:
        if row < 0:
            return
        self.pages.setCurrentIndex(row)
        if SECTIONS[row] == "today":
            self.refresh_today()

    def show_section(self, key: str) -> None:
        """Switch to a section by its key ("today", "clients", …)."""
        self.navigation.setCurrentRow(SECTIONS.index(key))

    def current_section(self) -> str:
        return SECTIONS[self.pages.currentIndex()]

    # -- menus ---------------------------------------------------------------------------
    def _build_menus(self, titles: dict[str, str]) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&File"))
        quit_action = QAction(self.tr("&Quit"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)

        go_menu = self.menuBar().addMenu(self.tr("&Go"))
        for number, key in enumerate(SECTIONS, start=1):
            action = QAction(titles[key], self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, k=key: self.show_section(k))
            go_menu.addAction(action)

        help_menu = self.menuBar().addMenu(self.tr("&Help"))
        about_action = QAction(self.tr("&About IOP Desk"), self)
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self._show_about)
        help_menu.addAction(about_action)

    def _show_about(self) -> None:
        QMessageBox.about(self, self.tr("About IOP Desk"), self.tr(
            "<b>IOP Desk {version}</b><p>A desktop workstation for intensive outpatient program "
            "therapists.</p>").format(version=iopdesk.__version__))

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
