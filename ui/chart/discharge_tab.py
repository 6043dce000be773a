"""The Discharge tab of a client's chart: where the episode stands on discharge.

With an open episode and no discharge it offers "Start discharge…" (Ctrl+Shift+D) which opens the
`DischargeWizard`; with a draft it shows the summary as it stands (read-only), its status and due
date, and "Continue discharge…" (same shortcut); with a signed discharge it shows the signed
summary, who signed it and when, and that it is locked. The episode is the open one
(`clinic.episodes.current`), else the last one this tab saw or the client's most recent
(`clinic.episodes.latest`). Refreshes when the discharge or the episode of this client changes.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QTextBrowser, QVBoxLayout, QWidget

from iopdesk import Clinic
from iopdesk.errors import IopDeskError
from iopdesk.kernel.changes import Changes
from iopdesk.services.discharge.service import DischargeView
from reports.jobs import PrintRequest
from ui.chart.discharge_html import discharge_html, signature_text
from ui.chart.discharge_wizard import DischargeWizard
from ui.dates import date_text
from ui.operations import Operations, user_message
from ui.print_preview import print_action


class DischargeTab(QWidget):
    """A client's discharge: start it, continue the draft, or read the signed summary."""

    KINDS = ("discharge", "episode")

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None,
                 *, autosave_ms: int = 3000) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.autosave_ms = autosave_ms
        self.episode = None
        self.episode_id: str | None = None
        self.view: DischargeView | None = None
        self.wizard: DischargeWizard | None = None
        self.setObjectName("dischargeTab")
        self.setAccessibleName(self.tr("Discharge"))
        self.can_write = clinic.actor.can("discharge.write")

        self.heading = QLabel(objectName="dischargeHeading")
        font = self.heading.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.heading.setFont(font)
        self.heading.setAccessibleName(self.tr("Discharge status"))
        self.heading.setWordWrap(True)
        self.details = QLabel(objectName="dischargeDetails")
        self.details.setAccessibleName(self.tr("Discharge details"))
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.browser = QTextBrowser(objectName="dischargeSummary")
        self.browser.setAccessibleName(self.tr("Discharge summary"))
        self.browser.setOpenLinks(False)

        self.open_action = QAction(self.tr("Start discharge…"), self)
        self.open_action.setShortcut(QKeySequence("Ctrl+Shift+D"))
        self.open_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.open_action.triggered.connect(self.open_wizard)
        self.addAction(self.open_action)
        self.start_button = QPushButton(self.tr("Sta&rt discharge…"), objectName="startDischarge")
        self.start_button.setAccessibleName(self.tr("Start discharge"))
        self.start_button.clicked.connect(self.open_wizard)
        self.continue_button = QPushButton(self.tr("Contin&ue discharge…"), objectName="continueDischarge")
        self.continue_button.setAccessibleName(self.tr("Continue discharge"))
        self.continue_button.clicked.connect(self.open_wizard)
        for button in (self.start_button, self.continue_button):
            button.setToolTip(self.tr("Ctrl+Shift+D") if self.can_write
                              else self.tr("Your role cannot discharge clients."))
            button.setEnabled(self.can_write)

        self.print_action = print_action(self, clinic, ops, self._print_target)
        self.print_button = QPushButton(self.tr("&Print…"), objectName="printDischarge")
        self.print_button.setToolTip(self.print_action.shortcut().toString(QKeySequence.SequenceFormat.NativeText))
        self.print_button.clicked.connect(self.print_action.trigger)

        buttons = QHBoxLayout()
        buttons.addWidget(self.start_button)
        buttons.addWidget(self.continue_button)
        buttons.addWidget(self.print_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.details)
        layout.addLayout(buttons)
        layout.addWidget(self.browser, 1)
        layout.addStretch(0)  # takes the space while there is no summary to show
        ops.changes_applied.connect(self._changes_applied)
        self.refresh()

    # -- data -------------------------------------------------------------------------------
    def _find_discharge(self) -> DischargeView | None:
        self.episode = self.clinic.episodes.current(self.client_id)
        if self.episode is not None:
            self.episode_id = self.episode.id
            return self.clinic.discharge.for_episode(self.episode.id)
        if self.episode_id is None:
            latest = self.clinic.episodes.latest(self.client_id)
            self.episode_id = latest.id if latest is not None else None
        return self.clinic.discharge.for_episode(self.episode_id) if self.episode_id else None

    def refresh(self) -> None:
        try:
            self.view = self._find_discharge()
        except IopDeskError as error:
            self._show(self.tr("Discharge"), user_message(error), html=None)
            return
        view, episode = self.view, self.episode
        if view is None and episode is not None:
            self._show(self.tr("No discharge started"), self.tr(
                "Episode open since {admitted}, level of care {level}, primary clinician {clinician}. When the "
                "client leaves the program, start the discharge: date and reason, the summary filled in from "
                "the chart, the aftercare plan and referrals, then sign.").format(
                admitted=date_text(episode.admitted_on), level=episode.level_of_care,
                clinician=episode.primary_clinician), html=None, start=True)
        elif view is None:
            self._show(self.tr("No open episode"), self.tr(
                "This client has no open episode, and no discharge is on record for the last one."), html=None)
        elif view.status == "draft":
            overdue = view.due_on < DischargeWizard.today()
            self._show(self.tr("Discharge in progress — draft, not signed"), self.tr(
                "Discharge date {day} · {reason} · summary due {due}{overdue}. Nothing is final until it is "
                "signed.").format(day=date_text(view.discharged_on), reason=view.reason_label,
                                  due=date_text(view.due_on), overdue=self.tr(" (overdue)") if overdue else ""),
                html=discharge_html(view), resume=True)
        else:
            self._show(self.tr("Discharged on {day} — summary signed and locked").format(
                day=date_text(view.discharged_on)),
                f"{view.reason_label}. {signature_text(view)}", html=discharge_html(view))

    def _show(self, heading: str, details: str, *, html: str | None, start: bool = False,
              resume: bool = False) -> None:
        self.heading.setText(heading)
        self.details.setText(details)
        self.start_button.setVisible(start)
        self.continue_button.setVisible(resume)
        self.open_action.setEnabled(self.can_write and (start or resume))
        self.open_action.setText(self.tr("Continue discharge…") if resume else self.tr("Start discharge…"))
        self.browser.setVisible(html is not None)
        self.print_action.setEnabled(self.view is not None and self.clinic.actor.can("print.chart"))
        self.print_button.setEnabled(self.print_action.isEnabled())
        # Focus given to the tab (e.g. on switching to it) lands where Enter or Ctrl+Shift+D work.
        self.setFocusProxy(self.start_button if start else self.continue_button if resume else self.browser)
        if html is not None:
            scroll = self.browser.verticalScrollBar().value()
            self.browser.setHtml(html)
            self.browser.verticalScrollBar().setValue(scroll)

    def _changes_applied(self, changes: Changes) -> None:
        if (not changes.client_ids or self.client_id in changes.client_ids) and changes.touches(*self.KINDS):
            self.refresh()

    def _print_target(self):
        """The discharge on record, for Print… (Ctrl+P)."""
        return ("discharge", PrintRequest(self.client_id, self.view.id)) if self.view is not None else None

    # -- the wizard -------------------------------------------------------------------------
    def open_wizard(self) -> DischargeWizard | None:
        """Open the wizard on a new discharge or on the draft (raises it if already open)."""
        if self.wizard is not None:
            self.wizard.raise_()
            self.wizard.activateWindow()
            return self.wizard
        self.refresh()
        if not self.can_write or self.episode is None or (self.view is not None and self.view.status != "draft"):
            return None
        try:
            summary = self.clinic.clients.summary(self.client_id, audit_read=False)
        except IopDeskError:
            name = ""
        else:
            first, _, last = summary.legal_name.partition(" ")
            name = f"{summary.preferred_name} {last}".strip() if summary.preferred_name else summary.legal_name
        wizard = DischargeWizard(self.clinic, self.ops, self.episode, self.view, self, client_name=name,
                                 autosave_ms=self.autosave_ms)
        wizard.finished.connect(self._wizard_finished)
        self.wizard = wizard
        wizard.show()
        return wizard

    def _wizard_finished(self) -> None:
        wizard, self.wizard = self.wizard, None
        if wizard is not None:
            wizard.deleteLater()
        self.refresh()

    def may_close(self) -> bool:
        """The chart may close unless an open wizard stays open (its Cancel asks first)."""
        if self.wizard is None:
            return True
        self.wizard.close()
        return self.wizard is None
