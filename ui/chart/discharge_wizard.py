"""`DischargeWizard`: discharging a client, page by page, over one draft discharge.

Pages: date and reason (leaving it creates the draft, summary assembled from the record), the
record review, the aftercare plan, aftercare referrals, review and sign. The wizard holds the
draft's latest `DischargeView`; every write goes through `write()`, which passes the version read
(optimistic locking), announces the Changes on `ops`, and on `ConcurrentEdit` shows the domain's
message, reloads the draft and shows the current page again. Everything is saved as it is entered,
so Cancel (or Escape, or closing the window) keeps the draft — the confirmation says so — and the
Discharge tab's "Continue discharge…" opens the wizard again on it. The domain calls here are
single-row saves or a handful of grouped reads, quick enough for the GUI thread.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QMessageBox, QWidget, QWizard

from iopdesk import Clinic
from iopdesk.errors import ConcurrentEdit, RecordLocked
from iopdesk.services.discharge import DischargeView
from iopdesk.services.episodes import EpisodeView

from ..operations import Operations, user_message
from .discharge_pages import DischargeNarrativePage, DischargeReasonPage, DischargeRecordPage
from .discharge_referrals import DischargeReferralsPage
from .discharge_sign import DischargeSignPage

REASON_PAGE, RECORD_PAGE, NARRATIVE_PAGE, REFERRALS_PAGE, SIGN_PAGE = range(5)


class DischargeWizard(QWizard):
    """Discharge one episode: create or continue its draft, then sign it.
    `discharge_did_sign(discharge_id)` once signed."""

    discharge_did_sign = Signal(str)

    def __init__(self, clinic: Clinic, ops: Operations, episode: EpisodeView, view: DischargeView | None = None,
                 parent: QWidget | None = None, *, client_name: str = "", autosave_ms: int = 3000) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.episode = episode
        self.view = view
        self.autosave_ms = autosave_ms
        self.setObjectName("dischargeWizard")
        self.setWindowTitle(self.tr("Discharge — {name}").format(name=client_name) if client_name
                            else self.tr("Discharge"))
        self.setAccessibleName(self.tr("Discharge wizard"))
        self.setWindowModality(Qt.WindowModality.WindowModal)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.reason_page = DischargeReasonPage(self)
        self.record_page = DischargeRecordPage(self)
        self.narrative_page = DischargeNarrativePage(self)
        self.referrals_page = DischargeReferralsPage(self)
        self.sign_page = DischargeSignPage(self)
        for page_id, page in ((REASON_PAGE, self.reason_page), (RECORD_PAGE, self.record_page),
                              (NARRATIVE_PAGE, self.narrative_page), (REFERRALS_PAGE, self.referrals_page),
                              (SIGN_PAGE, self.sign_page)):
            self.setPage(page_id, page)
        self.setStartId(REASON_PAGE)
        self.resize(820, 680)

    @staticmethod
    def today() -> dt.date:
        return dt.date.today()

    # -- writes -----------------------------------------------------------------------------
    def create_draft(self, discharged_on: dt.date, reason: str, reason_detail: str) -> None:
        """Start the discharge of the episode (raises the domain's error, naming the field)."""
        view, changes = self.clinic.discharge.draft(self.episode.id, discharged_on=discharged_on, reason=reason,
                                                    reason_detail=reason_detail)
        self.view = view
        self.ops.announce(changes)

    def write(self, method, record_id: str | None = None, **values) -> bool:
        """Call a discharge write on the draft (or on `record_id`, e.g. a referral) with the version
        read. Returns False after a ConcurrentEdit (message shown, draft reloaded); other domain
        errors are raised for the page to show next to its field."""
        try:
            view, changes = method(record_id or self.view.id, expected_version=self.view.version, **values)
        except ConcurrentEdit as error:
            QMessageBox.warning(self, self.tr("Discharge changed"), self.tr(
                "{message}\n\nThe discharge has been reloaded with the other changes; check it and "
                "make your change again.").format(message=user_message(error)))
            self.reload()
            return False
        except RecordLocked:
            self.view = self.clinic.discharge.get(self.view.id)  # signed meanwhile: show it as it is
            raise
        self.view = view
        self.ops.announce(changes)
        if view.status == "signed":
            self.discharge_did_sign.emit(view.id)
        return True

    def reload(self) -> None:
        """Read the draft again and show the current page from it."""
        if self.view is None:
            return
        self.view = self.clinic.discharge.get(self.view.id)
        page = self.currentPage()
        if page is not None:
            page.initializePage()

    # -- closing ----------------------------------------------------------------------------
    def reject(self) -> None:
        """Cancel: a draft is kept as saved (pending aftercare text is saved first) after asking."""
        if self.view is not None and self.view.status == "draft":
            answer = QMessageBox.question(
                self, self.tr("Close discharge"),
                self.tr("Close the discharge for now?\n\nThe draft is kept: everything entered so far is "
                        "saved and nothing is lost. Use “Continue discharge…” on the Discharge tab to "
                        "finish and sign it."),
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, QMessageBox.StandardButton.Yes)
            if answer != QMessageBox.StandardButton.Yes:
                return
            if not self.narrative_page.save():
                if self.narrative_page.message_label.text():
                    QMessageBox.warning(self, self.tr("Close discharge"), self.narrative_page.message_label.text())
                return
        super().reject()
