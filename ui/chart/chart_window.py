"""`ClientChartWindow`: one client's chart in its own top-level window.

Opening the window reads `clinic.clients.summary(client_id)` once (the audited chart read) and
shows a header (name, preferred name and pronouns, date of birth and age, MRN, payer, episode
status with level of care and days a week, the active alerts counted and named by kind — stored
alerts and attendance flags, `clinic.alerts.for_chart`, the one read the Overview lists too —
with safety alerts set apart) above the
tabs Overview, Notes, Treatment plan, Family, Medications, Measures, Consents, Discharge. Only the
Overview is built at once; every other tab is built the first time it is shown, each from its
own module (notes_tab, plan_tab, family_tab, meds_tab, measures_tab, consents_tab,
discharge_tab). When `ops.changes_applied` names this client (or
carries no client ids) with kinds the header shows, the header re-reads without a new audit
event; each built tab listens to `ops.changes_applied` for its own kinds.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QPalette
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import IopDeskError
from iopdesk.kernel import clock
from iopdesk.kernel.changes import Changes
from iopdesk.services.alerts import ChartAlerts
from ui.dates import date_text
from ui.operations import Operations

TABS = ("overview", "notes", "plan", "family", "meds", "measures", "consents", "discharge")
HEADER_KINDS = ("client", "episode", "alert", "discharge", "attendance", "group_session")


def age_on(dob: dt.date, day: dt.date) -> int:
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


class ClientChartWindow(QMainWindow):
    """A client's chart: header plus lazily built tabs; `chart_did_close(client_id)` once closed."""

    chart_did_close = Signal(str)

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.summary = clinic.clients.summary(self.client_id)  # the one audited read
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.setObjectName("clientChartWindow")
        titles = {
            "overview": self.tr("&Overview"), "notes": self.tr("&Notes"), "plan": self.tr("&Treatment plan"),
            "family": self.tr("&Family"), "meds": self.tr("&Medications"), "measures": self.tr("Me&asures"),
            "consents": self.tr("Con&sents"), "discharge": self.tr("&Discharge"),
        }
        self.tab_widgets: dict[str, QWidget] = {}
        self.tabs = QTabWidget(objectName="chartTabs")
        self.tabs.setAccessibleName(self.tr("Chart sections"))
        self._pages: dict[str, QWidget] = {}
        for key in TABS:
            page = QWidget(objectName=f"{key}Page")
            QVBoxLayout(page).setContentsMargins(0, 0, 0, 0)
            page.setAccessibleName(titles[key].replace("&", ""))
            self._pages[key] = page
            self.tabs.addTab(page, titles[key])

        central = QWidget()
        layout = QVBoxLayout(central)
        layout.addWidget(self._build_header())
        layout.addWidget(self.tabs, 1)
        self.setCentralWidget(central)
        self._build_menu()
        self._show_header()
        self._ensure_tab("overview")
        self.tabs.currentChanged.connect(lambda index: self._ensure_tab(TABS[index]))
        self.ops.changes_applied.connect(self._changes_applied)
        self.resize(1000, 720)

    # -- header -----------------------------------------------------------------------------
    def _build_header(self) -> QFrame:
        frame = QFrame(objectName="chartHeader")
        frame.setFrameShape(QFrame.Shape.StyledPanel)
        frame.setAccessibleName(self.tr("Client"))
        grid = QGridLayout(frame)
        self.name_label = QLabel(objectName="chartName")
        font = self.name_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setAccessibleName(self.tr("Client name"))
        self.identity_label = self._header_value(self.tr("Preferred name and pronouns"))
        self.dob_label = self._header_value(self.tr("Date of birth and age"))
        self.mrn_label = self._header_value(self.tr("MRN"))
        self.payer_label = self._header_value(self.tr("Payer"))
        self.episode_label = self._header_value(self.tr("Episode"))
        self.alerts_label = self._header_value(self.tr("Active alerts"))
        self.safety_label = QLabel(objectName="safetyAlerts")
        self.safety_label.setAccessibleName(self.tr("Safety alerts"))
        self.safety_label.setAutoFillBackground(True)
        self.safety_label.setBackgroundRole(QPalette.ColorRole.Highlight)
        self.safety_label.setForegroundRole(QPalette.ColorRole.HighlightedText)
        bold = self.safety_label.font()
        bold.setBold(True)
        self.safety_label.setFont(bold)
        self.safety_label.setMargin(4)
        grid.addWidget(self.name_label, 0, 0, 1, 2)
        grid.addWidget(self.identity_label, 1, 0, 1, 2)
        grid.addWidget(self.mrn_label, 0, 2)
        grid.addWidget(self.dob_label, 1, 2)
        grid.addWidget(self.payer_label, 2, 2)
        grid.addWidget(self.episode_label, 2, 0, 1, 2)
        alerts = QHBoxLayout()
        alerts.addWidget(self.alerts_label)
        alerts.addWidget(self.safety_label)
        alerts.addStretch(1)
        grid.addLayout(alerts, 0, 3, 1, 1)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        return frame

    def _header_value(self, name: str) -> QLabel:
        label = QLabel()
        label.setAccessibleName(name)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    def _show_header(self) -> None:
        s = self.summary
        first, _, last = s.legal_name.partition(" ")
        shown = f"{s.preferred_name} {last}".strip() if s.preferred_name else s.legal_name
        self.setWindowTitle(self.tr("{mrn} · {name}[*] — IOP Desk").format(mrn=s.mrn, name=shown))
        self.name_label.setText(shown)
        parts = []
        if s.preferred_name:
            parts.append(self.tr("Legal name: {name}").format(name=s.legal_name))
        if s.pronouns:
            parts.append(s.pronouns)
        self.identity_label.setText(" · ".join(parts))
        self.identity_label.setVisible(bool(parts))
        self.dob_label.setText(self.tr("DOB {dob} (age {age})").format(
            dob=date_text(s.dob), age=age_on(s.dob, clock.today())))
        self.mrn_label.setText(self.tr("MRN {mrn}").format(mrn=s.mrn))
        self.payer_label.setText(self.tr("Payer: {payer}").format(payer=s.payer or self.tr("none (self-pay)")))
        episode = self.clinic.episodes.current(self.client_id)
        self.episode = episode
        if episode is None:
            self.episode_label.setText(self.tr("Episode: {status}").format(status=s.episode_status))
        else:
            days = (self.tr("1 day a week") if episode.days_per_week == 1 else
                    self.tr("{n} days a week").format(n=episode.days_per_week))
            self.episode_label.setText(self.tr("Episode: {status} since {since} · level {level} · {days}").format(
                status=episode.status, since=date_text(episode.admitted_on), level=episode.level_of_care,
                days=days))
        alerts = self.alerts = self.clinic.alerts.for_chart(
            self.client_id, episode.id if episode else None, episode_read=True)
        self.alerts_label.setText(self.alerts_text(alerts))
        safety = alerts.count_of("safety")
        self.safety_label.setText(self.tr("⚠ 1 safety alert") if safety == 1 else
                                  self.tr("⚠ {n} safety alerts").format(n=safety))
        self.safety_label.setVisible(safety > 0)

    def alerts_text(self, alerts: ChartAlerts) -> str:
        """"3 active alerts: 1 safety, 2 attendance" (a role that may not read stored alerts is
        told so rather than shown "none")."""
        if alerts.stored_hidden:  # only the attendance flags are there to count
            flags = (self.tr("No attendance flags") if not alerts.count else self.tr("1 attendance flag")
                     if alerts.count == 1 else self.tr("{n} attendance flags").format(n=alerts.count))
            return self.tr("{flags}; other alerts are not shown to your role").format(flags=flags)
        named = ", ".join(f"{n} {self.tr(word)}" for word, n in alerts.counts())
        if not alerts.count:
            return self.tr("No active alerts")
        if alerts.count == 1:
            return self.tr("1 active alert: {named}").format(named=named)
        return self.tr("{n} active alerts: {named}").format(n=alerts.count, named=named)

    # -- tabs -------------------------------------------------------------------------------
    def show_tab(self, key: str) -> None:
        """Switch to a tab by key ("overview", "notes", "plan", "family", "meds", …)."""
        if key in TABS:
            self.tabs.setCurrentIndex(TABS.index(key))

    def current_tab(self) -> str:
        return TABS[self.tabs.currentIndex()]

    def _ensure_tab(self, key: str) -> QWidget:
        widget = self.tab_widgets.get(key)
        if widget is None:
            try:
                widget = self._make_tab(key)
            except IopDeskError as error:  # e.g. a role without narrative access
                from ui.break_glass_dialog import refused_access_widget

                widget = refused_access_widget(self.clinic, error, f"{self.summary.mrn} · {self.name_label.text()}",
                                               self.reload_refused_tabs)
            self.tab_widgets[key] = widget
            self._pages[key].layout().addWidget(widget)
        return widget

    def reload_refused_tabs(self) -> None:
        """Rebuild the sections that were refused (after emergency access was granted)."""
        for key, widget in list(self.tab_widgets.items()):
            if widget.objectName() in ("accessRefused", "accessRefusedText"):
                del self.tab_widgets[key]
                widget.deleteLater()
        self._show_header()
        self._ensure_tab(self.current_tab())

    def _make_tab(self, key: str) -> QWidget:
        if key == "overview":
            from ui.chart.overview_tab import OverviewTab
            return OverviewTab(self.clinic, self.ops, self.client_id, summary=self.summary,
                               read=(self.episode, self.alerts))
        if key == "notes":
            from ui.chart.notes_tab import NotesTab
            return NotesTab(self.clinic, self.ops, self.client_id)
        if key == "plan":
            from ui.chart.plan_tab import PlanTab
            return PlanTab(self.clinic, self.ops, self.client_id)
        if key == "measures":
            from ui.chart.measures_tab import MeasuresTab
            return MeasuresTab(self.clinic, self.ops, self.client_id)
        if key == "discharge":
            from ui.chart.discharge_tab import DischargeTab
            return DischargeTab(self.clinic, self.ops, self.client_id)
        if key == "family":
            from ui.chart.family_tab import FamilyTab
            return FamilyTab(self.clinic, self.ops, self.client_id)
        if key == "meds":
            from ui.chart.meds_tab import MedsTab
            return MedsTab(self.clinic, self.ops, self.client_id)
        if key == "consents":
            from ui.chart.consents_tab import ConsentsTab
            return ConsentsTab(self.clinic, self.ops, self.client_id)
        raise KeyError(key)

    # -- refresh ----------------------------------------------------------------------------
    def _changes_applied(self, changes: Changes) -> None:
        if changes.client_ids and self.client_id not in changes.client_ids:
            return
        if changes.touches(*HEADER_KINDS):
            try:
                self.summary = self.clinic.clients.summary(self.client_id, audit_read=False)
            except IopDeskError:
                return
            self._show_header()

    # -- menu and closing -------------------------------------------------------------------
    def _build_menu(self) -> None:
        menu = self.menuBar().addMenu(self.tr("C&hart"))
        for number, key in enumerate(TABS, start=1):
            action = QAction(self.tabs.tabText(number - 1).replace("&", ""), self)
            action.setShortcut(QKeySequence(f"Alt+{number}"))
            action.triggered.connect(lambda _checked=False, k=key: self.show_tab(k))
            menu.addAction(action)
        menu.addSeparator()
        close_action = QAction(self.tr("&Close chart"), self)
        close_action.setShortcut(QKeySequence.StandardKey.Close)
        close_action.triggered.connect(self.close)
        menu.addAction(close_action)

    def closeEvent(self, event: QCloseEvent) -> None:
        for widget in self.tab_widgets.values():
            may_close = getattr(widget, "may_close", None)
            if may_close is not None and not may_close():
                event.ignore()
                return
        super().closeEvent(event)
        if event.isAccepted():
            self.chart_did_close.emit(self.client_id)
