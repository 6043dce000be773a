"""`DischargeWizard`: discharging a client, page by page, over one draft discharge.

Pages: date and reason (leaving it creates the draft, summary assembled from the record), the
record review, the aftercare plan, aftercare referrals, review and sign. The wizard holds the
draft's latest `DischargeView`; every write goes through `write()`, which passes the version read
(optimistic locking), announces the Changes on `ops`, and on `ConcurrentEdit` opens both versions
of the draft (as stored now and as this workstation would have saved it): "Keep theirs" reloads
the draft and shows the current page again from it; "Copy mine" reads the draft's version and
leaves the page as typed, so saving again replaces theirs. Until one is chosen the wizard keeps
the version it read, and another save is refused again. Everything is saved as it is entered,
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
from iopdesk.kernel import clock
from iopdesk.services.discharge.service import DischargeView
from iopdesk.services.episodes import EpisodeView
from ui.chart.discharge_pages import (
    DischargeNarrativePage,
    DischargeReasonPage,
    DischargeRecordPage,
)
from ui.chart.discharge_referrals import DischargeReferralsPage
from ui.chart.discharge_sign import DischargeSignPage
from ui.concurrent_edit_dialog import ConcurrentEditDialog, resolve_concurrent_edit, with_versions
from ui.operations import Operations

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
        self.concurrent_edit_dialog: ConcurrentEditDialog | None = None
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
        return clock.today()

    # -- writes -----------------------------------------------------------------------------
    def create_draft(self, discharged_on: dt.date, reason: str, reason_detail: str) -> None:
        """Start the discharge of the episode (raises the domain's error, naming the field)."""
        view, changes = self.clinic.discharge.draft(self.episode.id, discharged_on=discharged_on, reason=reason,
                                                    reason_detail=reason_detail)
        self.view = view
        self.ops.announce(changes)

    def write(self, method, record_id: str | None = None, **values) -> bool:
        """Call a discharge write on the draft (or on `record_id`, e.g. a referral) with the version
        read. Returns False after a ConcurrentEdit (both versions shown); other domain errors are
        raised for the page to show next to its field."""
        try:
            view, changes = method(record_id or self.view.id, expected_version=self.view.version, **values)
        except ConcurrentEdit as error:
            self.show_both_versions(error, method.__name__, record_id, values)
            return False
        except RecordLocked:
            self.view = self.clinic.discharge.get(self.view.id)  # signed meanwhile: show it as it is
            raise
        self.view = view
        self.ops.announce(changes)
        if view.status == "signed":
            self.discharge_did_sign.emit(view.id)
        return True

    def version_fields(self, view: DischargeView) -> dict[str, object]:
        """The draft's fields as a clinician reads them, for the both-versions table."""
        referrals = [self.tr("{provider} ({service})").format(provider=r.provider, service=r.service)
                     for r in view.referrals]
        return {"status": self.tr("Signed") if view.status == "signed" else self.tr("Draft"),
                "discharged_on": view.discharged_on, "reason": view.reason_label,
                "reason_detail": view.reason_detail, "aftercare": view.aftercare,
                "referrals": "\n".join(referrals)}

    def show_both_versions(self, error: ConcurrentEdit, operation: str, record_id: str | None,
                           values: dict) -> ConcurrentEditDialog:
        """Open the draft as stored next to the draft as this `operation` would have left it."""
        stored = self.clinic.discharge.get(self.view.id)
        mine = self.version_fields(self.view)
        if operation == "update_summary_text":
            mine.update((k, v.strip()) for k, v in values.items())
        elif operation == "add_referral":
            mine["referrals"] = "\n".join(filter(None, [mine["referrals"], self.tr("{provider} ({service})").format(
                provider=values["provider"].strip(), service=values["service"].strip())]))
        elif operation == "remove_referral":
            mine["referrals"] = "\n".join(self.tr("{provider} ({service})").format(provider=r.provider, service=r.service)
                                          for r in self.view.referrals if r.id != record_id)
        elif operation == "sign":
            mine["status"] = self.tr("Signed")
        labels = {"status": self.tr("Status"), "discharged_on": self.tr("Discharge date"),
                  "reason": self.tr("Reason"), "reason_detail": self.tr("Reason detail"),
                  "aftercare": self.tr("Aftercare plan"), "referrals": self.tr("Aftercare referrals")}
        self.concurrent_edit_dialog = resolve_concurrent_edit(
            self, with_versions(error, self.version_fields(stored), mine), labels,
            keep_theirs=self._keep_theirs, keep_mine=self._keep_mine)
        return self.concurrent_edit_dialog

    def _keep_mine(self) -> None:
        """Keep the page as typed; read the stored version so saving again replaces theirs."""
        self.view = self.clinic.discharge.get(self.view.id)
        page = self.currentPage()
        if hasattr(page, "show_view"):
            page.show_view()

    def _keep_theirs(self) -> None:
        """Drop what this workstation typed: reload the draft, clear a referral being typed."""
        self.reload()
        if self.currentPage() is self.referrals_page:
            self.referrals_page.clear_entry()

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
