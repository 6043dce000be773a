"""Page 4 of the discharge wizard: aftercare referrals. A table of the draft's referrals over
`RowsTableModel`, and a small form (provider, service, appointment date if one is set, contact,
barriers) whose "Add referral" calls `clinic.discharge.add_referral`; "Remove referral" (or Delete
in the table) calls `remove_referral`. Both carry the discharge's version (optimistic locking);
a refusal is shown under the field it names. Leaving the page with a half-typed referral is
refused so nothing typed is silently dropped.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWizardPage,
)

from iopdesk.errors import IopDeskError
from ui.chart import RowsTableModel, date_text, make_table_view
from ui.chart.discharge_pages import error_label, show_error
from ui.date_fields import DateField, entries_ready
from ui.field_messages import when_changed

SERVICES = ("Outpatient counseling", "Psychiatry / medication management", "Medication for addiction treatment",
            "Partial hospitalization", "Residential treatment", "Recovery housing", "Peer recovery support",
            "Mutual-help group", "Primary care", "Case management")


class DischargeReferralsPage(QWizardPage):
    """Page 4: the draft's aftercare referrals, added and removed one at a time."""

    def __init__(self, owner) -> None:
        super().__init__()
        self.owner = owner
        self.setObjectName("dischargeReferralsPage")
        self.setTitle(self.tr("Aftercare referrals"))
        self.setSubTitle(self.tr("Where the client is referred after the program, with the appointment "
                                 "if one is set and what could get in the way."))
        self.model = RowsTableModel((
            (self.tr("Provider"), lambda r: r.provider),
            (self.tr("Service"), lambda r: r.service),
            (self.tr("Appointment"), lambda r: date_text(r.appointment_on)),
            (self.tr("Contact"), lambda r: r.contact),
            (self.tr("Barriers"), lambda r: r.barriers),
        ), self)
        self.table = make_table_view(self.model, self.tr("Aftercare referrals"))
        self.table.setObjectName("referralTable")
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

        self.provider_edit = QLineEdit(objectName="referralProvider")
        self.provider_edit.setPlaceholderText(self.tr("e.g. Lakeside Counseling, Dr. Ortiz"))
        self.service_box = QComboBox(objectName="referralService")
        self.service_box.setEditable(True)
        self.service_box.addItems([self.tr(s) for s in SERVICES])
        self.service_box.setCurrentIndex(-1)
        self.service_box.lineEdit().setPlaceholderText(self.tr("choose or type"))
        self.appointment_check = QCheckBox(self.tr("Appointment s&et"), objectName="hasAppointment")
        self.appointment_edit = DateField(self.tr("Appointment date"), owner.today())
        self.appointment_edit.setObjectName("referralAppointment")
        self.appointment_edit.setEnabled(False)
        self.appointment_check.toggled.connect(self.appointment_edit.setEnabled)
        self.contact_edit = QLineEdit(objectName="referralContact")
        self.contact_edit.setPlaceholderText(self.tr("phone, person to ask for"))
        self.barriers_edit = QLineEdit(objectName="referralBarriers")
        self.barriers_edit.setPlaceholderText(self.tr("e.g. transportation, cost, childcare"))
        self.errors = {key: error_label(f"{key}Error")
                       for key in ("provider", "service", "appointment_on", "contact", "barriers")}
        self.message_label = error_label("referralsMessage")

        form = QFormLayout()
        appointment = QHBoxLayout()
        appointment.addWidget(self.appointment_check)
        appointment.addWidget(self.appointment_edit, 1)
        for key, text, widget, field in (
                ("provider", self.tr("&Provider:"), self.provider_edit, self.provider_edit),
                ("service", self.tr("Ser&vice:"), self.service_box, self.service_box),
                ("appointment_on", self.tr("Appoint&ment:"), appointment, self.appointment_check),
                ("contact", self.tr("&Contact:"), self.contact_edit, self.contact_edit),
                ("barriers", self.tr("Barr&iers:"), self.barriers_edit, self.barriers_edit)):
            label = QLabel(text)
            label.setBuddy(field)
            field.setAccessibleName(text.replace("&", "").rstrip(":"))
            form.addRow(label, widget)
            form.addRow("", self.errors[key])
        self.add_button = QPushButton(self.tr("&Add referral"), objectName="addReferral")
        self.add_button.setAccessibleName(self.tr("Add referral"))
        self.add_button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_referral)
        self.remove_button = QPushButton(self.tr("&Remove referral"), objectName="removeReferral")
        self.remove_button.setAccessibleName(self.tr("Remove referral"))
        self.remove_button.setAutoDefault(False)
        self.remove_button.clicked.connect(self.remove_selected)
        delete = QAction(self.tr("Remove referral"), self.table)
        delete.setShortcut(QKeySequence(QKeySequence.StandardKey.Delete))
        delete.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        delete.triggered.connect(self.remove_selected)
        self.table.addAction(delete)
        # Enter in a field of the form adds the referral instead of going to the next page.
        self._form_edits = (self.provider_edit, self.service_box, self.service_box.lineEdit(),
                            self.contact_edit, self.barriers_edit)
        for edit in self._form_edits:
            edit.installEventFilter(self)

        new_group = QGroupBox(self.tr("New referral"))
        new_layout = QVBoxLayout(new_group)
        new_layout.addLayout(form)
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(new_group)
        layout.addLayout(buttons)
        layout.addWidget(self.message_label)
        self.setTabOrder(self.table, self.provider_edit)
        self.setTabOrder(self.provider_edit, self.service_box)
        self.setTabOrder(self.service_box, self.appointment_check)
        self.setTabOrder(self.appointment_check, self.appointment_edit)
        self.setTabOrder(self.appointment_edit, self.contact_edit)
        self.setTabOrder(self.contact_edit, self.barriers_edit)
        self._asked_to_add = False
        for key, field in (("provider", self.provider_edit), ("service", self.service_box),
                           ("appointment_on", self.appointment_check), ("appointment_on", self.appointment_edit),
                           ("contact", self.contact_edit), ("barriers", self.barriers_edit)):
            when_changed(field, lambda k=key: self._edited(k))

    def _edited(self, key: str) -> None:
        """A message goes when its cause is fixed: the field's own once it is edited, "add the
        referral you are typing" once nothing is being typed."""
        self.errors[key].hide()
        if self._asked_to_add and not self._typing():
            self._asked_to_add = False
            self.message_label.hide()
        self.setTabOrder(self.barriers_edit, self.add_button)
        self.setTabOrder(self.add_button, self.remove_button)

    def eventFilter(self, watched, event) -> bool:
        if (watched in self._form_edits and event.type() == QEvent.Type.KeyPress
                and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._typing()):
            self.add_referral()
            return True
        return super().eventFilter(watched, event)

    def initializePage(self) -> None:
        self._clear()
        self.show_view()
        self.provider_edit.setFocus()

    def show_view(self) -> None:
        view = self.owner.view
        self.model.set_rows(view.referrals if view is not None else ())
        if self.model.rowCount():
            self.table.selectRow(self.model.rowCount() - 1)
        self._update_buttons()

    def _update_buttons(self) -> None:
        self.remove_button.setEnabled(self.table.currentIndex().isValid())

    def _clear(self) -> None:
        self._asked_to_add = False
        for label in (*self.errors.values(), self.message_label):
            label.hide()

    def _typing(self) -> bool:
        return any(w.text().strip() for w in (self.provider_edit, self.service_box.lineEdit(),
                                               self.contact_edit, self.barriers_edit))

    def add_referral(self) -> bool:
        self._clear()
        if self.appointment_check.isChecked() and not entries_ready([self.appointment_edit]):
            return False
        appointment = self.appointment_edit.value() if self.appointment_check.isChecked() else None
        try:
            saved = self.owner.write(
                self.owner.clinic.discharge.add_referral, provider=self.provider_edit.text(),
                service=self.service_box.currentText(), appointment_on=appointment,
                contact=self.contact_edit.text(), barriers=self.barriers_edit.text())
        except IopDeskError as error:
            label = self.errors.get(error.field or "")
            show_error(label if label is not None else self.message_label, error)
            widget = {"provider": self.provider_edit, "service": self.service_box,
                      "appointment_on": self.appointment_edit}.get(error.field or "")
            if widget is not None:
                widget.setFocus()
            return False
        if saved:
            self.clear_entry()
            self.show_view()
            self.provider_edit.setFocus()
        return saved

    def clear_entry(self) -> None:
        """Empty the fields of the referral being typed."""
        for edit in (self.provider_edit, self.contact_edit, self.barriers_edit):
            edit.clear()
        self.service_box.setCurrentIndex(-1)
        self.service_box.clearEditText()
        self.appointment_check.setChecked(False)

    def remove_selected(self) -> None:
        referral = self.model.row_value(self.table.currentIndex().row())
        if referral is None:
            return
        self._clear()
        try:
            self.owner.write(self.owner.clinic.discharge.remove_referral, referral.id)
        except IopDeskError as error:
            show_error(self.message_label, error)
        self.show_view()

    def validatePage(self) -> bool:
        self._clear()
        if self._typing():
            self.message_label.setText(self.tr("Add the referral you are typing (Alt+A) or clear it "
                                               "before going on."))
            self.message_label.show()
            self._asked_to_add = True
            return False
        return True
