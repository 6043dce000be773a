"""The Admin page's Clinic settings: how this clinic writes times, and how the sign-in sheet names
its members.

Each choice is a program rule set through `clinic.settings.set_rule` (administrators only; the
domain refuses anyone else and audits every change) the moment it is chosen. A new time format
shows on every screen at once (`ui.dates.use_time_format`) and on every document printed from
then on; the line under the choices says what was saved, or the domain's refusal.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from iopdesk.kernel import formats
from ui.dates import use_time_format
from ui.operations import Operations, user_message

SAMPLE = dt.time(9, 30)


class ClinicSettingsPanel(QGroupBox):
    """Time format and sign-in sheet names, saved as they are chosen."""

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
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.FieldsStayAtSizeHint)
        for text, box in ((self.tr("&Time format:"), self.time_format_box),
                          (self.tr("Sign-in sheet &names:"), self.member_names_box)):
            label = QLabel(text)
            label.setBuddy(box)
            form.addRow(label, box)
        self.message = QLabel(objectName="settingsMessage")
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Settings message"))
        hint = QLabel(self.tr("Every screen and every document printed from now on follows these; each "
                              "change is kept in the audit trail."), objectName="settingsHint")
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

    def choose(self, rule: str, value: str) -> bool:
        """Set `rule` to `value` for the clinic; True when saved (the message says what happened)."""
        try:
            saved, changes = self.clinic.settings.set_rule(rule, value)
        except Exception as error:  # noqa: BLE001 - the domain's sentence, never a traceback
            self.message.setText(user_message(error))
            box = self.time_format_box if rule == "display.time_format" else self.member_names_box
            box.setCurrentIndex(max(0, box.findData(self.clinic.settings.rule(rule).value)))
            return False
        if rule == "display.time_format":
            use_time_format(saved.value)
            self.message.setText(self.tr("Saved: times now show as {sample}.").format(
                sample=formats.time_text(SAMPLE, saved.value)))
        else:
            self.message.setText(self.tr("Saved: the sign-in sheet prints {how}.").format(
                how=self.member_names_box.currentText()))
        self.ops.announce(changes)
        return True
