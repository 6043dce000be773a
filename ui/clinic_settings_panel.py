"""The Admin page's Clinic settings: how this clinic writes times, how the sign-in sheet names
its members, after how many idle minutes every workstation locks, and after how many days without
a sync Today warns administrators about a site (`sync.warn_after_days`).

Each choice is a program rule set through `clinic.settings.set_rule` (administrators only; the
domain refuses anyone else and audits every change) the moment it is chosen. The idle-lock box
takes 1 to 30 minutes (program policy for ONC §170.315(d)(5) automatic access time-out); it saves
when Enter is pressed, an arrow is clicked or the box is left, not at each digit typed, and every
open main window follows at once (others at their next sign-in or unlock). A new time format
shows on every screen at once (`ui.dates.use_time_format`) and on every document printed from
then on; the line under the choices says what was saved, or the domain's refusal.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from iopdesk.kernel import formats
from iopdesk.services.settings import IDLE_LOCK_RULE
from iopdesk.services.sync import SYNC_WARN_RULE
from ui.dates import use_time_format
from ui.operations import Operations, user_message

SAMPLE = dt.time(9, 30)


class ClinicSettingsPanel(QGroupBox):
    """Time format, sign-in sheet names and idle-lock minutes, saved as they are chosen."""

    def __init__(self, clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic, self.ops = clinic, ops
        self.setTitle(self.tr("Clinic settings"))
        self.setObjectName("clinicSettings")
        self.time_format_box = self._choices("timeFormat", self.tr("Time format"), "display.time_format", {
            "12h": self.tr("12-hour, as {sample}").format(sample=formats.time_text(SAMPLE, "12h")),
            "24h": self.tr("24-hour, as {sample}").format(sample=formats.time_text(SAMPLE, "24h")),
        })
        self.member_names_box = self._choices("memberNames", self.tr("Sign-in sheet names"),
                                              "sign_in_sheet.member_names", {
            "first_last_initial": self.tr("First name and last initial (Marisol Q.)"),
            "full": self.tr("Full name (Marisol Quintana)"),
        })
        self.idle_lock_box = self._minutes()
        self.sync_warning_box = self._sync_days()
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for text, box in ((self.tr("&Time format:"), self.time_format_box),
                          (self.tr("Sign-in sheet &names:"), self.member_names_box),
                          (self.tr("&Lock workstations after:"), self.idle_lock_box),
                          (self.tr("&Warn when a site has not synced for:"), self.sync_warning_box)):
            label = QLabel(text)
            label.setBuddy(box)
            form.addRow(label, box)
        self.message = QLabel(objectName="settingsMessage")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Settings message"))
        hint = QLabel(self.tr("Every screen, every document printed from now on and every workstation's "
                              "idle lock follow these; each change is kept in the audit trail."),
                      objectName="settingsHint")
        hint.setWordWrap(True)
        hint.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(hint)
        layout.addWidget(self.message)

    def _choices(self, name: str, accessible: str, rule: str, labels: dict[str, str]) -> QComboBox:
        box = QComboBox(objectName=name)
        box.setAccessibleName(accessible)
        for value, label in labels.items():
            box.addItem(label, value)
        box.setCurrentIndex(max(0, box.findData(self.clinic.settings.rule(rule).value)))
        box.activated.connect(lambda _index, rule=rule, box=box: self.choose(rule, box.currentData()))
        return box

    def _minutes(self) -> QSpinBox:
        described = self.clinic.settings.rule(IDLE_LOCK_RULE)
        box = QSpinBox(objectName="idleLockMinutes")
        box.setAccessibleName(self.tr("Lock workstations after minutes without input"))
        box.setRange(int(described.minimum), int(described.maximum))
        box.setToolTip(self.tr("From {low} to {high} minutes: {why}.").format(
            low=int(described.minimum), high=int(described.maximum), why=described.why))
        box.valueChanged.connect(lambda minutes: box.setSuffix(self._minutes_text(minutes)))
        box.setValue(self.clinic.settings.idle_lock_minutes())
        box.setSuffix(self._minutes_text(box.value()))
        box.setKeyboardTracking(False)  # typing "15" is not a change to 1 first
        box.valueChanged.connect(lambda minutes: self.choose(IDLE_LOCK_RULE, minutes))
        return box

    def _sync_days(self) -> QSpinBox:
        described = self.clinic.settings.rule(SYNC_WARN_RULE)
        box = QSpinBox(objectName="syncWarnDays")
        box.setAccessibleName(self.tr("Warn when a site has not synced for days"))
        box.setRange(int(described.minimum), int(described.maximum))
        box.setToolTip(self.tr("From {low} to {high} days: {why}.").format(
            low=int(described.minimum), high=int(described.maximum), why=described.why))
        box.setValue(int(described.value))
        box.setSuffix(self.tr(" days"))
        box.setKeyboardTracking(False)
        box.valueChanged.connect(lambda days: self.choose(SYNC_WARN_RULE, days))
        return box

    def choose(self, rule: str, value: str | int) -> bool:
        """Set `rule` to `value` for the clinic; True when saved (the message says what happened)."""
        try:
            saved, changes = self.clinic.settings.set_rule(rule, value)
        except Exception as error:  # noqa: BLE001 - the domain's sentence, never a traceback
            self.message.setText(user_message(error))
            self._show_saved(rule)
            return False
        if rule == IDLE_LOCK_RULE:
            self.message.setText(self.tr("Saved: workstations lock after {minutes}{idle}.").format(
                minutes=saved.value, idle=self._minutes_text(saved.value)))
        elif rule == SYNC_WARN_RULE:
            self.message.setText(self.tr("Saved: Today warns administrators when a site has not synced for "
                                         "{days} days.").format(days=saved.value))
        elif rule == "display.time_format":
            use_time_format(saved.value)
            self.message.setText(self.tr("Saved: times now show as {sample}.").format(
                sample=formats.time_text(SAMPLE, saved.value)))
        else:
            self.message.setText(self.tr("Saved: the sign-in sheet prints {how}.").format(
                how=self.member_names_box.currentText()))
        self.ops.announce(changes)
        return True

    def _minutes_text(self, minutes: int) -> str:
        """The words after the number: " minute without input" or " minutes without input"."""
        return self.tr(" minute without input") if minutes == 1 else self.tr(" minutes without input")

    def _show_saved(self, rule: str) -> None:
        """Put `rule`'s box back to the clinic's value after a refusal."""
        if rule == IDLE_LOCK_RULE:
            self.idle_lock_box.blockSignals(True)
            self.idle_lock_box.setValue(self.clinic.settings.idle_lock_minutes())
            self.idle_lock_box.blockSignals(False)
            self.idle_lock_box.setSuffix(self._minutes_text(self.idle_lock_box.value()))
            return
        if rule == SYNC_WARN_RULE:
            self.sync_warning_box.blockSignals(True)
            self.sync_warning_box.setValue(int(self.clinic.settings.rule(SYNC_WARN_RULE).value))
            self.sync_warning_box.blockSignals(False)
            return
        box = self.time_format_box if rule == "display.time_format" else self.member_names_box
        box.setCurrentIndex(max(0, box.findData(self.clinic.settings.rule(rule).value)))
