"""Page 5 of the discharge wizard: review and sign. The whole summary as it will be locked, a few
reminders (an empty aftercare plan, no referral, and that sending the summary to an aftercare
provider is a 42 CFR Part 2 disclosure needing the client's written consent), and "Sign discharge"
(Ctrl+Return). Signing asks the domain first (`check_sign`: signed meanwhile, episode closed), then
shows the attestation (`confirm_signature` with `clinic.discharge.attestation("discharge")`, saying
the episode closes on the discharge date) and calls `clinic.discharge.sign` with the version read
only on Sign; Cancel leaves the draft exactly as it was. The domain's refusal is shown in the page.
Once signed the page reads the episode back through `clinic.episodes` and says it is closed; only
Finish remains.
"""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QLabel,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWizard,
    QWizardPage,
)

from iopdesk.errors import IopDeskError, RecordLocked
from ui.attestation_dialog import confirm_signature
from ui.chart.discharge_html import discharge_html, signature_text
from ui.chart.discharge_pages import error_label, show_error
from ui.dates import date_text


class DischargeSignPage(QWizardPage):
    """Page 5: the summary to sign, reminders, and the Sign button; complete once signed."""

    def __init__(self, owner) -> None:
        super().__init__()
        self.owner = owner
        self.setObjectName("dischargeSignPage")
        self.setTitle(self.tr("Review and sign"))
        self.setSubTitle(self.tr("Signing locks the summary and closes the episode on the discharge date."))
        self.browser = QTextBrowser(objectName="signPreview")
        self.browser.setAccessibleName(self.tr("Discharge summary to sign"))
        self.browser.setOpenLinks(False)
        self.reminders_label = QLabel(objectName="signReminders")
        self.reminders_label.setWordWrap(True)
        self.reminders_label.setTextFormat(Qt.TextFormat.RichText)
        self.reminders_label.setAccessibleName(self.tr("Before signing"))
        self.sign_button = QPushButton(self.tr("&Sign discharge"), objectName="signDischarge")
        self.sign_button.setAccessibleName(self.tr("Sign discharge"))
        self.sign_button.setToolTip(self.tr("Sign and lock the summary, close the episode (Ctrl+Return)"))
        self.sign_button.setAutoDefault(False)
        self.sign_button.clicked.connect(self.sign)
        self.sign_action = QAction(self.tr("Sign discharge"), self)
        self.sign_action.setShortcuts([QKeySequence("Ctrl+Return"), QKeySequence("Ctrl+Enter")])
        self.sign_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.sign_action.triggered.connect(self.sign)
        self.addAction(self.sign_action)
        self.message_label = error_label("signMessage")
        self.result_label = QLabel(objectName="signResult")
        self.result_label.setWordWrap(True)
        font = self.result_label.font()
        font.setBold(True)
        self.result_label.setFont(font)
        self.result_label.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addWidget(self.reminders_label)
        layout.addWidget(self.message_label)
        layout.addWidget(self.result_label)
        layout.addWidget(self.sign_button, 0, Qt.AlignmentFlag.AlignLeft)

    def initializePage(self) -> None:
        self.message_label.hide()
        self.show_view()
        self.sign_button.setFocus()

    def show_view(self) -> None:
        view = self.owner.view
        if view is None:
            return
        self.browser.setHtml(discharge_html(view))
        reminders = []
        if not view.aftercare:
            reminders.append(self.tr("The aftercare plan is empty (page 3)."))
        if not view.referrals and view.reason != "death":
            reminders.append(self.tr("No aftercare referral is listed (page 4)."))
        reminders.append(self.tr(
            "42 CFR Part 2: sending this summary or referral information to an aftercare provider is a "
            "disclosure. It needs the client's written consent naming that provider, and goes with the "
            "Part 2 notice; record it in the disclosure log."))
        self.reminders_label.setText("<ul>" + "".join(f"<li>{r}</li>" for r in reminders) + "</ul>")
        signed = view.status == "signed"
        self.sign_button.setEnabled(not signed)
        self.sign_action.setEnabled(not signed)

    def isComplete(self) -> bool:
        return self.owner.view is not None and self.owner.view.status == "signed"

    def sign(self) -> None:
        view = self.owner.view
        if view is None or view.status != "draft":
            return
        self.message_label.hide()
        discharge = self.owner.clinic.discharge
        try:
            discharge.check_sign(view.id)
            signing = [self.tr("Discharge summary ({reason}): it will be locked, and the episode closed on {day} "
                               "with the client's group enrollments ended.").format(
                reason=html.escape(view.reason_label), day=date_text(view.discharged_on))]
            if not confirm_signature(self, self.tr("Sign discharge"), discharge.attestation("discharge"),
                                     signing=signing):
                return
            saved = self.owner.write(discharge.sign)
        except IopDeskError as error:
            show_error(self.message_label, error)
            if isinstance(error, RecordLocked):  # signed meanwhile, e.g. by a colleague: show it as it is
                self.owner.view = discharge.get(view.id)
            saved = self.owner.view.status == "signed"
        if saved:
            self.finish_signed()

    def finish_signed(self) -> None:
        """Show the signed state; only Finish remains."""
        self.show_view()
        self.show_signed()
        self.completeChanged.emit()
        wizard = self.wizard()
        wizard.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        wizard.setOption(QWizard.WizardOption.NoCancelButtonOnLastPage, True)
        wizard.button(QWizard.WizardButton.FinishButton).setFocus()

    def show_signed(self) -> None:
        """Say who signed and that the episode is closed, as read back from the database."""
        view = self.owner.view
        episode = self.owner.clinic.episodes.get(view.episode_id)
        text = signature_text(view)
        if episode.status == "discharged":
            text += " " + self.tr("The episode is closed: discharged on {day}.").format(
                day=date_text(episode.discharged_on))
        else:
            text += " " + self.tr("The episode is still {status}.").format(status=episode.status)
        self.result_label.setText(text)
        self.result_label.show()
