"""The Medications tab of a client's chart: medications with their dose history, MAT doses, drug screens.

Every medication (current ones first, stopped ones with their stop date) with the latest dose,
from `clinic.meds.medications`; the dose history of the selected medication (nothing is ever
overwritten); MAT doses given or dispensed at the clinic; drug screens with each positive marked
expected (explained by a prescription) or unexpected. "Add medication…", "Change dose…" and
"Stop…" are enabled only for prescribers (`clinic.actor.can("medication.prescribe")`); the domain
refuses anyone else anyway. A dose change or stop saved meanwhile on another workstation opens
both versions of the medication (see `show_both_versions`).
"""

from __future__ import annotations

from decimal import Decimal

from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from iopdesk import Clinic
from iopdesk.errors import ConcurrentEdit
from iopdesk.kernel import clock
from ui.chart import ChartFormDialog, RowsTableModel, date_text, make_table_view
from ui.concurrent_edit_dialog import resolve_concurrent_edit, with_versions
from ui.date_fields import DateField
from ui.operations import Operations


def _dose(amount, unit: str) -> str:
    return "" if amount is None else f"{amount.normalize():f} {unit}".strip()


def _amount_spin(value: float = 0.0) -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0, 100000)
    spin.setDecimals(2)
    spin.setValue(value)
    return spin


class MedsTab(QWidget):
    """Medications, dose history, MAT doses and drug screens of one client."""

    KINDS = ("medication", "mat_dose", "drug_screen")

    def __init__(self, clinic: Clinic, ops: Operations, client_id: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.clinic = clinic
        self.ops = ops
        self.client_id = str(client_id)
        self.dialog = None
        self.conflict_dialog = None
        self.versions: dict[str, int] = {}  # medication id → version read after "Copy mine"
        self.setObjectName("medsTab")
        self.meds_model = RowsTableModel((
            (self.tr("Drug"), lambda m: m.drug + (self.tr(" (MAT)") if m.is_mat else "")),
            (self.tr("Dose"), lambda m: _dose(m.amount, m.unit)),
            (self.tr("Frequency"), lambda m: m.frequency),
            (self.tr("Route"), lambda m: m.route),
            (self.tr("Prescriber"), lambda m: m.prescriber),
            (self.tr("Started"), lambda m: date_text(m.started_on)),
            (self.tr("Status"), lambda m: self.tr("stopped {day}").format(day=date_text(m.stopped_on))
             if m.stopped_on else self.tr("current")),
            (self.tr("Reason"), lambda m: m.stop_reason or m.reason),
        ), self)
        self.meds_view = make_table_view(self.meds_model, self.tr("Medications"))
        self.meds_view.selectionModel().currentRowChanged.connect(lambda *_: self._selection_changed())
        self.doses_model = RowsTableModel((
            (self.tr("Effective"), lambda d: date_text(d.effective_on)),
            (self.tr("Dose"), lambda d: _dose(d.amount, d.unit)),
            (self.tr("Frequency"), lambda d: d.frequency),
            (self.tr("Entered by"), lambda d: d.entered_by),
            (self.tr("Reason"), lambda d: d.reason),
        ), self)
        self.doses_view = make_table_view(self.doses_model, self.tr("Dose history"))
        self.mat_model = RowsTableModel((
            (self.tr("Given"), lambda d: date_text(d.given_at)),
            (self.tr("Drug"), lambda d: d.drug),
            (self.tr("Dose"), lambda d: _dose(d.amount, d.unit)),
            (self.tr("How"), lambda d: d.mode),
            (self.tr("By"), lambda d: d.given_by),
        ), self)
        self.mat_view = make_table_view(self.mat_model, self.tr("MAT doses"))
        self.screens_model = RowsTableModel((
            (self.tr("Collected"), lambda s: date_text(s.collected_on)),
            (self.tr("Specimen"), lambda s: s.specimen + (self.tr(", observed") if s.observed else "")),
            (self.tr("Unexpected positive"), lambda s: ", ".join(
                r.label for r in s.results if r.positive and r.expected is False) or self.tr("none")),
            (self.tr("Expected positive"), lambda s: ", ".join(
                r.label for r in s.results if r.positive and r.expected)),
            (self.tr("Negative"), lambda s: ", ".join(r.label for r in s.results if not r.positive)),
        ), self)
        self.screens_view = make_table_view(self.screens_model, self.tr("Drug screens"))

        self.add_button = QPushButton(self.tr("&Add medication…"), objectName="addMedication")
        self.add_button.clicked.connect(self.add_medication)
        self.change_button = QPushButton(self.tr("C&hange dose…"), objectName="changeDose")
        self.change_button.clicked.connect(self.change_dose)
        self.stop_button = QPushButton(self.tr("&Stop…"), objectName="stopMedication")
        self.stop_button.clicked.connect(self.stop_medication)
        self.can_prescribe = clinic.actor.can("medication.prescribe")
        for button in (self.add_button, self.change_button, self.stop_button):
            button.setAccessibleName(button.text().replace("&", "").rstrip("…"))
            if not self.can_prescribe:
                button.setToolTip(self.tr("Only a prescriber can change medications."))
        buttons = QHBoxLayout()
        buttons.addWidget(self.add_button)
        buttons.addWidget(self.change_button)
        buttons.addWidget(self.stop_button)
        buttons.addStretch(1)
        meds_group = self._group(self.tr("Medications"), self.meds_view)
        meds_group.layout().addLayout(buttons)
        grid = QGridLayout(self)
        grid.addWidget(meds_group, 0, 0, 1, 2)
        grid.addWidget(self._group(self.tr("Dose history of the selected medication"), self.doses_view), 1, 0)
        grid.addWidget(self._group(self.tr("MAT doses"), self.mat_view), 1, 1)
        grid.addWidget(self._group(self.tr("Drug screens"), self.screens_view), 2, 0, 1, 2)
        grid.setRowStretch(0, 3)
        grid.setRowStretch(1, 2)
        grid.setRowStretch(2, 2)
        ops.changes_applied.connect(self._changes_applied)
        self.refresh()

    def _group(self, title: str, view: QWidget) -> QGroupBox:
        group = QGroupBox(title)
        group.setAccessibleName(title)
        QVBoxLayout(group).addWidget(view)
        return group

    # -- data -------------------------------------------------------------------------------
    def refresh(self) -> None:
        selected = self.selected()
        meds = self.clinic.meds.medications(self.client_id)
        meds.sort(key=lambda m: (m.stopped_on is not None, m.drug.lower()))
        self.meds_model.set_rows(meds)
        row = next((i for i, m in enumerate(meds) if selected and m.id == selected.id), 0)
        if meds:
            self.meds_view.selectRow(row)
        self._selection_changed()
        self.mat_model.set_rows(self.clinic.meds.mat_doses(self.client_id))
        self.screens_model.set_rows(self.clinic.meds.drug_screens(self.client_id))

    def selected(self):
        return self.meds_model.row_value(self.meds_view.currentIndex().row())

    def _selection_changed(self) -> None:
        med = self.selected()
        self.doses_model.set_rows(self.clinic.meds.dose_history(med.id) if med else [])
        current = med is not None and med.stopped_on is None
        self.add_button.setEnabled(self.can_prescribe)
        self.change_button.setEnabled(self.can_prescribe and current)
        self.stop_button.setEnabled(self.can_prescribe and current)

    def _changes_applied(self, changes) -> None:
        if (not changes.client_ids or self.client_id in changes.client_ids) and changes.touches(*self.KINDS):
            self.refresh()

    # -- prescriber actions -----------------------------------------------------------------
    def _open(self, title: str, name: str, fields, submit):
        dialog = ChartFormDialog.build(self, title, fields, submit)
        dialog.setObjectName(name)
        dialog.open()
        self.dialog = dialog
        return dialog

    def add_medication(self):
        drug, unit, route, frequency, reason = (QLineEdit(), QLineEdit("mg"), QLineEdit(self.tr("oral")),
                                                QLineEdit(), QLineEdit())
        frequency.setPlaceholderText(self.tr("e.g. once daily"))
        amount, started_on = _amount_spin(), DateField(self.tr("Started on"), clock.today())
        is_mat = QCheckBox(self.tr("Medication for addiction treatment (MAT)"))

        def submit() -> None:
            _view, changes = self.clinic.meds.add_medication(
                self.client_id, drug=drug.text(), amount=str(amount.value()), unit=unit.text(),
                route=route.text(), frequency=frequency.text(), started_on=started_on.value(),
                reason=reason.text(), is_mat=is_mat.isChecked())
            self.ops.announce(changes)

        return self._open(self.tr("Add medication"), "addMedicationDialog", [
            ("drug", self.tr("&Drug:"), drug), ("amount", self.tr("D&ose:"), amount),
            ("unit", self.tr("&Unit:"), unit), ("route", self.tr("&Route:"), route),
            ("frequency", self.tr("&Frequency:"), frequency), ("started_on", self.tr("&Started on:"), started_on),
            ("reason", self.tr("Rea&son:"), reason), ("is_mat", self.tr("&MAT:"), is_mat),
        ], submit)

    def change_dose(self):
        med = self.selected()
        if med is None:
            return None
        amount = _amount_spin(float(med.amount or 0))
        effective_on, reason = DateField(self.tr("Effective on"), clock.today()), QLineEdit()

        def submit() -> None:
            self._save_versioned(med, self.clinic.meds.change_dose, {
                "amount": str(amount.value()), "effective_on": effective_on.value(),
                "reason": reason.text()}, {
                "dose": _dose(Decimal(str(amount.value())), med.unit),
                "dose_effective_on": effective_on.value(), "dose_reason": reason.text()})

        return self._open(self.tr("Change dose of {drug}").format(drug=med.drug), "changeDoseDialog", [
            ("amount", self.tr("New &dose ({unit}):").format(unit=med.unit), amount),
            ("effective_on", self.tr("&Effective on:"), effective_on),
            ("reason", self.tr("&Reason:"), reason),
        ], submit)

    def stop_medication(self):
        med = self.selected()
        if med is None:
            return None
        stopped_on, reason = DateField(self.tr("Stopped on"), clock.today()), QLineEdit()

        def submit() -> None:
            self._save_versioned(med, self.clinic.meds.stop_medication, {
                "stopped_on": stopped_on.value(), "reason": reason.text()}, {
                "stopped_on": stopped_on.value(), "stop_reason": reason.text()})

        return self._open(self.tr("Stop {drug}").format(drug=med.drug), "stopMedicationDialog", [
            ("stopped_on", self.tr("&Stopped on:"), stopped_on),
            ("stop_reason", self.tr("&Reason:"), reason),
        ], submit)

    # -- another workstation saved first -------------------------------------------------------
    def _save_versioned(self, med, method, values: dict, shown: dict) -> None:
        """Call `method(med.id, expected_version=…, **values)` with the version this form read
        (kept per medication in `versions`); a ConcurrentEdit opens both versions (`shown`: what
        this save would show) and is re-raised for the form to show the message."""
        version = self.versions.get(med.id, med.version)
        try:
            _view, changes = method(med.id, expected_version=version, **values)
        except ConcurrentEdit as error:
            self.show_both_versions(error, med, shown)
            raise
        self.versions.pop(med.id, None)
        self.ops.announce(changes)

    def version_fields(self, med) -> dict[str, object]:
        return {"dose": _dose(med.amount, med.unit), "dose_effective_on": med.dose_effective_on,
                "frequency": med.frequency, "stopped_on": med.stopped_on, "stop_reason": med.stop_reason}

    def show_both_versions(self, error: ConcurrentEdit, med, shown: dict):
        """The medication as stored next to it as this form would leave it. "Keep theirs" closes
        the form and reloads; "Copy mine" reloads and keeps the form, with the stored version."""
        stored = next((m for m in self.clinic.meds.medications(self.client_id) if m.id == med.id), med)
        mine = self.version_fields(med) | shown
        theirs = self.version_fields(stored) | ({"dose_reason": ""} if "dose_reason" in shown else {})
        form = self.dialog if self.dialog is not None and self.dialog.isVisible() else None
        labels = {"dose": self.tr("Dose"), "dose_effective_on": self.tr("Dose effective on"),
                  "dose_reason": self.tr("Reason for the change"), "frequency": self.tr("Frequency"),
                  "stopped_on": self.tr("Stopped on"), "stop_reason": self.tr("Reason for stopping")}

        def keep_theirs() -> None:
            self.versions.pop(med.id, None)
            if form is not None:
                form.reject()
            self.refresh()

        def keep_mine() -> None:
            self.versions[med.id] = stored.version
            self.refresh()

        self.conflict_dialog = resolve_concurrent_edit(form or self, with_versions(error, theirs, mine), labels,
                                                       keep_theirs=keep_theirs, keep_mine=keep_mine)
        return self.conflict_dialog
