"""`RegisterClientDialog`: register a new client and, optionally, admit them in the same click.

The form asks for the legal name, preferred name, date of birth, sex, pronouns, phone and payer
code, then an "Admit now" group (admission date, track, level of care, primary clinician, days a
week and weekdays). Save calls `clinic.clients.register(...)`; a `PossibleDuplicate` shows the
matching MRNs with "Register anyway" and "Open existing"; any other domain error appears under the
field it names, which gets the focus. When admission fails after registration the client stays
registered, the dialog says so, and Save retries only the admission. `client_registered(id)` is
emitted once the dialog is done with a new client; `open_existing(mrn)` asks to open a match.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.clinical.program_rules import levels_of_care, tracks
from iopdesk.errors import IopDeskError, PossibleDuplicate
from iopdesk.kernel import clock
from iopdesk.services.clients import SEXES
from ui.date_fields import DateField, entries_ready
from ui.operations import Operations, user_message

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


class RegisterClientDialog(QDialog):
    """New client form with an optional admission."""

    client_registered = Signal(str)
    open_existing = Signal(str)

    def __init__(self, clinic: Clinic, ops: Operations, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.registered = None  # the ClientSummary once registered (admission may still be pending)
        self.duplicate_matches: list[str] = []
        self.setObjectName("registerClientDialog")
        self.setWindowTitle(self.tr("Register client"))
        self.fields: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}

        client_form = QFormLayout()
        self.first_edit = self._line("legal_first", self.tr("Legal first name"))
        self.last_edit = self._line("legal_last", self.tr("Legal last name"))
        self.preferred_edit = self._line("preferred_name", self.tr("Preferred name"))
        self.dob_edit = DateField(self.tr("Date of birth"), calendar_start=dt.date(1990, 1, 1))
        self.dob_edit.setObjectName("dob")
        self.fields["dob"] = self.dob_edit
        self.sex_combo = QComboBox(objectName="sex")
        for code, label in SEXES.items():
            self.sex_combo.addItem(self.tr(label), code)
        self.sex_combo.setCurrentIndex(self.sex_combo.findData("U"))
        self.sex_combo.setAccessibleName(self.tr("Sex"))
        self.fields["sex"] = self.sex_combo
        self.pronouns_edit = self._line("pronouns", self.tr("Pronouns"))
        self.pronouns_edit.setPlaceholderText(self.tr("e.g. she/her"))
        self.phone_edit = self._line("phone", self.tr("Phone"))
        self.payer_edit = self._line("payer", self.tr("Payer code"))
        self.payer_edit.setPlaceholderText(self.tr("optional"))
        for key, text in (
            ("legal_first", self.tr("Legal &first name:")), ("legal_last", self.tr("Legal &last name:")),
            ("preferred_name", self.tr("&Preferred name:")), ("dob", self.tr("&Date of birth:")),
            ("sex", self.tr("&Sex:")), ("pronouns", self.tr("Pro&nouns:")), ("phone", self.tr("P&hone:")),
            ("payer", self.tr("Pa&yer code:")),
        ):
            self._add_row(client_form, key, text)

        self.admit_group = QGroupBox(self.tr("&Admit now"), objectName="admitGroup")
        self.admit_group.setCheckable(True)
        self.admit_group.setChecked(False)
        self.admit_group.setAccessibleName(self.tr("Admit now"))
        admit_form = QFormLayout(self.admit_group)
        self.admitted_edit = DateField(self.tr("Admission date"), clock.today())
        self.admitted_edit.setObjectName("admittedOn")
        self.fields["admitted_on"] = self.admitted_edit
        self.track_combo = QComboBox(objectName="track")
        for code, label in tracks().items():
            self.track_combo.addItem(self.tr(label), code)
        self.track_combo.setAccessibleName(self.tr("Program track"))
        self.fields["track"] = self.track_combo
        self.level_combo = QComboBox(objectName="levelOfCare")
        for code, level in levels_of_care().items():
            self.level_combo.addItem(self.tr(level.label), code)
        self.level_combo.setCurrentIndex(max(0, self.level_combo.findData("2.1")))
        self.level_combo.setAccessibleName(self.tr("Level of care"))
        self.fields["level_of_care"] = self.level_combo
        self.clinician_combo = QComboBox(objectName="primaryClinician")
        self.clinician_combo.setEditable(True)
        self.clinician_combo.setAccessibleName(self.tr("Primary clinician"))
        for staff in clinic.users.list():
            if staff.active and {"clinician", "supervisor"} & set(staff.roles):
                self.clinician_combo.addItem(f"{staff.display_name} ({staff.username})", staff.username)
        me = clinic.actor.username
        index = self.clinician_combo.findData(me)
        if index >= 0:
            self.clinician_combo.setCurrentIndex(index)
        elif me:
            self.clinician_combo.setEditText(me)
        self.fields["primary_clinician"] = self.clinician_combo
        self.days_spin = QSpinBox(objectName="daysPerWeek")
        self.days_spin.setRange(1, 7)
        self.days_spin.setValue(5)
        self.days_spin.setAccessibleName(self.tr("Days per week"))
        self.fields["days_per_week"] = self.days_spin
        days_row = QWidget()
        days_layout = QHBoxLayout(days_row)
        days_layout.setContentsMargins(0, 0, 0, 0)
        names = (self.tr("Mon"), self.tr("Tue"), self.tr("Wed"), self.tr("Thu"), self.tr("Fri"),
                 self.tr("Sat"), self.tr("Sun"))
        self.day_boxes: dict[str, QCheckBox] = {}
        for code, name in zip(WEEKDAYS, names, strict=True):
            box = QCheckBox(name, objectName=f"day{code.title()}")
            box.setAccessibleName(name)
            self.day_boxes[code] = box
            days_layout.addWidget(box)
        days_layout.addStretch(1)
        self.fields["schedule_days"] = days_row
        self.days_spin.valueChanged.connect(self._check_first_days)
        self._check_first_days(5)
        for key, text in (
            ("admitted_on", self.tr("Ad&mission date:")), ("track", self.tr("&Track:")),
            ("level_of_care", self.tr("Le&vel of care:")), ("primary_clinician", self.tr("Primary &clinician:")),
            ("days_per_week", self.tr("Days per &week:")), ("schedule_days", self.tr("Weekdays:")),
        ):
            self._add_row(admit_form, key, text)

        self.message_label = QLabel(objectName="formMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("Message"))
        self.message_label.hide()
        self.duplicate_frame = QFrame(objectName="duplicatePanel")
        self.duplicate_frame.setFrameShape(QFrame.Shape.StyledPanel)
        duplicate_layout = QVBoxLayout(self.duplicate_frame)
        self.duplicate_label = QLabel(objectName="duplicateMessage")
        self.duplicate_label.setWordWrap(True)
        self.duplicate_label.setAccessibleName(self.tr("Possible duplicate"))
        self.register_anyway_button = QPushButton(self.tr("Register &anyway"), objectName="registerAnyway")
        self.register_anyway_button.setAccessibleName(self.tr("Register anyway"))
        self.register_anyway_button.clicked.connect(lambda: self.save(allow_duplicate=True))
        self.open_existing_button = QPushButton(self.tr("&Open existing"), objectName="openExisting")
        self.open_existing_button.setAccessibleName(self.tr("Open existing chart"))
        self.open_existing_button.clicked.connect(self._open_existing)
        buttons_row = QHBoxLayout()
        buttons_row.addStretch(1)
        buttons_row.addWidget(self.open_existing_button)
        buttons_row.addWidget(self.register_anyway_button)
        duplicate_layout.addWidget(self.duplicate_label)
        duplicate_layout.addLayout(buttons_row)
        self.duplicate_frame.hide()

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.save_button.setAccessibleName(self.tr("Save"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        form_widget = QWidget()
        form_box = QVBoxLayout(form_widget)
        form_box.setContentsMargins(0, 0, 0, 0)
        form_box.addLayout(client_form)
        form_box.addWidget(self.admit_group)
        form_box.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(form_widget)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        layout = QVBoxLayout(self)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.message_label)
        layout.addWidget(self.duplicate_frame)
        layout.addWidget(self.buttons)
        self._fit_to_form(form_widget, scroll)
        self.first_edit.setFocus()

    def _fit_to_form(self, form: QWidget, scroll: QScrollArea) -> None:
        """Open wide and tall enough for the whole form (no sideways scrolling), within the screen."""
        hint = form.sizeHint()
        margins = self.layout().contentsMargins()
        width = hint.width() + scroll.verticalScrollBar().sizeHint().width() + margins.left() + margins.right() + 8
        height = hint.height() + self.buttons.sizeHint().height() + margins.top() + margins.bottom() + 24
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:
            width, height = min(width, int(screen.width() * 0.9)), min(height, int(screen.height() * 0.9))
        self.resize(width, height)

    # -- building ---------------------------------------------------------------------------
    def _line(self, key: str, name: str) -> QLineEdit:
        edit = QLineEdit(objectName=key)
        edit.setAccessibleName(name)
        self.fields[key] = edit
        return edit

    def _add_row(self, form: QFormLayout, key: str, text: str) -> None:
        widget = self.fields[key]
        error = QLabel(objectName=f"{key}Error")
        error.setWordWrap(True)
        error.setAccessibleName(self.tr("Problem"))
        error.setProperty("fieldError", True)
        font = error.font()
        font.setBold(True)
        error.setFont(font)
        error.hide()
        self.errors[key] = error
        cell = QWidget()
        box = QVBoxLayout(cell)
        box.setContentsMargins(0, 0, 0, 0)
        box.setSpacing(2)
        box.addWidget(widget)
        box.addWidget(error)
        label = QLabel(text)
        label.setBuddy(widget if key != "schedule_days" else self.day_boxes["MON"])
        form.addRow(label, cell)

    def _check_first_days(self, days: int) -> None:
        for position, code in enumerate(WEEKDAYS):
            self.day_boxes[code].setChecked(position < days)

    # -- values -----------------------------------------------------------------------------
    def client_values(self) -> dict:
        return {
            "legal_first": self.first_edit.text(), "legal_last": self.last_edit.text(),
            "preferred_name": self.preferred_edit.text(), "dob": self.dob_edit.value(),
            "sex": self.sex_combo.currentData() or "U", "pronouns": self.pronouns_edit.text(),
            "phone": self.phone_edit.text(), "payer_code": self.payer_edit.text().strip() or None,
        }

    def admission_values(self) -> dict:
        clinician = self.clinician_combo.currentText().strip()
        index = self.clinician_combo.currentIndex()
        if index >= 0 and self.clinician_combo.itemText(index) == clinician:
            clinician = self.clinician_combo.itemData(index)
        return {
            "admitted_on": self.admitted_edit.value(),
            "track_code": self.track_combo.currentData(), "level": self.level_combo.currentData(),
            "primary_clinician": clinician, "days_per_week": self.days_spin.value(),
            "schedule_days": [code for code, box in self.day_boxes.items() if box.isChecked()],
        }

    # -- saving -----------------------------------------------------------------------------
    def save(self, allow_duplicate: bool = False) -> None:
        """Register (unless already done), then admit when "Admit now" is checked."""
        self._clear_errors()
        if self.registered is None and not entries_ready([self.dob_edit]):
            return
        if self.registered is None and not self._register(bool(allow_duplicate)):
            return
        if self.admit_group.isChecked() and not entries_ready([self.admitted_edit]):
            return
        if self.admit_group.isChecked() and not self._admit():
            return
        self.accept()

    def _register(self, allow_duplicate: bool) -> bool:
        values = self.client_values()
        try:
            summary, changes = self.clinic.clients.register(**values, allow_duplicate=allow_duplicate)
        except PossibleDuplicate as error:
            self.duplicate_matches = list(error.matches)
            self.duplicate_label.setText(self.tr("{message}\nMatching MRN: {mrns}").format(
                message=str(error), mrns=", ".join(error.matches)))
            self.duplicate_frame.show()
            self.open_existing_button.setFocus()
            return False
        except IopDeskError as error:
            self.show_error(error.field, user_message(error))
            return False
        self.registered = summary
        self.ops.announce(changes)
        for key in ("legal_first", "legal_last", "preferred_name", "dob", "sex", "pronouns", "phone", "payer"):
            self.fields[key].setEnabled(False)
        return True

    def _admit(self) -> bool:
        try:
            _episode, changes = self.clinic.episodes.admit(self.registered.id, **self.admission_values())
        except IopDeskError as error:
            self.show_error(error.field, user_message(error))
            self.message_label.setText(self.tr(
                "{name} is registered as {mrn}, but the admission was not saved. Correct it and Save "
                "again, or Cancel to keep the registration without admitting.").format(
                name=self.registered.legal_name, mrn=self.registered.mrn))
            self.message_label.show()
            return False
        self.ops.announce(changes)
        return True

    def show_error(self, field: str | None, message: str) -> None:
        """Show a message under the named field (or above the buttons) and focus that field."""
        key = {"level": "level_of_care", "track_code": "track", "payer_code": "payer",
               "mrn": "legal_last"}.get(field or "", field or "")
        label = self.errors.get(key)
        if label is None:
            self.message_label.setText(message)
            self.message_label.show()
            return
        label.setText(message)
        label.show()
        widget = self.fields[key]
        if key == "schedule_days":
            widget = self.day_boxes["MON"]
        widget.setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_errors(self) -> None:
        for label in self.errors.values():
            label.clear()
            label.hide()
        self.message_label.hide()
        self.duplicate_frame.hide()

    def _open_existing(self) -> None:
        if self.duplicate_matches:
            self.open_existing.emit(self.duplicate_matches[0])
        self.reject()

    def done(self, result: int) -> None:
        registered = self.registered
        super().done(result)
        if registered is not None:
            self.client_registered.emit(registered.id)
