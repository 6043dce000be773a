"""The first three pages of the discharge wizard: date and reason (leaving it creates the draft,
whose summary the domain assembles from the record), the record review (read-only, with "Refresh
from record"), and the clinician's narrative (the aftercare plan, autosaved a few seconds after
typing stops and saved when the page is left). Each page reaches the clinic and the draft through
its `DischargeWizard` (`owner`); a domain refusal is shown in the page, next to the field it names.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWizardPage,
)

from iopdesk.errors import IopDeskError
from iopdesk.services.discharge.service import discharge_reasons
from ui.chart.discharge_html import record_html
from ui.date_fields import DateField, entries_ready
from ui.dates import date_text
from ui.field_messages import recheck, when_changed
from ui.operations import user_message


def error_label(name: str) -> QLabel:
    """A hidden, bold, word-wrapped label for a domain message under a field."""
    label = QLabel(objectName=name)
    label.setWordWrap(True)
    label.setProperty("fieldError", True)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    label.hide()
    return label


def show_error(label: QLabel, error: BaseException) -> None:
    label.setText(user_message(error))
    label.show()


class DischargeReasonPage(QWizardPage):
    """Page 1: date of discharge, reason and its detail. Leaving it creates the draft; once the
    draft exists the date and reason are fixed and only the detail can change."""

    def __init__(self, owner) -> None:
        super().__init__()
        self.owner = owner
        self.setObjectName("dischargeReasonPage")
        self.setTitle(self.tr("Date and reason"))
        self.setSubTitle(self.tr("When and why the client leaves the program. Going on creates the draft "
                                 "discharge, with its summary filled in from the chart."))
        self.date_edit = DateField(self.tr("Date of discharge"), owner.today(), latest=owner.today())
        self.date_edit.setObjectName("dischargeDate")
        self.reason_box = QComboBox(objectName="dischargeReason")
        self.reason_box.setAccessibleName(self.tr("Reason for discharge"))
        self.reason_box.setPlaceholderText(self.tr("Choose a reason…"))
        for code, label in discharge_reasons().items():
            self.reason_box.addItem(label, code)
        self.reason_box.setCurrentIndex(-1)
        self.detail_edit = QLineEdit(objectName="reasonDetail")
        self.detail_edit.setAccessibleName(self.tr("Reason detail"))
        self.detail_edit.setPlaceholderText(self.tr("In a sentence: what happened (needed for “Other”)"))
        self.errors = {key: error_label(f"{key}Error") for key in ("discharged_on", "reason", "reason_detail")}
        self.message_label = error_label("reasonPageMessage")
        self.drafted_label = QLabel(self.tr("The draft exists: a new date or reason assembles its summary again "
                                           "from the record; the aftercare plan and referrals are kept."),
                                   objectName="draftedNote")
        self.drafted_label.setWordWrap(True)
        self.drafted_label.hide()
        episode = owner.episode
        self.episode_label = QLabel(self.tr(
            "Episode admitted {admitted}, level of care {level}, primary clinician {clinician}. The discharge "
            "date is usually the last day the client attended or was in contact with the program.").format(
            admitted=date_text(episode.admitted_on), level=episode.level_of_care,
            clinician=episode.primary_clinician), objectName="episodeContext")
        self.episode_label.setWordWrap(True)
        form = QFormLayout()
        for key, text, widget in (("discharged_on", self.tr("&Date of discharge:"), self.date_edit),
                                  ("reason", self.tr("&Reason:"), self.reason_box),
                                  ("reason_detail", self.tr("Reason d&etail:"), self.detail_edit)):
            label = QLabel(text)
            label.setBuddy(widget)
            if key == "discharged_on":
                row = QHBoxLayout()
                row.addWidget(widget)
                row.addStretch(1)
                form.addRow(label, row)
            else:
                form.addRow(label, widget)
            form.addRow("", self.errors[key])
        layout = QVBoxLayout(self)
        layout.addWidget(self.episode_label)
        layout.addSpacing(self.fontMetrics().height() // 2)
        layout.addLayout(form)
        layout.addWidget(self.drafted_label)
        layout.addWidget(self.message_label)
        layout.addStretch(1)
        self.setTabOrder(self.date_edit, self.reason_box)
        self.setTabOrder(self.reason_box, self.detail_edit)
        for field in (self.date_edit, self.reason_box, self.detail_edit):
            when_changed(field, self._recheck)

    def _recheck(self) -> None:
        """While a refusal is shown, ask the domain again about the date and reason as they now
        stand: a message goes once its cause is fixed. Text that is not a date has the field's
        own message instead."""
        if self.date_edit.problem() is not None:
            self.errors["discharged_on"].hide()
            return
        recheck(lambda: self.owner.clinic.discharge.check_draft(
            self.owner.episode.id, discharged_on=self.date_edit.value(),
            reason=self.reason_box.currentData(), reason_detail=self.detail_edit.text()), self.errors)

    def initializePage(self) -> None:
        view = self.owner.view
        if view is not None:
            self.date_edit.set_value(view.discharged_on)
            self.reason_box.setCurrentIndex(max(0, self.reason_box.findData(view.reason)))
            self.detail_edit.setText(view.reason_detail)
        self._show_drafted(view is not None)
        (self.detail_edit if view is not None else self.date_edit).setFocus()

    def _show_drafted(self, drafted: bool) -> None:
        self.drafted_label.setVisible(drafted)

    def _clear(self) -> None:
        for label in (*self.errors.values(), self.message_label):
            label.hide()

    def _show(self, error: IopDeskError) -> None:
        label = self.errors.get(error.field or "")
        show_error(label if label is not None else self.message_label, error)
        widget = {"discharged_on": self.date_edit, "reason": self.reason_box,
                  "reason_detail": self.detail_edit}.get(error.field or "")
        if widget is not None:
            widget.setFocus()

    def validatePage(self) -> bool:
        self._clear()
        if not entries_ready([self.date_edit]):
            return False
        owner = self.owner
        detail = self.detail_edit.text()
        try:
            if owner.view is None:
                code = self.reason_box.currentData()
                if code is None:
                    self.errors["reason"].setText(self.tr("Reason: choose why the client is leaving."))
                    self.errors["reason"].show()
                    self.reason_box.setFocus()
                    return False
                owner.create_draft(self.date_edit.value(), code, detail)
                self._show_drafted(True)
                return True
            if detail.strip() != owner.view.reason_detail and not owner.write(
                    owner.clinic.discharge.update_summary_text, reason_detail=detail):
                return False
            day, code = self.date_edit.value(), self.reason_box.currentData()
            if (day, code) != (owner.view.discharged_on, owner.view.reason):
                return owner.write(owner.clinic.discharge.refresh, discharged_on=day, reason=code)
        except IopDeskError as error:
            self._show(error)
            return False
        return True


class DischargeRecordPage(QWizardPage):
    """Page 2: what the domain assembled from the chart, read-only, and "Refresh from record"
    for a late note or review."""

    def __init__(self, owner) -> None:
        super().__init__()
        self.owner = owner
        self.setObjectName("dischargeRecordPage")
        self.setTitle(self.tr("From the record"))
        self.setSubTitle(self.tr("Filled in from the chart: check it. If a note or review was signed "
                                 "since, refresh it."))
        self.browser = QTextBrowser(objectName="recordBrowser")
        self.browser.setAccessibleName(self.tr("Summary from the record"))
        self.browser.setOpenLinks(False)
        self.refresh_button = QPushButton(self.tr("Re&fresh from record"), objectName="refreshFromRecord")
        self.refresh_button.setAccessibleName(self.tr("Refresh from record"))
        self.refresh_button.clicked.connect(self.refresh_from_record)
        self.status_label = QLabel(objectName="recordStatus")
        self.status_label.setWordWrap(True)
        self.message_label = error_label("recordPageMessage")
        row = QHBoxLayout()
        row.addWidget(self.refresh_button)
        row.addWidget(self.status_label, 1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.browser, 1)
        layout.addLayout(row)
        layout.addWidget(self.message_label)

    def initializePage(self) -> None:
        self.message_label.hide()
        self.status_label.clear()
        self.show_view()

    def show_view(self) -> None:
        view = self.owner.view
        self.browser.setHtml(record_html(view.summary) if view is not None else "")

    def refresh_from_record(self) -> None:
        self.message_label.hide()
        try:
            saved = self.owner.write(self.owner.clinic.discharge.refresh)
        except IopDeskError as error:
            show_error(self.message_label, error)
            return
        if saved:
            self.show_view()
            self.status_label.setText(self.tr("Refreshed from the record."))


class NarrativeEdit(QPlainTextEdit):
    """A narrative field that asks for about eight lines and grows with the window."""

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        return QSize(hint.width(), self.fontMetrics().lineSpacing() * 8 + 2 * self.frameWidth())


class DischargeNarrativePage(QWizardPage):
    """Page 3: the aftercare plan in the clinician's words. Autosaved `owner.autosave_ms` after
    typing stops and whenever the page is left; Ctrl+Z / Ctrl+Shift+Z undo and redo."""

    def __init__(self, owner) -> None:
        super().__init__()
        self.owner = owner
        self.setObjectName("dischargeNarrativePage")
        self.setTitle(self.tr("Condition at discharge and aftercare plan"))
        self.setSubTitle(self.tr("How the client leaves and what happens next. Referrals come on the next page."))
        self.aftercare_edit = NarrativeEdit(objectName="aftercareEdit")
        self.aftercare_edit.setAccessibleName(self.tr("Aftercare plan"))
        self.aftercare_edit.setTabChangesFocus(True)
        self.aftercare_edit.setPlaceholderText(self.tr(
            "Condition at discharge (mood, use, risk); progress in the client's words; recommendations; "
            "follow-up appointments; supports and recovery activities; how barriers will be met; "
            "what to do in a crisis."))
        label = QLabel(self.tr("&Aftercare plan, with the condition at discharge:"))
        label.setBuddy(self.aftercare_edit)
        self.message_label = error_label("narrativeMessage")
        self.saved_label = QLabel(objectName="narrativeSaved")
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(owner.autosave_ms)
        self.timer.timeout.connect(self.save)
        self.aftercare_edit.textChanged.connect(self._edited)
        layout = QVBoxLayout(self)
        layout.addWidget(label)
        layout.addWidget(self.aftercare_edit, 1)
        layout.addWidget(self.message_label)
        layout.addWidget(self.saved_label)
        self._loading = False

    def initializePage(self) -> None:
        self._loading = True
        self.aftercare_edit.setPlainText(self.owner.view.aftercare if self.owner.view else "")
        self._loading = False
        self.message_label.hide()
        self.saved_label.clear()
        self.aftercare_edit.setFocus()

    def _edited(self) -> None:
        if not self._loading:
            self.saved_label.setText(self.tr("Not saved yet"))
            self.timer.start()

    def dirty(self) -> bool:
        view = self.owner.view
        return view is not None and view.status == "draft" and self.aftercare_edit.toPlainText().strip() != view.aftercare

    def save(self) -> bool:
        """Save the aftercare plan if it changed; False (message shown) if the domain refused."""
        self.timer.stop()
        if not self.dirty():
            return True
        self.message_label.hide()
        self.message_label.clear()
        try:
            saved = self.owner.write(self.owner.clinic.discharge.update_summary_text,
                                     aftercare=self.aftercare_edit.toPlainText())
        except IopDeskError as error:
            show_error(self.message_label, error)
            return False
        if saved:
            self.saved_label.setText(self.tr("Saved"))
        return saved

    def validatePage(self) -> bool:
        return self.save()
