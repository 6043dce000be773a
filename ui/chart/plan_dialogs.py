"""The small forms of the Treatment plan tab: a problem, goal, objective or intervention; the plan's
details (strengths, barriers, services, referrals, primary counselor); signing; revising.

Each builder returns a `ChartFormDialog` whose Save calls `save(**values)` with the keyword names
the plan service takes, so a domain error lands under the field it names (`statement`,
`diagnosis_code`, `target_date`, `modality`, `responsible`, `client_signed_on`…) or, for the
plan-wide completeness errors of signing, above the buttons. Ctrl+Enter saves from anywhere in
the form (Enter in a multi-line field starts a new line).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtGui import QKeySequence, QShortcut, QTextCursor
from PySide6.QtWidgets import QComboBox, QLabel, QLineEdit, QPlainTextEdit, QWidget

from iopdesk.kernel import clock
from ui.chart import ChartFormDialog
from ui.date_fields import DateField

MODALITIES = ("Group psychotherapy (IOP)", "Individual psychotherapy", "Family psychotherapy",
              "Psychoeducation group", "Relapse prevention group", "Case management",
              "Medication management", "Drug screening", "Peer support")
FREQUENCIES = ("5 days a week", "3 days a week", "Weekly", "Every 2 weeks", "Monthly", "As needed")
OBJECTIVE_STATUSES = (("active", "Active"), ("met", "Met"), ("discontinued", "Discontinued"))


def text_box(text: str = "", lines: int = 3, placeholder: str = "") -> QPlainTextEdit:
    """A multi-line field `lines` lines high in the current font; Tab moves on."""
    box = QPlainTextEdit()
    box.setTabChangesFocus(True)
    box.setPlainText(text)
    box.moveCursor(QTextCursor.MoveOperation.End)
    box.setPlaceholderText(placeholder)
    metrics = box.fontMetrics()
    box.setMinimumHeight(metrics.lineSpacing() * 2 + 12)
    box.setMaximumHeight(metrics.lineSpacing() * lines + 16)
    box.setMinimumWidth(metrics.averageCharWidth() * 60)
    return box


def choice_box(items, current: str | None = None, editable: bool = False) -> QComboBox:
    """A combo of (data, text) pairs (or plain strings when editable) set to `current`."""
    box = QComboBox()
    box.setEditable(editable)
    for item in items:
        data, text = item if isinstance(item, tuple) else (item, item)
        box.addItem(text, data)
    if current is not None:
        index = box.findData(current)
        if index >= 0:
            box.setCurrentIndex(index)
        elif editable:
            box.setEditText(current)
    return box


def form(parent: QWidget, title: str, name: str, fields, submit: Callable[[], object],
         check: Callable[[], None] | None = None):
    dialog = ChartFormDialog.build(parent, title, fields, submit, check)
    dialog.setObjectName(name)
    for keys in ("Ctrl+Return", "Ctrl+Enter"):
        QShortcut(QKeySequence(keys), dialog, activated=dialog.save_button.click)
    return dialog


def problem_dialog(parent: QWidget, save, problem=None, diagnoses=()):
    """Add or edit a problem; `diagnoses` are (code, description) of the episode, offered first."""
    statement = text_box(problem.statement if problem else "",
                         placeholder=parent.tr("The problem in the client's terms, e.g. "
                                               "continued opioid use despite harm to health and work"))
    code = choice_box([""] + [f"{c}  {d}" for c, d in diagnoses], editable=True)
    code.setEditText(problem.diagnosis_code if problem else (diagnoses[0][0] if diagnoses else ""))
    code.lineEdit().setPlaceholderText(parent.tr("ICD-10-CM, e.g. F11.20"))

    def submit() -> None:
        text = code.currentText().strip()
        save(statement=statement.toPlainText(), diagnosis_code=text.split()[0] if text else "")

    title = parent.tr("Edit problem") if problem else parent.tr("Add problem")
    return form(parent, title, "problemDialog", [
        ("statement", parent.tr("&Problem:"), statement),
        ("diagnosis_code", parent.tr("&Diagnosis (ICD-10):"), code),
    ], submit)


def goal_dialog(parent: QWidget, save, goal=None):
    statement = text_box(goal.statement if goal else "",
                         placeholder=parent.tr("Long-term goal, e.g. achieve and keep abstinence from opioids"))

    def submit() -> None:
        save(statement=statement.toPlainText())

    title = parent.tr("Edit goal") if goal else parent.tr("Add goal")
    return form(parent, title, "goalDialog", [("statement", parent.tr("&Goal:"), statement)], submit)


def objective_dialog(parent: QWidget, save, objective=None, default_target: dt.date | None = None):
    """Add or edit a measurable objective with its target date (and, when editing, its status)."""
    statement = text_box(objective.statement if objective else "", placeholder=parent.tr(
        "Specific and measurable, e.g. attend at least 90% of scheduled IOP sessions"))
    target = DateField(parent.tr("Target date"), objective.target_date if objective else default_target)
    fields = [("statement", parent.tr("&Objective:"), statement),
              ("target_date", parent.tr("&Target date:"), target)]
    status = None
    if objective is not None:
        status = choice_box([(code, parent.tr(text)) for code, text in OBJECTIVE_STATUSES], objective.status)
        fields.append(("status", parent.tr("&Status:"), status))

    def submit() -> None:
        values = {"statement": statement.toPlainText(), "target_date": target.value()}
        if status is not None:
            values["status"] = status.currentData()
        save(**values)

    title = parent.tr("Edit objective") if objective else parent.tr("Add objective")
    return form(parent, title, "objectiveDialog", fields, submit)


def intervention_dialog(parent: QWidget, save, staff, me: str, intervention=None):
    """Add or edit an intervention; `staff` are (user name, display name) who can be responsible."""
    modality = choice_box(MODALITIES, intervention.modality if intervention else MODALITIES[0], editable=True)
    frequency = choice_box(FREQUENCIES, intervention.frequency if intervention else FREQUENCIES[0], editable=True)
    responsible = choice_box(staff)
    current = None
    if intervention is not None:
        current = next((u for u, name in staff if name == intervention.responsible), None)
    index = responsible.findData(current or me)
    responsible.setCurrentIndex(max(0, index))
    description = QLineEdit(intervention.description if intervention else "")
    description.setMinimumWidth(description.fontMetrics().averageCharWidth() * 50)
    description.setPlaceholderText(parent.tr("Optional: what will be done, e.g. CBT relapse-prevention skills"))

    def submit() -> None:
        save(modality=modality.currentText(), frequency=frequency.currentText(),
             responsible=responsible.currentData() or "", description=description.text())

    title = parent.tr("Edit intervention") if intervention else parent.tr("Add intervention")
    return form(parent, title, "interventionDialog", [
        ("modality", parent.tr("&Modality:"), modality),
        ("frequency", parent.tr("&Frequency:"), frequency),
        ("responsible", parent.tr("&Responsible:"), responsible),
        ("description", parent.tr("&Description:"), description),
    ], submit)


def details_dialog(parent: QWidget, save, plan, staff):
    """Strengths, barriers, services, referrals and primary counselor of a draft plan."""
    boxes = {key: text_box(getattr(plan, key), lines=4) for key in ("strengths", "barriers", "services", "referrals")}
    counselor = choice_box(staff)
    current = next((u for u, name in staff if name == plan.primary_counselor), None)
    counselor.setCurrentIndex(max(0, counselor.findData(current)))

    def submit() -> None:
        values = {key: box.toPlainText() for key, box in boxes.items()
                  if box.toPlainText().strip() != getattr(plan, key)}
        if counselor.currentData() and counselor.currentData() != current:
            values["primary_counselor"] = counselor.currentData()
        save(**values)

    return form(parent, parent.tr("Plan details"), "planDetailsDialog", [
        ("strengths", parent.tr("&Strengths:"), boxes["strengths"]),
        ("barriers", parent.tr("&Barriers:"), boxes["barriers"]),
        ("services", parent.tr("Ser&vices and frequency:"), boxes["services"]),
        ("referrals", parent.tr("&Referrals:"), boxes["referrals"]),
        ("primary_counselor", parent.tr("&Primary counselor:"), counselor),
    ], submit)


def sign_dialog(parent: QWidget, save, client_name: str = "", clinician: str = "", check=None):
    """The client's signature (name as signed, date) for signing a draft plan as `clinician`.
    `save(**values)` signs (returning False when the attestation was cancelled: the form stays);
    `check(**values)` raises what signing would refuse, so a message goes once it is fixed."""
    name = QLineEdit(client_name)
    name.setPlaceholderText(parent.tr("The client's name as signed"))
    signed_on = DateField(parent.tr("Client signed on"), clock.today(), latest=clock.today())

    def values() -> dict:
        return {"client_signature_name": name.text(), "client_signed_on": signed_on.value()}

    dialog = form(parent, parent.tr("Sign treatment plan"), "signPlanDialog", [
        ("client_signature_name", parent.tr("&Client signature:"), name),
        ("client_signed_on", parent.tr("Client signed &on:"), signed_on),
    ], lambda: save(**values()), (lambda: check(**values())) if check is not None else None)
    dialog.save_button.setText(parent.tr("&Sign plan"))
    note = QLabel(parent.tr("You sign as {who}, after confirming the attestation. A signed plan never "
                            "changes; later changes are made in a revision.").format(who=clinician))
    note.setWordWrap(True)
    dialog.layout().insertWidget(0, note)
    return dialog


def revise_dialog(parent: QWidget, save, signed_on: dt.date):
    """The effective date of a new draft version (between the signed plan's date and today)."""
    effective = DateField(parent.tr("Effective date"), clock.today(), earliest=signed_on, latest=clock.today())

    def submit() -> None:
        save(effective_on=effective.value())

    dialog = form(parent, parent.tr("Revise treatment plan"), "revisePlanDialog", [
        ("effective_on", parent.tr("New version &effective on:"), effective),
    ], submit)
    dialog.save_button.setText(parent.tr("&Create draft revision"))
    return dialog
